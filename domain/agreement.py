"""Agreements: MOUs, contracts and consortia signed by two or more parties.

The signing date is the ``effective`` date of ``Agreement.Signed``; an
optional ``term_end`` says until when it was meant to run.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from domain.events import Aggregate, LedgerEvent, Meta, RetractedMixin, check_order
from domain.partnership import distinct_parties, require_open
from domain.values import CleanShortText, PartialDate, Party

AgreementKind = Literal["mou", "contract", "consortium", "other"]
AGREEMENT_KINDS: tuple[str, ...] = AgreementKind.__args__  # type: ignore[attr-defined]


class Agreement(Aggregate):
    """A written agreement among parties, each in a role."""

    kind = "agreement"

    class Signed(LedgerEvent):
        """The agreement is signed on the effective date."""

        type_name: ClassVar[str] = "agreement.signed"

        kind: AgreementKind
        title: CleanShortText
        parties: list[Party] = Field(max_length=1000)
        term_end: PartialDate | None = None

        _check_parties = field_validator("parties")(distinct_parties)

        @model_validator(mode="after")
        def _term(self) -> Agreement.Signed:
            if self.term_end and self.effective and self.term_end.certainly_before(self.effective):
                raise ValueError(f"term_end: {self.term_end} is before the signing date {self.effective}")
            return self

    class Amended(LedgerEvent):
        """Some terms change on the effective date (only the fields given)."""

        type_name: ClassVar[str] = "agreement.amended"

        title: CleanShortText | None = None
        parties: list[Party] | None = Field(default=None, max_length=1000)
        term_end: PartialDate | None = None

        @field_validator("parties")
        @classmethod
        def _parties(cls, value: list[Party] | None) -> list[Party] | None:
            return None if value is None else distinct_parties(value)

        @model_validator(mode="after")
        def _something(self) -> Agreement.Amended:
            if self.title is None and self.parties is None and self.term_end is None:
                raise ValueError("title/parties/term_end: an amendment must change something")
            return self

    class Terminated(LedgerEvent):
        """The agreement stops on the effective date."""

        type_name: ClassVar[str] = "agreement.terminated"

    class Retracted(RetractedMixin, LedgerEvent):
        """An earlier event of this agreement no longer counts."""

        type_name: ClassVar[str] = "agreement.retracted"

    def _reset(self) -> None:
        self.signed: Agreement.Signed | None = None
        self.title: str | None = None
        self.parties: list[Party] = []
        self.term_end: PartialDate | None = None
        self.amendments: list[Agreement.Amended] = []
        self.terminated: Agreement.Terminated | None = None

    def _apply(self, event: LedgerEvent) -> None:
        if isinstance(event, Agreement.Signed):
            self.signed = event
            self.title, self.parties, self.term_end = event.title, list(event.parties), event.term_end
        elif isinstance(event, Agreement.Amended):
            self.amendments.append(event)
            self.title = event.title or self.title
            self.parties = list(event.parties) if event.parties is not None else self.parties
            self.term_end = event.term_end or self.term_end
        elif isinstance(event, Agreement.Terminated):
            self.terminated = event

    @property
    def exists(self) -> bool:
        return self.signed is not None

    @property
    def start(self) -> PartialDate | None:
        return self.signed.effective if self.signed else None

    def sign(self, meta: Meta, **fields: Any) -> LedgerEvent:
        return self.trigger(Agreement.Signed, meta, **fields)

    def amend(self, meta: Meta, **fields: Any) -> LedgerEvent:
        event = self.build(Agreement.Amended, meta, **fields)
        require_open(self, self.terminated, "terminated")
        check_order(self.start, event.effective, "effective", "signing date")
        check_order(self.start, event.term_end, "term_end", "signing date")
        return self.record(event)

    def terminate(self, meta: Meta) -> LedgerEvent:
        event = self.build(Agreement.Terminated, meta)
        require_open(self, self.terminated, "terminated")
        check_order(self.start, event.effective, "effective", "signing date")
        return self.record(event)
