"""Reliability: damaged or unreachable storage gives one clean ``Error:`` line, never a traceback or a write.

Each case is a ledger the commands cannot use:

- SQLite: a ledger file cut to half its size; a file of random bytes; a text
  file; a ledger from a newer netledger (``schema_version`` raised in
  ``ledger_meta`` with ``sqlite3``); a ledger whose file (0444) and folder
  (0555) are read-only;
- PostgreSQL: a server that is down (a free port), and a server that refuses
  the password (a real ledger, a wrong password).

For each case three read commands (``log``, ``verify``, ``network summary``) and
two write commands (``org register``, ``import --format jsonl``) run as real
processes. Each must exit 1 or 2 with exactly one line on stderr, starting
``Error:`` and naming the ledger (its file, or its URL without the password)
and, on PostgreSQL, the reason (the refused connection, the refused
password); nothing on stdout, no traceback, no password printed; and nothing
written: the files of the case's folder are byte for byte what they were, and
the PostgreSQL ledger holds the same events.

Read-only as root: root ignores file permissions, so when the tests run as
root the commands of that case run under ``setpriv`` with ``CAP_DAC_OVERRIDE``
and ``CAP_DAC_READ_SEARCH`` dropped from the bounding set: still uid 0 (so the
interpreter under ``/root`` stays reachable, which ``runuser -u nobody`` could
not reach), but the 0444 file and 0555 folder are then enforced. On a read-only
ledger a read command may also succeed (exit 0, the right answer); it must
not write.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from uuid import NAMESPACE_URL, uuid5

import pytest

from tests import pgserver
from tests.conftest import read_rows
from tests.reliability.conftest import Tally

ROOT = Path(__file__).resolve().parents[2]
NETLEDGER = [sys.executable, "-c", "from cli.main import main; main(prog_name='netledger')"]
NS = uuid5(NAMESPACE_URL, "netledger:tests:reliability:damaged")
#: Root ignores permissions: drop the capabilities that let it (see the module docstring).
DROP_DAC = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]
AS_UNPRIVILEGED = DROP_DAC if os.geteuid() == 0 else []

READS = [["log"], ["verify"], ["network", "summary"]]
WRITES = [
    ["org", "register", "damaged-x", "--sector", "firm", "--name-en", "X"],
    ["import", "{jsonl}", "--format", "jsonl"],
]


@dataclass
class Case:
    """One damaged ledger: where it is, what a clean refusal must name, and how to run commands on it."""

    name: str
    options: list[str]
    #: Text the Error: line must contain (the file name or the URL shown without password).
    names: list[str]
    folder: Path | None = None
    prefix: list[str] = field(default_factory=list)
    #: A read command may succeed (read-only ledger).
    reads_may_succeed: bool = False
    secret: str | None = None
    admin_url: str | None = None


@dataclass(frozen=True)
class Run:
    case: str
    command: list[str]
    returncode: int
    stdout: str
    stderr: str


def netledger(case: Case, command: list[str], jsonl: Path) -> Run:
    args = [a.replace("{jsonl}", str(jsonl)) for a in command]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NETLEDGER_DB", "NETLEDGER_DATABASE", "PG"))}
    env["NETLEDGER_ACTOR"] = "tester"
    done = subprocess.run(
        [*case.prefix, *NETLEDGER, *case.options, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )
    return Run(case.name, command, done.returncode, done.stdout, done.stderr)


def records(n: int) -> list[dict[str, object]]:
    return [
        {
            "type": "organisation.registered",
            "event_id": str(uuid5(NS, f"org{i}")),
            "key": f"damaged-org{i}",
            "sector": "firm",
            "name_en": f"Org {i}",
        }
        for i in range(n)
    ]


def folder_bytes(folder: Path) -> dict[str, bytes]:
    """Every file of *folder* by name, with its bytes."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def good_ledger(folder: Path, jsonl: Path) -> Path:
    """A small valid ledger (its WAL folded into the file), made through the CLI."""
    path = folder / "ledger.db"
    case = Case("setup", ["--db", str(path)], [])
    done = netledger(case, ["import", "--create", "{jsonl}", "--format", "jsonl"], jsonl)
    assert done.returncode == 0, done.stderr
    assert not Path(f"{path}-wal").exists(), "the ledger's WAL was not folded in at close"
    return path


@pytest.fixture
def jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records(40)), encoding="utf-8")
    return path


@pytest.fixture
def readonly_folder() -> Iterator[Path]:
    """A folder outside pytest's root-only tmp tree, made writable again at teardown so it can be removed."""
    folder = Path(tempfile.mkdtemp(prefix="netledger-ro-"))
    yield folder
    folder.chmod(0o755)
    for p in folder.iterdir():
        p.chmod(0o644)
    shutil.rmtree(folder)


def sqlite_cases(tmp_path: Path, jsonl: Path, readonly_folder: Path) -> list[Case]:
    good = good_ledger(tmp_path, jsonl)
    cases: list[Case] = []

    def case(name: str, write: bytes | None = None, source: Path | None = None) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        path = folder / "ledger.db"
        if source is not None:
            shutil.copyfile(source, path)
        if write is not None:
            path.write_bytes(write)
        cases.append(Case(name, ["--db", str(path)], [str(path)], folder))
        return path

    data = good.read_bytes()
    case("truncated", data[: len(data) // 2])
    case("random bytes", random.Random(6).randbytes(len(data)))
    case("text file", b"not a database\n" * 500)
    newer = case("newer schema", source=good)
    with closing(sqlite3.connect(newer)) as con:
        con.execute("UPDATE ledger_meta SET value = '99' WHERE key = 'schema_version'")
        con.commit()
    assert not Path(f"{newer}-wal").exists()

    readonly = readonly_folder / "ledger.db"
    shutil.copyfile(good, readonly)
    readonly.chmod(0o444)
    readonly_folder.chmod(0o555)
    cases.append(
        Case(
            "read-only",
            ["--db", str(readonly)],
            [str(readonly)],
            readonly_folder,
            prefix=AS_UNPRIVILEGED,
            reads_may_succeed=True,
        )
    )
    return cases


def postgres_cases(server: pgserver.Server, jsonl: Path) -> list[Case]:
    port = pgserver.free_port()
    down = f"postgresql://netledger:down-s3cret@127.0.0.1:{port}/ledger"
    admin = server.create_database("damaged")
    setup = Case("setup", ["--database-url", admin], [])
    for command in (["init"], ["import", "{jsonl}", "--format", "jsonl"]):
        done = netledger(setup, command, jsonl)
        assert done.returncode == 0, done.stderr
    host_db = admin.split("@", 1)[1]
    wrong = f"postgresql://postgres:not-the-password-123@{host_db}"
    return [
        Case(
            "postgresql down",
            ["--database-url", down],
            [f"127.0.0.1:{port}/ledger", "refused"],
            secret="down-s3cret",
        ),
        Case(
            "postgresql wrong password",
            ["--database-url", wrong],
            [f"postgres@{host_db}", "password"],
            secret="not-the-password-123",
            admin_url=admin,
        ),
    ]


def problems_of(case: Case, run: Run) -> list[str]:
    """What is wrong with one command's answer (empty when it refused cleanly)."""
    where = f"{case.name}: {' '.join(run.command)}"
    if case.reads_may_succeed and run.returncode == 0 and run.command in READS:
        return [] if "Traceback" not in run.stderr else [f"{where}: traceback"]
    found = []
    if run.returncode not in (1, 2):
        found.append(f"{where}: exit {run.returncode}")
    lines = run.stderr.splitlines()
    if len(lines) != 1 or not lines[0].startswith("Error: "):
        found.append(f"{where}: stderr is not one Error: line: {lines[-6:]}")
    elif not all(name.lower() in lines[0].lower() for name in case.names):
        found.append(f"{where}: the Error: line does not name {case.names}: {lines[0]!r}")
    if run.stdout:
        found.append(f"{where}: stdout {run.stdout[:200]!r}")
    if case.secret and case.secret in run.stdout + run.stderr:
        found.append(f"{where}: printed the password")
    return found


def test_damaged_storage_refused_cleanly_without_writing(
    tmp_path: Path, jsonl: Path, readonly_folder: Path, pg_server: pgserver.Server, tally: Tally
) -> None:
    cases = [*sqlite_cases(tmp_path, jsonl, readonly_folder), *postgres_cases(pg_server, jsonl)]
    before = {c.name: folder_bytes(c.folder) for c in cases if c.folder is not None}
    events_before = {c.name: read_rows(c.admin_url) for c in cases if c.admin_url is not None}
    # The PostgreSQL refusals mostly wait (the pool's connect timeout): start them first, all at once.
    ordered = sorted(cases, key=lambda c: c.folder is not None)
    with ThreadPoolExecutor(max_workers=14) as pool:
        futures = [(c, pool.submit(netledger, c, command, jsonl)) for c in ordered for command in READS + WRITES]
        runs = [(c, f.result()) for c, f in futures]
    for case, run in runs:
        print(f"{case.name}: {' '.join(run.command)}: exit {run.returncode}: {run.stderr.strip()[:300]}")

    problems: dict[str, list[str]] = {c.name: [] for c in cases}
    tracebacks = 0
    for case, run in runs:
        if "Traceback" in run.stderr + run.stdout:
            tracebacks += 1
        problems[case.name] += problems_of(case, run)
    lost = 0
    for case in cases:
        changed = []
        if case.folder is not None and folder_bytes(case.folder) != before[case.name]:
            changed.append(f"{case.name}: the files of the ledger changed")
        if case.admin_url is not None and read_rows(case.admin_url) != events_before[case.name]:
            changed.append(f"{case.name}: the PostgreSQL ledger changed")
        lost += bool(changed)
        problems[case.name] += changed
    clean = sum(1 for found in problems.values() if not found)
    tally.add("damaged storage", trials=len(cases), detected=clean, lost=lost, tracebacks=tracebacks)
    listed = [p for found in problems.values() for p in found]
    assert not listed, "\n".join(listed)
    assert (clean, lost, tracebacks) == (len(cases), 0, 0)
