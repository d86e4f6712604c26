"""Acceptance: the network queries on the Pohang demo ledger, built through the Ledger.

The promotion group (``nssz-promotion-group``) was launched on 2019-08-22 and
bundles the special zones, the partner institutions and the funders: by the
end of 2019 it is the network's broker, and before the launch it does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

from domain.demo import build_demo
from domain.errors import RuleViolation
from domain.ledger import Ledger
from projections.centrality import centrality
from projections.history import diff, trend
from projections.sectors import mix
from projections.store import load_network
from projections.structure import brokers, communities, ego, path
from projections.suggest import suggest
from projections.summary import summary
from projections.whatif import resilience, whatif

NSSZ = "nssz-promotion-group"
LAUNCH = "2019-08-22"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    db = tmp_path_factory.mktemp("pohang") / "pohang.db"
    with Ledger(db, actor="tester", create=True) as ledger:
        build_demo(ledger)
    yield db


@pytest.fixture(scope="module")
def graph(demo: Path) -> Iterator[nx.MultiDiGraph]:
    with Ledger(demo) as ledger:
        yield load_network(ledger)


def test_the_promotion_group_leads_betweenness_at_the_end_of_2019(graph: nx.MultiDiGraph) -> None:
    ranking = centrality(graph, "betweenness", as_of="2019-12-31")
    assert next(iter(ranking)) == NSSZ
    assert ranking[NSSZ] > 3 * ranking["gangso-rdz"]  # the runner-up, the R&D zone, is far behind
    for metric in ("degree", "strength", "closeness", "harmonic", "eigenvector", "pagerank"):
        assert next(iter(centrality(graph, metric, as_of="2019-12-31"))) == NSSZ, metric


def test_before_the_launch_the_promotion_group_does_not_exist(graph: nx.MultiDiGraph) -> None:
    with pytest.raises(RuleViolation, match=f"key: organisation '{NSSZ}' does not exist on 2019-08-01"):
        ego(graph, NSSZ, as_of="2019-08-01")
    for metric in ("degree", "betweenness", "eigenvector"):
        assert NSSZ not in centrality(graph, metric, as_of="2019-08-01")  # no score at all, not 0
    assert next(iter(centrality(graph, "betweenness", as_of="2019-08-01"))) == "gangso-rdz"
    before = summary(graph, as_of="2019-08-01")
    # 18 organisations: the R&D zone (designation + 4 participations: 6 organisations), the battery zone
    # (designation + operator: 3) and 9 organisations on their own: 11 components
    assert (before["organisations"], before["ties"], before["components"], before["largest_component"]) == (
        18,
        7,
        11,
        6,
    )
    assert summary(graph, as_of="2019-08-21")["organisations"] == 18
    assert summary(graph, as_of=LAUNCH)["organisations"] == 19
    assert ego(graph, NSSZ, as_of=LAUNCH) != []


def test_the_path_from_kibo_to_postech_goes_through_the_promotion_group(graph: nx.MultiDiGraph) -> None:
    rows = path(graph, "kibo", "postech", as_of="2019-12-31")
    assert [(r["step"], r["from"], r["to"]) for r in rows] == [(1, "kibo", NSSZ), (2, NSSZ, "postech")]
    assert rows[0]["tie_type"] == "support" and rows[0]["kind"] == "guarantee"
    assert [r["to"] for r in path(graph, "kibo", "postech")] == [NSSZ, "postech"]  # today


def test_brokers_and_communities(graph: nx.MultiDiGraph) -> None:
    assert brokers(graph, as_of="2019-12-31")[0]["key"] == NSSZ
    found = communities(graph, as_of="2019-12-31", seed=0)
    assert found == communities(graph, as_of="2019-12-31", seed=0)
    by_member = {m: c["community"] for c in found["communities"] for m in c["members"]}
    assert by_member["postech"] == by_member["gangso-rdz"]  # the R&D zone and its core institution
    assert found["isolated"] == 2 and 0.25 < found["modularity"] < 0.5


def test_sector_mix(graph: nx.MultiDiGraph) -> None:
    m = mix(graph, as_of="2019-12-31")
    assert m["matrix"]["government"]["programme"] == m["matrix"]["programme"]["government"] == 6
    assert m["ei"] == (20 - 2) / 22  # 22 ties, 2 of them within a sector


def test_trend_and_diff_see_the_launch(graph: nx.MultiDiGraph) -> None:
    rows = trend(graph, "degree", start=2019, end=2019, step="quarter", orgs=[NSSZ])
    assert [r[NSSZ] for r in rows] == [None, None, 12 / 18, 12 / 18]  # no score before it exists
    changes = diff(graph, "2019-08-01", "2019-12-31")
    assert len(changes["started"]) == 15 and changes["ended"] == []
    appeared = changes["movers"][0]  # the largest move: it did not exist before
    assert appeared["key"] == NSSZ
    assert appeared["before"] is None and appeared["after"] > 0.5 and appeared["change"] is None
    ended = diff(graph, "2023-01-01", "2023-12-31")["ended"]
    assert [(t["from"], t["to"], t["end"]) for t in ended] == [("mss", "battery-rfz", "2023-08")]


def test_amounts_weigh_the_krw_supports(graph: nx.MultiDiGraph) -> None:
    strength = centrality(graph, "strength", weight="amount", as_of="2021-12-31")
    assert list(strength.items())[:3] == [("posco", 83e9), ("posco-venture-valley", 83e9), ("gangso-rdz", 7.2e9)]


def test_without_the_promotion_group_the_network_falls_apart(graph: nx.MultiDiGraph) -> None:
    found = whatif(graph, remove=[NSSZ], as_of="2019-12-31")
    assert (found["before"]["components"], found["after"]["components"]) == (3, 10)
    assert (found["before"]["largest_component"], found["after"]["largest_component"]) == (17, 6)
    # cut off from the largest component (the R&D zone's cluster): the battery zone's cluster, the city,
    # POSCO's venture valley and the funders that only reached the network through the promotion group
    assert found["cut_off"] == [
        "battery-rfz",
        "gb-ip-center",
        "gbtp",
        "kibo",
        "kosme",
        "mss",
        "pohang-city",
        "pomia",
        "posco",
        "posco-venture-valley",
    ]
    held = resilience(graph, as_of="2019-12-31")
    assert NSSZ in held["articulation_points"]
    assert held["curve"][1]["removed"] == NSSZ and held["curve"][1]["largest_component"] == 6


def test_partner_suggestions_on_the_demo(graph: nx.MultiDiGraph) -> None:
    found = suggest(graph, as_of="2019-12-31", top=5)
    assert [(s["a"], s["b"], round(s["score"], 4), s["why"]) for s in found] == [
        (NSSZ, "posco", 1.4427, "1 shared partner: posco-venture-valley"),
        ("pohang-tp", "postech", 0.9605, "2 shared partners: gangso-rdz, nssz-promotion-group"),
        ("pohang-tp", "rist", 0.9605, "2 shared partners: gangso-rdz, nssz-promotion-group"),
        ("postech", "rist", 0.9605, "2 shared partners: gangso-rdz, nssz-promotion-group"),
        ("gbtp", "mss", 0.9102, "1 shared partner: battery-rfz"),
    ]
