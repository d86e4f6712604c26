"""Benchmark: the query engine (igraph) against NetworkX, in the computation and end to end.

Run it from the repository root::

    .venv/bin/python benchmarks/engines.py            # everything (about 10 minutes)
    .venv/bin/python benchmarks/engines.py --quick    # 1k only, fewer repeats, for a smoke test

Four tables, each measured side by side in the one run:

1. **End to end on the demo**: every ``netledger network`` query on the Pohang
   demo ledger, as a user runs it (a whole process, the saved projection up to
   date), against ``netledger log`` on the same ledger (best of N wall times,
   interleaved; CPU seconds too). Target: each query <= 1.3x ``log``.
2. **Betweenness on 1,000 organisations, end to end**: ``netledger network
   centrality --metric betweenness`` on a ledger of 1,000 organisations and
   their partnerships, against a NetworkX script (read the same network from an
   edge list, ``nx.betweenness_centrality``, print the top ten), both whole
   processes; the scores are checked equal. Target: >= 5x.
3. **Small networks**: per metric, NetworkX's time against igraph's (loading
   igraph, measured in a fresh process, + conversion + computation), and where
   they cross: the thresholds of ``engine="auto"``
   (``projections.engines.NETWORKX_BELOW``) should sit near these crossings.
4. **The computation** (below): igraph against NetworkX, metric by metric, at
   1k, 5k and 10k organisations. Target: >= 50x at 5k and 10k. Betweenness
   is also timed on one process, split across processes (as the queries run
   it from ``PARALLEL_THRESHOLD`` organisations), and on rustworkx's threads
   when rustworkx is installed (it is not a netledger dependency: this row
   is the evidence for or against adding it).

Graphs: ``nx.powerlaw_cluster_graph(n, 5, 0.1)`` (about 5n pairs, mean degree
10), entered as a ledger-like MultiDiGraph and collapsed by
``projections.engines`` as every query does (weight ``none``). For each metric
it prints the seconds taken by igraph (as the queries call it, conversion
excluded; the conversion is a row of its own) and by NetworkX, the speed-up,
and the largest difference between the scores.

What is measured and what is not:

- igraph: always measured.
- NetworkX betweenness and closeness at the large size are **extrapolated**:
  exact runs at 1k, 2k and 3k (best of 2 each) are timed, and the time of
  the largest is scaled by (n / 3000)^2 -- both are O(nm) (one search from
  every organisation) and m grows like n in these graphs. The table marks
  those cells with ``~``. As a cross-check the note gives the fit
  ``t = c * n^a`` of all samples (least squares on logs): NetworkX usually
  scales a little worse than n^2 (cache misses), so n^2 is the conservative
  estimate. No score difference is given for them (the scores are checked
  at the sizes that were run).
- Times are the best of 3 runs for igraph (every size) and for NetworkX at
  1k (best of 2 for the extrapolation samples); the other NetworkX cells are
  single runs. The machine may be shared: the load average is printed at the
  start and the end, and a busy core slows both sides.
- NetworkX eigenvector and PageRank are timed with NetworkX's default
  tolerance (1e-6); the score difference is taken against a second run at
  tolerance 1e-13, so it shows the engine's agreement, not NetworkX's default
  accuracy. Without scipy (not a netledger dependency), ``nx.pagerank`` cannot
  run: its pure-Python twin (the same power iteration) is timed instead, and
  the eigenvector is ``nx.eigenvector_centrality`` (pure Python).
- Louvain: igraph as the queries run it (the best of 3 seeded runs), NetworkX
  once (``louvain_communities``, seed 1); the "difference" column is the
  relative difference of their modularity (igraph minus NetworkX).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import end_to_end  # type: ignore[import-not-found]  # benchmarks/end_to_end.py, beside this script
import networkx as nx

from projections import engines
from projections.engines import Prepared, igraph_scores, louvain, prepare, to_igraph

Row = dict[str, Any]


def ledger_graph(n: int, seed: int) -> nx.MultiDiGraph:
    """A powerlaw-cluster graph as the fold would hold it: one partnership per pair."""
    base = nx.powerlaw_cluster_graph(n, 5, 0.1, seed=seed)
    g = nx.MultiDiGraph()
    g.add_nodes_from((f"org{i}", {"sector": "firm"}) for i in base)
    for u, v in base.edges():
        g.add_edge(f"org{u}", f"org{v}", tie_type="partnership", start_on="2020-01-01", end_on=None)
    g.graph["position"] = g.number_of_edges()
    return g


def timed(f: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    """The best wall-clock time of *repeat* runs of *f*, and its result."""
    best = math.inf
    for _ in range(repeat):
        started = time.perf_counter()
        result = f()
        best = min(best, time.perf_counter() - started)
    return best, result


def max_diff(a: dict[str, float], b: dict[Any, float]) -> float:
    return max(abs(a[k] - b[k]) for k in a)


def networkx_pagerank(s: nx.Graph, tol: float) -> dict[Any, float]:
    return engines._networkx_pagerank(s, None) if tol < 1e-6 else _default_pagerank(s)


def _default_pagerank(s: nx.Graph) -> dict[Any, float]:
    try:
        return nx.pagerank(s)
    except ImportError:  # needs scipy: the pure-Python power iteration, NetworkX's default tolerance
        from networkx.algorithms.link_analysis import pagerank_alg

        python_pagerank: Any = getattr(pagerank_alg, "_pagerank_python")  # noqa: B009
        return python_pagerank(s)  # type: ignore[no-any-return]


NETWORKX: dict[str, Callable[[nx.Graph], dict[Any, float]]] = {
    "betweenness": nx.betweenness_centrality,
    "closeness": nx.closeness_centrality,
    "eigenvector": nx.eigenvector_centrality,
    "pagerank": lambda s: networkx_pagerank(s, 1e-6),
}
TIGHT: dict[str, Callable[[nx.Graph], dict[Any, float]]] = {
    "eigenvector": lambda s: nx.eigenvector_centrality(s, max_iter=100_000, tol=1e-13),
    "pagerank": lambda s: networkx_pagerank(s, 1e-13),
}


def fit(points: list[tuple[int, float]]) -> tuple[float, float]:
    """``(c, a)`` of ``t = c * n^a``, least squares on logs."""
    xs = [math.log(n) for n, _ in points]
    ys = [math.log(t) for _, t in points]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    a = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return math.exp(my - a * mx), a


def bench_size(n: int, seed: int, extrapolate: dict[str, Any] | None) -> list[Row]:
    g = ledger_graph(n, seed)
    rows: list[Row] = []
    t_collapse, prepared = timed(lambda: prepare(g))
    t_convert, engine = timed(lambda: to_igraph(prepared.simple, weighted=False))
    prepared._engine = engine
    s = prepared.simple
    rows.append(
        {"n": n, "metric": "collapse + convert", "igraph": t_collapse + t_convert, "networkx": None, "note": ""}
    )
    for metric in ("betweenness", "closeness", "eigenvector", "pagerank"):
        t_ig, ours = timed(lambda metric=metric: igraph_scores(prepared, metric), 3)
        if extrapolate and metric in extrapolate:
            c, a, square, largest = extrapolate[metric]
            note = f"n^2 from n={largest}; fit n^{a:.2f}: {c * n**a:.0f} s ({c * n**a / t_ig:.0f}x)"
            rows.append(
                {"n": n, "metric": metric, "igraph": t_ig, "networkx": square(n), "estimated": True, "note": note}
            )
            continue
        cheap = n <= 1000 or metric in TIGHT
        t_nx, theirs = timed(lambda metric=metric: NETWORKX[metric](s), 3 if cheap and n <= 1000 else 1)
        reference = TIGHT[metric](s) if metric in TIGHT else theirs
        rows.append({"n": n, "metric": metric, "igraph": t_ig, "networkx": t_nx, "diff": max_diff(ours, reference)})
    rows += bench_betweenness_ways(n, prepared)
    rows.append(bench_louvain(n, prepared))
    return rows


def bench_betweenness_ways(n: int, prepared: Prepared) -> list[Row]:
    """igraph betweenness on one process, split across processes, and rustworkx's threads (if installed)."""
    e = prepared.engine()
    t_one, one = timed(lambda: engines._from(e, "betweenness", range(n)), 3)
    saved = engines.PARALLEL_THRESHOLD
    engines.PARALLEL_THRESHOLD = 0  # split at every size, to compare
    try:
        t_split, split = timed(lambda: engines._split(e, "betweenness"), 3)
    finally:
        engines.PARALLEL_THRESHOLD = saved
    rows: list[Row] = [
        {"n": n, "metric": "betweenness 1 process", "igraph": t_one, "networkx": None, "note": ""},
        {"n": n, "metric": f"betweenness {engines._workers()} processes", "igraph": t_split, "networkx": None,
         "diff": max(abs(a - b) for a, b in zip(one, split, strict=True)), "note": f"{t_one / t_split:.2f}x 1 process"},
    ]  # fmt: skip
    try:
        import rustworkx as rx
    except ImportError:
        return rows
    graph = rx.networkx_converter(prepared.simple)
    t_rx, _ = timed(lambda: rx.graph_betweenness_centrality(graph, normalized=False, parallel_threshold=50), 3)
    rows.append({"n": n, "metric": f"betweenness rustworkx ({os.cpu_count()} threads)", "igraph": t_rx,
                 "networkx": None, "note": f"{t_one / t_rx:.2f}x igraph 1 process"})  # fmt: skip
    return rows


def bench_louvain(n: int, prepared: Prepared) -> Row:
    s = prepared.simple
    t_ig, ours = timed(lambda: louvain(prepared, seed=1), 3 if n <= 1000 else 1)
    t_nx, theirs = timed(lambda: nx.community.louvain_communities(s, seed=1), 3 if n <= 1000 else 1)
    q_ig = nx.community.modularity(s, ours)
    q_nx = nx.community.modularity(s, theirs)
    note = f"Q {q_ig:.4f} vs {q_nx:.4f}"
    return {"n": n, "metric": "louvain", "igraph": t_ig, "networkx": t_nx, "diff": (q_ig - q_nx) / q_nx, "note": note}


def sample_networkx(sizes: list[int], seed: int) -> tuple[dict[str, Any], list[Row]]:
    """Exact NetworkX betweenness and closeness at *sizes*; their ``t = c n^a`` fits, and ``n^2`` from the largest."""
    fits = {}
    rows: list[Row] = []
    for metric in ("betweenness", "closeness"):
        points = []
        for n in sizes:
            s = prepare(ledger_graph(n, seed)).simple
            t, _ = timed(lambda metric=metric, s=s: NETWORKX[metric](s), 2)
            points.append((n, t))
            rows.append({"metric": metric, "n": n, "seconds": t})
        c, a = fit(points)
        n_max, t_max = points[-1]
        fits[metric] = (c, a, lambda n, n_max=n_max, t_max=t_max: t_max * (n / n_max) ** 2, n_max)
    return fits, rows


def seconds(value: float | None, estimated: bool = False) -> str:
    if value is None:
        return "-"
    text = f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return ("~" if estimated else "") + text


def render(rows: list[Row]) -> str:
    header = ["n", "metric", "igraph s", "networkx s", "speed-up", "max |diff|", "note"]
    lines = []
    for r in rows:
        est = bool(r.get("estimated"))
        speed = f"{r['networkx'] / r['igraph']:.0f}x" if r.get("networkx") else "-"
        if est:
            speed = "~" + speed
        diff = r.get("diff")
        if r["metric"] == "louvain":
            diff_text = f"{diff:+.2%} (Q)"
        else:
            diff_text = f"{diff:.1e}" if diff is not None else ("not run" if est else "-")
        note = r.get("note", "")
        lines.append(
            [str(r["n"]), r["metric"], seconds(r["igraph"]), seconds(r.get("networkx"), est), speed, diff_text, note]
        )
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    return "\n".join(out)


def main() -> None:
    from bytecode import cache_bytecode  # benchmarks/bytecode.py

    cache_bytecode()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,5000,10000", help="organisation counts (default 1000,5000,10000)")
    parser.add_argument("--sample", default="1000,2000,3000", help="sizes NetworkX betweenness/closeness run at")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quick", action="store_true", help="1k only, no extrapolation")
    parser.add_argument("--repeat", type=int, default=7, help="runs of each end-to-end command (best is kept)")
    parser.add_argument("--only", choices=["end-to-end", "small", "compute"], help="one part only")
    args = parser.parse_args()
    sizes = [1000] if args.quick else [int(x) for x in args.sizes.split(",")]
    repeat = 3 if args.quick else args.repeat
    if args.only in (None, "end-to-end"):
        print(f"load average at start {os.getloadavg()[0]:.2f}")
        print(end_to_end.demo_table(repeat))
        print()
        print(end_to_end.thousand_table(repeat, args.seed))
        print()
    if args.only in (None, "small"):
        print(end_to_end.small_table())
        print()
    if args.only == "end-to-end" or args.only == "small":
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
        return
    sample = [int(x) for x in args.sample.split(",")]
    largest_sampled = max(sample)

    igraph = engines._igraph()  # sets OMP_NUM_THREADS=1 first, as the queries do

    print(
        f"python {platform.python_version()}, networkx {nx.__version__}, igraph {igraph.__version__}, "
        f"{os.cpu_count()} cores; engine betweenness workers: {engines._workers()} "
        f"(from {engines.PARALLEL_THRESHOLD} organisations); load average at start {os.getloadavg()[0]:.2f}"
    )
    fits: dict[str, Any] = {}
    if any(n > largest_sampled for n in sizes):
        fits, sampled = sample_networkx(sample, args.seed)
        print("\nNetworkX, measured exactly (best of 2; for the extrapolation):")
        for r in sampled:
            print(f"  {r['metric']:<12} n={r['n']:<6} {r['seconds']:.2f} s")
        for metric, (c, a, _, _) in fits.items():
            print(f"  fit {metric}: t = {c:.3g} * n^{a:.2f}")
    rows: list[Row] = []
    for n in sizes:
        rows += bench_size(n, args.seed, fits if n > largest_sampled else None)
    print()
    print(render(rows))
    print(f"\nload average at the end: {os.getloadavg()[0]:.2f} (other processes on the machine slow both sides)")


if __name__ == "__main__":
    main()
