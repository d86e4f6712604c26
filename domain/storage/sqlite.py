"""SQLite storage: eventsourcing's SQLite application recorder plus the ledger's own tables.

See ``domain.storage`` for the tables. Triggers refuse UPDATE and DELETE on the
events, index and chain tables. A bulk's transaction (``begin``) is opened with
``BEGIN IMMEDIATE``, so a long import takes the write lock at once and never
fails half-way on another writer's lock.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from domain.integrity.chain import CREATE_CHAIN
from domain.integrity.meta import SEAL, seal
from domain.mapper import event_id_of
from domain.storage import PagedReads, Row, Transaction, chain_and_index, check_index_head, stored_id

if TYPE_CHECKING:
    from domain.integrity.signatures import Signer

#: An event row's place in the events table's primary key: aggregate id, version.
_AGGREGATE_ORDER = itemgetter(1, 2)


class LedgerSQLiteRecorder(PagedReads, SQLiteApplicationRecorder):
    """SQLite application recorder that also keeps ``event_index``, ``event_chain``, ``event_signatures`` and
    ``ledger_meta``."""

    #: The writer's signing key (``domain.integrity.signatures``): set, every event written is signed.
    signer: Signer | None = None

    def construct_create_table_statements(self) -> list[str]:
        from domain.integrity.signatures import CREATE_SIGNATURES  # on creation only: it loads the key code

        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS event_index ("
            "event_id TEXT PRIMARY KEY, "
            "position INTEGER NOT NULL UNIQUE, "
            "originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            *CREATE_CHAIN,
            *CREATE_SIGNATURES,
        ]

    # -- the write path ------------------------------------------------------------------
    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """One command's events (eventsourcing's ``insert_events`` transaction), then their chain and index rows.

        Events first (NOTES: reading before writing provokes "database is locked").
        """
        positions = super()._insert_events(c, stored_events, **kwargs)
        assert positions is not None
        rows = [
            Row(p, stored_id(s.originator_id), s.originator_version, s.topic, s.state, event_id_of(s))
            for s, p in zip(stored_events, positions, strict=True)
        ]
        self._chain_and_index(c, rows)
        return positions

    def _chain_and_index(self, c: Any, rows: Sequence[Row]) -> None:
        c.execute(
            "SELECT position, chain_hash, (SELECT MAX(position) FROM event_index) "
            "FROM event_chain ORDER BY position DESC LIMIT 1"
        )
        head = c.fetchone()
        if head is None:
            c.execute("SELECT MAX(position) FROM event_index")
            head_index = c.fetchone()[0]
        else:
            head_index = head[2]
        check_index_head(head_index, head[0] if head else 0)
        chain, index = chain_and_index(rows, (head[0], head[1]) if head else None)
        c.executemany("INSERT INTO event_chain VALUES (?,?,?,?)", chain)
        if self.signer is not None:
            c.executemany("INSERT INTO event_signatures VALUES (?,?,?)", self.signer.rows(chain))
        index.sort()  # by event id, the key of its B-tree (see ``write``)
        c.executemany("INSERT INTO event_index VALUES (?,?,?,?)", index)

    @contextmanager
    def begin(self, *, commit: bool) -> Iterator[Transaction]:
        """ONE transaction holding the write lock, as an explicit handle for ``write`` and the reads.

        ``BEGIN IMMEDIATE`` takes the lock at once (``OperationalError`` if another writer
        keeps it past the busy timeout). On leaving, the transaction commits (*commit*, and no
        exception) or rolls back.
        """
        with self.datastore.get_connection(commit=True) as conn:
            cursor = conn.cursor()
            try:
                cursor.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise OperationalError(exc) from exc
            txn = Transaction(conn, cursor, commit)
            try:
                yield txn
            except BaseException:
                conn.rollback()
                raise
            if commit:
                try:
                    conn.commit()
                except sqlite3.Error as exc:
                    raise OperationalError(exc) from exc
            else:
                conn.rollback()

    def write(self, txn: Transaction, rows: Sequence[Row]) -> None:
        """Write events at their given positions, then their chain and index rows: one ``executemany`` each.

        The rows of a table are inserted in the order of its key with random values (the events by
        aggregate id and version, the index by event id): each B-tree then takes a batch in one
        pass over its pages instead of jumping between them, far fewer pages leave and re-enter
        SQLite's cache in a big import. Positions are given, so what is stored is the same.
        """
        if not rows:
            return
        events = [(r.position, r.originator_id, r.version, r.topic, r.state) for r in rows]
        events.sort(key=_AGGREGATE_ORDER)
        txn.cursor.executemany(
            f"INSERT INTO {self.events_table_name} (rowid, originator_id, originator_version, topic, state) "
            "VALUES (?,?,?,?,?)",
            events,
        )
        self._chain_and_index(txn.cursor, rows)

    def create_missing_tables(self) -> None:
        """The tables a ledger of an earlier schema lacks (``migrate``): ``event_signatures``."""
        from domain.integrity.signatures import CREATE_SIGNATURES

        with self.datastore.transaction(commit=True) as c:
            for statement in CREATE_SIGNATURES:
                c.execute(statement)

    def write_signatures(self, txn: Transaction, rows: Sequence[tuple[int, bytes, bytes]]) -> None:
        """Signature rows kept from an export (``restore``), inside *txn*."""
        txn.cursor.executemany("INSERT INTO event_signatures VALUES (?,?,?)", rows)

    def last_position(self, txn: Transaction) -> int:
        """The last position of the log, read in *txn*."""
        txn.cursor.execute(f"SELECT MAX(rowid) FROM {self.events_table_name}")
        return int(txn.cursor.fetchone()[0] or 0)

    def select_stored(self, txn: Transaction, originator_id: UUID) -> list[StoredEvent]:
        """The stored events of one aggregate, in version order, read in *txn*."""
        txn.cursor.execute(
            f"SELECT originator_version, topic, state FROM {self.events_table_name} "
            "WHERE originator_id=? ORDER BY originator_version",
            (originator_id.hex,),
        )
        return [StoredEvent(originator_id, r[0], r[1], r[2]) for r in txn.cursor.fetchall()]

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
            if not tables <= {"stored_events", "event_index", "event_chain", "event_signatures", "ledger_meta"}:
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

    def heads(self) -> tuple[int, int, int]:
        """The last event, chain and index positions, read together (one snapshot)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT (SELECT MAX(rowid) FROM stored_events), (SELECT MAX(position) FROM event_chain), "
                "(SELECT MAX(position) FROM event_index)"
            )
            row = c.fetchone()
        return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)

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

    def _rows(
        self, statement: str, params: Sequence[Any] = (), txn: Transaction | None = None
    ) -> list[tuple[Any, ...]]:
        if txn is not None:
            txn.cursor.execute(statement, params)
            return [tuple(r) for r in txn.cursor.fetchall()]
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
        """Overwrite meta values (only for an empty ledger taking an export's identity), and reseal."""
        with self.datastore.transaction(commit=True) as c:
            c.executemany("INSERT OR REPLACE INTO ledger_meta VALUES (?, ?)", list(values.items()))
            self.reseal(c)

    def set_meta_defaults(self, values: dict[str, str]) -> None:
        """Write meta values that are not set yet (never overwrites), and reseal (a new ledger's meta)."""
        with self.datastore.transaction(commit=True) as c:
            c.executemany("INSERT OR IGNORE INTO ledger_meta VALUES (?, ?)", list(values.items()))
            self.reseal(c)

    def reseal(self, c: Any) -> None:
        """Write the seal of the meta rows as they are in this transaction (``domain.integrity.meta``)."""
        c.execute("SELECT key, value FROM ledger_meta")
        meta = {row[0]: row[1] for row in c.fetchall()}
        c.execute("INSERT OR REPLACE INTO ledger_meta VALUES (?, ?)", (SEAL, seal(meta)))
