"""Support: grants, loans, guarantees, investment, in-kind help and designations.

Support flows from one or more funders to one or more recipients, optionally
through a programme (an organisation of sector ``programme``). The award date
is the ``effective`` date of ``Support.Awarded``. Money is a ``Decimal`` with
an ISO 4217 currency, always given together; designations and in-kind support
carry no amount.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from sys import intern
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import Field, field_validator, model_validator

from domain.errors import RuleViolation
from domain.events import Aggregate, Envelope, LedgerEvent, RetractedMixin, check_order
from domain.grantdata import DataQuality, Grant360
from domain.organisation import Organisation, require_parties, require_registered
from domain.partnership import require_open
from domain.values import Amount, CleanShortText, CleanText, Currency, OrgKey, PartialDate, Party

SupportKind = Literal["grant", "loan", "guarantee", "investment", "in_kind", "designation"]
SUPPORT_KINDS: tuple[str, ...] = SupportKind.__args__  # type: ignore[attr-defined]
#: Kinds of support that never carry an amount.
UNPRICED = ("designation", "in_kind")


def _side(parties: list[Party], what: str) -> list[Party]:
    if not parties:
        raise ValueError(f"support needs at least one {what}")
    keys = [p.key for p in parties]
    if len(set(keys)) != len(keys):
        raise ValueError(f"an organisation appears twice among the {what}s")
    return parties


def _money_together(amount: Decimal | None, currency: str | None) -> None:
    if amount is not None and currency is None:
        raise ValueError("currency: an amount needs its ISO 4217 currency (e.g. KRW)")
    if currency is not None and amount is None:
        raise ValueError("amount: a currency needs an amount")


class Support(Aggregate):
    """Money or standing given by funders to recipients."""

    kind = "support"

    class Awarded(LedgerEvent):
        """The support is awarded on the effective date.

        Version 2 added ``giving360`` (the grant as its 360Giving file published it,
        ``domain.grantdata``) and ``data_quality`` (flags and schema warnings of an
        imported grant); version 1 payloads are upcast with both ``null``. A support
        flagged ``individual_recipient`` has no recipient organisation; one flagged
        ``recipient_is_funder`` may name the same organisation on both sides.
        """

        class_version: ClassVar[int] = 2
        type_name: ClassVar[str] = "support.awarded"

        kind: SupportKind
        funders: list[Party] = Field(max_length=1000)
        recipients: list[Party] = Field(max_length=1000)
        programme: OrgKey | None = None
        amount: Amount | None = None
        currency: Currency | None = None
        planned_start: PartialDate | None = None
        planned_end: PartialDate | None = None
        title: CleanShortText | None = None
        description: CleanText | None = None
        reference: CleanShortText | None = None
        giving360: Grant360 | None = None
        data_quality: list[DataQuality] | None = None

        @field_validator("funders")
        @classmethod
        def _funders(cls, value: list[Party]) -> list[Party]:
            return _side(value, "funder")

        @field_validator("recipients")
        @classmethod
        def _recipients(cls, value: list[Party]) -> list[Party]:
            return _side(value, "recipient") if value else value  # none: only for an individual (below)

        @model_validator(mode="after")
        def _whole(self) -> Support.Awarded:
            if not self.recipients and not self.flagged("individual_recipient"):
                raise ValueError("recipients: support needs at least one recipient")
            overlap = {p.key for p in self.funders} & {p.key for p in self.recipients}
            if overlap and not self.flagged("recipient_is_funder"):
                raise ValueError(f"recipients: {sorted(overlap)[0]!r} cannot be both funder and recipient")
            _money_together(self.amount, self.currency)
            if self.kind in UNPRICED and self.amount is not None:
                raise ValueError(f"amount: {self.kind} support carries no amount; leave it out")
            if self.planned_start and self.planned_end and self.planned_end.certainly_before(self.planned_start):
                raise ValueError(f"planned_end: {self.planned_end} is before planned_start {self.planned_start}")
            return self

        @property
        def parties(self) -> list[Party]:
            return [*self.funders, *self.recipients]

        def flagged(self, flag: str) -> bool:
            """Whether the event carries the data-quality *flag* (``domain.grantdata.FLAGS``)."""
            return any(q.flag == flag for q in self.data_quality or ())

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["giving360"] = None
            state["data_quality"] = None

    class Amended(LedgerEvent):
        """Some terms change on the effective date (only the fields given).

        Version 2 added ``giving360`` and ``data_quality``: a republished 360Giving file's new
        version of the grant, whole (it replaces the award's); version 1 payloads are upcast with both
        ``null``.
        """

        class_version: ClassVar[int] = 2
        type_name: ClassVar[str] = "support.amended"

        amount: Amount | None = None
        currency: Currency | None = None
        planned_start: PartialDate | None = None
        planned_end: PartialDate | None = None
        title: CleanShortText | None = None
        description: CleanText | None = None
        giving360: Grant360 | None = None
        data_quality: list[DataQuality] | None = None

        @model_validator(mode="after")
        def _something(self) -> Support.Amended:
            if all(getattr(self, f) is None for f in self.payload_fields()):
                raise ValueError("amount/planned_start/planned_end/title: an amendment must change something")
            if self.currency is not None and self.amount is None:
                raise ValueError("amount: a currency needs an amount")
            return self

        @classmethod
        def payload_fields(cls) -> tuple[str, ...]:
            return (
                "amount",
                "currency",
                "planned_start",
                "planned_end",
                "title",
                "description",
                "giving360",
                "data_quality",
            )

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["giving360"] = None
            state["data_quality"] = None

    class Disbursed(LedgerEvent):
        """Money is paid out on the effective date."""

        type_name: ClassVar[str] = "support.disbursed"

        amount: Amount
        currency: Currency

    class Ended(LedgerEvent):
        """The support ran its course (a designation expired, a loan was repaid)."""

        type_name: ClassVar[str] = "support.ended"

    class Withdrawn(LedgerEvent):
        """The support was cancelled before it ran its course."""

        type_name: ClassVar[str] = "support.withdrawn"

    class Retracted(RetractedMixin, LedgerEvent):
        """An earlier event of this support no longer counts."""

        type_name: ClassVar[str] = "support.retracted"

    __slots__ = (
        "amount",
        "awarded",
        "closed",
        "closed_id",
        "closed_on",
        "closed_verb",
        "currency",
        "description",
        "disbursed",
        "first_paid_in",
        "planned_end",
        "planned_start",
        "start",
        "support_kind",
        "title",
    )

    def _reset(self) -> None:
        super()._reset()
        self.awarded: Support.Awarded | None = None
        self.start: PartialDate | None = None
        self.support_kind: str | None = None
        self.amount: Decimal | None = None
        self.currency: str | None = None
        self.first_paid_in: str | None = None
        self.planned_start: PartialDate | None = None
        self.planned_end: PartialDate | None = None
        self.title: str | None = None
        self.description: str | None = None
        self.disbursed: list[Support.Disbursed] = self._list()
        self.closed: LedgerEvent | None = None
        self.closed_on: PartialDate | None = None
        self.closed_id: UUID | None = None
        self.closed_verb: str | None = None

    def _apply(self, event: LedgerEvent) -> None:
        # Kinds and currencies are shared strings: a bulk keeps hundreds of thousands of lean supports.
        if isinstance(event, Support.Awarded):
            self.exists, self.start, self.support_kind = True, event.effective, intern(event.kind)
            self.currency = intern(event.currency) if event.currency else None
            self.planned_start, self.planned_end = event.planned_start, event.planned_end
            if not self.lean:  # the rules never read the amount
                self.awarded, self.amount = event, event.amount
                self.title, self.description = event.title, event.description
        elif isinstance(event, Support.Amended):
            if event.amount is not None:
                self.amount = None if self.lean else event.amount
                self.currency = intern(event.currency) if event.currency else self.currency
            self.planned_start = event.planned_start or self.planned_start
            self.planned_end = event.planned_end or self.planned_end
            if not self.lean:
                self.title = event.title or self.title
                self.description = event.description or self.description
        elif isinstance(event, Support.Disbursed):
            if self.first_paid_in is None:
                self.first_paid_in = intern(event.currency)
            if not self.lean:
                self.disbursed.append(event)
        elif isinstance(event, (Support.Ended, Support.Withdrawn)):
            self.closed_on, self.closed_id = event.effective, event.event_id
            self.closed_verb = "withdrawn" if isinstance(event, Support.Withdrawn) else "ended"
            if not self.lean:
                self.closed = event

    @property
    def paid_in(self) -> str | None:
        """The one currency of this support: the award's, else that of its first payment."""
        return self.currency or self.first_paid_in

    @property
    def total_disbursed(self) -> Decimal:
        return sum((d.amount for d in self.disbursed), Decimal(0))

    def award(
        self,
        meta: Envelope,
        *,
        kind: str,
        funders: list[Party],
        recipients: list[Party],
        programme: str | None = None,
        amount: Decimal | None = None,
        currency: str | None = None,
        planned_start: PartialDate | None = None,
        planned_end: PartialDate | None = None,
        title: str | None = None,
        description: str | None = None,
        reference: str | None = None,
        organisations: Sequence[Organisation | None],
        programme_organisation: Organisation | None = None,
    ) -> Support.Awarded:
        """Support is awarded: funders and recipients registered and active, a programme of sector programme.

        *organisations* are the funders' then the recipients' aggregates, in order.
        """
        require_parties(funders, organisations[: len(funders)], "funders", meta.effective)
        require_parties(recipients, organisations[len(funders) :], "recipients", meta.effective)
        if programme is not None:
            found = require_registered(programme, programme_organisation, "programme")
            found.require_party("programme", meta.effective)
            if found.sector != "programme":
                raise RuleViolation(
                    "programme",
                    f"{programme!r} is a {found.sector}, not a programme",
                    "register the programme as an organisation of sector 'programme'",
                    code="support.not_a_programme",
                )
        event = self._new(
            Support.Awarded,
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
        return self._record(event)

    def amend(
        self,
        meta: Envelope,
        *,
        amount: Decimal | None = None,
        currency: str | None = None,
        planned_start: PartialDate | None = None,
        planned_end: PartialDate | None = None,
        title: str | None = None,
        description: str | None = None,
        giving360: Grant360 | None = None,
        data_quality: list[DataQuality] | None = None,
    ) -> Support.Amended:
        """Some terms change: an open support, after its award, in its one currency, dates in order."""
        self._require_open()
        check_order(self.start, meta.effective, "effective", "award date")
        if amount is not None:
            if self.support_kind in UNPRICED:
                raise RuleViolation("amount", f"{self.support_kind} support carries no amount", code="support.unpriced")
            if currency is None and self.paid_in is None:
                raise RuleViolation(
                    "currency", "this support has no currency yet", "give its currency", code="support.no_currency"
                )
            if currency is not None and self.paid_in is not None and currency != self.paid_in:
                raise RuleViolation(
                    "currency",
                    f"{currency} differs from this support's {self.paid_in}",
                    "amounts of one support stay in one currency; withdraw it and award a new one",
                    code="support.other_currency",
                )
        start = planned_start or self.planned_start
        end = planned_end or self.planned_end
        if start and end and end.certainly_before(start):
            raise RuleViolation("planned_end", f"{end} is before planned_start {start}", code="support.planned_order")
        event = self._new(
            Support.Amended,
            meta,
            amount=amount,
            currency=currency,
            planned_start=planned_start,
            planned_end=planned_end,
            title=title,
            description=description,
            giving360=giving360,
            data_quality=data_quality,
        )
        return self._record(event)

    def disburse(self, meta: Envelope, *, amount: Decimal, currency: str) -> Support.Disbursed:
        """Money is paid out: an open, priced support, after its award, in its one currency."""
        self._require_open()
        check_order(self.start, meta.effective, "effective", "award date")
        if self.support_kind in UNPRICED:
            raise RuleViolation("amount", f"{self.support_kind} support disburses no money", code="support.unpriced")
        if self.paid_in is not None and currency != self.paid_in:
            raise RuleViolation(
                "currency",
                f"{currency} differs from this support's {self.paid_in}",
                f"use {self.paid_in}",
                code="support.other_currency",
            )
        return self._record(self._new(Support.Disbursed, meta, amount=amount, currency=currency))

    def end(self, meta: Envelope) -> Support.Ended:
        """The support ran its course."""
        self._require_closable(meta)
        return self._record(self._new(Support.Ended, meta))

    def withdraw(self, meta: Envelope) -> Support.Withdrawn:
        """The support was cancelled before it ran its course."""
        self._require_closable(meta)
        return self._record(self._new(Support.Withdrawn, meta))

    def _require_closable(self, meta: Envelope) -> None:
        self._require_open()
        check_order(self.start, meta.effective, "effective", "award date")

    def _require_open(self) -> None:
        require_open(self, self.closed_on, self.closed_id, self.closed_verb or "ended")
