// Live comments over Socket.IO (namespace /chat; wire names in culturecast/chat/events.py).
// Guests join with the default nickname; the server says when and why it refuses.
import { $, config, el, loadScript, t } from "./core.js";

const MAX_SHOWN = 200;

function userName(user) {
  if (!user) return "";
  if (typeof user === "string") return user;
  return user.name || user.display_name || user.username || "";
}

function messageItem(message) {
  return el("li", { dataset: { id: message.id } }, el("strong", {}, userName(message.user)), "：", message.text);
}

export async function setupChat(eventId) {
  try {
    await loadScript("../vendor/socket.io.min.js"); // relative to core.js
  } catch {
    return null;
  }
  const list = $("#chat-messages");
  const form = $("#chat-form");
  const status = $("#chat-state");
  const socket = window.io("/chat", { auth: { lang: config().lang, guest: "" }, transports: ["websocket", "polling"] });
  const append = (message) => {
    list.append(messageItem(message));
    while (list.children.length > MAX_SHOWN) list.firstElementChild.remove();
    list.scrollTop = list.scrollHeight;
  };
  socket.on("connect", () => socket.emit("join", { event_id: eventId }));
  socket.on("history", (messages) => {
    list.replaceChildren();
    for (const m of messages || []) append(m);
  });
  socket.on("message", append);
  socket.on("deleted", ({ message_id }) => list.querySelector(`[data-id="${CSS.escape(String(message_id))}"]`)?.remove());
  socket.on("likes", ({ count }) => ($("#likes").textContent = t("chat.likes", { n: count })));
  socket.on("viewers", ({ count }) => ($("#viewers").textContent = t("chat.viewers", { n: count })));
  socket.on("pinned", ({ text }) => {
    const pinned = $("#chat-pinned");
    pinned.textContent = text ? t("chat.pinned", { text }) : "";
    pinned.hidden = !text;
  });
  socket.on("chat_state", (state) => {
    form.hidden = !state.open;
    status.textContent = state.closed ? t("chat.closed") : "";
  });
  socket.on("refused", ({ message }) => (status.textContent = message));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $("#chat-text");
    const text = input.value.trim();
    if (!text) return;
    socket.emit("send", { text });
    input.value = "";
  });
  $("#chat-like").addEventListener("click", () => socket.emit("like"));
  status.textContent = t("common.loading");
  return socket;
}
