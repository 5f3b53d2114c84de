// Shared by every page: the page config the server embedded, translations, the JSON API
// client, and tiny DOM helpers. Text is only ever set with textContent (never innerHTML), so
// titles and comments from the API cannot inject markup.

const CONFIG = JSON.parse(document.getElementById("cc-config").textContent);

// The API answers in the language the cc_lang cookie names (both languages without one):
// name the page's, so every error, the console's and the player's, comes in one language.
if (!document.cookie.split("; ").includes(`cc_lang=${CONFIG.lang}`)) {
  document.cookie = `cc_lang=${CONFIG.lang}; path=/; max-age=31536000; samesite=lax`;
}

export function config() {
  return CONFIG;
}

/** The text of `key` in the page's language with `{name}` placeholders filled. */
export function t(key, params = {}) {
  const text = CONFIG.strings[key];
  if (text === undefined) {
    console.warn(`missing translation: ${key}`);
    return key;
  }
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
}

/**
 * Call the JSON API. Never throws: resolves to {ok, status, data, error}, where error is the
 * API's {code, message} (or {code: "network"} when the request did not get through).
 */
export async function api(path, { method = "GET", body, token } = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  } catch (err) {
    return { ok: false, status: 0, data: null, error: { code: "network", message: String(err) } };
  }
  let data = null;
  if (response.status !== 204 && (response.headers.get("Content-Type") || "").includes("json")) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (response.ok) return { ok: true, status: response.status, data, error: null };
  const error = (data && data.error) || { code: "unknown", message: response.statusText };
  return { ok: false, status: response.status, data, error };
}

/** Whether the server's `message` reads in the page's language: Chinese with no English
 * phrase in it, or English with no Chinese character. */
function inPageLanguage(message) {
  const chinese = /[\u3400-\u9fff]/.test(message);
  if (CONFIG.lang === "en") return !chinese;
  return chinese && !/[A-Za-z]{2,}[ ,;:]+[A-Za-z]{2,}/.test(message);
}

/**
 * Sentences for an API error in the page's language only: `main` for its code (never the raw
 * code), and `detail`, the server's own sentence carrying the specific fact ("至少 8 位"),
 * when it reads in the page's language and says more than `main`.
 */
export function errorText(error) {
  const key = `error.${error.code}`;
  const main = key in CONFIG.strings ? t(key) : t("error.unknown");
  const message = error.code !== "network" && typeof error.message === "string" ? error.message.trim() : "";
  const bare = (text) => text.replace(/[。.!！]+$/u, "");
  const detail = message && inPageLanguage(message) && bare(message) !== bare(main) ? message : "";
  return { main, detail };
}

/** The items of a list response: `{items: [...]}` (our API's shape) or a bare array. */
export function itemsOf(data) {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data.items)) return data.items;
  return [];
}

/** The first present field of `obj` among `names` (the APIs are still settling names). */
export function pick(obj, ...names) {
  for (const name of names) {
    if (obj && obj[name] !== undefined && obj[name] !== null && obj[name] !== "") return obj[name];
  }
  return undefined;
}

/** Create an element: el("a", {href: "/"}, "text", child). Strings become text nodes. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "dataset") Object.assign(node.dataset, value);
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function $(selector, root = document) {
  return root.querySelector(selector);
}

/** 75 → "1:15", 3700 → "1:01:40". */
export function formatClock(seconds) {
  const s = Math.max(0, Math.floor(seconds || 0));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

/** A count as its readers write it: 12,345 is "1.2万" in Chinese and "12K" in English; below
 * ten thousand the plain number (观看人次 on cards and player pages). */
export function formatCount(n) {
  const options = n >= 10000 ? { notation: "compact", maximumFractionDigits: 1 } : {};
  return new Intl.NumberFormat(config().lang === "en" ? "en" : "zh-CN", options).format(n);
}

/** The organization and 观看人次 of an item the API gave ``org_name`` and ``views``. */
export function orgAndViews(item) {
  return [item.org_name || "", typeof item.views === "number" ? t("card.plays", { n: formatCount(item.views) }) : ""];
}

/** Fill `node` with `parts` joined by " · ", the item's organization (its ``org_name``) a
 * link to its page /o/<org_id>. */
export function setFacts(node, parts, item) {
  const children = [];
  for (const part of parts.filter(Boolean)) {
    if (children.length) children.push(" · ");
    const org = part === item.org_name && item.org_id;
    children.push(org ? el("a", { class: "org-link", href: `/o/${encodeURIComponent(item.org_id)}` }, part) : part);
  }
  node.replaceChildren(...children);
}

/** A date and time in the page's language, in China Standard Time (the platform's zone);
 * "" for a time no Date can hold (the API bounds times, but one bad value must not stop a
 * whole shelf from rendering). */
export function formatWhen(epochSeconds) {
  const date = new Date(epochSeconds * 1000);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(CONFIG.lang, {
    dateStyle: "medium",
    timeStyle: "short",
    timeZone: "Asia/Shanghai",
  }).format(date);
}

/** A timestamp from the API as epoch seconds: numbers are seconds, strings ISO 8601. */
export function toEpochSeconds(value) {
  // Only times a Date can hold (±8.64e15 ms): anything else is treated as absent.
  if (typeof value === "number") return Number.isFinite(value) && Math.abs(value) <= 8.64e12 ? value : undefined;
  if (typeof value === "string") {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms / 1000;
  }
  return undefined;
}

/** localStorage that never throws (private mode, storage full, WeChat quirks). */
export const store = {
  get(key) {
    try {
      const raw = localStorage.getItem(key);
      return raw === null ? null : JSON.parse(raw);
    } catch {
      return null;
    }
  },
  set(key, value) {
    try {
      localStorage.setItem(key, JSON.stringify(value));
    } catch {
      // Nothing to do: the preference just is not remembered.
    }
  },
};

/** Load a classic (UMD) script once, e.g. a vendored library, relative to this module. */
const loading = new Map();
export function loadScript(relativeUrl) {
  const url = new URL(relativeUrl, import.meta.url).href;
  if (!loading.has(url)) {
    loading.set(
      url,
      new Promise((resolve, reject) => {
        const script = el("script", { src: url });
        script.onload = resolve;
        script.onerror = () => {
          // Forget the failure, so a later call (the next poll, a retry button) loads it anew.
          loading.delete(url);
          script.remove();
          reject(new Error(`could not load ${url}`));
        };
        document.head.append(script);
      }),
    );
  }
  return loading.get(url);
}

/** The Socket.IO client's `io` (loaded on first use), or null when it could not be loaded. */
export async function socketIo() {
  try {
    await loadScript("../vendor/socket.io.min.js"); // relative to this module
  } catch {
    return null;
  }
  return window.io;
}
