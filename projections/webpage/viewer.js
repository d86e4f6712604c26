// netledger network viewer: plain JavaScript and SVG, no library, no network access.
// Reads the JSON in #ledger-data (see projections/webpage.py) and draws it into svg#graph.
(function () {
  "use strict";

  var SVG = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("ledger-data").textContent);
  var byId = function (id) { return document.getElementById(id); };
  var svg = byId("graph");
  var viewport = byId("viewport");
  var slider = byId("slider");

  // World coordinates: the unit square of the layout, scaled with the number of organisations.
  var SIZE = Math.max(520, Math.min(4000, 95 * Math.sqrt(data.nodes.length)));
  var PARALLEL = 16; // distance between parallel ties of one pair, in world units
  var LABEL_SIZE = 11, LINE = 13, LABEL_GAP = 3; // label font size, line height and gap below its circle, in px
  var LABEL_FONT = LABEL_SIZE + "px " + getComputedStyle(document.documentElement).fontFamily;

  var state = {
    stop: data.start,
    sectors: new Set(data.sectors.map(function (s) { return s.name; })),
    types: new Set(data.tie_types.map(function (t) { return t.name; })),
    label: "en",
    query: "",
    selected: null,
  };
  var view = { x: 0, y: 0, k: 1 };

  var nodes = {};
  var sectorInfo = {};
  var typeInfo = {};
  data.sectors.forEach(function (s) { sectorInfo[s.name] = s; });
  data.tie_types.forEach(function (t) { typeInfo[t.name] = t; });

  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(e);
    return e;
  }

  function html(name, attrs, text) {
    var e = document.createElement(name);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // The names in force on a day: the last entry of n.names dated on or before it (see webpage.py).
  function namesOn(n, day) {
    if (!n.names) return { ko: n.name_ko, en: n.name_en };
    var chosen = n.names[0];
    n.names.forEach(function (entry) { if (entry[0] === null || entry[0] <= day) chosen = entry; });
    return { ko: chosen[1], en: chosen[2] };
  }

  function currentDay() { return data.stops[state.stop].date; }

  function nameOf(n, how) {
    if (how === "key") return n.key;
    var names = namesOn(n, currentDay());
    if (how === "ko") return names.ko || names.en || n.key;
    return names.en || names.ko || n.key;
  }

  // A label's lines: whole words, about 22 characters a line (as the picture wraps them), never cut.
  function linesOf(text) {
    var lines = [], line = "";
    String(text).split(/\s+/).forEach(function (word) {
      if (line && (line + " " + word).length > 22) { lines.push(line); line = word; }
      else line = line ? line + " " + word : word;
    });
    lines.push(line);
    return lines;
  }

  // The width of a line of label text in screen pixels (canvas measure, cached per text).
  var measurer = document.createElement("canvas").getContext("2d");
  var widths = {};
  function widthOf(text) {
    if (!(text in widths)) {
      measurer.font = LABEL_FONT;
      widths[text] = measurer.measureText(text).width;
    }
    return widths[text];
  }

  // A tie run counts from its "from" day until (not on) its "to" day.
  function active(t, day) {
    return t.from <= day && (t.to === null || day < t.to);
  }

  // An organisation exists from its "since" day until (not on) its "until" day; an unregistered party
  // (registered false) has no dates: it shows while one of its ties counts.
  function exists(n, day) {
    return (n.since === null || n.since <= day) && (n.until === null || day < n.until);
  }

  // -- building the drawing -----------------------------------------------------------------
  var nodeLayer = byId("nodes");
  var tieLayer = byId("ties");
  data.nodes.forEach(function (n) {
    var g = el("g", { "class": "node", "data-node-key": n.key, "data-sector": n.sector }, nodeLayer);
    var info = sectorInfo[n.sector];
    var circle = el("circle", { r: 7, fill: info ? info.colour : "#999" }, g);
    var label = el("text", { "class": "label", "text-anchor": "middle" }, g);
    var tip = el("title", {}, g);
    nodes[n.key] = { data: n, g: g, circle: circle, label: label, tip: tip, x: n.x * SIZE, y: n.y * SIZE,
      ties: [], curves: [], r: 7, text: null, lines: [], width: 0, on: false, crowded: false };
    g.addEventListener("pointerenter", function () {
      g.classList.add("is-hover");
      if (g.parentNode.lastChild !== g) g.parentNode.appendChild(g); // on top of its neighbours
    });
    g.addEventListener("pointerleave", function () { g.classList.remove("is-hover"); });
  });

  // One curve per linked pair and tie type, whatever the direction and number of its ties (a support
  // each way, two partnerships): it carries the keys of the ties it stands for on the slider's day, and
  // thickens with their number. A pair linked by several types gets parallel curves side by side.
  var curves = {};
  var curveList = [];
  data.ties.forEach(function (t) {
    var a = t.source < t.target ? t.source : t.target;
    var b = t.source < t.target ? t.target : t.source;
    var id = a + "\u0000" + b + "\u0000" + t.tie_type;
    var curve = curves[id];
    if (!curve) {
      var info = typeInfo[t.tie_type] || { colour: "#555", dash: "" };
      var path = el("path", { "class": "tie", "data-tie-type": t.tie_type, "data-source": a, "data-target": b,
        stroke: info.colour }, tieLayer);
      if (info.dash) path.setAttribute("stroke-dasharray", info.dash);
      curve = curves[id] = { a: a, b: b, type: t.tie_type, runs: [], path: path, offset: 0, visible: false };
      curveList.push(curve);
      if (nodes[a]) nodes[a].curves.push(curve);
      if (nodes[b]) nodes[b].curves.push(curve);
    }
    var tie = { data: t, curve: curve };
    curve.runs.push(tie);
    if (nodes[t.source]) nodes[t.source].ties.push(tie);
    if (nodes[t.target]) nodes[t.target].ties.push(tie);
  });
  var typeOrder = data.tie_types.map(function (t) { return t.name; });
  var byPair = {};
  curveList.forEach(function (c) { (byPair[c.a + "\u0000" + c.b] = byPair[c.a + "\u0000" + c.b] || []).push(c); });
  Object.keys(byPair).forEach(function (pair) {
    var members = byPair[pair].sort(function (x, y) { return typeOrder.indexOf(x.type) - typeOrder.indexOf(y.type); });
    members.forEach(function (c, i) { c.offset = (i - (members.length - 1) / 2) * PARALLEL; });
  });

  function placeTie(curve) {
    var s = nodes[curve.a], t = nodes[curve.b];
    if (!s || !t) return;
    var dx = t.x - s.x, dy = t.y - s.y;
    var len = Math.sqrt(dx * dx + dy * dy) || 1;
    var cx = (s.x + t.x) / 2 - (dy / len) * curve.offset * 2;
    var cy = (s.y + t.y) / 2 + (dx / len) * curve.offset * 2;
    curve.path.setAttribute("d", "M" + s.x.toFixed(2) + "," + s.y.toFixed(2) + " Q" + cx.toFixed(2) + "," +
      cy.toFixed(2) + " " + t.x.toFixed(2) + "," + t.y.toFixed(2));
  }

  function placeNode(n) {
    n.g.setAttribute("transform", "translate(" + n.x.toFixed(2) + "," + n.y.toFixed(2) + ")");
    n.curves.forEach(placeTie);
  }

  // -- labels: full names, the same size at every zoom, none over another label or a circle ----------------
  function setLabel(n, text) {
    if (n.text === text) return;
    n.text = text;
    n.lines = linesOf(text);
    n.width = Math.max.apply(null, n.lines.map(widthOf));
    n.label.textContent = "";
    n.lines.forEach(function (line, i) {
      var span = el("tspan", { x: 0, dy: i === 0 ? LABEL_GAP + LABEL_SIZE : LINE }, n.label);
      span.textContent = line;
    });
  }

  // Which labels show at this zoom: most important first (the selected organisation, search matches,
  // then by degree on the day, then key), each where no label already shown and no circle is; the
  // others show when the mouse is over their organisation, or once zoomed in far enough. Boxes are
  // in screen pixels relative to the view's origin (panning moves them all alike), kept in a grid.
  var CELL = 80;
  function declutter() {
    var k = view.k;
    var grid = {};
    function cells(box, visit) {
      for (var i = Math.floor(box[0] / CELL); i <= Math.floor(box[2] / CELL); i++) {
        for (var j = Math.floor(box[1] / CELL); j <= Math.floor(box[3] / CELL); j++) {
          if (visit(i + ":" + j) === false) return false;
        }
      }
      return true;
    }
    function free(box, owner) {
      return cells(box, function (cell) {
        var here = grid[cell];
        if (!here) return true;
        for (var m = 0; m < here.length; m++) {
          var o = here[m];
          if (o[4] !== owner && box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3]) return false;
        }
        return true;
      });
    }
    function take(box) { cells(box, function (cell) { (grid[cell] = grid[cell] || []).push(box); }); }
    var shown = [];
    Object.keys(nodes).forEach(function (key) { if (nodes[key].on) shown.push(nodes[key]); });
    shown.forEach(function (n) {
      var x = n.x * k, y = n.y * k, r = n.r * k + 1;
      take([x - r, y - r, x + r, y + r, n]);
    });
    shown.sort(function (p, q) {
      var rank = function (n) { return n.data.key === state.selected ? 2 : n.g.classList.contains("is-match") ? 1 : 0; };
      return rank(q) - rank(p) || q.degree - p.degree || (p.data.key < q.data.key ? -1 : 1);
    });
    var crowded = 0;
    shown.forEach(function (n) {
      var x = n.x * k, top = n.y * k + n.r * k + LABEL_GAP;
      var half = n.width * (n.data.key === state.selected ? 1.12 : 1) / 2 + 2;
      var box = [x - half, top, x + half, top + LABEL_SIZE + 3 + (n.lines.length - 1) * LINE, n];
      var fits = free(box, n);
      if (fits) take(box); else crowded += 1;
      if (n.crowded === fits) { n.crowded = !fits; n.g.classList.toggle("is-crowded", !fits); }
    });
    svg.setAttribute("data-crowded-labels", String(crowded));
  }
  var declutterPending = false;
  function declutterSoon() {
    if (declutterPending) return;
    declutterPending = true;
    requestAnimationFrame(function () { declutterPending = false; declutter(); });
  }

  // -- filters and legend ----------------------------------------------------------------------
  function checkbox(parent, attr, value, checked, swatch, text, count, onChange) {
    var label = html("label");
    var box = html("input", { type: "checkbox" });
    box.setAttribute(attr, value);
    box.checked = checked;
    box.addEventListener("change", function () { onChange(box.checked); });
    label.appendChild(box);
    label.appendChild(swatch);
    label.appendChild(html("span", {}, text));
    label.appendChild(html("span", { "class": "count" }, count));
    parent.appendChild(label);
  }

  data.sectors.forEach(function (s) {
    var swatch = html("span", { "class": "swatch", style: "background:" + s.colour });
    checkbox(byId("sector-filters"), "data-sector", s.name, true, swatch, s.name.replace(/_/g, " "), s.count,
      function (on) { if (on) state.sectors.add(s.name); else state.sectors.delete(s.name); refresh(); });
  });
  data.tie_types.forEach(function (t) {
    var swatch = el("svg", { "class": "tie-swatch", width: 30, height: 10 });
    var line = el("line", { x1: 1, y1: 5, x2: 29, y2: 5, stroke: t.colour, "stroke-width": 2.5 }, swatch);
    if (t.dash) line.setAttribute("stroke-dasharray", t.dash);
    checkbox(byId("type-filters"), "data-tie-type", t.name, true, swatch, t.name, t.count,
      function (on) { if (on) state.types.add(t.name); else state.types.delete(t.name); refresh(); });
  });

  // -- what is shown on the slider's date --------------------------------------------------------
  function refresh() {
    var day = currentDay();
    slider.value = String(state.stop);
    slider.setAttribute("data-date", day);
    byId("slider-date").textContent = "as of " + day;
    var title = data.ledger + ": the network as of " + day;
    byId("title").textContent = title;
    document.title = title;
    var degree = {};
    var tied = {};
    var shownTies = 0;
    curveList.forEach(function (curve) {
      var keys = [];
      curve.runs.forEach(function (tie) {
        var t = tie.data;
        var s = nodes[t.source], g = nodes[t.target];
        var counts = active(t, day) && !!s && !!g;
        if (counts) { tied[t.source] = true; tied[t.target] = true; }
        if (counts && state.types.has(t.tie_type) && state.sectors.has(s.data.sector) &&
            state.sectors.has(g.data.sector)) {
          keys.push(t.key);
          degree[t.source] = (degree[t.source] || 0) + 1;
          degree[t.target] = (degree[t.target] || 0) + 1;
        }
      });
      var on = keys.length > 0;
      shownTies += keys.length;
      curve.visible = on;
      curve.path.setAttribute("data-tie-keys", keys.join(" "));
      curve.path.setAttribute("stroke-width", String(Math.min(2 + 1.2 * (keys.length - 1), 5)));
      curve.path.classList.toggle("is-hidden", !on);
      curve.path.classList.toggle("is-near", on && state.selected !== null &&
        (curve.a === state.selected || curve.b === state.selected));
    });
    var shownNodes = 0;
    Object.keys(nodes).forEach(function (key) {
      var n = nodes[key];
      var here = n.data.registered === false ? !!tied[key] : exists(n.data, day);
      var on = here && state.sectors.has(n.data.sector);
      var d = degree[key] || 0;
      var names = namesOn(n.data, day);
      n.tip.textContent = (names.en || n.key) + (names.ko ? " / " + names.ko : "") + " (" + n.data.sector + ")";
      n.g.classList.toggle("is-absent", !here);
      n.g.classList.toggle("is-hidden", !on);
      n.g.classList.toggle("is-idle", d === 0);
      n.r = 6 + 2.6 * Math.sqrt(d);
      n.degree = d;
      n.on = on;
      n.circle.setAttribute("r", n.r.toFixed(2));
      n.g.style.setProperty("--r", n.r.toFixed(2) + "px");
      setLabel(n, nameOf(n.data, state.label));
      n.g.setAttribute("data-degree", String(d));
      if (on) shownNodes += 1;
    });
    declutter();
    var status = byId("status");
    status.textContent = shownNodes + " organisations, " + shownTies + " ties";
    status.setAttribute("data-visible-nodes", String(shownNodes));
    status.setAttribute("data-visible-ties", String(shownTies));
    if (state.selected !== null) showPanel(state.selected);
  }

  // -- the side panel ---------------------------------------------------------------------------
  function amountOf(t) {
    if (t.amount === null || t.amount === undefined) return "";
    var n = Number(t.amount);
    var text = isFinite(n) ? n.toLocaleString("en") : String(t.amount);
    return (t.currency ? t.currency + " " : "") + text;
  }

  function select(key) {
    if (state.selected !== null && nodes[state.selected]) nodes[state.selected].g.classList.remove("is-selected");
    state.selected = key;
    if (key === null) {
      byId("panel").hidden = true;
      refresh();
      return;
    }
    nodes[key].g.classList.add("is-selected");
    refresh();
  }

  function showPanel(key) {
    var n = nodes[key].data;
    var panel = byId("panel");
    panel.hidden = false;
    panel.setAttribute("data-node-key", key);
    var names = namesOn(n, currentDay());
    byId("panel-title").textContent = nameOf(n, state.label);
    byId("panel-name-en").textContent = names.en || "";
    byId("panel-name-ko").textContent = names.ko || "";
    byId("panel-key").textContent = n.key;
    byId("panel-sector").textContent = n.sector.replace(/_/g, " ") + (n.dissolved ? " (dissolved " + n.dissolved + ")" : "");
    byId("panel-subtype").textContent = n.subtype || "";
    var day = data.stops[state.stop].date;
    var list = byId("panel-ties");
    list.textContent = "";
    var mine = nodes[key].ties.slice().sort(function (a, b) {
      return a.data.from.localeCompare(b.data.from) || a.data.id.localeCompare(b.data.id);
    });
    mine.forEach(function (tie) {
      var t = tie.data;
      var other = t.source === key ? t.target : t.source;
      var arrow = t.tie_type === "support" ? (t.source === key ? "\u2192 " : "\u2190 ") : "";
      var on = active(t, day);
      var item = html("li", { "data-tie-id": t.id, "class": on ? "active" : "inactive" });
      item.appendChild(html("div", { "class": "with" }, arrow + (nodes[other] ? nameOf(nodes[other].data, state.label) : other)));
      var what = [t.tie_type, t.kind && t.kind !== t.tie_type ? t.kind : null, amountOf(t) || null];
      item.appendChild(html("div", { "class": "what" }, what.filter(Boolean).join(" \u00b7 ")));
      var until = t.end ? t.end : "open" + (t.term_end ? ", term to " + t.term_end : "");
      item.appendChild(html("div", { "class": "when" }, (t.start || "?") + " \u2013 " + until + (on ? "" : " (not on " + day + ")")));
      if (t.title) item.appendChild(html("div", { "class": "title" }, t.title));
      list.appendChild(item);
    });
    var activeCount = mine.filter(function (tie) { return active(tie.data, day); }).length;
    byId("panel-tie-count").textContent = "(" + mine.length + ", " + activeCount + " on " + day + ")";
  }

  byId("panel-close").addEventListener("click", function () { select(null); });

  // -- search -----------------------------------------------------------------------------------
  var search = byId("search");
  function matches(q) {
    if (!q) return [];
    return data.nodes.filter(function (n) {
      return [n.key, n.name_en, n.name_ko].some(function (s) { return s && s.toLowerCase().indexOf(q) >= 0; });
    }).map(function (n) { return n.key; });
  }
  function runSearch() {
    var q = search.value.trim().toLowerCase();
    state.query = q;
    var found = matches(q);
    var hit = new Set(found);
    Object.keys(nodes).forEach(function (key) {
      nodes[key].g.classList.toggle("is-match", hit.has(key));
      nodes[key].g.classList.toggle("is-dimmed", q !== "" && !hit.has(key));
    });
    byId("search-count").textContent = q ? found.length + " found" : "";
    return found;
  }
  search.addEventListener("input", function () {
    var found = runSearch();
    if (found.length === 1) { select(found[0]); centreOn(found[0]); }
  });
  search.addEventListener("keydown", function (e) {
    if (e.key !== "Enter") return;
    var found = runSearch();
    if (found.length) { select(found[0]); centreOn(found[0]); }
  });

  byId("label-lang").addEventListener("change", function (e) { state.label = e.target.value; refresh(); });

  // -- zoom and pan -----------------------------------------------------------------------------
  var drawnK = null;
  function applyView() {
    viewport.setAttribute("transform", "translate(" + view.x.toFixed(2) + "," + view.y.toFixed(2) + ") scale(" +
      view.k.toFixed(4) + ")");
    svg.setAttribute("data-zoom", view.k.toFixed(4));
    if (view.k !== drawnK) { // labels keep their screen size: more of them fit as one zooms in
      drawnK = view.k;
      svg.style.setProperty("--unzoom", String(1 / view.k));
      declutterSoon();
    }
  }
  function fit() {
    var rect = svg.getBoundingClientRect();
    var keys = Object.keys(nodes);
    if (!keys.length || rect.width === 0) { applyView(); return; }
    var xs = keys.map(function (k) { return nodes[k].x; });
    var ys = keys.map(function (k) { return nodes[k].y; });
    var minX = Math.min.apply(null, xs), maxX = Math.max.apply(null, xs);
    var minY = Math.min.apply(null, ys), maxY = Math.max.apply(null, ys);
    var pad = 70;
    var k = Math.min((rect.width - 2 * pad) / Math.max(maxX - minX, 1), (rect.height - 2 * pad) / Math.max(maxY - minY, 1));
    view.k = Math.max(0.05, Math.min(k, 3));
    view.x = rect.width / 2 - view.k * (minX + maxX) / 2;
    view.y = rect.height / 2 - view.k * (minY + maxY) / 2;
    applyView();
  }
  function zoomAt(factor, px, py) {
    var k = Math.max(0.05, Math.min(view.k * factor, 20));
    view.x = px - (px - view.x) * (k / view.k);
    view.y = py - (py - view.y) * (k / view.k);
    view.k = k;
    applyView();
  }
  function centreOn(key) {
    var rect = svg.getBoundingClientRect();
    var n = nodes[key];
    view.x = rect.width / 2 - view.k * n.x;
    view.y = rect.height / 2 - view.k * n.y;
    applyView();
  }
  svg.addEventListener("wheel", function (e) {
    e.preventDefault();
    var rect = svg.getBoundingClientRect();
    zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - rect.left, e.clientY - rect.top);
  }, { passive: false });
  byId("zoom-in").addEventListener("click", function () {
    var r = svg.getBoundingClientRect(); zoomAt(1.25, r.width / 2, r.height / 2);
  });
  byId("zoom-out").addEventListener("click", function () {
    var r = svg.getBoundingClientRect(); zoomAt(0.8, r.width / 2, r.height / 2);
  });
  byId("zoom-fit").addEventListener("click", fit);

  // Dragging the background pans; dragging an organisation moves it; a click without a move selects it.
  var drag = null;
  svg.addEventListener("pointerdown", function (e) {
    if (e.button !== 0) return;
    var g = e.target.closest ? e.target.closest("[data-node-key]") : null;
    drag = { key: g ? g.getAttribute("data-node-key") : null, x: e.clientX, y: e.clientY, moved: false,
      vx: view.x, vy: view.y, nx: g ? nodes[g.getAttribute("data-node-key")].x : 0,
      ny: g ? nodes[g.getAttribute("data-node-key")].y : 0 };
    svg.setPointerCapture(e.pointerId);
    if (!drag.key) svg.classList.add("panning");
  });
  svg.addEventListener("pointermove", function (e) {
    if (!drag) return;
    var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    if (!drag.moved && Math.abs(dx) + Math.abs(dy) < 4) return;
    drag.moved = true;
    if (drag.key) {
      var n = nodes[drag.key];
      n.x = drag.nx + dx / view.k;
      n.y = drag.ny + dy / view.k;
      placeNode(n);
    } else {
      view.x = drag.vx + dx;
      view.y = drag.vy + dy;
      applyView();
    }
  });
  function endDrag(e) {
    if (!drag) return;
    if (svg.hasPointerCapture(e.pointerId)) svg.releasePointerCapture(e.pointerId);
    svg.classList.remove("panning");
    var was = drag;
    drag = null;
    if (!was.moved) select(was.key);
    else if (was.key) declutterSoon();
  }
  svg.addEventListener("pointerup", endDrag);
  svg.addEventListener("pointercancel", function (e) { if (drag) { drag.moved = true; } endDrag(e); });

  // -- the time slider ------------------------------------------------------------------------------
  slider.max = String(data.stops.length - 1);
  // A network without dates (or with one) has one stop: no slider to move, no replay.
  byId("timeline").classList.toggle("is-undated", data.stops.length < 2);
  slider.addEventListener("input", function () { state.stop = Number(slider.value); refresh(); });
  var timer = null;
  var play = byId("play");
  function stopPlaying() { if (timer !== null) { clearInterval(timer); timer = null; play.textContent = "\u25B6"; } }
  play.addEventListener("click", function () {
    if (timer !== null) { stopPlaying(); return; }
    if (state.stop >= data.stops.length - 1) state.stop = 0;
    play.textContent = "\u275A\u275A";
    refresh();
    timer = setInterval(function () {
      if (state.stop >= data.stops.length - 1) { stopPlaying(); return; }
      state.stop += 1;
      refresh();
    }, 900);
  });

  Object.keys(nodes).forEach(function (key) { placeNode(nodes[key]); });
  refresh();
  fit();
  window.addEventListener("resize", fit);
  document.body.setAttribute("data-ready", "true");
})();
