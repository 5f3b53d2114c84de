import { $, config } from "../core.js";
import { suggestProgrammes } from "../missing.js";
import { setupPrefs } from "../prefs.js";

setupPrefs();
await suggestProgrammes($("#suggested"));
document.documentElement.dataset.ready = config().page;
