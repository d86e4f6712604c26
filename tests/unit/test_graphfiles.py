"""The network's files (``projections.graphfiles``) on a small hand-made network: shapes, types, dates.

Three readers and netledger's own scores on the demo are in tests/integration/test_graph_files.py.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import networkx as nx
import pytest

from domain.errors import RuleViolation
from projections.graphfiles import export_graph, write_gexf, write_graphml

DAY = "2021-06-30"


def small() -> nx.MultiDiGraph:
    """Two organisations tied twice (a grant in KRW, an MOU), one tied in USD, an unregistered party."""
    g = nx.MultiDiGraph(ledger="small", position=5)
    g.add_node("msit", key="msit", name="MSIT", name_ko="과학기술정보통신부", name_en="MSIT", sector="government",
               identifiers=["KR-BRN:1358300001"], country="KR", locality=None, registered=True, start=None)  # fmt: skip
    g.add_node("postech", key="postech", name="포항공과대학교", name_ko="포항공과대학교", sector="university",
               identifiers=[], registered=True, start="1986", dissolved="2030-01", until_on="2030-01-01")  # fmt: skip
    g.add_node("nsf", key="nsf", name="NSF", sector="funder", identifiers=[], registered=True)
    g.add_node("ghost", key="ghost", registered=False)
    dates = {"start_on": "2019-09-23", "end_on": "2021-07-01", "start": "2019-09-23", "end": "2021-07"}
    grant = {"aggregate_id": "s1", "tie_type": "support", "kind": "grant", "title": "연구 지원", "programme": None}
    g.add_edge("msit", "postech", key="s1:0", amount="7200000000", currency="KRW", roles=["funder", "recipient"],
               **grant, **dates)  # fmt: skip
    mou = {"aggregate_id": "a1", "tie_type": "agreement", "kind": "mou", "title": "MOU", "term_end": "2024"}
    g.add_edge("postech", "msit", key="a1:0", start="2019", start_on="2019-01-01", end=None, end_on=None,
               roles=["party", None], **mou)  # fmt: skip
    g.add_edge("nsf", "postech", key="s2:0", aggregate_id="s2", tie_type="support", kind="grant", title="Lab",
               amount="1000.5", currency="USD", start="2020", start_on="2020-01-01", end=None, end_on=None,
               roles=[None, None])  # fmt: skip
    g.add_edge("postech", "ghost", key="p1:0", aggregate_id="p1", tie_type="partnership", kind="partnership",
               start="2019-07", start_on="2019-07-01", end=None, end_on=None, roles=[None, None])  # fmt: skip
    return g


def graphml(graph: nx.Graph) -> nx.Graph:
    out = io.BytesIO()
    write_graphml(graph, out)
    return nx.read_graphml(io.BytesIO(out.getvalue()), force_multigraph=graph.is_multigraph())


def test_the_analysis_shape_is_one_undirected_edge_per_pair_with_amounts_per_currency() -> None:
    flat = export_graph(small(), as_of=DAY)
    assert not flat.is_directed() and sorted(map(sorted, flat.edges())) == [["ghost", "postech"], ["msit", "postech"],
                                                                          ["nsf", "postech"]]  # fmt: skip
    pair = flat.edges["msit", "postech"]
    assert (pair["ties"], pair["amount_KRW"], pair["weight"]) == (2, 7200000000, 1.0)
    # the MOU ends with postech's dissolution in 2030, the grant on its own in 2021-07
    assert (pair["tie_ids"], pair["tie_types"], pair["tie_starts"], pair["tie_ends"]) == (
        "a1:0; s1:0", "agreement; support", "2019; 2019-09-23", "2030-01; 2021-07")  # fmt: skip
    assert flat.edges["nsf", "postech"]["amount_USD"] == 1000.5
    ties = export_graph(small(), as_of=DAY, weight="ties")
    assert ties.edges["msit", "postech"]["weight"] == 2.0
    with pytest.raises(RuleViolation, match="currency: the ties carry amounts in KRW and USD"):
        export_graph(small(), as_of=DAY, weight="amount")
    # issue 13: one currency named, the other's pairs left out (their amounts still written)
    usd = export_graph(small(), as_of=DAY, weight="amount", currency="USD")
    assert sorted(map(sorted, usd.edges())) == [["nsf", "postech"]] and usd.edges["nsf", "postech"]["weight"] == 1000.5
    krw = export_graph(small(), as_of=DAY, weight="amount", currency="KRW")
    assert sorted(map(sorted, krw.edges())) == [["msit", "postech"]]
    assert krw.edges["msit", "postech"]["weight"] == 7200000000.0


def test_amount_weights_of_one_currency_and_the_pairs_without_amount_left_out() -> None:
    g = small()
    g.remove_node("nsf")
    flat = export_graph(g, as_of=DAY, weight="amount")
    assert sorted(map(sorted, flat.edges())) == [["msit", "postech"]]  # the partnership carries no amount
    assert flat.edges["msit", "postech"]["weight"] == 7200000000.0


def test_graphml_keeps_every_attribute_with_its_type() -> None:
    back = graphml(export_graph(small(), as_of=DAY, shape="ties"))
    msit = back.nodes["msit"]
    assert (msit["name_ko"], msit["identifiers"], msit["registered"], msit["label"]) == (
        "과학기술정보통신부", "KR-BRN:1358300001", True, "MSIT")  # fmt: skip
    assert "identifiers" not in back.nodes["postech"] and back.nodes["postech"]["dissolved"] == "2030-01"
    assert back.nodes["ghost"] == {"key": "ghost", "registered": False, "label": "ghost"}
    grant = back.edges["msit", "postech", "s1:0"]
    assert (grant["amount"], grant["roles"], grant["title"], grant["end"]) == (
        7200000000, "funder; recipient", "연구 지원", "2021-07")  # fmt: skip
    assert back.edges["nsf", "postech", "s2:0"]["amount"] == 1000.5


def test_gexf_13_with_inclusive_ends_and_node_intervals() -> None:
    out = io.BytesIO()
    write_gexf(export_graph(small(), as_of=DAY, shape="ties"), out)
    root = ET.fromstring(out.getvalue())
    ns = {"g": "http://gexf.net/1.3"}
    assert root.get("version") == "1.3"
    grant = next(e for e in root.findall(".//g:edge", ns) if e.get("id") == "s1:0")
    assert (grant.get("start"), grant.get("end")) == ("2019-09-23", "2021-06-30")  # ends 2021-07: last day 06-30
    postech = next(n for n in root.findall(".//g:node", ns) if n.get("id") == "postech")
    assert (postech.get("start"), postech.get("end")) == ("1986-01-01", "2029-12-31")
    types = {a.get("title"): a.get("type") for a in root.findall(".//g:attributes[@class='edge']/g:attribute", ns)}
    assert types["amount"] == "double" and "networkx_key" not in types


def test_the_directed_shape_holds_support_flows_with_their_payments() -> None:
    g = small()
    g.edges["msit", "postech", "s1:0"]["disbursements"] = (("2020-01-01", "1000"),)  # paid by the day
    flows = export_graph(g, as_of=DAY, shape="directed")
    assert sorted(flows.edges()) == [("msit", "postech"), ("nsf", "postech")]
    assert (flows.edges["msit", "postech"]["disbursed_KRW"], flows.edges["nsf", "postech"]["amount_USD"]) == (
        1000,
        1000.5,
    )
