// Viewer preferences kept on the device: large text for older viewers, in localStorage.
// base.html applies it before the first paint; this wires the toggle in the header.
import { $ } from "./core.js";

const LARGE_FONT = "cc:large-font";

export function setupPrefs() {
  const button = $("#large-font-toggle");
  const root = document.documentElement;
  const sync = () =>
    button.setAttribute("aria-pressed", String(root.classList.contains("large-font")));
  sync();
  button.addEventListener("click", () => {
    const on = !root.classList.contains("large-font");
    root.classList.toggle("large-font", on);
    try {
      localStorage.setItem(LARGE_FONT, on ? "1" : "0"); // base.html compares with "1"
    } catch {
      // Private mode or full storage: the choice lasts for this page only.
    }
    sync();
  });
}
