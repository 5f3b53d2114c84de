// Admin console: an organization's site type (农村 / 社区 / 机关事业单位 / 其他) and its
// expected learners, edited inline on its row of the organization tree.
import { el, t } from "./core.js";
import { call, notify, rowForm, showError } from "./admin-common.js";

export const SITE_TYPES = ["rural", "community", "institution", "other"];
const SITE_KEYS = { rural: "site.rural", community: "site.community", institution: "site.institution", other: "site.other" };

/** The site type's name (农村, 社区, 机关事业单位, 其他). */
export function siteTypeName(kind) {
  return t(SITE_KEYS[kind] || "site.other");
}

/** "农村 · 应学人数 120" for an organization's row. */
export function siteLabel(org) {
  const kind = org.site_type || "other";
  const learners = org.expected_learners || 0;
  return learners ? `${siteTypeName(kind)} · ${t("site.expected_learners")} ${learners}` : siteTypeName(kind);
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
  const save = async () => {
    const body = { site_type: select.value, expected_learners: Number(learners.value) };
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
    el("button", { type: "submit", class: "button small" }, t("admin.save")),
    el("button", { type: "button", class: "button small secondary", onclick: () => form.remove() }, t("admin.cancel")),
  );
  row.append(form);
  select.focus();
}
