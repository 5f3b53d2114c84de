// Episode numbers and titles from file names, for uploading a series in one go (批量上传剧集):
// pure, no DOM and no imports, so node tests it as it is (tests/unit/server/web).
//
// A number is read, in this order of trust:
//   1. 第…回/集/章/讲/话/期/篇/节 with Arabic or Chinese numerals: 第12回, 第十二回,
//      第一百零八回, 第3集; else 第… without a unit (第十二); never 第…部/卷/季, which count
//      seasons and volumes (隋唐演义 第一部 第5回 is episode 5);
//   2. EP03, E03, Ep.3, Episode 3 (a Latin marker before the digits);
//   3. the last run of digits that is not glued to Latin letters (03.mp3, 三国演义 012.m4a;
//      not the 264 of x264 or the 1080 of 1080p).
// Full-width digits count (ＮＦＫＣ: ０３ → 03). A number above MAX_EPISODE is no number.

export const MAX_EPISODE = 100000; // the API's bound (media/catalogue/service.py)

const DIGIT = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
const UNIT = { 十: 10, 百: 100, 千: 1000 };
const NUMERAL = "零〇一二两三四五六七八九十百千万";
const ORDINAL = new RegExp(`第\\s*([0-9]+|[${NUMERAL}]+)\\s*([回集章讲講话話期篇节節]|[部卷季辑輯册冊])?`, "g");
const PART = /[部卷季辑輯册冊]/; // a season or volume (第一部 第12回): not the episode
const MARKER = /(?:^|[^A-Za-z])(?:episode|ep|e)\s*\.?\s*([0-9]+)(?![0-9])/i;
const LOOSE = /(?<![A-Za-z0-9])([0-9]+)(?![A-Za-z0-9])/g;

/** A Chinese numeral as a number: 十二 → 12, 一百零八 → 108, 两千 → 2000, 一〇八 → 108
 * (digit by digit, without units); null when it is none. */
export function chineseNumeral(text) {
  if (!text || [...text].some((ch) => !NUMERAL.includes(ch))) return null;
  if (![...text].some((ch) => ch in UNIT || ch === "万")) {
    return Number([...text].map((ch) => DIGIT[ch]).join(""));
  }
  let total = 0; // the part above 万, already multiplied
  let section = 0; // below 万
  let digit = null;
  for (const ch of text) {
    if (ch in DIGIT) digit = DIGIT[ch];
    else if (ch in UNIT) {
      section += (digit ?? 1) * UNIT[ch]; // 十二: a unit without a digit is one of it
      digit = null;
    } else {
      total = (total + section + (digit ?? 0)) * 10000;
      section = 0;
      digit = null;
    }
  }
  return total + section + (digit ?? 0);
}

/** The name without its extension (.mp3, .m4a …), as typed. */
export function titleFromName(name) {
  const base = String(name).split(/[\\/]/).pop();
  const stem = base.replace(/\.[A-Za-z0-9]{1,5}$/, "");
  return [...(stem.trim() || base)].slice(0, 200).join("");
}

function bounded(n) {
  return Number.isInteger(n) && n >= 1 && n <= MAX_EPISODE ? n : null;
}

/** The episode number a file name carries, or null. */
export function episodeFromName(name) {
  const stem = titleFromName(name).normalize("NFKC");
  const ordinals = [...stem.matchAll(ORDINAL)].filter((m) => !PART.test(m[2] || ""));
  const ordinal = ordinals.find((m) => m[2]) || ordinals[0];
  if (ordinal) {
    const n = /^[0-9]+$/.test(ordinal[1]) ? Number(ordinal[1]) : chineseNumeral(ordinal[1]);
    if (bounded(n)) return n;
  }
  const marker = stem.match(MARKER);
  if (marker && bounded(Number(marker[1]))) return Number(marker[1]);
  const loose = [...stem.matchAll(LOOSE)];
  return loose.length ? bounded(Number(loose[loose.length - 1][1])) : null;
}

function byName(a, b) {
  return a.name.localeCompare(b.name, "zh-CN", { numeric: true });
}

/**
 * The upload plan of files named `names` (in the order chosen): one {name, title, episode,
 * fromName} each, sorted by episode; ties in file-name order. Files without a number keep the
 * order chosen, after the numbered ones, numbered on from the highest of the batch and of
 * `after` (the series' last episode), with fromName false.
 */
export function planEpisodes(names, { after = 0 } = {}) {
  const files = names.map((name, index) => ({ name, title: titleFromName(name), episode: episodeFromName(name), index }));
  const numbered = files.filter((f) => f.episode !== null).sort((a, b) => a.episode - b.episode || byName(a, b));
  const rest = files.filter((f) => f.episode === null);
  let next = Math.max(after, ...numbered.map((f) => f.episode));
  const plan = numbered.map((f) => ({ name: f.name, title: f.title, episode: f.episode, fromName: true }));
  for (const f of rest) {
    next = Math.min(next + 1, MAX_EPISODE);
    plan.push({ name: f.name, title: f.title, episode: next, fromName: false });
  }
  return plan;
}

/** `plan` in episode order again after a number was edited (stable: ties keep their place). */
export function reorder(plan) {
  return plan.map((row, index) => ({ row, index })).sort((a, b) => a.row.episode - b.row.episode || a.index - b.index).map(({ row }) => row);
}
