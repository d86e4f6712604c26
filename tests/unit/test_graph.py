"""The network fold, on hand-built event lists: no storage involved."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import count
from typing import Any
from uuid import UUID, uuid4

from domain.events import LedgerEvent
from domain.organisation import Organisation, organisation_id
from domain.partnership import Partnership
from domain.support import Support
from projections.graph import NetworkFold, build

STAMP = datetime(2026, 1, 1, tzinfo=UTC)


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

    def org(self, key: str, sector: str = "university") -> LedgerEvent:
        return self.add(Organisation.Registered, organisation_id(key), key=key, name_en=key.upper(), sector=sector)

    def partnership(self, *keys: str, effective: str = "2019-08-22") -> LedgerEvent:
        event_id = uuid4()
        parties = [{"key": k, "role": "partner"} for k in keys]
        return self.add(Partnership.Formed, event_id, event_id=event_id, parties=parties, effective=effective)


def test_partnership_of_three_becomes_three_ties() -> None:
    s = Script()
    for key in ("a", "b", "c"):
        s.org(key)
    formed = s.partnership("a", "b", "c")
    g = build(s.events)
    assert sorted(g.edges()) == [("a", "b"), ("a", "c"), ("b", "c")]
    attrs = g.get_edge_data("a", "b")[f"{formed.originator_id}:0"]
    assert attrs["tie_type"] == "partnership"
    assert attrs["start"] == "2019-08-22" and attrs["end"] is None
    assert attrs["roles"] == ["partner", "partner"]


def test_support_ties_run_from_each_funder_to_each_recipient_with_amount() -> None:
    s = Script()
    for key in ("f1", "f2", "r"):
        s.org(key, "funder")
    award_id = uuid4()
    s.add(
        Support.Awarded,
        award_id,
        event_id=award_id,
        kind="grant",
        effective="2019-09-23",
        funders=[{"key": "f1"}, {"key": "f2"}],
        recipients=[{"key": "r"}],
        amount="7200000000",
        currency="KRW",
    )
    g = build(s.events)
    assert sorted(g.edges()) == [("f1", "r"), ("f2", "r")]
    assert {d["amount"] for _, _, d in g.edges(data=True)} == {"7200000000"}


def test_ending_closes_the_interval_and_retracting_the_end_reopens_it() -> None:
    s = Script()
    s.org("a")
    s.org("b")
    formed = s.partnership("a", "b")
    ended = s.add(Partnership.Ended, formed.originator_id, effective="2020-03")
    fold = NetworkFold().apply_all(s.events)
    assert [d["end"] for _, _, d in fold.graph.edges(data=True)] == ["2020-03"]
    s.add(Partnership.Retracted, formed.originator_id, retracted_event_id=ended.event_id, reason="wrong")
    fold.apply(*s.events[-1])
    assert [d["end"] for _, _, d in fold.graph.edges(data=True)] == [None]


def test_retracting_the_formation_removes_its_ties_but_not_others() -> None:
    s = Script()
    for key in ("a", "b", "c"):
        s.org(key)
    wrong = s.partnership("a", "b")
    s.partnership("b", "c")
    s.add(Partnership.Retracted, wrong.originator_id, retracted_event_id=wrong.event_id, reason="never happened")
    g = build(s.events)
    assert list(g.edges()) == [("b", "c")]
    assert g.number_of_nodes() == 3


def test_rename_changes_node_attributes() -> None:
    s = Script()
    s.org("kosme", "funder")
    s.add(Organisation.Renamed, organisation_id("kosme"), key="kosme", name_ko="중소벤처기업진흥공단")
    node = build(s.events).nodes["kosme"]
    assert node["name_ko"] == "중소벤처기업진흥공단"
    assert node["name_en"] == "KOSME"


def test_incremental_fold_equals_rebuild_at_every_cut() -> None:
    s = Script()
    for key in ("a", "b", "c", "d"):
        s.org(key)
    p1 = s.partnership("a", "b", "c")
    s.partnership("c", "d", effective="2020")
    end = s.add(Partnership.Ended, p1.originator_id, effective="2021")
    s.add(Partnership.Retracted, p1.originator_id, retracted_event_id=end.event_id, reason="typo")
    incremental = NetworkFold()
    for cut, item in enumerate(s.events, start=1):
        incremental.apply(*item)
        fresh = build(s.events[:cut])
        assert sorted(incremental.graph.edges(keys=True, data=True)) == sorted(fresh.edges(keys=True, data=True))
        assert dict(incremental.graph.nodes(data=True)) == dict(fresh.nodes(data=True))
