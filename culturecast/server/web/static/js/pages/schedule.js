// /schedule: 节目单 — the published shows still to come, grouped by day in China Standard Time
// (今天, 明天, then the date), each with its time, organization and a 加入日历 button that
// downloads an .ics reminder made here from the list (js/ics.js). Every coming show is read,
// page after page: the API lists events latest first, so the soonest are on the last page.
import { $, api, config, el, itemsOf, t } from "../core.js";
import { startOf } from "../cards.js";
import { buildIcs } from "../ics.js";
import { setupPrefs } from "../prefs.js";

const ZONE = "Asia/Shanghai";
const PAGE = 200; // the largest page GET /api/v1/live gives (limit 1–200)
const MAX_PAGES = 50; // 10,000 coming shows: more than a province schedules

/** Every scheduled show, through limit/offset; {ok, status, items, partial}: partial when a
 * later page failed (what was read is still shown). */
async function upcoming() {
  const items = [];
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const res = await api(`/api/v1/live?status=scheduled&limit=${PAGE}&offset=${page * PAGE}`);
    if (!res.ok) return { ok: page > 0, status: res.status, items, partial: page > 0 };
    const got = itemsOf(res.data);
    items.push(...got);
    if (got.length < PAGE) break;
  }
  return { ok: true, status: 200, items, partial: false };
}

/** The CST calendar day of a time, as "2026-12-02". */
function dayOf(epochSeconds) {
  return new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(epochSeconds * 1000));
}

function dayHeading(day, now) {
  if (day === dayOf(now)) return t("schedule.today");
  if (day === dayOf(now + 86400)) return t("schedule.tomorrow");
  const noon = Date.parse(`${day}T12:00:00+08:00`);
  return new Intl.DateTimeFormat(config().lang, { timeZone: ZONE, month: "long", day: "numeric", weekday: "long" }).format(new Date(noon));
}

function timeOf(epochSeconds) {
  return new Intl.DateTimeFormat(config().lang, { timeZone: ZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(epochSeconds * 1000));
}

function download(event, start) {
  const site = config().site_url;
  const text = buildIcs({
    uid: `live-${event.id}@${new URL(site).host}`,
    start,
    summary: event.title,
    url: `${site}/live/${encodeURIComponent(event.id)}`,
    reminder: t("schedule.reminder", { title: event.title }),
    now: Date.now() / 1000,
  });
  const link = el("a", { href: URL.createObjectURL(new Blob([text], { type: "text/calendar;charset=utf-8" })), download: `${event.id}.ics`, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function row(event, start) {
  return el(
    "li",
    { class: "schedule-item" },
    el("time", { class: "schedule-time", datetime: new Date(start * 1000).toISOString() }, timeOf(start)),
    el(
      "div",
      { class: "schedule-what" },
      el("a", { class: "schedule-title", href: `/live/${encodeURIComponent(event.id)}` }, event.title),
      event.org_name ? el("a", { class: "schedule-org", href: `/o/${encodeURIComponent(event.org_id)}` }, event.org_name) : null,
    ),
    el("button", { type: "button", class: "button secondary schedule-add", "aria-label": t("schedule.add_label", { title: event.title }), onclick: () => download(event, start) }, t("schedule.add")),
  );
}

setupPrefs();
const root = $("#schedule");
const res = await upcoming();
const now = Date.now() / 1000;
if (!res.ok && (res.status === 0 || res.status >= 500)) {
  root.replaceChildren(el("p", { class: "empty" }, t("common.load_failed")));
} else {
  const shows = res.items
    .map((e) => [e, startOf(e)])
    .filter(([e, start]) => e.status === "scheduled" && start !== undefined && start > now)
    .sort((a, b) => a[1] - b[1]);
  const days = new Map();
  for (const [event, start] of shows) {
    const day = dayOf(start);
    if (!days.has(day)) days.set(day, []);
    days.get(day).push(row(event, start));
  }
  root.replaceChildren(
    ...(days.size
      ? [...days].map(([day, rows]) =>
          el("section", { class: "schedule-day", "aria-labelledby": `day-${day}`, dataset: { day } }, el("h2", { id: `day-${day}` }, dayHeading(day, now)), el("ul", { class: "schedule-list" }, rows)),
        )
      : [el("p", { class: "empty" }, t("schedule.empty"))]),
    // A later page did not come: say so under the shows that did.
    ...(res.partial ? [el("p", { class: "empty", dataset: { partial: "true" } }, t("common.load_failed"))] : []),
  );
}
root.setAttribute("aria-busy", "false");
document.documentElement.dataset.ready = config().page;
