"""Agreements: MOUs, contracts and consortia signed by two or more parties.

The signing date is the ``effective`` date of ``Agreement.Signed``; an
optional ``term_end`` says until when it was meant to run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field, field_validator, model_validator

from domain.events import Aggregate, Envelope, LedgerEvent, RetractedMixin, check_order
from domain.organisation import Organisation, require_parties
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

    __slots__ = (
        "amendments",
        "parties",
        "signed",
        "start",
        "term_end",
        "terminated",
        "terminated_id",
        "terminated_on",
        "title",
    )

    def _reset(self) -> None:
        super()._reset()
        self.signed: Agreement.Signed | None = None
        self.start: PartialDate | None = None
        self.title: str | None = None
        self.parties: list[Party] = self._list()
        self.term_end: PartialDate | None = None
        self.amendments: list[Agreement.Amended] = self._list()
        self.terminated: Agreement.Terminated | None = None
        self.terminated_on: PartialDate | None = None
        self.terminated_id: UUID | None = None

    def _apply(self, event: LedgerEvent) -> None:
        if isinstance(event, Agreement.Signed):
            self.exists, self.start = True, event.effective
            if not self.lean:
                self.signed = event
                self.title, self.parties, self.term_end = event.title, list(event.parties), event.term_end
        elif isinstance(event, Agreement.Amended):
            if not self.lean:
                self.amendments.append(event)
                self.title = event.title or self.title
                self.parties = list(event.parties) if event.parties is not None else self.parties
                self.term_end = event.term_end or self.term_end
        elif isinstance(event, Agreement.Terminated):
            self.terminated_on, self.terminated_id = event.effective, event.event_id
            if not self.lean:
                self.terminated = event

    def sign(
        self,
        meta: Envelope,
        *,
        kind: str,
        title: str,
        parties: list[Party],
        term_end: PartialDate | None,
        organisations: Sequence[Organisation | None],
    ) -> Agreement.Signed:
        """The agreement is signed: every party is a registered organisation, active on that date."""
        require_parties(parties, organisations, "parties", meta.effective)
        event = self._new(Agreement.Signed, meta, kind=kind, title=title, parties=parties, term_end=term_end)
        return self._record(event)

    def amend(
        self,
        meta: Envelope,
        *,
        title: str | None,
        parties: list[Party] | None,
        term_end: PartialDate | None,
        organisations: Sequence[Organisation | None],
    ) -> Agreement.Amended:
        """Some terms change: not on a terminated agreement, not before its signing, new parties registered."""
        require_open(self, self.terminated_on, self.terminated_id, "terminated")
        check_order(self.start, meta.effective, "effective", "signing date")
        check_order(self.start, term_end, "term_end", "signing date")
        if parties is not None:
            require_parties(parties, organisations, "parties", meta.effective)
        event = self._new(Agreement.Amended, meta, title=title, parties=parties, term_end=term_end)
        return self._record(event)

    def terminate(self, meta: Envelope) -> Agreement.Terminated:
        """The agreement stops, not before its signing and only once."""
        require_open(self, self.terminated_on, self.terminated_id, "terminated")
        check_order(self.start, meta.effective, "effective", "signing date")
        return self._record(self._new(Agreement.Terminated, meta))
