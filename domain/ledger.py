"""The ledger: open it, run commands in a unit of work (one, or many in a bulk), read what was recorded.

``Ledger`` wraps an eventsourcing ``Application`` configured with the project's
mapper and recorder (SQLite file or PostgreSQL URL). A command (``domain.commands``)
runs in a ``Session``: it loads the aggregates it needs, checks its rules and
records its event; ``run`` saves every event of the session in **one**
transaction (eventsourcing's event store, ``app.events.put``). If another writer
got there first (a version conflict, a duplicate event id, "database is
locked"), the whole session is re-run on fresh state, with a bounded back-off;
nothing is ever half-written or silently dropped.

``bulk`` runs many sessions in ONE transaction instead (``domain.bulk``: an
import, ``append``, the demo).

>>> import tempfile, os
>>> ledger = Ledger(os.path.join(tempfile.mkdtemp(), "demo.db"), actor="kim", create=True)
>>> _ = ledger.register_organisation("postech", sector="university", name_en="POSTECH")
>>> _ = ledger.register_organisation("rist", sector="research_institute", name_en="RIST")
>>> out = ledger.form_partnership(["postech:member", "rist:member"], effective="2019-10")
>>> out.status, out.event.type_name, out.position
('recorded', 'partnership.formed', 3)
>>> ledger.close()
"""

from __future__ import annotations

import contextlib
import os
import random
import sqlite3
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Mapper, OperationalError, PersistenceError, StoredEvent

from domain.commands.methods import LedgerCommands
from domain.dates import utc_now
from domain.errors import ConflictError, DamagedError, InputError, RuleViolation, StorageError
from domain.integrity.chain import ChainError
from domain.mapper import PydanticMapper
from domain.storage import (
    FULL_FIX,
    SCHEMA_VERSION,
    LedgerRecorder,
    index_damaged,
    is_disk_full,
    is_url,
    lock_budget,
    locked_out,
    stored_id,
)

if TYPE_CHECKING:
    from domain.bulk import Bulk
    from domain.events import Aggregate, LedgerEvent, Meta
    from domain.organisation import Organisation
    from domain.session import Session

T = TypeVar("T")

#: How many times a session is re-run after a write conflict before giving up (a lock held by another
#: writer is waited for until ``domain.storage.lock_budget`` runs out instead).
MAX_ATTEMPTS = 12


def default_actor() -> str:
    """``NETLEDGER_ACTOR``, else the operating-system user."""
    actor = os.environ.get("NETLEDGER_ACTOR")
    if actor:
        return actor
    import getpass  # only when no actor is given

    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


class _App(Application[UUID]):
    """eventsourcing Application configured with the project's mapper and recorder."""

    name = "netledger"

    def construct_mapper(self) -> Mapper[UUID]:
        return PydanticMapper()

    def __del__(self) -> None:
        """Close an application nobody closed, wherever the garbage collector finds it.

        The collector may run this on a worker thread of the application's own PostgreSQL
        pool, where closing the pool would join the running thread (``RuntimeError``): the
        pool's threads are daemons and its connections close with the process, so that
        one case is left alone instead of printing an ignored exception.
        """
        with contextlib.suppress(AttributeError, RuntimeError):
            self.close()


class Ledger(LedgerCommands):
    """The ledger: opened on a SQLite file or a PostgreSQL URL; ``run``, ``bulk``, and the reads.

    Open an existing ledger with ``Ledger(path)``; ``create=True`` makes a new one, and
    ``close()`` it (or use it as a context manager). The named commands (``register_organisation``,
    ``form_partnership``, ...) come from ``LedgerCommands``: each builds its event's draft and
    ``run``s its handler.
    """

    #: How many ledgers are open in this process (the CLI exits fast only when none is).
    open_count: ClassVar[int] = 0

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        actor: str | None = None,
        create: bool = False,
        name: str | None = None,
        ledger_id: str | None = None,
        missing: str = "",
        sign_key: str | os.PathLike[str] | None = None,
        require_signatures: bool = False,
    ) -> None:
        self.actor = actor or default_actor()
        #: Whether a new ledger requires every event signed (``init --require-signatures``).
        self._require_signatures = require_signatures
        #: The fix of the error for a ledger that does not exist (the caller's words: its flags).
        self._missing = missing
        #: What the ledger was opened on, as given (a PostgreSQL URL may hold a password: never print
        #: it; print ``location``).
        self.target = str(path)
        #: The open bulk (``bulk()``): every read and write goes through its one transaction.
        self._bulk: Bulk | None = None
        self.closed = True
        try:
            self._open(path, create, name, ledger_id)
        except BaseException:
            if hasattr(self, "app"):  # refused after connecting: leave no connection (nor SQLite's -wal file) behind
                self.app.close()
            raise
        if sign_key is not None:
            from domain.integrity.signatures import load_signer

            signer = load_signer(sign_key)
            self.recorder.signer = signer  # every event this ledger writes is signed
        self.closed = False
        Ledger.open_count += 1

    def _open(self, path: str | os.PathLike[str], create: bool, name: str | None, ledger_id: str | None) -> None:
        """Connect, create the ledger if asked and needed, read its meta, check its schema version."""
        if name is not None:
            from domain.values import control_free

            control_free(name, "name")  # shown in every report and page: no control characters
        if is_url(path):
            self.path: Path | None = None
            self.location = self._open_postgres(str(path), create)
            is_new = not self.recorder.exists()
            if is_new and not create:
                fix = self._missing or "create one with 'netledger init --database-url URL'"
                raise StorageError("database-url", f"no ledger in {self.location}", fix)
            if is_new:
                self._create_postgres_tables()
            default_name = self.location.rsplit("/", 1)[1].split("?")[0]
        else:
            self.path = Path(path)
            self.location = str(self.path)
            is_new = not self.path.exists() or self.path.stat().st_size == 0
            if is_new and not create:
                fix = self._missing or "create one with 'netledger init', or pass --db PATH"
                raise StorageError("db", f"no ledger at {self.path}", fix)
            if is_new and not self.path.parent.exists():
                raise StorageError("db", f"folder {self.path.parent} does not exist", "create it first")
            self._open_sqlite(is_new)
            if not is_new and self._creation_cut_short():  # finish what a killed process started
                self.app.close()
                if not create:
                    problem = f"no ledger at {self.path} (its creation was interrupted)"
                    raise StorageError("db", problem, "create it with 'netledger init'")
                is_new = True
                self._open_sqlite(is_new)
            default_name = self.path.stem
        #: Whether this call created the ledger.
        self.created = is_new
        try:
            if is_new:
                self.recorder.set_meta_defaults(
                    {
                        "name": name or default_name,
                        "ledger_id": ledger_id or str(uuid4()),
                        "schema_version": str(SCHEMA_VERSION),
                        "created_schema": str(SCHEMA_VERSION),
                        "created_at": utc_now().isoformat(),
                        **({"require_signatures": "yes"} if self._require_signatures else {}),
                    }
                )
            self.meta = self.recorder.get_meta()
        except (PersistenceError, sqlite3.Error) as exc:
            self.app.close()
            raise self._unreadable(exc) from None
        version = int(self.meta.get("schema_version", "0"))
        if version > SCHEMA_VERSION:
            raise StorageError(
                "db",
                f"{self.location} has schema version {version}, newer than this netledger ({SCHEMA_VERSION})",
                "upgrade netledger",
            )
        if version < 1:
            raise StorageError("db", f"{self.location} is not a netledger ledger", "run 'netledger init' on a new file")
        #: A ledger from before the hash chain can be read but not written until migrated.
        self.needs_migration = version < SCHEMA_VERSION

    def _open_sqlite(self, is_new: bool) -> None:
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(self.path),
            "APPLICATION_RECORDER_TOPIC": "domain.storage.sqlite:LedgerSQLiteRecorder",
            "CREATE_TABLE": "y" if is_new else "n",
            # Each wait for the write lock; the retries stop when ``lock_budget`` runs out.
            "SQLITE_LOCK_TIMEOUT": str(max(1, int(min(5.0, lock_budget())))),
        }
        try:
            self.app = _App(env=env)
        except (PersistenceError, sqlite3.Error) as exc:
            raise self._unreadable(exc) from None
        self.recorder: LedgerRecorder = self.app.recorder  # type: ignore[assignment]

    def _creation_cut_short(self) -> bool:
        from domain.storage.sqlite import LedgerSQLiteRecorder

        assert isinstance(self.recorder, LedgerSQLiteRecorder)
        try:
            return self.recorder.creation_cut_short()
        except (PersistenceError, sqlite3.Error):  # not a database: reading the meta says so
            return False

    def _unreadable(self, exc: Exception) -> StorageError:
        """The error for a ledger that cannot be opened: damaged, not a database, or read-only."""
        message = " ".join(str(exc).split())
        if self.path is None:
            from domain.storage.postgres import redact

            return StorageError("database-url", f"cannot read the ledger in {self.location}: {redact(message)}", "")
        if is_disk_full(message) or "disk i/o error" in message.lower():
            import shutil

            free = shutil.disk_usage(self.path.parent).free
            return StorageError(
                "db",
                f"cannot open {self.location}: the storage failed writing ({message}); its disk may be full "
                f"({free:,} bytes free) or a file size limit reached",
                "free some space, or check the disk; nothing was written",
            )
        if "readonly" in message or "unable to open" in message:
            return StorageError(
                "db",
                f"cannot open {self.location}: {message}",
                "netledger needs write access to the ledger file and its folder, even to read",
            )
        return StorageError(
            "db",
            f"{self.location} is not a readable netledger ledger ({message})",
            "check the path; restore the ledger from a backup if the file was damaged",
        )

    def _open_postgres(self, url: str, create: bool) -> str:
        from domain.storage.postgres import connection_problem, parse_url, redact

        target = parse_url(url)
        try:
            self.app = _App(env=target.env())
            self.recorder = self.app.recorder  # type: ignore[assignment]
            self.recorder.exists()  # connect now, so a bad URL or password fails here
        except PersistenceError as exc:
            if hasattr(self, "app"):
                self.app.close()
            # The pool only says it got no connection in time: ask the server once more for why.
            message = connection_problem(target) or redact(" ".join(str(exc).split()))
            raise StorageError("database-url", f"cannot open {target.display}: {message}", "") from None
        return target.display

    def _create_postgres_tables(self) -> None:
        """Create the tables and triggers once (``netledger init``); writers then run without DDL."""
        from domain.storage.postgres import LedgerPostgresRecorder

        assert isinstance(self.recorder, LedgerPostgresRecorder)
        try:
            self.recorder.create_table()
        except PersistenceError as exc:
            raise StorageError(
                "database-url", f"cannot create the ledger tables in {self.location}: {exc}", "connect as the owner"
            ) from None

    def grant_writer(self, role: str) -> None:
        """PostgreSQL: give *role* SELECT and INSERT on the ledger's tables, and nothing more."""
        from domain.storage.postgres import LedgerPostgresRecorder

        if not isinstance(self.recorder, LedgerPostgresRecorder):
            raise InputError("grant-writer", "roles exist only on PostgreSQL", "")
        try:
            self.recorder.grant(role)
        except PersistenceError as exc:
            message = f"cannot grant to role {role!r}: {exc}"
            raise StorageError("grant-writer", message, "create the role first") from None

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return "sqlite" if self.path is not None else "postgresql"

    def require_writable(self) -> None:
        """A write needs the current schema and, on a ledger that requires signatures, a signing key."""
        self.require_current_schema()
        if self.meta.get("require_signatures") == "yes" and self.recorder.signer is None:
            raise RuleViolation(
                "sign-key",
                f"{self.location} requires every event signed",
                "give --sign-key KEY (or set NETLEDGER_SIGN_KEY) with your key from 'netledger keygen'",
            )

    def require_current_schema(self) -> None:
        if self.needs_migration:
            from domain.integrity.meta import set_back

            version = self.meta.get("schema_version")
            altered = set_back(self.meta)
            if altered is not None:
                raise RuleViolation(
                    "db",
                    f"{self.location} says schema {version} but {altered}",
                    "its meta rows were altered: restore the ledger from a trusted export",
                )
            what = "predates the hash chain" if version == "1" else "predates the sealed meta rows"
            raise RuleViolation(
                "db",
                f"{self.location} {what} (schema {version})",
                "run 'netledger migrate' once, then try again",
            )

    @property
    def name(self) -> str:
        return self.meta["name"]

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            Ledger.open_count -= 1
        self.app.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the write path ----------------------------------------------------------
    @contextmanager
    def bulk(self, *, commit: bool = True) -> Iterator[Bulk]:
        """Run many sessions in ONE transaction: all of them are saved, or none.

        The recorder opens the transaction (``recorder.begin``: ``BEGIN IMMEDIATE`` on SQLite,
        the advisory lock on PostgreSQL) and the bulk passes its handle to every read and write.
        Each ``run`` inside writes its session's events into it; nothing is visible to others,
        or kept, until the block ends without an exception (and *commit* is true: a dry run
        passes ``commit=False``). Writers are locked out meanwhile.
        """
        from domain.bulk import Bulk

        self.require_writable()
        deadline = time.monotonic() + lock_budget()
        attempt = 0
        while True:
            attempt += 1
            with ExitStack() as stack:
                try:
                    txn = stack.enter_context(self.recorder.begin(commit=commit))
                except OperationalError:
                    if time.monotonic() >= deadline:
                        raise locked_out() from None
                    time.sleep(min(2.0, 0.01 * 2**attempt) * random.uniform(0.5, 1.0))
                    continue
                self._bulk = Bulk(self, txn)
                try:
                    yield self._bulk
                finally:
                    self._bulk = None
                try:
                    stack.close()  # commit (or roll back a dry run) here, to say why it failed
                except PersistenceError as exc:
                    raise self.write_failed(exc) from None
            return

    def run(self, work: Callable[[Session], T], *, event_ids: Collection[UUID] = ()) -> T:
        """Run *work* in a session and save what it did in one transaction, retrying conflicts.

        *event_ids*: ids the work will look up; in a bulk they are checked in one query
        up front, so each unrecorded one costs no query of its own.
        """
        self.require_writable()
        if self._bulk is not None:
            return self._bulk.run(work, event_ids)
        from domain.session import Session, with_positions

        reason = ""
        deadline = time.monotonic() + lock_budget()
        attempt = 0
        while True:
            attempt += 1
            session = Session(self._source)
            result = work(session)
            events = list(session.new_events.values())  # in the order the commands ran
            if not events:
                return result
            try:
                recordings = self.app.events.put(events)
            except IntegrityError as exc:
                reason = f"another writer changed the same records ({exc})"
                if attempt >= MAX_ATTEMPTS:
                    raise ConflictError("", f"gave up after {MAX_ATTEMPTS} attempts: {reason}", "try again") from None
            except ChainError as exc:
                raise exc.refusal() from None
            except OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise self.write_failed(exc) from None
                if time.monotonic() >= deadline:
                    raise locked_out() from None
            else:
                positions = {r.domain_event.event_id: r.notification.id for r in recordings}  # type: ignore[attr-defined]
                return with_positions(result, positions)
            time.sleep(min(2.0, 0.01 * 2**attempt) * random.uniform(0.5, 1.0))

    def write_failed(self, exc: Exception) -> StorageError:
        """The error of a write the storage refused: a full disk says so, naming the file."""
        message = " ".join(str(exc).split())
        if is_disk_full(message):
            return StorageError("db", f"cannot write to {self.location}: the disk is full ({message})", FULL_FIX)
        return StorageError("db", f"cannot write to {self.location}: {message}", "")

    def meta_for(
        self,
        event_id: UUID | str | None = None,
        effective: Any = None,
        source: str | None = None,
        note: str | None = None,
        recorded_at: datetime | None = None,
    ) -> Meta:
        """Build and validate the envelope of a new event."""
        from pydantic import ValidationError

        from domain.events import Meta, input_error

        try:
            return Meta(
                event_id=event_id if event_id is not None else uuid4(),
                effective=effective,
                recorded_at=recorded_at or utc_now(),
                recorded_by=self.actor,
                source=source,
                note=note,
            )
        except ValidationError as exc:
            raise input_error(exc) from None

    # -- reads ------------------------------------------------------------------------
    def get(self, aggregate_id: UUID, version: int | None = None) -> Aggregate | None:
        """The aggregate with this id (optionally as it was at *version*), or None."""
        from domain.events import project

        try:
            return self.app.repository.get(aggregate_id, version=version, projector_func=project)
        except AggregateNotFoundError:
            return None

    def organisation(self, key: str) -> Organisation | None:
        from domain.organisation import Organisation, organisation_id

        org = self.get(organisation_id(key))
        return org if isinstance(org, Organisation) else None

    def find(self, event_id: UUID | str) -> tuple[int, LedgerEvent] | None:
        """Position and event of the event with this id, or None.

        The index row is checked against the event at the position it names (the same
        aggregate, version and event id): a row the ledger did not write is a ``DamagedError``.
        """
        from domain.session import as_uuid

        event_id = as_uuid(event_id, "event_id")
        if self._bulk is not None:
            return self._bulk.find(event_id)
        found = self.recorder.find_event(event_id)
        if found is None:
            return None
        position, originator_id, version = found
        content = self.recorder.event_at(position)
        if content is None or stored_id(content[0]) != originator_id.hex or content[1] != version:
            raise index_damaged(event_id, position, "no such event" if content is None else "another event")
        _, _, topic, state = content
        event = self.mapper.decode(StoredEvent(originator_id, version, topic, state))
        if event.event_id != event_id:
            raise index_damaged(event_id, position, f"event {event.event_id}")
        return position, event

    def events(
        self,
        after: int = 0,
        upto: int | None = None,
        page: int = 1000,
        *,
        on_damage: Callable[[int, DamagedError], None] | None = None,
    ) -> Iterator[tuple[int, LedgerEvent]]:
        """Every event in recorded order as ``(position, event)``, paging through the log.

        An event that cannot be read is a ``DamagedError`` naming its position; with
        *on_damage*, it is handed that error and skipped instead (``log --skip-damaged``).
        """
        start = after
        while True:
            notifications = self.recorder.select_notifications(start, page, stop=upto, inclusive_of_start=False)
            for n in notifications:
                try:
                    event = self.mapper.decode(n)
                except DamagedError as exc:
                    damaged = DamagedError(f"position {n.id}", exc.problem, exc.fix)
                    if on_damage is None:
                        raise damaged from None
                    on_damage(n.id, damaged)
                    continue
                yield n.id, event
            if len(notifications) < page:
                return
            start = notifications[-1].id

    def count(self) -> int:
        return self.recorder.count_events()

    def head(self) -> int:
        return self.recorder.max_notification_id() or 0

    @property
    def mapper(self) -> PydanticMapper:
        """The project's mapper (what the application was built with)."""
        mapper = self.app.mapper
        assert isinstance(mapper, PydanticMapper)
        return mapper

    @property
    def _source(self) -> _Repository:
        return _Repository(self)


class _Repository:
    """Where one command's session loads aggregates: rebuilt from their stored events."""

    lean = False

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def load(self, aggregate_id: UUID) -> Aggregate | None:
        return self.ledger.get(aggregate_id)

    def find(self, event_id: UUID) -> tuple[int, LedgerEvent] | None:
        return self.ledger.find(event_id)

    def locate(self, event_id: UUID) -> UUID | None:
        found = self.ledger.recorder.find_event(event_id)
        return found[1] if found else None

    def with_history(self, aggregate: Aggregate) -> Aggregate:
        return aggregate


__all__ = ["Ledger", "default_actor"]
