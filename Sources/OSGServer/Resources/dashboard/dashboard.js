// The coordinator's dashboard: reads the public API every two seconds and renders it.
// Every value from the API is written with textContent, never parsed as HTML: node ids and
// other fields are chosen by participants.
"use strict";

const refreshMilliseconds = 2000;

window.addEventListener("error", (event) => {
  document.body.dataset.error = String(event.message);
});

async function getJSON(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

async function getText(path) {
  const response = await fetch(path, { cache: "no-store" });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.text();
}

// Formatting.
const percent = (ppm) => (ppm == null ? "–" : `${(ppm / 10000).toFixed(1)} %`);
const time = (iso) => (iso ? iso.replace("T", " ").replace("Z", " UTC") : "–");
const shortID = (id) => (id && id.length > 12 ? `${id.slice(0, 12)}…` : id || "–");
const hours = (seconds) => (seconds == null ? "–" : (seconds / 3600).toFixed(1));
function duration(seconds) {
  if (seconds == null) return "–";
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

// DOM building: text only.
function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text == null ? "–" : String(text);
  if (className) td.className = className;
  return td;
}

function withBadge(text, badge) {
  const td = cell(text);
  if (badge) {
    const span = document.createElement("span");
    span.className = "badge";
    span.textContent = badge;
    td.appendChild(span);
  }
  return td;
}

function fillTable(id, rows, emptyText) {
  const body = document.querySelector(`#${id} tbody`);
  const columns = document.querySelectorAll(`#${id} thead th`).length;
  if (rows.length === 0) {
    const tr = document.createElement("tr");
    const td = cell(emptyText, "empty");
    td.colSpan = columns;
    tr.appendChild(td);
    body.replaceChildren(tr);
    return;
  }
  body.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    for (const value of cells) tr.appendChild(value instanceof Node ? value : cell(value));
    return tr;
  }));
}

function card(value, label) {
  const box = document.createElement("div");
  box.className = "card";
  const number = document.createElement("div");
  number.className = "value";
  number.textContent = value;
  const caption = document.createElement("div");
  caption.className = "label";
  caption.textContent = label;
  box.append(number, caption);
  return box;
}

// Sections.
function renderHeadline(stats) {
  const simulated = stats.online_simulated_gpus ? ` (${stats.online_simulated_gpus} simulated)` : "";
  const carbon = stats.carbon && stats.carbon.milligrams_per_gpu_hour != null
    ? `${(stats.carbon.milligrams_per_gpu_hour / 1000).toFixed(1)} g` : "–";
  document.getElementById("headline").replaceChildren(
    card(stats.online_nodes, "nodes online"),
    card(stats.online_gpus, `GPUs online${simulated}`),
    card(percent(stats.utilisation_ppm), "GPUs in use"),
    card(stats.running_jobs, "jobs running"),
    card(stats.pending_jobs, "jobs waiting"),
    card(carbon, "grid CO2 per GPU-hour run"),
    card(stats.log_entries, "log entries"),
  );
}

function renderNodes(nodes) {
  fillTable("nodes", nodes.map((node) => [
    withBadge(node.id, node.simulated ? "simulated" : null),
    shortID(node.operator),
    `${node.gpus} × ${node.gpu_model}`,
    `${node.allocated_gpus}${node.locked_gpus ? ` (+${node.locked_gpus} locked)` : ""}`,
    node.region,
    node.zone,
    node.power_source,
    node.ask_price,
    cell(node.online ? "online" : "offline", node.online ? "online" : "offline"),
    time(node.last_heartbeat),
  ]), "no nodes registered yet");
}

function renderMarket(market) {
  fillTable("asks", (market.asks || []).map((ask) => [
    withBadge(ask.gpu_model, ask.simulated ? "simulated" : null),
    ask.gpus_per_node, ask.vram_gib, ask.region, ask.nodes, ask.free_gpus, ask.lowest_ask,
  ]), "no capacity offered");
  fillTable("bids", (market.bids || []).map((bid) => [
    bid.job, bid.job_class, `${bid.nodes} × ${bid.gpus_per_node} ${bid.gpu_model}`, bid.max_price, time(bid.submitted),
    bid.waiting_reason || "placed at the next clearing",
  ]), "no job waiting");
}

function renderQueue(stats) {
  const rows = [];
  for (const [prefix, groups] of [["users: ", stats.by_user_class], ["GPUs: ", stats.by_resource_class]]) {
    for (const name of Object.keys(groups || {}).sort()) {
      const group = groups[name];
      rows.push([prefix + name, group.submitted, group.started, percent(group.acceptance_ppm),
        duration(group.queue_p50_seconds), duration(group.queue_p90_seconds), duration(group.queue_p99_seconds)]);
    }
  }
  fillTable("queue", rows, "no job submitted yet");
}

function renderPools(pools) {
  fillTable("pools", pools.map((pool) => [
    pool.name, percent(pool.share_ppm), pool.price, pool.ceiling || "none", pool.funding, pool.grants,
    `${hours(pool.used_gpu_seconds)} / ${hours(pool.quota_gpu_seconds)}`, pool.running_gpus, pool.pending_jobs,
  ]), "no set-aside pool defined");
}

function renderCarbon(carbon, stats) {
  fillTable("carbon", (carbon.zones || []).map((zone) => [zone.zone, zone.now_g_per_kwh, zone.hours, time(zone.end_hour)]),
    "no grid carbon data recorded");
  const index = stats.price_index || {};
  fillTable("prices", Object.keys(index).sort().map((model) => [model, index[model]]), "no lease yet");
}

function renderCheckpoint(text) {
  document.getElementById("checkpoint").textContent = text.trim();
  document.getElementById("audit-command").textContent = `osg audit --from ${window.location.origin}/log`;
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const [stats, market, nodes, pools, carbon] = await Promise.all([
      getJSON("/v1/stats"), getJSON("/v1/market"), getJSON("/v1/nodes"), getJSON("/v1/set-asides"), getJSON("/v1/carbon"),
    ]);
    renderHeadline(stats);
    renderNodes(nodes.nodes || []);
    renderMarket(market);
    renderQueue(stats);
    renderPools(pools.pools || []);
    renderCarbon(carbon, stats);
    // The log is published after the first checkpoint; until then the rest still shows.
    renderCheckpoint(await getText("/log/checkpoint").catch(() => "no checkpoint published yet"));
    status.className = "";
    status.textContent = `updated ${new Date().toLocaleTimeString()} · state as of ${time(stats.as_of)}`;
    document.body.dataset.loaded = "true";
  } catch (error) {
    status.className = "error";
    status.textContent = `cannot reach the coordinator: ${error.message}`;
  }
}

refresh();
setInterval(refresh, refreshMilliseconds);
