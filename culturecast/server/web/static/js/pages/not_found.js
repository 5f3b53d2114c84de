import { config } from "../core.js";
import { setupPrefs } from "../prefs.js";

setupPrefs();
document.documentElement.dataset.ready = config().page;
