// A page that names nothing (issue 14): no player, no chat, no QR code of a missing page —
// a sentence, a way home and a few programmes to watch instead.
import { $, api, el, itemsOf, t } from "./core.js";

const SUGGESTED = 4;

/** Links to a few published programmes, into `container` (nothing if there are none). */
export async function suggestProgrammes(container) {
  const res = await api(`/api/v1/resources?limit=${SUGGESTED}`);
  const items = res.ok ? itemsOf(res.data).slice(0, SUGGESTED) : [];
  if (!items.length) return;
  container.replaceChildren(
    el("h2", {}, t("page.suggested")),
    el("ul", { class: "suggested" }, ...items.map((r) => el("li", {}, el("a", { href: `/r/${encodeURIComponent(r.id)}` }, r.title || "")))),
  );
  container.hidden = false;
}

/**
 * The item an item page shows, from the API at `path`; null when there is none to show, after
 * turning the page into the not-found page (`messageKey` says what is missing) on a 404, or
 * saying it could not load on any other failure.
 */
export async function loadItem(path, messageKey) {
  const res = await api(path);
  if (res.ok) return res.data;
  if (res.status === 404) await showMissing(messageKey);
  else $("#title").textContent = t("common.load_failed");
  return null;
}

/** Turn an item page whose item does not exist into a not-found page. */
export async function showMissing(messageKey) {
  for (const selector of ["#player", "#audio-tools", "#resume-note", ".share", ".chat", "#countdown", "#ended"]) {
    const node = $(selector);
    if (node) node.hidden = true;
  }
  const title = $("#title");
  title.textContent = t("page.not_found");
  document.title = `${t("page.not_found")} · ${t("site.name")}`;
  const box = el("section", { class: "missing" });
  const suggestions = el("div", { hidden: "" });
  box.append(
    el("p", {}, t(messageKey)),
    el("p", {}, el("a", { class: "button", href: "/" }, t("page.back_home"))),
    suggestions,
  );
  title.closest("article, main")?.append(box);
  await suggestProgrammes(suggestions);
}
