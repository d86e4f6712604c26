"""PostgreSQL storage: eventsourcing's recorder plus the ledger's own tables, for shared ledgers.

The same tables as on SQLite (``domain.storage``), written in the **same
transaction** as the events: ``event_index``, ``event_chain`` and
``ledger_meta``, with a trigger that refuses UPDATE, DELETE and TRUNCATE on the
event, index and chain tables, even for their owner.

Two choices differ from eventsourcing's own PostgreSQL recorder:

- ``insert_events`` is overridden whole (keeping its retry on connection
  errors), because an exception raised in its ``_fetch_ids_after_insert_events``
  hook is re-raised only after the transaction committed: events would be saved
  without their chain rows.
- Writers are serialised with a transaction-level advisory lock instead of
  ``LOCK TABLE ... IN EXCLUSIVE MODE`` (which needs UPDATE, DELETE or TRUNCATE
  privilege), and positions are given explicitly as the last position + 1, + 2...
  under that lock: so positions have no gaps (a sequence leaves gaps after a
  rollback) and the writing role needs only SELECT and INSERT.

A ledger is one database (or one schema, ``?schema=NAME``). Its URL is
``postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME``; the password comes from the
URL, else ``PGPASSWORD``, else ``~/.pgpass``, and ``redact`` keeps it out of
every message.

>>> target = parse_url("postgresql://ledger:s3cret@127.0.0.1:5433/pohang")
>>> target.display, target.dbname, target.port
('postgresql://ledger@127.0.0.1:5433/pohang', 'pohang', 5433)
>>> redact("FATAL: password s3cret refused")
'FATAL: password *** refused'
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg import errors as psycopg_errors
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from domain.errors import InputError
from domain.integrity.chain import ChainError
from domain.integrity.meta import SEAL, seal
from domain.mapper import event_id_of
from domain.storage import (
    PagedReads,
    Row,
    Transaction,
    chain_and_index,
    check_index_head,
    lock_budget,
    locked_out,
    stored_id,
)

if TYPE_CHECKING:
    from domain.integrity.signatures import Signer

#: URL schemes that select PostgreSQL.
SCHEMES = ("postgresql", "postgres")
#: Passwords seen in URLs and PGPASSWORD, replaced by ``***`` wherever ``redact`` is used.
_SECRETS: set[str] = set()


@dataclass(frozen=True)
class Target:
    """Where a PostgreSQL ledger lives. ``display`` never holds the password."""

    user: str
    password: str
    host: str
    port: int
    dbname: str
    schema: str

    @property
    def display(self) -> str:
        suffix = f"?schema={self.schema}" if self.schema else ""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.dbname}{suffix}"

    def env(self) -> dict[str, str]:
        """eventsourcing's settings for this target (tables are created by ``netledger init`` only)."""
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "APPLICATION_RECORDER_TOPIC": "domain.storage.postgres:LedgerPostgresRecorder",
            "POSTGRES_DBNAME": self.dbname,
            "POSTGRES_HOST": self.host,
            "POSTGRES_PORT": str(self.port),
            "POSTGRES_USER": self.user,
            # Empty means "ask libpq": it then reads ~/.pgpass.
            "POSTGRES_PASSWORD": self.password,
            "POSTGRES_SCHEMA": self.schema,
            "POSTGRES_CONNECT_TIMEOUT": "5",
            # A bulk import keeps one transaction open while it reads the next batch.
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "600",
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
            "CREATE_TABLE": "n",
        }


def parse_url(url: str) -> Target:
    """Read a ``postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?schema=NAME]`` URL."""
    try:
        parts = urlsplit(url)
        port = parts.port or 5432
    except ValueError as exc:
        raise InputError("database-url", f"not a valid URL ({exc})", "use postgresql://USER@HOST:PORT/DBNAME") from None
    if parts.scheme.lower() not in SCHEMES:
        raise InputError("database-url", f"scheme {parts.scheme!r} is not postgresql", "use postgresql://...")
    password = unquote(parts.password) if parts.password else os.environ.get("PGPASSWORD", "")
    if password:
        _SECRETS.add(password)
        if parts.password:
            _SECRETS.add(parts.password)  # as written in the URL, percent-encoded
    dbname = unquote(parts.path.lstrip("/"))
    user = unquote(parts.username or "")
    if not user or not parts.hostname or not dbname:
        missing = "user" if not user else "host" if not parts.hostname else "database name"
        raise InputError("database-url", f"the URL has no {missing}", "use postgresql://USER@HOST:PORT/DBNAME")
    query = parse_qs(parts.query)
    unknown = sorted(set(query) - {"schema"})
    if unknown:
        raise InputError("database-url", f"unknown URL parameter {unknown[0]!r}", "only ?schema=NAME is understood")
    return Target(user, password, parts.hostname, port, dbname, query.get("schema", [""])[0])


def redact(text: str) -> str:
    """*text* with every known password replaced by ``***``."""
    for secret in sorted(_SECRETS, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def connection_problem(target: Target) -> str | None:
    """Why a connection to *target* fails (the server's or libpq's reason, on one line, redacted), or None.

    eventsourcing's pool only reports that no connection came in time; this asks once more, directly.
    """
    import psycopg

    try:
        psycopg.connect(
            host=target.host,
            port=target.port,
            dbname=target.dbname,
            user=target.user,
            password=target.password or None,
            connect_timeout=5,
        ).close()
    except psycopg.Error as exc:
        return redact(" ".join(str(exc).split()))
    return None


class LedgerPostgresRecorder(PagedReads, PostgresApplicationRecorder):
    """PostgreSQL application recorder that also keeps ``event_index``, ``event_chain`` and ``ledger_meta``."""

    PLACEHOLDER = "%s"
    INDEX = "{index}"
    SIGNATURES = "{signatures}"
    #: The writer's signing key (``domain.integrity.signatures``): set, every event written is signed.
    signer: Signer | None = None

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.lock_key = zlib.crc32(f"netledger:{datastore.schema}.{events_table_name}".encode())
        self.sql_create_statements.extend(self._q(s) for s in self._own_tables())

    # -- names ------------------------------------------------------------------------
    def _q(self, statement: str, **extra: Identifier) -> Composed:
        """*statement* with ``{events}``, ``{chain}``, ``{index}``, ``{meta}``, ``{schema}`` filled in."""
        schema = self.datastore.schema
        return SQL(statement).format(
            **extra,
            schema=Identifier(schema),
            events=Identifier(schema, self.events_table_name),
            chain=Identifier(schema, "event_chain"),
            index=Identifier(schema, "event_index"),
            signatures=Identifier(schema, "event_signatures"),
            meta=Identifier(schema, "ledger_meta"),
            refuse=Identifier(schema, "netledger_refuse_change"),
        )

    def _own_tables(self) -> list[str]:
        statements = [
            "CREATE TABLE IF NOT EXISTS {index} (event_id text PRIMARY KEY, position bigint NOT NULL UNIQUE, "
            "originator_id text NOT NULL, originator_version bigint NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {chain} (position bigint PRIMARY KEY, prev_position bigint UNIQUE, "
            "leaf_hash bytea NOT NULL, chain_hash bytea NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {meta} (key text PRIMARY KEY, value text NOT NULL)",
            "CREATE TABLE IF NOT EXISTS {signatures} (position bigint PRIMARY KEY, public_key bytea NOT NULL, "
            "signature bytea NOT NULL)",
            "CREATE OR REPLACE FUNCTION {refuse}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "RAISE EXCEPTION 'netledger: % is append-only (% refused)', TG_TABLE_NAME, TG_OP; END $$",
        ]
        own = (("index", "event_index"), ("chain", "event_chain"), ("signatures", "event_signatures"))
        for table, name in (("events", self.events_table_name), *own):
            statements += [
                f'DROP TRIGGER IF EXISTS "{name}_no_change" ON {{{table}}}',
                f'CREATE TRIGGER "{name}_no_change" BEFORE UPDATE OR DELETE ON {{{table}}} '
                "FOR EACH ROW EXECUTE FUNCTION {refuse}()",
                f'DROP TRIGGER IF EXISTS "{name}_no_truncate" ON {{{table}}}',
                f'CREATE TRIGGER "{name}_no_truncate" BEFORE TRUNCATE ON {{{table}}} '
                "FOR EACH STATEMENT EXECUTE FUNCTION {refuse}()",
            ]
        return statements

    def grant_statements(self, role: str) -> list[Composed]:
        """The least privileges a writing role needs: read and append, nothing else."""
        tables = "{events}, {chain}, {index}, {signatures}"
        return [
            self._q(statement, role=Identifier(role))
            for statement in (
                "GRANT USAGE ON SCHEMA {schema} TO {role}",
                f"GRANT SELECT, INSERT ON {tables} TO {{role}}",
                "GRANT SELECT ON {meta} TO {role}",
                f"REVOKE UPDATE, DELETE, TRUNCATE ON {tables}, {{meta}} FROM {{role}}",
            )
        ]

    def grant(self, role: str) -> None:
        """Give *role* the least privileges (``grant_statements``), in one transaction."""
        with self.datastore.transaction(commit=True) as c:
            for statement in self.grant_statements(role):
                c.execute(statement)

    def exists(self) -> bool:
        """Whether this database already holds a ledger (its meta table)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT to_regclass(%s) AS t", (f"{self.datastore.schema}.ledger_meta",))
            row = c.fetchone()
        return bool(row and row["t"])

    @contextmanager
    def begin(self, *, commit: bool) -> Iterator[Transaction]:
        """ONE transaction holding the writers' advisory lock, as an explicit handle for ``write`` and the reads.

        On leaving, the transaction commits (*commit*, and no exception) or rolls back.
        """
        with (
            self.datastore.get_connection() as conn,
            conn.transaction(force_rollback=not commit),
            conn.cursor() as cursor,
        ):
            self._lock(cursor)
            yield Transaction(conn, cursor, commit)

    def _lock(self, cursor: Any) -> None:
        """Take the writers' lock, waiting at most the lock budget (as SQLite does), then ``locked_out``.

        ``lock_timeout`` and ``statement_timeout`` hold for this transaction only: a writer never
        waits forever on another session's lock, and no statement of a write runs longer.
        """
        budget = int(lock_budget() * 1000)
        cursor.execute(SQL("SET LOCAL lock_timeout = {0}").format(budget))
        cursor.execute(SQL("SET LOCAL statement_timeout = {0}").format(budget))
        try:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (self.lock_key,))
        except (psycopg_errors.LockNotAvailable, psycopg_errors.QueryCanceled):
            raise locked_out() from None

    # -- the write path --------------------------------------------------------------------
    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """One command's events, in a transaction of their own, at the positions after the last one."""
        if not stored_events:
            return []
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._lock(curs)
            txn = Transaction(conn, curs, True)
            first = self.last_position(txn) + 1
            rows = [
                Row(first + i, stored_id(s.originator_id), s.originator_version, s.topic, s.state, event_id_of(s))
                for i, s in enumerate(stored_events)
            ]
            self.write(txn, rows)
            return [r.position for r in rows]

    def write(self, txn: Transaction, rows: Sequence[Row]) -> None:
        """Copy in events at their given positions, then their chain and index rows, inside *txn*.

        *txn* holds the advisory lock: the log and the chain must end at the same position,
        just before the first row.
        """
        if not rows:
            return
        curs: Cursor[DictRow] = txn.cursor
        last = self.last_position(txn)
        curs.execute(self._q("SELECT position, chain_hash FROM {chain} ORDER BY position DESC LIMIT 1"))
        head = curs.fetchone()
        if (head["position"] if head else 0) != last:
            raise ChainError(f"the hash chain ends at position {head['position'] if head else 0} but the log at {last}")
        curs.execute(self._q("SELECT MAX(position) AS last FROM {index}"))
        indexed = curs.fetchone()
        check_index_head(indexed["last"] if indexed else None, last)
        previous = (int(head["position"]), bytes(head["chain_hash"])) if head else None
        chain, index = chain_and_index(rows, previous)
        copy_events = "COPY {events} (originator_id, originator_version, topic, state, notification_id) FROM STDIN"
        with curs.copy(self._q(copy_events)) as copy:
            for r in rows:
                copy.write_row((r.originator_id, r.version, r.topic, r.state, r.position))
        with curs.copy(self._q("COPY {chain} FROM STDIN")) as copy:
            for chained in chain:
                copy.write_row(chained)
        with curs.copy(self._q("COPY {index} FROM STDIN")) as copy:
            for indexed in index:
                copy.write_row(indexed)
        if self.signer is not None:
            self.write_signatures(txn, self.signer.rows(chain))

    def create_missing_tables(self) -> None:
        """The tables and triggers a ledger of an earlier schema lacks (``migrate``; every statement is idempotent)."""
        with self.datastore.transaction(commit=True) as c:
            for statement in self._own_tables():
                c.execute(self._q(statement))

    def write_signatures(self, txn: Transaction, rows: Sequence[tuple[int, bytes, bytes]]) -> None:
        """Signature rows (of the events just written, or kept from an export by ``restore``), inside *txn*."""
        with txn.cursor.copy(self._q("COPY {signatures} FROM STDIN")) as copy:
            for row in rows:
                copy.write_row(row)

    def last_position(self, txn: Transaction) -> int:
        """The last position of the log, read in *txn*."""
        txn.cursor.execute(self._q("SELECT COALESCE(MAX(notification_id), 0) AS last FROM {events}"))
        return int(txn.cursor.fetchone()["last"])

    def select_stored(self, txn: Transaction, originator_id: UUID) -> list[StoredEvent]:
        """The stored events of one aggregate, in version order, read in *txn*."""
        txn.cursor.execute(
            self._q(
                "SELECT originator_version, topic, state FROM {events} WHERE originator_id=%s "
                "ORDER BY originator_version"
            ),
            (originator_id,),
        )
        return [
            StoredEvent(originator_id, r["originator_version"], r["topic"], _bytes(r["state"]))
            for r in txn.cursor.fetchall()
        ]

    # -- reads (the same interface as LedgerSQLiteRecorder) ------------------------------
    def _rows(
        self, statement: str, params: Sequence[Any] = (), txn: Transaction | None = None
    ) -> list[tuple[Any, ...]]:
        if txn is not None:
            txn.cursor.execute(self._q(statement), params)
            return [tuple(r.values()) for r in txn.cursor.fetchall()]
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._q(statement), params)
            return [tuple(r.values()) for r in c.fetchall()]

    def heads(self) -> tuple[int, int, int]:
        """The last event, chain and index positions, read together (one snapshot)."""
        row = self._rows(
            "SELECT (SELECT MAX(notification_id) FROM {events}) AS e, (SELECT MAX(position) FROM {chain}) AS c, "
            "(SELECT MAX(position) FROM {index}) AS i"
        )[0]
        return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)

    def select_chain(
        self, after: int | None = None, upto: int | None = None, page: int = 5000
    ) -> Iterator[tuple[Any, Any, Any, Any]]:
        """Chain rows ``(position, prev_position, leaf_hash, chain_hash)`` in order, as stored, paged."""
        for p, prev, leaf, chain in self._paged(
            "SELECT position, prev_position, leaf_hash, chain_hash FROM {chain}", "position", after, upto, page
        ):
            yield p, prev, _bytes(leaf), _bytes(chain)

    def select_raw_events(
        self, after: int | None = None, upto: int | None = None, page: int = 2000
    ) -> Iterator[tuple[Any, Any, Any, Any, Any]]:
        """Event rows ``(position, originator_id hex, version, topic, state)``, as stored."""
        for p, o, v, t, s in self._paged(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {events}",
            "notification_id",
            after,
            upto,
            page,
        ):
            yield p, stored_id(o), v, t, _bytes(s)

    def count_events(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM {events}")[0][0])

    def get_meta(self) -> dict[str, str]:
        return {k: v for k, v in self._rows("SELECT key, value FROM {meta}")}

    def replace_meta(self, values: dict[str, str]) -> None:
        """Overwrite meta values (only for an empty ledger taking an export's identity), and reseal."""
        with self.datastore.transaction(commit=True) as c:
            for k, v in values.items():
                c.execute(
                    self._q("INSERT INTO {meta} VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value=EXCLUDED.value"),
                    (k, v),
                )
            self.reseal(c)

    def set_meta_defaults(self, values: dict[str, str]) -> None:
        """Write meta values that are not set yet (never overwrites), and reseal (a new ledger's meta)."""
        with self.datastore.transaction(commit=True) as c:
            for k, v in values.items():
                c.execute(self._q("INSERT INTO {meta} VALUES (%s, %s) ON CONFLICT (key) DO NOTHING"), (k, v))
            self.reseal(c)

    def reseal(self, c: Any) -> None:
        """Write the seal of the meta rows as they are in this transaction (``domain.integrity.meta``)."""
        c.execute(self._q("SELECT key, value FROM {meta}"))
        meta = {row["key"]: row["value"] for row in c.fetchall()}
        c.execute(
            self._q("INSERT INTO {meta} VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value=EXCLUDED.value"),
            (SEAL, seal(meta)),
        )


def _bytes(value: Any) -> Any:
    return bytes(value) if isinstance(value, memoryview) else value
