// /r/<resource_id>: one resource. Audio (评书, music) gets the audio-first layout with speed and
// a sleep timer; an episode of a series links to its series and goes on to the next episode.
import { $, api, config, el, formatClock, orgAndViews, setFacts, store, t } from "../core.js";
import { Playback, SleepTimer } from "../player.js";
import { setupPrefs } from "../prefs.js";
import { setupShare } from "../share.js";
import { EngagementBar } from "../engagement.js";
import { loadItem } from "../missing.js";

const AUTO_NEXT = "cc:auto-next";
const resourceId = config().resource_id;

function say(text) {
  $("#player-message").textContent = text;
}

function categoryLabel(resource) {
  const label = resource.category_label;
  if (label && typeof label === "object") return config().lang === "en" ? label.en : label.zh;
  return resource.category || "";
}

async function nextEpisode(resource) {
  if (!resource.series_id) return null;
  const res = await api(`/api/v1/series/${encodeURIComponent(resource.series_id)}/next?after=${encodeURIComponent(resource.id)}`);
  return res.ok && res.data ? res.data.next : null;
}

async function main() {
  setupPrefs();
  const engagement = new EngagementBar();
  setupShare(() => engagement.shared());
  const resource = await loadItem(`/api/v1/resources/${encodeURIComponent(resourceId)}`, "resource.not_found");
  if (!resource) {
    say("");
    return;
  }
  $("#title").textContent = resource.title;
  document.title = `${resource.title} · ${t("site.name")}`;
  const meta = [categoryLabel(resource), resource.performer, resource.duration_s ? formatClock(resource.duration_s) : "", ...orgAndViews(resource)];
  setFacts($("#meta"), meta, resource);
  $("#description").textContent = resource.description || "";
  await engagement.show("resource", resource.id);
  if (resource.series_id) {
    const link = $("#series-link");
    link.replaceChildren(el("a", { href: `/s/${encodeURIComponent(resource.series_id)}` }, t("series.part_of", { title: resource.series_title || "" })));
    link.hidden = false;
  }
  const playback = new Playback({ kind: resource.kind === "audio" ? "audio" : "video", title: resource.title, cover: resource.cover_url || resource.poster_url, coverText: resource.series_title || resource.title });
  const sleep = new SleepTimer(() => playback.media);
  const next = await nextEpisode(resource);
  if (next) {
    const p = $("#next-episode");
    p.replaceChildren(el("a", { class: "button secondary", href: `/r/${encodeURIComponent(next.id)}` }, `${t("series.next")}：${next.title}`));
    p.hidden = false;
    playback.onEnded = () => {
      if (sleep.stopsAtEnd()) return;
      if (store.get(AUTO_NEXT) !== false) location.href = `/r/${encodeURIComponent(next.id)}`;
    };
  } else {
    playback.onEnded = () => sleep.stopsAtEnd();
  }
  await playback.start("resource", resource.id, { resume: true });
}

await main();
document.documentElement.dataset.ready = config().page;
