"""The eventsourcing Application: one method per command, all-or-nothing saves.

Every command runs inside a ``Session`` (a unit of work): it loads the
aggregates it needs, validates, triggers events, and the session saves every
pending event in **one** transaction (eventsourcing's ``Application.save``).
If another writer got there first (a version conflict, a duplicate event id,
"database is locked"), the whole session is re-run on fresh state, with a
bounded back-off; nothing is ever half-written or silently dropped.

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

import getpass
import os
import random
import sqlite3
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Any, Literal, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Mapper, OperationalError, PersistenceError
from pydantic import TypeAdapter, ValidationError

from domain.agreement import Agreement
from domain.errors import ConflictError, InputError, LedgerError, RuleViolation, StorageError
from domain.events import Aggregate, LedgerEvent, Meta, input_error, project, utc_now
from domain.integrity.chain import ChainError
from domain.mapper import PydanticMapper
from domain.organisation import Organisation, organisation_id
from domain.partnership import Partnership
from domain.storage import SCHEMA_VERSION, LedgerRecorder, LedgerSQLiteRecorder, is_url
from domain.support import Support
from domain.values import OrgKey, PartialDate, Party

TAggregate = TypeVar("TAggregate", bound=Aggregate)
T = TypeVar("T")

#: How many times a session is re-run after a write conflict before giving up.
MAX_ATTEMPTS = 12
#: How many aggregates the sessions of one bulk keep between them before dropping the half used least lately.
BULK_CACHE = 30_000
#: How many events found recorded a bulk keeps (few are met again and again: a funder's registration).
BULK_FOUND = 2_000


@dataclass(frozen=True)
class Outcome:
    """What a command did: ``recorded`` a new event, or found it ``already recorded``."""

    status: Literal["recorded", "already recorded"]
    event: LedgerEvent
    position: int | None = None

    @property
    def aggregate_id(self) -> UUID:
        return self.event.originator_id


def default_actor() -> str:
    """``NETLEDGER_ACTOR``, else the operating-system user."""
    actor = os.environ.get("NETLEDGER_ACTOR")
    if actor:
        return actor
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return "unknown"


def party_list(parties: Iterable[Party | str | dict[str, Any]], field: str) -> list[Party]:
    """Accept ``Party`` objects, ``KEY[:ROLE]`` strings or ``{"key":..,"role":..}`` dicts."""
    result = []
    for i, p in enumerate(parties):
        try:
            if isinstance(p, Party):
                result.append(p)
            elif isinstance(p, str):
                result.append(Party.parse(p))
            else:
                result.append(Party.model_validate(p))
        except ValidationError as exc:
            raise input_error(exc).at(f"{field}[{i}]") from None
    return result


class _App(Application[UUID]):
    """eventsourcing Application configured with the project's mapper and recorder."""

    name = "netledger"

    def construct_mapper(self) -> Mapper[UUID]:
        return PydanticMapper()


class Session:
    """A unit of work: aggregates loaded or created, and the events they will save."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        # In a bulk (one transaction, the writers' lock held) the sessions share one cache:
        # what an earlier batch saved is still exactly what the database holds.
        shared = ledger._bulk_aggregates
        self.aggregates: dict[UUID, Aggregate | None] = shared if shared is not None else {}
        self.new_events: dict[UUID, LedgerEvent] = {}

    # -- loading -------------------------------------------------------------------
    def load(self, aggregate_id: UUID) -> Aggregate | None:
        aggregates = self.aggregates
        if aggregate_id in aggregates:
            aggregate = aggregates[aggregate_id] = aggregates.pop(aggregate_id)  # now the last used
        else:
            aggregate = aggregates[aggregate_id] = self.ledger.get(aggregate_id)
        if aggregate is not None and not aggregate.history:  # made by ``fresh`` for a command that failed
            return None
        return aggregate

    def get(self, cls: type[TAggregate], aggregate_id: UUID | str, field: str = "id") -> TAggregate:
        """The existing aggregate of type *cls*, or a ``RuleViolation`` naming *field*."""
        agg_id = _uuid(aggregate_id, field)
        aggregate = self.load(agg_id)
        if aggregate is None:
            raise RuleViolation(
                field, f"no {cls.kind} with id {agg_id}", f"check the id with 'netledger log --type {cls.kind}'"
            )
        if not isinstance(aggregate, cls):
            raise RuleViolation(field, f"{agg_id} is {_a(aggregate.kind)}, not {_a(cls.kind)}", "")
        return aggregate

    def fresh(self, cls: type[TAggregate], aggregate_id: UUID, *, unrecorded: bool = False) -> TAggregate:
        """A new aggregate of *cls*, or the existing one (e.g. a retracted registration).

        *unrecorded*: the caller knows no event with this id was recorded, and the
        aggregate's id is its first event's id, so there is nothing to look up.
        """
        if unrecorded and aggregate_id not in self.aggregates:
            self.aggregates[aggregate_id] = None
        existing = self.load(aggregate_id)
        if existing is None:
            aggregate = cls(aggregate_id)
            self.aggregates[aggregate_id] = aggregate
            return aggregate
        if not isinstance(existing, cls):
            raise RuleViolation("event_id", f"{aggregate_id} already names {_a(existing.kind)}", "give a new event_id")
        return existing

    def organisation(self, key: str, field: str, *, on: PartialDate | None = None) -> Organisation:
        """The registered organisation *key*, able to take part in a relation starting *on*.

        A dissolved organisation joins no relation that starts on or after its
        dissolution (or at all, when either date is unknown); a relation that
        certainly started before the dissolution can still be recorded.
        """
        org = self.load(organisation_id(key))
        if not isinstance(org, Organisation) or not org.exists:
            raise RuleViolation(
                field, f"unknown organisation {key!r}", f"register it first: netledger org register {key} ..."
            )
        dissolved = org.dissolved
        if org.is_dissolved and not (on is not None and dissolved and on.certainly_before(dissolved)):
            raise RuleViolation(
                field,
                f"organisation {key!r} is dissolved" + (f" (since {dissolved})" if dissolved else ""),
                "a dissolved organisation joins no relation starting after its dissolution",
            )
        return org

    def require_parties(self, parties: Sequence[Party], field: str, on: PartialDate | None) -> None:
        for i, party in enumerate(parties):
            self.organisation(party.key, f"{field}[{i}]", on=on)

    # -- idempotency ------------------------------------------------------------------
    def find_event(self, event_id: UUID) -> LedgerEvent | None:
        found = self._find(event_id)
        return found[1] if found else None

    def _find(self, event_id: UUID) -> tuple[int | None, LedgerEvent] | None:
        """Position (None if not saved yet) and event with this id: this session's, or the ledger's."""
        if event_id in self.new_events:
            return None, self.new_events[event_id]
        return self.ledger.find(event_id)

    def replayed(self, meta: Meta, cls: type[LedgerEvent], originator_id: UUID | None, **fields: Any) -> Outcome | None:
        """``already recorded`` when *meta.event_id* is in the ledger with this content.

        The same id with other content is refused: an event id names one fact.
        """
        found = self._find(meta.event_id)
        if found is None:
            return None
        position, existing = found
        same = False
        if type(existing) is cls and originator_id == existing.originator_id:
            try:
                candidate = cls.model_validate(
                    {
                        "originator_id": originator_id,
                        "originator_version": existing.originator_version,
                        **meta.model_dump(exclude_none=True),
                        **{k: v for k, v in fields.items() if v is not None},
                    }
                )
            except ValidationError as exc:
                raise input_error(exc) from None
            same = candidate.content() == existing.content()
        if not same:
            raise RuleViolation(
                "event_id",
                f"{meta.event_id} is already recorded with different content ({existing.type_name})",
                "give a new event_id, or retract the old event and record a correction",
            )
        return Outcome("already recorded", existing, position)

    def record(self, event: LedgerEvent) -> Outcome:
        self.new_events[event.event_id] = event
        return Outcome("recorded", event)


class Ledger:
    """The ledger: commands that record events, and reads of what was recorded.

    Storage is one SQLite file (eventsourcing's recorder, WAL mode). Open an
    existing ledger with ``Ledger(path)``; ``create=True`` makes a new one.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        actor: str | None = None,
        create: bool = False,
        name: str | None = None,
        ledger_id: str | None = None,
    ) -> None:
        self.actor = actor or default_actor()
        #: What the ledger was opened on, as given (a PostgreSQL URL may hold a password: never print
        #: it; print ``location``).
        self.target = str(path)
        #: Bulk mode (``bulk()``): every read and write goes through one open transaction.
        self._bulk = False
        #: The aggregates the sessions of a bulk share (bounded by ``BULK_CACHE``).
        self._bulk_aggregates: dict[UUID, Aggregate | None] | None = None
        #: In a bulk session: event ids known to be unrecorded (checked in one query up front).
        self._unrecorded: set[UUID] = set()
        #: In a bulk: events found recorded (append-only, so they stay as found until the bulk ends).
        self._bulk_found: dict[UUID, tuple[int, LedgerEvent]] = {}
        if is_url(path):
            self.path: Path | None = None
            self.location = self._open_postgres(str(path), create)
            is_new = not self.recorder.exists()
            if is_new and not create:
                fix = "create one with 'netledger init --database-url URL'"
                raise StorageError("database-url", f"no ledger in {self.location}", fix)
            if is_new:
                self._create_postgres_tables()
            default_name = self.location.rsplit("/", 1)[1].split("?")[0]
        else:
            self.path = Path(path)
            self.location = str(self.path)
            is_new = not self.path.exists() or self.path.stat().st_size == 0
            if is_new and not create:
                raise StorageError(
                    "db", f"no ledger at {self.path}", "create one with 'netledger init', or pass --db PATH"
                )
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
                        "created_at": utc_now().isoformat(),
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
            "APPLICATION_RECORDER_TOPIC": "domain.storage:LedgerSQLiteRecorder",
            "CREATE_TABLE": "y" if is_new else "n",
        }
        try:
            self.app = _App(env=env)
        except (PersistenceError, sqlite3.Error) as exc:
            raise self._unreadable(exc) from None
        self.recorder: LedgerRecorder = self.app.recorder  # type: ignore[assignment]

    def _creation_cut_short(self) -> bool:
        assert isinstance(self.recorder, LedgerSQLiteRecorder)
        try:
            return self.recorder.creation_cut_short()
        except (PersistenceError, sqlite3.Error):  # not a database: reading the meta says so
            return False

    def _unreadable(self, exc: Exception) -> StorageError:
        """The error for a ledger that cannot be opened: damaged, not a database, or read-only."""
        message = " ".join(str(exc).split())
        if self.path is None:
            from domain.postgres import redact

            return StorageError("database-url", f"cannot read the ledger in {self.location}: {redact(message)}", "")
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
        from domain.postgres import connection_problem, parse_url, redact

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
        from domain.postgres import LedgerPostgresRecorder

        assert isinstance(self.recorder, LedgerPostgresRecorder)
        try:
            self.recorder.create_table()
        except PersistenceError as exc:
            raise StorageError(
                "database-url", f"cannot create the ledger tables in {self.location}: {exc}", "connect as the owner"
            ) from None

    def grant_writer(self, role: str) -> None:
        """PostgreSQL: give *role* SELECT and INSERT on the ledger's tables, and nothing more."""
        from domain.postgres import LedgerPostgresRecorder

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

    def require_current_schema(self) -> None:
        if self.needs_migration:
            raise RuleViolation(
                "db",
                f"{self.location} predates the hash chain (schema {self.meta.get('schema_version')})",
                "run 'netledger migrate' once, then try again",
            )

    @property
    def name(self) -> str:
        return self.meta["name"]

    def close(self) -> None:
        self.app.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the write path ----------------------------------------------------------
    @contextmanager
    def bulk(self, *, commit: bool = True) -> Iterator[None]:
        """Run many sessions in ONE transaction: all of them are saved, or none.

        Each ``run`` inside saves its session's events into the open transaction and
        later sessions read them back; nothing is visible to others, or kept,
        until the block ends without an exception (and *commit* is true: a dry run
        passes ``commit=False``). Writers are locked out meanwhile.
        """
        self.require_current_schema()
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                pinned = self.recorder.pinned(commit=commit)
                pinned.__enter__()
            except OperationalError as exc:
                reason = str(exc)
                time.sleep(min(2.0, 0.01 * 2**attempt) * random.uniform(0.5, 1.0))
                continue
            self._bulk = True
            try:
                yield
            except BaseException as exc:
                self._leave_bulk()
                try:
                    pinned.__exit__(type(exc), exc, exc.__traceback__)
                except BaseException as rollback_error:
                    if rollback_error is not exc:
                        raise rollback_error from None
                raise
            else:
                self._leave_bulk()
                try:
                    pinned.__exit__(None, None, None)
                except PersistenceError as exc:
                    raise StorageError("db", f"cannot write to {self.location}: {exc}", "try again") from None
            return
        raise ConflictError("db", f"the ledger stayed locked by another writer ({reason})", "try again")

    def _leave_bulk(self) -> None:
        """Forget what the bulk cached: once it ends, others may write again."""
        self._bulk, self._bulk_aggregates, self._bulk_found = False, None, {}

    def run(self, work: Callable[[Session], T], *, event_ids: Collection[UUID] = ()) -> T:
        """Run *work* in a session and save what it did in one transaction, retrying conflicts.

        *event_ids*: ids the work will look up; in a bulk they are checked in one query
        up front, so each unrecorded one costs no query of its own.
        """
        self.require_current_schema()
        if self._bulk:
            return self._run_in_bulk(work, event_ids)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            session = Session(self)
            result = work(session)
            events = list(session.new_events.values())  # in the order the commands ran
            if not events:
                return result
            try:
                recordings = self.app.events.put(events)
            except IntegrityError as exc:
                reason = f"another writer changed the same records ({exc})"
            except ChainError as exc:
                raise RuleViolation("db", f"refusing to write: {exc}", "run 'netledger verify' to see why") from None
            except OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise StorageError("db", f"cannot write to {self.location}: {exc}", "") from None
                reason = "the database stayed locked by another writer"
            else:
                positions = {r.domain_event.event_id: r.notification.id for r in recordings}  # type: ignore[attr-defined]
                return _with_positions(result, positions)
            time.sleep(min(2.0, 0.01 * 2**attempt) * random.uniform(0.5, 1.0))
        raise ConflictError("", f"gave up after {MAX_ATTEMPTS} attempts: {reason}", "try again")

    def _run_in_bulk(self, work: Callable[[Session], T], event_ids: Collection[UUID] = ()) -> T:
        """One session saved into the open bulk transaction: no retry, the writers' lock is held."""
        if self._bulk_aggregates is None:
            self._bulk_aggregates = {}
        elif len(self._bulk_aggregates) > BULK_CACHE:  # keep the half used last (``load`` keeps that order)
            cached = self._bulk_aggregates
            for stale in list(islice(cached, len(cached) - BULK_CACHE // 2)):
                del cached[stale]
        session = Session(self)
        # Only this transaction writes while the lock is held, and what this session records is
        # found in its own ``new_events`` first: an id absent now stays absent to its look-ups.
        self._unrecorded = set(event_ids) - self.recorder.recorded_among(event_ids) if event_ids else set()
        try:
            result = work(session)
        except BaseException:
            self._bulk_aggregates = None  # the work may have changed cached aggregates, then failed
            raise
        finally:
            self._unrecorded = set()
        events = list(session.new_events.values())
        if not events:
            return result
        try:
            recordings = self.app.events.put(events)
        except ChainError as exc:
            raise RuleViolation("db", f"refusing to write: {exc}", "run 'netledger verify' to see why") from None
        except PersistenceError as exc:
            raise StorageError("db", f"cannot write to {self.location}: {exc}", "") from None
        positions = {r.domain_event.event_id: r.notification.id for r in recordings}  # type: ignore[attr-defined]
        return _with_positions(result, positions)

    def meta_for(
        self,
        event_id: UUID | str | None = None,
        effective: Any = None,
        source: str | None = None,
        note: str | None = None,
        recorded_at: datetime | None = None,
    ) -> Meta:
        """Build and validate the envelope of a new event."""
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

    # -- commands: organisations -------------------------------------------------
    def register_organisation(
        self,
        key: str,
        *,
        sector: str,
        name_ko: str | None = None,
        name_en: str | None = None,
        subtype: str | None = None,
        identifiers: Sequence[str] = (),
        country: str | None = None,
        locality: str | None = None,
        **meta: Any,
    ) -> Outcome:
        """Record that an organisation exists (``organisation.registered``)."""
        m = self.meta_for(**meta)
        fields = dict(
            key=key,
            sector=sector,
            name_ko=name_ko,
            name_en=name_en,
            subtype=subtype,
            identifiers=list(identifiers),
            country=country,
            locality=locality,
        )
        return self.run(lambda s: cmd_register(s, m, fields))

    def rename_organisation(
        self, key: str, *, name_ko: str | None = None, name_en: str | None = None, **meta: Any
    ) -> Outcome:
        """Record a new name; the old one stays in the history (``organisation.renamed``)."""
        m = self.meta_for(**meta)
        return self.run(lambda s: cmd_rename(s, m, dict(key=key, name_ko=name_ko, name_en=name_en)))

    def dissolve_organisation(self, key: str, **meta: Any) -> Outcome:
        """Record that an organisation ceased to exist (``organisation.dissolved``)."""
        m = self.meta_for(**meta)
        return self.run(lambda s: cmd_dissolve(s, m, dict(key=key)))

    # -- commands: relations ---------------------------------------------------------
    def form_partnership(self, parties: Iterable[Party | str], *, title: str | None = None, **meta: Any) -> Outcome:
        """Record that two or more organisations started working together."""
        m = self.meta_for(**meta)
        fields = dict(parties=party_list(parties, "parties"), title=title)
        return self.run(lambda s: cmd_form(s, m, fields))

    def end_partnership(self, partnership_id: UUID | str, **meta: Any) -> Outcome:
        m = self.meta_for(**meta)
        return self.run(lambda s: cmd_close(s, m, Partnership, partnership_id, "end"))

    def sign_agreement(
        self, parties: Iterable[Party | str], *, kind: str, title: str, term_end: str | None = None, **meta: Any
    ) -> Outcome:
        m = self.meta_for(**meta)
        fields = dict(parties=party_list(parties, "parties"), kind=kind, title=title, term_end=term_end)
        return self.run(lambda s: cmd_sign(s, m, fields))

    def amend_agreement(
        self,
        agreement_id: UUID | str,
        *,
        title: str | None = None,
        parties: Iterable[Party | str] | None = None,
        term_end: str | None = None,
        **meta: Any,
    ) -> Outcome:
        m = self.meta_for(**meta)
        fields = dict(
            title=title, term_end=term_end, parties=None if parties is None else party_list(parties, "parties")
        )
        return self.run(lambda s: cmd_amend_agreement(s, m, agreement_id, fields))

    def terminate_agreement(self, agreement_id: UUID | str, **meta: Any) -> Outcome:
        m = self.meta_for(**meta)
        return self.run(lambda s: cmd_close(s, m, Agreement, agreement_id, "terminate"))

    def award_support(
        self,
        *,
        kind: str,
        funders: Iterable[Party | str],
        recipients: Iterable[Party | str],
        programme: str | None = None,
        amount: Any = None,
        currency: str | None = None,
        planned_start: str | None = None,
        planned_end: str | None = None,
        title: str | None = None,
        description: str | None = None,
        reference: str | None = None,
        **meta: Any,
    ) -> Outcome:
        m = self.meta_for(**meta)
        fields = dict(
            kind=kind,
            funders=party_list(funders, "funders"),
            recipients=party_list(recipients, "recipients"),
            programme=programme,
            amount=amount,
            currency=currency,
            planned_start=planned_start,
            planned_end=planned_end,
            title=title,
            description=description,
            reference=reference,
        )
        return self.run(lambda s: cmd_award(s, m, fields))

    def amend_support(
        self,
        support_id: UUID | str,
        *,
        amount: Any = None,
        currency: str | None = None,
        planned_start: str | None = None,
        planned_end: str | None = None,
        title: str | None = None,
        description: str | None = None,
        **meta: Any,
    ) -> Outcome:
        m = self.meta_for(**meta)
        fields = dict(
            amount=amount,
            currency=currency,
            planned_start=planned_start,
            planned_end=planned_end,
            title=title,
            description=description,
        )
        return self.run(lambda s: cmd_amend_support(s, m, support_id, fields))

    def disburse_support(self, support_id: UUID | str, *, amount: Any, currency: str, **meta: Any) -> Outcome:
        m = self.meta_for(**meta)
        return self.run(lambda s: cmd_disburse(s, m, support_id, dict(amount=amount, currency=currency)))

    def end_support(self, support_id: UUID | str, **meta: Any) -> Outcome:
        m = self.meta_for(**meta)
        return self.run(lambda s: cmd_close(s, m, Support, support_id, "end"))

    def withdraw_support(self, support_id: UUID | str, **meta: Any) -> Outcome:
        m = self.meta_for(**meta)
        return self.run(lambda s: cmd_close(s, m, Support, support_id, "withdraw"))

    def retract(self, retracted_event_id: UUID | str, *, reason: str, **meta: Any) -> Outcome:
        """Record that the event *retracted_event_id* no longer counts (it stays in the log)."""
        m = self.meta_for(**meta)
        return self.run(lambda s: cmd_retract(s, m, dict(retracted_event_id=retracted_event_id, reason=reason)))

    def append(self, records: Iterable[dict[str, Any] | tuple[int, dict[str, Any]]]) -> list[Outcome]:
        """Append events given in the ledger's JSON Lines format, all or nothing."""
        from domain.records import parse_records

        commands = parse_records(self, records)
        return self.run(lambda s: [command(s) for command in commands])

    # -- reads ------------------------------------------------------------------------
    def get(self, aggregate_id: UUID, version: int | None = None) -> Aggregate | None:
        """The aggregate with this id (optionally as it was at *version*), or None."""
        try:
            return self.app.repository.get(aggregate_id, version=version, projector_func=project)
        except AggregateNotFoundError:
            return None

    def organisation(self, key: str) -> Organisation | None:
        org = self.get(organisation_id(key))
        return org if isinstance(org, Organisation) else None

    def find(self, event_id: UUID | str) -> tuple[int, LedgerEvent] | None:
        """Position and event of the event with this id, or None."""
        event_id = _uuid(event_id, "event_id")
        if event_id in self._unrecorded:
            return None
        if event_id in self._bulk_found:  # e.g. a 360Giving funder's registration, met again on every grant
            return self._bulk_found[event_id]
        found = self.recorder.find_event(event_id)
        if found is None:
            return None
        position, originator_id, version = found
        stored = self.recorder.select_events(originator_id, gt=version - 1, lte=version)
        result = position, self.app.mapper.to_domain_event(stored[0])
        if self._bulk:
            if len(self._bulk_found) >= BULK_FOUND:
                self._bulk_found.clear()
            self._bulk_found[event_id] = result  # type: ignore[assignment]
        return result  # type: ignore[return-value]

    def events(self, after: int = 0, upto: int | None = None, page: int = 1000) -> Iterator[tuple[int, LedgerEvent]]:
        """Every event in recorded order as ``(position, event)``, paging through the log."""
        start = after
        while True:
            notifications = self.recorder.select_notifications(start, page, stop=upto, inclusive_of_start=False)
            for n in notifications:
                yield n.id, self.app.mapper.to_domain_event(n)  # type: ignore[misc]
            if len(notifications) < page:
                return
            start = notifications[-1].id

    def count(self) -> int:
        return self.recorder.count_events()

    def head(self) -> int:
        return self.recorder.max_notification_id() or 0


def _uuid(value: UUID | str, field: str) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value).strip())
    except ValueError:
        raise InputError(field, f"{value!r} is not a UUID", "copy the id from 'netledger log'") from None


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


_KEY = TypeAdapter(OrgKey)


def _key(value: object) -> str:
    """A valid organisation key, or an ``InputError`` naming ``key``."""
    try:
        return _KEY.validate_python(value)
    except ValidationError as exc:
        raise input_error(exc).at("key") from None


def _with_positions(result: T, positions: dict[UUID, int]) -> T:
    def fill(outcome: Outcome) -> Outcome:
        if outcome.status == "recorded" and outcome.event.event_id in positions:
            return Outcome(outcome.status, outcome.event, positions[outcome.event.event_id])
        return outcome

    if isinstance(result, Outcome):
        return fill(result)  # type: ignore[return-value]
    if isinstance(result, list):
        return [fill(o) if isinstance(o, Outcome) else o for o in result]  # type: ignore[return-value]
    return result


# -- commands, as functions of a session (shared by the methods above and by append) --
def cmd_register(s: Session, m: Meta, fields: dict[str, Any]) -> Outcome:
    org_id = organisation_id(_key(fields.get("key")))
    if done := s.replayed(m, Organisation.Registered, org_id, **fields):
        return done
    org = s.fresh(Organisation, org_id)
    return s.record(org.register(m, **fields))


def cmd_rename(s: Session, m: Meta, fields: dict[str, Any]) -> Outcome:
    if done := s.replayed(m, Organisation.Renamed, organisation_id(_key(fields.get("key"))), **fields):
        return done
    org = s.organisation(fields["key"], "key")
    return s.record(org.rename(m, fields.get("name_ko"), fields.get("name_en")))


def cmd_dissolve(s: Session, m: Meta, fields: dict[str, Any]) -> Outcome:
    if done := s.replayed(m, Organisation.Dissolved, organisation_id(_key(fields.get("key"))), **fields):
        return done
    org = s.organisation(fields["key"], "key")
    return s.record(org.dissolve(m))


def cmd_form(s: Session, m: Meta, fields: dict[str, Any]) -> Outcome:
    if done := s.replayed(m, Partnership.Formed, m.event_id, **fields):
        return done
    p = s.fresh(Partnership, m.event_id, unrecorded=True)
    event = p.build(Partnership.Formed, m, **fields)
    s.require_parties(event.parties, "parties", event.effective)
    return s.record(p.record(event))


def cmd_sign(s: Session, m: Meta, fields: dict[str, Any]) -> Outcome:
    if done := s.replayed(m, Agreement.Signed, m.event_id, **fields):
        return done
    a = s.fresh(Agreement, m.event_id, unrecorded=True)
    event = a.build(Agreement.Signed, m, **fields)
    s.require_parties(event.parties, "parties", event.effective)
    return s.record(a.record(event))


def cmd_amend_agreement(s: Session, m: Meta, agreement_id: UUID | str, fields: dict[str, Any]) -> Outcome:
    agg_id = _uuid(agreement_id, "agreement_id")
    if done := s.replayed(m, Agreement.Amended, agg_id, **fields):
        return done
    a = s.get(Agreement, agg_id, "agreement_id")
    event = a.amend(m, **fields)
    if isinstance(event, Agreement.Amended) and event.parties is not None:
        s.require_parties(event.parties, "parties", event.effective)
    return s.record(event)


def cmd_award(s: Session, m: Meta, fields: dict[str, Any]) -> Outcome:
    if done := s.replayed(m, Support.Awarded, m.event_id, **fields):
        return done
    sup = s.fresh(Support, m.event_id, unrecorded=True)
    event = sup.build(Support.Awarded, m, **fields)
    s.require_parties(event.funders, "funders", event.effective)
    s.require_parties(event.recipients, "recipients", event.effective)
    if event.programme is not None:
        programme = s.organisation(event.programme, "programme", on=event.effective)
        if programme.registered is not None and programme.registered.sector != "programme":
            raise RuleViolation(
                "programme",
                f"{event.programme!r} is a {programme.registered.sector}, not a programme",
                "register the programme as an organisation of sector 'programme'",
            )
    return s.record(sup.record(event))


def cmd_amend_support(s: Session, m: Meta, support_id: UUID | str, fields: dict[str, Any]) -> Outcome:
    agg_id = _uuid(support_id, "support_id")
    if done := s.replayed(m, Support.Amended, agg_id, **fields):
        return done
    return s.record(s.get(Support, agg_id, "support_id").amend(m, **fields))


def cmd_disburse(s: Session, m: Meta, support_id: UUID | str, fields: dict[str, Any]) -> Outcome:
    agg_id = _uuid(support_id, "support_id")
    if done := s.replayed(m, Support.Disbursed, agg_id, **fields):
        return done
    return s.record(s.get(Support, agg_id, "support_id").disburse(m, **fields))


_CLOSERS: dict[tuple[type[Aggregate], str], type[LedgerEvent]] = {
    (Partnership, "end"): Partnership.Ended,
    (Agreement, "terminate"): Agreement.Terminated,
    (Support, "end"): Support.Ended,
    (Support, "withdraw"): Support.Withdrawn,
}


def cmd_close(s: Session, m: Meta, cls: type[Aggregate], aggregate_id: UUID | str, verb: str) -> Outcome:
    field = f"{cls.kind}_id"
    agg_id = _uuid(aggregate_id, field)
    if done := s.replayed(m, _CLOSERS[(cls, verb)], agg_id):
        return done
    aggregate = s.get(cls, agg_id, field)
    return s.record(getattr(aggregate, verb)(m))


def cmd_retract(s: Session, m: Meta, fields: dict[str, Any]) -> Outcome:
    target_id = _uuid(fields["retracted_event_id"], "retracted_event_id")
    target = s.find_event(target_id)
    if target is None:
        if done := s.replayed(m, LedgerEvent, None):
            return done
        raise RuleViolation(
            "retracted_event_id", f"no event with id {target_id} in this ledger", "check the id with 'netledger log'"
        )
    aggregate = s.load(target.originator_id)
    if aggregate is None:  # pragma: no cover - an indexed event always has its aggregate
        raise RuleViolation("retracted_event_id", f"event {target_id} has no aggregate", "")
    extra = {"key": aggregate.history[0].key} if isinstance(aggregate, Organisation) else {}  # type: ignore[attr-defined]
    if done := s.replayed(m, aggregate.Retracted, aggregate.id, **extra, **fields):
        return done
    return s.record(aggregate.retract(m, target_id, fields["reason"]))


__all__ = ["Ledger", "LedgerError", "Outcome", "Session", "default_actor", "timezone", "utc_now"]
