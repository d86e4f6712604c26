"""The current state of one aggregate, as a plain dict for ``netledger show``."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.agreement import Agreement
from domain.errors import RuleViolation
from domain.events import Aggregate
from domain.ledger import Ledger
from domain.organisation import Organisation, organisation_id
from domain.partnership import Partnership
from domain.support import Support


def find_aggregate(ledger: Ledger, key_or_id: str) -> Aggregate:
    """The aggregate named by an organisation key, an aggregate id or any of its event ids."""
    try:
        uid = UUID(key_or_id)
    except ValueError:
        aggregate = ledger.get(organisation_id(key_or_id))
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


def _closing(event: Any) -> str:
    return f"{event.effective} ({event.type_name})" if event is not None else ""


def describe(aggregate: Aggregate) -> dict[str, Any]:
    """Plain-Python state of an aggregate; ``status`` is active, ended or retracted."""
    state: dict[str, Any] = {"kind": aggregate.kind, "id": str(aggregate.id), "version": aggregate.version}
    if not aggregate.exists:
        state["status"] = "retracted"
        return state
    if isinstance(aggregate, Organisation):
        reg = aggregate.registered
        assert reg is not None
        state.update(
            key=aggregate.key,
            name_ko=aggregate.name_ko,
            name_en=aggregate.name_en,
            sector=reg.sector,
            subtype=reg.subtype,
            identifiers=reg.identifiers,
            country=reg.country,
            locality=reg.locality,
            status="dissolved" if aggregate.is_dissolved else "active",
            dissolved=str(aggregate.dissolved) if aggregate.dissolved else None,
            former_names=[
                " / ".join(n for n in (c.name_ko, c.name_en) if n) + (f" (from {c.effective})" if c.effective else "")
                for c in aggregate.names[:-1]
            ],
        )
    elif isinstance(aggregate, Partnership):
        state.update(
            title=aggregate.formed.title if aggregate.formed else None,
            parties=[str(p) for p in aggregate.parties],
            start=str(aggregate.start),
            ended=_closing(aggregate.ended_event),
            status="ended" if aggregate.ended_event else "active",
        )
    elif isinstance(aggregate, Agreement):
        assert aggregate.signed is not None
        state.update(
            agreement_kind=aggregate.signed.kind,
            title=aggregate.title,
            parties=[str(p) for p in aggregate.parties],
            signed=str(aggregate.start),
            term_end=str(aggregate.term_end) if aggregate.term_end else None,
            amendments=len(aggregate.amendments),
            terminated=_closing(aggregate.terminated),
            status="terminated" if aggregate.terminated else "active",
        )
    elif isinstance(aggregate, Support):
        award = aggregate.awarded
        assert award is not None
        state.update(
            support_kind=award.kind,
            title=aggregate.title,
            funders=[str(p) for p in award.funders],
            recipients=[str(p) for p in award.recipients],
            programme=award.programme,
            amount=str(aggregate.amount) if aggregate.amount is not None else None,
            currency=aggregate.currency,
            awarded=str(award.effective),
            disbursed=str(aggregate.total_disbursed) if aggregate.disbursed else None,
            closed=_closing(aggregate.closed),
            status=("withdrawn" if isinstance(aggregate.closed, Support.Withdrawn) else "ended")
            if aggregate.closed
            else "active",
        )
    state["retracted_events"] = [str(e) for e in aggregate.retracted]
    return {k: v for k, v in state.items() if v not in (None, "", [])}
