// Admin console: an organization's site type (农村 / 社区 / 机关事业单位 / 其他), its
// expected learners and its 防盗链 list (the sites allowed to embed its media), edited inline
// on its row of the organization tree.
import { el, t } from "./core.js";
import { call, notify, rowForm, showError } from "./admin-common.js";

export const SITE_TYPES = ["rural", "community", "institution", "other"];
const SITE_KEYS = { rural: "site.rural", community: "site.community", institution: "site.institution", other: "site.other" };

/** The site type's name (农村, 社区, 机关事业单位, 其他). */
export function siteTypeName(kind) {
  return t(SITE_KEYS[kind] || "site.other");
}

/** "农村 · 应学人数 120 · 防盗链 2 个网站" for an organization's row. */
export function siteLabel(org) {
  const kind = org.site_type || "other";
  const learners = org.expected_learners || 0;
  const parts = [siteTypeName(kind)];
  if (learners) parts.push(`${t("site.expected_learners")} ${learners}`);
  const sites = (org.referer_allow || []).length;
  if (sites) parts.push(t("site.referer_count", { n: sites }));
  return parts.join(" · ");
}

/** The hosts typed into the 防盗链 field: split at spaces, commas (, ，) and 、. */
export function refererHosts(text) {
  return text.split(/[\s,，、]+/).filter(Boolean);
}

/** Open the site form on `row`; `onSaved` reloads the tree after a save. */
export function siteForm(row, org, onSaved) {
  row.querySelector("form")?.remove();
  const select = el(
    "select",
    { name: "site_type", "aria-label": t("site.type") },
    ...SITE_TYPES.map((kind) => el("option", { value: kind }, siteTypeName(kind))),
  );
  select.value = org.site_type || "other";
  const learners = el("input", { name: "expected_learners", type: "number", min: 0, step: 1, value: String(org.expected_learners || 0), "aria-label": t("site.expected_learners"), required: true });
  const referers = el("input", {
    name: "referer_allow",
    type: "text",
    value: (org.referer_allow || []).join(", "),
    placeholder: t("site.referer_placeholder"),
    "aria-label": t("site.referer_allow"),
    title: t("site.referer_hint"),
  });
  const save = async () => {
    const body = {
      site_type: select.value,
      expected_learners: Number(learners.value),
      referer_allow: refererHosts(referers.value),
    };
    const res = await call(`/api/v1/orgs/${encodeURIComponent(org.id)}`, { method: "PATCH", body });
    if (!res.ok) return showError(res.error);
    form.remove();
    await onSaved();
    notify(t("site.saved", { name: org.name }));
  };
  const form = rowForm(
    { class: "site-form" },
    save,
    select,
    learners,
    referers,
    el("button", { type: "submit", class: "button small" }, t("admin.save")),
    el("button", { type: "button", class: "button small secondary", onclick: () => form.remove() }, t("admin.cancel")),
  );
  row.append(form);
  select.focus();
}
