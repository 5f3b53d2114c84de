// Admin console, covers (issue 14): the 「上传封面」 file input, a preview of the current cover
// and 「移除封面」, for a resource (its edit form), a series (its row) and a live event (its
// detail panel). The picture goes as the raw body of PUT …/cover (the server reads its type
// from its bytes and says why it refuses one); a draft's cover is previewed through the
// signed cover_preview_url the API gives its staff, as its other media.
import { $, el, t } from "./core.js";
import { call, clearMessages, confirmAction, getToken, notify, showError, state } from "./admin-common.js";

const MAX_BYTES = 5 * 1024 * 1024;
const PATHS = { resource: "/api/v1/resources/", series: "/api/v1/series/", live: "/api/v1/live/" };
let counter = 0;

/** The uploaded cover of an item as the API returns it: {url, preview} (or nulls). */
function coverOf(kind, item) {
  const url = kind === "live" ? item.cover || null : item.cover_url || null;
  return { url, preview: item.cover_preview_url ?? url };
}

/** PUT the file as the body; resolves to {ok, data, error} as core's api() does. */
async function sendCover(path, file) {
  const headers = { Accept: "application/json", "Content-Type": file.type || "application/octet-stream" };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, { method: "PUT", headers, body: file, credentials: "same-origin" });
  } catch (err) {
    return { ok: false, data: null, error: { code: "network", message: String(err) } };
  }
  const data = (response.headers.get("Content-Type") || "").includes("json") ? await response.json().catch(() => null) : null;
  if (response.ok) return { ok: true, data, error: null };
  if (response.status === 401) {
    state.onSignedOut?.();
    return { ok: false, data, error: { code: "bad_token", message: "" } };
  }
  return { ok: false, data, error: (data && data.error) || { code: "unknown", message: response.statusText } };
}

/**
 * The cover field of one item: `kind` is "resource", "series" or "live"; `item` the API's
 * view of it; `onChange(updated)` is told the item's new view after an upload or a removal.
 */
export function coverField(kind, item, onChange = () => {}) {
  const id = `cover-file-${++counter}`;
  const path = `${PATHS[kind]}${encodeURIComponent(item.id)}/cover`;
  const name = item.title || "";
  const preview = el("img", { class: "cover-preview", alt: t("cover.current"), width: 160, height: 90, hidden: true });
  const none = el("p", { class: "muted cover-none" });
  const input = el("input", { id, type: "file", accept: "image/*", class: "cover-file" });
  const remove = el("button", { type: "button", class: "button small secondary cover-remove" }, t("cover.remove"));
  const root = el(
    "div",
    { class: "cover-field", dataset: { kind, itemId: item.id } },
    el("p", { class: "cover-title" }, t("cover.title")),
    preview,
    none,
    el("label", { for: id, class: "cover-upload" }, t("cover.upload")),
    input,
    remove,
    el("p", { class: "muted cover-hint" }, t("cover.hint")),
  );

  const show = (current) => {
    const cover = coverOf(kind, current);
    root.dataset.hasCover = cover.url ? "true" : "false";
    preview.hidden = !cover.preview;
    if (cover.preview) preview.src = cover.preview;
    else preview.removeAttribute("src");
    none.hidden = Boolean(cover.preview);
    none.textContent = cover.url ? t("cover.preview_unavailable") : t("cover.none");
    remove.hidden = !cover.url;
  };

  input.addEventListener("change", async () => {
    const file = input.files[0];
    if (!file) return;
    clearMessages();
    if (file.size > MAX_BYTES) {
      showError({ code: "cover_too_large", message: t("cover.hint") });
      input.value = "";
      return;
    }
    notify(t("cover.uploading", { name }));
    root.dataset.state = "uploading";
    input.disabled = true;
    const res = await sendCover(path, file);
    input.disabled = false;
    input.value = "";
    root.dataset.state = res.ok ? "done" : "failed";
    if (!res.ok) return showError(res.error);
    show(res.data);
    notify(t("cover.uploaded", { name }));
    onChange(res.data);
  });

  remove.addEventListener("click", async () => {
    clearMessages();
    if (!(await confirmAction(t("cover.confirm_remove", { name })))) return;
    const res = await call(path, { method: "DELETE" });
    if (!res.ok) return showError(res.error);
    show(res.data);
    notify(t("cover.removed", { name }));
    onChange(res.data);
  });

  show(item);
  return root;
}

/** A series' cover behind a 「封面」 disclosure in its row (the list stays compact). */
export function seriesCover(series, onChange) {
  return el("details", { class: "cover-details" }, el("summary", {}, t("cover.title")), coverField("series", series, onChange));
}

/** The live detail panel's cover: fetched once when the panel opens (not on every refresh,
 * which would reset a file being chosen). */
export async function showLiveCover(eventId) {
  const box = $("#live-cover-box");
  if (!box) return;
  box.replaceChildren();
  const res = await call(`/api/v1/live/${encodeURIComponent(eventId)}`);
  if (!res.ok || $("#live-detail").dataset.eventId !== eventId) return;
  box.replaceChildren(coverField("live", res.data));
}
