// Admin console, live events: create (OBS settings shown once), list with status badges, a
// detail panel with stream health every 2 s, the refusal log, push targets (转推: state at a
// glance, add, remove), key rotation, stop, and chat moderation over Socket.IO (/chat, signed
// in with the admin's token).
import { $, config, el, formatWhen, itemsOf, socketIo, t } from "./core.js";
import {
  button,
  call,
  callOrShow,
  clearMessages,
  confirmAction,
  copyText,
  fillOrgSelect,
  formatNumber,
  getToken,
  notify,
  orgName,
  showError,
} from "./admin-common.js";
import { onTab } from "./admin-tabs.js";
import { showLiveCover } from "./admin-covers.js";
import { senderMark } from "./chat.js";

const HEALTH_EVERY_MS = 2000;
const MUTE_SECONDS = 600;
// room: the viewers the chat room counts (what the public page shows as 在看), pushed to the
// moderation socket; peak: the statistics' peak.
const live = { events: [], current: null, timer: null, socket: null, room: null, peak: null, ended: false, sanctions: [] };

function statusBadge(status) {
  return el("span", { class: `badge status-${status}`, dataset: { status } }, t(`live.status.${status}`));
}

async function loadEvents() {
  const data = await callOrShow("/api/v1/live?limit=200");
  if (!data) return;
  live.events = itemsOf(data);
  const rows = live.events.map((event) =>
    el(
      "tr",
      { dataset: { eventId: event.id } },
      el("td", {}, event.title),
      el("td", {}, statusBadge(event.status)),
      el("td", {}, event.scheduled_at ? formatWhen(event.scheduled_at) : "–"),
      el("td", {}, orgName(event.org_id)),
      el("td", {}, button(t("live_admin.manage"), () => openDetail(event.id))),
    ),
  );
  $("#live-table tbody").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 5, class: "muted" }, t("live_admin.empty")))]));
}

function showObs(obs) {
  $("#obs-server").value = obs.server;
  $("#obs-key").value = obs.key;
  $("#obs-box").hidden = false;
  $("#obs-box").scrollIntoView({ block: "nearest" });
}

async function createEvent(event) {
  event.preventDefault();
  clearMessages();
  const form = new FormData(event.target);
  const body = {
    org_id: form.get("org_id"),
    title: form.get("title").trim(),
    category: form.get("category"),
    published: form.get("published") === "on",
  };
  const kind = form.get("source_type");
  if (kind === "pull") body.source = { type: "pull", url: String(form.get("pull_url") || "").trim() };
  if (kind === "playout") {
    const items = String(form.get("playout_items") || "").split(/[\s,，]+/).filter(Boolean);
    body.source = { type: "playout", items, loop: form.get("loop") === "on" };
  }
  const when = form.get("scheduled_at");
  // The form's time is China Standard Time (UTC+8, no daylight saving), like every time the
  // console shows, whatever zone the admin's computer is set to.
  if (when) body.scheduled_at = Date.parse(`${when}:00+08:00`) / 1000;
  const data = await callOrShow("/api/v1/live", { method: "POST", body });
  if (!data) return;
  if (!body.source) showObs(data.obs);
  notify(t("admin.created", { name: data.title }));
  event.target.reset();
  fillOrgSelect($("#live-org"));
  await loadEvents();
  openDetail(data.id, { keepObs: true });
}

// Detail: health, refusals, viewers, moderation

function closeDetail() {
  clearInterval(live.timer);
  live.timer = null;
  live.socket?.disconnect();
  live.socket = null;
  live.current = null;
  live.room = null;
  live.peak = null;
  live.ended = false;
  live.sanctions = [];
  $("#live-detail").hidden = true;
}

async function openDetail(eventId, { keepObs = false } = {}) {
  closeDetail();
  if (!keepObs) $("#obs-box").hidden = true;
  live.current = eventId;
  const section = $("#live-detail");
  section.hidden = false;
  section.dataset.eventId = eventId;
  $("#live-detail-link").href = `/live/${encodeURIComponent(eventId)}`;
  for (const dd of section.querySelectorAll("#live-health dd")) dd.textContent = "–";
  $("#mod-messages").replaceChildren();
  await refresh();
  showLiveCover(eventId);
  live.timer = setInterval(refresh, HEALTH_EVERY_MS);
  connectModeration(eventId);
  // Just created: the one-time OBS key stays in view (it is shown only this once).
  (keepObs && !$("#obs-box").hidden ? $("#obs-box") : section).scrollIntoView({ block: "start" });
}

function setFigure(name, text) {
  $(`#health-${name}`).textContent = text;
}

function renderHealth(report) {
  const h = report.health;
  const note = $("#health-note");
  if (!h) {
    note.textContent = t("health.none");
    for (const dd of document.querySelectorAll("#live-health dd:not(#health-viewers)")) dd.textContent = "–";
    return;
  }
  note.textContent = report.stale ? t("health.stale") : t("health.updated", { when: new Date(h.at * 1000).toLocaleTimeString(config().lang) });
  setFigure("bitrate", t("health.kbps", { n: formatNumber(h.bitrate_kbps, 0) }));
  setFigure("fps", formatNumber(h.fps, 1));
  setFigure("keyframe", h.keyframe_interval_s == null ? "–" : t("health.seconds", { n: formatNumber(h.keyframe_interval_s, 2) }));
  setFigure("resolution", h.width && h.height ? `${h.width}×${h.height}` : "–");
  setFigure("codecs", [h.video_codec, h.audio_codec].filter(Boolean).join(" / ") || "–");
  setFigure("speed", h.transcoder_speed == null ? "–" : `${formatNumber(h.transcoder_speed, 2)}×`);
  setFigure("restarts", formatNumber(h.transcoder_restarts));
  const shed = h.shed_rungs || [];
  setFigure("ladder", shed.length || h.ladder_sheds ? t("health.ladder_value", { rungs: shed.join(", ") || t("health.ladder_none"), sheds: formatNumber(h.ladder_sheds || 0), restores: formatNumber(h.ladder_restores || 0) }) : t("health.ladder_none"));
  setFigure("drops", t("health.drops_value", { frames: formatNumber(h.transcoder_dropped_frames), tags: formatNumber(h.dropped_tags) }));
}

/** 在线 is the chat room's count, the very number the public page shows; the peak is the
 * statistics' (never below what is watching now). */
function showViewers() {
  if (live.room === null) return;
  const peak = Math.max(live.peak ?? 0, live.room);
  setFigure("viewers", t("health.viewers_value", { current: formatNumber(live.room), peak: formatNumber(peak) }));
}

async function refresh() {
  const id = live.current;
  if (!id) return;
  const path = `/api/v1/live/${encodeURIComponent(id)}`;
  const [event, health, refusals, viewers, targets] = await Promise.all([
    call(path),
    call(`${path}/health`),
    call(`${path}/refusals`),
    call(`/api/v1/stats/live/${encodeURIComponent(id)}`),
    call(`${path}/targets`),
  ]);
  if (live.current !== id) return; // another event was opened meanwhile
  if (!event.ok) {
    closeDetail();
    return;
  }
  $("#h-live-detail").textContent = event.data.title;
  $("#live-detail-status").replaceWith(Object.assign(statusBadge(event.data.status), { id: "live-detail-status" }));
  $("#live-stop").disabled = event.data.status === "ended";
  $("#live-rotate").disabled = event.data.status === "ended";
  const ended = event.data.status === "ended";
  if (health.ok && !ended) renderHealth(health.data);
  if (ended) {
    // Off air: no stale encoder figures, and the way to the replay once it exists.
    for (const dd of document.querySelectorAll("#live-health dd:not(#health-viewers)")) dd.textContent = "–";
    $("#health-note").textContent = t("live_admin.ended_health");
  }
  const replay = $("#live-replay-link");
  replay.hidden = !(ended && event.data.master_url);
  replay.href = `/live/${encodeURIComponent(id)}`;
  if (refusals.ok) {
    const items = itemsOf(refusals.data).map((r) =>
      el("li", { dataset: { code: r.code } }, el("time", {}, formatWhen(r.at)), " ", refusalSentence(r.message)),
    );
    $("#live-refusals").replaceChildren(...(items.length ? items : [el("li", { class: "muted" }, t("live_admin.no_refusals"))]));
  }
  renderSource(event.data);
  if (targets.ok) renderTargets(itemsOf(targets.data));
  live.ended = ended;
  if (viewers.ok) {
    live.peak = viewers.data.peak_viewers;
    // Off air nobody is watching the show (the room may still hold its ended pages).
    if (live.room === null || ended) live.room = viewers.data.current_viewers;
    showViewers();
  }
  const row = document.querySelector(`#live-table tr[data-event-id="${CSS.escape(id)}"] td:nth-child(2)`);
  row?.replaceChildren(statusBadge(event.data.status));
}

/** A pull or playout event's source status: the last error and the skipped items, each
 * in the page's language (the API gives zh and en). */
function renderSource(event) {
  const kind = (event.source || {}).type || "push";
  $("#live-source-box").hidden = kind === "push";
  if (kind === "push") return;
  const status = event.source_status || {};
  const say = (n) => (config().lang === "en" ? n.en : n.zh);
  const state = $("#live-source-state");
  state.className = status.error ? "alert" : "muted";
  if (status.error) state.textContent = say(status.error);
  else if (status.item) state.textContent = t("live_admin.source_on_air", { n: status.item.position + 1, id: status.item.resource_id });
  else state.textContent = t("live_admin.source_ok");
  const skipped = (status.skipped || []).slice().reverse().map((s) =>
    el("li", { dataset: { code: s.code } }, el("time", {}, formatWhen(s.at)), " ", say(s)),
  );
  $("#live-skipped").replaceChildren(...(skipped.length ? skipped : [el("li", { class: "muted" }, "–")]));
}

function showSourceFields() {
  const kind = $("#live-source").value;
  $("#live-source-pull").hidden = kind !== "pull";
  $("#live-source-playout").hidden = kind !== "playout";
  $("#live-pull-url").required = kind === "pull";
  $("#live-playout-items").required = kind === "playout";
}

/** A publish refusal's sentence in the page's language: the stored message is the Chinese
 * sentence then the English one (OBS shows both), so the code itself is never shown. */
function refusalSentence(message) {
  const text = String(message || "");
  const end = text.lastIndexOf("。") + 1;
  const sentence = config().lang === "en" ? text.slice(end) : text.slice(0, end);
  return sentence.trim() || t("error.unknown");
}

// Push targets (转推)

function formatBytes(n) {
  if (n >= 1 << 30) return `${formatNumber(n / (1 << 30), 2)} GB`;
  if (n >= 1 << 20) return `${formatNumber(n / (1 << 20), 1)} MB`;
  return `${formatNumber(n / 1024, 0)} KB`;
}

function targetState(target) {
  const badge = el("span", { class: `badge target-${target.state}`, dataset: { state: target.state } }, t(`targets.state.${target.state}`));
  const since = target.since ? el("small", { class: "muted" }, " ", t("targets.since", { when: formatWhen(target.since) })) : null;
  // The error is the server's sentence in both languages: show the page's.
  const error = target.error ? el("div", { class: "target-error", dataset: { code: target.error.code } }, config().lang === "en" ? target.error.en : target.error.zh) : null;
  return [badge, since, error];
}

function renderTargets(targets) {
  const rows = targets.map((target) =>
    el(
      "tr",
      { dataset: { targetId: target.id, state: target.state } },
      el("td", {}, target.name),
      el("td", {}, el("code", {}, target.url)),
      el("td", {}, ...targetState(target)),
      el("td", {}, formatBytes(target.bytes_sent)),
      el("td", {}, button(t("targets.remove"), () => removeTarget(target))),
    ),
  );
  $("#live-targets tbody").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 5, class: "muted" }, t("targets.empty")))]));
}

async function addTarget(event) {
  event.preventDefault();
  clearMessages();
  const form = new FormData(event.target);
  const body = { name: form.get("name").trim(), url: form.get("url").trim(), key: form.get("key").trim() };
  const data = await callOrShow(`/api/v1/live/${encodeURIComponent(live.current)}/targets`, { method: "POST", body });
  if (!data) return;
  event.target.reset();
  notify(t("targets.added", { name: data.name }));
  await refresh();
}

async function removeTarget(target) {
  clearMessages();
  if (!(await confirmAction(t("targets.confirm_remove", { name: target.name })))) return;
  const res = await call(`/api/v1/live/${encodeURIComponent(live.current)}/targets/${encodeURIComponent(target.id)}`, { method: "DELETE" });
  if (!res.ok) return showError(res.error);
  notify(t("targets.removed", { name: target.name }));
  await refresh();
}

async function rotateKey() {
  clearMessages();
  if (!(await confirmAction(t("live_admin.confirm_rotate")))) return;
  const data = await callOrShow(`/api/v1/live/${encodeURIComponent(live.current)}/key`, { method: "POST" });
  if (!data) return;
  if (!body.source) showObs(data.obs);
  notify(t("live_admin.rotated"));
}

async function stopEvent() {
  clearMessages();
  if (!(await confirmAction(t("live_admin.confirm_stop")))) return;
  const data = await callOrShow(`/api/v1/live/${encodeURIComponent(live.current)}/stop`, { method: "POST" });
  if (!data) return;
  notify(t("live_admin.stopped", { name: data.title }));
  await Promise.all([refresh(), loadEvents()]);
}

async function deleteEvent() {
  clearMessages();
  const event = live.events.find((e) => e.id === live.current);
  if (!(await confirmAction(t("admin.confirm_delete", { name: event ? event.title : live.current })))) return;
  const res = await call(`/api/v1/live/${encodeURIComponent(live.current)}`, { method: "DELETE" });
  if (!res.ok) return showError(res.error);
  closeDetail();
  await loadEvents();
  notify(t("admin.deleted", { name: event ? event.title : "" }));
}

// Moderation over Socket.IO

function messageRow(socket, message) {
  const user = message.user || {};
  return el(
    "li",
    { dataset: { id: message.id } },
    senderMark(user),
    el("strong", {}, user.name || ""),
    "：",
    el("span", { class: "text" }, message.text),
    " ",
    button(t("mod.delete"), () => socket.emit("delete", { message_id: message.id })),
    // Each sanction says it took hold (or why not), in the console's status line.
    user.id ? button(t("mod.mute"), () => socket.emit("mute", { user_id: user.id, seconds: MUTE_SECONDS }, sanctioned("mod.muted_done", user))) : null,
    user.id ? button(t("mod.ban"), () => socket.emit("ban", { user_id: user.id }, sanctioned("mod.banned_done", user))) : null,
  );
}

/** The acknowledgement of a mute or ban: a confirmation naming the user, or the refusal. */
function sanctioned(key, user) {
  return (ack) => {
    if (ack && ack.ok) notify(t(key, { name: user.name || "" }));
    else if (ack) {
      const refusal = `chat.refused.${ack.code}`;
      notify(refusal in config().strings ? t(refusal) : t("error.unknown"));
    }
  };
}

/** The room's mutes and bans in force, each with the time left and a button that lifts it. */
function showSanctions(socket) {
  const now = Date.now();
  const rows = live.sanctions
    .filter((s) => s.until === null || Date.parse(s.until) > now)
    .map((s) => {
      const left = s.until === null ? t("mod.forever") : t("mod.left_minutes", { n: Math.max(1, Math.ceil((Date.parse(s.until) - now) / 60000)) });
      const user = { name: s.nickname };
      const banned = s.kind === "ban";
      const lift = banned ? ["mod.unban", "mod.unbanned_done"] : ["mod.unmute", "mod.unmuted_done"];
      return el(
        "li",
        { dataset: { userId: s.user_id, kind: s.kind } },
        el("strong", {}, s.nickname),
        el("span", { class: "badge" }, banned ? t("mod.kind_ban") : t("mod.kind_mute")),
        el("span", { class: "muted" }, left),
        button(t(lift[0]), () => socket.emit(s.kind, { user_id: s.user_id, seconds: 0 }, sanctioned(lift[1], user))),
      );
    });
  $("#mod-sanctions").replaceChildren(...rows);
  $("#mod-sanctions-empty").hidden = rows.length > 0;
}

async function connectModeration(eventId) {
  const list = $("#mod-messages");
  const state = $("#mod-state");
  const io = await socketIo();
  if (!io) {
    state.textContent = t("common.load_failed");
    return;
  }
  if (live.current !== eventId) return;
  live.sanctions = [];
  $("#mod-sanctions").replaceChildren();
  $("#mod-sanctions-empty").hidden = false;
  const socket = io("/chat", { auth: { token: getToken(), lang: config().lang }, transports: ["websocket", "polling"], forceNew: true });
  live.socket = socket;
  const append = (m) => {
    list.append(messageRow(socket, m));
    while (list.children.length > 200) list.firstElementChild.remove();
  };
  // The console follows the room without being one of its viewers (not counted in 在看).
  socket.on("connect", () =>
    socket.emit("join", { event_id: eventId, watching: false }, (ack) => {
      if (!ack || !ack.moderator) return;
      socket.emit("sanctions", {}, (listed) => {
        if (live.current !== eventId || !listed || !listed.ok) return;
        live.sanctions = listed.sanctions;
        showSanctions(socket);
      });
    }),
  );
  socket.on("sanctions", (listed) => {
    if (live.current !== eventId) return;
    live.sanctions = listed || [];
    showSanctions(socket);
  });
  socket.on("history", (messages) => {
    list.replaceChildren();
    for (const m of messages || []) append(m);
  });
  socket.on("viewers", ({ count }) => {
    if (live.current !== eventId || live.ended) return;
    live.room = count;
    showViewers();
    showSanctions(socket); // the time left counts down with each push (every 5 s)
  });
  socket.on("message", append);
  socket.on("deleted", ({ message_id }) => list.querySelector(`[data-id="${CSS.escape(String(message_id))}"]`)?.remove());
  socket.on("pinned", ({ text }) => {
    $("#mod-pinned").textContent = text ? t("chat.pinned", { text }) : "";
    $("#mod-pinned").hidden = !text;
  });
  socket.on("chat_state", (s) => {
    state.textContent = [s.closed ? t("mod.state_closed") : s.open ? t("mod.state_open") : t("mod.state_not_live"), s.slow_mode ? t("mod.slow_seconds", { n: s.slow_mode }) : ""].filter(Boolean).join(" · ");
    state.dataset.closed = String(Boolean(s.closed));
    $("#mod-slow").value = String(s.slow_mode || 0);
  });
  socket.on("refused", ({ code, message }) => {
    const key = `chat.refused.${code}`;
    state.textContent = key in config().strings ? t(key) : message;
  });
  socket.on("connect_error", () => (state.textContent = t("error.network")));
}

function moderate(name, payload) {
  live.socket?.emit(name, payload);
}

export function setupLive(context) {
  context.onOrgs(() => fillOrgSelect($("#live-org")));
  onTab("live", () => {
    loadEvents();
  });
  $("#live-form").addEventListener("submit", createEvent);
  $("#live-source").addEventListener("change", showSourceFields);
  $("#live-form").addEventListener("reset", () => setTimeout(showSourceFields));
  for (const b of document.querySelectorAll("#obs-box [data-copy]")) {
    b.addEventListener("click", () => {
      const input = $(`#${b.dataset.copy}`);
      copyText(input.value, input);
    });
  }
  $("#obs-hide").addEventListener("click", () => {
    $("#obs-key").value = "";
    $("#obs-box").hidden = true;
  });
  $("#live-rotate").addEventListener("click", rotateKey);
  $("#target-form").addEventListener("submit", addTarget);
  $("#live-stop").addEventListener("click", stopEvent);
  $("#live-delete").addEventListener("click", deleteEvent);
  $("#live-close-detail").addEventListener("click", closeDetail);
  $("#mod-close").addEventListener("click", () => moderate("close"));
  $("#mod-open").addEventListener("click", () => moderate("open"));
  $("#mod-slow").addEventListener("change", (e) => moderate("slow", { seconds: Number(e.target.value) }));
  $("#mod-pin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    moderate("pin", { text: $("#mod-pin-text").value.trim() });
  });
}
