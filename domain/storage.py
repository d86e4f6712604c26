"""Storage: eventsourcing's SQLite recorder plus the ledger's own tables.

Beside eventsourcing's ``stored_events`` table the recorder keeps, written in
the same transaction as the events:

- ``event_index``: ``event_id`` -> (position, aggregate id, version), so an
  event can be found by its id without scanning (idempotency, retraction);
  its primary key also stops two writers recording one ``event_id`` twice.
- ``event_chain``: the leaf and chain hash of every event (see
  ``domain.integrity.chain``), so no event ever exists without its hash.
- ``ledger_meta``: the ledger's name, id and schema version.

Triggers refuse UPDATE and DELETE on the events, index and chain tables.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeAlias
from uuid import UUID

from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from domain.integrity.chain import CREATE_CHAIN, ChainError, chain_rows
from domain.mapper import LedgerStoredEvent

#: Version of the ledger's own table layout, stored in ``ledger_meta``.
#: 1: events and event_index. 2: adds the hash chain (``event_chain``) and
#: append-only triggers; ``netledger migrate`` brings a version 1 ledger up.
SCHEMA_VERSION = 2

if TYPE_CHECKING:
    from domain.postgres import LedgerPostgresRecorder

#: Either recorder: both offer the same reads (``find_event``, ``heads``, ``select_chain``, ...).
LedgerRecorder: TypeAlias = "LedgerSQLiteRecorder | LedgerPostgresRecorder"


def is_url(target: str | os.PathLike[str]) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL, which selects PostgreSQL storage.

    >>> is_url("postgresql://u@h/db"), is_url("ledger.db")
    (True, False)
    """
    return (
        isinstance(target, str)
        and target.split("://", 1)[0].lower() in ("postgresql", "postgres")
        and ("://" in target)
    )


class PagedReads:
    """The reads both recorders share: pages of rows in key order, and one row by position.

    A recorder provides ``_rows(statement, params)`` and its ``PLACEHOLDER``.
    """

    PLACEHOLDER = "?"
    #: How statements name ``event_index`` (PostgreSQL fills in its schema).
    INDEX = "event_index"

    def _rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def select_chain(
        self, after: int | None = None, upto: int | None = None, page: int = 5000
    ) -> Iterator[tuple[Any, Any, Any, Any]]:
        raise NotImplementedError

    def select_raw_events(
        self, after: int | None = None, upto: int | None = None, page: int = 2000
    ) -> Iterator[tuple[Any, Any, Any, Any, Any]]:
        raise NotImplementedError

    def _paged(self, select: str, key: str, after: int | None, upto: int | None, page: int) -> Iterator[Any]:
        # Rows are never updated or deleted, so pages read in separate transactions below a
        # head read once are consistent with each other.
        mark = self.PLACEHOLDER
        while True:
            conditions, params = [], []
            if after is not None:
                conditions.append(f"{key} > {mark}")
                params.append(after)
            if upto is not None:
                conditions.append(f"{key} <= {mark}")
                params.append(upto)
            where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
            rows = self._rows(f"{select}{where} ORDER BY {key} LIMIT {mark}", [*params, page])
            yield from rows
            if len(rows) < page:
                return
            after = rows[-1][0]

    def recorded_among(self, event_ids: Collection[UUID], chunk: int = 500) -> set[UUID]:
        """Which of *event_ids* are recorded, in one query per *chunk* ids (an import checks a batch at once)."""
        wanted = list({str(e) for e in event_ids})
        found: set[UUID] = set()
        for start in range(0, len(wanted), chunk):
            part = wanted[start : start + chunk]
            marks = ",".join([self.PLACEHOLDER] * len(part))
            rows = self._rows(f"SELECT event_id FROM {self.INDEX} WHERE event_id IN ({marks})", part)
            found.update(UUID(r[0]) for r in rows)
        return found

    def leaf_at(self, position: int) -> Any:
        """The leaf hash stored for *position* (as stored), or None."""
        rows = list(self.select_chain(position - 1, position, 1))
        return rows[0][2] if rows else None

    def event_at(self, position: int) -> tuple[Any, Any, Any, Any] | None:
        """``(originator_id hex, version, topic, state)`` of the event at *position*, as stored."""
        rows = list(self.select_raw_events(position - 1, position, 1))
        return rows[0][1:] if rows else None


class LedgerSQLiteRecorder(PagedReads, SQLiteApplicationRecorder):
    """SQLite application recorder that also maintains ``event_index``."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS event_index ("
            "event_id TEXT PRIMARY KEY, "
            "position INTEGER NOT NULL UNIQUE, "
            "originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            *CREATE_CHAIN,
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # Events first (NOTES: reading before writing provokes "database is locked").
        positions = super()._insert_events(c, stored_events, **kwargs)
        assert positions is not None
        first = positions[0] if positions else None
        c.execute("SELECT position, chain_hash FROM event_chain ORDER BY position DESC LIMIT 1")
        head = c.fetchone()
        if first is not None and (head[0] if head else 0) != first - 1:
            raise ChainError(
                f"the hash chain ends at position {head[0] if head else 0} but new events start at {first}"
            )
        c.executemany(
            "INSERT INTO event_chain VALUES (?,?,?,?)",
            list(
                chain_rows(
                    (
                        (p, s.originator_id, s.originator_version, s.topic, s.state)
                        for s, p in zip(stored_events, positions, strict=True)
                    ),
                    (head[0], head[1]) if head else None,
                )
            ),
        )
        c.executemany(
            "INSERT INTO event_index VALUES (?,?,?,?)",
            [
                (_event_id(s), p, _hex(s.originator_id), s.originator_version)
                for s, p in zip(stored_events, positions, strict=True)
            ],
        )
        return positions

    @contextmanager
    def pinned(self, *, commit: bool) -> Iterator[None]:
        """Run every read and write of this recorder in ONE transaction, holding the write lock.

        Inside, reads see what was written before them in the same transaction.
        On leaving, the transaction commits (``commit=True``, and no exception) or
        rolls back. ``BEGIN IMMEDIATE`` takes the write lock at once, so a long
        import never fails half-way on another writer's lock.
        """
        with self.datastore.get_connection(commit=True) as conn:
            cursor = conn.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise OperationalError(exc) from exc

            @contextmanager
            def same_transaction(*, commit: bool) -> Iterator[Any]:
                yield cursor

            self.datastore.transaction = same_transaction  # type: ignore[method-assign]
            try:
                yield
            except BaseException:
                conn.rollback()
                raise
            else:
                conn.commit() if commit else conn.rollback()
            finally:
                del self.datastore.transaction

    # -- reads -------------------------------------------------------------------------
    def creation_cut_short(self) -> bool:
        """Whether this file holds only the start of a ledger whose creation was interrupted.

        A new ledger's tables and its meta rows are written in two transactions, after the
        switch to WAL: a process killed in between leaves a file with none or only some of
        the ledger's tables, no ``schema_version`` and no event. Such a file is no one's
        data (any other table, an event or a schema version, and it is not this case).
        """
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
            tables = {row[0] for row in c.fetchall()}
            if not tables <= {"stored_events", "event_index", "event_chain", "ledger_meta"}:
                return False
            if "stored_events" in tables:
                c.execute("SELECT 1 FROM stored_events LIMIT 1")
                if c.fetchone() is not None:
                    return False
            if "ledger_meta" in tables:
                c.execute("SELECT 1 FROM ledger_meta WHERE key = 'schema_version'")
                if c.fetchone() is not None:
                    return False
        return True

    def exists(self) -> bool:
        """Whether this file already holds a ledger (its meta table)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT name FROM sqlite_master WHERE type='table' AND name='ledger_meta'")
            return c.fetchone() is not None

    def find_event(self, event_id: UUID) -> tuple[int, UUID, int] | None:
        """Position, aggregate id and version of the event with this id, if recorded."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT position, originator_id, originator_version FROM event_index WHERE event_id=?",
                (str(event_id),),
            )
            row = c.fetchone()
        if row is None:
            return None
        return row[0], UUID(row[1]), row[2]

    def heads(self) -> tuple[int, int]:
        """The last event position and the last chain position, read together."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT (SELECT MAX(rowid) FROM stored_events), (SELECT MAX(position) FROM event_chain)")
            row = c.fetchone()
        return int(row[0] or 0), int(row[1] or 0)

    def select_chain(
        self, after: int | None = None, upto: int | None = None, page: int = 5000
    ) -> Iterator[tuple[Any, Any, Any, Any]]:
        """Chain rows ``(position, prev_position, leaf_hash, chain_hash)`` in order, as stored, paged.

        Values are returned as the database holds them (a damaged row may hold text
        where bytes belong): callers that verify check the types themselves.
        """
        yield from self._paged(
            "SELECT position, prev_position, leaf_hash, chain_hash FROM event_chain", "position", after, upto, page
        )

    def select_raw_events(
        self, after: int | None = None, upto: int | None = None, page: int = 2000
    ) -> Iterator[tuple[Any, Any, Any, Any, Any]]:
        """Event rows ``(position, originator_id text, version, topic, state)`` exactly as stored."""
        yield from self._paged(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events",
            "rowid",
            after,
            upto,
            page,
        )

    def _rows(self, statement: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(statement, params)
            return [tuple(r) for r in c.fetchall()]

    def count_events(self) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT COUNT(*) FROM stored_events")
            return int(c.fetchone()[0])

    def get_meta(self) -> dict[str, str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT key, value FROM ledger_meta")
            return {row[0]: row[1] for row in c.fetchall()}

    def replace_meta(self, values: dict[str, str]) -> None:
        """Overwrite meta values (only for an empty ledger taking an export's identity)."""
        with self.datastore.transaction(commit=True) as c:
            c.executemany("INSERT OR REPLACE INTO ledger_meta VALUES (?, ?)", list(values.items()))

    def set_meta_defaults(self, values: dict[str, str]) -> None:
        """Write meta values that are not set yet (never overwrites)."""
        with self.datastore.transaction(commit=True) as c:
            c.executemany("INSERT OR IGNORE INTO ledger_meta VALUES (?, ?)", list(values.items()))


def _event_id(stored: StoredEvent) -> str:
    if isinstance(stored, LedgerStoredEvent):
        return stored.event_id
    return str(json.loads(stored.state)["event_id"])  # written by another mapper


def _hex(originator_id: UUID | str) -> str:
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id
