"""Amounts in several currencies: every amount query answers per currency, or for ``--currency C``, never fails.

The ledger holds KRW and USD grants. The reference is the obvious sum, written
here from the awards themselves: an organisation's strength in a currency is
the sum of the amounts of its grants in that currency.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from domain.errors import RuleViolation
from domain.ledger import Ledger
from projections.centrality import centrality
from projections.engines import currencies, simple_graph
from projections.sectors import mix
from projections.store import load_network

#: (funder, recipient, amount, currency, award date)
GRANTS = [
    ("fund", "lab", "1000", "KRW", "2019-03"),
    ("fund", "uni", "2500", "KRW", "2019-05"),
    ("fund", "lab", "7.25", "USD", "2019-06"),
    ("bank", "uni", "300.10", "USD", "2019-07"),
    ("bank", "lab", "400", "KRW", "2019-08"),
]


def build(path: Path) -> Path:
    with Ledger(path, actor="tester", create=True) as ledger:
        ledger.register_organisation("fund", sector="funder", name_en="Fund")
        ledger.register_organisation("bank", sector="funder", name_en="Bank")
        ledger.register_organisation("lab", sector="firm", name_en="Lab")
        ledger.register_organisation("uni", sector="university", name_en="Uni")
        for funder, recipient, amount, currency, when in GRANTS:
            ledger.award_support(
                kind="grant", funders=[funder], recipients=[recipient], amount=amount, currency=currency, effective=when
            )
    return path


def reference_strength(currency: str) -> dict[str, Decimal]:
    """Each organisation's summed grant amounts in *currency*, from the awards."""
    found: dict[str, Decimal] = {}
    for funder, recipient, amount, money, _ in GRANTS:
        if money == currency:
            for key in (funder, recipient):
                found[key] = found.get(key, Decimal(0)) + Decimal(amount)
    return found


@pytest.fixture
def two_currencies(db: Path) -> Path:
    return build(db)


def test_library_weighs_one_currency_and_counts_the_others(two_currencies: Path) -> None:
    with Ledger(two_currencies) as ledger:
        graph = load_network(ledger)
    assert currencies(graph, as_of="2019") == {"KRW": 3, "USD": 2}
    assert currencies(graph, as_of="2019-05") == {"KRW": 2}
    for money, other in (("KRW", {"USD": 2}), ("USD", {"KRW": 3})):
        simple = simple_graph(graph, as_of="2019", weight="amount", currency=money)
        assert simple.graph["left_out"] == other
        strength = {k: Decimal(str(v)) for k, v in simple.degree(weight="weight") if v}
        assert strength == reference_strength(money)
        scores = centrality(graph, "strength", weight="amount", currency=money, as_of="2019")
        assert {k: Decimal(str(v)) for k, v in scores.items() if v} == reference_strength(money)
    krw = mix(graph, weight="amount", currency="KRW", as_of="2019")
    assert krw["matrix"]["funder"]["firm"] == 1400.0 and krw["matrix"]["funder"]["university"] == 2500.0


def test_library_refuses_to_add_up_two_currencies_without_being_told_which(two_currencies: Path) -> None:
    with Ledger(two_currencies) as ledger:
        graph = load_network(ledger)
    with pytest.raises(RuleViolation) as refused:
        simple_graph(graph, as_of="2019", weight="amount")
    assert refused.value.field == "currency" and "KRW and USD" in str(refused.value)
    # one currency on the day: no choice needed, nothing left out
    assert simple_graph(graph, as_of="2019-05", weight="amount").graph["currency"] == "KRW"


def test_amount_queries_answer_per_currency(run: Any, h: Any, two_currencies: Path) -> None:
    """Regression (issue 13): one USD grant made every amount query fail with "cannot be added up"."""
    result = run("network", "centrality", "--metric", "strength", "--weight", "amount", "--all", "--as-of", "2019",
                 "--format", "json")  # fmt: skip
    h.assert_ok(result)
    rows = json.loads(result.stdout)
    for money in ("KRW", "USD"):
        got = {r["key"]: Decimal(str(r["score"])) for r in rows if r["currency"] == money and r["score"]}
        assert got == reference_strength(money)
    queries = [
        ["brokers"],
        ["communities"],
        ["mix"],
        ["path", "fund", "lab"],
        ["trend", "--metric", "strength", "--from", "2018", "--to", "2019", "--org", "lab"],
        ["diff", "2018", "2019", "--metric", "strength"],
    ]
    for query in queries:
        as_of = [] if query[0] in ("trend", "diff") else ["--as-of", "2019"]
        result = run("network", *query, "--weight", "amount", *as_of, "--format", "json")
        h.assert_ok(result)
        found = {r.get("currency") for r in json.loads(result.stdout)}
        assert {"KRW", "USD"} <= found, (query, found)


def test_currency_option_leaves_the_others_out_with_a_note(run: Any, h: Any, two_currencies: Path) -> None:
    result = run("network", "centrality", "--metric", "strength", "--weight", "amount", "--currency", "USD",
                 "--all", "--as-of", "2019", "--format", "json")  # fmt: skip
    h.assert_ok(result)
    rows = json.loads(result.stdout)
    assert {r["currency"] for r in rows} == {"USD"}
    assert {r["key"]: Decimal(str(r["score"])) for r in rows if r["score"]} == reference_strength("USD")
    assert result.stderr == ("note: amounts in USD only; ties with amounts in other currencies left out: 3 in KRW\n")


def test_a_bad_currency_code_is_refused(run: Any, h: Any, two_currencies: Path) -> None:
    check = h.unchanged(two_currencies)
    result = run("network", "centrality", "--metric", "strength", "--weight", "amount", "--currency", "usd")
    h.assert_error(result, 2, "--currency")
    check()


def test_one_currency_answers_as_before(run: Any, h: Any, two_currencies: Path) -> None:
    """Without several currencies on the day, an amount query has no currency column."""
    result = run("network", "centrality", "--metric", "strength", "--weight", "amount", "--as-of", "2019-05",
                 "--format", "json")  # fmt: skip
    h.assert_ok(result)
    rows = json.loads(result.stdout)
    assert "currency" not in rows[0]
    assert {r["key"]: Decimal(str(r["score"])) for r in rows if r["score"]} == {
        "fund": Decimal(3500),
        "lab": Decimal(1000),
        "uni": Decimal(2500),
    }


def test_graph_export_weighs_the_currency_it_is_given(run: Any, h: Any, two_currencies: Path, tmp_path: Path) -> None:
    import networkx as nx

    out = tmp_path / "usd.graphml"
    args = ["export", "--format", "graphml", "--weight", "amount", "--as-of", "2019"]
    h.assert_ok(run(*args, "--currency", "USD", "--out", str(out)))
    weights = {tuple(sorted((u, v))): w for u, v, w in nx.read_graphml(out).edges(data="weight")}
    assert weights == {("fund", "lab"): 7.25, ("bank", "uni"): 300.1}
    check = h.unchanged(two_currencies)
    assert "KRW and USD" in h.assert_error(run(*args, "--out", str(tmp_path / "x.graphml")), 1, "--currency")
    h.assert_error(run(*args, "--currency", "usd"), 2, "--currency")
    check()
    assert not (tmp_path / "x.graphml").exists()
