"""Benchmark the network projection: full rebuild against the floor, peak memory, load latency.

Runs on a working copy of a cached synthetic ledger (``benchmarks/generate.py``;
generated on first use under ``benchmarks/.data/``) and prints one table:

- **floor**: a plain loop over the same rows (``recorder.select_notifications``
  pages, ``json.loads``, one ``MultiDiGraph.add_edge`` per event with two
  attributes), as is and with the garbage collector paused;
- **fold**: ``NetworkFold.apply_rows`` over the same pages (what a rebuild does
  before saving), and **rebuild**: ``projections.store.rebuild`` (fold + save);
- **load_network** latency: with nothing new, after 1 new event (the saved
  state is caught up), and the two audit questions that are answered from the
  log alone (``known_at=now``; a past position, half the log), compared with
  "nothing new" and with the full rebuild.

Every measurement runs in its own child process, so peak memory (``ru_maxrss``)
is that run's alone. Usage::

    .venv/bin/python benchmarks/rebuild.py                     # 1,000,000 events
    .venv/bin/python benchmarks/rebuild.py --events 100000     # a quick run
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import networkx as nx  # noqa: E402

from benchmarks.generate import default_path, ensure  # noqa: E402
from domain.collector import paused_gc  # noqa: E402
from domain.errors import LedgerError  # noqa: E402
from domain.ledger import Ledger  # noqa: E402
from projections.graph import NetworkFold  # noqa: E402
from projections.store import PAGE, NetworkStore, rebuild  # noqa: E402
from projections.summary import summary  # noqa: E402

REPEAT = 3
#: The day the benchmark's query asks about.
QUERY_DAY = "2020-06-30"


def pages(ledger: Ledger) -> Any:
    start = 0
    while True:
        rows = ledger.recorder.select_notifications(start, PAGE, inclusive_of_start=False)
        yield rows
        if len(rows) < PAGE:
            return
        start = rows[-1].id


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- what each child process measures ---------------------------------------------------------
def child_floor(path: Path, paused: bool) -> dict[str, Any]:
    ledger = Ledger(path)
    if paused:
        gc.disable()
    started = time.perf_counter()
    graph = nx.MultiDiGraph()
    events = 0
    for rows in pages(ledger):
        for row in rows:
            state = json.loads(row.state)
            graph.add_edge(
                row.topic,
                state["recorded_by"],
                key=row.id,
                event_id=state["event_id"],
                effective=state.get("effective"),
            )
        events += len(rows)
    return {"seconds": time.perf_counter() - started, "events": events, "peak": peak_mib()}


def child_fold(path: Path) -> dict[str, Any]:
    ledger = Ledger(path)
    started = time.perf_counter()
    fold = NetworkFold()
    with paused_gc():  # as NetworkStore does: reading rows with the collector on would walk the fold each time
        for rows in pages(ledger):
            fold.apply_rows(rows)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "events": fold.events,
        "peak": peak_mib(),
        "nodes": fold.graph.number_of_nodes(),
        "ties": fold.graph.number_of_edges(),
    }


def child_rebuild(path: Path) -> dict[str, Any]:
    ledger = Ledger(path)
    report = rebuild(ledger)
    return {
        "seconds": report["seconds"],
        "fold_seconds": report["fold_seconds"],
        "events": report["events"],
        "peak": peak_mib(),
    }


def child_load(path: Path, mode: str) -> dict[str, Any]:
    """Median load latency. ``fresh`` interleaves "nothing new" and "1 new event" loads, each from a saved state."""
    ledger = Ledger(path, actor="bench")
    keys = _org_keys(ledger)
    names = ("nothing_new", "one_new", "query_nothing_new", "query_one_new", "known_at", "past")
    times: dict[str, list[float]] = {name: [] for name in names}
    folded: dict[str, list[int]] = {k: [] for k in times}

    def timed(name: str, query: bool = False, **kwargs: Any) -> None:
        gc.collect()
        started = time.perf_counter()
        graph, info = NetworkStore(ledger).load(**kwargs)
        if query:
            summary(graph, as_of=QUERY_DAY)
        times[name].append(time.perf_counter() - started)
        folded[name].append(info.folded)
        del graph

    for i in range(REPEAT):
        if mode == "fresh":
            NetworkStore(ledger, save_after=1).load()  # the saved state ends at the head (not timed)
            timed("nothing_new")
            _rename_one(ledger, keys, i)
            timed("one_new")  # catches up 1 event (too few to rewrite the file)
            NetworkStore(ledger, save_after=1).load()
            timed("query_nothing_new", query=True)
            _rename_one(ledger, keys, i)
            timed("query_one_new", query=True)
        else:
            timed("known_at", known_at=datetime.now(UTC))
            timed("past", position=ledger.head() // 2)
    return {
        name: {"seconds": statistics.median(t), "all": t, "folded": max(folded[name])} for name, t in times.items() if t
    } | {"peak": peak_mib()}


def _rename_one(ledger: Ledger, keys: Any, i: int) -> None:
    """Record one new event: rename the first organisation that can still be renamed."""
    for key in keys:
        try:
            ledger.rename_organisation(key, name_en=f"Renamed for the benchmark {time.time_ns()} {i}")
        except LedgerError:
            continue  # dissolved, or its registration was retracted
        return


def _org_keys(ledger: Ledger) -> Any:
    for rows in pages(ledger):
        for row in rows:
            state = json.loads(row.state)
            if "key" in state and "sector" in state:
                yield state["key"]


def run_child(*args: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"child {args[0]} failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def working_copy(source: Path, folder: Path) -> Path:
    """A consistent copy of a ledger file (SQLite's backup API folds the WAL in)."""
    target = folder / source.name
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


def main() -> None:
    from bytecode import cache_bytecode  # benchmarks/bytecode.py

    cache_bytecode()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--orgs", type=int, default=None, help="default: events/100")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--path", type=Path, default=None, help="an existing ledger to measure instead")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        what, path = args.child[0], Path(args.child[1])
        if what == "floor":
            result = child_floor(path, paused=False)
        elif what == "floor_paused":
            result = child_floor(path, paused=True)
        elif what == "fold":
            result = child_fold(path)
        elif what == "rebuild":
            result = child_rebuild(path)
        else:
            result = child_load(path, what)
        print(json.dumps(result))
        return

    orgs = args.orgs if args.orgs is not None else max(50, args.events // 100)
    source = args.path or ensure(args.events, orgs, args.seed, default_path(args.events, orgs, args.seed))
    with tempfile.TemporaryDirectory(prefix="netledger-bench-") as tmp:
        path = working_copy(source, Path(tmp))
        with Ledger(path) as ledger:
            events = ledger.count()
        print(
            f"netledger projection benchmark: {events:,} events ({source.name}), Python {sys.version.split()[0]}, "
            f"networkx {nx.__version__}"
        )
        floor = run_child("floor", str(path))
        paused = run_child("floor_paused", str(path))
        fold = run_child("fold", str(path))
        built = run_child("rebuild", str(path))
        size = Path(f"{path}.graph").stat().st_size / 2**20
        loads = run_child("fresh", str(path)) | run_child("other", str(path))

        def rate(r: dict[str, Any]) -> float:
            return float(r["events"] / r["seconds"])

        base = rate(floor)
        print()
        print(
            f"{'full fold of the log':<40}{'seconds':>9}{'events/s':>11}"
            f"{'vs floor':>10}{'vs paused':>11}{'peak MiB':>10}"
        )
        rows = [
            ("floor: read + json + add_edge", floor),
            ("floor, garbage collector paused", paused),
            ("NetworkFold.apply_rows (no save)", fold),
            ("rebuild() = fold + save", built),
        ]
        for label, r in rows:
            print(
                f"{label:<40}{r['seconds']:>9.2f}{rate(r):>11,.0f}{rate(r) / base:>9.2f}x"
                f"{rate(r) / rate(paused):>10.2f}x{r['peak']:>10,.0f}"
            )
        saving = built["seconds"] - built["fold_seconds"]
        print(f"{'  of which folding / saving':<40}{built['fold_seconds']:>9.2f} / {saving:.2f} s")
        print(f"{'':<40}graph: {fold['nodes']:,} nodes, {fold['ties']:,} ties; saved state {size:,.0f} MiB")
        print()
        nothing = loads["nothing_new"]["seconds"]
        print(
            f"{'load_network latency (median of 3)':<40}{'seconds':>9}{'vs nothing new':>16}{'vs rebuild':>12}"
            f"{'folded':>11}"
        )
        labels = {
            "nothing_new": "nothing new",
            "one_new": "after 1 new event",
            "known_at": "known_at=now (from the log)",
            "past": "position=half (from the log)",
            "query_nothing_new": f"summary as of {QUERY_DAY}: nothing new",
            "query_one_new": "  the same after 1 new event",
        }
        for mode, label in labels.items():
            r = loads[mode]
            print(
                f"{label:<40}{r['seconds']:>9.3f}{r['seconds'] / nothing:>15.2f}x"
                f"{r['seconds'] / built['seconds']:>11.2f}x{r['folded']:>11,}"
            )
        ratio = loads["query_one_new"]["seconds"] / loads["query_nothing_new"]["seconds"]
        print(f"{'':<40}a query after 1 new event / with nothing new: {ratio:.2f}x (target <= 1.2x)")
        print(f"{'':<40}peak memory of a load: {loads['peak']:,.0f} MiB")
    shutil.rmtree(Path(tmp), ignore_errors=True)


if __name__ == "__main__":
    main()
