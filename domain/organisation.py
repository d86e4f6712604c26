"""Organisations: registered, renamed, dissolved (and retracted).

An organisation's id derives from its key, so the key is unique by
construction: registering ``postech`` twice hits the same aggregate.

>>> organisation_id("postech") == organisation_id("postech")
True
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any, ClassVar, Literal
from uuid import UUID, uuid5

from pydantic import Field, model_validator

from domain.errors import RuleViolation
from domain.events import Aggregate, LedgerEvent, Meta, RetractedMixin, check_order
from domain.values import CleanShortText, Country, Identifier, OrgKey, PartialDate

Sector = Literal[
    "government",
    "university",
    "research_institute",
    "firm",
    "funder",
    "intermediary",
    "programme",
]
SECTORS: tuple[str, ...] = Sector.__args__  # type: ignore[attr-defined]

NAMESPACE = UUID("6f1c1f0e-5d0a-4c7e-9a55-3f3b8f1c2a10")


@lru_cache(maxsize=65_536)  # asked for every party of every relation
def organisation_id(key: str) -> UUID:
    """The aggregate id of the organisation with this key."""
    return uuid5(NAMESPACE, f"organisation:{key}")


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

    # -- state ---------------------------------------------------------------------
    def _reset(self) -> None:
        self.registered: Organisation.Registered | None = None
        self.key: str | None = None
        self.name_ko: str | None = None
        self.name_en: str | None = None
        self.names: list[NameChange] = []
        self.dissolved: PartialDate | Literal[False] | None = False

    def _apply(self, event: LedgerEvent) -> None:
        if isinstance(event, Organisation.Registered):
            self.registered = event
            self.key = event.key
            self.name_ko, self.name_en = event.name_ko, event.name_en
            self.names = [NameChange(event.effective, event.name_ko, event.name_en, event.event_id)]
        elif isinstance(event, Organisation.Renamed):
            self.name_ko = event.name_ko or self.name_ko
            self.name_en = event.name_en or self.name_en
            self.names.append(NameChange(event.effective, event.name_ko, event.name_en, event.event_id))
        elif isinstance(event, Organisation.Dissolved):
            self.dissolved = event.effective

    @property
    def exists(self) -> bool:
        return self.registered is not None

    @property
    def is_dissolved(self) -> bool:
        return self.dissolved is not False

    @property
    def name(self) -> str:
        """The English name if known, else the Korean one."""
        return self.name_en or self.name_ko or ""

    # -- commands --------------------------------------------------------------------
    def register(self, meta: Meta, **fields: Any) -> LedgerEvent:
        if self.exists:
            raise RuleViolation(
                "key",
                f"organisation {self.key!r} is already registered",
                "use 'org rename' to change its names, or choose another key",
            )
        return self.trigger(Organisation.Registered, meta, **fields)

    def rename(self, meta: Meta, name_ko: str | None, name_en: str | None) -> LedgerEvent:
        self._require_active("key")
        if (name_ko or self.name_ko) == self.name_ko and (name_en or self.name_en) == self.name_en:
            raise RuleViolation("name", "the new names equal the current ones", "give a different name")
        return self.trigger(Organisation.Renamed, meta, key=self.key, name_ko=name_ko, name_en=name_en)

    def dissolve(self, meta: Meta) -> LedgerEvent:
        self._require_active("key")
        registered = self.registered.effective if self.registered else None
        check_order(registered, meta.effective, "effective", "registration date")
        return self.trigger(Organisation.Dissolved, meta, key=self.key)

    def retract(self, meta: Meta, retracted_event_id: UUID, reason: str) -> LedgerEvent:
        target = self.event(retracted_event_id)
        if target is None or isinstance(target, RetractedMixin) or retracted_event_id in self.retracted:
            return super().retract(meta, retracted_event_id, reason)
        return self.trigger(
            Organisation.Retracted,
            meta,
            key=self.history[0].key,  # type: ignore[attr-defined]
            retracted_event_id=retracted_event_id,
            reason=reason,
        )

    def _require_active(self, field: str) -> None:
        if not self.exists:
            raise RuleViolation(field, f"unknown organisation {self.key!r}", "register it first")
        if self.is_dissolved:
            raise RuleViolation(field, f"organisation {self.key!r} is dissolved", "")
