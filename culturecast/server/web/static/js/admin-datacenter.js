// Admin console, statistics tab, the data center (issue 16): regions and devices of an
// organization, a live show's report (printable, CSV), the monthly report's 场次 / 场均观看,
// site-type table and 学习热词, and the link to the data screen.
import { $, config, el, t } from "./core.js";
import { callOrShow, formatNumber, getToken, watchTime, showError } from "./admin-common.js";
import { SITE_TYPES } from "./admin-sites.js";

function rowsOr(tbody, rows, colspan) {
  tbody.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan, class: "muted" }, t("stats.none")))]));
}

function deviceName(code) {
  return code;
}

function terminalName(code) {
  const key = `terminal.${code}`;
  return key in config().strings ? t(key) : code;
}

function figureRows(entries, name) {
  return entries.map(([code, f]) => el("tr", { dataset: { key: code } }, el("td", {}, name(code)), el("td", { class: "plays" }, formatNumber(f.plays)), el("td", {}, watchTime(f.watch_seconds))));
}

function regionRows(regions) {
  const rows = [];
  for (const p of regions) {
    rows.push(el("tr", { dataset: { key: p.province } }, el("td", {}, p.province), el("td", { class: "plays" }, formatNumber(p.plays)), el("td", {}, watchTime(p.watch_seconds))));
    for (const c of p.cities || []) rows.push(el("tr", { dataset: { key: `${p.province}/${c.city}` } }, el("td", {}, `　${c.city}`), el("td", { class: "plays" }, formatNumber(c.plays)), el("td", {}, watchTime(c.watch_seconds))));
  }
  return rows;
}

/** Regions and devices of the organization report, and the screen link. */
export function renderOrgSplits(data) {
  rowsOr($("#stats-regions tbody"), regionRows(data.by_region || []), 3);
  const devices = Object.entries(data.by_device || {}).filter(([, f]) => f.plays > 0);
  rowsOr($("#stats-devices tbody"), figureRows(devices, deviceName), 3);
  $("#stats-screen-link").href = `/screen/${encodeURIComponent(data.org_id)}#token=${encodeURIComponent(getToken() || "")}`;
}

/** "峰值 N（when）": the peak concurrent viewers and when, in China Standard Time. */
export function peakText(viewers, at) {
  const when = new Date(at * 1000).toLocaleString(config().lang, { timeZone: "Asia/Shanghai" });
  return t("stats.peak_value", { n: formatNumber(viewers), when });
}

/** A live show's report below its current and peak viewers. */
export async function loadLiveReport(eventId) {
  const data = await callOrShow(`/api/v1/stats/live/${encodeURIComponent(eventId)}/report`);
  if (!data) return;
  const box = $("#live-report");
  box.dataset.eventId = eventId;
  $("#live-report-title").textContent = data.title;
  const set = (name, text) => (box.querySelector(`[data-live-report="${name}"]`).textContent = text);
  set("plays", formatNumber(data.plays));
  set("unique_viewers", formatNumber(data.unique_viewers));
  set("watch_hours", watchTime(data.watch_seconds));
  set("average_watch", formatNumber(data.average_watch_seconds / 60, 1));
  set("effective", formatNumber(data.effective));
  set("peak", data.peak_at ? peakText(data.peak_viewers, data.peak_at) : formatNumber(data.peak_viewers));
  set("comments", formatNumber(data.comments));
  set("likes", formatNumber(data.likes));
  const terminals = Object.entries(data.by_terminal || {}).filter(([, f]) => f.plays > 0);
  rowsOr($("#live-report-terminals tbody"), figureRows(terminals, terminalName), 3);
  const devices = Object.entries(data.by_device || {}).filter(([, f]) => f.plays > 0);
  rowsOr($("#live-report-devices tbody"), figureRows(devices, deviceName), 3);
  rowsOr($("#live-report-regions tbody"), regionRows(data.by_region || []), 3);
  box.hidden = false;
}

/** The monthly report's shows, site-type table and hot words. */
export function renderMonthlyExtras(data) {
  const shows = (data.shows || []).map((s) => el("tr", { dataset: { orgId: s.org_id } }, el("td", {}, s.name), el("td", {}, formatNumber(s.shows)), el("td", {}, formatNumber(s.plays)), el("td", {}, formatNumber(s.views_per_show, 1))));
  rowsOr($("#monthly-shows tbody"), shows, 4);
  const table = data.site_types || { rows: [], total: null };
  const line = (name, l, attrs) =>
    el(
      "tr",
      attrs,
      el("td", {}, name),
      ...SITE_TYPES.map((kind) => el("td", { dataset: { siteType: kind } }, formatNumber(l.by_site_type[kind].effective_hours, 2))),
      el("td", {}, formatNumber(l.sites)),
      el("td", {}, formatNumber(l.expected_learners)),
      el("td", { class: "total" }, formatNumber(l.effective_hours, 2)),
      el("td", { class: "average" }, formatNumber(l.average_hours_per_site, 2)),
    );
  const lines = table.rows.map((l) => line(l.name, l, { dataset: { orgId: l.org_id } }));
  if (table.rows.length && table.total) lines.push(line(t("dc.total"), table.total, { class: "total-row" }));
  rowsOr($("#monthly-site-types tbody"), lines, 9);
  const words = (data.hot_words || []).map((w, i) => el("tr", {}, el("td", {}, String(i + 1)), el("td", {}, w.term), el("td", {}, formatNumber(w.count))));
  rowsOr($("#monthly-hot-words tbody"), words, 3);
}

/** Fetch a CSV with the token, then save it under the server's name. */
export async function saveCsv(path, fallbackName) {
  let response;
  try {
    response = await fetch(path, { headers: { Authorization: `Bearer ${getToken()}` } });
  } catch (err) {
    return showError({ code: "network", message: String(err) });
  }
  if (!response.ok) {
    let error = { code: "unknown", message: response.statusText };
    try {
      error = (await response.json()).error || error;
    } catch {
      // not JSON
    }
    return showError(error);
  }
  const blob = await response.blob();
  const name = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") || "")?.[1] || fallbackName;
  const link = el("a", { href: URL.createObjectURL(blob), download: name, class: "visually-hidden" });
  document.body.append(link);
  link.click();
  setTimeout(() => {
    URL.revokeObjectURL(link.href);
    link.remove();
  }, 1000);
}

export function setupDataCenter() {
  $("#live-report-print").addEventListener("click", () => {
    document.body.classList.add("print-live-report");
    window.addEventListener("afterprint", () => document.body.classList.remove("print-live-report"), { once: true });
    window.print();
  });
  $("#live-report-csv").addEventListener("click", () => {
    const id = $("#live-report").dataset.eventId;
    if (id) saveCsv(`/api/v1/stats/live/${encodeURIComponent(id)}/report?format=csv`, `live-${id}.csv`);
  });
}
