"""Reliability: a writer killed at any moment leaves all of its work or none, and the next run completes it.

Three commands are killed with SIGKILL at seeded random moments, as real
processes (the interpreter's ``netledger`` entry point):

- ``netledger import FILE --format jsonl`` of a generated file (organisations,
  then partnerships between them; ``N`` events: 2,000 in the fast run, 100,000
  in the full one, 20,000 on PostgreSQL), into a new ledger. One clean import is timed first: kills
  fall between 0.2 s and 1.05 times that duration (so some land after the
  commit). After each kill: ``verify`` passes and the ledger holds none or all
  of the file's events; ``network summary --format json`` equals the summary of
  the empty ledger or of the clean one; running the import again completes it
  (everything written, or everything "already recorded"); then ``verify`` and
  the summary (the saved projection caught up) equal the clean ledger's. On
  SQLite, and on PostgreSQL for a few trials.
- ``netledger append`` of a one-line JSON Lines file onto a small ledger: the
  event is there or not, ``verify`` passes, sending it again records it once.
- ``netledger checkpoint --key KEY --out FILE``: FILE is absent, or the old
  checkpoint it replaced, or a complete one that ``verify --checkpoint``
  accepts; the next run writes a valid one and leaves no other file behind.

Random kills rarely land in the few microseconds of a file write or of a new
ledger's creation, so those moments are also hit deterministically: the
command runs under a bootstrap (``DIE``) that kills the process at a named
point (half-way through writing a file of a given folder; on entering a
recorder method). A trial is *lost* when a partial import or a broken ledger
or checkpoint is seen; a *traceback* when any follow-up command printed one.
The seed is printed and kept in the tally's note; rerun with
``NETLEDGER_CRASH_SEED=S``.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import pytest

from tests import pgserver
from tests.conftest import read_rows
from tests.integrity.conftest import copy_db
from tests.reliability.conftest import FULL, Tally, trials

ROOT = Path(__file__).resolve().parents[2]
NETLEDGER = [sys.executable, "-c", "from cli.main import main; main(prog_name='netledger')"]
NS = uuid5(NAMESPACE_URL, "netledger:tests:reliability:crash")
N = trials(2_000, 100_000)
#: PostgreSQL imports are slower (about 4 times, here): a smaller file keeps the full run in bounds.
N_PG = trials(2_000, 20_000)
IMPORT_TRIALS = trials(3, 20)
PG_IMPORT_TRIALS = trials(1, 3)
SMALL_TRIALS = trials(3, 30)
SEED = int(os.environ.get("NETLEDGER_CRASH_SEED") or (time.time_ns() % 10**9 if FULL else 20_260))

#: Runs the CLI, killing the process with SIGKILL at a point named by the environment:
#: ``NETLEDGER_TEST_DIE_WRITING=FOLDER``: half-way through the first write to a file opened for writing in FOLDER
#: (by name, or a temporary file's descriptor);
#: ``NETLEDGER_TEST_DIE_AT=module:Class.method``: on entering that method.
DIE = """
import builtins, io, os, signal
from importlib import import_module

def die():
    os.kill(os.getpid(), signal.SIGKILL)

folder = os.environ.get("NETLEDGER_TEST_DIE_WRITING")
if folder:
    real_open = io.open

    class Dying:
        def __init__(self, f):
            self.f = f
        def write(self, data):
            self.f.write(data[: len(data) // 2])
            self.f.flush()
            die()
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            self.f.close()
        def __getattr__(self, name):
            return getattr(self.f, name)

    def dying_open(file, mode="r", *args, **kwargs):
        f = real_open(file, mode, *args, **kwargs)
        named = isinstance(file, (str, os.PathLike))
        if named and any(m in mode for m in "wax") and os.path.dirname(os.path.abspath(file)) == folder:
            return Dying(f)
        return f

    io.open = builtins.open = dying_open
    real_fdopen = os.fdopen

    def dying_fdopen(fd, mode="r", *args, **kwargs):  # a temporary file made by mkstemp (domain.files)
        f = real_fdopen(fd, mode, *args, **kwargs)
        path = os.readlink(f"/proc/self/fd/{fd}")
        if any(m in mode for m in "wax") and os.path.dirname(path) == folder:
            return Dying(f)
        return f

    os.fdopen = dying_fdopen

point = os.environ.get("NETLEDGER_TEST_DIE_AT")
if point:
    module, _, name = point.partition(":")
    owner, _, method = name.partition(".")
    setattr(getattr(import_module(module), owner), method, lambda *a, **k: die())

from cli.main import main
main(prog_name="netledger")
"""


def env(**extra: str) -> dict[str, str]:
    """The environment of a CLI process: no ledger chosen by the environment, a fixed actor."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("NETLEDGER_DB", "NETLEDGER_DATABASE", "PG"))}
    return {**base, "NETLEDGER_ACTOR": "crash-tester", **extra}


@dataclass(frozen=True)
class Done:
    returncode: int
    stdout: str
    stderr: str

    @property
    def traceback(self) -> bool:
        return "Traceback" in self.stdout + self.stderr


def netledger(*args: str, extra: dict[str, str] | None = None, boot: list[str] = NETLEDGER) -> Done:
    done = subprocess.run(
        [*boot, *args], capture_output=True, text=True, cwd=ROOT, env=env(**(extra or {})), timeout=900, check=False
    )
    return Done(done.returncode, done.stdout, done.stderr)


def killed_at(args: list[str], delay: float, folder: Path) -> tuple[bool, Done]:
    """Start ``netledger ARGS``, SIGKILL it after *delay* seconds; whether it finished first, and its output."""
    out, err = folder / "killed.out", folder / "killed.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen([*NETLEDGER, *args], stdout=stdout, stderr=stderr, cwd=ROOT, env=env())
        try:
            proc.wait(timeout=delay)
            finished = True
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            finished = False
    done = Done(proc.returncode, out.read_text(), err.read_text())
    out.unlink()
    err.unlink()
    return finished, done


@dataclass
class Trial:
    """What one trial saw: problems (a partial write, a broken ledger) and follow-ups that crashed."""

    label: str
    problems: list[str] = field(default_factory=list)
    tracebacks: int = 0

    def run(self, *args: str, expect: int | None = 0, extra: dict[str, str] | None = None) -> Done:
        done = netledger(*args, extra=extra)
        if done.traceback:
            self.tracebacks += 1
            self.problems.append(f"{' '.join(args[2:4])}: traceback: {done.stderr[-1500:]}")
        elif expect is not None and done.returncode != expect:
            self.problems.append(f"{' '.join(args[2:4])}: exit {done.returncode}: {done.stderr[-600:]}")
        return done


@dataclass
class Results:
    trials: list[Trial] = field(default_factory=list)

    def record(self, tally: Tally, suite: str) -> None:
        lost = sum(1 for t in self.trials if t.problems)
        tracebacks = sum(1 for t in self.trials if t.tracebacks)
        tally.add(suite, trials=len(self.trials), lost=lost, tracebacks=tracebacks, note=f"seed {SEED}")
        listed = [f"{t.label}: {p}" for t in self.trials for p in t.problems]
        assert not listed, f"seed {SEED}\n" + "\n".join(listed)
        assert (lost, tracebacks) == (0, 0)


# -- the file and the clean reference -----------------------------------------------------------------------------


def generate(path: Path, n: int) -> None:
    """*n* events: n/5 organisations, then partnerships between two of them (deterministic)."""
    orgs = n // 5
    with path.open("w", encoding="utf-8") as out:
        for i in range(orgs):
            record = {
                "type": "organisation.registered",
                "event_id": str(uuid5(NS, f"org{i}")),
                "key": f"org{i}",
                "sector": ("firm", "university", "research_institute", "funder")[i % 4],
                "name_en": f"Organisation {i}",
            }
            out.write(json.dumps(record) + "\n")
        for j in range(n - orgs):
            a = j % orgs
            b = (a + 1 + (j * 7919 + j // orgs) % (orgs - 1)) % orgs
            record = {
                "type": "partnership.formed",
                "event_id": str(uuid5(NS, f"partnership{j}")),
                "parties": [f"org{a}", f"org{b}"],
                "effective": f"{2000 + j % 25}-{1 + j % 12:02d}",
            }
            out.write(json.dumps(record) + "\n")


@dataclass(frozen=True)
class Reference:
    file: Path
    #: The file's records; a whole import also writes its ``import.recorded`` event (``stored``).
    events: int
    #: Seconds a clean import of the file takes (process start to exit).
    duration: float
    db: Path
    summary: Any
    empty_summary: Any

    @property
    def stored(self) -> int:
        """The events a whole import of the file leaves in the ledger: its records and the import's record."""
        return self.events + 1


def summary_of(*where: str) -> Any:
    done = netledger(*where, "network", "summary", "--format", "json")
    assert done.returncode == 0 and not done.traceback, done.stderr
    return json.loads(done.stdout)


_REFERENCES: dict[int, Reference] = {}


def reference_of(n: int, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """The generated file of *n* events, a clean ledger of it and the summaries to compare with (once per session)."""
    if n in _REFERENCES:
        return _REFERENCES[n]
    folder = tmp_path_factory.mktemp(f"crash-data-{n}")
    file = folder / f"events-{n}.jsonl"
    generate(file, n)
    db = folder / "clean.db"
    started = time.perf_counter()
    done = netledger("--db", str(db), "import", "--create", str(file), "--format", "jsonl")
    duration = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    empty = folder / "empty.db"
    assert netledger("--db", str(empty), "init").returncode == 0
    print(f"clean import of {n} events: {duration:.1f} s; crash seed {SEED}")
    _REFERENCES[n] = Reference(file, n, duration, db, summary_of("--db", str(db)), summary_of("--db", str(empty)))
    return _REFERENCES[n]


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Reference:
    return reference_of(N, tmp_path_factory)


def size_of(trial: Trial, where: list[str]) -> int | None:
    """Events in the ledger per ``verify --format json`` (None if there is no ledger, or it fails)."""
    done = trial.run(*where, "verify", "--format", "json", expect=None)
    if done.returncode == 2 and done.stderr.startswith("Error: db: no ledger at"):
        return None
    if done.returncode != 0:
        if not done.traceback:
            trial.problems.append(f"verify: exit {done.returncode}: {done.stderr[-600:]}")
        return -1
    return int(json.loads(done.stdout)["size"])


def check_import_survived(trial: Trial, where: list[str], raw: str, ref: Reference, created: bool) -> None:
    """After a kill: none or all events, verify ok, the summary of one or the other; the import then completes."""
    size = size_of(trial, where)
    if size is None and not created:
        trial.problems.append("the ledger made before the import is gone")
    if size not in (None, 0, ref.stored, -1):
        trial.problems.append(f"partial import: {size} of {ref.stored} events")
    if size not in (None, -1):
        rows = len(read_rows(raw))
        if rows != size:
            trial.problems.append(f"verify counted {size} events but the ledger holds {rows}")
        expected = ref.summary if size == ref.stored else ref.empty_summary
        done = trial.run(*where, "network", "summary", "--format", "json")
        if done.returncode == 0 and json.loads(done.stdout) != expected:
            trial.problems.append(f"summary after the kill differs: {done.stdout[:300]}")
    done = trial.run(*where, "import", "--create", str(ref.file), "--format", "jsonl")
    if done.returncode == 0:
        line = done.stderr.strip().splitlines()[-1]
        wanted = (
            f"wrote 0 event(s); {ref.events} already recorded"
            if size == ref.stored
            else f"wrote {ref.events} event(s) ("
        )
        if not line.startswith(wanted):
            trial.problems.append(f"the import again said {line!r}, expected {wanted!r}...")
    if size_of(trial, where) != ref.stored:
        trial.problems.append("the import again did not leave every event")
    done = trial.run(*where, "network", "summary", "--format", "json")
    if done.returncode == 0 and json.loads(done.stdout) != ref.summary:
        trial.problems.append(f"the projection did not catch up: {done.stdout[:300]}")


# -- import --------------------------------------------------------------------------------------------------------


def postgres_ledger(server: pgserver.Server) -> tuple[list[str], str]:
    url = server.create_database("crash")
    done = netledger("--database-url", url, "init")
    assert done.returncode == 0, done.stderr
    return ["--database-url", url], url


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_killed_import_leaves_all_or_nothing(
    backend: str, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, request: pytest.FixtureRequest, tally: Tally
) -> None:
    rng = random.Random(f"{SEED}:import:{backend}")
    results = Results()
    count = IMPORT_TRIALS if backend == "sqlite" else PG_IMPORT_TRIALS
    reference = reference_of(N if backend == "sqlite" else N_PG, tmp_path_factory)
    #: The fast run does not time a clean PostgreSQL import: its kills fall within an estimate.
    duration = reference.duration if backend == "sqlite" else 4 * reference.duration
    server: pgserver.Server | None = request.getfixturevalue("pg_server") if backend == "postgresql" else None
    if server is not None and FULL:  # time a clean import on PostgreSQL too; its summary must be the same
        where, url = postgres_ledger(server)
        started = time.perf_counter()
        assert netledger(*where, "import", "--create", str(reference.file), "--format", "jsonl").returncode == 0
        duration = time.perf_counter() - started
        print(f"clean import of {reference.events} events on PostgreSQL: {duration:.1f} s")
        assert summary_of(*where) == reference.summary
        server.drop_database(url)
    for n in range(count):
        delay = rng.uniform(0.2, 1.05 * duration)
        trial = Trial(f"{backend} import trial {n} (kill at {delay:.2f} s)")
        if server is not None:
            where, raw = postgres_ledger(server)
        else:
            raw = str(tmp_path / f"trial{n}.db")
            where = ["--db", raw]
        _, done = killed_at([*where, "import", "--create", str(reference.file), "--format", "jsonl"], delay, tmp_path)
        if done.traceback:
            trial.problems.append(f"the killed import printed a traceback: {done.stderr[-1500:]}")
        check_import_survived(trial, where, raw, reference, created=server is None)
        results.trials.append(trial)
        if server is not None:
            server.drop_database(raw)
        else:
            for p in tmp_path.glob(f"trial{n}.db*"):
                p.unlink()
    results.record(tally, "crash: import")


#: Points where a new ledger's creation, or the import's first write, dies: after the WAL switch
#: (the file exists) but before the tables, after the tables but before the ledger's meta, and
#: on the first batch of events.
CREATION_POINTS = [
    "domain.storage.sqlite:LedgerSQLiteRecorder._create_table",
    "domain.storage.sqlite:LedgerSQLiteRecorder.set_meta_defaults",
    "domain.storage.sqlite:LedgerSQLiteRecorder.write",
]


@pytest.mark.parametrize("point", CREATION_POINTS)
def test_import_killed_while_creating_the_ledger_is_completed_by_the_next_run(
    point: str, reference: Reference, tmp_path: Path, tally: Tally
) -> None:
    raw = str(tmp_path / "new.db")
    where = ["--db", raw]
    trial = Trial(f"import killed at {point}")
    args = [*where, "import", "--create", str(reference.file), "--format", "jsonl"]
    done = netledger(*args, extra={"NETLEDGER_TEST_DIE_AT": point}, boot=[sys.executable, "-c", DIE])
    assert done.returncode == -9, f"the crash point was not reached: {done.stderr[-800:]}"
    check_import_survived(trial, where, raw, reference, created=True)
    Results([trial]).record(tally, "crash: import")


# -- append ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def small_ledger(reference: Reference, tmp_path: Path) -> Path:
    """A ledger of the file's first 50 organisations."""
    file = tmp_path / "first.jsonl"
    with reference.file.open(encoding="utf-8") as source:
        file.write_text("".join(source.readline() for _ in range(50)), encoding="utf-8")
    db = tmp_path / "small.db"
    assert netledger("--db", str(db), "import", "--create", str(file), "--format", "jsonl").returncode == 0
    file.unlink()
    return db


def one_line(folder: Path, n: int) -> tuple[Path, str]:
    event_id = str(uuid5(NS, f"appended{n}"))
    record = {"type": "partnership.formed", "event_id": event_id, "parties": ["org1", "org2"], "effective": "2024"}
    path = folder / f"line{n}.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path, event_id


def test_killed_append_records_the_event_once_or_not_at_all(small_ledger: Path, tmp_path: Path, tally: Tally) -> None:
    rng = random.Random(f"{SEED}:append")
    base = len(read_rows(small_ledger))
    calibration = copy_db(small_ledger, tmp_path / "calibrate.db")
    line, _ = one_line(tmp_path, -1)
    started = time.perf_counter()
    assert netledger("--db", str(calibration), "append", "--create", str(line)).returncode == 0
    duration = time.perf_counter() - started
    results = Results()
    for n in range(SMALL_TRIALS):
        delay = rng.uniform(0.2, 1.05 * duration)
        trial = Trial(f"append trial {n} (kill at {delay:.2f} s)")
        db = copy_db(small_ledger, tmp_path / f"append{n}.db")
        where = ["--db", str(db)]
        line, event_id = one_line(tmp_path, n)
        _, done = killed_at([*where, "append", "--create", str(line)], delay, tmp_path)
        if done.traceback:
            trial.problems.append(f"the killed append printed a traceback: {done.stderr[-1500:]}")
        size = size_of(trial, where)
        if size not in (base, base + 1, -1):
            trial.problems.append(f"{size} events after the kill, expected {base} or {base + 1}")
        again = trial.run(*where, "append", "--create", str(line))
        wanted = "appended 0 event(s); 1 already recorded" if size == base + 1 else "appended 1 event(s)"
        if again.returncode == 0 and again.stderr.strip() != wanted:
            trial.problems.append(f"the append again said {again.stderr.strip()!r}, expected {wanted!r}")
        ids = [r.event_id for r in read_rows(db)]
        if size_of(trial, where) != base + 1 or ids.count(event_id) != 1:
            trial.problems.append(f"the event is recorded {ids.count(event_id)} times in {len(ids)} events")
        results.trials.append(trial)
    results.record(tally, "crash: append")


# -- checkpoint -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    key: Path
    pub: Path
    #: A valid checkpoint of the reference ledger, made earlier: the "old" file a new one replaces.
    old: bytes
    duration: float


@pytest.fixture
def signer(reference: Reference, tmp_path: Path) -> Signer:
    keys = tmp_path / "keys"
    keys.mkdir()
    key = keys / "signer.key"
    assert netledger("keygen", "--out", str(key)).returncode == 0
    old = keys / "old.txt"
    started = time.perf_counter()
    done = netledger("--db", str(reference.db), "checkpoint", "--key", str(key), "--out", str(old))
    assert done.returncode == 0, done.stderr
    return Signer(key, Path(f"{key}.pub"), old.read_bytes(), time.perf_counter() - started)


def check_checkpoint_survived(trial: Trial, ref: Reference, signer: Signer, out: Path, had_old: bool) -> None:
    """After a kill: FILE absent, or the old one, or complete and valid; the next run leaves only a valid FILE."""
    where = ["--db", str(ref.db)]
    verify = [*where, "verify", "--checkpoint", str(out), "--public-key", str(signer.pub)]
    if not out.exists():
        if had_old:
            trial.problems.append("the old checkpoint is gone and no new one was written")
    elif out.read_bytes() != signer.old:
        done = trial.run(*verify, expect=None)
        if done.returncode != 0 and not done.traceback:
            trial.problems.append(f"a broken checkpoint was left: {out.read_bytes()[:200]!r}: {done.stderr[-300:]}")
    trial.run(*where, "checkpoint", "--key", str(signer.key), "--out", str(out))
    trial.run(*verify)
    others = sorted(p.name for p in out.parent.iterdir() if p != out)
    if others:
        trial.problems.append(f"files left beside the checkpoint: {others}")


def test_killed_checkpoint_leaves_no_broken_file(
    reference: Reference, signer: Signer, tmp_path: Path, tally: Tally
) -> None:
    rng = random.Random(f"{SEED}:checkpoint")
    results = Results()
    for n in range(SMALL_TRIALS):
        delay = rng.uniform(0.2, 1.05 * signer.duration)
        trial = Trial(f"checkpoint trial {n} (kill at {delay:.2f} s)")
        folder = tmp_path / f"cp{n}"
        folder.mkdir()
        out = folder / "checkpoint.txt"
        had_old = n % 2 == 1
        if had_old:
            out.write_bytes(signer.old)
        args = ["--db", str(reference.db), "checkpoint", "--key", str(signer.key), "--out", str(out)]
        _, done = killed_at(args, delay, tmp_path)
        if done.traceback:
            trial.problems.append(f"the killed checkpoint printed a traceback: {done.stderr[-1500:]}")
        check_checkpoint_survived(trial, reference, signer, out, had_old)
        results.trials.append(trial)
    results.record(tally, "crash: checkpoint")


@pytest.mark.parametrize("had_old", [False, True], ids=["new", "replacing"])
def test_checkpoint_killed_while_writing_the_file_leaves_no_broken_file(
    had_old: bool, reference: Reference, signer: Signer, tmp_path: Path, tally: Tally
) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "checkpoint.txt"
    if had_old:
        out.write_bytes(signer.old)
    args = ["--db", str(reference.db), "checkpoint", "--key", str(signer.key), "--out", str(out)]
    done = netledger(*args, extra={"NETLEDGER_TEST_DIE_WRITING": str(folder)}, boot=[sys.executable, "-c", DIE])
    assert done.returncode == -9, f"the crash point was not reached: {done.stderr[-800:]}"
    trial = Trial(f"checkpoint killed writing ({'replacing' if had_old else 'new'})")
    check_checkpoint_survived(trial, reference, signer, out, had_old)
    Results([trial]).record(tally, "crash: checkpoint")
