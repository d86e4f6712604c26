"""``netledger show``: one organisation or relation on a day D, as known at a cut T, then its history.

The state follows the rules of docs/time.md (``projections.terms``): names and
terms in force on D, whether it exists or is alive on D, the payments made by D.
The history lists every event of the aggregate known at T, in recorded order,
each with its status (``projections.timeline.statuses_of``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.agreement import Agreement
from domain.errors import RuleViolation
from domain.events import Aggregate
from domain.ledger import Ledger
from domain.organisation import Organisation, organisation_id
from domain.partnership import Partnership
from domain.support import Support
from projections.directory import resolve
from projections.store import load_network
from projections.terms import Positioned, known, money_text, organisation_on, parties_text, relation_on
from projections.timeaxes import When, query_day
from projections.timeline import facts_of, statuses_of


def find_aggregate(ledger: Ledger, key_or_id: str) -> Aggregate:
    """The aggregate named by an organisation key (or name, or identifier), an aggregate id or any of its event ids."""
    try:
        uid = UUID(key_or_id)
    except ValueError:
        aggregate = ledger.get(organisation_id(key_or_id))
        if aggregate is None:  # a name or an identifier, or a near miss (the directory says which)
            aggregate = ledger.get(organisation_id(resolve(load_network(ledger), key_or_id, "KEY_OR_ID")))
    else:
        aggregate = ledger.get(uid)
        if aggregate is None:
            found = ledger.find(uid)
            aggregate = ledger.get(found[1].originator_id) if found else None
    if aggregate is None:
        raise RuleViolation(
            "KEY_OR_ID",
            f"nothing in the ledger is named {key_or_id!r}",
            "give an organisation key, or an id from 'netledger log'",
        )
    return aggregate


def describe_on(
    ledger: Ledger,
    key_or_id: str,
    *,
    as_of: When | None = None,
    position: int | None = None,
    known_at: datetime | None = None,
) -> dict[str, Any]:
    """The state of one aggregate on *as_of* (default today) as known at the cut, and its history.

    Returns
    -------
    dict
        ``as_of`` (the ISO day), ``state`` (see ``state_on``) and ``history``: one
        ``{"position", "event", "status"}`` per event of the aggregate known at the
        cut, in recorded order (the status as of *as_of* when it is given).
    """
    day = query_day(as_of)
    aggregate = find_aggregate(ledger, key_or_id)
    recorded = []
    for event in aggregate.history:
        found = ledger.find(event.event_id)
        recorded.append((found[0] if found else 0, event))
    cut = [
        (p, e)
        for p, e in recorded
        if (position is None or p <= position) and (known_at is None or e.recorded_at <= known_at)
    ]
    live, _ = known(cut)
    statuses = statuses_of(facts_of(cut), day if as_of is not None else None)
    return {
        "as_of": day,
        "state": state_on(aggregate, live, day),
        "history": [{"position": p, "event": e, "status": statuses.get(p, "")} for p, e in cut],
    }


def state_on(aggregate: Aggregate, live: list[Positioned], day: str) -> dict[str, Any]:
    """The state of *aggregate* on ISO *day*, from its events that count (``projections.terms.known``).

    Keys, by kind (values as written in the ledger; None when not known):

    - organisation: ``kind``, ``id``, ``key``, ``status`` (``active``, ``not yet registered``,
      ``dissolved``, ``unregistered``), then ``name_ko``, ``name_en`` (on *day*), ``sector``,
      ``subtype``, ``identifiers``, ``country``, ``locality``, ``registered`` (its date) and
      ``dissolved`` (the earliest dated dissolution, ``undated``, or None);
    - partnership: ``kind``, ``id``, ``status`` (``active``, ``not yet started``, ``ended``,
      ``retracted``), ``title``, ``parties``, ``start``, ``end`` (its earliest closing date);
    - agreement: the same with ``not yet signed`` / ``terminated``, ``agreement_kind``, ``title``,
      ``parties``, ``signed``, ``term_end``, ``end``;
    - support: the same with ``not yet awarded`` / ``ended`` / ``withdrawn``, ``support_kind``,
      ``funders``, ``recipients``, ``programme``, ``amount``, ``currency``, ``planned_start``,
      ``planned_end``, ``title``, ``description``, ``reference``, ``awarded``, ``disbursed`` (by
      *day*), ``end``.
    """
    state: dict[str, Any] = {"kind": aggregate.kind, "id": str(aggregate.id)}
    if isinstance(aggregate, Organisation):
        org = organisation_on(live, day)
        key = org.key or (aggregate.history[0].key if aggregate.history else None)  # type: ignore[attr-defined]
        state.update(key=key, status=org.status)
        reg = org.registration
        if reg is not None:
            state.update(
                name_ko=org.name_ko,
                name_en=org.name_en,
                sector=reg.sector,
                subtype=reg.subtype,
                identifiers=list(reg.identifiers),
                country=reg.country,
                locality=reg.locality,
                registered=_text(reg.effective),
                dissolved=org.dissolved,
            )
        return state
    relation = relation_on(live, day)
    state["status"] = relation.status
    if relation.created is None:
        return state
    terms = relation.terms
    end = _text(relation.closed.effective) if relation.closed is not None else None
    start = _text(relation.created.effective)
    if isinstance(aggregate, Partnership):
        state.update(title=terms["title"], parties=parties_text(terms["parties"]), start=start, end=end)
    elif isinstance(aggregate, Agreement):
        state.update(
            agreement_kind=terms["kind"],
            title=terms["title"],
            parties=parties_text(terms["parties"]),
            signed=start,
            term_end=_text(terms["term_end"]),
            end=end,
        )
    elif isinstance(aggregate, Support):
        state.update(
            support_kind=terms["kind"],
            funders=parties_text(terms["funders"]),
            recipients=parties_text(terms["recipients"]),
            programme=terms["programme"],
            amount=money_text(terms["amount"]),
            currency=terms["currency"],
            planned_start=_text(terms["planned_start"]),
            planned_end=_text(terms["planned_end"]),
            title=terms["title"],
            description=terms["description"],
            reference=terms["reference"],
            awarded=start,
            disbursed=money_text(relation.disbursed),
            end=end,
        )
    return state


def _text(value: object) -> str | None:
    return None if value is None else str(value)
