// The console's sections as tabs (WAI-ARIA tabs pattern), so a phone shows one at a time.
// The open tab is kept in the URL's hash (#live, #resources, #stats), so a reload stays put.
import { $ } from "./core.js";

const listeners = new Map();

function tabs() {
  return [...document.querySelectorAll('#admin-tabs [role="tab"]')];
}

export function onTab(name, fn) {
  listeners.set(name, fn);
}

export function selectTab(name) {
  let found = false;
  for (const tab of tabs()) {
    const selected = tab.dataset.tab === name;
    found ||= selected;
    tab.setAttribute("aria-selected", String(selected));
    tab.tabIndex = selected ? 0 : -1;
    $(`#${tab.getAttribute("aria-controls")}`).hidden = !selected;
  }
  if (!found) return selectTab("accounts");
  if (location.hash.slice(1) !== name) history.replaceState(null, "", `#${name}`);
  listeners.get(name)?.();
}

export function setupTabs() {
  const list = $("#admin-tabs");
  list.addEventListener("click", (event) => {
    const tab = event.target.closest('[role="tab"]');
    if (tab) selectTab(tab.dataset.tab);
  });
  list.addEventListener("keydown", (event) => {
    const all = tabs();
    const i = all.indexOf(document.activeElement);
    if (i < 0 || !["ArrowLeft", "ArrowRight"].includes(event.key)) return;
    const next = all[(i + (event.key === "ArrowRight" ? 1 : all.length - 1)) % all.length];
    next.focus();
    selectTab(next.dataset.tab);
  });
}

/** After sign-in: open the tab the URL names (or the first). */
export function showTabs() {
  selectTab(location.hash.slice(1) || "accounts");
}
