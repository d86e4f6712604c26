// A measuring prototype, not the page's viewer: the same data as `netledger network html` drawn by sigma.js 3
// (WebGL) on a graphology graph, for benchmarks/page.py. It draws the network of data.as_of (one edge per pair and
// tie type, nodes sized by degree and coloured by sector, sigma's own label grid), lets the mouse drag a node,
// pan and zoom, and nothing else (no slider, filters, search or panel).
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("ledger-data").textContent);
  var day = data.as_of;
  var colours = {};
  data.sectors.forEach(function (s) { colours[s.name] = s.colour; });
  var typeColours = {};
  data.tie_types.forEach(function (t) { typeColours[t.name] = t.colour; });
  var graph = new graphology.Graph({ multi: false, type: "undirected" });
  var degree = {};
  var exists = function (n) { return (n.since === null || n.since <= day) && (n.until === null || day < n.until); };
  data.ties.forEach(function (t) {
    if (!(t.from <= day && (t.to === null || day < t.to))) return;
    degree[t.source] = (degree[t.source] || 0) + 1;
    degree[t.target] = (degree[t.target] || 0) + 1;
  });
  data.nodes.forEach(function (n) {
    if (!exists(n) && !degree[n.key]) return;
    graph.addNode(n.key, { x: n.x, y: -n.y, size: 3 + 1.3 * Math.sqrt(degree[n.key] || 0),
      color: colours[n.sector] || "#999", label: n.name_en || n.name_ko || n.key });
  });
  data.ties.forEach(function (t) {
    if (!(t.from <= day && (t.to === null || day < t.to))) return;
    if (!graph.hasNode(t.source) || !graph.hasNode(t.target)) return;
    var a = t.source < t.target ? t.source : t.target, b = t.source < t.target ? t.target : t.source;
    var id = a + "\u0000" + b + "\u0000" + t.tie_type;
    if (graph.hasEdge(id)) return;
    if (graph.hasEdge(a, b)) return; // a simple graph in this prototype: one edge per pair
    graph.addEdgeWithKey(id, a, b, { color: typeColours[t.tie_type] || "#555", size: 1 });
  });
  var container = document.getElementById("graph");
  var renderer = new Sigma(graph, container, { labelFont: "NanumGothic, sans-serif", labelSize: 11 });
  var dragged = null;
  renderer.on("downNode", function (e) { dragged = e.node; });
  renderer.getMouseCaptor().on("mousemovebody", function (e) {
    if (!dragged) return;
    var p = renderer.viewportToGraph(e);
    graph.setNodeAttribute(dragged, "x", p.x);
    graph.setNodeAttribute(dragged, "y", p.y);
    e.preventSigmaDefault();
    e.original.preventDefault();
    e.original.stopPropagation();
  });
  renderer.getMouseCaptor().on("mouseup", function () { dragged = null; });
  window.__graph = graph; // for checks
  // where a node is on the screen, for the benchmark's mouse
  window.__nodeScreen = function (key) {
    var d = renderer.getNodeDisplayData(key);
    var p = renderer.framedGraphToViewport(d);
    var box = container.getBoundingClientRect();
    return { x: box.left + p.x, y: box.top + p.y };
  };
  requestAnimationFrame(function () { document.body.setAttribute("data-ready", "true"); });
})();
