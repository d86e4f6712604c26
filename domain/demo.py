"""The Pohang demo: the seed network of 2019-08-22, built through the ledger's commands.

The data ships in ``domain/data/pohang/`` (copied from ``shared/data/pohang``;
every row keeps its ``source_url``). Each organisation becomes an
``organisation.registered`` event and each of the 24 dated relations one event,
chosen by the relation's ``event_type``:

========================================================  =================================
relation rows                                             recorded as
========================================================  =================================
designation (P01, P06)                                    support.awarded, kind designation
grant_budget (P21, KRW 7.2bn)                             support.awarded, kind grant
opening (P23, KRW 83bn)                                   support.awarded, kind investment
support (P17 Kibo, P18 KOSME, P19 IP Center)              support.awarded, kinds guarantee,
                                                          loan and in_kind
expiry (P24)                                              support.ended of the P06 designation
participation, establishment, bundles, partnership,       partnership.formed, with the row's
programme_owner (the other rows)                          role for the object
========================================================  =================================

Organisations are registered without a date (they existed before the period
the data covers), except one founded within it: the object of an
``establishment`` row (P08, the promotion group launched on 2019-08-22) is
registered effective on that row's date, so on 2019-08-01 it does not exist yet.

Event ids are derived from the row ids (``uuid5``), so the demo ledger is the
same every time it is built.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from uuid import UUID, uuid5

from domain.commands import execute
from domain.errors import RuleViolation
from domain.events import LedgerEvent
from domain.ledger import Ledger
from domain.records import draft, event_type, originator_of
from domain.session import Outcome, Session
from domain.values import Party

DEMO_NAMESPACE = UUID("0c6f6d1e-2b0e-4d0a-8d7a-5f0e7f3b9a21")

#: Kind of support for rows of type ``support``: Kibo guarantees credit, KOSME
#: lends (policy loans), the IP center helps in kind.
SUPPORT_KIND = {"kibo": "guarantee", "kosme": "loan", "gb-ip-center": "in_kind"}
#: Subject roles for partnership-like rows, by event type.
SUBJECT_ROLE = {
    "participation": "special_zone",
    "establishment": "founder",
    "bundles": "bundler",
    "partnership": "convenor",
    "programme_owner": "owner",
}


def demo_event_id(row_id: str) -> UUID:
    """Stable event id of one seed row (``P01`` ... or an organisation key)."""
    return uuid5(DEMO_NAMESPACE, f"pohang:{row_id}")


def read_seed(name: str) -> list[dict[str, str]]:
    with resources.files("domain.data").joinpath("pohang", name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@dataclass
class DemoReport:
    """What ``build_demo`` recorded."""

    organisations: list[dict[str, str]] = field(default_factory=list)
    relations: list[tuple[dict[str, str], Outcome]] = field(default_factory=list)

    @property
    def event_count(self) -> int:
        return len(self.organisations) + len(self.relations)


def build_demo(ledger: Ledger) -> DemoReport:
    """Record the Pohang seed network into an empty ledger, in one transaction (a bulk)."""
    if ledger.count():
        raise RuleViolation(
            "db",
            f"{ledger.location} already holds {ledger.count()} events",
            "the demo only builds into an empty ledger: pass --db NEW.db",
        )
    organisations = read_seed("organisations.csv")
    relations = read_seed("relations.csv")
    report = DemoReport(organisations=organisations)
    founded = {row["object"]: row["date"] for row in relations if row["event_type"] == "establishment"}
    drafts = [_organisation(ledger, org, founded.get(org["key"])) for org in organisations]
    drafts += [_relation(ledger, row, relations) for row in relations]

    def work(s: Session) -> list[Outcome]:
        return [execute(s, d) for d in drafts]

    with ledger.bulk():
        outcomes = ledger.run(work)
    report.relations = list(zip(relations, outcomes[len(organisations) :], strict=True))
    return report


def _draft(
    ledger: Ledger, type_name: str, meta: dict[str, Any], fields: dict[str, Any], target: UUID | None = None
) -> LedgerEvent:
    m = ledger.meta_for(**meta)
    return draft(event_type(type_name), m, fields, originator_of(type_name, m.event_id, fields, target))


def _organisation(ledger: Ledger, org: dict[str, str], founded: str | None) -> LedgerEvent:
    """The registration of *org*, dated *founded* when a row of the seed says when it was established."""
    meta = {
        "event_id": demo_event_id(org["key"]),
        "effective": founded,
        "source": org["source_url"],
        "note": org["note"],
    }
    fields = dict(
        key=org["key"],
        name_ko=org["name_ko"] or None,
        name_en=org["name_en"] or None,
        sector=org["sector"],
        subtype=org["org_subtype"] or None,
        country="KR",
    )
    return _draft(ledger, "organisation.registered", meta, fields)


def _relation(ledger: Ledger, row: dict[str, str], relations: list[dict[str, str]]) -> LedgerEvent:
    meta = {
        "event_id": demo_event_id(row["event_id"]),
        "effective": row["date"],
        "source": row["source_url"],
        "note": f"{row['event_id']}: {row['statement']}",
    }
    kind = row["event_type"]
    subject, obj, role = row["subject"], row["object"], row["role_of_object"] or None
    money: dict[str, Any] = {"amount": row["amount"], "currency": row["currency"]} if row["amount"] else {}
    if kind == "expiry":  # the designation this row ends is the one of the same subject and object
        designation = next(
            r for r in relations if r["event_type"] == "designation" and r["subject"] == subject and r["object"] == obj
        )
        return _draft(ledger, "support.ended", meta, {}, demo_event_id(designation["event_id"]))
    support_kind = {
        "designation": "designation",
        "grant_budget": "grant",
        "opening": "investment",
    }.get(kind) or (SUPPORT_KIND.get(subject) if kind == "support" else None)
    if support_kind:
        fields = dict(
            kind=support_kind,
            funders=[Party(key=subject, role="funder")],
            recipients=[Party(key=obj, role=role or "recipient")],
            title=row["statement"][:200],
            **money,
        )
        return _draft(ledger, "support.awarded", meta, fields)
    parties = [Party(key=subject, role=SUBJECT_ROLE.get(kind, "partner")), Party(key=obj, role=role)]
    return _draft(ledger, "partnership.formed", meta, dict(parties=parties, title=kind.replace("_", " ")))
