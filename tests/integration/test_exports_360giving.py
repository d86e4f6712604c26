"""The 360Giving export, validated offline against the official 1.4.3 schemas.

The schemas and two real data files are copied into ``tests/data/360giving/`` (sources and
licences in ``tests/data/SOURCES.md``); the package itself never reads them.

Validating offline with ``jsonschema`` has three traps, each guarded here:

- the schemas say ``"$schema": "http://..."``: the resource is built as Draft 2020-12 explicitly;
- the package schema refers to the grant schema by its 1.4.2 URL, the grant schema's ``$id``
  is 1.4.3: the local grant schema is registered under both;
- without ``rfc3339-validator`` the ``date-time`` format is not checked, and because dates are
  ``oneOf`` [date-time, YYYY-MM-DD pattern], a valid ``2019-08-22`` then matches both branches and
  is rejected while ``22/08/2019`` matches one and is accepted. The real files prove the
  validator checks formats: the Wolfson file's dd/mm/yyyy dates are errors, the Andrew Lloyd
  Webber Foundation file has none.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from domain.ledger import Ledger
from projections.exports import export_360giving, grants_360giving, skipped_360giving

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "360giving"
SCHEMA = DATA / "schema"
GRANT_SCHEMA_URLS = [
    f"https://raw.githubusercontent.com/ThreeSixtyGiving/standard/{version}/schema/360-giving-schema.json"
    for version in ("1.4.2", "1.4.3")
]


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@cache
def package_validator() -> Draft202012Validator:
    """A Draft 2020-12 validator of 360Giving 1.4.3 packages that checks formats, offline."""
    grant = DRAFT202012.create_resource(_load(SCHEMA / "360-giving-schema.json"))
    registry: Registry[Any] = Registry().with_resources((url, grant) for url in GRANT_SCHEMA_URLS)
    return Draft202012Validator(
        _load(SCHEMA / "360-giving-package-schema.json"),
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def validate_360giving(package: Any) -> list[str]:
    """Every schema error of *package* as ``path: message`` (empty when valid)."""
    errors = package_validator().iter_errors(package)
    return [f"{'/'.join(str(p) for p in e.absolute_path)}: {e.message}" for e in errors]


def awarded(ledger: Ledger, **fields: Any) -> str:
    return str(ledger.award_support(**fields).aggregate_id)


@pytest.fixture
def grants_ledger(ledger: Ledger) -> dict[str, str]:
    """A ledger with four exportable grants (KRW and GBP) and one of each case that is not.

    Returns the support ids by name.
    """
    reg = ledger.register_organisation
    reg(
        "nrf",
        sector="funder",
        name_ko="한국연구재단",
        name_en="National Research Foundation of Korea",
        identifiers=["KR-BRN:314-82-12345"],
        country="KR",
        locality="Daejeon",
    )
    reg("gyeongbuk", sector="government", name_ko="경상북도", country="KR")
    reg(
        "postech",
        sector="university",
        name_ko="포항공과대학교",
        name_en="POSTECH",
        identifiers=["WIKIDATA:Q482", "KR-BRN:5038212345"],
        country="KR",
        locality="Pohang",
    )
    reg("wellcome", sector="funder", name_en="Wellcome Trust", identifiers=["GB-CHC:210183"], country="GB")
    reg("ucl", sector="university", name_en="University College London", identifiers=["GB-EDU:133874"], country="GB")
    reg("rist", sector="research_institute", name_ko="포항산업과학연구원")
    reg("gb-rnd", sector="programme", name_ko="경북 R&D 사업", name_en="Gyeongbuk R&D programme")

    ids: dict[str, str] = {}
    ids["krw"] = awarded(
        ledger,
        kind="grant",
        funders=["nrf"],
        recipients=["postech"],
        amount="50000000",
        currency="KRW",
        effective="2020-03-02",
        title="Battery materials lab",
        description="Three-year support for a battery materials laboratory.",
        planned_start="2020-04-01",
        planned_end="2023-03-31",
        reference="360G-netledger-NRF-2020-001",
    )
    ids["multi_funder"] = awarded(
        ledger,
        kind="grant",
        funders=["nrf:lead", "gyeongbuk:co-funder"],
        recipients=["postech"],
        amount="1200000000",
        currency="KRW",
        effective="2021-05-10",
    )
    ledger.amend_support(ids["multi_funder"], amount="1500000000", effective="2021-06-01")
    ids["gbp"] = awarded(
        ledger,
        kind="grant",
        funders=["wellcome"],
        recipients=["ucl"],
        amount="25000.50",
        currency="GBP",
        effective="2019-11-15",
        title="Open data fellowship",
        planned_start="2020-01",
        reference="WT-1234",
    )
    ledger.disburse_support(ids["gbp"], amount="10000.25", currency="GBP", effective="2020-01-10")
    ids["programme"] = awarded(
        ledger,
        kind="grant",
        funders=["gyeongbuk"],
        recipients=["rist"],
        programme="gb-rnd",
        amount="300000000",
        currency="KRW",
        effective="2022-02-28",
        title="Recycling pilot",
    )
    ledger.end_support(ids["programme"], effective="2023-02-28")  # ran its course: still a grant

    # -- none of these is a grant to publish
    ledger.form_partnership(["postech:partner", "ucl:partner"], effective="2020-01-15", title="Exchange")
    ledger.sign_agreement(["nrf", "postech"], kind="mou", title="Research MOU", effective="2020-02-01")
    for kind in ("designation", "in_kind"):
        ids[kind] = awarded(ledger, kind=kind, funders=["gyeongbuk"], recipients=["postech"], effective="2020-05-05")
    for kind in ("loan", "guarantee", "investment"):
        ids[kind] = awarded(
            ledger,
            kind=kind,
            funders=["nrf"],
            recipients=["postech"],
            amount="1000000",
            currency="KRW",
            effective="2020-05-05",
        )
    ids["no_amount"] = awarded(ledger, kind="grant", funders=["nrf"], recipients=["postech"], effective="2020-06-01")
    ids["month"] = awarded(
        ledger, kind="grant", funders=["nrf"], recipients=["postech"], amount="5", currency="KRW", effective="2020-06"
    )
    ids["two_recipients"] = awarded(
        ledger,
        kind="grant",
        funders=["nrf"],
        recipients=["postech", "rist"],
        amount="900",
        currency="KRW",
        effective="2020-06-02",
    )
    ids["withdrawn"] = awarded(
        ledger, kind="grant", funders=["nrf"], recipients=["rist"], amount="7", currency="KRW", effective="2020-06-03"
    )
    ledger.withdraw_support(ids["withdrawn"], effective="2020-07-01")
    retracted = ledger.award_support(
        kind="grant", funders=["nrf"], recipients=["rist"], amount="8", currency="KRW", effective="2020-06-04"
    )
    ids["retracted"] = str(retracted.aggregate_id)
    ledger.retract(retracted.event.event_id, reason="recorded by mistake")
    return ids


def by_id(package: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {grant["id"]: grant for grant in package["grants"]}


# -- the validator itself ----------------------------------------------------------------------------
def test_the_schemas_need_both_urls_and_format_checks() -> None:
    package = _load(SCHEMA / "360-giving-package-schema.json")
    grant = _load(SCHEMA / "360-giving-schema.json")
    assert package["properties"]["grants"]["items"]["$ref"] == GRANT_SCHEMA_URLS[0]
    assert grant["$id"] == GRANT_SCHEMA_URLS[1]
    assert grant["$schema"].startswith("http://")
    assert "date-time" in Draft202012Validator.FORMAT_CHECKER.checkers, "install rfc3339-validator"


def test_the_invalid_wolfson_file_fails_on_its_dd_mm_yyyy_dates() -> None:
    data = _load(DATA / "wolfson-2014-a002400000KeYdsAAF.invalid.json")
    errors = list(package_validator().iter_errors(data))
    fields = Counter(str(e.absolute_path[-1]) for e in errors)
    assert fields["awardDate"] == len(data["grants"]) == 379
    assert fields == {"awardDate": 379, "dateModified": 379}
    first = next(e for e in errors if e.absolute_path[-1] == "awardDate")
    assert first.instance == "05/06/2014"
    assert any(m.startswith("grants/0/awardDate: '05/06/2014'") for m in validate_360giving(data))


def test_the_valid_alwf_file_has_no_errors() -> None:
    data = _load(DATA / "alwf-a003W000001B7PzQAK.json")
    assert len(data["grants"]) == 475
    assert validate_360giving(data) == []


@pytest.mark.parametrize(
    ("award_date", "valid"),
    [("2019-08-22", True), ("2019-08-22T10:00:00Z", True), ("22/08/2019", False), ("2019-08", False)],
)
def test_award_dates_are_really_checked(award_date: str, valid: bool) -> None:
    grant = {
        "id": "360G-x-1",
        "title": "t",
        "description": "d",
        "currency": "KRW",
        "amountAwarded": 1,
        "awardDate": award_date,
        "fundingOrganization": [{"id": "XI-x-1", "name": "F"}],
        "recipientOrganization": [{"id": "XI-x-2", "name": "R"}],
    }
    assert (validate_360giving({"grants": [grant]}) == []) is valid


# -- the export -------------------------------------------------------------------------------------
def test_export_validates_against_the_official_schema(ledger: Ledger, grants_ledger: dict[str, str]) -> None:
    package = grants_360giving(ledger)
    written = json.loads(json.dumps(package, ensure_ascii=False))  # what a file would hold
    assert written == package
    assert validate_360giving(written) == []
    assert len(package["grants"]) == 4
    assert {g["currency"] for g in package["grants"]} == {"KRW", "GBP"}


def test_exported_grants_carry_the_current_state(ledger: Ledger, grants_ledger: dict[str, str]) -> None:
    ids = grants_ledger
    grants = by_id(grants_360giving(ledger))

    krw = grants["360G-netledger-NRF-2020-001"]  # the reference already is a 360Giving id
    assert krw == {
        "id": "360G-netledger-NRF-2020-001",
        "title": "Battery materials lab",
        "description": "Three-year support for a battery materials laboratory.",
        "currency": "KRW",
        "amountAwarded": 50000000,
        "awardDate": "2020-03-02",
        "plannedDates": [{"startDate": "2020-04-01", "endDate": "2023-03-31"}],
        "fundingOrganization": [
            {
                "id": "KR-BRN-3148212345",
                "name": "National Research Foundation of Korea",
                "alternateName": "한국연구재단",
                "addressLocality": "Daejeon",
                "addressCountry": "KR",
            }
        ],
        "recipientOrganization": [
            {
                "id": "KR-BRN-5038212345",
                "name": "POSTECH",
                "alternateName": "포항공과대학교",
                "addressLocality": "Pohang",
                "addressCountry": "KR",
            }
        ],
    }

    multi = grants[f"360G-netledger-{ids['multi_funder']}"]
    assert multi["amountAwarded"] == 1500000000  # amended
    assert [f["id"] for f in multi["fundingOrganization"]] == ["KR-BRN-3148212345", "360G-netledger-org-gyeongbuk"]
    assert multi["fundingOrganization"][1]["name"] == "경상북도"
    title = "Grant from National Research Foundation of Korea and 경상북도 to POSTECH"
    assert multi["title"] == multi["description"] == title
    assert "plannedDates" not in multi

    gbp = grants[f"360G-netledger-{ids['gbp']}"]  # 'WT-1234' is not a 360Giving id
    assert (gbp["amountAwarded"], gbp["amountDisbursed"], gbp["currency"]) == (25000.5, 10000.25, "GBP")
    assert gbp["plannedDates"] == [{"startDate": "2020-01"}]
    assert gbp["fundingOrganization"] == [{"id": "GB-CHC-210183", "name": "Wellcome Trust", "addressCountry": "GB"}]
    assert gbp["recipientOrganization"][0]["id"] == "GB-EDU-133874"

    programme = grants[f"360G-netledger-{ids['programme']}"]
    assert programme["grantProgramme"] == [{"code": "gb-rnd", "title": "Gyeongbuk R&D programme"}]
    assert programme["recipientOrganization"] == [{"id": "360G-netledger-org-rist", "name": "포항산업과학연구원"}]


def test_what_is_not_a_publishable_grant_is_skipped_with_a_reason(
    ledger: Ledger, grants_ledger: dict[str, str]
) -> None:
    ids = grants_ledger
    package, skipped = export_360giving(ledger)
    assert skipped == skipped_360giving(ledger)
    reasons = {s["support_id"]: s["reason"] for s in skipped}
    assert reasons == {
        ids["designation"]: "kind 'designation' is not a grant",
        ids["in_kind"]: "kind 'in_kind' is not a grant",
        ids["loan"]: "kind 'loan' is not a grant",
        ids["guarantee"]: "kind 'guarantee' is not a grant",
        ids["investment"]: "kind 'investment' is not a grant",
        ids["no_amount"]: "no amount: a grant is published only with its amount and currency",
        ids["month"]: "award date 2020-06 is not known to the day (360Giving needs YYYY-MM-DD)",
        ids["two_recipients"]: "2 recipients share one amount: it cannot be split among them",
        ids["withdrawn"]: "withdrawn on 2020-07-01",
        ids["retracted"]: "its award was retracted",
    }
    assert {s["kind"] for s in skipped if s["support_id"] == ids["retracted"]} == {"grant"}
    exported = json.dumps(package)
    for name, support_id in ids.items():
        assert (support_id in exported) == (name in {"multi_funder", "gbp", "programme"}), name
    assert all(g["amountAwarded"] > 0 for g in package["grants"])
    assert "Exchange" not in exported and "Research MOU" not in exported  # partnership, agreement


def test_as_of_gives_the_grants_as_they_stood(ledger: Ledger, grants_ledger: dict[str, str]) -> None:
    ids = grants_ledger
    package, skipped = export_360giving(ledger, as_of="2021-05-20")
    grants = by_id(package)
    multi = grants[f"360G-netledger-{ids['multi_funder']}"]
    assert multi["amountAwarded"] == 1200000000  # the amendment takes effect on 2021-06-01
    assert f"360G-netledger-{ids['programme']}" not in grants
    assert {"support_id": ids["programme"], "kind": "grant", "title": "Recycling pilot"}.items() <= next(
        s for s in skipped if s["support_id"] == ids["programme"]
    ).items()
    assert validate_360giving(package) == []

    before_withdrawal = by_id(grants_360giving(ledger, as_of="2020-06-30"))
    assert f"360G-netledger-{ids['withdrawn']}" in before_withdrawal
    assert f"360G-netledger-{ids['withdrawn']}" not in by_id(grants_360giving(ledger, as_of="2020-07"))
    gbp = by_id(grants_360giving(ledger, as_of="2019-12-31"))[f"360G-netledger-{ids['gbp']}"]
    assert "amountDisbursed" not in gbp  # paid on 2020-01-10
    assert grants_360giving(ledger, as_of="2019-01-01") == {"grants": []}


def test_publisher_prefix(ledger: Ledger, grants_ledger: dict[str, str]) -> None:
    package = grants_360giving(ledger, publisher_prefix="360G-pohang")
    assert all(g["id"].startswith("360G-pohang-") for g in package["grants"])
    assert "360G-netledger-NRF-2020-001" not in by_id(package)  # another publisher's prefix
    orgs = {o["id"] for g in package["grants"] for o in g["recipientOrganization"] + g["fundingOrganization"]}
    assert "360G-pohang-org-gyeongbuk" in orgs
    assert validate_360giving(package) == []
    for bad in ("netledger", "360G-", "360G-a b", ""):
        with pytest.raises(ValueError, match="not a 360Giving prefix"):
            grants_360giving(ledger, publisher_prefix=bad)


def test_a_reference_used_twice_names_one_grant_only(ledger: Ledger) -> None:
    ledger.register_organisation("f", sector="funder", name_en="F")
    ledger.register_organisation("r", sector="firm", name_en="R")
    common = dict(kind="grant", funders=["f"], recipients=["r"], currency="KRW", reference="360G-netledger-7")
    awarded(ledger, amount="1", effective="2020-01-01", **common)
    second = awarded(ledger, amount="2", effective="2020-01-02", **common)
    ids = [g["id"] for g in grants_360giving(ledger)["grants"]]
    assert ids == ["360G-netledger-7", f"360G-netledger-{second}"]


def test_an_amount_json_cannot_carry_exactly_is_skipped(ledger: Ledger) -> None:
    ledger.register_organisation("f", sector="funder", name_en="F")
    ledger.register_organisation("r", sector="firm", name_en="R")
    sid = awarded(
        ledger,
        kind="grant",
        funders=["f"],
        recipients=["r"],
        amount="123456789012345.123456",
        currency="USD",
        effective="2020-01-01",
    )
    package, skipped = export_360giving(ledger)
    assert package == {"grants": []}
    assert skipped == [
        {
            "support_id": sid,
            "kind": "grant",
            "title": None,
            "reason": "amount 123456789012345.123456 cannot be written exactly as a JSON number",
        }
    ]


def test_an_empty_export_is_not_a_valid_package(ledger: Ledger) -> None:
    package = grants_360giving(ledger)
    assert package == {"grants": []}
    assert validate_360giving(package) == ["grants: [] should be non-empty"]
