"""Benchmark ``netledger import``: throughput against a plain insert of the same rows, and peak memory.

For each backend (SQLite file, PostgreSQL database on a throwaway durable server
from ``tests/pgserver.py``), on an empty ledger (``netledger init`` first, not timed):

- ``netledger import FILE --format jsonl`` of N synthetic events (the ledger's own
  format, ``benchmarks/generate.py``: the same events as ``generate``, cached under
  ``benchmarks/.data/``), and of N/10 to show that peak memory stays flat;
- ``netledger import FILE --format 360giving`` of the ALWF test package
  (``tests/data/360giving/alwf-*.json``, 475 grants) repeated to G grants (copy k > 0
  gets grant ids suffixed ``-copy{k}``; its organisations are the same, so all but the
  first mention are "already recorded"), and of G/10;
- each import runs as a child process, timed from outside (wall clock), its peak RSS
  taken from ``os.wait4`` (that child's alone; on PostgreSQL the server's memory is
  not counted); then the ledger's count is checked and ``netledger verify`` is timed.
  Linux counts the forking process's resident size in a child's ``ru_maxrss`` (the
  high-water mark of the memory it had before ``exec``), so this script stays small:
  the input files are written and the ledgers counted by child processes, and the
  parent's own peak is printed at the end (a child peak at that value is the parent's);
- the raw floor: the rows the import stored (the events table, read back) inserted with a
  plain ``executemany`` into a fresh table of the same shape in one transaction
  (sqlite3 on a new file in WAL mode; psycopg in the same database), and on PostgreSQL
  also with ``COPY`` (which is what the recorder uses). ``vs raw`` is the import's
  events/s over the plain ``executemany`` events/s, insert only. It writes the events
  table only; the import also writes ``event_index`` and ``event_chain``;
- two whole-process baselines, each a child process timed like the import (SQLite, a new
  file in WAL mode):

  - **three-table floor**: read and parse the same file (``json`` per line; the 360Giving
    package with ``json.load``), build each event's state bytes (compact JSON), compute the
    leaf and chain hashes (``hashlib``, as ``domain.integrity.chain``), and write the
    events, index and chain tables with one ``executemany`` each, in one transaction: the
    least any validated import must do. ``vs 3-table`` = import events/s / its events/s
    (target >= 0.5);
  - **eventsourcing direct**: the same records through eventsourcing 9.5.6 used directly
    (a minimal aggregate, one event per record, ``app.save`` of 1,000 events at a time, no
    validation, no chain). ``vs es`` = import events/s / its events/s (target >= 1.3).

  - **checked floor** (360Giving only): the three-table floor with the package read as the
    import must read it since issue 13, a stream behind the input guard (``ijson``,
    ``domain.limits``), and each grant checked against the official 360Giving schema
    (``domain.imports.schema360``). It shows how much of the ratio to eventsourcing direct that
    required work alone leaves: the import adds its own form checks, the ledger's validation and
    rules, and the lossless typed member to it.

  Both ratios are also printed by CPU time (user + system, from ``os.wait4``): the three
  processes run one after the other, so on a busy machine the wall-clock ratios move with
  the load, the CPU ones much less.

Usage::

    .venv/bin/python benchmarks/imports.py                                  # 1,000,000 events, 100,000 grants
    .venv/bin/python benchmarks/imports.py --events 100000 --grants 10000 --backend sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = Path(__file__).resolve().parent / ".data"

ALWF = ROOT / "tests" / "data" / "360giving" / "alwf-a003W000001B7PzQAK.json"
#: The installed console script (what users run), else the same entry point through -c.
SCRIPT = Path(sys.executable).parent / "netledger"
NETLEDGER = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-c", "from cli.main import main; main()"]


# -- input files ------------------------------------------------------------------------------
def giving_file(grants: int) -> tuple[Path, int]:
    """The ALWF package repeated to *grants* grants (cached), and how many events importing it writes."""
    from domain.imports.giving360 import identifier_of

    source = json.loads(ALWF.read_text(encoding="utf-8"))["grants"]
    identifiers: set[str] = set()
    path = DATA / f"360giving-alwf-{grants}.json"
    partial = path.with_name(path.name + ".partial")
    if not path.exists():
        DATA.mkdir(parents=True, exist_ok=True)
        print(f"writing {grants:,} grants into {path} ...", file=sys.stderr)
        with partial.open("w", encoding="utf-8") as out:
            out.write('{"grants": [\n')
            for n in range(grants):
                copy, grant = divmod(n, len(source))
                data = dict(source[grant])
                if copy:
                    data["id"] = f"{data['id']}-copy{copy}"
                out.write(("," if n else "") + json.dumps(data, ensure_ascii=False) + "\n")
            out.write("]}\n")
        partial.replace(path)
    for grant in source[:grants]:
        for side in ("fundingOrganization", "recipientOrganization"):
            identifiers.update(identifier_of(org["id"].strip()) for org in grant[side])
    return path, grants + len(identifiers)


# -- backends -----------------------------------------------------------------------------------
@dataclass
class Backend:
    name: str
    make: Callable[[str], str]  # label -> target (a file path or a URL)
    drop: Callable[[str], None]
    args: Callable[[str], list[str]]


def sqlite_backend(folder: Path) -> Backend:
    def make(label: str) -> str:
        return str(folder / f"{label}.db")

    def drop(target: str) -> None:
        for suffix in ("", "-wal", "-shm", ".graph", ".raw.db", ".raw.db-wal", ".raw.db-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)

    return Backend("sqlite", make, drop, lambda t: ["--db", t])


def postgres_backend(server: Any) -> Backend:
    return Backend(
        "postgresql",
        lambda label: str(server.create_database(prefix="bench")),
        server.drop_database,
        lambda t: ["--database-url", t],
    )


# -- child processes ----------------------------------------------------------------------------
def spawn(argv: list[str], folder: Path) -> dict[str, Any]:
    """Run *argv*; wall seconds, exit code, output and this child's peak RSS (``os.wait4``)."""
    out_path, err_path = folder / "child.out", folder / "child.err"
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return {
        "seconds": seconds,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rc": child.returncode,
        "peak": usage.ru_maxrss / 1024,
        "stdout": out_path.read_text(errors="replace"),
        "stderr": err_path.read_text(errors="replace"),
    }


def child_raw(backend: str, target: str) -> dict[str, Any]:
    """The floor: the stored event rows inserted with executemany (and COPY) into a fresh table."""
    if backend == "sqlite":
        with closing(sqlite3.connect(target)) as src:
            rows = src.execute(
                "SELECT originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid"
            ).fetchall()
            shape = [r[0] for r in src.execute("SELECT sql FROM sqlite_master WHERE tbl_name='stored_events'") if r[0]]
            shape = [s for s in shape if not s.upper().startswith("CREATE TRIGGER")]
        raw = f"{target}.raw.db"
        with closing(sqlite3.connect(raw, isolation_level=None)) as dst:
            dst.execute("PRAGMA journal_mode=WAL")  # as eventsourcing opens the ledger
            for statement in shape:
                dst.execute(statement)
            started = time.perf_counter()
            dst.execute("BEGIN")
            dst.executemany(
                "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?,?,?,?)", rows
            )
            dst.execute("COMMIT")
            seconds = time.perf_counter() - started
        return {"rows": len(rows), "executemany": seconds}

    import psycopg

    from domain.ledger import Ledger

    with Ledger(target) as ledger:
        table = ledger.recorder.events_table_name
    columns = "notification_id, originator_id, originator_version, topic, state"
    with psycopg.connect(target) as conn:
        rows = conn.execute(f"SELECT {columns} FROM {table} ORDER BY notification_id").fetchall()  # type: ignore[arg-type]
        result: dict[str, Any] = {"rows": len(rows)}
        for how in ("executemany", "copy"):
            fresh = f"raw_{how}"
            conn.execute(f"CREATE TABLE {fresh} (LIKE {table} INCLUDING ALL)")  # type: ignore[arg-type]
            conn.commit()
            started = time.perf_counter()
            with conn.transaction(), conn.cursor() as cur:
                if how == "executemany":
                    cur.executemany(f"INSERT INTO {fresh} ({columns}) VALUES (%s,%s,%s,%s,%s)", rows)  # type: ignore[arg-type]
                else:
                    with cur.copy(f"COPY {fresh} ({columns}) FROM STDIN") as copy:  # type: ignore[arg-type]
                        for row in rows:
                            copy.write_row(row)
            result[how] = time.perf_counter() - started
            conn.execute(f"DROP TABLE {fresh}")  # type: ignore[arg-type]
            conn.commit()
    return result


#: The keys of a ledger record that are bookkeeping, not stored state.
RECORD_BOOKKEEPING = ("position", "version", "type", "aggregate_id")


def baseline_records(path: str, fmt: str, checked: bool = False) -> Any:
    """``(aggregate id hex, version, topic, state dict)`` of each event an import of *path* stores (roughly).

    *checked* (360Giving only): read the package as the import must, a stream behind the input guard
    (``ijson`` over ``domain.limits.JsonGuard``, as ``domain.imports.giving360.iter_grants``), and check
    each grant against the official schema (``domain.imports.schema360.grant_errors``): the work issue 13
    asks of any 360Giving import. Only those two small modules are imported, not the import's own.
    """
    import uuid

    if fmt == "jsonl":
        with open(path, "rb") as f:
            for line in f:
                record = json.loads(line)
                aggregate = (record.get("aggregate_id") or record["event_id"]).replace("-", "")
                state = {k: v for k, v in record.items() if k not in RECORD_BOOKKEEPING}
                yield aggregate, record.get("version") or 1, record["type"], state
        return
    if checked:
        import ijson  # type: ignore[import-untyped]

        from domain.imports.schema360 import grant_errors
        from domain.limits import JsonGuard

        def streamed() -> Any:
            with open(path, "rb") as f:
                guarded = JsonGuard(f, where="file", record_depth=3, record_noun="grant")
                for grant in ijson.items(guarded, "grants.item", use_float=False):
                    deque(grant_errors(grant), maxlen=0)  # every error found, none kept
                    yield grant

        grants = streamed()
    else:
        with open(path, "rb") as f:
            grants = json.load(f)["grants"]
    seen: set[str] = set()
    for grant in grants:
        for side in ("fundingOrganization", "recipientOrganization"):
            for org in grant[side]:
                if org["id"] not in seen:
                    seen.add(org["id"])
                    yield uuid.uuid5(uuid.NAMESPACE_URL, org["id"]).hex, 1, "organisation.registered", org
        yield uuid.uuid5(uuid.NAMESPACE_URL, grant["id"]).hex, 1, "support.awarded", grant


def child_floor(path: str, fmt: str, target: str, checked: str = "") -> dict[str, Any]:
    """The three-table floor, as a whole process: parse, serialise, hash, one executemany per table.

    *checked* (``"checked"``): the 360Giving package streamed and schema-checked (``baseline_records``);
    its exact decimals are written as JSON text.
    """
    import hashlib

    events, index, chain = [], [], []
    previous, prev_position = bytes(32), None
    records = baseline_records(path, fmt, checked=bool(checked))
    for position, (aggregate, version, topic, state) in enumerate(records, start=1):
        data = json.dumps(state, ensure_ascii=False, separators=(",", ":"), default=str).encode()
        events.append((position, aggregate, version, topic, data))
        index.append((state.get("event_id") or state.get("id"), position, aggregate, version))
        canonical = f"netledger-event-v1\n{position}\n{aggregate}\n{version}\n{topic}\n".encode() + data
        leaf = hashlib.sha256(b"\x00" + canonical).digest()
        previous = hashlib.sha256(previous + leaf).digest()
        chain.append((position, prev_position, leaf, previous))
        prev_position = position
    with closing(sqlite3.connect(target, isolation_level=None)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(
            "CREATE TABLE stored_events (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
            "PRIMARY KEY (originator_id, originator_version))"
        )
        db.execute(
            "CREATE TABLE event_index (event_id TEXT PRIMARY KEY, position INTEGER NOT NULL UNIQUE, "
            "originator_id TEXT NOT NULL, originator_version INTEGER NOT NULL)"
        )
        db.execute(
            "CREATE TABLE event_chain (position INTEGER PRIMARY KEY, prev_position INTEGER UNIQUE, "
            "leaf_hash BLOB NOT NULL, chain_hash BLOB NOT NULL)"
        )
        db.execute("BEGIN")
        db.executemany("INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
                       "VALUES (?,?,?,?,?)", events)  # fmt: skip
        db.executemany("INSERT OR IGNORE INTO event_index VALUES (?,?,?,?)", index)
        db.executemany("INSERT INTO event_chain VALUES (?,?,?,?)", chain)
        db.execute("COMMIT")
    return {"rows": len(events)}


def child_esdirect(path: str, fmt: str, target: str) -> dict[str, Any]:
    """eventsourcing 9.5.6 used directly, as a whole process: a minimal aggregate, saves of 1,000 events."""
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Thing(Aggregate):
        @event("Created")
        def __init__(self, state: dict[str, Any]) -> None:
            self.state = state

        @event("Changed")
        def change(self, state: dict[str, Any]) -> None:
            self.state = state

    app = Application(env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": target})
    things: dict[str, Thing] = {}
    touched: dict[str, Thing] = {}
    pending = rows = 0
    for aggregate, _version, _topic, state in baseline_records(path, fmt):
        thing = things.get(aggregate)
        if thing is None:
            thing = things[aggregate] = Thing(state)
        else:
            thing.change(state)
        touched[aggregate] = thing
        pending += 1
        rows += 1
        if pending >= 1000:
            app.save(*touched.values())
            touched, pending = {}, 0
    if touched:
        app.save(*touched.values())
    app.close()
    return {"rows": rows}


def child_count(target: str) -> dict[str, Any]:
    from domain.ledger import Ledger

    with Ledger(target) as ledger:
        return {"count": ledger.count()}


def child_prepare(events: int, grants: int, seed: int) -> dict[str, Any]:
    """Write (or find) the input files: ``[label, path, format, expected events]`` each.

    The expected events include the import's own ``import.recorded`` (``domain.provenance``).
    """
    from benchmarks.generate import ensure_jsonl

    files = []
    for n in (events, events // 10):
        files.append([f"jsonl {n:,}", str(ensure_jsonl(n, max(50, n // 100), seed)), "jsonl", n + 1])
    for g in (grants, grants // 10):
        path, expected = giving_file(g)
        files.append([f"360giving {g:,} grants", str(path), "360giving", expected + 1])
    return {"files": files}


def child(folder: Path, *args: str) -> dict[str, Any]:
    """Run this script's ``--child`` mode in a child process; its JSON result."""
    done = spawn([sys.executable, __file__, "--child", *args], folder)
    if done["rc"]:
        raise SystemExit(f"child {args[0]} failed:\n{done['stderr']}")
    result: dict[str, Any] = json.loads(done["stdout"].strip().splitlines()[-1])
    return result


# -- one import ---------------------------------------------------------------------------------
def measure(backend: Backend, folder: Path, label: str, path: Path, fmt: str, expected: int, raw: bool) -> dict:
    target = backend.make(label)
    cli = [*NETLEDGER, *backend.args(target)]
    try:
        init = spawn([*cli, "--actor", "bench", "init"], folder)
        if init["rc"]:
            raise SystemExit(f"init failed: {init['stderr']}")
        run = spawn([*cli, "--actor", "bench", "import", str(path), "--format", fmt], folder)
        result: dict[str, Any] = {
            "label": label,
            "seconds": run["seconds"],
            "cpu": run["cpu"],
            "peak": run["peak"],
            "rc": run["rc"],
            "said": run["stderr"].strip().splitlines()[-3:] if run["stderr"].strip() else [],
            "expected": expected,
        }
        result["count"] = child(folder, "count", target)["count"]
        if backend.name == "sqlite":
            for baseline, kind, *extra in BASELINES:
                if baseline == "checked" and fmt != "360giving":
                    continue
                scratch = folder / f"{baseline}.db"
                argv = [sys.executable, __file__, "--child", kind, str(path), fmt, str(scratch), *extra]
                done = spawn(argv, folder)
                if done["rc"]:
                    raise SystemExit(f"{baseline} failed:\n{done['stderr']}")
                rows = json.loads(done["stdout"].strip().splitlines()[-1])["rows"]
                result[baseline] = {"rows": rows, "seconds": done["seconds"], "cpu": done["cpu"], "peak": done["peak"]}
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{scratch}{suffix}").unlink(missing_ok=True)
        if run["rc"] == 0:
            check = spawn([*cli, "verify"], folder)
            result["verify"] = {"seconds": check["seconds"], "rc": check["rc"], "said": check["stdout"].strip()[-300:]}
            if raw:
                result["raw"] = child(folder, "raw", backend.name, target)
        return result
    finally:
        backend.drop(target)


#: The whole-process baselines: key, ``--child`` mode and its extra argument.
BASELINES = (("floor", "floor"), ("esdirect", "esdirect"), ("checked", "floor", "checked"))
#: How the report names them.
BASELINE_NAMES = {
    "floor": "three-table floor (process)",
    "esdirect": "eventsourcing direct (process)",
    "checked": "checked floor (process)",
}


def report(backend: Backend, rows: list[dict[str, Any]]) -> None:
    print()
    print(f"[{backend.name}]")
    print(
        f"{'':<34}{'events':>11}{'seconds':>9}{'events/s':>10}{'vs raw':>8}{'peak MiB':>10}"
        f"{'vs 3-table':>11}{'vs es':>7}  check"
    )
    for r in rows:
        rate = r["count"] / r["seconds"]
        raw = r.get("raw")
        vs = f"{rate / (raw['rows'] / raw['executemany']):>7.2f}x" if raw else f"{'':>8}"
        ok = "ok" if r["rc"] == 0 and r["count"] == r["expected"] else f"FAILED (exit {r['rc']})"
        if r["count"] != r["expected"]:
            ok += f" count {r['count']:,} != expected {r['expected']:,}"
        floor, direct = r.get("floor"), r.get("esdirect")
        vs_floor = f"{rate / (floor['rows'] / floor['seconds']):>10.2f}x" if floor else f"{'':>11}"
        vs_es = f"{rate / (direct['rows'] / direct['seconds']):>6.2f}x" if direct else f"{'':>7}"
        if floor and direct:  # the same ratios by CPU time (user + system): less sensitive to a busy machine
            by_cpu = r["count"] / r["cpu"]
            ok_cpu = (
                f"cpu {r['cpu']:.1f} s: vs 3-table {by_cpu / (floor['rows'] / floor['cpu']):.2f}x, "
                f"vs es {by_cpu / (direct['rows'] / direct['cpu']):.2f}x"
            )
        else:
            ok_cpu = ""
        print(
            f"{r['label']:<34}{r['count']:>11,}{r['seconds']:>9.1f}{rate:>10,.0f}{vs}{r['peak']:>10,.0f}"
            f"{vs_floor}{vs_es}  {ok}"
        )
        if ok_cpu:
            print(f"{'':<6}{ok_cpu}")
        if r["rc"] != 0 or r["count"] != r["expected"]:
            for line in r["said"]:
                print(f"{'':<6}| {line}")
        if "verify" in r:
            v = r["verify"]
            state = "ok" if v["rc"] == 0 else f"FAILED (exit {v['rc']}): {v['said']}"
            print(
                f"{'  netledger verify':<34}{'':>11}{v['seconds']:>9.1f}{r['count'] / v['seconds']:>10,.0f}"
                f"{'':>8}{'':>10}  {state}"
            )
        for baseline, name in BASELINE_NAMES.items():
            if baseline in r:
                b = r[baseline]
                print(f"{'  ' + name:<34}{b['rows']:>11,}{b['seconds']:>9.1f}{b['rows'] / b['seconds']:>10,.0f}"
                      f"{'':>8}{b['peak']:>10,.0f}")  # fmt: skip
        if "checked" in r and direct:  # what the schema-checked stream alone leaves of the ratio to eventsourcing
            checked_rate = r["checked"]["rows"] / r["checked"]["seconds"]
            print(
                f"{'':<6}the checked floor is {checked_rate / (direct['rows'] / direct['seconds']):.2f}x "
                f"eventsourcing direct; the import is {rate / checked_rate:.2f}x the checked floor"
            )
        if raw:
            for how in ("executemany", "copy"):
                if how in raw:
                    name = f"  raw {how} (events table)"
                    rate = raw["rows"] / raw[how]
                    print(f"{name:<34}{raw['rows']:>11,}{raw[how]:>9.1f}{rate:>10,.0f}")
    pairs = [(rows[i], rows[i + 1]) for i in range(0, len(rows) - 1, 2)]
    for big, small in pairs:
        print(
            f"peak memory {big['label'].split()[0]}: {big['peak']:,.0f} MiB at {big['count']:,} events, "
            f"{small['peak']:,.0f} MiB at {small['count']:,} ({big['peak'] / small['peak']:.2f}x for "
            f"{big['count'] / max(small['count'], 1):.0f}x the events)"
        )


def main() -> None:
    from bytecode import cache_bytecode  # benchmarks/bytecode.py

    cache_bytecode()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="synthetic events in the jsonl file")
    parser.add_argument("--grants", type=int, default=100_000, help="grants in the 360giving file")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        what, rest = args.child[0], args.child[1:]
        if what == "raw":
            print(json.dumps(child_raw(*rest)))
        elif what == "floor":
            print(json.dumps(child_floor(*rest)))
        elif what == "esdirect":
            print(json.dumps(child_esdirect(*rest)))
        elif what == "count":
            print(json.dumps(child_count(*rest)))
        else:
            print(json.dumps(child_prepare(*map(int, rest))))
        return

    folder = Path(tempfile.mkdtemp(prefix="netledger-bench-"))
    prepared = spawn([sys.executable, __file__, "--child", "prepare", str(args.events), str(args.grants),
                      str(args.seed)], folder)  # fmt: skip
    sys.stderr.write(prepared["stderr"])
    if prepared["rc"]:
        raise SystemExit("preparing the input files failed")
    files = json.loads(prepared["stdout"].strip().splitlines()[-1])["files"]

    from importlib.metadata import version

    print(
        f"netledger import benchmark: Python {sys.version.split()[0]}, eventsourcing {version('eventsourcing')}, "
        f"psycopg {version('psycopg')}, SQLite {sqlite3.sqlite_version}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    server = None
    try:
        backends = []
        if args.backend in ("sqlite", "both"):
            backends.append(sqlite_backend(folder))
        if args.backend in ("postgresql", "both"):
            from tests.pgserver import start

            server = start(durable=True)
            backends.append(postgres_backend(server))
        for backend in backends:
            rows = []
            for i, (label, path, fmt, expected) in enumerate(files):
                print(f"  {backend.name}: importing {label} ...", file=sys.stderr)
                rows.append(measure(backend, folder, f"{fmt}-{i}", Path(path), fmt, expected, raw=i % 2 == 0))
                rows[-1]["label"] = label
            report(backend, rows)
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"\nload average at the end: {os.getloadavg()[0]:.1f}; this script's own peak: {own:,.0f} MiB")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
