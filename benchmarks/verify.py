"""Benchmark ``netledger verify``: the chain alone (before issue 14), the default check, and the deep check.

Runs on a working copy of a cached synthetic ledger (``benchmarks/generate.py``; generated
on first use under ``benchmarks/.data/``; a ledger of an earlier schema is migrated on the
copy first) and prints one table. Each measurement is a child process running
``domain.integrity.verify.verify_log`` (timed inside, so start-up is left out) in one of
three modes, interleaved over ``--rounds`` rounds; the table gives the median of each:

- **chain only**: ``verify_log(beside=False)``, the hash-chain walk exactly as ``verify``
  ran it before issue 14 (the same loop, nothing beside it);
- **default**: what ``netledger verify`` checks now: the chain, the index row of every
  event, the meta seal;
- **deep**: ``verify --deep`` (and ``checkpoint``): also every event decoded and its rules
  replayed through the command handlers (``domain.integrity.rules``).

The issue's rule: the deep check becomes the default only if it stays within 2x of the
chain-only time, measured side by side. The last column says whether it does. Peak memory
is each child's own high-water mark (``VmHWM``).

Usage::

    .venv/bin/python benchmarks/verify.py                    # 100,000 events
    .venv/bin/python benchmarks/verify.py --events 1000000
    .venv/bin/python benchmarks/verify.py --path my.db       # an existing ledger (measured on a copy)
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import default_path, ensure  # noqa: E402

MODES = ("chain", "default", "deep")
CHILD = """
import json, sys, time
from domain.ledger import Ledger
from domain.integrity.verify import verify_log
path, mode = sys.argv[1], sys.argv[2]
with Ledger(path) as ledger:
    started = time.perf_counter()
    report = verify_log(ledger, deep=mode == "deep", beside=mode != "chain")
    seconds = time.perf_counter() - started
peak = int([l for l in open("/proc/self/status") if l.startswith("VmHWM:")][0].split()[1]) / 1024
print(json.dumps({"seconds": seconds, "events": report.size, "ok": report.ok, "peak": peak,
                  "problem": str(report.problem) if report.problem else None}))
"""


def measure(path: Path, mode: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), mode], capture_output=True, text=True, cwd=ROOT, check=True
    )
    result: dict[str, object] = json.loads(done.stdout)
    return result


def working_copy(source: Path, folder: Path) -> Path:
    copy = folder / "ledger.db"
    shutil.copyfile(source, copy)
    for suffix in ("-wal", "-shm"):
        side = Path(f"{source}{suffix}")
        if side.exists():
            shutil.copyfile(side, Path(f"{copy}{suffix}"))
    from domain.integrity.migrate import migrate
    from domain.ledger import Ledger

    with Ledger(copy) as ledger:
        if ledger.needs_migration:
            migrate(ledger)
    return copy


def main() -> None:
    from bytecode import cache_bytecode  # benchmarks/bytecode.py

    cache_bytecode()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000, help="events of the synthetic ledger")
    parser.add_argument("--path", type=Path, default=None, help="an existing ledger file (measured on a copy)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median taken)")
    args = parser.parse_args()
    orgs = max(50, args.events // 100)
    source = args.path or default_path(args.events, orgs, 1)
    if args.path is None:
        ensure(args.events, orgs, 1)
    with tempfile.TemporaryDirectory() as tmp:
        copy = working_copy(source, Path(tmp))
        runs: dict[str, list[dict[str, object]]] = {mode: [] for mode in MODES}
        for _ in range(args.rounds):
            for mode in MODES:
                runs[mode].append(measure(copy, mode))
    events = int(runs["chain"][0]["events"])  # type: ignore[call-overload]
    base = statistics.median(float(r["seconds"]) for r in runs["chain"])  # type: ignore[arg-type]
    print(f"verify on {events:,} events ({source.name}), median of {args.rounds} interleaved rounds")
    print(f"{'mode':<10}{'seconds':>10}{'events/s':>12}{'vs chain':>10}{'peak MiB':>10}  result")
    for mode in MODES:
        seconds = statistics.median(float(r["seconds"]) for r in runs[mode])  # type: ignore[arg-type]
        peak = max(float(r["peak"]) for r in runs[mode])  # type: ignore[arg-type]
        problem = runs[mode][0]["problem"]
        print(
            f"{mode:<10}{seconds:>10.2f}{events / seconds:>12,.0f}{seconds / base:>9.2f}x{peak:>10.0f}"
            f"  {'ok' if problem is None else problem}"
        )
    deep = statistics.median(float(r["seconds"]) for r in runs["deep"])  # type: ignore[arg-type]
    verdict = "within" if deep <= 2 * base else "beyond"
    print(f"deep / chain = {deep / base:.2f}x: {verdict} the 2x budget for making it the default")


if __name__ == "__main__":
    main()
