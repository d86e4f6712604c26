"""Issue 12's findings, each a regression test through the command line (docs/time.md has the rules).

Each test reproduces one observation of the issue as a new user made it, and checks the answer the model
gives instead.
"""

from __future__ import annotations

import json
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _ledger(run: Any, h: Any) -> None:
    """Each story starts from an empty ledger made with ``init`` (writes never create one)."""
    h.assert_ok(run("init"))


def register(run: Any, h: Any, *keys: str, **options: str) -> None:
    for key in keys:
        extra = [arg for name, value in options.items() for arg in (f"--{name}", value)]
        h.recorded(run("org", "register", key, "--sector", "firm", "--name-en", key.upper(), *extra))


def rows(result: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


def strength(run: Any, h: Any, day: str) -> dict[str, Any]:
    """Each organisation's summed amounts on *day*."""
    options = ("--metric", "strength", "--weight", "amount", "--as-of", day, "--all", "--format", "json")
    result = run("network", "centrality", *options)
    h.assert_ok(result)
    return {r["key"]: r["score"] for r in json.loads(result.stdout)}


def test_an_amendment_does_not_rewrite_the_past(run: Any, h: Any) -> None:
    """A grant of 1,000 awarded 2021-01-01 and amended to 2,000 effective 2023-01 showed 2,000 in mid-2022."""
    register(run, h, "fund", "lab")
    award = ("--kind", "grant", "--funder", "fund", "--recipient", "lab", "--amount", "1000", "--currency", "KRW")
    grant = h.printed_id(run("support", "award", *award, "--effective", "2021-01-01"))
    h.recorded(run("support", "amend", grant, "--amount", "2000", "--effective", "2023-01"))
    assert strength(run, h, "2022-06-30")["fund"] == 1000
    assert strength(run, h, "2022-12-31")["fund"] == 1000
    assert strength(run, h, "2023-01-01")["fund"] == 2000


def test_an_agreement_amendment_of_its_parties_keeps_the_third_partys_earlier_ties(run: Any, h: Any) -> None:
    """`agreement amend --party a --party b --effective 2024-01` dropped the third party's tie in 2022 too."""
    register(run, h, "a", "b", "c")
    signed = run(
        "agreement",
        "sign",
        "--kind",
        "mou",
        "--title",
        "Three",
        "--party",
        "a",
        "--party",
        "b",
        "--party",
        "c",
        "--effective",
        "2020-05",
    )
    agreement = h.printed_id(signed)
    h.recorded(run("agreement", "amend", agreement, "--party", "a", "--party", "b", "--effective", "2024-01"))

    def pairs(day: str) -> set[tuple[str, str]]:
        result = run("network", "ego", "c", "--as-of", day, "--format", "json")
        h.assert_ok(result)
        return {(r["from"], r["to"]) for r in json.loads(result.stdout)}

    assert pairs("2022-06-30") == {("a", "b"), ("a", "c"), ("b", "c")}
    assert pairs("2024-01-01") == set()  # c is still an organisation, no longer a party


def test_an_organisation_registered_in_2030_is_not_in_the_2020_network(run: Any, h: Any) -> None:
    """An organisation registered `--effective 2030` counted in `network summary --as-of 2020-06-30`."""
    register(run, h, "old")
    register(run, h, "future", effective="2030")

    def organisations(day: str) -> int:
        result = run("network", "summary", "--as-of", day, "--format", "json")
        h.assert_ok(result)
        return next(r["value"] for r in json.loads(result.stdout) if r["name"] == "all")

    assert organisations("2020-06-30") == 1
    assert organisations("2030-01-01") == 2
    ranking = run("network", "centrality", "--as-of", "2020-06-30", "--format", "json")
    assert [r["key"] for r in json.loads(ranking.stdout)] == ["old"]


def test_as_of_a_year_means_the_end_of_that_year(run: Any, h: Any) -> None:
    """`--as-of 2019` meant 2019-01-01: "the network in 2019" left out everything that happened in 2019."""
    register(run, h, "a", "b")
    h.recorded(run("partnership", "form", "--party", "a", "--party", "b", "--effective", "2019-08-22"))
    for asked, day in (("2019", "2019-12-31"), ("2019-08", "2019-08-31"), ("2019-02", "2019-02-28")):
        result = run("network", "draw", "--out", "n.svg", "--as-of", asked)
        h.assert_ok(result)
        assert result.stdout.endswith(f"as of {day}\n"), result.stdout
    ties = {asked: run("network", "summary", "--as-of", asked, "--format", "json") for asked in ("2019", "2019-07")}
    count = {
        k: next(r["value"] for r in json.loads(v.stdout) if r["section"] == "ties" and r["name"] == "all")
        for k, v in ties.items()
    }
    assert count == {"2019": 1, "2019-07": 0}


def test_eigenvector_of_a_network_without_ties_is_not_a_number(run: Any, h: Any) -> None:
    """Eigenvector centrality of a network with no ties reported 1/sqrt(n) for every organisation."""
    register(run, h, "a", "b", "c")
    result = run("network", "centrality", "--metric", "eigenvector", "--format", "json")
    h.assert_ok(result)
    assert [(r["key"], r["score"]) for r in json.loads(result.stdout)] == [("a", None), ("b", None), ("c", None)]
    table = run("network", "centrality", "--metric", "eigenvector")
    assert "0.5774" not in table.stdout and "nan" not in table.stdout.lower()


def test_a_date_filtered_log_marks_a_retracted_event_and_shows_its_retraction_next_to_it(run: Any, h: Any) -> None:
    """`log --from/--to` showed a retracted event beside its replacement, unmarked: a sum counted it twice."""
    register(run, h, "fund", "lab")
    award = ("--kind", "grant", "--funder", "fund", "--recipient", "lab", "--currency", "KRW", "--effective", "2021-03")
    wrong = h.recorded(run("support", "award", *award, "--amount", "500"))["event_id"]
    h.recorded(run("retract", wrong, "--reason", "typo in the amount"))
    h.recorded(run("support", "award", *award, "--amount", "50"))
    result = run("log", "--from", "2021", "--to", "2021", "--format", "jsonl")
    h.assert_ok(result)
    logged = rows(result)
    assert [r["type"] for r in logged] == ["support.awarded", "support.retracted", "support.awarded"]
    assert logged[0]["status"].startswith("retracted by ") and logged[1]["retracted_event_id"] == wrong
    standing = sum(int(r["amount"]) for r in logged if r["type"] == "support.awarded" and not r["status"])
    assert standing == 50
    csv_lines = run("log", "--from", "2021", "--to", "2021", "--format", "csv").stdout.splitlines()
    assert csv_lines[0].split(",")[10] == "status" and "retracted by" in csv_lines[1]


def test_show_answers_on_a_date_as_known_at_a_moment(run: Any, h: Any) -> None:
    """`show` had no `--as-of` or `--known-at`."""
    register(run, h, "kosme")
    h.recorded(run("org", "rename", "kosme", "--name-en", "KOSME II", "--effective", "2022-03"))
    later = h.recorded(run("org", "rename", "kosme", "--name-en", "KOSME III", "--effective", "2024"))

    def state(*options: str) -> dict[str, Any]:
        result = run("show", "kosme", "--format", "json", *options)
        h.assert_ok(result)
        return json.loads(result.stdout)["state"]  # type: ignore[no-any-return]

    assert state("--as-of", "2022-02")["name_en"] == "KOSME"
    assert state("--as-of", "2022")["name_en"] == "KOSME II"
    assert state("--as-of", "2025")["name_en"] == "KOSME III"
    assert state("--as-of", "2025", "--position", str(int(later["position"]) - 1))["name_en"] == "KOSME II"
    h.assert_error(run("show", "kosme", "--known-at", "2020-01-01", "--position", "1"), 2, "--known-at")
    h.assert_error(run("show", "kosme", "--as-of", "2022-13"), 2, "--as-of")
