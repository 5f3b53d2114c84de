// Live comments over Socket.IO (namespace /chat; wire names in culturecast/chat/events.py).
// Signed in (the console's token in this tab) or as a guest with a nickname kept on the
// device; the nickname travels in the connection's auth, so changing it reconnects. The server
// says when and why it refuses ({code, message} in the language given at connect); outside a
// live show the form is hidden and the page says 只有直播时才能进行评论.
import { $, config, el, socketIo, store, t } from "./core.js";

const MAX_SHOWN = 200;
const NICK = "cc:nick";
const TOKEN = "cc:token"; // the admin console's sessionStorage key

function signedInToken() {
  try {
    return sessionStorage.getItem(TOKEN);
  } catch {
    return null;
  }
}

function userName(user) {
  if (!user) return "";
  if (typeof user === "string") return user;
  return user.name || user.display_name || user.username || "";
}

/** A mark before the sender's name: 游客 for a guest's nickname, 工作人员 for the room's
 * staff (message.user.guest / .staff), so a guest never reads like staff. */
export function senderMark(user) {
  if (!user || typeof user !== "object") return null;
  if (user.staff) return el("span", { class: "chat-mark chat-mark-staff" }, t("chat.mark.staff"));
  if (user.guest) return el("span", { class: "chat-mark chat-mark-guest" }, t("chat.mark.guest"));
  return null;
}

export function messageItem(message) {
  return el(
    "li",
    { dataset: { id: message.id } },
    senderMark(message.user),
    el("strong", {}, userName(message.user)),
    "：",
    message.text,
  );
}

/** A refusal in the page's language: our catalogue first, else the server's own sentence
 * (which it wrote in the language the client connected with). */
function refusalText(refusal) {
  // Slow mode says how long to wait (the server's retry_after, in whole seconds).
  if (refusal.code === "slow_mode" && Number.isFinite(refusal.retry_after)) {
    return t("chat.slow_wait", { n: Math.max(1, Math.ceil(refusal.retry_after)) });
  }
  const key = `chat.refused.${refusal.code}`;
  return key in config().strings ? t(key) : refusal.message || t("error.unknown");
}

/**
 * Join the room of `eventId`. `onLiveChange(live)` runs when the show goes on or off air
 * (the server pushes chat_state at once), so the page can start or stop its player without
 * waiting for its next poll.
 */
export async function setupChat(eventId, { onLiveChange } = {}) {
  const status = $("#chat-state");
  const retry = $("#chat-retry");
  const io = await socketIo();
  if (!io) {
    // Offline (the client library did not load): say so, and offer to try again now; the
    // page also tries again at its next poll.
    status.textContent = t("chat.offline");
    retry.hidden = false;
    return null;
  }
  retry.hidden = true;
  const list = $("#chat-messages");
  const form = $("#chat-form");
  const nick = $("#chat-nick");
  const who = $("#chat-who");
  const likeButton = $("#chat-like");
  let token = signedInToken();
  let live = null;
  let lastState = null;
  nick.value = store.get(NICK) || "";
  const auth = () => (token ? { lang: config().lang, token } : { lang: config().lang, guest: nick.value.trim() });
  const socket = io("/chat", { auth: (cb) => cb(auth()), transports: ["websocket", "polling"] });
  const append = (message) => {
    list.append(messageItem(message));
    while (list.children.length > MAX_SHOWN) list.firstElementChild.remove();
    list.scrollTop = list.scrollHeight;
  };
  const showState = (state) => {
    lastState = state;
    showViewers();
    form.hidden = !state.open;
    likeButton.hidden = !state.live;
    $("#chat-guest").hidden = Boolean(token) || !state.open;
    if (state.closed) status.textContent = t("chat.closed");
    else if (!state.live) status.textContent = t("chat.not_live");
    else if (!token && state.guests === false) status.textContent = t("chat.login_required");
    else status.textContent = "";
    if (state.live !== live) {
      live = state.live;
      if (onLiveChange) onLiveChange(live);
    }
  };
  socket.on("connect", () => socket.emit("join", { event_id: eventId }, (ack) => {
    if (ack && ack.ok && ack.user) who.textContent = t("chat.as", { name: ack.user.name });
  }));
  socket.on("connect_error", (err) => {
    // A stale console token: comment as a guest instead.
    if (token && err && err.data && err.data.code === "login_required") {
      token = null;
      socket.connect();
      return;
    }
    status.textContent = err && err.data ? refusalText(err.data) : t("chat.offline");
  });
  socket.on("history", (messages) => {
    list.replaceChildren();
    for (const m of messages || []) append(m);
  });
  socket.on("message", append);
  socket.on("deleted", ({ message_id }) => list.querySelector(`[data-id="${CSS.escape(String(message_id))}"]`)?.remove());
  const counted = (el, key, count) => {
    el.dataset.count = String(count); // the live page freezes the last count at the end
    el.textContent = t(key, { n: count });
  };
  socket.on("likes", ({ count }) => counted($("#likes"), "chat.likes", count));
  // 在看 counts the people watching the show: nothing before it is on air, and the count
  // stays as it was once it ends (the server pushes every 5 s regardless).
  let viewers = null;
  const showViewers = () => lastState && lastState.live && viewers !== null && counted($("#viewers"), "chat.viewers", viewers);
  socket.on("viewers", ({ count }) => {
    viewers = count;
    showViewers();
  });
  socket.on("pinned", ({ text }) => {
    const pinned = $("#chat-pinned");
    pinned.textContent = text ? t("chat.pinned", { text }) : "";
    pinned.hidden = !text;
  });
  socket.on("chat_state", showState);
  socket.on("refused", (refusal) => {
    status.textContent = refusalText(refusal);
    status.dataset.code = refusal.code;
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("#chat-text");
    const text = input.value.trim();
    if (!text) return;
    socket.emit("send", { text }, (ack) => {
      if (ack && ack.ok) {
        input.value = "";
        if (lastState) showState(lastState); // clear an earlier refusal
      }
    });
  });
  // A new nickname: remember it and reconnect with it (the server reads it at connect).
  nick.addEventListener("change", () => {
    store.set(NICK, nick.value.trim());
    socket.disconnect();
    socket.connect();
  });
  likeButton.addEventListener("click", () => socket.emit("like"));
  status.textContent = t("common.loading");
  return socket;
}
