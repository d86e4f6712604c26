// Read a GraphML or GEXF file with graphology (as Gephi Lite does) and print what the tests compare:
// its size, each node's betweenness (normalised as NetworkX normalises it) and degree, and the edges' attributes.
// usage: node read_scores.mjs FILE graphml|gexf
import { readFileSync } from "node:fs";
import Graph from "graphology";
import gexf from "graphology-gexf";
import graphml from "graphology-graphml";
import betweenness from "graphology-metrics/centrality/betweenness.js";

const [file, format] = process.argv.slice(2);
const text = readFileSync(file, "utf-8");
const graph = (format === "gexf" ? gexf : graphml).parse(Graph, text);
const degree = {};
graph.forEachNode((node) => { degree[node] = graph.degree(node); });
const edges = [];
graph.forEachEdge((edge, attributes, source, target) => { edges.push({ source, target, attributes }); });
const nodes = {};
graph.forEachNode((node, attributes) => { nodes[node] = attributes; });
process.stdout.write(JSON.stringify({
  type: graph.type,
  order: graph.order,
  size: graph.size,
  betweenness: betweenness(graph, { normalized: true }),
  degree,
  nodes,
  edges,
}));
