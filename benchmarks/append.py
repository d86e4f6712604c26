"""Benchmark one write command as a whole process: a small ledger against a large one, against bare start-up.

Each measurement is one ``netledger`` process writing one event, timed from outside
(wall clock, median of ``--runs`` after one warm-up round; all jobs interleaved round
by round so that the machine's noise is shared):

- ``org register KEY --sector firm --name-en ...`` and ``append FILE`` (a one-line
  JSON Lines file: one ``organisation.registered``), each with a new key and event id;
- on a ledger of ``--small`` events (1,000) and one of ``--big`` events (1,000,000):
  working copies of the synthetic ledgers of ``benchmarks/generate.py`` (cached under
  ``benchmarks/.data/``; the big one is checked with ``netledger verify`` first), or,
  on PostgreSQL, databases filled the same way (``generate.fill``) on a throwaway
  durable server (``tests/pgserver.py``);
- against bare start-up: ``python -c "import click, pydantic, eventsourcing.application,
  eventsourcing.sqlite"`` (``eventsourcing.postgres`` for PostgreSQL), with
  ``import networkx`` and an empty ``python -c pass`` for scale, and the same bare
  start-up plus ``pydantic.main`` (``import pydantic`` alone is lazy: it does not load
  ``BaseModel``, which every netledger process does).

Targets: big/small <= 1.10, write / bare start-up <= 2.0. It also reports which heavy
modules a write imports (``sys.modules`` at exit) and the slowest imports
(``python -X importtime``).

Usage::

    .venv/bin/python benchmarks/append.py                          # SQLite, 1,000 and 1,000,000 events
    .venv/bin/python benchmarks/append.py --backend both --big 100000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.generate import default_path, ensure, fill  # noqa: E402

SCRIPT = Path(sys.executable).parent / "netledger"
NETLEDGER = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-c", "from cli.main import main; main()"]
HEAVY = ("networkx", "igraph", "matplotlib", "numpy", "scipy", "psycopg", "ijson", "cryptography", "projections")
BARE = "import click, pydantic, eventsourcing.application, eventsourcing.{}"
#: Runs a netledger command, then writes which modules it loaded to the file named by argv[1].
PROBE = """
import json, sys
out, sys.argv = sys.argv[1], ["netledger", *sys.argv[2:]]
try:
    from cli.main import cli  # not ``main``, which may leave with os._exit before ``finally`` runs
    cli.main(prog_name="netledger")
except SystemExit:
    pass
finally:
    with open(out, "w") as f:
        json.dump(sorted(sys.modules), f)
"""


def working_copy(source: Path, folder: Path) -> Path:
    """A consistent copy of a ledger file (SQLite's backup API folds the WAL in)."""
    target = folder / source.name
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


def timed(argv: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(argv)}\n{done.stderr}")
    return seconds


class Writes:
    """Command lines writing one new organisation each time they are asked for."""

    def __init__(self, folder: Path, name: str, where: list[str]) -> None:
        self.folder, self.name, self.where, self.n = folder, name, where, 0

    def _key(self) -> str:
        self.n += 1
        return f"bench-{self.name}-{self.n}-{uuid.uuid4().hex[:8]}"

    def register(self) -> list[str]:
        key = self._key()
        return [*NETLEDGER, *self.where, "--actor", "bench", "org", "register", key, "--sector", "firm",
                "--name-en", f"Benchmark {key}"]  # fmt: skip

    def append(self) -> list[str]:
        key = self._key()
        record = {"event_id": str(uuid.uuid4()), "type": "organisation.registered", "key": key,
                  "sector": "firm", "name_en": f"Benchmark {key}"}  # fmt: skip
        path = self.folder / f"{key}.jsonl"
        path.write_text(json.dumps(record) + "\n", encoding="utf-8")
        return [*NETLEDGER, *self.where, "--actor", "bench", "append", str(path)]


def ledgers(backend: str, small: int, big: int, folder: Path, server: Any) -> dict[int, list[str]]:
    """The ``--db``/``--database-url`` options of a small and a big ledger for *backend*."""
    found: dict[int, list[str]] = {}
    for events in (small, big):
        orgs = max(50, events // 100)
        if backend == "sqlite":
            source = ensure(events, orgs, 1, default_path(events, orgs, 1))
            found[events] = ["--db", str(working_copy(source, folder))]
        else:
            from domain.ledger import Ledger

            url = server.create_database(prefix="bench")
            print(f"  postgresql: writing {events:,} synthetic events ...", file=sys.stderr)
            with Ledger(url, actor="bench", create=True) as ledger:
                fill(ledger, events, orgs, quiet=True)
            found[events] = ["--database-url", url]
    return found


def modules_loaded(where: list[str], folder: Path) -> list[str]:
    out = folder / "modules.json"
    writes = Writes(folder, "probe", where)
    argv = [sys.executable, "-c", PROBE, str(out), *writes.register()[1:]]
    subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)
    names = json.loads(out.read_text())
    return [m for m in HEAVY if m in names or any(n.startswith(m + ".") for n in names)]


def import_times(where: list[str], folder: Path) -> tuple[int, list[tuple[str, int]]]:
    """Total import microseconds of one write, and each top-level package's share (self times, ``-X importtime``)."""
    writes = Writes(folder, "importtime", where)
    argv = [sys.executable, "-X", "importtime", "-c", "from cli.main import main; main()", *writes.register()[1:]]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, check=True)
    shares: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, _, name = line[len("import time:") :].split("|")
        if own.strip().isdigit():
            package = name.strip().split(".")[0]
            shares[package] = shares.get(package, 0) + int(own)
    return sum(shares.values()), sorted(shares.items(), key=lambda t: -t[1])


def main() -> None:
    from bytecode import cache_bytecode  # benchmarks/bytecode.py

    cache_bytecode()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--big", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--no-verify", action="store_true", help="skip 'netledger verify' of the big ledger")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    folder = Path(tempfile.mkdtemp(prefix="netledger-bench-"))
    server = None
    python = [sys.executable, "-c"]
    try:
        if "postgresql" in backends:
            from tests.pgserver import start

            server = start(durable=True)
        jobs: dict[str, Any] = {
            "python -c pass": lambda: [*python, "pass"],
            "python -c 'import networkx'": lambda: [*python, "import networkx"],
        }
        where: dict[str, dict[int, list[str]]] = {}
        for backend in backends:
            bare = BARE.format({"sqlite": "sqlite", "postgresql": "postgres"}[backend])
            jobs[f"bare start-up ({backend})"] = lambda code=bare: [*python, code]
            # ``import pydantic`` is lazy: BaseModel (pydantic.main) is only loaded when asked for.
            jobs[f"bare + pydantic.main ({backend})"] = lambda code=bare: [*python, code + ", pydantic.main"]
            where[backend] = ledgers(backend, args.small, args.big, folder, server)
            for events, options in where[backend].items():
                writes = Writes(folder, f"{backend}{events}", options)
                jobs[f"{backend} org register @ {events:,}"] = writes.register
                jobs[f"{backend} append @ {events:,}"] = writes.append
        checks = {}
        if not args.no_verify:
            for backend in backends:
                print(f"  {backend}: verifying the {args.big:,}-event ledger ...", file=sys.stderr)
                started = time.perf_counter()
                done = subprocess.run(
                    [*NETLEDGER, *where[backend][args.big], "verify"], capture_output=True, text=True, cwd=ROOT
                )
                checks[backend] = (time.perf_counter() - started, done.returncode, done.stdout.strip()[-200:])
        times: dict[str, list[float]] = {name: [] for name in jobs}
        for round_ in range(args.runs + 1):
            print(f"  round {round_}/{args.runs}{' (warm-up)' if round_ == 0 else ''}", file=sys.stderr)
            for name, argv in jobs.items():
                seconds = timed(argv())
                if round_:
                    times[name].append(seconds)
        median = {name: statistics.median(t) for name, t in times.items()}

        print(
            f"netledger write latency: one process per write, median of {args.runs} (after 1 warm-up), "
            f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
        )
        for backend, (seconds, rc, said) in checks.items():
            state = "ok" if rc == 0 else f"FAILED (exit {rc}): {said}"
            print(f"{backend} {args.big:,}-event ledger: netledger verify {state} in {seconds:.1f} s")
        print()
        print(f"{'':<40}{'median s':>9}{'min':>7}{'max':>7}{'vs bare':>9}{'vs +main':>9}{'big/small':>11}")
        for name, seconds in median.items():
            backend = name.split()[0]
            vs = f"{'':>18}"
            if backend in backends:
                bare, fuller = median[f"bare start-up ({backend})"], median[f"bare + pydantic.main ({backend})"]
                vs = f"{seconds / bare:>8.2f}x{seconds / fuller:>8.2f}x"
            ratio = ""
            if name.endswith(f"@ {args.big:,}"):
                small = median[name.replace(f"@ {args.big:,}", f"@ {args.small:,}")]
                ratio = f"{seconds / small:>10.2f}x"
            t = times[name]
            print(f"{name:<40}{seconds:>9.3f}{min(t):>7.3f}{max(t):>7.3f}{vs}{ratio}")
        print()
        for backend in backends:
            heavy = modules_loaded(where[backend][args.small], folder)
            print(f"heavy modules loaded by a {backend} write: {', '.join(heavy) if heavy else 'none'}")
        total, shares = import_times(where[backends[0]][args.small], folder)
        listed = ", ".join(f"{name} {us / 1000:.0f}" for name, us in shares[:14])
        print(f"import time of a {backends[0]} write by package (ms, self times; {total / 1000:.0f} in all):")
        print(f"  {listed}")
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f}")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
