// matchday venue map: draws the geometry from simulator/results/venue_map.py as SVG and colours
// every place and link by its level of service on its own Fruin scale. One file for the
// planner's report (inlined, with a time slider over frames) and the ops-room dashboard (served,
// with live colours and the +10 min forecast ring). Names go in through textContent only.
"use strict";

(function (root) {
  const NS = "http://www.w3.org/2000/svg";
  const THEMES = {
    light: { text: "#1d2430", halo: "#ffffff", base: "#c5ccd6", nodata: "#b0b7c3", floorless: "#7d8796", leader: "#8a93a3" },
    dark: { text: "#e8eaed", halo: "#151a20", base: "#3a424d", nodata: "#5f6670", floorless: "#8c96a3", leader: "#7d8794" },
  };

  function node(tag, attrs, text) {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) n.setAttribute(k, String(v));
    if (text !== undefined && text !== null) n.textContent = String(text);
    return n;
  }

  function html(tag, attrs, text) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, String(v));
    if (text !== undefined && text !== null) n.textContent = String(text);
    return n;
  }

  // Layout of the widget's HTML parts, set through the CSSOM so a strict page policy allows it;
  // a host page's stylesheet can still restyle every vm-* class.
  function styled(el, css) { Object.assign(el.style, css); return el; }

  function clock(seconds) {
    if (seconds === null || seconds === undefined) return "--:--";
    const s = Math.floor(((seconds % 86400) + 86400) % 86400);
    const pad = (n) => String(n).padStart(2, "0");
    return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}`;
  }

  function colour(geometry, theme, item, level) {
    if (!item.los_scale) return theme.floorless;
    return geometry.palette[level] || theme.nodata;
  }

  function describe(item, value) {
    if (!item.los_scale) return `${item.name}: no floor of its own, not graded`;
    if (!value || value.density === null || value.density === undefined) return `${item.name}: no data`;
    const people = value.occupancy === null || value.occupancy === undefined ? "" : `, ${value.occupancy} people`;
    const ahead = value.forecast_los ? ` · +10 min: LoS ${value.forecast_los}` : "";
    return `${item.name}: ${value.density.toFixed(2)} persons/m², LoS ${value.los} (${item.los_scale} scale${people})${ahead}`;
  }

  function points(list) { return list.map((p) => `${p[0]},${p[1]}`).join(" "); }

  function drawLink(g, geometry, theme, link, value, opts) {
    const level = value && value.los;
    const group = node("g", { class: "vm-link", "data-id": link.id, "data-los": level || "" });
    group.append(node("polyline", { points: points(link.points), fill: "none", stroke: colour(geometry, theme, link, level),
      "stroke-width": link.stroke, "stroke-linecap": "round", "stroke-opacity": link.los_scale ? 1 : 0.6 }));
    if (opts.forecast && value && value.forecast_los) {
      group.setAttribute("data-forecast-los", value.forecast_los);
      group.append(node("polyline", { class: "vm-forecast", points: points(link.points), fill: "none",
        stroke: geometry.palette[value.forecast_los] || theme.nodata, "stroke-width": Math.max(1.5, link.stroke / 2.5), "stroke-dasharray": "7 5" }));
    }
    group.append(node("title", {}, describe(link, value)));
    if (opts.onSelect) group.addEventListener("click", () => opts.onSelect(link.id));
    g.append(group);
  }

  function marker(place, fill) {
    const r = place.r;
    if (place.kind === "checkpoint") return node("rect", { x: -r, y: -r, width: 2 * r, height: 2 * r, rx: 2, fill });
    if (place.kind === "sector") return node("rect", { x: -r, y: -r * 0.7, width: 2 * r, height: 1.4 * r, rx: 1, fill });
    if (place.kind === "exit") return node("path", { d: `M0,${-r - 1} L${r + 1},${r} L${-r - 1},${r} Z`, fill });
    return node("circle", { r, fill });
  }

  function drawPlace(g, geometry, theme, place, value, opts) {
    const level = value && value.los;
    const group = node("g", { class: `vm-place vm-${place.kind}`, "data-id": place.id, "data-los": level || "",
      transform: `translate(${place.x} ${place.y})` });
    if (opts.forecast && value && value.forecast_los) {
      group.setAttribute("data-forecast-los", value.forecast_los);
      group.append(node("circle", { class: "vm-forecast", r: place.r + 4.5, fill: "none",
        stroke: geometry.palette[value.forecast_los] || theme.nodata, "stroke-width": 3.5, "stroke-dasharray": "5 3" }));
    }
    const shape = marker(place, colour(geometry, theme, place, level));
    shape.setAttribute("stroke", theme.halo);
    shape.setAttribute("stroke-width", 1.5);
    group.append(shape);
    group.append(node("title", {}, describe(place, value)));
    if (opts.onSelect) group.addEventListener("click", () => opts.onSelect(place.id));
    g.append(group);
  }

  function drawLabel(g, geometry, theme, item, value) {
    const label = item.label;
    if (!label) return;
    if (label.leader) {
      const [a, b] = label.leader;
      g.append(node("line", { class: "vm-leader", x1: a[0], y1: a[1], x2: b[0], y2: b[1], stroke: theme.leader, "stroke-width": 1 }));
    }
    const hot = value && (value.los === "E" || value.los === "F");
    g.append(node("text", { class: `vm-label${hot ? " vm-hot" : ""}`, "data-id": item.id, x: label.x, y: label.y,
      "font-size": geometry.font, "font-family": "system-ui, sans-serif", "text-decoration": hot ? "underline" : null,
      fill: theme.text, stroke: theme.halo, "stroke-width": 3, "paint-order": "stroke", "stroke-linejoin": "round" }, label.text));
  }

  // Draw (or redraw) the whole map into ``svg`` for one frame: {values: {id: {density, los, occupancy, forecast_los}}}.
  function draw(svg, geometry, frame, options) {
    const opts = Object.assign({ forecast: false, onSelect: null, theme: "light" }, options || {});
    const theme = THEMES[opts.theme] || THEMES.light;
    const values = (frame && frame.values) || {};
    svg.setAttribute("viewBox", `0 0 ${geometry.width} ${geometry.height}`);
    svg.setAttribute("role", "img");
    svg.setAttribute("aria-label", `map of ${geometry.name}`);
    const links = node("g", { class: "vm-links" }), places = node("g", { class: "vm-places" }), labels = node("g", { class: "vm-labels" });
    for (const link of geometry.links) drawLink(links, geometry, theme, link, values[link.id], opts);
    for (const place of geometry.places) drawPlace(places, geometry, theme, place, values[place.id], opts);
    for (const item of [...geometry.places, ...geometry.links]) drawLabel(labels, geometry, theme, item, values[item.id]);
    svg.replaceChildren(links, places, labels);
  }

  // The key: one swatch per level, each Fruin scale's density thresholds, the shapes and the forecast ring.
  function legend(container, geometry, options) {
    const opts = Object.assign({ forecast: false, theme: "light" }, options || {});
    const theme = THEMES[opts.theme] || THEMES.light;
    const box = styled(html("div", { class: "vm-legend" }), { display: "flex", flexWrap: "wrap", gap: "4px 16px", alignItems: "center", fontSize: "12px" });
    const swatches = styled(html("div", { class: "vm-swatches" }), { display: "flex", flexWrap: "wrap", gap: "4px 10px" });
    const key = (fill) => styled(html("span", { class: "vm-swatch" }), { display: "inline-block", width: "12px", height: "12px", borderRadius: "2px", marginRight: "4px", background: fill, verticalAlign: "-1px" });
    for (const [level, fill] of Object.entries(geometry.palette)) {
      const item = html("span", { class: "vm-key" });
      const sw = key(fill);
      item.append(sw, document.createTextNode(`LoS ${level}`));
      swatches.append(item);
    }
    for (const [text, fill] of [["no data", theme.nodata], ["not graded (no floor)", theme.floorless]]) {
      const item = html("span", { class: "vm-key" });
      const sw = key(fill);
      item.append(sw, document.createTextNode(text));
      swatches.append(item);
    }
    box.append(swatches);
    const table = styled(html("table", { class: "vm-scales" }), { borderCollapse: "collapse", fontSize: "11px", width: "auto", margin: "0" });
    const head = html("tr");
    head.append(html("th", {}, "persons/m² from"), ...Object.keys(Object.values(geometry.scales)[0]).map((l) => html("th", {}, l)));
    table.append(head);
    for (const [scale, limits] of Object.entries(geometry.scales)) {
      const row = html("tr");
      row.append(html("th", {}, scale), ...Object.values(limits).map((v) => html("td", {}, v.toFixed(2))));
      table.append(row);
    }
    box.append(table);
    const shapes = "● platform, plaza, concourse  ■ gate  ▬ seating sector  ▲ exit";
    box.append(html("div", { class: "vm-shapes" }, opts.forecast ? `${shapes}  ◌ dashed ring / line: LoS in 10 min` : shapes));
    container.replaceChildren(box);
  }

  // The report's widget: map, legend, a slider over the frames and a button per named moment.
  function mount(container, data) {
    const { geometry, frames } = data;
    const svg = node("svg", { class: "vm-svg", width: "100%" });
    styled(svg, { display: "block", maxHeight: "90vh" });
    const caption = styled(html("div", { class: "vm-caption" }), { fontWeight: "bold", fontSize: "15px" });
    const slider = html("input", { type: "range", min: 0, max: Math.max(0, frames.length - 1), step: 1, value: 0, class: "vm-slider", "aria-label": "time" });
    styled(slider, { width: "100%" });
    const moments = styled(html("div", { class: "vm-moments" }), { display: "flex", flexWrap: "wrap", gap: "6px", margin: "4px 0 8px" });
    const key = html("div");
    const show = (i) => {
      const frame = frames[i];
      slider.value = String(i);
      draw(svg, geometry, frame, { theme: "light" });
      caption.textContent = frame ? `${clock(frame.time_s)}${frame.title ? ` · ${frame.title}` : ""}` : "no frames";
    };
    frames.forEach((frame, i) => {
      if (!frame.title) return;
      const button = html("button", { type: "button", class: "vm-moment" }, `${frame.title} (${clock(frame.time_s)})`);
      button.addEventListener("click", () => show(i));
      moments.append(button);
    });
    slider.addEventListener("input", () => show(Number(slider.value)));
    legend(key, geometry, { theme: "light" });
    container.replaceChildren(caption, svg, slider, moments, key);
    const first = frames.findIndex((f) => f.title);
    show(first >= 0 ? first : 0);
  }

  function mountAll() {
    for (const container of document.querySelectorAll("[data-venue-map]")) {
      const data = container.querySelector('script[type="application/json"]');
      if (data) mount(container, JSON.parse(data.textContent));
    }
  }

  root.VenueMap = { draw, legend, mount, clock };
  if (typeof document !== "undefined") {
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
    else mountAll();
  }
})(typeof window !== "undefined" ? window : this);
