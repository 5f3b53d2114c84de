// What every part of the admin console shares: the token, the API call that sends it, the
// alert/status lines, the organizations the caller may manage, and small form helpers.
// The token lives in sessionStorage: it ends with the tab, and no other site can read it.
import { $, api, config, el, errorText, t } from "./core.js";

const TOKEN = "cc:token";
export const state = { token: null, user: null, orgs: [], users: [], onSignedOut: null };

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN);
  } catch {
    return state.token;
  }
}

export function setToken(token) {
  state.token = token;
  try {
    if (token) sessionStorage.setItem(TOKEN, token);
    else sessionStorage.removeItem(TOKEN);
  } catch {
    // kept in memory only
  }
}

export function showError(error) {
  const box = $("#admin-error");
  const { main, detail } = errorText(error);
  box.replaceChildren(el("span", {}, main), ...(detail ? [" ", el("span", { class: "detail" }, detail)] : []));
  box.hidden = false;
  box.dataset.code = error.code || "";
  $("#admin-status").textContent = "";
}

export function clearMessages() {
  $("#admin-error").hidden = true;
  $("#admin-error").replaceChildren();
  $("#admin-status").textContent = "";
}

export function notify(text) {
  $("#admin-status").textContent = text;
}

/** Call the API with the token; a 401 means the session is over: back to the sign-in form. */
export async function call(path, options = {}) {
  const res = await api(path, { ...options, token: getToken() });
  if (res.status === 401 && path !== "/api/v1/auth/login") {
    setToken(null);
    state.onSignedOut?.();
    showError({ code: "bad_token", message: "" });
  }
  return res;
}

/** Call, and show the error in the page's language when it fails; resolves to the data or
 * null. */
export async function callOrShow(path, options = {}) {
  const res = await call(path, options);
  if (!res.ok) {
    showError(res.error);
    return null;
  }
  return res.data ?? {};
}

export function levelName(org) {
  const key = `level.${org.level}`;
  return key in config().strings ? t(key) : org.level_name || "";
}

/** Fill a <select> with the caller's organizations, highest level first; keeps the choice
 * and, when there is none yet, picks the caller's own organization. */
export function fillOrgSelect(select, { withNone = false } = {}) {
  const current = select.value;
  const options = withNone ? [el("option", { value: "" }, t("admin.no_org"))] : [];
  const sorted = [...state.orgs].sort((a, b) => a.level - b.level || a.name.localeCompare(b.name, "zh-CN"));
  for (const org of sorted) options.push(el("option", { value: org.id }, `${org.name}（${levelName(org)}）`));
  select.replaceChildren(...options);
  if (current && state.orgs.some((o) => o.id === current)) select.value = current;
  else if (state.user?.org_id && state.orgs.some((o) => o.id === state.user.org_id)) select.value = state.user.org_id;
}

export function orgName(id) {
  const org = state.orgs.find((o) => o.id === id);
  return org ? org.name : id ? id : t("admin.no_org");
}

export function confirmAction(text) {
  const dialog = $("#confirm-dialog");
  $("#confirm-text").textContent = text;
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true });
    dialog.showModal();
  });
}

/** Copy text to the clipboard; falls back to selecting it in `input` (older WebViews). */
export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    input?.select();
    try {
      document.execCommand("copy");
    } catch {
      return false;
    }
  }
  notify(t("admin.copied"));
  return true;
}

export function button(labelKeyText, onclick, cls = "button small secondary") {
  return el("button", { type: "button", class: cls, onclick }, labelKeyText);
}

/** A form opened in a row (edit, site type): submitting it runs `onSubmit` instead of loading
 * a page, after clearing the last messages. `attrs` as for el(). */
export function rowForm(attrs, onSubmit, ...children) {
  const submit = async (event) => {
    event.preventDefault();
    clearMessages();
    await onSubmit();
  };
  return el("form", { ...attrs, onsubmit: submit }, ...children);
}

/** A number in the page's language (thousands separators). */
export function formatNumber(n, digits = 0) {
  return new Intl.NumberFormat(config().lang, { maximumFractionDigits: digits }).format(n || 0);
}

/** Watch time as a manager reports it, with its unit: hours with one decimal from an hour
 * on ("12.5小时"), else minutes ("25分钟", "2.5分钟" under ten), so a small item never reads "0". */
export function watchTime(seconds) {
  const s = seconds || 0;
  if (s >= 3600) return t("stats.hours_value", { n: formatNumber(s / 3600, 1) });
  const minutes = s / 60;
  return t("stats.minutes_value", { n: formatNumber(minutes, minutes < 10 ? 1 : 0) });
}

/** The text of a resource/category label object {zh, en} in the page's language. */
export function labelOf(label, fallback = "") {
  if (!label) return fallback;
  return (config().lang === "en" ? label.en : label.zh) || fallback;
}
