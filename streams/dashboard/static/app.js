// matchday ops-room page: folds the server's event feed into a local copy of the state and
// draws it. Every piece of text from the server goes in through textContent or setAttribute,
// never as markup, so a zone called "<img src=x onerror=...>" shows as those characters.
"use strict";

const LOS_COLOURS = { A: "#2e7d32", B: "#7cb342", C: "#fdd835", D: "#fb8c00", E: "#e53935", F: "#7b1fa2" };
const NO_LOS = "#9e9e9e";
const SEVERITY = { Extreme: 0, Severe: 1, Moderate: 2, Minor: 3, Unknown: 4 };
const URGENCY = { Immediate: 0, Expected: 1, Future: 2, Past: 3, Unknown: 4 };
const SVG = "http://www.w3.org/2000/svg";

let state = null; // the server's state: zones, alerts, cameras, audit, trends
let venue = null; // the map: nodes and links
let lastSeq = null;
let source = null;
let serverOffset = 0; // server wall clock minus ours, seconds
let selectedZone = null;
let renderPending = false;

function el(tag, attrs = {}, text = null, ns = null) {
  const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = String(text);
  return node;
}

function clockText(seconds) {
  if (seconds === null || seconds === undefined) return "--:--:--";
  const s = Math.floor(((seconds % 86400) + 86400) % 86400);
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

function losColour(level) { return LOS_COLOURS[level] || NO_LOS; }

function zoneOf(id) { return (state && state.zones.find((z) => z.zone === id)) || null; }

// ---- connection: full state on connect, numbered changes after; the browser resends
// Last-Event-ID when it reconnects, and the server replays what was missed.

function connect() {
  const url = lastSeq === null ? "/api/events" : `/api/events?since=${lastSeq}`;
  source = new EventSource(url);
  source.addEventListener("open", () => setConnection(true));
  source.addEventListener("state", (e) => { applyState(JSON.parse(e.data)); lastSeq = Number(e.lastEventId); });
  source.addEventListener("delta", (e) => { applyDelta(JSON.parse(e.data)); lastSeq = Number(e.lastEventId); });
  source.addEventListener("error", () => {
    setConnection(false);
    if (source.readyState === EventSource.CLOSED) { source = null; setTimeout(connect, 2000); }
  });
}

function setConnection(up) {
  const node = document.getElementById("connection");
  node.textContent = up ? "live" : "reconnecting";
  node.className = `connection ${up ? "up" : "down"}`;
  document.body.dataset.connected = up ? "yes" : "no";
}

function applyState(next) {
  state = next;
  serverOffset = next.server_time - Date.now() / 1000;
  document.getElementById("scenario").textContent = `· ${next.scenario}`;
  scheduleRender();
}

function upsert(list, key, item) {
  const i = list.findIndex((x) => x[key] === item[key]);
  if (i >= 0) list[i] = item; else list.push(item);
}

function series(zone) {
  if (!state.trends[zone]) state.trends[zone] = { observed: [], estimate: [], wait: [], occupancy: [], forecast: [] };
  return state.trends[zone];
}

function applyDelta(event) {
  if (!state) return;
  if (event.clock_s !== null) state.clock_s = event.clock_s;
  if (event.kind === "zone") upsert(state.zones, "zone", event.zone);
  else if (event.kind === "camera") upsert(state.cameras, "camera", event.camera);
  else if (event.kind === "alert") upsert(state.alerts, "incident", event.alert);
  else if (event.kind === "audit") state.audit.push(event.entry);
  else if (event.kind === "trend") series(event.zone)[event.series].push(event.point);
  else if (event.kind === "forecast") {
    for (const zone of event.zones) upsert(state.zones, "zone", zone);
    for (const [zone, points] of Object.entries(event.points)) {
      const s = series(zone);
      for (const name of ["estimate", "occupancy", "wait"]) if (points[name]) s[name].push(points[name]);
      s.forecast = points.forecast;
    }
  }
  scheduleRender();
}

function scheduleRender() {
  if (renderPending) return;
  renderPending = true;
  setTimeout(() => { renderPending = false; render(); }, 150);
}

function render() {
  if (!state) return;
  document.getElementById("clock").textContent = clockText(state.clock_s);
  if (venue) renderMap();
  renderAlerts();
  renderZoneSelect();
  renderTrend();
  renderWaits();
  renderCameras();
  renderAudit();
}

// ---- the map: links then places, coloured by LoS now; the forecast layer adds a dashed
// line on each link and an outer ring on each place in the +10 min colour.

function renderMap() {
  const svg = document.getElementById("map");
  const showForecast = document.getElementById("forecast-layer").checked;
  svg.replaceChildren();
  const at = Object.fromEntries(venue.nodes.map((n) => [n.id, n]));
  for (const link of venue.links) {
    const a = at[link.source], b = at[link.target];
    if (!a || !b) continue;
    const zone = zoneOf(link.id);
    const g = el("g", { class: "link", "data-zone": link.id }, null, SVG);
    const width = Math.max(3, Math.min(16, link.width_m * 1.2));
    const line = { x1: a.x, y1: a.y, x2: b.x, y2: b.y };
    g.append(el("line", { ...line, stroke: losColour(zone && zone.los), "stroke-width": width, "data-los": (zone && zone.los) || "" }, null, SVG));
    if (showForecast && zone && zone.los_10min) {
      g.append(el("line", { ...line, class: "forecast", stroke: losColour(zone.los_10min), "stroke-width": Math.max(2, width / 3), "stroke-dasharray": "8 6" }, null, SVG));
    }
    g.append(el("title", {}, hoverText(link.label || link.id, zone), SVG));
    g.addEventListener("click", () => selectZone(link.id));
    svg.append(g);
  }
  for (const node of venue.nodes) svg.append(mapNode(node, showForecast));
}

function mapNode(node, showForecast) {
  const zone = zoneOf(node.id);
  const g = el("g", { class: `place ${node.kind}`, "data-zone": node.id, transform: `translate(${node.x} ${node.y})` }, null, SVG);
  const r = node.area_m2 ? Math.max(12, Math.min(30, Math.sqrt(node.area_m2) / 3)) : 10;
  if (showForecast && zone && zone.los_10min) {
    g.append(el("circle", { r: r + 6, class: "forecast-ring", fill: "none", stroke: losColour(zone.los_10min), "stroke-width": 5 }, null, SVG));
  }
  const fill = losColour(zone && zone.los);
  const shape = node.kind === "checkpoint" || node.kind === "sector"
    ? el("rect", { x: -r, y: -r, width: 2 * r, height: 2 * r, rx: 3 }, null, SVG)
    : el("circle", { r }, null, SVG);
  shape.setAttribute("fill", fill);
  shape.setAttribute("data-los", (zone && zone.los) || "");
  g.append(shape);
  g.append(el("text", { y: r + 16, "text-anchor": "middle", class: "label" }, node.label, SVG));
  g.append(el("title", {}, hoverText(node.label, zone), SVG));
  g.addEventListener("click", () => selectZone(node.id));
  return g;
}

function hoverText(label, zone) {
  if (!zone) return `${label}: no data yet`;
  const d = zone.density_per_m2 === null ? "n/a" : `${zone.density_per_m2.toFixed(2)} /m²`;
  const f = zone.los_10min ? ` · +10 min ${zone.los_10min}` : "";
  return `${label}: LoS ${zone.los || "-"} now (${d}, ${zone.occupancy ?? "?"} people)${f}`;
}

function renderLegend() {
  const legend = document.getElementById("legend");
  legend.replaceChildren();
  for (const [level, colour] of Object.entries(LOS_COLOURS)) {
    const swatch = el("span", { class: "swatch" });
    swatch.style.background = colour;
    const item = el("span", { class: "legend-item" });
    item.append(swatch, document.createTextNode(`LoS ${level}`));
    legend.append(item);
  }
}

// ---- the alert queue

function queueKey(a) {
  return [a.state === "closed" ? 1 : 0, a.escalated && a.state !== "acked" ? 0 : 1,
    SEVERITY[a.severity] ?? 4, URGENCY[a.urgency] ?? 4, a.onset_clock_s ?? Infinity];
}

function compareAlerts(a, b) {
  const ka = queueKey(a), kb = queueKey(b);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? -1 : 1;
  return a.incident < b.incident ? -1 : a.incident > b.incident ? 1 : 0;
}

function timeToThreshold(a) {
  if (a.onset_clock_s === null || state.clock_s === null) return "";
  const dt = a.onset_clock_s - state.clock_s;
  return dt <= 0 ? "threshold reached" : `threshold in ${Math.ceil(dt / 60)} min`;
}

function renderAlerts() {
  const list = document.getElementById("alerts");
  const typing = document.activeElement;
  if (typing && typing.matches("#alerts input") && typing.value) return; // operator is typing
  const alerts = [...state.alerts].sort(compareAlerts);
  const open = alerts.filter((a) => a.state !== "closed").length;
  document.getElementById("alert-count").textContent = `${open} open`;
  list.replaceChildren(...alerts.slice(0, 60).map(alertCard));
}

function alertCard(a) {
  const li = el("li", { class: `alert sev-${a.severity} state-${a.state}`, "data-incident": a.incident, "data-state": a.state });
  if (a.escalated && a.state !== "acked" && a.state !== "closed") li.classList.add("escalated");
  const head = el("div", { class: "alert-head" });
  head.append(el("span", { class: "badge" }, a.severity || "Unknown"), el("span", { class: "urgency" }, a.urgency || ""),
    el("span", { class: "state" }, a.escalated && a.state === "new" ? "ESCALATED" : a.state));
  li.append(head, el("div", { class: "headline" }, a.headline || a.event || a.incident));
  const meta = el("div", { class: "meta" });
  meta.append(el("span", { class: "zone" }, `zone ${a.zone ?? "?"}`), el("span", { class: "ttt" }, timeToThreshold(a)));
  li.append(meta);
  if (a.instruction) li.append(el("div", { class: "instruction" }, a.instruction));
  const who = [];
  if (a.acked_by) who.push(`acknowledged by ${a.acked_by}`);
  if (a.assignee) who.push(`assigned to ${a.assignee}`);
  if (who.length) li.append(el("div", { class: "acked" }, who.join(" · ")));
  if (a.state !== "closed") li.append(alertActions(a));
  return li;
}

function alertActions(a) {
  const box = el("div", { class: "actions" });
  const ack = el("button", { type: "button", class: "ack" }, a.acked_by ? "acknowledge again" : "acknowledge");
  ack.addEventListener("click", () => act(a.incident, "ack", { note: "" }));
  const input = el("input", { type: "text", class: "assignee", placeholder: "assign to…", maxlength: 64 });
  const assign = el("button", { type: "button", class: "assign" }, "assign");
  assign.addEventListener("click", () => { if (input.value.trim()) act(a.incident, "assign", { assignee: input.value.trim() }); input.blur(); });
  box.append(ack, input, assign);
  return box;
}

async function act(incident, action, body) {
  const error = document.getElementById("action-error");
  const token = sessionStorage.getItem("matchday-token") || "";
  const response = await fetch(`/api/alerts/${encodeURIComponent(incident)}/${action}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (response.ok) { error.hidden = true; return; }
  const detail = await response.json().catch(() => ({}));
  error.textContent = `${action} refused (${response.status}): ${detail.detail || response.statusText}`;
  error.hidden = false;
}

// ---- trends, waits, platforms, cameras, audit

function renderZoneSelect() {
  const select = document.getElementById("zone-select");
  const zones = Object.keys(state.trends).sort();
  if (selectedZone === null && zones.length) selectedZone = zones[0];
  const have = [...select.options].map((o) => o.value);
  if (have.join("\n") === zones.join("\n")) { select.value = selectedZone; return; }
  select.replaceChildren(...zones.map((z) => { const o = el("option", { value: z }, z); return o; }));
  select.value = selectedZone;
}

function selectZone(zone) { selectedZone = zone; scheduleRender(); }

function renderTrend() {
  const svg = document.getElementById("trend");
  svg.replaceChildren();
  const s = selectedZone && state.trends[selectedZone];
  if (!s) { svg.append(el("text", { x: 20, y: 110 }, "no trend data yet", SVG)); return; }
  const lines = { observed: s.observed, estimate: s.estimate, forecast: s.forecast };
  const all = Object.values(lines).flat();
  if (!all.length) return;
  const t0 = Math.min(...all.map((p) => p[0])), t1 = Math.max(...all.map((p) => p[0]), t0 + 60);
  const vmax = Math.max(0.5, ...all.map((p) => p[1] ?? 0)) * 1.1;
  const x = (t) => 50 + ((t - t0) / (t1 - t0)) * 530, y = (v) => 200 - (v / vmax) * 180;
  svg.append(el("line", { x1: 50, y1: 200, x2: 580, y2: 200, class: "axis" }, null, SVG));
  svg.append(el("line", { x1: 50, y1: 20, x2: 50, y2: 200, class: "axis" }, null, SVG));
  svg.append(el("text", { x: 4, y: 24, class: "tick" }, `${vmax.toFixed(1)}/m²`, SVG));
  svg.append(el("text", { x: 50, y: 216, class: "tick" }, clockText(t0), SVG));
  svg.append(el("text", { x: 530, y: 216, class: "tick" }, clockText(t1), SVG));
  for (const [name, points] of Object.entries(lines)) {
    if (!points.length) continue;
    const d = points.filter((p) => p[1] !== null).map((p, i) => `${i ? "L" : "M"}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ");
    svg.append(el("path", { d, class: `series ${name}` }, null, SVG));
  }
  svg.append(el("text", { x: 300, y: 14, "text-anchor": "middle", class: "tick" }, selectedZone, SVG));
}

function row(cells, attrs = {}) {
  const tr = el("tr", attrs);
  for (const c of cells) tr.append(c instanceof Node ? c : el("td", {}, c));
  return tr;
}

function losCell(level) {
  const td = el("td", { class: "los" }, level || "-");
  td.style.background = losColour(level);
  return td;
}

function renderWaits() {
  const kinds = venue ? Object.fromEntries(venue.nodes.map((n) => [n.id, n.kind])) : {};
  const checkpoints = state.zones.filter((z) => kinds[z.zone] === "checkpoint");
  document.querySelector("#waits tbody").replaceChildren(...checkpoints.map((z) =>
    row([z.zone, z.mean_wait_s === null ? "-" : `${(z.mean_wait_s / 60).toFixed(1)} min`, String(z.occupancy ?? "-"), losCell(z.los)])));
  const platforms = state.zones.filter((z) => kinds[z.zone] === "origin");
  document.querySelector("#platforms tbody").replaceChildren(...platforms.map((z) =>
    row([z.zone, String(z.occupancy ?? "-"), z.density_per_m2 === null ? "-" : `${z.density_per_m2.toFixed(2)} /m²`, el("td", {}, `${z.los || "-"} / ${z.los_10min || "-"}`)])));
}

function renderCameras() {
  const now = Date.now() / 1000 + serverOffset;
  document.querySelector("#cameras tbody").replaceChildren(...state.cameras.map((c) => {
    const age = Math.max(0, now - c.received);
    const health = age > 120 ? "dead" : age > 30 ? "stale" : "ok";
    return row([c.camera, c.zone, c.event_time.slice(11, 19), `${age.toFixed(0)} s`], { class: `camera ${health}` });
  }));
}

function renderAudit() {
  const items = state.audit.slice(-80).reverse().map((e) => el("li", {},
    `${new Date(e.at * 1000).toLocaleTimeString()} · ${e.who} ${e.action} · ${e.headline || e.incident} (${e.zone ?? "?"})${e.note ? ` — ${e.note}` : ""}`));
  document.getElementById("audit").replaceChildren(...items);
}

// ---- start: token from the URL fragment (never sent to the server in a URL) or the form

function setupToken() {
  const match = location.hash.match(/token=([^&]+)/);
  if (match) {
    sessionStorage.setItem("matchday-token", decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname);
  }
  const who = document.getElementById("who");
  who.textContent = sessionStorage.getItem("matchday-token") ? "token set" : "no token: read only";
  document.getElementById("login").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = document.getElementById("token");
    sessionStorage.setItem("matchday-token", input.value.trim());
    input.value = "";
    who.textContent = "token set";
  });
}

async function start() {
  setupToken();
  renderLegend();
  document.getElementById("forecast-layer").addEventListener("change", scheduleRender);
  document.getElementById("zone-select").addEventListener("change", (e) => selectZone(e.target.value));
  venue = await (await fetch("/api/venue")).json();
  connect();
  setInterval(() => { if (state) renderCameras(); }, 1000);
}

start();
