"""Fixtures shared by the unit and integration tests of the ledger library.

- ``ledger``: a fresh ledger on a SQLite file under ``tmp_path`` (actor ``tester``),
  closed at teardown.
- ``snapshot``: reads the raw content of a ledger file straight from SQLite, on a
  connection of its own, so "nothing was written" can be checked byte for byte.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import NamedTuple

import pytest
from eventsourcing.utils import resolve_topic

from domain.ledger import Ledger


class Row(NamedTuple):
    """One stored event as it sits in ``stored_events``."""

    position: int
    type: str
    event_id: str
    state: bytes


def read_rows(path: Path | str) -> list[Row]:
    """Every stored event of the ledger file at *path*, in recorded order, read raw."""
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
    with closing(sqlite3.connect(str(path))) as con:
        return con.execute(
            "SELECT event_id, position, originator_id, originator_version FROM event_index ORDER BY position"
        ).fetchall()


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
        return read_rows(target.path if isinstance(target, Ledger) else target)

    return take


@pytest.fixture
def index_rows() -> Callable[[Ledger | Path | str], list[tuple[str, int, str, int]]]:
    """``index_rows(ledger_or_path)``: the raw ``event_index`` rows."""

    def take(target: Ledger | Path | str) -> list[tuple[str, int, str, int]]:
        return read_index(target.path if isinstance(target, Ledger) else target)

    return take
