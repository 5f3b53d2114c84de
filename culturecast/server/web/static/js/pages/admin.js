// The admin console: sign-in, the organization tree and users over the accounts API, and the
// tabs for live events, resources and statistics (../admin-*.js).
import { $, api, config, el, itemsOf, t } from "../core.js";
import { setupPrefs } from "../prefs.js";
import {
  call,
  clearMessages,
  confirmAction,
  fillOrgSelect,
  getToken,
  levelName,
  notify,
  orgName,
  setToken,
  showError,
  state,
} from "../admin-common.js";
import { setupTabs, showTabs } from "../admin-tabs.js";
import { setupLive } from "../admin-live.js";
import { setupResources } from "../admin-resources.js";
import { setupStats } from "../admin-stats.js";
import { siteForm, siteLabel } from "../admin-sites.js";

const orgListeners = [];

function showLogin() {
  $("#console").hidden = true;
  $("#login-section").hidden = false;
}

async function showConsole(user) {
  state.user = user;
  $("#login-section").hidden = true;
  $("#console").hidden = false;
  $("#whoami").textContent = t("admin.signed_in_as", { name: user.display_name || user.username });
  $("#root-org-form").hidden = user.role !== "platform_admin";
  await Promise.all([loadOrgs(), loadUsers()]);
  showTabs();
}

// Organizations

async function loadOrgs() {
  const res = await call("/api/v1/orgs");
  if (!res.ok) return showError(res.error);
  state.orgs = itemsOf(res.data);
  renderTree();
  renderOrgOptions();
  for (const listener of orgListeners) listener();
}


function renderTree() {
  const tree = $("#org-tree");
  const byParent = new Map();
  const ids = new Set(state.orgs.map((o) => o.id));
  for (const org of state.orgs) {
    // An org admin's own organization has a parent outside what they can see: a root here.
    const parent = org.parent_id && ids.has(org.parent_id) ? org.parent_id : null;
    if (!byParent.has(parent)) byParent.set(parent, []);
    byParent.get(parent).push(org);
  }
  for (const list of byParent.values()) list.sort((a, b) => a.name.localeCompare(b.name, "zh-CN"));
  const branch = (parent) => (byParent.get(parent) || []).map((org) => orgNode(org, byParent.has(org.id) ? el("ul", {}, branch(org.id)) : null));
  const roots = branch(null);
  tree.replaceChildren(...(roots.length ? roots : [el("li", { class: "muted" }, t("admin.orgs_empty"))]));
}

function orgNode(org, children) {
  const row = el(
    "div",
    { class: "org-node", dataset: { orgId: org.id } },
    el("span", { class: "org-name" }, org.name),
    el("span", { class: "muted" }, levelName(org)),
    el("span", { class: "muted site-label" }, siteLabel(org)),
    org.level < 5 ? el("button", { type: "button", class: "button small secondary", onclick: () => inlineForm(row, "admin.child_name", "", "admin.create", (name) => createOrg(name, org.id)) }, t("admin.add_child")) : null,
    el("button", { type: "button", class: "button small secondary", onclick: () => inlineForm(row, "admin.new_name", org.name, "admin.save", (name) => renameOrg(org, name)) }, t("admin.rename")),
    el("button", { type: "button", class: "button small secondary", onclick: () => siteForm(row, org, loadOrgs) }, t("site.edit")),
    el("button", { type: "button", class: "button small secondary", onclick: () => deleteOrg(org) }, t("admin.delete")),
  );
  return el("li", {}, row, children);
}

function inlineForm(row, labelKey, value, submitKey, action) {
  row.querySelector("form")?.remove();
  const input = el("input", { name: "name", value, maxlength: 100, required: true, "aria-label": t(labelKey) });
  const form = el(
    "form",
    {
      onsubmit: async (event) => {
        event.preventDefault();
        if (await action(input.value.trim())) form.remove();
      },
    },
    input,
    el("button", { type: "submit", class: "button small" }, t(submitKey)),
    el("button", { type: "button", class: "button small secondary", onclick: () => form.remove() }, t("admin.cancel")),
  );
  row.append(form);
  input.focus();
}

/** Send one change to an organization; on success reload the tree and say `doneKey` of it. */
async function saveOrg(path, method, body, doneKey) {
  clearMessages();
  const res = await call(path, { method, body });
  if (!res.ok) {
    showError(res.error);
    return false;
  }
  await loadOrgs();
  notify(t(doneKey, { name: res.data.name }));
  return true;
}

function createOrg(name, parentId) {
  const body = parentId ? { name, parent_id: parentId } : { name };
  return saveOrg("/api/v1/orgs", "POST", body, "admin.created");
}

function renameOrg(org, name) {
  return saveOrg(`/api/v1/orgs/${encodeURIComponent(org.id)}`, "PATCH", { name }, "admin.renamed");
}


async function deleteOrg(org) {
  clearMessages();
  if (!(await confirmAction(t("admin.confirm_delete", { name: org.name })))) return;
  const res = await call(`/api/v1/orgs/${encodeURIComponent(org.id)}`, { method: "DELETE" });
  if (!res.ok) return showError(res.error);
  await loadOrgs();
  notify(t("admin.deleted", { name: org.name }));
}

function renderOrgOptions() {
  fillOrgSelect($("#user-org"), { withNone: true });
}

// Users

async function loadUsers() {
  const res = await call("/api/v1/users");
  if (!res.ok) return showError(res.error);
  state.users = itemsOf(res.data);
  renderUsers();
}


function renderUsers() {
  const body = $("#users-table tbody");
  const rows = state.users.map((user) =>
    el(
      "tr",
      { dataset: { userId: user.id } },
      el("td", {}, user.username),
      el("td", {}, user.display_name || ""),
      el("td", {}, t(`role.${user.role}`)),
      el("td", {}, orgName(user.org_id)),
      el("td", {}, user.disabled ? t("admin.disabled") : t("admin.active")),
      el(
        "td",
        {},
        user.id === state.user.id
          ? null
          : el("button", { type: "button", class: "button small secondary", onclick: () => setDisabled(user, !user.disabled) }, user.disabled ? t("admin.enable") : t("admin.disable")),
      ),
    ),
  );
  body.replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 6, class: "muted" }, t("admin.users_empty")))]));
}

async function setDisabled(user, disabled) {
  clearMessages();
  const res = await call(`/api/v1/users/${encodeURIComponent(user.id)}`, { method: "PATCH", body: { disabled } });
  if (!res.ok) return showError(res.error);
  await loadUsers();
  notify(t(disabled ? "admin.user_disabled" : "admin.user_enabled", { name: user.username }));
}

async function createUser(event) {
  event.preventDefault();
  clearMessages();
  const form = event.target;
  const data = new FormData(form);
  const body = { username: data.get("username").trim(), password: data.get("password"), role: data.get("role") };
  if (data.get("org_id")) body.org_id = data.get("org_id");
  if (data.get("display_name").trim()) body.display_name = data.get("display_name").trim();
  const res = await call("/api/v1/users", { method: "POST", body });
  if (!res.ok) return showError(res.error);
  form.reset();
  await loadUsers();
  notify(t("admin.user_created", { name: res.data.username }));
}

// Sign-in

async function signIn(event) {
  event.preventDefault();
  clearMessages();
  const data = new FormData(event.target);
  const res = await api("/api/v1/auth/login", { method: "POST", body: { username: data.get("username"), password: data.get("password") } });
  if (!res.ok) return showError(res.error);
  setToken(res.data.token);
  event.target.reset();
  await showConsole(res.data.user);
}

async function signOut() {
  clearMessages();
  await call("/api/v1/auth/logout", { method: "POST" });
  setToken(null);
  showLogin();
}

async function start() {
  setupPrefs();
  state.onSignedOut = showLogin;
  setupTabs();
  const context = { onOrgs: (fn) => orgListeners.push(fn) };
  setupLive(context);
  setupResources(context);
  setupStats(context);
  $("#login-form").addEventListener("submit", signIn);
  $("#sign-out").addEventListener("click", signOut);
  $("#user-form").addEventListener("submit", createUser);
  $("#root-org-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = $("#root-org-name");
    if (await createOrg(input.value.trim(), null)) input.value = "";
  });
  if (getToken()) {
    const res = await call("/api/v1/auth/me");
    if (res.ok) await showConsole(res.data);
    else if (res.status !== 401) {
      showLogin();
      showError(res.error);
    }
  } else {
    showLogin();
  }
  document.documentElement.dataset.ready = config().page;
}

start();
