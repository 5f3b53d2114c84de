// Admin console, series: 批量上传剧集 (many audio/video files into one series: their episode
// numbers read from the file names by ./episodes.js, shown for checking and editing, then
// uploaded one after another over tus (./admin-tus.js), each becoming a resource of the series
// with its episode number; a file that fails is marked with its reason and can be retried
// while the others go on) and 发布全部 (the series with every ready episode, one request; the
// answer's held episodes are listed with their reasons).
import { $, config, el, errorText, itemsOf, t } from "./core.js";
import { button, call, callOrShow, clearMessages, confirmAction, getToken, labelOf, notify } from "./admin-common.js";
import { TusUpload, forgetUpload } from "./admin-tus.js";
import { MAX_EPISODE, planEpisodes, reorder } from "./episodes.js";

const ACCEPT = "video/*,audio/*,.mp4,.mov,.mkv,.flv,.ts,.mp3,.m4a,.aac,.wav,.flac";
const batch = { series: null, rows: [], running: false, categories: [], reload: async () => {} };

function encode(id) {
  return encodeURIComponent(id);
}

/** An API or upload error as one sentence in the page's language, with its specific fact. */
function reasonOf(error) {
  const { main, detail } = errorText(error || { code: "unknown" });
  if (!detail) return main;
  return config().lang === "en" ? `${main}: ${detail}` : `${main}：${detail}`;
}

// The panel (one, under the series list), opened for one series at a time

function panel() {
  let box = $("#series-batch");
  if (!box) {
    box = el("section", { id: "series-batch", class: "series-batch", "aria-labelledby": "series-batch-title", hidden: true });
    const result = el("div", { id: "series-publish-result", class: "series-publish-result", "aria-live": "polite", hidden: true });
    $("#series-list").after(result, box);
  }
  return box;
}

async function loadCategories() {
  if (batch.categories.length) return;
  const data = await callOrShow("/api/v1/categories");
  if (data) batch.categories = itemsOf(data);
}

async function openBatch(series) {
  clearMessages();
  if (batch.running) {
    notify(t("series_batch.busy"));
    return;
  }
  const [detail] = await Promise.all([callOrShow(`/api/v1/series/${encode(series.id)}`), loadCategories()]);
  if (!detail) return;
  const episodes = detail.episodes || [];
  batch.series = { ...series, category: detail.category || series.category, after: Math.max(0, ...episodes.map((e) => e.episode || 0)) };
  batch.rows = [];
  const box = panel();
  const category = el("select", { id: "series-batch-category", name: "category", required: true });
  category.replaceChildren(...batch.categories.map((c) => el("option", { value: c.code }, labelOf(c, c.code))));
  category.value = batch.series.category || "storytelling";
  const files = el("input", { id: "series-batch-files", type: "file", multiple: true, accept: ACCEPT, onchange: (e) => choose([...e.target.files]) });
  box.replaceChildren(
    el("h3", { id: "series-batch-title", tabindex: -1 }, t("series_batch.title", { title: series.title })),
    el("p", { class: "muted" }, t("series_batch.hint")),
    el(
      "div",
      { class: "form grid" },
      el("label", { for: "series-batch-files" }, t("series_batch.files")),
      files,
      el("label", { for: "series-batch-category" }, t("res_admin.category")),
      category,
    ),
    el("div", { class: "table-wrap", tabindex: 0 }, el("table", { id: "series-batch-table" }, el("thead", {}, el("tr", {}, ...["series_batch.col_episode", "series_batch.col_title", "series_batch.col_status"].map((k) => el("th", { scope: "col" }, t(k))))), el("tbody"))),
    el("p", { id: "series-batch-summary", class: "series-batch-summary", "aria-live": "polite" }),
    el(
      "div",
      { class: "actions-row" },
      el("button", { type: "button", id: "series-batch-start", class: "button", onclick: start }, t("series_batch.start")),
      button(t("series_batch.close"), closeBatch),
    ),
  );
  box.hidden = false;
  renderRows();
  box.querySelector("h3").focus();
}

function closeBatch() {
  if (batch.running) {
    notify(t("series_batch.busy"));
    return;
  }
  const box = panel();
  box.hidden = true;
  box.replaceChildren();
  batch.series = null;
  batch.rows = [];
}

function choose(files) {
  if (batch.running) return;
  const byName = new Map(files.map((f) => [f.name, f]));
  batch.rows = planEpisodes(files.map((f) => f.name), { after: batch.series.after }).map((p) => ({ ...p, file: byName.get(p.name), state: "waiting", percent: 0, error: null, uploadId: null }));
  renderRows();
}

// The preview table: episode number (editable until the file is sent), title, progress

function statusText(row) {
  if (row.state === "uploading") return t("series_batch.uploading", { percent: row.percent });
  if (row.state === "failed") return t("series_batch.failed", { reason: row.error });
  return t({ waiting: "series_batch.waiting", creating: "series_batch.creating", done: "series_batch.done" }[row.state]);
}

function renderRow(row, index) {
  const id = `series-batch-ep-${index}`;
  const number = el("input", {
    id,
    type: "number",
    min: 1,
    max: MAX_EPISODE,
    value: row.episode,
    inputmode: "numeric",
    class: "episode-input",
    "aria-label": t("series_batch.episode_of", { title: row.title }),
    disabled: row.state !== "waiting" && row.state !== "failed",
    onchange: (e) => renumber(row, e.target),
  });
  const status = el("td", { class: "batch-status" }, el("span", { class: "batch-state" }, statusText(row)));
  if (row.state === "uploading" || row.state === "creating") status.prepend(el("progress", { max: 100, value: row.percent }));
  if (row.state === "failed") status.append(button(t("series_batch.retry"), () => retry(row), "button small"));
  status.querySelector("button")?.setAttribute("aria-label", t("series_batch.retry_label", { title: row.title }));
  return el(
    "tr",
    { dataset: { state: row.state, name: row.name } },
    el("td", { class: "batch-episode" }, number),
    el("td", { class: "batch-title" }, row.title, row.fromName ? null : el("span", { class: "muted batch-note" }, t("series_batch.auto_number"))),
    status,
  );
}

function renderRows() {
  const body = $("#series-batch-table tbody");
  if (!body) return;
  body.replaceChildren(...(batch.rows.length ? batch.rows.map(renderRow) : [el("tr", {}, el("td", { colspan: 3, class: "muted" }, t("series_batch.none")))]));
  renderSummary();
}

function renderSummary() {
  const total = batch.rows.length;
  const done = batch.rows.filter((r) => r.state === "done").length;
  const failed = batch.rows.filter((r) => r.state === "failed").length;
  const summary = $("#series-batch-summary");
  if (!summary) return;
  summary.textContent = total ? (failed ? t("series_batch.progress_failed", { done, total, failed }) : t("series_batch.progress", { done, total })) : "";
  summary.dataset.done = String(done);
  summary.dataset.failed = String(failed);
  const startButton = $("#series-batch-start");
  if (startButton) startButton.disabled = batch.running || !batch.rows.some((r) => r.state === "waiting");
  // The files and their category are fixed while they are being sent.
  for (const id of ["#series-batch-files", "#series-batch-category"]) {
    const input = $(id);
    if (input) input.disabled = batch.running;
  }
}

function renumber(row, input) {
  const n = Number(input.value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_EPISODE) {
    input.value = row.episode;
    notify(t("series_batch.bad_episode"));
    return;
  }
  row.episode = n;
  batch.rows = reorder(batch.rows);
  renderRows();
  // The row moved: keep the keyboard on its number.
  document.getElementById(`series-batch-ep-${batch.rows.indexOf(row)}`)?.focus();
}

// Sending: one file after another; a failure marks its row and the queue goes on

function update(row) {
  const index = batch.rows.indexOf(row);
  const current = $("#series-batch-table tbody")?.children[index];
  if (current) current.replaceWith(renderRow(row, index));
  renderSummary();
}

async function send(row) {
  const series = batch.series;
  if (!row.uploadId) {
    row.state = "uploading";
    update(row);
    const upload = new TusUpload(row.file, {
      token: getToken(),
      metadata: { org_id: series.org_id },
      onProgress: (sent, total) => {
        const percent = total ? Math.floor((sent / total) * 100) : 100;
        if (percent !== row.percent) {
          row.percent = percent;
          update(row);
        }
      },
    });
    row.uploadId = (await upload.start()).uploadId;
  }
  row.state = "creating";
  row.percent = 100;
  update(row);
  const body = { upload_id: row.uploadId, title: row.title, category: $("#series-batch-category")?.value || series.category || "storytelling", series_id: series.id, episode: row.episode };
  if (series.performer) body.performer = series.performer;
  const response = await call("/api/v1/resources", { method: "POST", body });
  if (!response.ok) throw response.error;
  forgetUpload(row.file);
}

async function run() {
  if (batch.running) return;
  batch.running = true;
  renderSummary();
  try {
    for (let row = batch.rows.find((r) => r.state === "waiting"); row; row = batch.rows.find((r) => r.state === "waiting")) {
      try {
        await send(row);
        row.state = "done";
      } catch (err) {
        row.state = "failed";
        row.error = reasonOf({ code: err?.code || "unknown", message: err?.message || "" });
      }
      update(row);
    }
  } finally {
    batch.running = false;
  }
  renderRows();
  await batch.reload();
  const failed = batch.rows.filter((r) => r.state === "failed").length;
  if (!failed) notify(t("series_batch.all_done", { n: batch.rows.length }));
}

function start() {
  clearMessages();
  if (!batch.rows.length) {
    notify(t("series_batch.none"));
    return;
  }
  run();
}

function retry(row) {
  clearMessages();
  row.state = "waiting";
  row.error = null;
  update(row);
  run();
}

// 发布全部: the series and its ready episodes in one request, then what was held and why

async function publishAll(series) {
  clearMessages();
  const detail = await callOrShow(`/api/v1/series/${encode(series.id)}`);
  if (!detail) return;
  const episodes = detail.episodes || [];
  const ready = episodes.filter((e) => e.status === "ready").length;
  if (!(await confirmAction(t("series_publish.confirm", { title: series.title, ready, total: episodes.length })))) return;
  const done = await callOrShow(`/api/v1/series/${encode(series.id)}/publish`, { method: "POST" });
  if (!done) return;
  showPublished(series, done);
  await batch.reload();
}

function showPublished(series, done) {
  const held = done.not_published || [];
  const box = $("#series-publish-result") || (panel(), $("#series-publish-result"));
  const lang = config().lang === "en" ? "en" : "zh";
  const line = t("series_publish.done", { title: series.title, n: (done.published || []).length });
  box.replaceChildren(
    el("p", { class: "series-publish-done" }, line),
    ...(held.length
      ? [
          el("p", {}, t("series_publish.held", { n: held.length })),
          el(
            "ul",
            { class: "series-publish-held" },
            held.map((e) => el("li", { dataset: { resourceId: e.id, code: e.reason?.code || "" } }, t("series_publish.held_item", { n: e.episode ?? "–", title: e.title, reason: e.reason?.[lang] || "" }))),
          ),
        ]
      : []),
  );
  box.dataset.seriesId = series.id;
  box.hidden = false;
  notify(line);
}

/** The buttons a series row gets: 批量上传剧集 and 发布全部. */
export function seriesBatchButtons(series) {
  const upload = button(t("series_batch.open"), () => openBatch(series));
  upload.setAttribute("aria-label", t("series_batch.open_label", { title: series.title }));
  upload.dataset.action = "batch-upload";
  const publish = button(t("series_publish.all"), () => publishAll(series));
  publish.setAttribute("aria-label", t("series_publish.all_label", { title: series.title }));
  publish.dataset.action = "publish-all";
  return [upload, publish];
}

/** `reload` refreshes the console's series and resources after an upload or a publish. */
export function setupSeriesBatch({ reload }) {
  batch.reload = reload;
}
