// /s/<series_id>: a series (专辑) with its episodes in order, "continue where you stopped"
// (the last episode and position, per device), and auto-next.
import { $, config, el, formatClock, store, t } from "../core.js";
import { Playback, SleepTimer } from "../player.js";
import { setupPrefs } from "../prefs.js";
import { setupShare } from "../share.js";
import { EngagementBar } from "../engagement.js";
import { loadItem } from "../missing.js";

const AUTO_NEXT = "cc:auto-next";
const seriesId = config().series_id;
const lastKey = `cc:series:${seriesId}`;
let seriesTitle = ""; // the generated cover of an episode without one names its series
let seriesCover = null;
let playback = null;
let episodes = [];
let engagement = null;

function say(text) {
  $("#player-message").textContent = text;
}

function episodeLabel(episode, index) {
  return `${t("series.episode", { n: episode.episode ?? index + 1 })} ${episode.title}`;
}

function markCurrent(id) {
  for (const button of document.querySelectorAll("#episodes button")) {
    button.setAttribute("aria-current", String(button.dataset.id === id));
  }
}

async function play(index, { autoplay = true } = {}) {
  const episode = episodes[index];
  if (!episode) return;
  if (playback) playback.destroy();
  playback = new Playback({ kind: episode.kind === "audio" ? "audio" : "video", title: episode.title, cover: episode.cover_url || seriesCover || episode.poster_url, coverText: seriesTitle });
  store.set(lastKey, episode.id);
  markCurrent(episode.id);
  const now = $("#now-title");
  now.textContent = `${t("series.now_playing")}：${episodeLabel(episode, index)}`;
  now.hidden = false;
  $("#continue").hidden = true;
  engagement.show("resource", episode.id); // the buttons act on the episode playing
  playback.onEnded = () => {
    if (sleep.stopsAtEnd()) return;
    if ($("#auto-next").checked && index + 1 < episodes.length) play(index + 1);
  };
  await playback.start("resource", episode.id, { resume: true });
  if (!autoplay) playback.media.pause();
}

const sleep = new SleepTimer(() => playback && playback.media);

async function main() {
  setupPrefs();
  engagement = new EngagementBar();
  setupShare(() => engagement.shared());
  const autoNext = $("#auto-next");
  autoNext.checked = store.get(AUTO_NEXT) !== false;
  autoNext.addEventListener("change", () => store.set(AUTO_NEXT, autoNext.checked));
  const series = await loadItem(`/api/v1/series/${encodeURIComponent(seriesId)}`, "series.not_found");
  if (!series) {
    say("");
    return;
  }
  seriesTitle = series.title;
  seriesCover = series.cover_url || series.poster_url || null;
  $("#title").textContent = series.title;
  document.title = `${series.title} · ${t("site.name")}`;
  episodes = series.episodes || [];
  $("#meta").textContent = [series.performer, t("badge.episodes", { n: episodes.length })].filter(Boolean).join(" · ");
  if (!episodes.length) {
    $("#episodes").replaceChildren(el("li", { class: "muted" }, t("series.empty")));
    say(t("series.empty"));
    return;
  }
  $("#episodes").replaceChildren(
    ...episodes.map((episode, index) =>
      el("li", {}, el("button", { type: "button", dataset: { id: episode.id }, onclick: () => play(index) }, episodeLabel(episode, index), episode.duration_s ? ` (${formatClock(episode.duration_s)})` : "")),
    ),
  );
  const last = episodes.findIndex((e) => e.id === store.get(lastKey));
  say("");
  if (last >= 0) {
    const saved = store.get(`cc:pos:resource:${episodes[last].id}`);
    const where = saved && saved.p ? ` ${formatClock(saved.p)}` : "";
    const button = $("#continue-button");
    button.textContent = t("series.continue", { title: episodeLabel(episodes[last], last) + where });
    button.onclick = () => play(last);
    $("#continue").hidden = false;
  }
}

await main();
document.documentElement.dataset.ready = config().page;
