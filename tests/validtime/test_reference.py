"""The reference evaluator against hand-worked answers, one rule of ``docs/time.md`` at a time.

Every ledger here is real (``Ledger`` on a temporary SQLite file). Each expected value was worked
out by hand from the spec; the comment next to it says how.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.ledger import Ledger
from domain.organisation import organisation_id
from tests.validtime import reference as ref


# -- helpers -------------------------------------------------------------------------------------
def known(ledger: Ledger, position: int | None = None, known_at: datetime | None = None) -> ref.Log:
    return ref.cut(list(ledger.events()), position=position, known_at=known_at)


def net(ledger: Ledger, when: str, **cut: Any) -> tuple[ref.Nodes, ref.Ties]:
    return ref.network(known(ledger, **cut), ref.query_day(when))


def ties(ledger: Ledger, when: str, **cut: Any) -> dict[tuple[str, str, str], dict[str, Any]]:
    return net(ledger, when, **cut)[1]


def tie(ledger: Ledger, when: str, aggregate_id: UUID, n: int = 0) -> dict[str, Any]:
    """The attributes of tie ``<id>:<n>`` on *when* (KeyError when it does not count)."""
    (found,) = [attrs for (_u, _v, k), attrs in ties(ledger, when).items() if k == f"{aggregate_id}:{n}"]
    return found


def show(ledger: Ledger, target: UUID | str, when: str, **cut: Any) -> dict[str, Any]:
    return ref.show_state(known(ledger, **cut), target, ref.query_day(when))


def status_of(ledger: Ledger, event_id: UUID, when: str | None = None) -> str:
    events = known(ledger)
    position = next(p for p, e in events if e.event_id == event_id)
    return ref.statuses(events, None if when is None else ref.query_day(when))[position]


def in_force(ledger: Ledger, when: str) -> list[int]:
    return ref.in_force(known(ledger), ref.query_day(when))


def reg(ledger: Ledger, *keys: str, **fields: Any) -> list[int | None]:
    """Register *keys* (undated unless ``effective`` is given); their positions."""
    fields.setdefault("sector", "university")
    return [ledger.register_organisation(k, name_en=k.upper(), **fields).position for k in keys]


# -- 1. dates ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("when", "day"),
    [
        ("2019", "2019-12-31"),  # a year means its last day
        ("2019-07", "2019-07-31"),  # July has 31 days
        ("2019-02", "2019-02-28"),  # 2019 is not a leap year
        ("2020-02", "2020-02-29"),  # 2020 is
        ("2019-07-15", "2019-07-15"),  # a day is itself
        (date(2019, 7, 15), "2019-07-15"),  # a date is itself
    ],
)
def test_query_day_is_the_last_day_of_a_partial_query_date(when: str | date, day: str) -> None:
    assert ref.query_day(when) == day


def test_an_event_takes_effect_on_the_first_day_of_its_date(ledger: Ledger) -> None:
    reg(ledger, "a", "b")
    p = ledger.form_partnership(["a", "b"], effective="2019-07").aggregate_id
    # "2019-07" takes effect on 2019-07-01: not on 2019-06-30 (= as of "2019-06"), yes on 07-01, 07-31 ("2019-07")
    # and 2019-12-31 ("2019").
    assert ties(ledger, "2019-06") == {}
    assert ties(ledger, "2019-06-30") == {}
    for when in ("2019-07-01", "2019-07", "2019"):
        assert list(ties(ledger, when)) == [("a", "b", f"{p}:0")]
    q = ledger.form_partnership(["a", "b"], effective="2020").aggregate_id
    # "2020" starts on 2020-01-01: as of "2019" (12-31) it does not count yet, as of "2020-01-01" it does.
    assert len(ties(ledger, "2019")) == 1
    assert ("a", "b", f"{q}:0") in ties(ledger, "2020-01-01")


# -- 3. organisations ----------------------------------------------------------------------------
def test_future_dated_registration(ledger: Ledger) -> None:
    reg(ledger, "a")
    reg(ledger, "f", effective="2030")
    p = ledger.form_partnership(["a", "f"], effective="2020").aggregate_id
    # f exists from 2030-01-01: on 2025 (and on 2029-12-31) only a is a node and the tie does not count.
    assert net(ledger, "2025") == (
        {
            "a": {
                "key": "a",
                "name": "A",
                "name_ko": None,
                "name_en": "A",
                "sector": "university",
                "subtype": None,
                "identifiers": [],
                "country": None,
                "locality": None,
                "registered": True,
                "start": None,
                "dissolved": None,
            }
        },
        {},
    )
    assert ties(ledger, "2029") == {}
    assert list(ties(ledger, "2030-01-01")) == [("a", "f", f"{p}:0")]
    assert net(ledger, "2030")[0]["f"]["start"] == "2030"
    state = show(ledger, "f", "2025")
    assert state["status"] == "not yet registered"
    assert state["registered"] == "2030"
    assert show(ledger, "f", "2030")["status"] == "active"


def test_undated_registration_exists_from_the_beginning_of_time(ledger: Ledger) -> None:
    reg(ledger, "a")
    reg(ledger, "b", effective="2019-06")
    # a (undated) exists even in the year 1000; b from 2019-06-01.
    assert set(net(ledger, "1000")[0]) == {"a"}
    assert set(net(ledger, "2019-05")[0]) == {"a"}
    assert set(net(ledger, "2019-06")[0]) == {"a", "b"}
    assert net(ledger, "1000")[0]["a"]["start"] is None
    assert show(ledger, "a", "1000")["registered"] is None


def test_dated_dissolution_ends_existence_on_its_day_and_ends_ties(ledger: Ledger) -> None:
    reg(ledger, "a", "b")
    p = ledger.form_partnership(["a", "b"], effective="2019", title="P").aggregate_id
    q = ledger.form_partnership(["a", "b"], effective="2019", title="Q").aggregate_id
    ledger.end_partnership(q, effective="2020-12")
    ledger.end_partnership(p, effective="2022")
    dissolved = ledger.dissolve_organisation("b", effective="2021-03").position
    # On 2020-06 both ties count. P's end = earliest of its closing 2022 and b's dissolution 2021-03 -> 2021-03;
    # Q's end = earliest of 2020-12 and 2021-03 -> 2020-12.
    assert tie(ledger, "2020-06", p)["end"] == "2021-03"
    assert tie(ledger, "2020-06", p)["end_on"] == "2021-03-01"
    assert tie(ledger, "2020-06", q)["end"] == "2020-12"
    assert tie(ledger, "2020-06", q)["end_on"] == "2020-12-01"
    # Q is closed from its closing day on (half-open interval): counts on 2020-11-30, not on 2020-12-01.
    assert ("a", "b", f"{q}:0") in ties(ledger, "2020-11-30")
    assert ("a", "b", f"{q}:0") not in ties(ledger, "2020-12-01")
    assert show(ledger, q, "2020-12-01")["status"] == "ended"
    # b exists on 2021-02-28 (its node says when it will be dissolved), not on 2021-03-01 (the day itself).
    assert net(ledger, "2021-02")[0]["b"]["dissolved"] == "2021-03"
    nodes, on_day = net(ledger, "2021-03-01")
    assert set(nodes) == {"a"}
    assert on_day == {}
    assert show(ledger, "b", "2021-02")["status"] == "active"
    assert show(ledger, "b", "2021-03-01")["status"] == "dissolved"
    assert show(ledger, "b", "2019")["dissolved"] == "2021-03"  # regardless of D
    assert dissolved not in in_force(ledger, "2020")  # a dated dissolution is never in force


def test_undated_dissolution_only_marks_the_organisation(ledger: Ledger) -> None:
    reg(ledger, "a", "b")
    p = ledger.form_partnership(["a", "b"], effective="2019").aggregate_id
    dissolved = ledger.dissolve_organisation("b").position
    # An undated dissolution does not end existence: b is a node on every day, marked "undated"; no tie end.
    nodes, _ = net(ledger, "2050")
    assert nodes["b"]["dissolved"] == "undated"
    assert tie(ledger, "2050", p)["end"] is None
    assert show(ledger, "b", "2050")["status"] == "active"
    assert show(ledger, "b", "2050")["dissolved"] == "undated"
    assert dissolved in in_force(ledger, "2050")  # in force while b exists
    assert status_of(ledger, known(ledger)[-1][1].event_id) == ""


def test_renames_dated_undated_and_back_dated(ledger: Ledger) -> None:
    ledger.register_organisation("a", sector="firm", name_en="Old", name_ko="옛")  # 1
    r2020 = ledger.rename_organisation("a", name_en="New2020", effective="2020").event  # 2
    undated = ledger.rename_organisation("a", name_ko="새").event  # 3
    r2019 = ledger.rename_organisation("a", name_en="New2019", effective="2019-06").event  # 4, back-dated
    # The undated rename applies on every day (ko = 새); the dated ones from their days, in day order.
    assert show(ledger, "a", "2019-05")["name_en"] == "Old"
    assert show(ledger, "a", "2019-05")["name_ko"] == "새"
    assert net(ledger, "2019-05")[0]["a"]["name"] == "Old"  # name = name_en when set
    assert show(ledger, "a", "2019-06")["name_en"] == "New2019"
    assert show(ledger, "a", "2020")["name_en"] == "New2020"  # 2020-01-01 comes after 2019-06-01
    # Change order: undated (3), 2019-06 (4), 2020 (2). Only 4 is later-overwritten (its name_en by 2).
    assert status_of(ledger, r2019.event_id) == f"superseded by {r2020.event_id}"
    assert status_of(ledger, r2020.event_id) == ""
    assert status_of(ledger, undated.event_id) == ""  # nobody sets name_ko again
    registration = known(ledger)[0][1].event_id
    assert status_of(ledger, registration) == f"renamed by {undated.event_id}, {r2019.event_id}, {r2020.event_id}"
    # As of 2019-12 the 2020 rename is not in effect: nothing supersedes 4, and 2 is not listed.
    assert status_of(ledger, r2019.event_id, "2019-12") == ""
    assert status_of(ledger, registration, "2019-12") == f"renamed by {undated.event_id}, {r2019.event_id}"
    assert in_force(ledger, "2019-12") == [1, 3, 4]
    assert in_force(ledger, "2020") == [1, 2, 3]  # 4 is superseded on 2020


def test_a_rename_that_leaves_a_name_out_keeps_it(ledger: Ledger) -> None:
    ledger.register_organisation("a", sector="firm", name_en="A", name_ko="에이")
    ledger.rename_organisation("a", name_ko="새이름", effective="2020")
    # Only name_ko changes; name_en stays "A", and name is name_en.
    assert {k: net(ledger, "2020")[0]["a"][k] for k in ("name", "name_ko", "name_en")} == {
        "name": "A",
        "name_ko": "새이름",
        "name_en": "A",
    }


# -- 4. relations --------------------------------------------------------------------------------
def _titles(ledger: Ledger, agreement: UUID) -> list[str]:
    return [tie(ledger, when, agreement)["title"] for when in ("2019", "2020-06", "2021-06")]


def test_back_dated_amendment_recorded_after_a_later_one(ledger: Ledger, tmp_path: Path) -> None:
    reg(ledger, "a", "b")
    a = ledger.sign_agreement(["a", "b"], kind="mou", title="T0", effective="2018").aggregate_id
    t2 = ledger.amend_agreement(a, title="T2", effective="2021").event
    t1 = ledger.amend_agreement(a, title="T1", effective="2020").event  # back-dated, recorded last
    # Titles by day, whatever the recording order: T0 until 2019-12-31, T1 from 2020, T2 from 2021.
    assert _titles(ledger, a) == ["T0", "T1", "T2"]
    assert status_of(ledger, t1.event_id) == f"superseded by {t2.event_id}"  # T2 is later by day
    assert status_of(ledger, t2.event_id) == ""
    assert status_of(ledger, t1.event_id, "2020-06") == ""  # T2 is not in effect yet
    with Ledger(tmp_path / "other.db", actor="t", create=True) as other:  # the same facts, the other order
        reg(other, "a", "b")
        b = other.sign_agreement(["a", "b"], kind="mou", title="T0", effective="2018").aggregate_id
        other.amend_agreement(b, title="T1", effective="2020")
        other.amend_agreement(b, title="T2", effective="2021")
        assert _titles(other, b) == ["T0", "T1", "T2"]


def test_same_day_amendments_the_later_recorded_wins(ledger: Ledger) -> None:
    reg(ledger, "a", "b")
    one = ledger.sign_agreement(["a", "b"], kind="mou", title="T0", effective="2018").aggregate_id
    x = ledger.amend_agreement(one, title="X", effective="2020-01-01").event
    y = ledger.amend_agreement(one, title="Y", effective="2020").event  # same day 2020-01-01, recorded later
    two = ledger.sign_agreement(["a", "b"], kind="mou", title="T0", effective="2018").aggregate_id
    ledger.amend_agreement(two, title="Y", effective="2020")
    ledger.amend_agreement(two, title="X", effective="2020-01-01")  # recorded later: wins
    assert tie(ledger, "2020-01-01", one)["title"] == "Y"
    assert tie(ledger, "2020-01-01", two)["title"] == "X"
    assert status_of(ledger, x.event_id) == f"superseded by {y.event_id}"
    assert status_of(ledger, y.event_id) == ""


def test_agreement_party_amendment_drops_and_re_adds_a_party(ledger: Ledger) -> None:
    reg(ledger, "a", "b", "c")
    ag = ledger.sign_agreement(["a:x", "b:y", "c:z"], kind="consortium", title="C", effective="2018").aggregate_id
    drop = ledger.amend_agreement(ag, parties=["a:x", "b:y"], effective="2019").event
    back = ledger.amend_agreement(ag, parties=["a:x", "b:y", "c:w"], effective="2020").event
    # combinations of the parties on D, in list order: (a,b)=:0, (a,c)=:1, (b,c)=:2.
    roles = {k: (u, v, attrs["roles"]) for (u, v, k), attrs in ties(ledger, "2018").items()}
    assert roles == {
        f"{ag}:0": ("a", "b", ["x", "y"]),
        f"{ag}:1": ("a", "c", ["x", "z"]),
        f"{ag}:2": ("b", "c", ["y", "z"]),
    }
    assert list(ties(ledger, "2019")) == [("a", "b", f"{ag}:0")]  # c dropped
    assert tie(ledger, "2020", ag, 1)["roles"] == ["x", "w"]  # c back, in its new role
    assert tie(ledger, "2019", ag)["end"] is None  # dropping a party is not an end
    assert show(ledger, ag, "2019")["parties"] == ["a:x", "b:y"]
    assert show(ledger, ag, "2020")["parties"] == ["a:x", "b:y", "c:w"]
    assert status_of(ledger, drop.event_id) == f"superseded by {back.event_id}"
    assert status_of(ledger, ag) == f"amended by {drop.event_id}, {back.event_id}"
    assert in_force(ledger, "2019-06") == [1, 2, 3, 4, 5]  # 3 registrations, the signing, the 2019 amendment
    assert in_force(ledger, "2020-06") == [1, 2, 3, 4, 6]  # the 2019 amendment is superseded on 2020


def test_agreement_term_end_and_partial_amendment(ledger: Ledger) -> None:
    reg(ledger, "a", "b")
    ag = ledger.sign_agreement(["a", "b"], kind="contract", title="K", term_end="2022", effective="2019").aggregate_id
    both = ledger.amend_agreement(ag, title="K2", term_end="2023-06", effective="2020").event
    title = ledger.amend_agreement(ag, title="K3", effective="2021").event
    assert tie(ledger, "2019", ag)["term_end"] == "2022"
    assert tie(ledger, "2020", ag)["term_end"] == "2023-06"
    assert {k: tie(ledger, "2021", ag)[k] for k in ("title", "term_end", "kind")} == {
        "title": "K3",
        "term_end": "2023-06",
        "kind": "contract",
    }
    # "both" set title and term_end; the later one sets only title: some but not all fields -> "amended by".
    assert status_of(ledger, both.event_id) == f"amended by {title.event_id}"
    assert both.event_id != title.event_id


def test_support_ties_amount_currency_and_terms(ledger: Ledger) -> None:
    reg(ledger, "f1", "f2", sector="funder")
    reg(ledger, "r1", "r2")
    reg(ledger, "prog", sector="programme")
    s = ledger.award_support(
        kind="grant",
        funders=["f1:lead", "f2"],
        recipients=["r1", "r2:host"],
        programme="prog",
        amount="1000",
        currency="KRW",
        planned_start="2019",
        planned_end="2021",
        title="G",
        description="D",
        reference="REF-1",
        effective="2019-03",
    ).aggregate_id
    ledger.amend_support(s, amount="1500", effective="2020")  # no currency: keeps KRW
    ledger.amend_support(
        s, planned_start="2019-06", planned_end="2022", title="G2", description="D2", effective="2020-06"
    )
    ledger.amend_support(s, amount="2000.50", currency="KRW", effective="2021")
    # funders x recipients in list order: (f1,r1)=:0, (f1,r2)=:1, (f2,r1)=:2, (f2,r2)=:3.
    assert sorted(ties(ledger, "2019")) == sorted(
        [("f1", "r1", f"{s}:0"), ("f1", "r2", f"{s}:1"), ("f2", "r1", f"{s}:2"), ("f2", "r2", f"{s}:3")]
    )
    assert tie(ledger, "2019", s, 1) == {
        "aggregate_id": str(s),
        "tie_type": "support",
        "kind": "grant",
        "title": "G",
        "start": "2019-03",
        "start_on": "2019-03-01",
        "end": None,
        "end_on": None,
        "roles": ["lead", "host"],
        "amount": "1000",
        "currency": "KRW",
        "programme": "prog",
        "disbursed": None,
    }
    assert (tie(ledger, "2020-01", s)["amount"], tie(ledger, "2020-01", s)["currency"]) == ("1500", "KRW")
    assert tie(ledger, "2021", s)["amount"] == "2000.5"  # stored without trailing zeros
    state = show(ledger, s, "2020-12")
    assert state == {
        "kind": "support",
        "id": str(s),
        "status": "active",
        "support_kind": "grant",
        "funders": ["f1:lead", "f2"],
        "recipients": ["r1", "r2:host"],
        "programme": "prog",
        "amount": "1500",
        "currency": "KRW",
        "planned_start": "2019-06",
        "planned_end": "2022",
        "title": "G2",
        "description": "D2",
        "reference": "REF-1",
        "awarded": "2019-03",
        "disbursed": None,
        "end": None,
    }
    assert show(ledger, s, "2019-12")["planned_end"] == "2021"


def test_amount_without_currency_keeps_the_current_currency_even_none(ledger: Ledger) -> None:
    reg(ledger, "f", sector="funder")
    reg(ledger, "r")
    s = ledger.award_support(kind="grant", funders=["f"], recipients=["r"], effective="2019").aggregate_id
    ledger.disburse_support(s, amount="5", currency="USD", effective="2019-02")
    ledger.amend_support(s, amount="10", effective="2020")
    # The award had no currency; the amendment gives none: the currency on D stays None (spec 4, literally).
    assert (tie(ledger, "2020", s)["amount"], tie(ledger, "2020", s)["currency"]) == ("10", None)
    assert (tie(ledger, "2019", s)["amount"], tie(ledger, "2019", s)["disbursed"]) == (None, "5")


def test_amount_with_currency_then_amount_alone_is_amended_not_superseded(ledger: Ledger) -> None:
    reg(ledger, "f", sector="funder")
    reg(ledger, "r")
    s = ledger.award_support(
        kind="loan", funders=["f"], recipients=["r"], amount="1", currency="EUR", effective="2019"
    ).aggregate_id
    with_currency = ledger.amend_support(s, amount="3000", currency="EUR", effective="2020").event
    alone = ledger.amend_support(s, amount="3500", effective="2021").event
    # with_currency sets {amount, currency}; "alone" sets {amount}: currency is not set again -> "amended by".
    assert status_of(ledger, with_currency.event_id) == f"amended by {alone.event_id}"
    assert with_currency.event_id in {e.event_id for p, e in known(ledger) if p in in_force(ledger, "2021")}


def test_disbursements_are_cumulative_exact_sums(ledger: Ledger) -> None:
    reg(ledger, "f", sector="funder")
    reg(ledger, "r")
    s = ledger.award_support(
        kind="grant", funders=["f"], recipients=["r"], amount="10", currency="KRW", effective="2019"
    ).aggregate_id
    d1 = ledger.disburse_support(s, amount="0.1", currency="KRW", effective="2019-03").position
    d2 = ledger.disburse_support(s, amount="0.2", currency="KRW", effective="2019-05").position
    ledger.disburse_support(s, amount="1.7", currency="KRW", effective="2020")
    # Sums of the disbursements with day <= D: none, 0.1, 0.1+0.2 = 0.3, 0.1+0.2+1.7 = 2.0 written "2".
    assert [tie(ledger, when, s)["disbursed"] for when in ("2019-02", "2019-04", "2019-12", "2020")] == [
        None,
        "0.1",
        "0.3",
        "2",
    ]
    assert show(ledger, s, "2019-12")["disbursed"] == "0.3"
    assert in_force(ledger, "2019-06") == [1, 2, 3, d1, d2]  # registrations, award, the two paid by then


def test_amounts_are_written_like_the_ledger_writes_them(ledger: Ledger) -> None:
    reg(ledger, "f", sector="funder")
    reg(ledger, "r")
    s = ledger.award_support(
        kind="grant", funders=["f"], recipients=["r"], amount="1e3", currency="KRW", effective="2019"
    ).aggregate_id
    ledger.disburse_support(s, amount="1.25", currency="KRW", effective="2019-02")
    ledger.disburse_support(s, amount="1.25", currency="KRW", effective="2019-03")
    ledger.disburse_support(s, amount="0.50", currency="KRW", effective="2019-04")
    # 1e3 is stored "1000"; 1.25 + 1.25 = 2.50 is written "2.5"; + 0.5 = 3.00 is written "3".
    assert tie(ledger, "2019-03", s)["amount"] == "1000"
    assert tie(ledger, "2019-03", s)["disbursed"] == "2.5"
    assert tie(ledger, "2019-04", s)["disbursed"] == "3"


# -- 2. retractions and the knowledge cut --------------------------------------------------------
def test_retraction_of_an_amendment(ledger: Ledger) -> None:
    reg(ledger, "a", "b")
    ag = ledger.sign_agreement(["a", "b"], kind="mou", title="T0", effective="2018").aggregate_id
    am = ledger.amend_agreement(ag, title="T1", effective="2019")
    r = ledger.retract(am.event.event_id, reason="wrong")
    assert tie(ledger, "2020", ag)["title"] == "T0"  # as if T1 had never been recorded
    assert status_of(ledger, am.event.event_id) == f"retracted by {r.event.event_id}"
    assert status_of(ledger, ag) == ""  # no standing amendment left
    assert status_of(ledger, r.event.event_id) == ""
    assert in_force(ledger, "2020") == [1, 2, 3]
    # Known at the position before the retraction, T1 counts.
    assert r.position == 5  # 2 registrations, the signing, the amendment, the retraction
    assert ties(ledger, "2020", position=4)[("a", "b", f"{ag}:0")]["title"] == "T1"
    assert ref.statuses(known(ledger, position=am.position))[3] == f"amended by {am.event.event_id}"


def test_retraction_of_a_creation_removes_the_whole_relation(ledger: Ledger) -> None:
    reg(ledger, "a", "b")
    p = ledger.form_partnership(["a", "b"], effective="2019").aggregate_id
    ledger.end_partnership(p, effective="2021")
    ag = ledger.sign_agreement(["a", "b"], kind="mou", title="T", effective="2019").aggregate_id
    am = ledger.amend_agreement(ag, title="T2", effective="2020").position
    r1 = ledger.retract(p, reason="never happened").event
    ledger.retract(ag, reason="never happened")
    assert ties(ledger, "2020") == {}
    assert show(ledger, p, "2020") == {"kind": "partnership", "id": str(p), "status": "retracted"}
    assert show(ledger, ag, "2020") == {"kind": "agreement", "id": str(ag), "status": "retracted"}
    assert status_of(ledger, p) == f"retracted by {r1.event_id}"
    assert am not in in_force(ledger, "2020")  # an amendment of a relation that does not exist
    assert in_force(ledger, "2020") == [1, 2]


def test_knowledge_cut_by_position_and_by_known_at(ledger: Ledger) -> None:
    t = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=i) for i in range(4)]
    reg(ledger, "a", recorded_at=t[1])  # 1
    reg(ledger, "b", recorded_at=t[1])  # 2, the same stamp
    p = ledger.form_partnership(["a", "b"], effective="2019", recorded_at=t[2]).aggregate_id  # 3
    ledger.retract(p, reason="no", recorded_at=t[3])  # 4
    key = ("a", "b", f"{p}:0")
    # Position cut: the tie counts with 3 events known, not with 4 (the retraction is known).
    assert list(ties(ledger, "2020", position=3)) == [key]
    assert ties(ledger, "2020", position=4) == {}
    assert set(net(ledger, "2020", position=1)[0]) == {"a"}
    # known_at cut: recorded_at <= T; both registrations share t[1].
    assert ties(ledger, "2020", known_at=t[0]) == {}
    assert net(ledger, "2020", known_at=t[0])[0] == {}
    assert set(net(ledger, "2020", known_at=t[1])[0]) == {"a", "b"}
    assert list(ties(ledger, "2020", known_at=t[2])) == [key]
    assert ties(ledger, "2020", known_at=t[3]) == {}
    # A retraction recorded after T has no effect at T: the formation has no status then.
    assert ref.statuses(known(ledger, known_at=t[2])) == {1: "", 2: "", 3: ""}
    assert show(ledger, p, "2020", position=3)["status"] == "active"


def test_unregistered_party(ledger: Ledger) -> None:
    reg(ledger, "a", "b", "c")
    p = ledger.form_partnership(["a", "b"], effective="2019").aggregate_id
    ledger.dissolve_organisation("c", effective="2022")
    ledger.form_partnership(["a", "c"], effective="2019")
    ledger.retract(known(ledger)[1][1].event_id, reason="b never registered")  # b's registration
    ledger.retract(known(ledger)[2][1].event_id, reason="c never registered")  # c's registration
    nodes, on_2020 = net(ledger, "2020")
    # b and c have no registration: they show only while one of their ties counts, as {key, registered: False}.
    assert nodes["b"] == {"key": "b", "registered": False}
    assert nodes["c"] == {"key": "c", "registered": False}
    assert ("a", "b", f"{p}:0") in on_2020
    assert set(net(ledger, "2018")[0]) == {"a"}  # no tie counts before 2019: b and c are absent
    # Reading: c's dated dissolution (2022) neither stops its tie counting nor is its end (c is unregistered).
    assert [attrs["end"] for (u, v, _k), attrs in ties(ledger, "2023").items() if v == "c"] == [None]
    b_id = organisation_id("b")
    expected = {"kind": "organisation", "id": str(b_id), "key": "b", "status": "unregistered"}
    assert show(ledger, "b", "2020") == expected
    assert show(ledger, b_id, "2020") == expected
    assert show(ledger, str(b_id), "2020") == expected


# -- 5./6. network shape and metrics -------------------------------------------------------------
def test_metrics_on_a_path_with_an_isolate(ledger: Ledger) -> None:
    reg(ledger, "a", "b", "c", "d")
    reg(ledger, "late", effective="2030")
    ledger.form_partnership(["a", "b"], effective="2019")
    ledger.sign_agreement(["b", "a"], kind="mou", title="M", effective="2019")  # a second tie a-b: still one link
    ledger.form_partnership(["b", "c"], effective="2019")
    ledger.form_partnership(["c", "late"], effective="2019")  # late does not exist yet: no link, no score
    nodes, on_2020 = net(ledger, "2020")
    assert set(nodes) == {"a", "b", "c", "d"}
    # n = 4. degree = deg/(n-1): a 1/3, b 2/3, c 1/3, d 0.
    assert ref.metrics(nodes, on_2020, "degree") == pytest.approx({"a": 1 / 3, "b": 2 / 3, "c": 1 / 3, "d": 0.0})
    # b is on the one shortest path a-c; normalised by (n-1)(n-2)/2 = 3 pairs -> 1/3.
    assert ref.metrics(nodes, on_2020, "betweenness") == pytest.approx({"a": 0.0, "b": 1 / 3, "c": 0.0, "d": 0.0})
    # closeness (Wasserman-Faust): a reaches 2 of 3 at total distance 3 -> (2/3)*(2/3) = 4/9; b: (2/2)*(2/3).
    assert ref.metrics(nodes, on_2020, "closeness") == pytest.approx({"a": 4 / 9, "b": 2 / 3, "c": 4 / 9, "d": 0.0})
    # The path a-b-c has the principal eigenvector (1/2, 1/sqrt 2, 1/2); the isolate d decays to 0.
    assert ref.metrics(nodes, on_2020, "eigenvector") == pytest.approx(
        {"a": 0.5, "b": 2**-0.5, "c": 0.5, "d": 0.0}, abs=1e-4
    )


def test_eigenvector_is_none_on_a_network_without_links(ledger: Ledger) -> None:
    reg(ledger, "a", "b")
    ledger.form_partnership(["a", "b"], effective="2019")
    nodes, on_2018 = net(ledger, "2018")
    assert ref.metrics(nodes, on_2018, "eigenvector") == {"a": None, "b": None}
    assert ref.metrics(nodes, on_2018, "degree") == {"a": 0.0, "b": 0.0}


# -- show: the status of each kind of relation ---------------------------------------------------
def test_show_status_of_relations(ledger: Ledger) -> None:
    reg(ledger, "a", "b")
    p = ledger.form_partnership(["a:lead", "b"], title="P", effective="2019-06").aggregate_id
    ledger.end_partnership(p, effective="2019")  # 2019-01-01: before the start, allowed (not certainly before)
    ag = ledger.sign_agreement(["a", "b"], kind="mou", title="M", term_end="2025", effective="2020").aggregate_id
    ledger.terminate_agreement(ag, effective="2021-05")
    s1 = ledger.award_support(kind="designation", funders=["a"], recipients=["b"], effective="2020").aggregate_id
    ledger.withdraw_support(s1, effective="2021")
    s2 = ledger.award_support(kind="in_kind", funders=["a"], recipients=["b"], effective="2020").aggregate_id
    ledger.end_support(s2, effective="2021")
    # The partnership starts 2019-06-01 and closes 2019-01-01: never alive.
    assert show(ledger, p, "2019-03")["status"] == "not yet started"  # s > D wins
    assert show(ledger, p, "2019-07") == {
        "kind": "partnership",
        "id": str(p),
        "status": "ended",
        "title": "P",
        "parties": ["a:lead", "b"],
        "start": "2019-06",
        "end": "2019",
    }
    assert [k for (_u, _v, k) in ties(ledger, "2019-07")] == []
    assert show(ledger, ag, "2019")["status"] == "not yet signed"
    assert show(ledger, ag, "2021-04") == {
        "kind": "agreement",
        "id": str(ag),
        "status": "active",
        "agreement_kind": "mou",
        "title": "M",
        "parties": ["a", "b"],
        "signed": "2020",
        "term_end": "2025",
        "end": "2021-05",
    }
    assert show(ledger, ag, "2021-05")["status"] == "terminated"
    assert show(ledger, s1, "2019")["status"] == "not yet awarded"
    assert show(ledger, s1, "2020")["status"] == "active"
    assert show(ledger, s1, "2021")["status"] == "withdrawn"
    assert show(ledger, s2, "2021")["status"] == "ended"
    assert show(ledger, s2, "2021")["end"] == "2021"


def test_show_organisation(ledger: Ledger) -> None:
    ledger.register_organisation(
        "kist",
        sector="research_institute",
        subtype="national lab",
        name_ko="키스트",
        identifiers=["kr-brn:123"],
        country="kr",
        locality="Seoul",
        effective="1966",
    )
    ledger.rename_organisation("kist", name_en="KIST", effective="1990")
    assert show(ledger, "kist", "1980") == {
        "kind": "organisation",
        "id": str(organisation_id("kist")),
        "key": "kist",
        "status": "active",
        "name_ko": "키스트",
        "name_en": None,
        "sector": "research_institute",
        "subtype": "national lab",
        "identifiers": ["KR-BRN:123"],
        "country": "KR",
        "locality": "Seoul",
        "registered": "1966",
        "dissolved": None,
    }
    assert show(ledger, "kist", "1990")["name_en"] == "KIST"
    assert show(ledger, "nobody", "1990") == {
        "kind": "organisation",
        "id": str(organisation_id("nobody")),
        "key": "nobody",
        "status": "unregistered",
    }


# -- 7./8. statuses and events in force ----------------------------------------------------------
def test_statuses_of_every_kind_and_the_in_force_list(ledger: Ledger) -> None:
    reg(ledger, "f", sector="funder")  # 1
    reg(ledger, "r")  # 2
    s = ledger.award_support(
        kind="grant", funders=["f"], recipients=["r"], amount="100", currency="KRW", title="S", effective="2019"
    ).aggregate_id  # 3
    a1 = ledger.amend_support(s, title="S1", description="first", effective="2020").event  # 4
    a2 = ledger.amend_support(s, title="S2", effective="2021").event  # 5
    a3 = ledger.amend_support(s, amount="200", effective="2019-06").event  # 6
    ledger.disburse_support(s, amount="50", currency="KRW", effective="2019-02")  # 7
    r = ledger.retract(a3.event_id, reason="typo").event  # 8
    ledger.end_support(s, effective="2022")  # 9
    got = ref.statuses(known(ledger))
    assert got == {
        1: "",
        2: "",
        3: f"amended by {a1.event_id}, {a2.event_id}",  # a3 is retracted: not listed
        4: f"amended by {a2.event_id}",  # title set again, description not
        5: "",
        6: f"retracted by {r.event_id}",
        7: "",  # disbursement
        8: "",  # retraction
        9: "",  # closing
    }
    # Relative to D = 2020-06: a2 (2021) is not in effect, so a1 has no later change and the award lists a1 only.
    on_2020 = ref.statuses(known(ledger), ref.query_day("2020-06"))
    assert (on_2020[3], on_2020[4]) == (f"amended by {a1.event_id}", "")
    # In force: 2020-06 -> registrations, award, a1, the disbursement; 2021 -> a1 still sets the description;
    # 2022 -> the support is closed: only the registrations.
    assert in_force(ledger, "2020-06") == [1, 2, 3, 4, 7]
    assert in_force(ledger, "2021") == [1, 2, 3, 4, 5, 7]
    assert in_force(ledger, "2022") == [1, 2]
    assert in_force(ledger, "2018") == [1, 2]
