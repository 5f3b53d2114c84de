// Admin console, statistics: an organization subtree's totals, daily trend, terminals,
// categories, child organizations and top items (ECharts, vendored), a live event's current
// and peak viewers, the monthly report, and CSV exports (fetched with the token, then saved:
// a plain link could not send the Authorization header).
import { $, config, el, itemsOf, loadScript, t } from "./core.js";
import { call, callOrShow, clearMessages, fillOrgSelect, formatNumber, watchTime } from "./admin-common.js";
import { onTab } from "./admin-tabs.js";
import { loadLiveReport, peakText, renderMonthlyExtras, renderOrgSplits, saveCsv, setupDataCenter } from "./admin-datacenter.js";

const COLORS = ["#b3261e", "#1e6b3a", "#1a73e8", "#e37400", "#6b4fbb", "#00838f", "#8d6e63", "#5f6368"];
const stats = { charts: new Map(), report: null, events: [] };

async function echarts() {
  await loadScript("../vendor/echarts.min.js"); // relative to core.js
  return window.echarts;
}

function day(offsetDays) {
  // China Standard Time day (the statistics' days), as YYYY-MM-DD.
  const d = new Date(Date.now() + 8 * 3600 * 1000 + offsetDays * 86400 * 1000);
  return d.toISOString().slice(0, 10);
}

function query() {
  const params = new URLSearchParams();
  if ($("#stats-from").value) params.set("from", $("#stats-from").value);
  if ($("#stats-to").value) params.set("to", $("#stats-to").value);
  return params;
}

function orgId() {
  return $("#stats-org").value;
}

async function chart(id, option) {
  const lib = await echarts();
  const node = $(`#${id}`);
  let instance = stats.charts.get(id);
  if (!instance) {
    instance = lib.init(node, null, { renderer: "canvas" });
    stats.charts.set(id, instance);
  }
  instance.setOption({ color: COLORS, animation: false, ...option }, true);
  node.dataset.drawn = "true";
  return instance;
}

/** The report's days from `first` to `last` (YYYY-MM-DD, inclusive), each with its figures
 * from `daily` or zeros. */
export function everyDay(first, last, daily) {
  const known = new Map(daily.map((d) => [d.day, d]));
  const out = [];
  const end = Date.parse(`${last}T00:00:00Z`);
  for (let at = Date.parse(`${first}T00:00:00Z`); at <= end && out.length < 400; at += 86400_000) {
    const day = new Date(at).toISOString().slice(0, 10);
    out.push(known.get(day) || { day, plays: 0, unique_viewers: 0, watch_seconds: 0 });
  }
  return out.length ? out : daily;
}

/** An average number of people as a whole number; "不足1人" for a fraction of one. */
function averagePeople(n) {
  if (n > 0 && n < 1) return t("stats.under_one");
  return formatNumber(Math.round(n || 0));
}

function terminalName(code) {
  const key = `terminal.${code}`;
  return key in config().strings ? t(key) : code;
}

function categoryName(code) {
  const key = `category.${code}`;
  return key in config().strings ? t(key) : code;
}

async function loadReport(event) {
  event?.preventDefault();
  clearMessages();
  if (!orgId()) return;
  const params = query();
  const data = await callOrShow(`/api/v1/stats/orgs/${encodeURIComponent(orgId())}?${params}`);
  if (!data) return;
  stats.report = data;
  const uniques = data.daily.reduce((sum, d) => sum + (d.unique_viewers || 0), 0);
  const set = (name, text, raw) => {
    const dd = document.querySelector(`#stats-totals [data-figure="${name}"]`);
    dd.textContent = text;
    dd.dataset.value = String(raw);
  };
  set("plays", formatNumber(data.totals.plays), data.totals.plays);
  set("watch_hours", watchTime(data.totals.watch_seconds), data.totals.watch_seconds);
  set("effective", formatNumber(data.totals.effective), data.totals.effective);
  set("completion_rate", `${formatNumber(data.totals.completion_rate * 100, 1)}%`, data.totals.completion_rate);
  set("unique_viewers", formatNumber(uniques), uniques);
  $("#stats-totals").dataset.org = data.org_id;

  // Every day of the range, those without a play as zero: a trend that skipped them would
  // draw a quiet week as a straight line between its neighbours.
  const daily = everyDay(data.from, data.to, data.daily);
  const days = daily.map((d) => d.day);
  await chart("chart-trend", {
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: { left: 40, right: 40, top: 40, bottom: 30, containLabel: true },
    xAxis: { type: "category", data: days },
    yAxis: [
      { type: "value", name: t("stats.count_axis"), minInterval: 1 },
      { type: "value", name: t("stats.hours_axis") },
    ],
    series: [
      { name: t("stats.plays"), type: "line", data: daily.map((d) => d.plays) },
      { name: t("stats.unique_viewers"), type: "line", data: daily.map((d) => d.unique_viewers || 0) },
      { name: t("stats.watch_hours"), type: "bar", yAxisIndex: 1, data: daily.map((d) => +(d.watch_seconds / 3600).toFixed(2)) },
    ],
  });
  const terminals = Object.entries(data.by_terminal).filter(([, f]) => f.plays > 0);
  await chart("chart-terminal", {
    tooltip: { trigger: "item" },
    legend: { bottom: 0 },
    series: [{ type: "pie", radius: ["35%", "65%"], data: terminals.map(([code, f]) => ({ name: terminalName(code), value: f.plays })) }],
  });
  const categories = Object.entries(data.by_category);
  await chart("chart-category", {
    tooltip: { trigger: "axis" },
    grid: { left: 10, right: 10, top: 20, bottom: 10, containLabel: true },
    xAxis: { type: "category", data: categories.map(([code]) => categoryName(code)) },
    yAxis: { type: "value", minInterval: 1 },
    series: [{ name: t("stats.plays"), type: "bar", data: categories.map(([, f]) => f.plays) }],
  });
  $("#chart-terminal").dataset.values = JSON.stringify(Object.fromEntries(terminals.map(([c, f]) => [c, f.plays])));
  $("#chart-category").dataset.values = JSON.stringify(Object.fromEntries(categories.map(([c, f]) => [c, f.plays])));

  const childRows = data.children.map((c) => el("tr", { dataset: { orgId: c.org_id } }, el("td", {}, c.name), el("td", {}, formatNumber(c.plays)), el("td", {}, watchTime(c.watch_seconds)), el("td", {}, formatNumber(c.effective))));
  $("#stats-children tbody").replaceChildren(...(childRows.length ? childRows : [el("tr", {}, el("td", { colspan: 4, class: "muted" }, t("stats.none")))]));
  const topRows = data.top_items.map((item) =>
    el(
      "tr",
      { dataset: { itemId: item.item_id } },
      el("td", {}, String(item.rank)),
      el("td", {}, el("a", { href: item.item_type === "live" ? `/live/${encodeURIComponent(item.item_id)}` : `/r/${encodeURIComponent(item.item_id)}` }, item.title || item.item_id)),
      el("td", { class: "plays" }, formatNumber(item.plays)),
      el("td", {}, watchTime(item.watch_seconds)),
      // 播完率 means nothing for a live show (it has no end to reach while on air).
      el("td", { class: "completion" }, item.item_type === "live" ? t("stats.not_applicable") : `${formatNumber(item.completion_rate * 100, 1)}%`),
    ),
  );
  $("#stats-top tbody").replaceChildren(...(topRows.length ? topRows : [el("tr", {}, el("td", { colspan: 5, class: "muted" }, t("stats.none")))]));
  renderOrgSplits(data);
  document.querySelector("#tab-stats").dataset.loaded = data.org_id;
}

async function loadEvents() {
  const response = await call("/api/v1/live?limit=200");
  if (!response.ok) return;
  stats.events = itemsOf(response.data);
  const select = $("#stats-live-event");
  const current = select.value;
  select.replaceChildren(...stats.events.map((e) => el("option", { value: e.id }, `${e.title}（${t(`live.status.${e.status}`)}）`)));
  if (current) select.value = current;
}

async function loadLive(event) {
  event?.preventDefault();
  clearMessages();
  const id = $("#stats-live-event").value;
  if (!id) return;
  const data = await callOrShow(`/api/v1/stats/live/${encodeURIComponent(id)}`);
  if (!data) return;
  $("#stats-live-current").textContent = formatNumber(data.current_viewers);
  $("#stats-live-peak").textContent = data.peak_at ? peakText(data.peak_viewers, data.peak_at) : formatNumber(data.peak_viewers);
  await loadLiveReport(id);
}

async function loadMonthly(event) {
  event?.preventDefault();
  clearMessages();
  const month = $("#monthly-month").value;
  if (!orgId() || !month) return;
  const data = await callOrShow(`/api/v1/stats/orgs/${encodeURIComponent(orgId())}/monthly?month=${encodeURIComponent(month)}`);
  if (!data) return;
  const set = (name, text) => (document.querySelector(`[data-monthly="${name}"]`).textContent = text);
  set("plays", formatNumber(data.totals.plays));
  set("watch_hours", watchTime(data.totals.watch_seconds));
  set("cumulative_plays", formatNumber(data.cumulative.plays));
  set("average_daily_active", averagePeople(data.average_daily_active));
  set("peak_day", data.peak_day ? t("stats.peak_day_value", { day: data.peak_day.day, n: formatNumber(data.peak_day.active_viewers) }) : "–");
  const rows = (data.districts || []).map((d) => el("tr", {}, el("td", {}, d.name), el("td", {}, formatNumber(d.sites)), el("td", {}, formatNumber(d.plays)), el("td", {}, watchTime(d.watch_seconds))));
  $("#monthly-districts tbody").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 4, class: "muted" }, t("stats.none")))]));
  renderMonthlyExtras(data);
  $("#monthly-report").hidden = false;
}

/** Download a CSV export with the token: fetch it, then save it under the server's name. */
async function downloadCsv(kind) {
  clearMessages();
  if (!orgId()) return;
  const base = `/api/v1/stats/orgs/${encodeURIComponent(orgId())}`;
  const monthly = kind === "monthly" || kind === "site_types";
  const params = monthly ? new URLSearchParams({ month: $("#monthly-month").value }) : query();
  params.set("format", "csv");
  if (kind === "site_types") params.set("table", "site_types");
  const path = kind === "ranking" ? `${base}/ranking?${params}` : monthly ? `${base}/monthly?${params}` : `${base}?${params}`;
  await saveCsv(path, `${kind}.csv`);
}

export function setupStats(context) {
  context.onOrgs(() => fillOrgSelect($("#stats-org")));
  $("#stats-from").value = day(-29);
  $("#stats-to").value = day(0);
  $("#monthly-month").value = day(0).slice(0, 7);
  onTab("stats", () => Promise.all([loadReport(), loadEvents()]));
  $("#stats-form").addEventListener("submit", loadReport);
  $("#stats-live-form").addEventListener("submit", loadLive);
  $("#monthly-form").addEventListener("submit", loadMonthly);
  setupDataCenter();
  for (const b of document.querySelectorAll("[data-csv]")) b.addEventListener("click", () => downloadCsv(b.dataset.csv));
  window.addEventListener("resize", () => {
    for (const c of stats.charts.values()) c.resize();
  });
}
