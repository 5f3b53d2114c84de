// Admin console, resources: resumable upload (./admin-tus.js) with a progress bar, the
// create-resource form, processing progress polled until ready or failed (the reason in the
// page's language, with a retry), edit, publish/unpublish, delete; series: create, order
// episodes, publish.
import { $, config, el, itemsOf, t } from "./core.js";
import {
  button,
  call,
  callOrShow,
  clearMessages,
  confirmAction,
  fillOrgSelect,
  formatNumber,
  getToken,
  labelOf,
  notify,
  rowForm,
  showError,
} from "./admin-common.js";
import { onTab } from "./admin-tabs.js";
import { coverField, seriesCover } from "./admin-covers.js";
import { TusUpload, forgetUpload, rememberedUpload } from "./admin-tus.js";
import { seriesBatchButtons, setupSeriesBatch } from "./admin-series-batch.js";

const POLL_MS = 2000;
const BUSY = new Set(["uploaded", "processing"]);
const res = { categories: [], series: [], items: [], upload: null, file: null, poll: null };

function encode(id) {
  return encodeURIComponent(id);
}

// Categories and series (for the forms)

async function loadCategories() {
  if (res.categories.length) return;
  const data = await callOrShow("/api/v1/categories");
  if (!data) return;
  res.categories = itemsOf(data);
  for (const select of [$("#resource-category")]) fillCategories(select);
}

function fillCategories(select, value) {
  select.replaceChildren(...res.categories.map((c) => el("option", { value: c.code }, labelOf(c, c.code))));
  if (value) select.value = value;
}

function fillSeries(select, value) {
  select.replaceChildren(el("option", { value: "" }, t("res_admin.no_series")), ...res.series.map((s) => el("option", { value: s.id }, s.title)));
  select.value = value || "";
}

async function loadSeries() {
  const data = await callOrShow("/api/v1/series?limit=100");
  if (!data) return;
  res.series = itemsOf(data);
  fillSeries($("#resource-series"), $("#resource-series").value);
  renderSeries();
}

// Upload

function showProgress(sent, total) {
  const percent = total ? Math.floor((sent / total) * 100) : 100;
  $("#upload-progress").value = percent;
  $("#upload-percent").textContent = t("res_admin.progress", { percent, sent: formatBytes(sent), total: formatBytes(total) });
  $("#upload-box").dataset.percent = String(percent);
}

function formatBytes(n) {
  if (n >= 1 << 30) return `${formatNumber(n / (1 << 30), 2)} GB`;
  if (n >= 1 << 20) return `${formatNumber(n / (1 << 20), 1)} MB`;
  return `${formatNumber(n / 1024, 0)} KB`;
}

async function startUpload(event) {
  event?.preventDefault();
  clearMessages();
  const file = $("#upload-file").files[0];
  if (!file) return;
  res.file = file;
  res.upload = new TusUpload(file, { token: getToken(), metadata: { org_id: $("#upload-org").value }, onProgress: showProgress });
  await runUpload();
}

async function runUpload() {
  const upload = res.upload;
  $("#upload-box").hidden = false;
  $("#upload-box").dataset.state = "uploading";
  $("#upload-name").textContent = upload.file.name;
  $("#upload-pause").hidden = false;
  $("#upload-resume").hidden = true;
  $("#resource-form").hidden = true;
  try {
    const done = await upload.start();
    $("#upload-box").dataset.state = "done";
    $("#upload-pause").hidden = true;
    notify(upload.resumed ? t("res_admin.upload_resumed_done") : t("res_admin.upload_done"));
    showResourceForm(done.uploadId, upload.file);
  } catch (err) {
    $("#upload-box").dataset.state = "stopped";
    $("#upload-pause").hidden = true;
    $("#upload-resume").hidden = false;
    if (err.code === "aborted") notify(t("res_admin.paused"));
    else showError({ code: err.code, message: err.message });
  }
}

function showResourceForm(uploadId, file) {
  const form = $("#resource-form");
  form.hidden = false;
  $("#resource-upload-id").value = uploadId;
  if (!$("#resource-title").value) $("#resource-title").value = file.name.replace(/\.[^.]+$/, "");
  if (!$("#resource-kind").value && file.type.startsWith("audio/")) $("#resource-kind").value = "audio";
  $("#resource-title").focus();
}

async function createResource(event) {
  event.preventDefault();
  clearMessages();
  const form = new FormData(event.target);
  const body = { upload_id: form.get("upload_id"), title: form.get("title").trim(), category: form.get("category") };
  if (form.get("kind")) body.kind = form.get("kind");
  if (form.get("performer").trim()) body.performer = form.get("performer").trim();
  if (form.get("series_id")) body.series_id = form.get("series_id");
  if (form.get("episode")) body.episode = Number(form.get("episode"));
  const data = await callOrShow("/api/v1/resources", { method: "POST", body });
  if (!data) return;
  if (res.file) forgetUpload(res.file);
  res.upload = null;
  event.target.reset();
  event.target.hidden = true;
  $("#upload-box").hidden = true;
  $("#upload-form").reset();
  fillOrgSelect($("#upload-org"));
  notify(t("admin.created", { name: data.title }));
  await loadResources();
}

// The resource list, polled while something is processing

function statusCell(item) {
  const cell = el("td", { class: "status-cell" }, el("span", { class: `badge status-${item.status}`, dataset: { status: item.status } }, t(`res_status.${item.status}`)));
  if (item.status === "processing") {
    cell.append(" ", el("progress", { max: 100, value: item.progress || 0 }), " ", el("span", { class: "percent" }, `${Math.round(item.progress || 0)}%`));
  }
  if (item.status === "failed" && item.failure) {
    const reason = config().lang === "en" ? item.failure.message : item.failure.message_zh || item.failure.message;
    cell.append(el("span", { class: "failure", dataset: { code: item.failure.code } }, reason));
  }
  return cell;
}

/** The publish button; a resource that failed or is still processing cannot be published
 * (the API refuses a failed one), so the button is disabled with the reason beside it. */
function publishControl(item) {
  if (item.published) return [button(t("res_admin.unpublish"), () => setPublished(item, false))];
  const publish = button(t("res_admin.publish"), () => setPublished(item, true));
  const why = item.status === "failed" ? "res_admin.publish_failed" : BUSY.has(item.status) ? "res_admin.publish_wait" : null;
  if (!why) return [publish];
  publish.disabled = true;
  const reasonId = `publish-reason-${item.id}`;
  publish.setAttribute("aria-describedby", reasonId);
  return [publish, el("span", { class: "publish-reason muted", id: reasonId }, t(why))];
}

function resourceRow(item) {
  const actions = el(
    "td",
    { class: "actions" },
    button(t("res_admin.edit"), () => editResource(item)),
    ...publishControl(item),
    item.status === "failed" ? button(t("res_admin.retry"), () => retry(item)) : null,
    button(t("admin.delete"), () => deleteResource(item)),
  );
  return el(
    "tr",
    { dataset: { resourceId: item.id, status: item.status } },
    el("td", { class: "title-cell" }, el("a", { href: `/r/${encode(item.id)}` }, item.title)),
    statusCell(item),
    el("td", { class: "published-cell", dataset: { label: t("res_admin.published") } }, item.published ? t("res_admin.yes") : t("res_admin.no")),
    el("td", { class: "series-cell", dataset: { label: t("res_admin.series") } }, item.series_title ? `${item.series_title}${item.episode ? ` · ${t("series.episode", { n: item.episode })}` : ""}` : "–"),
    actions,
  );
}

async function loadResources() {
  const response = await call("/api/v1/resources?limit=100");
  if (!response.ok) {
    showError(response.error);
    return;
  }
  res.items = itemsOf(response.data);
  const rows = res.items.map(resourceRow);
  $("#resources-table tbody").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 5, class: "muted" }, t("res_admin.empty")))]));
  const busy = res.items.some((i) => BUSY.has(i.status));
  if (busy && !res.poll) res.poll = setInterval(loadResources, POLL_MS);
  if (!busy && res.poll) {
    clearInterval(res.poll);
    res.poll = null;
  }
}

async function setPublished(item, published) {
  clearMessages();
  const data = await callOrShow(`/api/v1/resources/${encode(item.id)}/${published ? "publish" : "unpublish"}`, { method: "POST" });
  if (!data) return;
  notify(t(published ? "res_admin.published_done" : "res_admin.unpublished_done", { name: item.title }));
  await loadResources();
}

async function retry(item) {
  clearMessages();
  const data = await callOrShow(`/api/v1/resources/${encode(item.id)}/retry`, { method: "POST" });
  if (!data) return;
  notify(t("res_admin.retrying", { name: item.title }));
  await loadResources();
}

async function deleteResource(item) {
  clearMessages();
  if (!(await confirmAction(t("admin.confirm_delete", { name: item.title })))) return;
  const response = await call(`/api/v1/resources/${encode(item.id)}`, { method: "DELETE" });
  if (!response.ok) return showError(response.error);
  notify(t("admin.deleted", { name: item.title }));
  await loadResources();
}

/** Tags as typed: separated by commas (either width) or the enumeration comma 、. */
function splitTags(text) {
  return [...new Set(text.split(/[,，、]/).map((tag) => tag.trim()).filter(Boolean))];
}

function editResource(item) {
  const row = document.querySelector(`#resources-table tr[data-resource-id="${CSS.escape(item.id)}"]`);
  document.querySelector("#resources-table tr.edit-row")?.remove();
  const field = (key, input) => [el("label", {}, t(key), input)];
  const title = el("input", { name: "title", value: item.title, maxlength: 200, required: true });
  const performer = el("input", { name: "performer", value: item.performer || "", maxlength: 100 });
  const description = el("textarea", { name: "description", maxlength: 5000, rows: 3 });
  description.value = item.description || "";
  const tags = el("input", { name: "tags", value: (item.tags || []).join(config().lang === "en" ? ", " : "、"), placeholder: t("res_admin.tags_hint") });
  const category = el("select", { name: "category" });
  fillCategories(category, item.category);
  const series = el("select", { name: "series_id" });
  fillSeries(series, item.series_id);
  const episode = el("input", { name: "episode", type: "number", min: 1, max: 100000, value: item.episode ?? "" });
  const save = async () => {
    const body = { title: title.value.trim(), description: description.value.trim(), tags: splitTags(tags.value), performer: performer.value.trim(), category: category.value, series_id: series.value || null, episode: episode.value ? Number(episode.value) : null };
    const data = await callOrShow(`/api/v1/resources/${encode(item.id)}`, { method: "PATCH", body });
    if (!data) return;
    notify(t("res_admin.saved", { name: data.title }));
    await loadResources();
  };
  const form = rowForm(
    { class: "form edit-form" },
    save,
    field("res_admin.title", title),
    field("res_admin.performer", performer),
    field("res_admin.description", description),
    field("res_admin.tags", tags),
    field("res_admin.category", category),
    field("res_admin.series", series),
    field("res_admin.episode", episode),
    coverField("resource", item),
    el("div", { class: "actions-row" }, el("button", { type: "submit", class: "button small" }, t("admin.save")), button(t("admin.cancel"), () => editRow.remove())),
  );
  const editRow = el("tr", { class: "edit-row" }, el("td", { colspan: 5 }, form));
  row.after(editRow);
  title.focus();
}

// Series

function renderSeries() {
  const items = res.series.map((s) =>
    el(
      "li",
      { dataset: { seriesId: s.id } },
      el("div", { class: "series-head" }, el("a", { href: `/s/${encode(s.id)}`, class: "org-name" }, s.title), " ", el("span", { class: "muted" }, s.published ? t("res_admin.published") : t("series_admin.draft")), " ",
        button(t("series_admin.episodes"), (e) => toggleEpisodes(s, e.target.closest("li"))),
        s.published ? button(t("res_admin.unpublish"), () => publishSeries(s, false)) : button(t("res_admin.publish"), () => publishSeries(s, true)),
        ...seriesBatchButtons(s)),
      seriesCover(s),
    ),
  );
  $("#series-list").replaceChildren(...(items.length ? items : [el("li", { class: "muted" }, t("empty.series"))]));
}

async function createSeries(event) {
  event.preventDefault();
  clearMessages();
  const form = new FormData(event.target);
  const body = { org_id: form.get("org_id"), title: form.get("title").trim() };
  if (form.get("performer").trim()) body.performer = form.get("performer").trim();
  const data = await callOrShow("/api/v1/series", { method: "POST", body });
  if (!data) return;
  event.target.reset();
  fillOrgSelect($("#series-org"));
  notify(t("admin.created", { name: data.title }));
  await loadSeries();
}

async function publishSeries(series, published) {
  clearMessages();
  const data = await callOrShow(`/api/v1/series/${encode(series.id)}`, { method: "PATCH", body: { published } });
  if (!data) return;
  notify(t(published ? "res_admin.published_done" : "res_admin.unpublished_done", { name: series.title }));
  await loadSeries();
}

async function toggleEpisodes(series, li) {
  const open = li.querySelector("ol");
  if (open) return open.remove();
  const data = await callOrShow(`/api/v1/series/${encode(series.id)}`);
  if (!data) return;
  renderEpisodes(series, li, data.episodes || []);
}

function renderEpisodes(series, li, episodes) {
  li.querySelector("ol")?.remove();
  const list = el(
    "ol",
    { class: "episode-order" },
    episodes.map((ep, i) =>
      el(
        "li",
        { dataset: { resourceId: ep.id } },
        el("span", {}, ep.title),
        " ",
        button("↑", () => move(series, li, episodes, i, -1), "button small secondary"),
        button("↓", () => move(series, li, episodes, i, 1), "button small secondary"),
      ),
    ),
  );
  for (const [i, b] of [...list.querySelectorAll("button")].entries()) {
    b.setAttribute("aria-label", t(i % 2 ? "series_admin.move_down" : "series_admin.move_up"));
    const idx = Math.floor(i / 2);
    b.disabled = (i % 2 === 0 && idx === 0) || (i % 2 === 1 && idx === episodes.length - 1);
  }
  if (!episodes.length) list.append(el("li", { class: "muted" }, t("series.empty")));
  li.append(list);
}

/** Move an episode up or down: renumber the series 1..n in the new order, changing only the
 * episodes whose number differs (the API orders a series by episode number). */
async function move(series, li, episodes, index, delta) {
  clearMessages();
  const order = [...episodes];
  const [item] = order.splice(index, 1);
  order.splice(index + delta, 0, item);
  for (const [i, ep] of order.entries()) {
    if (ep.episode === i + 1) continue;
    const data = await callOrShow(`/api/v1/resources/${encode(ep.id)}`, { method: "PATCH", body: { episode: i + 1 } });
    if (!data) return;
    ep.episode = i + 1;
  }
  notify(t("series_admin.reordered"));
  renderEpisodes(series, li, order);
  await loadResources();
}

export function setupResources(context) {
  context.onOrgs(() => {
    fillOrgSelect($("#upload-org"));
    fillOrgSelect($("#series-org"));
  });
  onTab("resources", async () => {
    await loadCategories();
    await Promise.all([loadSeries(), loadResources()]);
  });
  $("#upload-form").addEventListener("submit", startUpload);
  $("#upload-file").addEventListener("change", (e) => {
    const file = e.target.files[0];
    if (file && rememberedUpload(file)) notify(t("res_admin.can_resume"));
  });
  $("#upload-pause").addEventListener("click", () => res.upload?.abort());
  $("#upload-resume").addEventListener("click", () => {
    clearMessages();
    if (res.upload) runUpload();
  });
  $("#resource-form").addEventListener("submit", createResource);
  $("#series-form").addEventListener("submit", createSeries);
  setupSeriesBatch({ reload: () => Promise.all([loadSeries(), loadResources()]) });
}
