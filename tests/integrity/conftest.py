"""Fixtures for the audit-trail tests (``domain.integrity`` and ``cli/audit.py``).

Every fixture here is named ``integrity_*`` so it cannot shadow the fixtures of
``tests/conftest.py`` or ``tests/cli/conftest.py``.

- ``integrity_tools``: helpers as static methods (test modules do not import a
  conftest): copying a ledger file with its WAL side files, opening it for
  tampering with the append-only triggers dropped, reading raw rows, and
  asserting on CLI results.
- ``integrity_cli``: runs ``netledger --db <db> ...`` in-process (click's
  ``CliRunner``; stdout and stderr are separate).
- ``integrity_demo_master``: the Pohang demo built once through
  ``domain.demo.build_demo`` (read-only: take ``integrity_demo_db`` to write).
- ``integrity_signer`` / ``integrity_other_signer``: two Ed25519 key pairs made
  by ``keygen``.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.main import cli
from domain.demo import build_demo
from domain.integrity.checkpoint import keygen, memory_path
from domain.ledger import Ledger

#: The append-only triggers of schema 2, by name.
TRIGGERS = tuple(
    f"{table}_no_{verb}" for table in ("stored_events", "event_index", "event_chain") for verb in ("update", "delete")
)
SIDE_FILES = ("-wal", "-shm")


def _side(path: Path, suffix: str) -> Path:
    return Path(f"{path}{suffix}")


def copy_db(source: Path, target: Path) -> Path:
    """Copy a closed ledger file and its side files to *target*, dropping stale side files there."""
    for suffix in SIDE_FILES:
        _side(target, suffix).unlink(missing_ok=True)
    shutil.copyfile(source, target)
    for suffix in SIDE_FILES:
        if _side(source, suffix).exists():
            shutil.copyfile(_side(source, suffix), _side(target, suffix))
    return target


def leftovers(path: Path) -> list[Path]:
    """The ledger file and its side files that exist."""
    return [p for p in (path, *(_side(path, s) for s in SIDE_FILES)) if p.exists()]


@contextmanager
def tampering(path: Path, *, drop_triggers: bool = True) -> Iterator[sqlite3.Connection]:
    """A raw connection to the ledger with the append-only triggers dropped; commits on exit."""
    with closing(sqlite3.connect(str(path))) as con:
        if drop_triggers:
            for trigger in TRIGGERS:
                con.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        yield con
        con.commit()


def raw_event(path: Path, position: int) -> tuple[str, int, str, bytes]:
    """``(originator_id, version, topic, state)`` of the stored row at *position*, read raw."""
    with closing(sqlite3.connect(str(path))) as con:
        row = con.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events WHERE rowid = ?", (position,)
        ).fetchone()
    assert row is not None, f"no row at position {position}"
    return row[0], row[1], row[2], bytes(row[3])


def raw_rows(path: Path, table: str = "stored_events") -> list[tuple[Any, ...]]:
    """Every row of *table* (with its rowid first), in rowid order."""
    with closing(sqlite3.connect(str(path))) as con:
        return con.execute(f"SELECT rowid, * FROM {table} ORDER BY rowid").fetchall()


def meta(path: Path) -> dict[str, str]:
    with closing(sqlite3.connect(str(path))) as con:
        return dict(con.execute("SELECT key, value FROM ledger_meta").fetchall())


def crashed(result: Result) -> bool:
    """The command died of an unexpected exception (a traceback in a real shell)."""
    return result.exception is not None and not isinstance(result.exception, SystemExit)


def assert_ok(result: Result) -> Result:
    assert not crashed(result), f"crashed: {result.exception!r}\nstderr: {result.stderr}"
    assert result.exit_code == 0, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert "Error" not in result.stderr
    return result


def error_line(result: Result, code: int, *needles: str) -> str:
    """An expected refusal: exit *code*, exactly one ``Error:`` line on stderr, nothing on stdout."""
    assert not crashed(result), f"crashed instead of refusing: {result.exception!r}\nstderr: {result.stderr}"
    assert "Traceback" not in result.output
    assert result.exit_code == code, (
        f"exit {result.exit_code}, expected {code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    )
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), f"expected one Error: line, got {lines}"
    assert result.stdout == "", f"a refusal prints nothing on stdout, got {result.stdout!r}"
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


class IntegrityCli:
    """Runs ``netledger --db <db> ARGS`` in-process."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, db: Path | str, *args: str, input: bytes | str | None = None) -> Result:
        return self.runner.invoke(cli, ["--db", str(db), *args], input=input)

    def ok(self, db: Path | str, *args: str, input: bytes | str | None = None) -> Result:
        return assert_ok(self(db, *args, input=input))


@dataclass(frozen=True)
class Signer:
    """A key pair written by ``keygen``."""

    key: Path
    pub: Path


def checkpoint_file(db: Path | str, signer: Signer, out: Path) -> Path:
    """Write a signed checkpoint of the ledger at *db* to *out* through the CLI."""
    assert_ok(IntegrityCli()(db, "checkpoint", "--key", str(signer.key), "--out", str(out)))
    return out


class IntegrityTools:
    """The helpers above, handed to tests by the ``integrity_tools`` fixture."""

    TRIGGERS = TRIGGERS
    copy_db = staticmethod(copy_db)
    leftovers = staticmethod(leftovers)
    tampering = staticmethod(tampering)
    raw_event = staticmethod(raw_event)
    raw_rows = staticmethod(raw_rows)
    meta = staticmethod(meta)
    crashed = staticmethod(crashed)
    assert_ok = staticmethod(assert_ok)
    error_line = staticmethod(error_line)
    checkpoint_file = staticmethod(checkpoint_file)


@pytest.fixture(autouse=True)
def _integrity_clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ledger or actor leaks in from the environment; relative paths land in tmp_path."""
    monkeypatch.delenv("NETLEDGER_DB", raising=False)
    monkeypatch.setenv("NETLEDGER_ACTOR", "auditor")
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def integrity_tools() -> type[IntegrityTools]:
    return IntegrityTools


@pytest.fixture
def integrity_cli() -> IntegrityCli:
    return IntegrityCli()


@pytest.fixture(scope="session")
def integrity_demo_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Pohang demo ledger (43 events), built once through ``build_demo``; never write to it."""
    path = tmp_path_factory.mktemp("integrity-demo") / "pohang.db"
    with Ledger(path, actor="demo-builder", create=True, name="pohang-demo") as ledger:
        build_demo(ledger)
    return path


@pytest.fixture
def integrity_demo_db(integrity_demo_master: Path, tmp_path: Path) -> Path:
    """A private, writable copy of the demo ledger."""
    return copy_db(integrity_demo_master, tmp_path / "demo.db")


def _signer(tmp_path_factory: pytest.TempPathFactory, name: str) -> Signer:
    private, public = keygen(tmp_path_factory.mktemp(name) / "signer.key")
    return Signer(private, public)


@pytest.fixture(scope="session")
def _integrity_signer(tmp_path_factory: pytest.TempPathFactory) -> Signer:
    return _signer(tmp_path_factory, "integrity-key")


@pytest.fixture(scope="session")
def _integrity_other_signer(tmp_path_factory: pytest.TempPathFactory) -> Signer:
    return _signer(tmp_path_factory, "integrity-other-key")


def forgetting(signer: Signer) -> Signer:
    """The key pair with no checkpoint remembered: each test's copies of the demo share its ledger id."""
    memory_path(signer.key).unlink(missing_ok=True)
    return signer


@pytest.fixture
def integrity_signer(_integrity_signer: Signer) -> Signer:
    return forgetting(_integrity_signer)


@pytest.fixture
def integrity_other_signer(_integrity_other_signer: Signer) -> Signer:
    return forgetting(_integrity_other_signer)
