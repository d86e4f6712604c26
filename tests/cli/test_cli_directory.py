"""Finding organisations: `org list`, `org search`, names and identifiers for keys, and the closest keys on a miss."""

from __future__ import annotations

import json
from typing import Any

NSSZ = "nssz-promotion-group"


def as_json(result: Any) -> Any:
    return json.loads(result.stdout)


def test_org_list_shows_every_registered_organisation(run: Any, demo_db: Any, h: Any) -> None:
    result = run("org", "list", "--format", "json", db=demo_db)
    h.assert_ok(result)
    rows = as_json(result)
    assert len(rows) == 19 and [r["key"] for r in rows] == sorted(r["key"] for r in rows)
    group = next(r for r in rows if r["key"] == NSSZ)
    assert (group["name_ko"], group["sector"], group["start"]) == ("국가전략특구추진단", "government", "2019-08-22")
    universities = as_json(run("org", "list", "--sector", "university", "--format", "json", db=demo_db))
    assert [r["key"] for r in universities] == ["postech"]
    before = as_json(run("org", "list", "--as-of", "2019-08-01", "--format", "json", db=demo_db))
    assert len(before) == 18 and NSSZ not in {r["key"] for r in before}


def test_org_search_finds_by_key_name_and_spelling(run: Any, demo_db: Any, h: Any) -> None:
    def found(text: str) -> list[tuple[str, str]]:
        result = run("org", "search", text, "--format", "json", db=demo_db)
        h.assert_ok(result)
        return [(r["key"], r["matched"]) for r in as_json(result)]

    assert found("postech")[0] == ("postech", "key")
    assert found("포항공과대학교")[0] == ("postech", "name_ko")  # the start of its Korean name
    assert found("Research Institute of Industrial")[0] == ("rist", "name_en")
    assert found("postec")[0] == ("postech", "key")  # a near miss
    assert ("kibo", "key") in found("kib0")  # a typo, found by similarity
    assert found("no such thing at all") == []


def test_a_name_or_an_identifier_stands_for_its_key(run: Any, demo_db: Any, h: Any) -> None:
    by_key = run("network", "ego", "postech", "--as-of", "2019-12-31", "--format", "json", db=demo_db)
    by_name = run("network", "ego", "POSTECH", "--as-of", "2019-12-31", "--format", "json", db=demo_db)
    by_korean = run("network", "ego", "포항공과대학교(포스텍)", "--as-of", "2019-12-31", "--format", "json", db=demo_db)
    h.assert_ok(by_key)
    assert as_json(by_key) == as_json(by_name) == as_json(by_korean) != []
    shown = run("show", "국가전략특구추진단", "--format", "json", db=demo_db)
    h.assert_ok(shown)
    assert as_json(shown)["state"]["key"] == NSSZ
    logged = run("log", "--org", "RIST", "--format", "json", db=demo_db)
    h.assert_ok(logged)
    assert as_json(logged)[0]["key"] == "rist"


def test_a_miss_names_the_closest_keys(run: Any, demo_db: Any, h: Any) -> None:
    error = h.assert_error(run("network", "ego", "postec", db=demo_db), 1, "KEY")
    assert "did you mean postech" in error
    assert "did you mean postech" in h.assert_error(run("show", "postec", db=demo_db), 1, "KEY_OR_ID")
    assert "did you mean rist" in h.assert_error(run("log", "--org", "rits", db=demo_db), 1, "--org")
    check = h.unchanged(demo_db)
    refused = run("partnership", "form", "--party", "postec", "--party", "rist", "--effective", "2020", db=demo_db)
    error = h.assert_error(refused, 1, "parties[0]")
    assert "did you mean postech" in error and "netledger org register postec" in error
    check()
    nothing_close = h.assert_error(run("org", "rename", "zzzzzz", "--name-en", "Z", db=demo_db), 1, "key")
    assert "did you mean" not in nothing_close
