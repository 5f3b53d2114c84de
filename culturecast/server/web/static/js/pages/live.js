// /live/<event_id>: a countdown before the show, the live player during it, the replay after.
import { $, api, config, formatWhen, hasApi, pick, t, toEpochSeconds } from "../core.js";
import { startCountdown } from "../countdown.js";
import { setupChat } from "../chat.js";
import { Playback } from "../player.js";
import { setupPrefs } from "../prefs.js";
import { setupShare } from "../share.js";

const EVENT = "/api/v1/live/{}";
const eventId = config().event_id;
const LIVE = ["live", "reconnecting"];
let playback = null;
let shownStatus = null;
let countdownTimer = null;

function say(text) {
  $("#player-message").textContent = text;
}

async function fetchEvent() {
  return api(`/api/v1/live/${encodeURIComponent(eventId)}`);
}

function showStatus(event) {
  const badge = $("#status-badge");
  const key = `live.status.${event.status}`;
  badge.textContent = key in config().strings ? t(key) : event.status || "";
  badge.hidden = !badge.textContent;
}

async function update() {
  const res = await fetchEvent();
  if (!res.ok) {
    if (res.status === 404) {
      $("#title").textContent = t("live.not_found");
      say(t("live.not_found"));
    } else if (!shownStatus) say(t("common.load_failed"));
    return;
  }
  const event = res.data;
  $("#title").textContent = pick(event, "title", "name") || "";
  document.title = `${$("#title").textContent} · ${t("site.name")}`;
  showStatus(event);
  if (event.status === shownStatus) return;
  shownStatus = event.status;
  if (event.status === "scheduled") {
    const start = toEpochSeconds(pick(event, "scheduled_start", "starts_at", "scheduled_at", "start_at"));
    if (start !== undefined) {
      $("#countdown").hidden = false;
      $("#countdown-at").textContent = t("countdown.at", { when: formatWhen(start) });
      clearInterval(countdownTimer);
      countdownTimer = startCountdown($("#countdown-clock"), start, update);
    }
    say(t("live.status.scheduled"));
  } else if (LIVE.includes(event.status)) {
    $("#countdown").hidden = true;
    clearInterval(countdownTimer);
    if (!playback) {
      playback = new Playback({ kind: "video" });
      await playback.start("live", eventId);
    }
  } else if (event.status === "ended") {
    $("#countdown").hidden = true;
    const replay = pick(event, "replay_resource_id", "resource_id") || event.replay?.resource_id;
    if (playback) playback.destroy();
    playback = null;
    if (replay) {
      playback = new Playback({ kind: "video" });
      await playback.start("resource", replay, { resume: true });
    } else if (event.replay || event.master_url) {
      // The same URL becomes the replay: the play API resolves an ended event to it.
      playback = new Playback({ kind: "video" });
      await playback.start("live", eventId, { resume: true });
    } else {
      say(t("live.replay_pending"));
      shownStatus = null; // look again: the replay appears when its job finishes
    }
  }
}

setupPrefs();
setupShare();
if (!hasApi(EVENT)) {
  $("#title").textContent = t("common.coming_soon");
  say(t("player.play_missing"));
} else {
  await update();
  setInterval(update, 15000);
  if (hasApi("/socket.io/")) setupChat(eventId);
}
document.documentElement.dataset.ready = config().page;
