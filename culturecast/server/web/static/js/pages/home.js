// Home: live now, coming up (with countdowns), replays, categories and series. Each shelf
// fetches its list API; an API that is missing, refuses (401/403) or finds nothing (404)
// gives the shelf's friendly empty state — only a server fault or a network failure says
// "could not load".
import { $, config } from "../core.js";
import { LIVE_STATES, eventCard, fill, resourceCard, seriesCard, tickCountdowns, upcomingCard } from "../cards.js";
import { setupPrefs } from "../prefs.js";

// One place to adjust when the list APIs settle their query parameters.
const SHELVES = [
  { list: "live", api: "/api/v1/live", query: { status: "live" }, keep: (e) => !e.status || LIVE_STATES.includes(e.status), empty: "empty.live", card: eventCard },
  { list: "upcoming", api: "/api/v1/live", query: { status: "scheduled" }, keep: (e) => !e.status || e.status === "scheduled", empty: "empty.upcoming", card: upcomingCard },
  { list: "replays", api: "/api/v1/live", query: { status: "ended" }, keep: (e) => !e.status || e.status === "ended", empty: "empty.replays", card: eventCard },
  { list: "series", api: "/api/v1/series", query: {}, keep: () => true, empty: "empty.series", card: seriesCard },
];
const RESOURCES = { api: "/api/v1/resources", empty: "empty.resources" };

function setupCategories() {
  const container = $('[data-list="resources"]');
  const chips = [...document.querySelectorAll(".chip")];
  const load = (category) => {
    for (const chip of chips) chip.setAttribute("aria-pressed", String(chip.dataset.category === category));
    const query = category ? { category } : {};
    // A show's replay is on the 精彩回看 shelf above: under 全部 it is not listed a second
    // time (a category still lists its replays, as the shelf is not by category).
    const keep = category ? () => true : (r) => !r.live_event_id;
    // The whole catalogue empty: no box under the chips; an empty category still says so.
    return fill(container, RESOURCES.api, query, keep, resourceCard, RESOURCES.empty, { hideEmpty: category ? null : container });
  };
  for (const chip of chips) chip.addEventListener("click", () => load(chip.dataset.category));
  return load("");
}

// The search box: GET /api/v1/resources?q= matches titles, series and performers by
// characters, full pinyin and initials (sgyy → 三国演义); the query stays in the address
// (/?q=sgyy), so a search can be shared and survives a reload.
function setupSearch() {
  const form = $("#search");
  const input = $("#search-q");
  const shelf = $("#search-shelf");
  const container = $('[data-list="search"]');
  const run = async (q) => {
    if (!q) {
      shelf.hidden = true;
      return;
    }
    shelf.hidden = false;
    // A search lists the episodes it found, each on its own card.
    await fill(container, RESOURCES.api, { q }, () => true, resourceCard, "home.search_none", { group: false });
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const q = input.value.trim();
    const url = new URL(location.href);
    if (q) url.searchParams.set("q", q);
    else url.searchParams.delete("q");
    history.replaceState(null, "", url);
    run(q);
  });
  const q = (new URLSearchParams(location.search).get("q") || "").trim();
  input.value = q;
  return run(q);
}

setupPrefs();
const loads = SHELVES.map((s) => {
  const container = $(`[data-list="${s.list}"]`);
  return fill(container, s.api, s.query, s.keep, s.card, s.empty, { hideEmpty: container.closest(".shelf") });
});
loads.push(setupCategories().then(() => !$('[data-list="resources"]').hidden));
Promise.all([Promise.all(loads), setupSearch()]).then(([filled]) => {
  $("#home-empty").hidden = filled.some(Boolean); // a new site: one friendly line
  document.documentElement.dataset.ready = config().page; // tests wait for this
});
setInterval(tickCountdowns, 1000);
