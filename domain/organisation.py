"""Organisations: registered, renamed, dissolved (and retracted).

An organisation's id derives from its key, so the key is unique by
construction: registering ``postech`` twice hits the same aggregate.

>>> organisation_id("postech") == organisation_id("postech")
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, Literal
from uuid import UUID, uuid5

from pydantic import Field, model_validator

from domain.errors import InputError, RuleViolation
from domain.events import Aggregate, Envelope, LedgerEvent, RetractedMixin, check_order
from domain.sectors import SECTORS as SECTORS
from domain.sectors import Sector
from domain.values import KEY_FIX, CleanShortText, Country, Identifier, OrgKey, PartialDate, Party

NAMESPACE = UUID("6f1c1f0e-5d0a-4c7e-9a55-3f3b8f1c2a10")


@lru_cache(maxsize=65_536)  # asked for every party of every relation
def organisation_id(key: str) -> UUID:
    """The aggregate id of the organisation with this key.

    A key is asked for before its form is checked (the id places the event): text that has no UTF-8
    bytes (a lone surrogate, as a shell passes undecodable bytes) is refused here, naming the key.

    >>> try:
    ...     organisation_id(chr(0xD800))
    ... except InputError as refused:
    ...     print(refused.field, "|", refused.problem)
    key | '\ud800' is not a key: it has no UTF-8 bytes
    """
    try:
        return uuid5(NAMESPACE, f"organisation:{key}")
    except UnicodeEncodeError:
        raise InputError("key", f"{key!r} is not a key: it has no UTF-8 bytes", KEY_FIX) from None


def _unique(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("identifiers: the same identifier is given twice")
    return values


@dataclass(frozen=True)
class NameChange:
    """One entry of an organisation's name history."""

    effective: PartialDate | None
    name_ko: str | None
    name_en: str | None
    event_id: UUID


class Organisation(Aggregate):
    """An institution, funder, firm or programme taking part in the network."""

    kind = "organisation"

    class Registered(LedgerEvent):
        """An organisation enters the ledger.

        Version 2 added ``subtype``; version 1 payloads are upcast with ``subtype: null``.
        """

        class_version: ClassVar[int] = 2
        type_name: ClassVar[str] = "organisation.registered"
        requires_effective: ClassVar[bool] = False

        key: OrgKey
        name_ko: CleanShortText | None = None
        name_en: CleanShortText | None = None
        sector: Sector
        subtype: CleanShortText | None = None
        identifiers: list[Identifier] = Field(default_factory=list, max_length=50)
        country: Country | None = None
        locality: CleanShortText | None = None

        @model_validator(mode="after")
        def _names(self) -> Organisation.Registered:
            if not self.name_ko and not self.name_en:
                raise ValueError("name_ko/name_en: give a Korean or an English name (or both)")
            _unique(self.identifiers)
            return self

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["subtype"] = None

    class Renamed(LedgerEvent):
        """The organisation takes a new name (the old one stays in its history)."""

        type_name: ClassVar[str] = "organisation.renamed"
        requires_effective: ClassVar[bool] = False

        key: OrgKey
        name_ko: CleanShortText | None = None
        name_en: CleanShortText | None = None

        @model_validator(mode="after")
        def _names(self) -> Organisation.Renamed:
            if not self.name_ko and not self.name_en:
                raise ValueError("name_ko/name_en: give the new Korean or English name (or both)")
            return self

    class Dissolved(LedgerEvent):
        """The organisation ceases to exist; it can join no new relation."""

        type_name: ClassVar[str] = "organisation.dissolved"
        requires_effective: ClassVar[bool] = False

        key: OrgKey

    class Retracted(RetractedMixin, LedgerEvent):
        """An earlier event of this organisation no longer counts."""

        type_name: ClassVar[str] = "organisation.retracted"

        key: OrgKey

    __slots__ = ("dissolved", "key", "name_en", "name_ko", "names", "registered", "registered_on", "sector")

    # -- state ---------------------------------------------------------------------
    def _reset(self) -> None:
        super()._reset()
        self.registered: Organisation.Registered | None = None
        self.registered_on: PartialDate | None = None
        self.sector: str | None = None
        self.key: str | None = None
        self.name_ko: str | None = None
        self.name_en: str | None = None
        self.names: list[NameChange] = self._list()
        self.dissolved: PartialDate | Literal[False] | None = False

    def _apply(self, event: LedgerEvent) -> None:
        if isinstance(event, Organisation.Registered):
            self.exists = True
            self.registered_on, self.sector, self.key = event.effective, event.sector, event.key
            self.name_ko, self.name_en = event.name_ko, event.name_en
            if not self.lean:
                self.registered = event
                self.names = [NameChange(event.effective, event.name_ko, event.name_en, event.event_id)]
        elif isinstance(event, Organisation.Renamed):
            self.name_ko = event.name_ko or self.name_ko
            self.name_en = event.name_en or self.name_en
            if not self.lean:
                self.names.append(NameChange(event.effective, event.name_ko, event.name_en, event.event_id))
        elif isinstance(event, Organisation.Dissolved):
            self.dissolved = event.effective

    @property
    def is_dissolved(self) -> bool:
        return self.dissolved is not False

    @property
    def name(self) -> str:
        """The English name if known, else the Korean one."""
        return self.name_en or self.name_ko or ""

    # -- commands --------------------------------------------------------------------
    def register(
        self,
        meta: Envelope,
        *,
        key: str,
        sector: str,
        name_ko: str | None = None,
        name_en: str | None = None,
        subtype: str | None = None,
        identifiers: list[str] | None = None,
        country: str | None = None,
        locality: str | None = None,
    ) -> Organisation.Registered:
        """An organisation enters the ledger; its key names it for good."""
        if self.exists:
            raise RuleViolation(
                "key",
                f"organisation {self.key!r} is already registered",
                "rename it to change its names, or choose another key",
                code="organisation.already_registered",
            )
        event = self._new(
            Organisation.Registered,
            meta,
            key=key,
            name_ko=name_ko,
            name_en=name_en,
            sector=sector,
            subtype=subtype,
            identifiers=list(identifiers or ()),
            country=country,
            locality=locality,
        )
        return self._record(event)

    def rename(self, meta: Envelope, *, name_ko: str | None, name_en: str | None) -> Organisation.Renamed:
        """The organisation takes a new name; the old one stays in its history."""
        self._require_active("key")
        if (name_ko or self.name_ko) == self.name_ko and (name_en or self.name_en) == self.name_en:
            raise RuleViolation(
                "name", "the new names equal the current ones", "give a different name", code="organisation.same_name"
            )
        return self._record(self._new(Organisation.Renamed, meta, key=self.key, name_ko=name_ko, name_en=name_en))

    def dissolve(self, meta: Envelope) -> Organisation.Dissolved:
        """The organisation ceases to exist; it joins no relation starting after that."""
        self._require_active("key")
        check_order(self.registered_on, meta.effective, "effective", "registration date")
        return self._record(self._new(Organisation.Dissolved, meta, key=self.key))

    def _retraction_fields(self) -> dict[str, Any]:
        return {"key": self.key if self.key is not None else self.history[0].key}  # type: ignore[attr-defined]

    def _require_active(self, field: str) -> None:
        if not self.exists:
            raise RuleViolation(
                field,
                f"unknown organisation {self.key!r}",
                "register it first",
                code="organisation.unknown",
                subject=self.key or "",
            )
        if self.is_dissolved:
            raise RuleViolation(field, f"organisation {self.key!r} is dissolved", code="organisation.dissolved")

    def require_party(self, field: str, on: PartialDate | None) -> None:
        """Refuse this organisation as a party to a relation starting *on*.

        A dissolved organisation joins no relation that starts on or after its
        dissolution (or at all, when either date is unknown); a relation that
        certainly started before the dissolution can still be recorded.
        """
        dissolved = self.dissolved
        if self.is_dissolved and not (on is not None and dissolved and on.certainly_before(dissolved)):
            raise RuleViolation(
                field,
                f"organisation {self.key!r} is dissolved" + (f" (since {dissolved})" if dissolved else ""),
                "a dissolved organisation joins no relation starting after its dissolution",
                code="organisation.dissolved",
            )


def require_parties(
    parties: Sequence[Party], organisations: Sequence[Organisation | None], field: str, on: PartialDate | None
) -> None:
    """Every party is a registered organisation, able to take part in a relation starting *on*.

    *organisations* are the parties' aggregates, in the same order (None where not found).
    """
    for i, (party, org) in enumerate(zip(parties, organisations, strict=True)):
        if org is None or not org.exists or org.dissolved is not False:  # else nothing to refuse: no field named
            where = f"{field}[{i}]"
            require_registered(party.key, org, where).require_party(where, on)


def require_registered(key: str, org: Organisation | None, field: str) -> Organisation:
    """*org* if it is the registered organisation *key*; else a ``RuleViolation`` naming *field*."""
    if org is None or not org.exists:
        raise RuleViolation(
            field, f"unknown organisation {key!r}", "register it first", code="organisation.unknown", subject=key
        )
    return org
