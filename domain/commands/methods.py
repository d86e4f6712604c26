"""The ledger's named commands: one method per event type, for Python callers and the CLI.

Each method validates its arguments once into the event's draft
(``domain.records.draft``), then runs the draft's handler in a unit of work
(``Ledger.run``). The envelope is given with typed keywords (``Envelope``):
``event_id`` (a new UUID if left out; sending an id again is a no-op),
``effective``, ``source``, ``note`` and ``recorded_at``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar
from uuid import UUID

from typing_extensions import Unpack

from domain.dates import PartialDate

# The models, the rules and the session are imported by the first command run, not by opening a
# ledger: a query opens one and never loads them (docs/architecture.md, "Start-up").
if TYPE_CHECKING:
    from domain.events import LedgerEvent, Meta
    from domain.session import Outcome, Session
    from domain.values import Party

    Parties = Iterable[Party | str | dict[str, Any]]

T = TypeVar("T")


class Envelope(TypedDict, total=False):
    """The envelope keywords every command takes."""

    event_id: UUID | str | None
    effective: str | date | PartialDate | None
    source: str | None
    note: str | None
    recorded_at: datetime | None


class LedgerCommands:
    """The named commands of ``Ledger`` (which provides ``meta_for``, ``run``, ``bulk`` and ``find``)."""

    # Provided by ``Ledger``.
    meta_for: Callable[..., Meta]
    run: Callable[..., Any]
    bulk: Callable[..., Any]
    find: Callable[..., Any]

    def record(self, type_name: str, meta: Envelope, target: UUID | str | None = None, **fields: Any) -> Outcome:
        """Record an event of *type_name* with *fields* (*target*: the aggregate of a non-creating event)."""
        from domain.records import PARTY_FIELDS, draft, event_type, originator_of, party_list
        from domain.session import as_uuid

        m = self.meta_for(**meta)
        for side in PARTY_FIELDS:
            if fields.get(side) is not None:
                fields[side] = party_list(fields[side], side)
        aggregate_id = None
        if target is not None:
            kind = type_name.partition(".")[0]
            aggregate_id = as_uuid(target, f"{kind}_id")
        d = draft(event_type(type_name), m, fields, originator_of(type_name, m.event_id, fields, aggregate_id))
        return self.execute(d)

    def execute(self, d: LedgerEvent) -> Outcome:
        """Run the handler of the draft *d* in one unit of work."""
        from domain.commands import execute

        outcome: Outcome = self.run(lambda s: execute(s, d))
        return outcome

    # -- organisations -------------------------------------------------------------------
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
        **meta: Unpack[Envelope],
    ) -> Outcome:
        """Record that an organisation exists (``organisation.registered``)."""
        return self.record(
            "organisation.registered",
            meta,
            key=key,
            sector=sector,
            name_ko=name_ko,
            name_en=name_en,
            subtype=subtype,
            identifiers=list(identifiers),
            country=country,
            locality=locality,
        )

    def rename_organisation(
        self, key: str, *, name_ko: str | None = None, name_en: str | None = None, **meta: Unpack[Envelope]
    ) -> Outcome:
        """Record a new name; the old one stays in the history (``organisation.renamed``)."""
        return self.record("organisation.renamed", meta, key=key, name_ko=name_ko, name_en=name_en)

    def dissolve_organisation(self, key: str, **meta: Unpack[Envelope]) -> Outcome:
        """Record that an organisation ceased to exist (``organisation.dissolved``)."""
        return self.record("organisation.dissolved", meta, key=key)

    # -- relations -------------------------------------------------------------------------
    def form_partnership(self, parties: Parties, *, title: str | None = None, **meta: Unpack[Envelope]) -> Outcome:
        """Record that two or more organisations started working together (``partnership.formed``)."""
        return self.record("partnership.formed", meta, parties=parties, title=title)

    def end_partnership(self, partnership_id: UUID | str, **meta: Unpack[Envelope]) -> Outcome:
        """Record that a partnership stopped (``partnership.ended``)."""
        return self.record("partnership.ended", meta, partnership_id)

    def sign_agreement(
        self,
        parties: Parties,
        *,
        kind: str,
        title: str,
        term_end: str | None = None,
        **meta: Unpack[Envelope],
    ) -> Outcome:
        """Record a signed agreement (``agreement.signed``)."""
        return self.record("agreement.signed", meta, parties=parties, kind=kind, title=title, term_end=term_end)

    def amend_agreement(
        self,
        agreement_id: UUID | str,
        *,
        title: str | None = None,
        parties: Parties | None = None,
        term_end: str | None = None,
        **meta: Unpack[Envelope],
    ) -> Outcome:
        """Record that some terms of an agreement changed (``agreement.amended``)."""
        return self.record("agreement.amended", meta, agreement_id, title=title, parties=parties, term_end=term_end)

    def terminate_agreement(self, agreement_id: UUID | str, **meta: Unpack[Envelope]) -> Outcome:
        """Record that an agreement stopped (``agreement.terminated``)."""
        return self.record("agreement.terminated", meta, agreement_id)

    def award_support(
        self,
        *,
        kind: str,
        funders: Parties,
        recipients: Parties,
        programme: str | None = None,
        amount: Any = None,
        currency: str | None = None,
        planned_start: str | None = None,
        planned_end: str | None = None,
        title: str | None = None,
        description: str | None = None,
        reference: str | None = None,
        **meta: Unpack[Envelope],
    ) -> Outcome:
        """Record awarded support (``support.awarded``)."""
        return self.record(
            "support.awarded",
            meta,
            kind=kind,
            funders=funders,
            recipients=recipients,
            programme=programme,
            amount=amount,
            currency=currency,
            planned_start=planned_start,
            planned_end=planned_end,
            title=title,
            description=description,
            reference=reference,
        )

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
        **meta: Unpack[Envelope],
    ) -> Outcome:
        """Record that some terms of a support changed (``support.amended``)."""
        return self.record(
            "support.amended",
            meta,
            support_id,
            amount=amount,
            currency=currency,
            planned_start=planned_start,
            planned_end=planned_end,
            title=title,
            description=description,
        )

    def disburse_support(
        self, support_id: UUID | str, *, amount: Any, currency: str, **meta: Unpack[Envelope]
    ) -> Outcome:
        """Record a payment under a support (``support.disbursed``)."""
        return self.record("support.disbursed", meta, support_id, amount=amount, currency=currency)

    def end_support(self, support_id: UUID | str, **meta: Unpack[Envelope]) -> Outcome:
        """Record that a support ran its course (``support.ended``)."""
        return self.record("support.ended", meta, support_id)

    def withdraw_support(self, support_id: UUID | str, **meta: Unpack[Envelope]) -> Outcome:
        """Record that a support was cancelled (``support.withdrawn``)."""
        return self.record("support.withdrawn", meta, support_id)

    def retract(self, retracted_event_id: UUID | str, *, reason: str, **meta: Unpack[Envelope]) -> Outcome:
        """Record that the event *retracted_event_id* no longer counts (it stays in the log)."""
        from domain.commands.retraction import no_such_event
        from domain.records import UNPLACED, draft
        from domain.session import as_uuid

        m = self.meta_for(**meta)
        target_id = as_uuid(retracted_event_id, "retracted_event_id")
        found = self.find(target_id)
        if found is None:
            raise no_such_event(target_id)
        cls = found[1].aggregate_class.Retracted
        fields: dict[str, Any] = {"retracted_event_id": target_id, "reason": reason}
        if "key" in cls.model_fields:
            fields["key"] = found[1].key  # every organisation event names the organisation's key
        return self.execute(draft(cls, m, fields, UNPLACED))

    # -- many events ------------------------------------------------------------------------
    def append(self, records: Iterable[dict[str, Any] | tuple[int, dict[str, Any]]]) -> list[Outcome]:
        """Append events given in the ledger's JSON Lines format, all or nothing, in one bulk.

        Each record's problem is named by its line (the number given with it, else its rank).
        """
        from domain.commands import execute
        from domain.errors import LedgerError
        from domain.records import draft_of

        drafts: list[tuple[str, LedgerEvent]] = []
        for i, item in enumerate(records, start=1):
            number, record = item if isinstance(item, tuple) else (i, item)
            where = f"line {number}"
            try:
                drafts.append((where, draft_of(record, self.meta_for)))
            except LedgerError as exc:
                raise exc.at(where) from None

        def work(s: Session) -> list[Outcome]:
            outcomes = []
            for where, d in drafts:
                try:
                    outcomes.append(execute(s, d))
                except LedgerError as exc:
                    raise exc.at(where) from None
            return outcomes

        with self.bulk():
            result: list[Outcome] = self.run(work)
        return result
