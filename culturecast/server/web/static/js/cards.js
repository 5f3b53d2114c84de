// The cards of the public lists (home, an organization's page): live shows, upcoming shows
// with countdowns, replays, resources (a series' episodes as one card) and series; and the
// shelf that fetches a list API and draws them. An API that is missing, refuses (401/403) or
// finds nothing (404) gives the shelf's friendly empty state — only a server fault or a
// network failure says "could not load".
import { api, config, el, formatClock, formatCount, formatWhen, itemsOf, pick, t, toEpochSeconds } from "./core.js";
import { countdownText } from "./countdown.js";

export const LIVE_STATES = ["live", "reconnecting"];

const COVER_COLOURS = ["#8c2f1b", "#1f5f5b", "#6b3f8f", "#2f5d8c", "#7a5a12", "#3f6b2a"];

/** The card's picture: the uploaded one, or a coloured tile with the series' or item's name,
 * so no card is a blank square. */
function cover(item, badge) {
  const src = pick(item, "cover_url", "poster_url", "cover", "poster");
  const node = el(
    "div",
    { class: "card-cover" },
    src ? el("img", { src, alt: "", loading: "lazy", width: 320, height: 180 }) : null,
    badge ? el("span", { class: "badge" }, badge) : null,
  );
  if (!src) {
    const text = pick(item, "series_title", "title", "name") || "";
    let hash = 0;
    for (const ch of text) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
    node.classList.add("generated");
    node.style.backgroundColor = COVER_COLOURS[hash % COVER_COLOURS.length];
    node.append(el("span", { class: "cover-text", "aria-hidden": "true" }, text));
  }
  return node;
}

/** The card's facts: date, organization, duration and 观看人次 (the list APIs' org_name and
 * views), those the item has. */
function facts(item) {
  const when = toEpochSeconds(pick(item, "published_at", "ended_at", "created_at"));
  const plays = pick(item, "views", "plays", "view_count");
  const duration = Number(pick(item, "duration_s"));
  return [
    when !== undefined ? formatDay(when) : "",
    pick(item, "organization_name", "org_name") || "",
    duration > 0 ? formatClock(duration) : "",
    typeof plays === "number" ? t("card.plays", { n: formatCount(plays) }) : "",
  ].filter(Boolean).join(" · ");
}

function formatDay(epochSeconds) {
  const date = new Date(epochSeconds * 1000);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(config().lang, { dateStyle: "medium", timeZone: "Asia/Shanghai" }).format(date);
}

function card(href, item, badge, ...meta) {
  return el(
    "a",
    { class: "card", href },
    cover(item, badge),
    el(
      "div",
      { class: "card-body" },
      el("p", { class: "card-title" }, pick(item, "title", "name") || ""),
      ...meta.filter(Boolean).map((m) => (m instanceof Node ? m : el("p", { class: "card-meta" }, m))),
    ),
  );
}

/** The card's 点赞 count (issue 17), filled in when GET /api/v1/engagement answers; a card
 * whose count cannot be read simply has none. */
function withLikes(node, itemType, id) {
  api(`/api/v1/engagement/${itemType}/${encodeURIComponent(id)}`).then((res) => {
    if (!res.ok || typeof res.data?.likes !== "number") return;
    node.querySelector(".card-body").append(el("p", { class: "card-meta card-likes" }, t("card.likes", { n: res.data.likes })));
  });
  return node;
}

export function eventCard(event) {
  const live = LIVE_STATES.includes(event.status);
  return withLikes(card(`/live/${encodeURIComponent(event.id)}`, event, live ? t("badge.live") : t("badge.replay"), facts(event)), "live", event.id);
}

export function startOf(event) {
  return toEpochSeconds(pick(event, "scheduled_start", "starts_at", "scheduled_at", "start_at"));
}

export function upcomingCard(event) {
  const start = startOf(event);
  const clock = el("p", { class: "card-meta", role: "timer", "aria-live": "off" });
  if (start !== undefined) {
    clock.dataset.target = String(start);
    clock.textContent = countdownText(start, Date.now() / 1000);
  }
  return card(`/live/${encodeURIComponent(event.id)}`, event, null, start !== undefined ? t("countdown.at", { when: formatWhen(start) }) : null, clock);
}

export function seriesCard(series) {
  const count = pick(series, "episode_count", "count");
  return card(`/s/${encodeURIComponent(series.id)}`, series, null, count !== undefined ? t("badge.episodes", { n: count }) : null, facts(series));
}

function categoryLabel(resource) {
  const label = resource.category_label;
  if (label && typeof label === "object") return config().lang === "en" ? label.en : label.zh;
  return resource.category;
}

export function resourceCard(resource) {
  if (resource.episodes) return episodesCard(resource);
  return withLikes(card(`/r/${encodeURIComponent(resource.id)}`, resource, resource.kind === "audio" ? t("badge.audio") : null, categoryLabel(resource), facts(resource)), "resource", resource.id);
}

/** A series among the resources: one card for its episodes ("共3集", the latest one). */
function episodesCard(group) {
  const latest = group.episodes.reduce((a, b) => ((b.episode ?? 0) > (a.episode ?? 0) ? b : a));
  const item = { title: group.series_title || latest.title, series_title: group.series_title, poster_url: latest.cover_url || latest.poster_url };
  // The series' organization and its episodes' 观看人次 together (those the list shows).
  const views = group.episodes.reduce((sum, e) => sum + (typeof e.views === "number" ? e.views : 0), 0);
  return card(
    `/s/${encodeURIComponent(group.series_id)}`,
    item,
    t("badge.episodes", { n: group.episodes.length }),
    categoryLabel(latest),
    t("card.latest", { title: latest.title }),
    facts({ org_name: latest.org_name, views: group.episodes.some((e) => typeof e.views === "number") ? views : undefined }),
  );
}

/** Episodes of one series become one entry, where the newest of them stood. */
function groupSeries(resources) {
  const out = [];
  const groups = new Map();
  for (const r of resources) {
    if (!r.series_id) {
      out.push(r);
      continue;
    }
    let group = groups.get(r.series_id);
    if (!group) {
      group = { series_id: r.series_id, series_title: r.series_title, episodes: [] };
      groups.set(r.series_id, group);
      out.push(group);
    }
    group.episodes.push(r);
  }
  return out;
}

export function showEmpty(container, key) {
  container.replaceChildren(el("p", { class: "empty" }, t(key)));
}

/** Fill a shelf; an empty one is hidden (`hideEmpty`: the whole section) rather than shown
 * as a row of "nothing here" boxes. */
export async function fill(container, path, query, keep, cardOf, emptyKey, { hideEmpty = null, group = true } = {}) {
  container.setAttribute("aria-busy", "true");
  const qs = new URLSearchParams(query).toString();
  const res = await api(qs ? `${path}?${qs}` : path);
  let empty = false;
  if (res.ok) {
    let items = itemsOf(res.data).filter(keep);
    if (cardOf === upcomingCard) items.sort((a, b) => (startOf(a) ?? Infinity) - (startOf(b) ?? Infinity)); // soonest first
    if (group && cardOf === resourceCard) items = groupSeries(items);
    if (items.length) container.replaceChildren(...items.map(cardOf));
    else showEmpty(container, emptyKey);
    empty = !items.length;
  } else if (res.status === 0 || res.status >= 500) {
    showEmpty(container, "common.load_failed");
  } else {
    showEmpty(container, emptyKey);
    empty = true;
  }
  if (hideEmpty) hideEmpty.hidden = empty;
  container.setAttribute("aria-busy", "false");
  return !empty;
}

export function tickCountdowns() {
  const now = Date.now() / 1000;
  for (const node of document.querySelectorAll("[data-target]")) {
    node.textContent = countdownText(Number(node.dataset.target), now);
  }
}
