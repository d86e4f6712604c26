"""Fixtures shared by the unit and integration tests of the ledger library.

- ``ledger``: a fresh ledger on a SQLite file under ``tmp_path`` (actor ``tester``),
  closed at teardown.
- ``snapshot``: reads the raw content of a ledger file straight from SQLite, on a
  connection of its own, so "nothing was written" can be checked byte for byte.
- ``pg_server``: one throwaway PostgreSQL server for the whole run (``tests.pgserver``),
  started on first use, stopped at the end.
- ``pohang_db`` / ``pohang``: the Pohang demo ledger, built once per run (only read), and its network.
- ``backend`` / ``target``: the storage-dependent tests run once on SQLite (``target``
  is a file path) and once on PostgreSQL (``target`` is the URL of a new database).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from eventsourcing.utils import resolve_topic

from domain.ledger import Ledger
from domain.storage import is_url
from tests import pgserver


class Row(NamedTuple):
    """One stored event as it sits in ``stored_events``."""

    position: int
    type: str
    event_id: str
    state: bytes


def _pg_rows(url: str, select: str) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(url) as con:
        return [tuple(r) for r in con.execute(select).fetchall()]  # type: ignore[arg-type]


def read_rows(path: Path | str) -> list[Row]:
    """Every stored event of the ledger at *path* (a file, or a PostgreSQL URL), in recorded order, read raw."""
    if is_url(str(path)):
        rows = _pg_rows(
            str(path),
            "SELECT notification_id, originator_id, originator_version, topic, state FROM netledger_events "
            "ORDER BY notification_id",
        )
    else:
        with closing(sqlite3.connect(str(path))) as con:
            rows = con.execute(
                "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid"
            ).fetchall()
    return [
        Row(
            position=rowid,
            type=getattr(resolve_topic(topic), "type_name", topic),
            event_id=json.loads(state)["event_id"],
            state=bytes(state),
        )
        for rowid, _originator_id, _originator_version, topic, state in rows
    ]


def read_index(path: Path | str) -> list[tuple[str, int, str, int]]:
    """Every row of the ledger's ``event_index`` table, by position."""
    select = "SELECT event_id, position, originator_id, originator_version FROM event_index ORDER BY position"
    if is_url(str(path)):
        return _pg_rows(str(path), select)  # type: ignore[return-value]
    with closing(sqlite3.connect(str(path))) as con:
        return con.execute(
            "SELECT event_id, position, originator_id, originator_version FROM event_index ORDER BY position"
        ).fetchall()


def _where(target: Ledger | Path | str) -> Path | str:
    """The file or URL (with its password) a ledger was opened on."""
    return target.target if isinstance(target, Ledger) else target


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "ledger.db"


@pytest.fixture
def ledger(db_path: Path) -> Iterator[Ledger]:
    led = Ledger(db_path, actor="tester", create=True)
    yield led
    led.close()


@pytest.fixture
def snapshot() -> Callable[[Ledger | Path | str], list[Row]]:
    """``snapshot(ledger_or_path)``: the raw stored events as ``(position, type, event_id, bytes)``."""

    def take(target: Ledger | Path | str) -> list[Row]:
        return read_rows(_where(target))

    return take


@pytest.fixture
def index_rows() -> Callable[[Ledger | Path | str], list[tuple[str, int, str, int]]]:
    """``index_rows(ledger_or_path)``: the raw ``event_index`` rows."""

    def take(target: Ledger | Path | str) -> list[tuple[str, int, str, int]]:
        return read_index(_where(target))

    return take


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pgserver.Server]:
    server = pgserver.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _projection_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL ledgers keep their projection in a cache folder: one per test."""
    monkeypatch.setenv("NETLEDGER_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def target(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """Where a new ledger goes: a file path on SQLite, a new database's URL on PostgreSQL."""
    if backend == "sqlite":
        yield str(tmp_path / "ledger.db")
        return
    server: pgserver.Server = request.getfixturevalue("pg_server")
    url = server.create_database()
    yield url
    server.drop_database(url)


@pytest.fixture(scope="session")
def pohang_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Pohang demo ledger, built once per run: tests only read it."""
    from domain.demo import build_demo

    path = tmp_path_factory.mktemp("pohang") / "pohang.db"
    with Ledger(path, actor="tests", create=True, name="pohang-demo") as ledger:
        build_demo(ledger)
    return path


@pytest.fixture(scope="session")
def pohang(pohang_db: Path) -> Any:
    """The demo's network (a ``networkx.MultiDiGraph``) as the commands load it."""
    from projections.store import load_network

    with Ledger(pohang_db) as ledger:
        return load_network(ledger)
