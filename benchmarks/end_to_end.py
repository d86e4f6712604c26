"""End-to-end tables of ``benchmarks/engines.py``: whole processes, as a user runs them.

- ``demo_table``: every ``netledger network`` query on the Pohang demo against ``netledger log``;
- ``thousand_table``: betweenness on 1,000 organisations, ``netledger`` against a NetworkX script;
- ``small_table``: per metric, NetworkX against igraph (import + convert + compute) on small networks.

Wall times are the best of N runs, the commands interleaved (so a busy moment slows all
of them alike); CPU seconds (user + system of the child) are the best of the same runs.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

import networkx as nx

BIN = Path(sys.executable).parent
NETLEDGER = str(BIN / "netledger")

#: The demo's queries, as a planner types them (after ``netledger --db pohang.db``).
DEMO_QUERIES: list[list[str]] = [
    ["network", "summary", "--as-of", "2019-12-31"],
    ["network", "centrality", "--metric", "degree", "--as-of", "2019-12-31"],
    ["network", "centrality", "--metric", "betweenness", "--as-of", "2019-12-31"],
    ["network", "centrality", "--metric", "eigenvector", "--as-of", "2019-12-31"],
    ["network", "centrality", "--metric", "pagerank", "--as-of", "2019-12-31"],
    ["network", "brokers", "--as-of", "2019-12-31"],
    ["network", "communities", "--as-of", "2019-12-31"],
    ["network", "mix", "--as-of", "2019-12-31"],
    ["network", "ego", "postech", "--as-of", "2019-12-31"],
    ["network", "path", "postech", "pohang-city", "--as-of", "2019-12-31"],
    ["network", "trend", "--metric", "ties", "--from", "2017", "--to", "2022"],
    ["network", "diff", "2018", "2020"],
    ["network", "whatif", "--remove", "nssz-promotion-group", "--as-of", "2019-12-31"],
    ["network", "resilience", "--as-of", "2019-12-31"],
    ["network", "suggest", "--as-of", "2019-12-31"],
]


def run_timed(argv: Sequence[str], cwd: str | None = None) -> tuple[float, float, str]:
    """Run *argv*; its wall seconds, its CPU seconds (user + system) and its output. Fails loudly."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def best_of(commands: dict[str, list[str]], repeat: int, cwd: str | None = None) -> dict[str, tuple[float, float]]:
    """Best wall and best CPU seconds of each command over *repeat* interleaved rounds."""
    best = {name: (math.inf, math.inf) for name in commands}
    for _ in range(repeat):
        for name, argv in commands.items():
            wall, cpu, _ = run_timed(argv, cwd)
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    return best


def table(header: list[str], lines: list[list[str]]) -> str:
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    return "\n".join(out)


def demo_table(repeat: int) -> str:
    """Every demo query against ``netledger log``, end to end (target: <= 1.3x)."""
    folder = tempfile.mkdtemp(prefix="bench-demo-")
    db = os.path.join(folder, "pohang.db")
    run_timed([NETLEDGER, "--db", db, "demo"])
    run_timed([NETLEDGER, "--db", db, "network", "summary"])  # the saved projection is up to date
    commands = {"log": [NETLEDGER, "--db", db, "log"]}
    commands |= {" ".join(q): [NETLEDGER, "--db", db, *q] for q in DEMO_QUERIES}
    best = best_of(commands, repeat)
    log_wall, log_cpu = best["log"]
    lines = [["netledger log", f"{log_wall:.3f}", "1.00x", f"{log_cpu:.3f}", "1.00x", ""]]
    for name, (wall, cpu) in best.items():
        if name == "log":
            continue
        ratio = wall / log_wall
        lines.append(
            [
                name,
                f"{wall:.3f}",
                f"{ratio:.2f}x",
                f"{cpu:.3f}",
                f"{cpu / log_cpu:.2f}x",
                "ok" if ratio <= 1.3 else "over",
            ]
        )
    title = f"1. End to end on the demo (best of {repeat}; target: each query <= 1.3x netledger log)\n"
    return title + table(["command", "wall s", "vs log", "cpu s", "vs log", "target"], lines)


NETWORKX_SCRIPT = """
import sys, networkx as nx
g = nx.read_edgelist(sys.argv[1], nodetype=str)
scores = nx.betweenness_centrality(g)
for key, score in sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:10]:
    print(key, repr(score))
"""


def thousand_ledger(folder: str, n: int, seed: int) -> tuple[str, str]:
    """A ledger of *n* organisations tied as ``powerlaw_cluster_graph(n, 5, 0.1)``, and the same edge list."""
    base = nx.powerlaw_cluster_graph(n, 5, 0.1, seed=seed)
    lines = [
        {"event_id": str(uuid.uuid4()), "type": "organisation.registered", "key": f"org{i}", "sector": "firm",
         "name_en": f"Org {i}"}
        for i in base
    ]  # fmt: skip
    lines += [
        {"event_id": str(uuid.uuid4()), "type": "partnership.formed", "effective": "2020-01-01",
         "parties": [{"key": f"org{u}"}, {"key": f"org{v}"}]}
        for u, v in base.edges()
    ]  # fmt: skip
    jsonl = os.path.join(folder, "events.jsonl")
    with open(jsonl, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(line) + "\n" for line in lines)
    db = os.path.join(folder, "l.db")
    run_timed([NETLEDGER, "--db", db, "init"])
    run_timed([NETLEDGER, "--db", db, "import", "--format", "jsonl", jsonl])
    edges = os.path.join(folder, "edges.txt")
    with open(edges, "w", encoding="utf-8") as f:
        f.writelines(f"org{u} org{v}\n" for u, v in base.edges())
    return db, edges


def thousand_table(repeat: int, seed: int, n: int = 1000) -> str:
    """``netledger network centrality --metric betweenness`` against a NetworkX script (target >= 5x)."""
    folder = tempfile.mkdtemp(prefix="bench-1k-")
    db, edges = thousand_ledger(folder, n, seed)
    script = os.path.join(folder, "betweenness.py")
    Path(script).write_text(NETWORKX_SCRIPT, encoding="utf-8")
    ours_cmd = [NETLEDGER, "--db", db, "network", "centrality", "--metric", "betweenness", "--as-of", "2020",
                "--format", "json"]  # fmt: skip
    run_timed(ours_cmd)  # the saved projection is up to date
    theirs_cmd = [sys.executable, script, edges]
    _, _, ours_out = run_timed(ours_cmd)
    _, _, theirs_out = run_timed(theirs_cmd)
    ours = {r["key"]: r["score"] for r in json.loads(ours_out)}
    theirs = {key: float(score) for key, score in (line.split() for line in theirs_out.splitlines())}
    difference = max(abs(ours[k] - theirs[k]) for k in theirs)
    if list(ours)[:10] != list(theirs) or difference > 1e-9:
        raise SystemExit(f"the scores differ: {list(ours)[:10]} vs {list(theirs)} (max {difference:.1e})")
    best = best_of({"netledger": ours_cmd, "networkx": theirs_cmd}, repeat)
    (ow, oc), (tw, tc) = best["netledger"], best["networkx"]
    lines = [
        ["netledger network centrality --metric betweenness", f"{ow:.3f}", f"{oc:.3f}", ""],
        ["NetworkX script (read edge list, betweenness)", f"{tw:.3f}", f"{tc:.3f}", ""],
        ["speed-up", f"{tw / ow:.1f}x", f"{tc / oc:.1f}x", "ok" if tw / ow >= 5 else "under"],
    ]
    pairs = len(Path(edges).read_text(encoding="utf-8").splitlines())
    title = (
        f"2. Betweenness on {n} organisations ({pairs} pairs), whole "
        f"processes, best of {repeat}; top ten equal, max |diff| {difference:.1e} (target >= 5x)\n"
    )
    return title + table(["", "wall s", "cpu s", "target"], lines)


SMALL_SIZES = (25, 50, 100, 200, 300, 500)
SMALL_METRICS = ("betweenness", "closeness", "harmonic", "eigenvector", "pagerank")

SMALL_SCRIPT = """
import json, sys, time
started = time.perf_counter()
import networkx as nx
sys.path.insert(0, sys.argv[3])
from projections.engines import prepare, igraph_scores, networkx_scores
metric, engine = sys.argv[1], sys.argv[2]
sizes = [int(n) for n in sys.argv[4].split(",")]
out = {}
for n in sizes:
    base = nx.powerlaw_cluster_graph(n, 2, 0.3, seed=n)
    g = nx.MultiDiGraph()
    for u, v in base.edges():
        g.add_edge(str(u), str(v), tie_type="partnership", start_on="2019-01-01", end_on=None)
    t = time.perf_counter()
    p = prepare(g)
    (igraph_scores if engine == "igraph" else networkx_scores)(p, metric)
    out[n] = time.perf_counter() - t
print(json.dumps(out))
"""


def small_table() -> str:
    """NetworkX against igraph per metric and size; igraph's import measured once in a fresh process."""
    root = str(Path(__file__).resolve().parent.parent)
    probe = "import time; from projections.engines import _igraph; t = time.perf_counter(); _igraph(); "
    probe += "print(time.perf_counter() - t)"  # igraph alone: projections.engines is loaded by any query
    loads = [float(subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=root,
                                  check=True).stdout) for _ in range(5)]  # fmt: skip
    load = min(loads)
    from projections.engines import NETWORKX_BELOW

    sizes = ",".join(map(str, SMALL_SIZES))
    lines = []
    for metric in SMALL_METRICS:
        timing: dict[str, dict[str, float]] = {}
        for engine in ("networkx", "igraph"):
            best: dict[str, float] = {}
            for _ in range(3):
                done = subprocess.run([sys.executable, "-c", SMALL_SCRIPT, metric, engine, root, sizes],
                                      capture_output=True, text=True, cwd=root, check=True)  # fmt: skip
                for n, t in json.loads(done.stdout).items():
                    best[n] = min(best.get(n, math.inf), t)
            timing[engine] = best
        crossing = next((n for n in SMALL_SIZES if timing["networkx"][str(n)] > timing["igraph"][str(n)] + load), None)
        cells = [f"{timing['networkx'][str(n)]:.3f}/{timing['igraph'][str(n)] + load:.3f}" for n in SMALL_SIZES]
        lines.append([metric, *cells, str(crossing or f">{SMALL_SIZES[-1]}"), str(NETWORKX_BELOW.get(metric, "-"))])
    header = ["metric", *(f"n={n} nx/ig" for n in SMALL_SIZES), "igraph wins from", "NETWORKX_BELOW"]
    title = (
        f"3. Small networks: NetworkX s / igraph s (import {load:.3f} s + convert + compute), best of 3; "
        "the threshold of engine='auto' should sit near the crossing\n"
    )
    return title + table(header, lines)
