// The coordinator's dashboard: reads the public API every two seconds and renders it
// (docs/API.md, "Dashboard").
// Every value from the API is written with textContent, never parsed as HTML: node ids and
// other fields are chosen by participants.
"use strict";

const refreshMilliseconds = 2000;
// Kept while the page is open: the price index per model (the last 120 readings) and the
// checkpoints seen (the last 10).
const priceHistory = new Map();
const checkpointsSeen = [];
const svgNamespace = "http://www.w3.org/2000/svg";

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

// A small line of `values` (numbers), drawn with SVG attributes only.
function sparkline(values, label) {
  const width = 160, height = 28;
  const svg = document.createElementNS(svgNamespace, "svg");
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  const low = Math.min(...values), high = Math.max(...values);
  const span = high - low || 1;
  const points = values.map((value, index) => {
    const x = values.length === 1 ? width : (index / (values.length - 1)) * (width - 2) + 1;
    const y = height - 2 - ((value - low) / span) * (height - 4);
    return `${x.toFixed(1)},${y.toFixed(1)}`;
  });
  const line = document.createElementNS(svgNamespace, "polyline");
  line.setAttribute("points", points.join(" "));
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "currentColor");
  line.setAttribute("stroke-width", "1.5");
  svg.appendChild(line);
  const td = document.createElement("td");
  td.className = "spark";
  td.appendChild(svg);
  return td;
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

function renderConcentration(stats) {
  const c = stats.concentration || {};
  const e = stats.energy || {};
  const sources = Object.entries(e.watt_hours_by_power_source || {}).sort()
    .map(([source, wh]) => `${source} ${(wh / 1000).toFixed(2)}`).join(", ");
  document.getElementById("concentration").replaceChildren(
    card(c.operators, "independent operators with GPUs online"),
    card(c.jurisdictions, "jurisdictions"),
    card(c.zones, "grid zones"),
    card(percent(c.top1_share_ppm), "of GPUs held by the largest operator"),
    card(percent(c.top10_share_ppm), "held by the ten largest"),
    card(c.herfindahl_hirschman_index, "Herfindahl–Hirschman index (0–10,000; 10,000 is one operator)"),
    card(`${((e.watt_hours || 0) / 1000).toFixed(2)} kWh`, `energy reported by leases${sources ? ` (kWh: ${sources})` : ""}`),
    card(e.watt_hours_per_gpu_hour == null ? "–" : `${e.watt_hours_per_gpu_hour} Wh`, "per GPU-hour reported"),
  );
}

function renderRegions(nodes) {
  const groups = new Map();
  for (const node of nodes) {
    const key = `${node.region}\u0000${node.zone}`;
    if (!groups.has(key)) groups.set(key, { region: node.region, zone: node.zone, operators: new Set(), online: 0, gpus: 0, used: 0 });
    const group = groups.get(key);
    group.operators.add(node.operator);
    if (node.online) {
      group.online += 1;
      group.gpus += node.gpus;
      group.used += node.allocated_gpus;
    }
  }
  const rows = [...groups.values()].sort((a, b) => (a.region + a.zone < b.region + b.zone ? -1 : 1))
    .map((g) => [g.region, g.zone, g.operators.size, g.online, g.gpus, g.used]);
  fillTable("regions", rows, "no nodes registered yet");
}

function renderMoney(treasury, valuations) {
  const rules = treasury.rules;
  document.getElementById("money").replaceChildren(
    card(treasury.outstanding, "credits in the market"),
    card(rules ? `${(rules.protocol_fee_bps / 100).toFixed(2)} %` : "–", "protocol fee"),
    card(treasury.fees, "fees to the treasury"),
    card(treasury.slashed, "collateral slashed"),
    card(treasury.compensation, "of it paid to those a fault cost"),
    card(treasury.pending_withdrawals, "withdrawals pending"),
  );
  fillTable("valuations", valuations.map((node) => {
    const week = (node.windows || []).find((window) => window.days === 7) || {};
    return [
      node.node, `${node.gpus} × ${node.gpu_model}`, node.collateral, node.faults, node.slashed,
      week.revenue_per_gpu_hour ?? "–", percent(week.utilisation_ppm), percent(week.uptime_ppm),
      node.shares_issued ? `${node.shares_issued} (${node.shareholders} holders)` : "",
    ];
  }), "no nodes registered yet");
}

function renderLockups(lockups) {
  fillTable("lockups", lockups.map((lockup) => [
    lockup.id, lockup.node, lockup.gpus, shortID(lockup.holder), time(lockup.since), time(lockup.until),
  ]), "no lockup");
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
  for (const [model, price] of Object.entries(index)) {
    const readings = priceHistory.get(model) || [];
    readings.push(Number(price));
    if (readings.length > 120) readings.shift();
    priceHistory.set(model, readings);
  }
  fillTable("prices", Object.keys(index).sort().map((model) => [
    model, index[model], sparkline(priceHistory.get(model), `price index of ${model} since this page opened`),
  ]), "no lease running");
}

// The names on a signed note's signature lines other than the log's own (the witnesses that
// cosigned it; the page shows them, `osg audit --witness` verifies them).
function cosigners(text, origin) {
  const names = text.split("\n").filter((line) => line.startsWith("\u2014 ")).map((line) => line.split(" ")[1]);
  return [...new Set(names.filter((name) => name && name !== origin))];
}

function renderCheckpoint(text) {
  document.getElementById("checkpoint").textContent = text.trim();
  const [origin, size, root] = text.split("\n");
  const cosigned = cosigners(text, origin);
  const known = checkpointsSeen.find((seen) => seen.size === size);
  if (known) {
    if (cosigned.length > known.cosigned.length) known.cosigned = cosigned;
  } else if (origin && /^[0-9]+$/.test(size || "")) {
    checkpointsSeen.unshift({ seen: new Date().toLocaleTimeString(), size, root, cosigned });
    checkpointsSeen.splice(10);
  }
  fillTable("checkpoints", checkpointsSeen.map((c) => [c.seen, c.size, c.root, c.cosigned.join(", ") || "none"]), "none yet");
  const witnessKeys = witnesses.map((w) => ` --witness ${w.key}`).join("");
  document.getElementById("audit-command").textContent = `osg audit --from ${window.location.origin}/log${witnessKeys}`;
}

// The witnesses the coordinator names (GET /v1/info), whose own audits of the log the page shows:
// read from each witness, not from the coordinator they are about.
let witnesses = [];

async function renderWitnessAudits() {
  const rows = [];
  for (const witness of witnesses) {
    try {
      const listing = await getJSON(`${witness.url}/audits`);
      for (const audit of (listing.audits || []).slice(0, 5)) {
        rows.push([listing.witness, time(audit.audited_at), audit.tree_size ?? "–", audit.verdict,
          audit.entries_replayed, audit.verdict === "verified" ? "" : `${audit.code}: ${audit.reason}`]);
      }
    } catch (error) {
      rows.push([witness.url, "–", "–", "unreachable", "–", error.message]);
    }
  }
  fillTable("witness-audits", rows, witnesses.length === 0 ? "this coordinator names no witness" : "no audit yet");
}

async function refresh() {
  const status = document.getElementById("status");
  try {
    const [stats, market, nodes, pools, carbon, lockups, treasury, valuations] = await Promise.all([
      getJSON("/v1/stats"), getJSON("/v1/market"), getJSON("/v1/nodes"), getJSON("/v1/set-asides"), getJSON("/v1/carbon"),
      getJSON("/v1/lockups"), getJSON("/v1/treasury"), getJSON("/v1/valuations"),
    ]);
    renderHeadline(stats);
    renderConcentration(stats);
    renderRegions(nodes.nodes || []);
    renderNodes(nodes.nodes || []);
    renderLockups(lockups.lockups || []);
    renderMoney(treasury, valuations.valuations || []);
    renderMarket(market);
    renderQueue(stats);
    renderPools(pools.pools || []);
    renderCarbon(carbon, stats);
    // The log is published after the first checkpoint; until then the rest still shows.
    renderCheckpoint(await getText("/log/checkpoint").catch(() => "no checkpoint published yet"));
    await renderWitnessAudits();
    status.className = "";
    status.textContent = `updated ${new Date().toLocaleTimeString()} · state as of ${time(stats.as_of)}`;
    document.body.dataset.loaded = "true";
  } catch (error) {
    status.className = "error";
    status.textContent = `cannot reach the coordinator: ${error.message}`;
  }
}

getJSON("/v1/info").then((info) => { witnesses = info.witnesses || []; }).catch(() => {}).finally(() => {
  refresh();
  setInterval(refresh, refreshMilliseconds);
});
