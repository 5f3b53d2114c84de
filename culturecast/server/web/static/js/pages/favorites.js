// /favorites: 我的收藏, the viewer's favorites newest first (a guest's are this device's).
import { $, api, config, el, formatWhen, itemsOf, t } from "../core.js";
import { setupPrefs } from "../prefs.js";

const PAGE = { resource: "r", live: "live" };

function row(item) {
  const href = `/${PAGE[item.item_type] || "r"}/${encodeURIComponent(item.item_id)}`;
  return el(
    "li",
    { class: "favorite" },
    el("a", { class: "favorite-link", href }, item.title || item.item_id),
    el("span", { class: "muted" }, t("favorites.saved_at", { when: formatWhen(item.at) })),
  );
}

setupPrefs();
const list = $("#favorites");
const res = await api("/api/v1/favorites");
if (!res.ok) {
  list.replaceChildren(el("li", { class: "empty" }, t("common.load_failed")));
} else {
  const items = itemsOf(res.data);
  list.replaceChildren(...(items.length ? items.map(row) : [el("li", { class: "empty" }, t("favorites.empty"))]));
}
list.setAttribute("aria-busy", "false");
document.documentElement.dataset.ready = config().page;
