// matchday ops-room page: folds the server's event feed into a local copy of the state and
// draws it. Every piece of text from the server goes in through textContent or setAttribute,
// never as markup, so a zone called "<img src=x onerror=...>" shows as those characters.
"use strict";

const NO_LOS = "#5f6670";
const CAMERA_STALE_S = 30; // no frame for this long (wall clock): stale
const CAMERA_OFFLINE_S = 120; // no frame for this long: offline
const CAMERA_DRIFT_S = 120; // frame clock this far from the other cameras' median: drifting
const CAMERA_ROWS = 8; // problem rows on the main view; the rest are a click away
const SEVERITY = { Extreme: 0, Severe: 1, Moderate: 2, Minor: 3, Unknown: 4 };
const URGENCY = { Immediate: 0, Expected: 1, Future: 2, Past: 3, Unknown: 4 };
const SVG = "http://www.w3.org/2000/svg";

let state = null; // the server's state: zones, alerts, cameras, audit, trends
let venue = null; // the map geometry: places, links, names, palette (from /api/venue)
let names = null; // element id -> the name people read
let lastSeq = null;
let source = null;
let failures = 0; // event streams refused or lost in a row
let serverOffset = 0; // server wall clock minus ours, seconds
let selectedZone = null;
let zonePicked = false; // until the operator picks a zone, the trend follows the top alert
let renderPending = false;
let mapDirty = true; // the map is redrawn only when a zone changed (it is the costly part)

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

function losColour(level) { return (venue && venue.palette[level]) || NO_LOS; }

function zoneOf(id) { return (state && state.zones.find((z) => z.zone === id)) || null; }

// ---- connection: full state on connect, numbered changes after; the browser resends
// Last-Event-ID when it reconnects, and the server replays what was missed.

function connect() {
  const url = lastSeq === null ? "/api/events" : `/api/events?since=${lastSeq}`;
  source = new EventSource(url);
  source.addEventListener("open", () => { failures = 0; setConnection(true); });
  source.addEventListener("state", (e) => { applyState(JSON.parse(e.data)); lastSeq = Number(e.lastEventId); });
  source.addEventListener("delta", (e) => { applyDelta(JSON.parse(e.data)); lastSeq = Number(e.lastEventId); });
  source.addEventListener("error", () => {
    setConnection(false);
    // closed for good (e.g. 503: the server has as many pages as it allows): back off, with
    // jitter, so a room of pages that lost the server does not come back all at once
    if (source.readyState === EventSource.CLOSED) {
      source = null;
      failures += 1;
      const delay = Math.min(30000, 2000 * 2 ** Math.min(failures - 1, 4)) * (0.5 + Math.random());
      setTimeout(connect, delay);
    }
  });
}

let connected = false;
let busDownSince = null; // when this page first saw the broker down (its own clock)

function setConnection(up) {
  connected = up;
  document.body.dataset.connected = up ? "yes" : "no";
  renderConnection();
}

// The pill says whether this page hears the server; the banner whether the server hears the
// broker. "live" is shown only when both hold: with the bus down the figures are frozen.
function renderConnection() {
  const node = document.getElementById("connection");
  const bus = state && state.bus;
  const busUp = !bus || bus.up;
  node.textContent = !connected ? "reconnecting" : busUp ? "live" : "bus down";
  node.className = `connection ${!connected ? "down" : busUp ? "up" : "bus"}`;
  document.body.dataset.bus = busUp ? "up" : "down";
  const banner = document.getElementById("bus-banner");
  if (busUp) { busDownSince = null; banner.hidden = true; return; }
  if (busDownSince === null) busDownSince = new Date();
  const waiting = bus.pending ? `; ${bus.pending} records wait to be sent` : "";
  banner.textContent = `Message bus DOWN since ${busDownSince.toLocaleTimeString()}: ${bus.detail || "broker unreachable"}${waiting}. `
    + "Figures are the last received; acknowledgements cannot be recorded until the bus is back.";
  banner.hidden = false;
}

function applyState(next) {
  state = next;
  mapDirty = true;
  serverOffset = next.server_time - Date.now() / 1000;
  document.getElementById("scenario").textContent = `· ${next.scenario}`;
  renderConnection();
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
  if (event.kind === "zone" || event.kind === "forecast") mapDirty = true;
  if (event.kind === "zone") upsert(state.zones, "zone", event.zone);
  else if (event.kind === "camera") upsert(state.cameras, "camera", event.camera);
  else if (event.kind === "alert") upsert(state.alerts, "incident", event.alert);
  else if (event.kind === "audit") state.audit.push(event.entry);
  else if (event.kind === "trend") series(event.zone)[event.series].push(event.point);
  else if (event.kind === "bus") { state.bus = event.bus; renderConnection(); }
  else if (event.kind === "forecast") {
    if (event.estimates) state.estimates = event.estimates;
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
  if (mapDirty) { mapDirty = false; renderMap(); }
  renderAlerts();
  renderZoneSelect();
  renderTrend();
  renderWaits();
  renderEstimates();
  renderCameras();
  renderAudit();
}

// ---- the map: the shared venue map component (venue_map.js), coloured by the LoS now on each
// element's own Fruin scale; the forecast layer adds the +10 min LoS as a dashed ring or line.

function nameOf(id) { return (names && names[id]) || id; }
// a zone no camera sees: its numbers are the twin's model alone, and say so
function zoneName(z) { return z.estimated ? `${nameOf(z.zone)} (estimated)` : nameOf(z.zone); }

function liveFrame() {
  const values = {};
  for (const z of state.zones) {
    values[z.zone] = { density: z.density_per_m2, los: z.los, occupancy: z.occupancy, forecast_los: z.los_10min };
  }
  return { values };
}

function renderMap() {
  const forecast = document.getElementById("forecast-layer").checked;
  VenueMap.draw(document.getElementById("map"), venue, liveFrame(), { forecast, theme: "dark", onSelect: selectZone });
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
    el("span", { class: "state" }, a.escalated && a.state === "new" ? "ESCALATED" : a.state),
    el("span", { class: "certainty" }, a.certainty || ""));
  // one row per incident: an Update (a forecast come true, a new severity) changes this row
  if (a.messages > 1) head.append(el("span", { class: "updates", title: `latest: ${a.msgType}` }, `updated ${a.messages - 1}×`));
  li.append(head, el("div", { class: "headline" }, a.headline || a.event || a.incident));
  const meta = el("div", { class: "meta" });
  meta.append(el("span", { class: "zone" }, a.zone ? nameOf(a.zone) : "zone ?"), el("span", { class: "ttt" }, timeToThreshold(a)));
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

// An action is confirmed only when the server says the broker has it (202); anything else,
// a 503 while the bus is down included, is shown with the server's reason and nothing changes.
async function act(incident, action, body) {
  const status = document.getElementById("action-error");
  const token = sessionStorage.getItem("matchday-token") || "";
  const verb = action === "ack" ? "acknowledgement" : "assignment";
  status.textContent = `sending ${verb}…`;
  status.className = "error pending";
  status.hidden = false;
  let response;
  try {
    response = await fetch(`/api/alerts/${encodeURIComponent(incident)}/${action}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
  } catch (error) {
    status.textContent = `${verb} NOT recorded: the dashboard server did not answer (${error.message}); try again`;
    status.className = "error";
    return;
  }
  if (response.ok) { status.hidden = true; status.className = "error"; return; }
  const detail = await response.json().catch(() => ({}));
  const reason = typeof detail.detail === "string" ? detail.detail : response.statusText;
  status.textContent = `${verb} failed (HTTP ${response.status}): ${reason}`;
  status.className = "error";
}

// ---- trends, waits, platforms, cameras, audit

function renderZoneSelect() {
  const select = document.getElementById("zone-select");
  const zones = Object.keys(state.trends).sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
  if (!zonePicked && zones.length) {
    const top = [...state.alerts].sort(compareAlerts).find((a) => a.state !== "closed" && state.trends[a.zone]);
    selectedZone = top ? top.zone : selectedZone ?? zones[0];
  }
  const have = [...select.options].map((o) => o.value);
  if (have.join("\n") === zones.join("\n")) { select.value = selectedZone; return; }
  select.replaceChildren(...zones.map((z) => el("option", { value: z }, nameOf(z))));
  select.value = selectedZone;
}

function selectZone(zone) { selectedZone = zone; zonePicked = true; scheduleRender(); }

function renderTrend() {
  const svg = document.getElementById("trend");
  svg.replaceChildren();
  const s = selectedZone && state.trends[selectedZone];
  if (!s) { svg.append(el("text", { x: 20, y: 110, class: "tick" }, "no trend data yet", SVG)); return; }
  const lines = { observed: s.observed, estimate: s.estimate, forecast: s.forecast };
  const all = Object.values(lines).flat().filter((p) => p[1] !== null);
  svg.append(el("text", { x: 300, y: 14, "text-anchor": "middle", class: "title" }, nameOf(selectedZone), SVG));
  if (!all.length) return;
  const t0 = Math.min(...all.map((p) => p[0])), t1 = Math.max(...all.map((p) => p[0]), t0 + 60);
  const vmax = Math.max(0.5, ...all.map((p) => p[1])) * 1.1;
  const x = (t) => 56 + ((t - t0) / (t1 - t0)) * 530, y = (v) => 214 - (v / vmax) * 190;
  svg.append(el("line", { x1: 56, y1: 214, x2: 586, y2: 214, class: "axis" }, null, SVG));
  svg.append(el("line", { x1: 56, y1: 24, x2: 56, y2: 214, class: "axis" }, null, SVG));
  svg.append(el("text", { x: 50, y: 30, "text-anchor": "end", class: "tick" }, vmax.toFixed(1), SVG));
  svg.append(el("text", { x: 50, y: 214, "text-anchor": "end", class: "tick" }, "0", SVG));
  svg.append(el("text", { x: 56, y: 232, class: "tick" }, clockText(t0), SVG));
  svg.append(el("text", { x: 586, y: 232, "text-anchor": "end", class: "tick" }, clockText(t1), SVG));
  for (const [name, points] of Object.entries(lines)) {
    const valid = points.filter((p) => p[1] !== null);
    if (!valid.length) continue;
    const d = valid.map((p, i) => `${i ? "L" : "M"}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ");
    svg.append(el("path", { d, class: `series ${name}` }, null, SVG));
  }
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
  const kinds = Object.fromEntries(venue.places.map((p) => [p.id, p.kind]));
  const checkpoints = state.zones.filter((z) => kinds[z.zone] === "checkpoint")
    .sort((a, b) => (b.mean_wait_s ?? -1) - (a.mean_wait_s ?? -1));
  document.querySelector("#waits tbody").replaceChildren(...checkpoints.map((z) =>
    row([zoneName(z), z.mean_wait_s === null ? "-" : `${(z.mean_wait_s / 60).toFixed(1)} min`, String(z.occupancy ?? "-"), losCell(z.los)])));
  const platforms = state.zones.filter((z) => kinds[z.zone] === "origin");
  document.querySelector("#platforms tbody").replaceChildren(...platforms.map((z) =>
    row([zoneName(z), String(z.occupancy ?? "-"), z.density_per_m2 === null ? "-" : `${z.density_per_m2.toFixed(2)} /m²`, el("td", {}, `${z.los || "-"} / ${z.los_10min || "-"}`)])));
}

// ---- what the twin has learnt: factors of the plan, the furthest from it first ("Gate E1:
// screening at about 30% of plan"). Listed only when the members agree it is off the plan: the
// p10-p90 band leaves the plan out and the median is more than 10% from it. A parameter no count
// informs (a gate's screening after the whistle) wanders within its prior: not news to act on.
// The same rule as ``Estimate.learnt`` in streams/messages.py.

function learnt(e) {
  return Math.abs(e.p50 - 1) > 0.1 && (e.p10 > 1 || e.p90 < 1);
}

function renderEstimates() {
  const off = (state.estimates || []).filter(learnt)
    .sort((a, b) => Math.abs(b.p50 - 1) - Math.abs(a.p50 - 1));
  document.getElementById("estimates").replaceChildren(...off.map((e) => el("li", {}, e.text)));
  document.getElementById("estimates-ok").hidden = off.length > 0;
  // a twin without an ensemble learns nothing: the panel is not shown at all
  document.getElementById("estimates-panel").hidden = !(state.estimates || []).length;
}

// ---- cameras: the main view lists only cameras with a problem; the full list is a click away.

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : null;
}

function cameraHealth() {
  const now = Date.now() / 1000 + serverOffset;
  const reporting = state.cameras.filter((c) => now - c.received <= CAMERA_STALE_S && c.clock_s !== undefined);
  const reference = median(reporting.map((c) => c.clock_s));
  return state.cameras.map((c) => {
    const age = Math.max(0, now - c.received);
    const drift = reference === null || c.clock_s === undefined ? 0 : c.clock_s - reference;
    let health = "ok", why = "";
    if (age > CAMERA_OFFLINE_S) { health = "offline"; why = `offline: no frame for ${Math.round(age / 60)} min`; }
    else if (age > CAMERA_STALE_S) { health = "stale"; why = `stale: no frame for ${age.toFixed(0)} s`; }
    else if (Math.abs(drift) > CAMERA_DRIFT_S) { health = "drifting"; why = `drifting: clock ${Math.round(Math.abs(drift) / 60)} min ${drift < 0 ? "behind" : "ahead"}`; }
    return { camera: c, age, health, why };
  });
}

const HEALTH_ORDER = { offline: 0, stale: 1, drifting: 2, ok: 3 };

function renderCameras() {
  const all = cameraHealth().sort((a, b) => HEALTH_ORDER[a.health] - HEALTH_ORDER[b.health] || (a.camera.camera < b.camera.camera ? -1 : 1));
  const problems = all.filter((h) => h.health !== "ok");
  const counts = { ok: 0, drifting: 0, stale: 0, offline: 0 };
  for (const h of all) counts[h.health] += 1;
  const summary = `${all.length} cameras: ${counts.ok} ok · ${counts.drifting} drifting · ${counts.stale} stale · ${counts.offline} offline`;
  document.getElementById("camera-summary").textContent = summary;
  document.getElementById("camera-summary").className = `camera-summary${problems.length ? " bad" : ""}`;
  document.getElementById("camera-count").textContent = `${problems.length} of ${all.length}`;
  document.getElementById("all-cameras").textContent = `all cameras (${all.length})`;
  const shown = problems.slice(0, CAMERA_ROWS).map((h) =>
    row([h.camera.camera, nameOf(h.camera.zone), `${h.why} (last ${h.camera.event_time.slice(11, 16)})`], { class: `camera ${h.health}`, "data-health": h.health }));
  if (problems.length > CAMERA_ROWS) {
    const more = el("tr", { class: "more" });
    more.append(el("td", { colspan: 3 }, `+ ${problems.length - CAMERA_ROWS} more: see all cameras`));
    shown.push(more);
  }
  document.querySelector("#cameras tbody").replaceChildren(...shown);
  document.getElementById("cameras-ok").hidden = problems.length > 0 || all.length === 0;
  if (document.getElementById("cameras-dialog").open) renderAllCameras(all);
}

function renderAllCameras(all) {
  document.getElementById("all-camera-count").textContent = `${all.length}`;
  document.querySelector("#all-cameras-table tbody").replaceChildren(...all.map((h) =>
    row([h.camera.camera, nameOf(h.camera.zone), h.health === "ok" ? "ok" : h.why, h.camera.event_time.slice(11, 19),
      `${h.age.toFixed(0)} s`, h.camera.model, Number(h.camera.confidence).toFixed(2)], { class: `camera ${h.health}`, "data-health": h.health })));
}

function setupCameraDialog() {
  const dialog = document.getElementById("cameras-dialog");
  document.getElementById("all-cameras").addEventListener("click", () => {
    if (!state) return;
    dialog.showModal();
    renderCameras();
  });
  document.getElementById("close-cameras").addEventListener("click", () => dialog.close());
}

function renderAudit() {
  const items = state.audit.slice(-80).reverse().map((e) => el("li", {},
    `${new Date(e.at * 1000).toLocaleTimeString()} · ${e.who} ${e.action} · ${e.headline || e.incident} (${e.zone ? nameOf(e.zone) : "?"})${e.note ? ` — ${e.note}` : ""}`));
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
  setupCameraDialog();
  document.getElementById("forecast-layer").addEventListener("change", () => { mapDirty = true; scheduleRender(); });
  document.getElementById("zone-select").addEventListener("change", (e) => selectZone(e.target.value));
  venue = await (await fetch("/api/venue")).json();
  names = Object.fromEntries([...venue.places, ...venue.links].map((item) => [item.id, item.name]));
  VenueMap.legend(document.getElementById("legend"), venue, { forecast: true, theme: "dark" });
  connect();
  setInterval(() => { if (state) renderCameras(); }, 1000);
}

start();
