// /live/<event_id>: a countdown before the show, the live player and chat during it, and the
// replay with its comments scrolling over it afterwards — one URL for the whole life of a
// show, so a link shared before it starts still works after it ends.
import { $, api, config, formatWhen, orgAndViews, pick, setFacts, t, toEpochSeconds } from "../core.js";
import { startCountdown } from "../countdown.js";
import { setupChat } from "../chat.js";
import { Playback } from "../player.js";
import { setupPrefs } from "../prefs.js";
import { ReplayComments } from "../replay_comments.js";
import { setupShare } from "../share.js";
import { EngagementBar } from "../engagement.js";
import { showMissing } from "../missing.js";

const eventId = config().event_id;
const ON_AIR = ["live", "reconnecting"];
const POLL_MS = 15000;
const POLL_PENDING_MS = 3000; // the replay is being made: look again soon
let playback = null;
let shown = null; // "scheduled" | "live" | "replay" | "pending" | "ended" | "missing"
let replayWanted = false; // the viewer tapped 「观看回看」 on the end screen
let countdownTimer = null;
let chat = null;
let updating = null;

function say(text) {
  $("#player-message").textContent = text;
}

function showStatus(event) {
  const badge = $("#status-badge");
  const key = `live.status.${event.status}`;
  badge.textContent = key in config().strings ? t(key) : event.status || "";
  badge.classList.toggle("on-air", ON_AIR.includes(event.status));
  badge.hidden = !badge.textContent;
}

function stopPlayback() {
  if (playback) playback.destroy();
  playback = null;
}

async function show(event) {
  const status = event.status;
  if (status === "scheduled") {
    if (shown === "scheduled") return;
    shown = "scheduled";
    const start = toEpochSeconds(event.scheduled_at);
    if (start !== undefined && start > Date.now() / 1000) {
      $("#countdown").hidden = false;
      // The cover staff chose (uploaded or named) stands for the show until it starts.
      if (event.cover) $("#countdown-cover").src = event.cover;
      $("#countdown-cover").hidden = !event.cover;
      $("#countdown-at").textContent = t("countdown.at", { when: formatWhen(start) });
      clearInterval(countdownTimer);
      countdownTimer = startCountdown($("#countdown-clock"), start, () => update());
    }
    say(t("live.waiting"));
  } else if (ON_AIR.includes(status)) {
    $("#countdown").hidden = true;
    clearInterval(countdownTimer);
    if (status === "reconnecting") say(t("live.status.reconnecting"));
    if (shown === "live") return;
    shown = "live";
    stopPlayback();
    playback = new Playback({ kind: "video", cover: event.cover, lowLatency: event.latency_mode === "low" });
    await playback.start("live", eventId);
  } else if (status === "ended") {
    $("#countdown").hidden = true;
    clearInterval(countdownTimer);
    if ((shown === "live" || shown === "ended") && !replayWanted) {
      // The page watched the show: end it like a broadcast, the replay waits for a tap.
      showEnded(event);
      return;
    }
    if (!event.master_url) {
      // Ended without a replay yet: the replay job is running.
      if (shown !== "pending") stopPlayback();
      shown = "pending";
      $("#chat-state").textContent = t("chat.not_live");
      say(t("live.replay_pending"));
      return;
    }
    if (shown === "replay") return;
    shown = "replay";
    stopPlayback();
    if (chat) chat.disconnect();
    chat = null;
    $("#chat-form").hidden = true;
    $("#chat-guest").hidden = true;
    $("#chat-like").hidden = true;
    $("#chat-messages").replaceChildren();
    $("#chat-retry").hidden = true;
    $("#ended").hidden = true;
    $("#chat-pinned").hidden = true;
    $("#chat-state").textContent = t("chat.not_live");
    $("#h-chat").firstChild.textContent = `${t("chat.replay_title")} `;
    playback = new Playback({ kind: "video", cover: event.cover });
    // The play API resolves an ended event to its replay (counted as the event).
    if (await playback.start("live", eventId, { resume: true })) new ReplayComments(eventId, playback.media);
  }
}

// The end screen: playback stops, the counts stay as they were at the end (labelled so),
// the chat turns read-only and keeps the show's comments listed; 「观看回看」 is enabled
// once the replay exists.
function showEnded(event) {
  if (shown !== "ended") {
    shown = "ended";
    stopPlayback();
    if (chat) chat.disconnect();
    chat = null;
    const viewers = $("#viewers");
    const watching = Number(viewers.dataset.count);
    if (viewers.textContent && Number.isFinite(watching)) {
      viewers.textContent = t("live.ended_viewers", { n: watching });
    }
    const likes = $("#likes");
    if (likes.textContent && likes.dataset.count) {
      likes.textContent = t("live.ended_likes", { n: Number(likes.dataset.count) });
    }
    for (const id of ["#chat-form", "#chat-guest", "#chat-like", "#chat-retry", "#chat-who"]) $(id).hidden = true;
    $("#chat-state").textContent = t("live.ended_chat");
    say("");
    $("#player").hidden = true;
    $("#ended").hidden = false;
  }
  const button = $("#watch-replay");
  button.disabled = !event.master_url;
  button.textContent = t(event.master_url ? "live.watch_replay" : "live.replay_preparing");
}

async function update() {
  if (updating) return updating;
  updating = (async () => {
    const res = await api(`/api/v1/live/${encodeURIComponent(eventId)}`);
    if (!res.ok) {
      if (res.status === 404) {
        if (shown !== "missing") await showMissing("live.not_found");
        shown = "missing";
      } else if (!shown) say(t("common.load_failed"));
      return;
    }
    const event = res.data;
    $("#title").textContent = pick(event, "title") || "";
    document.title = `${$("#title").textContent} · ${t("site.name")}`;
    setFacts($("#facts"), orgAndViews(event), event);
    showStatus(event);
    // Until the chat connects (its script may fail to load), every poll tries again.
    if (!chat && event.status !== "ended") {
      chat = await setupChat(eventId, { onLiveChange: () => update() });
    }
    await show(event);
  })().finally(() => (updating = null));
  return updating;
}

function schedule() {
  if (shown === "missing") return;
  setTimeout(async () => {
    await update();
    schedule();
  }, shown === "pending" || (shown === "ended" && $("#watch-replay").disabled) ? POLL_PENDING_MS : POLL_MS);
}

setupPrefs();
const engagement = new EngagementBar();
setupShare(() => engagement.shared());
$("#chat-retry").addEventListener("click", () => update());
$("#watch-replay").addEventListener("click", () => {
  replayWanted = true;
  $("#player").hidden = false;
  update();
});
await update();
if (shown !== "missing") await engagement.show("live", eventId);
schedule();
document.documentElement.dataset.ready = config().page;
