// /o/<org_id>: 机构主页 — the organization's shows on air, coming up and replayed, its
// resources and series, each shelf from its list API filtered by ?org_id= (the cards are the
// home page's).
import { $, config } from "../core.js";
import { LIVE_STATES, eventCard, fill, resourceCard, seriesCard, tickCountdowns, upcomingCard } from "../cards.js";
import { setupPrefs } from "../prefs.js";

const org = config().org_id;
const SHELVES = [
  { list: "live", api: "/api/v1/live", query: { status: "live" }, keep: (e) => LIVE_STATES.includes(e.status), empty: "empty.live", card: eventCard },
  { list: "upcoming", api: "/api/v1/live", query: { status: "scheduled" }, keep: (e) => e.status === "scheduled", empty: "empty.upcoming", card: upcomingCard },
  { list: "replays", api: "/api/v1/live", query: { status: "ended" }, keep: (e) => e.status === "ended", empty: "empty.replays", card: eventCard },
  { list: "resources", api: "/api/v1/resources", query: {}, keep: () => true, empty: "empty.resources", card: resourceCard },
  { list: "series", api: "/api/v1/series", query: {}, keep: () => true, empty: "empty.series", card: seriesCard },
];

setupPrefs();
const filled = await Promise.all(
  SHELVES.map((s) => {
    const container = $(`[data-list="${s.list}"]`);
    return fill(container, s.api, { ...s.query, org_id: org }, s.keep, s.card, s.empty, { hideEmpty: container.closest(".shelf") });
  }),
);
$("#org-empty").hidden = filled.some(Boolean);
setInterval(tickCountdowns, 1000);
document.documentElement.dataset.ready = config().page;
