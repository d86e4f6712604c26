"""Support: grants, loans, guarantees, investment, in-kind help and designations.

Support flows from one or more funders to one or more recipients, optionally
through a programme (an organisation of sector ``programme``). The award date
is the ``effective`` date of ``Support.Awarded``. Money is a ``Decimal`` with
an ISO 4217 currency, always given together; designations and in-kind support
carry no amount.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from domain.errors import RuleViolation
from domain.events import Aggregate, LedgerEvent, Meta, RetractedMixin, check_order
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
        """The support is awarded on the effective date."""

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

        @field_validator("funders")
        @classmethod
        def _funders(cls, value: list[Party]) -> list[Party]:
            return _side(value, "funder")

        @field_validator("recipients")
        @classmethod
        def _recipients(cls, value: list[Party]) -> list[Party]:
            return _side(value, "recipient")

        @model_validator(mode="after")
        def _whole(self) -> Support.Awarded:
            overlap = {p.key for p in self.funders} & {p.key for p in self.recipients}
            if overlap:
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

    class Amended(LedgerEvent):
        """Some terms change on the effective date (only the fields given)."""

        type_name: ClassVar[str] = "support.amended"

        amount: Amount | None = None
        currency: Currency | None = None
        planned_start: PartialDate | None = None
        planned_end: PartialDate | None = None
        title: CleanShortText | None = None
        description: CleanText | None = None

        @model_validator(mode="after")
        def _something(self) -> Support.Amended:
            if all(getattr(self, f) is None for f in self.payload_fields()):
                raise ValueError("amount/planned_start/planned_end/title: an amendment must change something")
            if self.currency is not None and self.amount is None:
                raise ValueError("amount: a currency needs an amount")
            return self

        @classmethod
        def payload_fields(cls) -> tuple[str, ...]:
            return ("amount", "currency", "planned_start", "planned_end", "title", "description")

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

    def _reset(self) -> None:
        self.awarded: Support.Awarded | None = None
        self.amount: Decimal | None = None
        self.currency: str | None = None
        self.planned_start: PartialDate | None = None
        self.planned_end: PartialDate | None = None
        self.title: str | None = None
        self.description: str | None = None
        self.disbursed: list[Support.Disbursed] = []
        self.closed: LedgerEvent | None = None

    def _apply(self, event: LedgerEvent) -> None:
        if isinstance(event, Support.Awarded):
            self.awarded = event
            self.amount, self.currency = event.amount, event.currency
            self.planned_start, self.planned_end = event.planned_start, event.planned_end
            self.title = event.title
            self.description = event.description
        elif isinstance(event, Support.Amended):
            if event.amount is not None:
                self.amount = event.amount
                self.currency = event.currency or self.currency
            self.planned_start = event.planned_start or self.planned_start
            self.planned_end = event.planned_end or self.planned_end
            self.title = event.title or self.title
            self.description = event.description or self.description
        elif isinstance(event, Support.Disbursed):
            self.disbursed.append(event)
        elif isinstance(event, (Support.Ended, Support.Withdrawn)):
            self.closed = event

    @property
    def exists(self) -> bool:
        return self.awarded is not None

    @property
    def start(self) -> PartialDate | None:
        return self.awarded.effective if self.awarded else None

    @property
    def paid_in(self) -> str | None:
        """The one currency of this support: the award's, else that of its first payment."""
        return self.currency or (self.disbursed[0].currency if self.disbursed else None)

    @property
    def total_disbursed(self) -> Decimal:
        return sum((d.amount for d in self.disbursed), Decimal(0))

    def award(self, meta: Meta, **fields: Any) -> LedgerEvent:
        return self.trigger(Support.Awarded, meta, **fields)

    def amend(self, meta: Meta, **fields: Any) -> LedgerEvent:
        event = self.build(Support.Amended, meta, **fields)
        self._require_open()
        check_order(self.start, event.effective, "effective", "award date")
        assert self.awarded is not None
        if event.amount is not None:
            if self.awarded.kind in UNPRICED:
                raise RuleViolation("amount", f"{self.awarded.kind} support carries no amount", "")
            if event.currency is None and self.paid_in is None:
                raise RuleViolation("currency", "this support has no currency yet", "give --currency")
            if event.currency is not None and self.paid_in is not None and event.currency != self.paid_in:
                raise RuleViolation(
                    "currency",
                    f"{event.currency} differs from this support's {self.paid_in}",
                    "amounts of one support stay in one currency; withdraw it and award a new one",
                )
        start = event.planned_start or self.planned_start
        end = event.planned_end or self.planned_end
        if start and end and end.certainly_before(start):
            raise RuleViolation("planned_end", f"{end} is before planned_start {start}", "")
        return self.record(event)

    def disburse(self, meta: Meta, amount: Any, currency: Any) -> LedgerEvent:
        event = self.build(Support.Disbursed, meta, amount=amount, currency=currency)
        self._require_open()
        check_order(self.start, event.effective, "effective", "award date")
        assert self.awarded is not None
        if self.awarded.kind in UNPRICED:
            raise RuleViolation("amount", f"{self.awarded.kind} support disburses no money", "")
        if self.paid_in is not None and event.currency != self.paid_in:
            raise RuleViolation(
                "currency", f"{event.currency} differs from this support's {self.paid_in}", f"use {self.paid_in}"
            )
        return self.record(event)

    def end(self, meta: Meta) -> LedgerEvent:
        return self._close(Support.Ended, meta)

    def withdraw(self, meta: Meta) -> LedgerEvent:
        return self._close(Support.Withdrawn, meta)

    def _close(self, cls: type[LedgerEvent], meta: Meta) -> LedgerEvent:
        event = self.build(cls, meta)
        self._require_open()
        check_order(self.start, event.effective, "effective", "award date")
        return self.record(event)

    def _require_open(self) -> None:
        verb = "withdrawn" if isinstance(self.closed, Support.Withdrawn) else "ended"
        require_open(self, self.closed, verb)
