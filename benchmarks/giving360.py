"""Benchmark the 360Giving import with schema validation against the import before it, side by side.

``netledger import FILE --format 360giving`` of the ALWF test package repeated to G grants
(``benchmarks/imports.py``'s ``giving_file``: copy k > 0 gets ids suffixed ``-copy{k}``), into a
new SQLite ledger, as a child process timed from outside (wall clock, and CPU from ``os.wait4``),
by two versions of the code in the same run, in alternating order, R rounds each:

- **before**: the code at ``--baseline`` (default: ``8a4ee1d``, main when issue 13 was filed: the
  "today's time" of its 1.2x budget; ``--baseline a884240`` is main just before the lossless import was
  merged, after the bulk path of issue 16 had made the import faster), extracted with ``git archive``
  into a temporary folder and put first on ``PYTHONPATH`` (same interpreter, same packages);
- **now**: this working tree (or the code at ``--now``), which also validates every grant against
  the 360Giving 1.4.3 schema and keeps every field (``giving360``).

It prints each run, the medians, and ``now / before`` (the target: at most 1.2x). The ledger each
run writes is checked (its event count) so a failed import is never timed as a fast one.

Usage::

    .venv/bin/python benchmarks/giving360.py                     # 100,000 grants, 3 rounds
    .venv/bin/python benchmarks/giving360.py --grants 10000 --rounds 1
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import closing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from imports import giving_file  # noqa: E402  (benchmarks/imports.py)

#: main when issue 13 (lossless 360Giving) was filed: the import its 1.2x budget is measured against.
BEFORE_ISSUE_13 = "8a4ee1d"


def extract(revision: str, folder: Path) -> Path:
    """The packages of *revision*, extracted into *folder*."""
    archive = subprocess.run(
        ["git", "archive", revision, "domain", "projections", "cli"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def run(source: Path, grants_file: Path, db: Path, work: Path) -> dict[str, Any]:
    """One import by the code in *source* into a ledger it creates first (not timed); wall and CPU seconds,
    exit code, stderr.

    The ledger is created by ``init`` rather than ``import --create``, which the code before issue 13
    does not know.
    """
    env = {**os.environ, "PYTHONPATH": str(source)}
    argv = [sys.executable, "-c", "from cli.main import main; main()"]
    subprocess.run([*argv, "--db", str(db), "init"], stdout=subprocess.DEVNULL, cwd=work, env=env, check=True)
    argv += ["--db", str(db), "import", str(grants_file), "--format", "360giving"]
    with (work / "err").open("wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err, cwd=work, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rc": os.waitstatus_to_exitcode(status),
        "stderr": (work / "err").read_text(errors="replace"),
    }


def count(db: Path) -> int:
    with closing(sqlite3.connect(db)) as con:
        return int(con.execute("SELECT count(*) FROM stored_events").fetchone()[0])


def main() -> None:
    from bytecode import cache_bytecode  # benchmarks/bytecode.py

    cache_bytecode()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grants", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", default=BEFORE_ISSUE_13, help="git revision of 'before' (default: %(default)s)")
    parser.add_argument("--now", default=None, help="git revision of 'now' (default: this working tree)")
    args = parser.parse_args()
    baseline = args.baseline
    grants_file, events = giving_file(args.grants)
    work = Path(tempfile.mkdtemp(prefix="bench360-"))
    try:
        (work / "before").mkdir()
        now = ROOT
        if args.now:
            (work / "now").mkdir()
            now = extract(args.now, work / "now")
        versions = {"before": extract(baseline, work / "before"), "now": now}
        print(f"{args.grants:,} grants ({events:,} events), baseline {baseline[:10]}, {args.rounds} round(s)")
        times: dict[str, list[dict[str, Any]]] = {name: [] for name in versions}
        for n in range(args.rounds):
            order = list(versions) if n % 2 == 0 else list(reversed(versions))
            for name in order:
                db = work / f"{name}-{n}.db"
                result = run(versions[name], grants_file, db, work)
                if result["rc"] != 0:
                    raise SystemExit(f"{name} import failed: {result['stderr']}")
                written = count(db)
                if written not in (events, events + 1):  # + 1: the import.recorded of the code that has it
                    raise SystemExit(f"{name} wrote {written} events, expected {events} (+ 1)")
                times[name].append(result)
                print(f"  round {n + 1} {name:6}: {result['seconds']:7.2f} s wall, {result['cpu']:7.2f} s CPU")
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
        medians = {
            name: (statistics.median(r["seconds"] for r in runs), statistics.median(r["cpu"] for r in runs))
            for name, runs in times.items()
        }
        for name, (wall, cpu) in medians.items():
            print(f"{name:6}: median {wall:7.2f} s wall ({args.grants / wall:,.0f} grants/s), {cpu:7.2f} s CPU")
        wall_ratio = medians["now"][0] / medians["before"][0]
        cpu_ratio = medians["now"][1] / medians["before"][1]
        print(f"now / before: {wall_ratio:.2f}x wall, {cpu_ratio:.2f}x CPU (target <= 1.2x)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
