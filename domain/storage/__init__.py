"""Storage: what every recorder of a ledger offers, and the rows it writes beside the events.

A ledger is stored by one of two recorders, both built on eventsourcing's
application recorders (table creation, ``select_events``, ``select_notifications``,
the connection pool), both writing the same three tables of their own in the
**same transaction** as the events:

- ``event_index``: ``event_id`` -> (position, aggregate id, version), so an
  event is found by its id without scanning; its primary key also stops two
  writers recording one ``event_id`` twice;
- ``event_chain``: the leaf and chain hash of every event
  (``domain.integrity.chain``), so no event ever exists without its hash;
- ``event_signatures``: a writer's Ed25519 signature of each leaf, for a ledger
  opened with a signing key (``domain.integrity.signatures``);
- ``ledger_meta``: the ledger's name, id and schema version, sealed
  (``domain.integrity.meta``).

``domain.storage.sqlite.LedgerSQLiteRecorder`` keeps them in one SQLite file,
``domain.storage.postgres.LedgerPostgresRecorder`` in a PostgreSQL database.
``LedgerRecorder`` is the protocol both follow.

Two ways in:

- one command's events go through eventsourcing's event store
  (``Application.events.put`` -> ``insert_events``), which opens and commits its
  own transaction, into which the recorder adds the chain and index rows;
- a bulk (an import, ``append``, the demo) opens ONE transaction with
  ``recorder.begin(commit=...)``, which holds the writers' lock and returns an
  explicit ``Transaction`` handle; every read and write of the bulk passes that
  handle (``write(txn, rows)``, ``located_among(ids, txn)``, ``find_event(id,
  txn)``, ``select_stored(txn, ...)``), and leaving the block commits or rolls back.

>>> is_url("postgresql://u@h/db"), is_url("ledger.db")
(True, False)
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent

from domain.errors import ConflictError, DamagedError, InputError
from domain.integrity.chain import ChainError, chain_rows

if TYPE_CHECKING:
    from domain.integrity.signatures import Signer

#: Version of the ledger's own table layout, stored in ``ledger_meta``.
#: 1: events and event_index. 2: adds the hash chain (``event_chain``) and
#: append-only triggers. 3: seals ``ledger_meta`` (``domain.integrity.meta``) and records
#: ``created_schema``, adds ``event_signatures`` (``domain.integrity.signatures``). ``netledger migrate``
#: brings a version 1 or 2 ledger up.
SCHEMA_VERSION = 3


def is_url(target: str | os.PathLike[str]) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL, which selects PostgreSQL storage."""
    return (
        isinstance(target, str)
        and target.split("://", 1)[0].lower() in ("postgresql", "postgres")
        and ("://" in target)
    )


class Row(NamedTuple):
    """One event as a bulk writes it: its position is given, not taken from the database."""

    position: int
    originator_id: str  # 32 lowercase hex digits, as stored
    version: int
    topic: str
    state: bytes
    event_id: str


@dataclass
class Transaction:
    """The handle of one open transaction: its connection and cursor, and whether leaving it commits.

    Made only by ``recorder.begin``; a recorder method given one runs inside it (and sees what
    was written in it), a method given none runs in a transaction of its own.
    """

    connection: Any
    cursor: Any
    commit: bool


def chain_and_index(rows: Sequence[Row], head: tuple[int, bytes] | None) -> tuple[list[Any], list[Any]]:
    """The ``event_chain`` and ``event_index`` rows of *rows*, continuing the chain from *head*.

    Refuses (``ChainError``) rows that do not start right after the chain's last position:
    writing them would fork the chain or hide damage.
    """
    last = head[0] if head else 0
    if rows and rows[0].position != last + 1:
        raise ChainError(f"the hash chain ends at position {last} but new events start at {rows[0].position}")
    chain = list(chain_rows(((r.position, r.originator_id, r.version, r.topic, r.state) for r in rows), head))
    index = [(r.event_id, r.position, r.originator_id, r.version) for r in rows]
    return chain, index


#: How long a writer waits for another writer's lock, in seconds, on either backend.
LOCK_BUDGET = 70.0
FULL_FIX = "free some space on its disk, then try again; nothing was written"


def lock_budget() -> float:
    """The lock budget: ``NETLEDGER_LOCK_TIMEOUT`` seconds if set, else ``LOCK_BUDGET``."""
    value = os.environ.get("NETLEDGER_LOCK_TIMEOUT")
    try:
        budget = float(value) if value else LOCK_BUDGET
    except ValueError:
        raise InputError("NETLEDGER_LOCK_TIMEOUT", f"{value!r} is not a number of seconds", "e.g. 70") from None
    return budget if budget > 0 else LOCK_BUDGET


def locked_out() -> ConflictError:
    """The one error of a writer that waited out the lock budget (SQLite and PostgreSQL alike)."""
    return ConflictError(
        "db",
        f"the ledger stayed locked by another writer for {lock_budget():g} s",
        "try again when the other writer is done",
        code="db.locked",
    )


def is_disk_full(message: str) -> bool:
    """Whether a storage error says the disk (or a file size limit) is full."""
    text = message.lower()
    return any(m in text for m in ("disk is full", "no space left", "disk full", "file too large", "quota"))


def check_index_head(index_last: int | None, chain_last: int) -> None:
    """Refuse (``ChainError``) to write where the index does not end with the chain: its next row would
    collide with a row someone else wrote, or leave the index claiming events that are not there."""
    if (index_last or 0) != chain_last:
        raise ChainError(f"the event index ends at position {index_last or 0} but the hash chain at {chain_last}")


def index_damaged(event_id: UUID, position: int, found: str) -> DamagedError:
    """The error of an ``event_index`` row that does not name the event at its position."""
    return DamagedError(
        "event_index",
        f"the index puts event {event_id} at position {position}, which holds {found}",
        "the index was altered: run 'netledger verify'; restore the ledger from a trusted export",
    )


def stored_id(originator_id: UUID | str) -> str:
    """An aggregate id as stored: 32 lowercase hex digits.

    >>> stored_id(UUID(int=1))
    '00000000000000000000000000000001'
    """
    return originator_id.hex if isinstance(originator_id, UUID) else originator_id


class LedgerRecorder(Protocol):
    """What ``Ledger``, the bulk, the verifier and the archive ask of a recorder (SQLite or PostgreSQL)."""

    signer: Signer | None

    def begin(self, *, commit: bool) -> AbstractContextManager[Transaction]: ...
    def write(self, txn: Transaction, rows: Sequence[Row]) -> None: ...
    def last_position(self, txn: Transaction) -> int: ...
    def select_stored(self, txn: Transaction, originator_id: UUID) -> list[StoredEvent]: ...
    def recorded_among(self, event_ids: Collection[UUID], txn: Transaction | None = None) -> set[UUID]: ...
    def located_among(self, event_ids: Collection[UUID], txn: Transaction | None = None) -> dict[UUID, UUID]: ...
    def find_event(self, event_id: UUID, txn: Transaction | None = None) -> tuple[int, UUID, int] | None: ...
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None: ...
    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]: ...
    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]: ...
    def max_notification_id(self) -> int | None: ...
    def heads(self) -> tuple[int, int, int]: ...
    def select_chain(
        self, after: int | None = None, upto: int | None = None, page: int = 5000
    ) -> Iterator[tuple[Any, Any, Any, Any]]: ...
    def select_raw_events(
        self, after: int | None = None, upto: int | None = None, page: int = 2000
    ) -> Iterator[tuple[Any, Any, Any, Any, Any]]: ...
    def select_index(
        self, after: int | None = None, upto: int | None = None, page: int = 5000
    ) -> Iterator[tuple[Any, Any, Any, Any]]: ...
    def select_signatures(
        self, after: int | None = None, upto: int | None = None, page: int = 5000
    ) -> Iterator[tuple[Any, Any, Any]]: ...
    def write_signatures(self, txn: Transaction, rows: Sequence[tuple[int, bytes, bytes]]) -> None: ...
    def create_missing_tables(self) -> None: ...
    def leaf_at(self, position: int) -> Any: ...
    def event_at(self, position: int) -> tuple[Any, Any, Any, Any] | None: ...
    def count_events(self) -> int: ...
    def exists(self) -> bool: ...
    def get_meta(self) -> dict[str, str]: ...
    def replace_meta(self, values: dict[str, str]) -> None: ...
    def set_meta_defaults(self, values: dict[str, str]) -> None: ...


class PagedReads:
    """The reads both recorders share: pages of rows in key order, and ids looked up by the batch.

    A recorder provides ``_rows(statement, params, txn)`` and its ``PLACEHOLDER``.
    """

    PLACEHOLDER = "?"
    #: How statements name ``event_index`` (PostgreSQL fills in its schema).
    INDEX = "event_index"
    SIGNATURES = "event_signatures"

    def _rows(
        self, statement: str, params: Sequence[Any] = (), txn: Transaction | None = None
    ) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def select_chain(
        self, after: int | None = None, upto: int | None = None, page: int = 5000
    ) -> Iterator[tuple[Any, Any, Any, Any]]:
        raise NotImplementedError

    def select_raw_events(
        self, after: int | None = None, upto: int | None = None, page: int = 2000
    ) -> Iterator[tuple[Any, Any, Any, Any, Any]]:
        raise NotImplementedError

    def select_index(
        self, after: int | None = None, upto: int | None = None, page: int = 5000
    ) -> Iterator[tuple[Any, Any, Any, Any]]:
        """Index rows ``(position, event_id, originator_id, version)`` in position order, as stored, paged."""
        yield from self._paged(
            f"SELECT position, event_id, originator_id, originator_version FROM {self.INDEX}",
            "position",
            after,
            upto,
            page,
        )

    def select_signatures(
        self, after: int | None = None, upto: int | None = None, page: int = 5000
    ) -> Iterator[tuple[Any, Any, Any]]:
        """Signature rows ``(position, raw public key, signature)`` in position order, paged."""
        yield from self._paged(
            f"SELECT position, public_key, signature FROM {self.SIGNATURES}", "position", after, upto, page
        )

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

    def recorded_among(self, event_ids: Collection[UUID], txn: Transaction | None = None) -> set[UUID]:
        """Which of *event_ids* are recorded."""
        return set(self.located_among(event_ids, txn))

    def located_among(
        self, event_ids: Collection[UUID], txn: Transaction | None = None, chunk: int = 500
    ) -> dict[UUID, UUID]:
        """The aggregate id of each of *event_ids* that is recorded, in one query per *chunk* ids.

        A bulk asks it once per batch, for the batch's own event ids and the events it retracts.
        """
        wanted = [(str(e), e) for e in {e.int: e for e in event_ids}.values()]  # a grant names its funder again
        found: dict[UUID, UUID] = {}
        for start in range(0, len(wanted), chunk):
            part = dict(wanted[start : start + chunk])
            marks = ",".join([self.PLACEHOLDER] * len(part))
            rows = self._rows(
                f"SELECT event_id, originator_id FROM {self.INDEX} WHERE event_id IN ({marks})", list(part), txn
            )
            found.update((part[r[0]], UUID(r[1])) for r in rows)
        return found

    def find_event(self, event_id: UUID, txn: Transaction | None = None) -> tuple[int, UUID, int] | None:
        """Position, aggregate id and version of the event with this id, if recorded."""
        mark = self.PLACEHOLDER
        rows = self._rows(
            f"SELECT position, originator_id, originator_version FROM {self.INDEX} WHERE event_id={mark}",
            (str(event_id),),
            txn,
        )
        return (int(rows[0][0]), UUID(rows[0][1]), int(rows[0][2])) if rows else None

    def leaf_at(self, position: int) -> Any:
        """The leaf hash stored for *position* (as stored), or None."""
        rows = list(self.select_chain(position - 1, position, 1))
        return rows[0][2] if rows else None

    def event_at(self, position: int) -> tuple[Any, Any, Any, Any] | None:
        """``(originator_id hex, version, topic, state)`` of the event at *position*, as stored."""
        rows = list(self.select_raw_events(position - 1, position, 1))
        return rows[0][1:] if rows else None


__all__ = [
    "FULL_FIX",
    "LOCK_BUDGET",
    "SCHEMA_VERSION",
    "LedgerRecorder",
    "PagedReads",
    "Row",
    "Transaction",
    "chain_and_index",
    "check_index_head",
    "index_damaged",
    "is_disk_full",
    "is_url",
    "lock_budget",
    "locked_out",
    "stored_id",
]
