"""The network fold, on hand-built event lists: no storage involved.

Every test also checks, after every event, that the fold folded one event at a
time equals a fresh fold of the same events, and that the network it gives on
several days (``projections.timeaxes.as_of``) equals the one the slow reference
of the valid-time model computes from first principles (``tests/validtime/reference.py``).
"""

from __future__ import annotations

import json
import pickle
from datetime import UTC, datetime
from itertools import count
from typing import Any
from uuid import UUID, uuid4

import networkx as nx
import pytest
from eventsourcing.utils import get_topic

from domain.agreement import Agreement
from domain.events import LedgerEvent
from domain.organisation import Organisation, organisation_id
from domain.partnership import Partnership
from domain.records import EVENT_TYPES
from domain.support import Support
from projections.graph import NetworkFold, build
from projections.records import Record, UnknownEventError, op_for_topic, record_of
from projections.timeaxes import as_of
from tests.validtime import reference

STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def canon(graph: nx.MultiDiGraph) -> tuple[Any, ...]:
    """Everything a graph holds, comparable (edges both ways, to check the predecessor dicts too)."""
    return (
        sorted((n, sorted(d.items(), key=repr)) for n, d in graph.nodes(data=True)),
        sorted((u, v, k, sorted(d.items(), key=repr)) for u, v, k, d in graph.edges(keys=True, data=True)),
        sorted(graph.in_edges(keys=True)),
    )


class Script:
    """Builds a consistent event list (ids, versions, positions) by hand."""

    def __init__(self) -> None:
        self.events: list[tuple[int, LedgerEvent]] = []
        self.versions: dict[UUID, int] = {}
        self.positions = count(1)

    def add(self, cls: type[LedgerEvent], originator: UUID, **fields: Any) -> LedgerEvent:
        version = self.versions.get(originator, 0) + 1
        self.versions[originator] = version
        event = cls(
            originator_id=originator,
            originator_version=version,
            event_id=fields.pop("event_id", uuid4()),
            recorded_at=STAMP,
            recorded_by="test",
            **fields,
        )
        self.events.append((next(self.positions), event))
        return event

    def org(self, key: str, sector: str = "university", **fields: Any) -> LedgerEvent:
        return self.add(
            Organisation.Registered, organisation_id(key), key=key, name_en=key.upper(), sector=sector, **fields
        )

    def partnership(self, *keys: str, effective: str = "2019-08-22") -> LedgerEvent:
        event_id = uuid4()
        parties = [{"key": k, "role": "partner"} for k in keys]
        return self.add(Partnership.Formed, event_id, event_id=event_id, parties=parties, effective=effective)

    def agreement(self, *keys: str, effective: str = "2020-01", **fields: Any) -> LedgerEvent:
        event_id = uuid4()
        parties = [{"key": k, "role": f"r{i}"} for i, k in enumerate(keys)]
        fields.setdefault("kind", "mou")
        fields.setdefault("title", "MOU")
        return self.add(Agreement.Signed, event_id, event_id=event_id, parties=parties, effective=effective, **fields)

    def support(
        self, funders: list[str], recipients: list[str], effective: str = "2019-09-23", **fields: Any
    ) -> LedgerEvent:
        event_id = uuid4()
        fields.setdefault("kind", "grant")
        return self.add(
            Support.Awarded,
            event_id,
            event_id=event_id,
            funders=[{"key": k, "role": "funder"} for k in funders],
            recipients=[{"key": k} for k in recipients],
            effective=effective,
            **fields,
        )

    def retract(self, event: LedgerEvent, **fields: Any) -> LedgerEvent:
        cls = event.aggregate_class.Retracted
        if event.aggregate_class is Organisation:
            fields["key"] = event.key  # type: ignore[attr-defined]
        return self.add(cls, event.originator_id, retracted_event_id=event.event_id, reason="wrong", **fields)


#: The days every test compares the fold's network with the reference's on.
DAYS = ("2018-12-31", "2019-08-21", "2019-08-22", "2019-12-31", "2020-06-30", "2021-03-03", "2021-06-01", "2022-12-31")


def on(graph: nx.MultiDiGraph, day: str) -> tuple[dict[str, Any], dict[tuple[str, str, str], Any]]:
    """The network on *day* as plain dicts: nodes and ties (u, v, key) with their attributes."""
    network = as_of(graph, day)
    return dict(network.nodes(data=True)), {(u, v, k): d for u, v, k, d in network.edges(keys=True, data=True)}


def checked(s: Script, days: tuple[str, ...] = DAYS) -> nx.MultiDiGraph:
    """Fold the script one event at a time; at every cut, incremental == fresh fold, and on every day == reference."""
    fold = NetworkFold()
    for cut, item in enumerate(s.events, start=1):
        fold.apply(*item)
        assert canon(fold.graph) == canon(build(s.events[:cut])), f"after event {cut}: {item[1].type_name}"
        for day in days:
            assert on(fold.graph, day) == reference.network(s.events[:cut], day), f"after event {cut}, on {day}"
    assert fold.position == s.events[-1][0] and fold.events == len(s.events)
    return fold.graph


def ties_on(graph: nx.MultiDiGraph, day: str) -> dict[tuple[str, str], dict[str, Any]]:
    """``(u, v) -> attributes`` of the ties counting on *day* (one tie per pair in these tests)."""
    return {(u, v): d for u, v, d in as_of(graph, day).edges(data=True)}


def ends(graph: nx.MultiDiGraph, day: str = "2019-12-31") -> dict[tuple[str, str], Any]:
    return {pair: (d["end"], d["end_on"]) for pair, d in ties_on(graph, day).items()}


# -- what becomes a tie ------------------------------------------------------------------------------------------------


def test_partnership_of_three_becomes_three_ties() -> None:
    s = Script()
    for key in ("a", "b", "c"):
        s.org(key)
    formed = s.partnership("a", "b", "c")
    g = checked(s)
    assert sorted(g.edges()) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert sorted(g.edges(keys=True))[0][2] == f"{formed.originator_id}:0"
    attrs = as_of(g, "2019-08-22").get_edge_data("a", "b")[f"{formed.originator_id}:0"]
    assert attrs == {
        "aggregate_id": str(formed.originator_id),
        "tie_type": "partnership",
        "kind": "partnership",
        "title": None,
        "start": "2019-08-22",
        "end": None,
        "start_on": "2019-08-22",
        "end_on": None,
        "roles": ["partner", "partner"],
    }
    assert as_of(g, "2019-08-21").number_of_edges() == 0  # not yet formed


def test_support_ties_run_from_each_funder_to_each_recipient_with_amount() -> None:
    s = Script()
    for key in ("f1", "f2", "r1", "r2"):
        s.org(key, "funder")
    s.org("prog", "programme")
    s.support(["f1", "f2"], ["r1", "r2"], amount="7200000000", currency="KRW", programme="prog", effective="2019")
    g = checked(s)
    assert sorted(g.edges()) == [("f1", "r1"), ("f1", "r2"), ("f2", "r1"), ("f2", "r2")]
    attrs = ties_on(g, "2019-12-31")[("f2", "r1")]
    assert attrs["amount"] == "7200000000" and attrs["currency"] == "KRW" and attrs["programme"] == "prog"
    assert attrs["roles"] == ["funder", None] and attrs["disbursed"] is None
    assert attrs["start"] == "2019" and attrs["start_on"] == "2019-01-01"
    assert "prog" in g and g.degree("prog") == 0  # a programme is a node, not a party to the tie


def test_agreement_ties_carry_kind_and_term_end() -> None:
    s = Script()
    for key in ("a", "b"):
        s.org(key)
    s.agreement("a", "b", kind="contract", title="Joint lab", term_end="2023-06")
    attrs = ties_on(checked(s), "2020-06-30")[("a", "b")]
    assert (attrs["tie_type"], attrs["kind"], attrs["title"], attrs["term_end"]) == (
        "agreement",
        "contract",
        "Joint lab",
        "2023-06",
    )
    assert attrs["roles"] == ["r0", "r1"]


# -- closing and dissolution -----------------------------------------------------------------------------------------


def test_ending_closes_the_interval_and_retracting_the_end_reopens_it() -> None:
    s = Script()
    s.org("a")
    s.org("b")
    formed = s.partnership("a", "b")
    ended = s.add(Partnership.Ended, formed.originator_id, effective="2020-03")
    g = checked(s)
    assert ends(g) == {("a", "b"): ("2020-03", "2020-03-01")}
    assert ties_on(g, "2020-03-01") == {}  # it does not count on the day it ends
    s.retract(ended)
    assert ends(checked(s), "2020-03-01") == {("a", "b"): (None, None)}


def test_terminated_agreement_and_ended_or_withdrawn_support_close_their_ties() -> None:
    s = Script()
    for key in ("a", "b", "c"):
        s.org(key)
    signed = s.agreement("a", "b")
    grant = s.support(["a"], ["c"])
    loan = s.support(["b"], ["c"], kind="loan", amount="5", currency="KRW")
    s.add(Agreement.Terminated, signed.originator_id, effective="2021")
    withdrawn = s.add(Support.Withdrawn, grant.originator_id, effective="2020-02-03")
    s.add(Support.Ended, loan.originator_id, effective="2022-05")
    g = checked(s)
    assert ends(g, "2020-01-31") == {
        ("a", "b"): ("2021", "2021-01-01"),
        ("a", "c"): ("2020-02-03", "2020-02-03"),
        ("b", "c"): ("2022-05", "2022-05-01"),
    }
    assert set(ties_on(g, "2021-06-01")) == {("b", "c")}
    s.retract(withdrawn)
    assert ends(checked(s), "2020-06-30")[("a", "c")] == (None, None)


def test_a_dissolved_organisation_and_its_ties_are_gone_from_its_dissolution_on() -> None:
    s = Script()
    for key in ("a", "b", "c", "d"):
        s.org(key)
    s.partnership("a", "b")
    early = s.partnership("a", "c")
    s.add(Partnership.Ended, early.originator_id, effective="2019-12")
    s.partnership("c", "d")
    dissolved = s.add(Organisation.Dissolved, organisation_id("a"), key="a", effective="2021-06")
    g = checked(s)
    assert g.nodes["a"]["dissolved"] == "2021-06"
    assert ends(g, "2019-11-30") == {
        ("a", "b"): ("2021-06", "2021-06-01"),  # still open: ends on the dissolution
        ("a", "c"): ("2019-12", "2019-12-01"),  # ends on its own, before the dissolution
        ("c", "d"): (None, None),  # not a's tie
    }
    assert as_of(g, "2021-05").number_of_edges() == 2 and as_of(g, "2021-06").number_of_edges() == 1
    assert "a" in as_of(g, "2021-05-31") and "a" not in as_of(g, "2021-06-01")  # no node, no score
    s.retract(dissolved)
    g = checked(s)
    assert g.nodes["a"]["dissolved"] is None
    assert ends(g, "2022-12-31")[("a", "b")] == (None, None)


def test_a_tie_ends_on_the_earlier_of_its_close_and_the_dissolutions() -> None:
    s = Script()
    for key in ("a", "b"):
        s.org(key)
    formed = s.partnership("a", "b")
    s.add(Organisation.Dissolved, organisation_id("b"), key="b", effective="2022")
    s.add(Organisation.Dissolved, organisation_id("a"), key="a", effective="2021-03-04")
    assert ends(checked(s)) == {("a", "b"): ("2021-03-04", "2021-03-04")}
    ended = s.add(
        Partnership.Ended, formed.originator_id, effective="2023"
    )  # after the dissolution: it changes nothing
    assert ends(checked(s)) == {("a", "b"): ("2021-03-04", "2021-03-04")}
    s.retract(ended)
    s.add(Partnership.Ended, formed.originator_id, effective="2020-07")  # before it: the close is the end
    assert ends(checked(s)) == {("a", "b"): ("2020-07", "2020-07-01")}


def test_a_dissolution_without_a_date_leaves_the_organisation_and_its_ties_in_place() -> None:
    s = Script()
    for key in ("a", "b"):
        s.org(key)
    s.partnership("a", "b")
    s.add(Organisation.Dissolved, organisation_id("a"), key="a")
    g = checked(s)
    assert ends(g, "2022-12-31") == {("a", "b"): (None, None)}
    assert as_of(g, "2022-12-31").nodes["a"]["dissolved"] == "undated"


# -- organisations ----------------------------------------------------------------------------------------------------


def test_rename_changes_node_attributes_and_retracting_it_restores_them() -> None:
    s = Script()
    s.org("kosme", "funder")
    renamed = s.add(Organisation.Renamed, organisation_id("kosme"), key="kosme", name_ko="중소벤처기업진흥공단")
    node = checked(s).nodes["kosme"]
    assert node["name_ko"] == "중소벤처기업진흥공단"
    assert node["name_en"] == "KOSME" and node["name"] == "KOSME"
    s.add(Organisation.Renamed, organisation_id("kosme"), key="kosme", name_en="Korea SMEs and Startups Agency")
    assert checked(s).nodes["kosme"]["name"] == "Korea SMEs and Startups Agency"
    s.retract(renamed)
    node = checked(s).nodes["kosme"]
    assert node["name_ko"] is None and node["name_en"] == "Korea SMEs and Startups Agency"


def test_a_dated_rename_holds_from_its_date_and_an_undated_one_from_the_start() -> None:
    s = Script()
    s.org("kosme", "funder", effective="2019")
    s.add(Organisation.Renamed, organisation_id("kosme"), key="kosme", name_en="KOSME 2021", effective="2021-03-03")
    s.add(Organisation.Renamed, organisation_id("kosme"), key="kosme", name_en="KOSME 2020", effective="2020")
    g = checked(s)
    names = {day: as_of(g, day).nodes["kosme"]["name"] for day in ("2019-12-31", "2020-06-30", "2021-03-03")}
    assert names == {"2019-12-31": "KOSME", "2020-06-30": "KOSME 2020", "2021-03-03": "KOSME 2021"}
    s.add(Organisation.Renamed, organisation_id("kosme"), key="kosme", name_ko="중진공")  # undated: from the start
    assert as_of(checked(s), "2019-06-30").nodes["kosme"]["name_ko"] == "중진공"


def test_an_organisation_exists_from_its_registration_date() -> None:
    s = Script()
    s.org("a")
    s.org("group", effective="2019-08-22")
    s.org("future", effective="2030")
    s.partnership("a", "group", effective="2019-06")  # recorded against the facts: it counts once both exist
    g = checked(s)
    assert sorted(as_of(g, "2019-08-21")) == ["a"]
    assert sorted(as_of(g, "2019-08-22")) == ["a", "group"] and as_of(g, "2019-08-22").number_of_edges() == 1
    assert "future" not in as_of(g, "2022-12-31") and "future" in as_of(g, "2030")


def test_node_attributes_of_a_registered_organisation() -> None:
    s = Script()
    s.add(
        Organisation.Registered,
        organisation_id("postech"),
        key="postech",
        name_ko="포항공과대학교",
        sector="university",
        subtype="private",
        identifiers=["kr-brn:5038200179"],
        country="kr",
        locality="Pohang",
        effective="1986",
    )
    assert as_of(checked(s), "2019").nodes["postech"] == {
        "key": "postech",
        "name": "포항공과대학교",
        "name_ko": "포항공과대학교",
        "name_en": None,
        "sector": "university",
        "subtype": "private",
        "identifiers": ["KR-BRN:5038200179"],
        "country": "KR",
        "locality": "Pohang",
        "start": "1986",
        "dissolved": None,
        "registered": True,
    }


def test_retracting_a_registration_removes_a_lone_node_and_keeps_a_tied_one_as_unregistered() -> None:
    s = Script()
    lone = s.org("lone")
    tied = s.org("tied")
    s.org("other")
    s.partnership("tied", "other")
    s.retract(lone)
    s.retract(tied)
    g = checked(s)
    assert "lone" not in g
    assert g.nodes["tied"] == {"key": "tied", "registered": False}
    assert as_of(g, "2019-12-31").nodes["tied"] == {"key": "tied", "registered": False}
    assert "tied" not in as_of(g, "2019-08-21")  # an unregistered party shows only while one of its ties counts
    assert g.number_of_edges() == 1
    s.add(Organisation.Registered, organisation_id("tied"), key="tied", name_en="Tied again", sector="firm")
    assert checked(s).nodes["tied"]["name"] == "Tied again"


def test_an_unregistered_party_vanishes_with_its_last_tie() -> None:
    s = Script()
    s.org("a")
    formed = s.partnership("a", "ghost")  # hand-built: the ledger itself refuses unknown parties
    assert checked(s).nodes["ghost"] == {"key": "ghost", "registered": False}
    s.retract(formed)
    g = checked(s)
    assert "ghost" not in g and list(g) == ["a"]


# -- amendments on the effective axis ----------------------------------------------------------------------------------


def test_an_amendment_holds_from_its_own_date_and_the_earlier_terms_before_it() -> None:
    s = Script()
    for key in ("f", "r"):
        s.org(key)
    award = s.support(["f"], ["r"], amount="1000", currency="KRW", effective="2021-01-01")
    s.add(Support.Amended, award.originator_id, effective="2023-01", amount="2000")
    g = checked(s, ("2021-06-30", "2022-06-30", "2022-12-31", "2023-01-01", "2024-12-31"))
    amounts = {day: ties_on(g, day)[("f", "r")]["amount"] for day in ("2022-06-30", "2022-12-31", "2023-01-01")}
    assert amounts == {"2022-06-30": "1000", "2022-12-31": "1000", "2023-01-01": "2000"}


def test_back_dated_amendments_apply_by_date_not_by_recording_order() -> None:
    s = Script()
    for key in ("f", "r"):
        s.org(key)
    award = s.support(["f"], ["r"], amount="100", currency="KRW", effective="2020-01-01", title="Seed")
    s.add(Support.Amended, award.originator_id, effective="2022", amount="300")
    s.add(Support.Amended, award.originator_id, effective="2021", amount="200", title="Seed II")  # back-dated
    g = checked(s, ("2020-06-30", "2021-06-30", "2022-06-30"))
    seen = {day: (ties_on(g, day)[("f", "r")]["amount"], ties_on(g, day)[("f", "r")]["title"]) for day in DAYS[4:]}
    assert seen == {
        "2020-06-30": ("100", "Seed"),
        "2021-03-03": ("200", "Seed II"),
        "2021-06-01": ("200", "Seed II"),
        "2022-12-31": ("300", "Seed II"),
    }


def test_an_agreement_amendment_of_its_parties_changes_the_ties_from_its_date_only() -> None:
    s = Script()
    for key in ("a", "b", "c"):
        s.org(key)
    signed = s.agreement("a", "b", "c", effective="2020-01")
    s.add(Agreement.Amended, signed.originator_id, effective="2021-06", parties=[{"key": "a"}, {"key": "b"}])
    g = checked(s)
    assert set(ties_on(g, "2020-06-30")) == {("a", "b"), ("a", "c"), ("b", "c")}
    assert set(ties_on(g, "2021-06-01")) == {("a", "b")}
    assert ties_on(g, "2021-06-01")[("a", "b")]["roles"] == [None, None]  # the roles of the amended list


def test_an_undated_amendment_corrects_from_the_start() -> None:
    """The ledger asks every amendment for a date; a record without one (imported data) applies from the start."""
    s = Script()
    for key in ("f", "r"):
        s.org(key)
    award = s.support(["f"], ["r"], amount="100", currency="KRW", effective="2020-01-01")
    s.add(Support.Amended, award.originator_id, effective="2021", amount="300")
    records = [record_of(position, event) for position, event in s.events]
    undated = {
        "event_id": str(uuid4()),
        "effective": None,
        "recorded_at": "2026-02-01T00:00:00Z",
        "recorded_by": "import",
        "amount": "150",
        "currency": None,
    }
    records.append(Record(len(records) + 1, award.originator_id, get_topic(Support.Amended), undated))
    g = NetworkFold().apply_all(records).graph
    assert [ties_on(g, day)[("f", "r")]["amount"] for day in ("2020-01-01", "2020-12-31", "2021-01-01")] == [
        "150",  # the undated correction holds from the award on ...
        "150",
        "300",  # ... until the dated amendment of 2021
    ]


def test_payments_count_from_their_own_dates() -> None:
    s = Script()
    for key in ("f", "r"):
        s.org(key)
    award = s.support(["f"], ["r"], amount="100", currency="KRW", effective="2019")
    s.add(Support.Disbursed, award.originator_id, effective="2020-06", amount="40", currency="KRW")
    s.add(Support.Disbursed, award.originator_id, effective="2019-09", amount="10.5", currency="KRW")
    g = checked(s)
    assert [ties_on(g, d)[("f", "r")]["disbursed"] for d in ("2019-08-22", "2019-12-31", "2020-06-30")] == [
        None,
        "10.5",
        "50.5",
    ]


# -- retractions of relation events ------------------------------------------------------------------------------------


def test_retracting_the_formation_removes_its_ties_but_not_others() -> None:
    s = Script()
    for key in ("a", "b", "c"):
        s.org(key)
    wrong = s.partnership("a", "b")
    s.partnership("b", "c")
    s.retract(wrong)
    g = checked(s)
    assert list(g.edges()) == [("b", "c")]
    assert g.number_of_nodes() == 3


def test_retracting_an_agreement_amendment_restores_title_parties_and_term() -> None:
    s = Script()
    for key in ("a", "b", "c"):
        s.org(key)
    signed = s.agreement("a", "b", title="Old", term_end="2024")
    amended = s.add(
        Agreement.Amended,
        signed.originator_id,
        effective="2021",
        title="New",
        term_end="2025",
        parties=[{"key": "a"}, {"key": "b"}, {"key": "c"}],
    )
    g = checked(s)
    assert set(ties_on(g, "2021-06-01")) == {("a", "b"), ("a", "c"), ("b", "c")}
    assert {(d["title"], d["term_end"]) for d in ties_on(g, "2021-06-01").values()} == {("New", "2025")}
    assert set(ties_on(g, "2020-06-30")) == {("a", "b")}  # before the amendment
    s.add(Agreement.Amended, signed.originator_id, effective="2022", title="Newer")
    assert {d["title"] for d in ties_on(checked(s), "2022-12-31").values()} == {"Newer"}
    s.retract(amended)
    g = checked(s)
    assert set(ties_on(g, "2022-12-31")) == {("a", "b")}
    attrs = ties_on(g, "2022-12-31")[("a", "b")]
    assert (attrs["title"], attrs["term_end"], attrs["roles"]) == ("Newer", "2024", ["r0", "r1"])


def test_retracting_signing_or_termination_of_an_agreement() -> None:
    s = Script()
    for key in ("a", "b"):
        s.org(key)
    signed = s.agreement("a", "b")
    terminated = s.add(Agreement.Terminated, signed.originator_id, effective="2022")
    s.retract(terminated)
    assert ends(checked(s), "2022-12-31") == {("a", "b"): (None, None)}
    s.retract(signed)
    assert checked(s).number_of_edges() == 0


def test_retracting_support_events_one_kind_at_a_time() -> None:
    s = Script()
    for key in ("f", "r"):
        s.org(key)
    award = s.support(["f"], ["r"], amount="100", currency="KRW", title="Seed")
    amended = s.add(Support.Amended, award.originator_id, effective="2020", amount="150", title="Seed+")
    disbursed = s.add(Support.Disbursed, award.originator_id, effective="2020", amount="50", currency="KRW")
    s.add(Support.Amended, award.originator_id, effective="2020", planned_end="2022")  # no visible change
    attrs = ties_on(checked(s), "2020-06-30")[("f", "r")]
    assert (attrs["amount"], attrs["currency"], attrs["title"], attrs["disbursed"]) == ("150", "KRW", "Seed+", "50")
    s.retract(disbursed)
    assert ties_on(checked(s), "2020-06-30")[("f", "r")] == {**attrs, "disbursed": None}
    s.retract(amended)
    attrs = ties_on(checked(s), "2020-06-30")[("f", "r")]
    assert (attrs["amount"], attrs["title"]) == ("100", "Seed")
    ended = s.add(Support.Ended, award.originator_id, effective="2023")
    assert ends(checked(s), "2022-12-31") == {("f", "r"): ("2023", "2023-01-01")}
    s.retract(ended)
    assert ends(checked(s), "2023-06-30") == {("f", "r"): (None, None)}
    s.retract(award)
    assert checked(s).number_of_edges() == 0


# -- feeding the fold: records, stored rows, incremental use ---------------------------------------------------


def test_every_event_type_has_an_operation_and_unknown_topics_are_refused() -> None:
    # The fold's table is written out (no models imported to read a ledger): it must equal the classes.
    from eventsourcing.utils import get_topic

    from projections.records import TOPICS

    assert {get_topic(cls): (cls.aggregate_class.kind, cls.class_version) for cls in EVENT_TYPES.values()} == {
        topic: (kind, version) for topic, (_, kind, version) in TOPICS.items()
    }
    for cls in EVENT_TYPES.values():
        assert op_for_topic(get_topic(cls)).cls is cls
    with pytest.raises(UnknownEventError):
        op_for_topic("domain.partnership:Partnership.Merged")
    with pytest.raises(UnknownEventError):
        op_for_topic("json:JSONDecoder")


def test_hand_built_records_fold_like_pydantic_events() -> None:
    s = Script()
    s.org("a")
    s.org("b")
    s.partnership("a", "b")
    records = [record_of(position, event) for position, event in s.events]
    assert canon(build(records)) == canon(build(s.events))
    raw = Record(
        9,
        str(uuid4()),
        get_topic(Partnership.Formed),
        {
            "event_id": str(uuid4()),
            "effective": "2024",
            "recorded_at": "2026-02-01T00:00:00Z",
            "recorded_by": "x",
            "parties": [{"key": "b", "role": None}, {"key": "a", "role": "lead"}],
            "title": "By hand",
        },
    )
    fold = NetworkFold().apply_all([*records, raw])
    assert fold.position == 9 and fold.recorded_upto == datetime(2026, 2, 1, tzinfo=UTC)
    assert [(u, v, d["title"]) for u, v, d in fold.graph.edges(data=True) if d["title"]] == [("b", "a", "By hand")]


class FakeRow:
    """A stored row as ``select_notifications`` returns it."""

    def __init__(self, position: int, originator_id: UUID, topic: str, state: dict[str, Any]) -> None:
        self.id = position
        self.originator_id = originator_id
        self.topic = topic
        self.state = json.dumps(state).encode()


def test_stored_rows_are_upcast_from_older_class_versions() -> None:
    v1 = {
        "event_id": str(uuid4()),
        "effective": None,
        "recorded_at": "2025-01-01T00:00:00Z",
        "recorded_by": "kim",
        "source": None,
        "note": None,
        "key": "rist",
        "name_ko": None,
        "name_en": "RIST",
        "sector": "research_institute",
        "identifiers": [],
        "country": None,
        "locality": None,
    }  # organisation.registered v1: no subtype, no class_version
    fold = NetworkFold()
    assert fold.apply_rows([FakeRow(1, organisation_id("rist"), get_topic(Organisation.Registered), v1)]) == 1
    assert fold.graph.nodes["rist"]["subtype"] is None and fold.graph.nodes["rist"]["name"] == "RIST"


def test_stored_rows_recorded_after_known_at_are_skipped() -> None:
    s = Script()
    s.org("a")
    s.org("b")
    s.partnership("a", "b")
    rows = []
    for position, event in s.events:
        record = record_of(position, event)
        state = dict(record.state, recorded_at=f"2026-01-0{position}T00:00:00+00:00")
        rows.append(FakeRow(position, event.originator_id, record.topic, state))
    fold = NetworkFold()
    assert fold.apply_rows(rows, known_at=datetime(2026, 1, 2, 12, tzinfo=UTC)) == 2
    assert fold.graph.number_of_edges() == 0 and fold.position == 2


def test_saved_state_round_trips_and_the_fold_continues_from_it() -> None:
    s = Script()
    for key in ("a", "b", "c"):
        s.org(key)
    p1 = s.partnership("a", "b", "c")
    s.partnership("c", "a", effective="2020")
    half = len(s.events)
    end = s.add(Partnership.Ended, p1.originator_id, effective="2021")
    s.retract(end)
    s.add(Organisation.Dissolved, organisation_id("c"), key="c", effective="2022")
    fold = NetworkFold().apply_all(s.events[:half])
    restored = NetworkFold.from_state(pickle.loads(pickle.dumps(fold.state(), protocol=5)))
    assert canon(restored.graph) == canon(fold.graph)
    assert (restored.position, restored.events, restored.recorded_upto) == (half, half, STAMP)
    restored.apply_all(s.events[half:])
    assert canon(restored.graph) == canon(build(s.events))
    for day in DAYS:
        assert on(restored.graph, day) == reference.network(s.events, day)
    with pytest.raises(ValueError):
        NetworkFold.from_state(("not", "a", "state"))
