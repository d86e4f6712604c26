"""User stories through the library API, checking the ledger after every step."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.agreement import Agreement
from domain.errors import RuleViolation
from domain.events import Aggregate
from domain.ledger import Ledger
from domain.organisation import Organisation, organisation_id
from domain.partnership import Partnership
from domain.records import to_record
from domain.support import Support


def types(ledger: Ledger) -> list[str]:
    return [event.type_name for _, event in ledger.events()]


def org(ledger: Ledger, key: str) -> Organisation:
    found = ledger.organisation(key)
    assert found is not None, key
    return found


def state(aggregate: Aggregate | None) -> dict[str, Any]:
    """Everything an aggregate knows, comparable across ledger objects."""
    assert aggregate is not None
    return {
        "class": type(aggregate).__name__,
        "id": aggregate.id,
        "version": aggregate.version,
        "exists": aggregate.exists,
        "history": [e.model_dump(mode="json") for e in aggregate.history],
        "retracted": sorted(str(k) for k in aggregate.retracted),
        "fields": {
            k: v for k, v in attributes(aggregate).items() if k not in ("id", "version", "history", "retracted")
        },
    }


def attributes(aggregate: Aggregate) -> dict[str, Any]:
    """Every attribute of *aggregate* (aggregates keep their state in ``__slots__``)."""
    names = [name for cls in type(aggregate).__mro__ for name in getattr(cls, "__slots__", ())]
    return {name: getattr(aggregate, name) for name in names if hasattr(aggregate, name)}


# -- an organisation's life, and a second ledger object reading it back ---------------------------------------------


def test_organisations_partnership_rename_dissolve_then_reopen(ledger: Ledger, db_path: Path) -> None:
    ledger.register_organisation(
        "postech", sector="university", name_ko="포항공과대학교", name_en="POSTECH", effective="1986"
    )
    ledger.register_organisation("rist", sector="research_institute", name_en="RIST", effective="1987")
    assert ledger.count() == 2
    assert org(ledger, "postech").name == "POSTECH"
    assert org(ledger, "rist").version == 1

    formed = ledger.form_partnership(["postech:lead", "rist:member"], effective="2019-10", title="Steel AI")
    assert (formed.status, formed.position) == ("recorded", 3)
    pid = formed.aggregate_id
    assert pid == formed.event.event_id
    p = ledger.get(pid)
    assert isinstance(p, Partnership) and p.exists and p.ended is None
    assert [(x.key, x.role) for x in p.parties] == [("postech", "lead"), ("rist", "member")]
    assert str(p.start) == "2019-10"

    renamed = ledger.rename_organisation(
        "rist", name_en="Research Institute of Industrial Science", effective="2020-01"
    )
    rist = org(ledger, "rist")
    assert rist.name == "Research Institute of Industrial Science"
    assert [(n.name_en, str(n.effective) if n.effective else None) for n in rist.names] == [
        ("RIST", "1987"),
        ("Research Institute of Industrial Science", "2020-01"),
    ]
    assert rist.names[-1].event_id == renamed.event.event_id
    assert rist.version == 2

    ledger.dissolve_organisation("rist", effective="2023-06")
    rist = org(ledger, "rist")
    assert rist.is_dissolved and str(rist.dissolved) == "2023-06"
    assert rist.exists
    with pytest.raises(RuleViolation) as info:
        ledger.form_partnership(["postech", "rist"], effective="2024")
    assert info.value.field == "parties[1]"
    with pytest.raises(RuleViolation, match="organisation 'rist' is dissolved"):
        ledger.rename_organisation("rist", name_en="RIST again")

    assert types(ledger) == [
        "organisation.registered",
        "organisation.registered",
        "partnership.formed",
        "organisation.renamed",
        "organisation.dissolved",
    ]
    assert ledger.count() == 5

    with Ledger(db_path, actor="someone-else") as second:
        assert list(second.events()) == list(ledger.events())
        assert second.count() == ledger.count() == 5
        for aggregate_id in (organisation_id("postech"), organisation_id("rist"), pid):
            assert state(second.get(aggregate_id)) == state(ledger.get(aggregate_id))
        assert org(second, "rist").names == org(ledger, "rist").names
        assert second.name == ledger.name == "ledger"


def test_second_ledger_sees_what_the_first_writes_next(ledger: Ledger, db_path: Path) -> None:
    ledger.register_organisation("a", sector="firm", name_en="A")
    with Ledger(db_path, actor="other") as second:
        assert org(second, "a").version == 1
        second.register_organisation("b", sector="firm", name_en="B")
        ledger.rename_organisation("a", name_en="A2")
        assert org(second, "a").name == "A2"
        assert org(ledger, "b").exists
        assert [e.recorded_by for _, e in ledger.events()] == ["tester", "other", "tester"]


# -- past versions ---------------------------------------------------------------------------------------------------


def test_past_versions_of_an_aggregate(ledger: Ledger) -> None:
    ledger.register_organisation("a", sector="university", name_en="A")
    ledger.rename_organisation("a", name_en="A two")
    ledger.dissolve_organisation("a", effective="2020")
    oid = organisation_id("a")

    v1 = ledger.get(oid, version=1)
    assert isinstance(v1, Organisation)
    assert (v1.version, v1.name, v1.is_dissolved, len(v1.history)) == (1, "A", False, 1)
    v2 = ledger.get(oid, version=2)
    assert isinstance(v2, Organisation)
    assert (v2.version, v2.name, v2.is_dissolved) == (2, "A two", False)
    now = ledger.get(oid)
    assert isinstance(now, Organisation)
    assert (now.version, now.name, now.is_dissolved) == (3, "A two", True)


def test_past_version_of_a_relation_before_it_ended(ledger: Ledger) -> None:
    ledger.register_organisation("a", sector="firm", name_en="A")
    ledger.register_organisation("b", sector="firm", name_en="B")
    aid = ledger.sign_agreement(["a", "b"], kind="mou", title="MOU", effective="2019", term_end="2021").aggregate_id
    ledger.amend_agreement(aid, term_end="2023", effective="2020")
    ledger.terminate_agreement(aid, effective="2022")
    signed = ledger.get(aid, version=1)
    assert isinstance(signed, Agreement)
    assert (str(signed.term_end), signed.terminated, signed.amendments) == ("2021", None, [])
    amended = ledger.get(aid, version=2)
    assert isinstance(amended, Agreement)
    assert (str(amended.term_end), amended.terminated) == ("2023", None)
    final = ledger.get(aid)
    assert isinstance(final, Agreement)
    assert final.terminated is not None and str(final.terminated.effective) == "2022"


def test_unknown_aggregate_reads_as_none(ledger: Ledger) -> None:
    assert ledger.get(UUID(int=1)) is None
    assert ledger.organisation("nobody") is None
    assert ledger.find(UUID(int=1)) is None


# -- retraction --------------------------------------------------------------------------------------------------------


def test_retracting_the_end_of_a_partnership_makes_it_active_again(ledger: Ledger) -> None:
    ledger.register_organisation("a", sector="firm", name_en="A")
    ledger.register_organisation("b", sector="firm", name_en="B")
    pid = ledger.form_partnership(["a", "b"], effective="2019").aggregate_id
    ended = ledger.end_partnership(pid, effective="2020")
    p = ledger.get(pid)
    assert isinstance(p, Partnership) and str(p.ended) == "2020"

    retraction = ledger.retract(ended.event.event_id, reason="it did not end")
    p = ledger.get(pid)
    assert isinstance(p, Partnership)
    assert p.ended is None and p.ended_event is None and p.exists
    assert p.version == 3
    assert ended.event.event_id in p.retracted
    assert retraction.event.type_name == "partnership.retracted"
    # the retracted event stays in the log, next to its retraction
    logged = [(e.type_name, e.event_id) for _, e in ledger.events()]
    assert ("partnership.ended", ended.event.event_id) in logged
    assert logged[-1] == ("partnership.retracted", retraction.event.event_id)
    found = ledger.find(ended.event.event_id)
    assert found is not None and found[1] == ended.event
    # and the partnership can be ended again, for real this time
    again = ledger.end_partnership(pid, effective="2024")
    p = ledger.get(pid)
    assert isinstance(p, Partnership) and str(p.ended) == "2024" and p.ended_event == again.event


def test_retracting_a_registration_lets_the_key_be_registered_again(ledger: Ledger, db_path: Path) -> None:
    first = ledger.register_organisation("dup", sector="firm", name_en="Duplicate")
    ledger.retract(first.event.event_id, reason="registered by mistake")
    gone = org(ledger, "dup")
    assert not gone.exists
    assert gone.name == ""
    assert gone.names == []
    assert ledger.count() == 2
    with pytest.raises(RuleViolation, match="unknown organisation 'dup'"):
        ledger.rename_organisation("dup", name_en="X")

    second = ledger.register_organisation("dup", sector="university", name_en="The real one")
    again = org(ledger, "dup")
    assert again.exists and again.name == "The real one" and again.version == 3
    assert again.registered == second.event
    assert types(ledger) == ["organisation.registered", "organisation.retracted", "organisation.registered"]

    with Ledger(db_path) as reopened:
        assert state(reopened.organisation("dup")) == state(again)


def test_retracting_a_dissolution_lets_the_organisation_join_relations(ledger: Ledger) -> None:
    ledger.register_organisation("a", sector="firm", name_en="A")
    ledger.register_organisation("b", sector="firm", name_en="B")
    dissolved = ledger.dissolve_organisation("b", effective="2018")
    with pytest.raises(RuleViolation, match="'b' is dissolved"):
        ledger.form_partnership(["a", "b"], effective="2019")
    ledger.retract(dissolved.event.event_id, reason="wrong organisation")
    assert not org(ledger, "b").is_dissolved
    assert ledger.form_partnership(["a", "b"], effective="2019").status == "recorded"


def test_retracting_a_rename_restores_the_old_name(ledger: Ledger) -> None:
    ledger.register_organisation("a", sector="firm", name_ko="에이", name_en="A")
    renamed = ledger.rename_organisation("a", name_en="Typo")
    ledger.retract(renamed.event.event_id, reason="typo")
    a = org(ledger, "a")
    assert (a.name, a.name_ko, [n.name_en for n in a.names]) == ("A", "에이", ["A"])


def test_retracting_a_disbursement_removes_it_from_the_total(ledger: Ledger) -> None:
    ledger.register_organisation("f", sector="funder", name_en="F")
    ledger.register_organisation("r", sector="firm", name_en="R")
    sid = ledger.award_support(
        kind="grant", funders=["f"], recipients=["r"], amount="1000", currency="KRW", effective="2019"
    ).aggregate_id
    ledger.disburse_support(sid, amount="300", currency="KRW", effective="2019-06")
    wrong = ledger.disburse_support(sid, amount="3000", currency="KRW", effective="2019-07")
    s = ledger.get(sid)
    assert isinstance(s, Support) and str(s.total_disbursed) == "3300"
    ledger.retract(wrong.event.event_id, reason="extra zero")
    s = ledger.get(sid)
    assert isinstance(s, Support)
    assert str(s.total_disbursed) == "300"
    assert len(s.disbursed) == 1 and s.version == 4


# -- a whole log replays into another ledger ---------------------------------------------------------------------------


def test_log_replays_into_an_empty_ledger_with_the_same_content(
    ledger: Ledger, tmp_path: Path, snapshot: Callable[[Ledger], list[Any]]
) -> None:
    ledger.register_organisation("a", sector="university", name_ko="가", identifiers=["kr-brn:1"], country="kr")
    ledger.register_organisation("b", sector="funder", name_en="B")
    ledger.register_organisation("p", sector="programme", name_en="Programme")
    ledger.rename_organisation("a", name_en="A", effective="2020")
    pid = ledger.form_partnership(["a:lead", "b"], effective="2019-10").aggregate_id
    ledger.retract(ledger.end_partnership(pid, effective="2020").event.event_id, reason="wrong")
    sid = ledger.award_support(
        kind="grant", funders=["b"], recipients=["a"], programme="p", amount="1000.50", currency="KRW", effective="2019"
    ).aggregate_id
    ledger.disburse_support(sid, amount=500, currency="KRW", effective="2019-12")
    ledger.withdraw_support(sid, effective="2021")
    ledger.dissolve_organisation("b", effective="2022")
    records = [json.loads(json.dumps(to_record(p, e))) for p, e in ledger.events()]

    with Ledger(tmp_path / "copy.db", actor="importer", create=True) as copy:
        outcomes = copy.append(records)
        assert [o.status for o in outcomes] == ["recorded"] * len(records)
        assert [o.position for o in outcomes] == [r["position"] for r in records]
        assert [e.content() for _, e in copy.events()] == [e.content() for _, e in ledger.events()]
        assert {e.recorded_by for _, e in copy.events()} == {"importer"}
        assert copy.get(pid).version == ledger.get(pid).version  # type: ignore[union-attr]
        rows = snapshot(copy)
        assert [o.status for o in copy.append(records)] == ["already recorded"] * len(records)
        assert snapshot(copy) == rows
