// /c/<campaign_id>: a vote campaign (投票). The rule as the server states it (in the page's
// language), a countdown to its end, the entries with a vote button each, and a leaderboard
// that follows everyone's votes without a reload (the campaign is fetched again every few
// seconds). A refused vote says why, with the rule.
import { $, api, config, el, errorText, t } from "../core.js";
import { countdownText } from "../countdown.js";
import { showMissing } from "../missing.js";
import { setupPrefs } from "../prefs.js";

const POLL_MS = 3000;
const campaignId = config().campaign_id;
const base = `/api/v1/campaigns/${encodeURIComponent(campaignId)}`;
const lang = `lang=${encodeURIComponent(config().lang)}`;
const PAGE = { resource: "r", live: "live" };
let campaign = null;
let skew = 0; // server clock minus ours, so the countdown ends when the server closes voting
let voting = false;

function say(text, refused = false) {
  const status = $("#vote-status");
  status.textContent = text;
  status.classList.toggle("refused", refused);
}

function entryRow(row) {
  const href = `/${PAGE[row.item_type] || "r"}/${encodeURIComponent(row.item_id)}`;
  return el(
    "li",
    { class: "entry", dataset: { id: row.id } },
    el("a", { class: "entry-title", href }, row.title),
    el("span", { class: "entry-votes muted" }),
    el("button", { type: "button", class: "button vote-button", dataset: { entry: row.id }, onclick: () => vote(row.id) }, t("campaign.vote")),
  );
}

function render(data) {
  const first = campaign === null;
  campaign = data;
  skew = data.now - Date.now() / 1000;
  if (first) {
    $("#title").textContent = data.title;
    document.title = `${data.title} · ${t("site.name")}`;
    // Entries keep the order of the first look; the leaderboard below is the ranking.
    $("#entries").replaceChildren(...data.leaderboard.map(entryRow));
  }
  $("#rule").textContent = data.rule;
  $("#total").textContent = t("campaign.total", { n: data.total_votes });
  const votes = new Map(data.leaderboard.map((row) => [row.id, row.votes]));
  for (const li of document.querySelectorAll("#entries .entry")) {
    li.querySelector(".entry-votes").textContent = t("campaign.votes", { n: votes.get(li.dataset.id) ?? 0 });
    li.querySelector("button").disabled = data.status !== "open";
  }
  $("#leaderboard").replaceChildren(
    ...data.leaderboard.map((row) =>
      el("li", { class: "board-row", dataset: { id: row.id } }, el("span", { class: "board-title" }, row.title), " ", el("strong", { class: "board-votes" }, t("campaign.votes", { n: row.votes }))),
    ),
  );
  tick();
}

function tick() {
  if (!campaign) return;
  const now = Date.now() / 1000 + skew;
  const label = $("#clock-label");
  const clock = $("#clock");
  if (now < campaign.starts_at) {
    label.textContent = t("campaign.starts_in");
    clock.textContent = countdownText(campaign.starts_at, now);
  } else if (now < campaign.ends_at) {
    label.textContent = t("campaign.ends_in");
    clock.textContent = countdownText(campaign.ends_at, now);
  } else {
    label.textContent = t("campaign.ended");
    clock.textContent = "";
  }
}

async function vote(entryId) {
  if (voting) return;
  voting = true;
  const res = await api(`${base}/votes?${lang}`, { method: "POST", body: { entry_id: entryId } });
  voting = false;
  if (res.ok) {
    render(res.data);
    say(t("campaign.voted"));
    return;
  }
  const { main, detail } = errorText(res.error);
  // The server's sentence states the rule (每人每天限投 2 票…) in the page's language.
  say(detail ? `${main}：${detail}` : main, true);
}

async function refresh() {
  const res = await api(`${base}?${lang}`);
  if (res.ok) render(res.data);
  return res;
}

setupPrefs();
const first = await refresh();
if (!first.ok) {
  if (first.status === 404) await showMissing("campaign.not_found");
  else $("#title").textContent = t("common.load_failed");
} else {
  setInterval(tick, 1000);
  setInterval(refresh, POLL_MS);
}
document.documentElement.dataset.ready = config().page;
