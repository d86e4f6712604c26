"""360Giving in and out without loss: every field kept, the export equal to the source, re-import writes nothing.

The reference is the source file itself, read with ``json`` (numbers as ``Decimal``), and the
official 1.4.3 schema (``tests/integration/test_exports_360giving.validate_360giving``).
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.main import cli
from domain.ledger import Ledger
from domain.organisation import Organisation
from domain.support import Support
from projections.exports import NORMALISATIONS
from tests.integration.test_exports_360giving import validate_360giving

DATA = Path(__file__).resolve().parents[1] / "data" / "360giving"
ALWF = DATA / "alwf-a003W000001B7PzQAK.json"


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), *args])


def imported(db: Path, source: Path, *extra: str) -> Result:
    return run(db, "import", "--create", str(source), "--format", "360giving", *extra)


def load(path: Path) -> list[dict[str, Any]]:
    grants: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)["grants"]
    return grants


def differences(source: list[dict[str, Any]], exported: list[dict[str, Any]]) -> list[tuple[str, str, Any, Any]]:
    """Every member that differs, as (grant id, member, source value, exported value); numbers compared exactly."""
    by_id = {g["id"]: g for g in exported}
    assert set(by_id) == {g["id"] for g in source}, "the export has exactly the source's grant ids"
    found = []
    for grant in source:
        out = by_id[grant["id"]]
        for name in sorted(set(grant) | set(out)):
            if grant.get(name) != out.get(name):
                found.append((grant["id"], name, grant.get(name), out.get(name)))
    return found


def float_artefact(source: Any, exported: Any) -> bool:
    """The one documented change of a value: an amount like 44337.130000000005 read to the penny."""
    return (
        isinstance(source, Decimal) and source.as_tuple().exponent < -6 and source.quantize(Decimal("0.01")) == exported
    )  # type: ignore[operator]


def round_trip(tmp_path: Path, source: Path) -> tuple[Path, list[tuple[str, str, Any, Any]]]:
    """Import *source*, export, re-import the export into the same ledger; the differences found."""
    db = tmp_path / "l.db"
    first = imported(db, source)
    assert first.exit_code == 0, first.stderr
    out = tmp_path / "export.json"
    exported = run(db, "export", "--format", "360giving", "--out", str(out))
    assert exported.exit_code == 0, exported.stderr
    assert "0 support(s) skipped" in exported.stderr
    with Ledger(db) as ledger:
        before = ledger.count()
    again = imported(db, out)
    assert again.exit_code == 0, again.stderr
    assert "wrote 0 event(s)" in again.stderr
    with Ledger(db) as ledger:
        assert ledger.count() == before
    package = json.loads(out.read_text(encoding="utf-8"), parse_float=Decimal)
    assert validate_360giving(json.loads(out.read_text(encoding="utf-8"))) == []
    found = differences(load(source), package["grants"])
    print("documented normalisations:", *NORMALISATIONS, sep="\n- ")
    print("differences found:", *found, sep="\n  ")
    return db, found


def test_the_real_alwf_file_round_trips_field_by_field(tmp_path: Path) -> None:
    _, found = round_trip(tmp_path, ALWF)
    assert found, "the ALWF file has two float artefacts: the comparison must see them"
    assert all(name == "amountAwarded" and float_artefact(src, out) for _, name, src, out in found), found
    assert len(found) == 2


# -- a generated file with every field of the schema and the edge cases -------------------------------------
def organisation(org_id: str, name: str, **more: Any) -> dict[str, Any]:
    return {"id": org_id, "name": name, **more}


EVERY_ORGANISATION_FIELD = {
    "department": "Grants team",
    "contactName": "  Kim Min-ji ",
    "charityNumber": "1015890",
    "companyNumber": "02758315",
    "streetAddress": "1 Road\nSecond line",
    "addressLocality": "포항",
    "addressRegion": "Gyeongbuk",
    "addressCountry": "KR",
    "postalCode": "37673",
    "telephone": "+82 54 000 0000",
    "alternateName": "포스텍",
    "email": "grants@example.org",
    "description": "A university 🎓",
    "organisationType": "University",
    "url": "https://example.org/",
    "location": [{"id": "L1", "name": "Pohang", "latitude": Decimal("36.0190"), "longitude": Decimal("129.3435")}],
    "dateModified": "2024-05-06T07:08:09+09:00",
}


def every_field_grants() -> list[dict[str, Any]]:
    """Grants using every member the 1.4.3 grant schema defines, and the edge cases."""
    funder = organisation("GB-CHC-1015648", "Funder Trust")
    every = {
        "id": "360G-gen-every",
        "title": "  Leading and trailing spaces  ",
        "description": "설명: unicode, and a line break\nhere",
        "currency": "KRW",
        "amountAppliedFor": Decimal("60000000"),
        "amountAwarded": Decimal("50000000"),
        "amountDisbursed": Decimal("25000000.5"),
        "awardDate": "2020-03-02T10:30:00+09:00",
        "url": "https://example.org/grants/every",
        "plannedDates": [
            {
                "title": "Main phase",
                "startDate": "2020-04-01",
                "endDate": "2023-03-31",
                "duration": Decimal("36"),
                "description": "three years",
                "dateModified": "2020-03-02T00:00:00Z",
            }
        ],
        "actualDates": [{"startDate": "2020-04-15", "endDate": "2023-03-31", "duration": Decimal("35.5")}],
        "recipientOrganization": [organisation("KR-BRN-5038200000", "포항공과대학교", **EVERY_ORGANISATION_FIELD)],
        "beneficiaryLocation": [
            {
                "id": "B1",
                "name": "Pohang",
                "countryCode": "KR",
                "latitude": Decimal("36.019"),
                "longitude": Decimal("129.3435"),
                "description": "the city",
                "geoCode": "47110",
                "geoCodeType": "LAD",
                "dateModified": "2020-03-02T00:00:00Z",
            }
        ],
        "fundingOrganization": [funder],
        "grantProgramme": [
            {
                "code": "P1",
                "title": "Regional innovation",
                "description": "RIS",
                "url": "https://example.org/p1",
                "dateModified": "2020-01-01T00:00:00Z",
            }
        ],
        "fromOpenCall": "Yes",
        "fundingType": [{"vocabulary": "fundingType", "code": "FT1", "title": "Grant"}],
        "classifications": [
            {
                "vocabulary": "SIC",
                "code": "85.42",
                "title": "Tertiary education",
                "description": "d",
                "url": "https://example.org/sic",
                "dateModified": "2020-01-01T00:00:00Z",
            }
        ],
        "relatedDocument": [{"id": "D1", "title": "Offer letter", "url": "https://example.org/d1"}],
        "applicationTransaction": [
            {"id": "T1", "transactionDate": "2019-12-01", "currency": "KRW", "value": Decimal("60000000")}
        ],
        "commitmentTransaction": [{"id": "T2", "transactionDate": "2020-03-02", "value": Decimal("50000000")}],
        "disbursementTransaction": [{"id": "T3", "transactionDate": "2020-05-01", "value": Decimal("25000000.5")}],
        "relatedActivity": ["360G-gen-other"],
        "dateModified": "2020-03-02T11:00:00+09:00",
        "dataSource": "https://example.org/data.json",
        "regrantType": "FRG010",
        "locationScope": "GLS010",
    }
    individual = {
        "id": "360G-gen-individual",
        "title": "Hardship grant",
        "description": "",  # the standard allows an empty description: kept as given
        "currency": "GBP",
        "amountAwarded": Decimal("250"),
        "awardDate": "2021-01-05",
        "recipientIndividual": {"id": "360G-gen-IND-1", "name": "Individual recipient"},
        "toIndividualsDetails": {"primaryGrantReason": "GTIR010", "grantPurpose": ["GTIP010"]},
        "fundingOrganization": [funder],
    }
    itself = {
        "id": "360G-gen-itself",
        "title": "The funder's own project",
        "description": "recipient with the funder's identifier",
        "currency": "GBP",
        "amountAwarded": Decimal("0"),
        "awardDate": "2021-02-01T00:00:00Z",
        "recipientOrganization": [organisation("GB-CHC-1015648", "Funder Trust (projects)")],
        "fundingOrganization": [funder],
    }
    other = {
        "id": "360G-gen-usd",
        "title": "x" * 600,  # longer than the ledger's titles: kept verbatim
        "description": "USD, a recipient object with a member the standard does not define",
        "currency": "USD",
        "amountAwarded": Decimal("1234.56"),
        "awardDate": "2021-03-04T23:59:59-05:00",
        "recipientOrganization": [organisation("US-EIN-11-3372980", "A US charity", extraMember={"kept": [1, 2]})],
        "fundingOrganization": [funder, organisation("360G-gen-ORG:Second funder", "Second funder")],
        "plannedDates": [{"startDate": "2021", "endDate": "2022-06"}],
    }
    # The same recipient under another name on a later grant: each grant keeps the name it gave.
    renamed = {
        "id": "360G-gen-renamed",
        "title": "Second grant to the same university",
        "description": "name as given on this grant",
        "currency": "EUR",
        "amountAwarded": Decimal("10"),
        "awardDate": "2022-01-01",
        "recipientOrganization": [organisation("KR-BRN-5038200000", "POSTECH")],
        "fundingOrganization": [funder],
    }
    return [every, individual, itself, other, renamed]


def write(path: Path, grants: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"grants": grants}, ensure_ascii=False, default=str_number), encoding="utf-8")
    return path


def str_number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return json.loads(str(value))  # the decimal's own spelling, as a JSON number (a float)
    raise TypeError(value)


def test_the_generated_file_is_schema_valid_and_uses_every_member() -> None:
    schema = json.loads((DATA / "schema" / "360-giving-schema.json").read_text(encoding="utf-8"))
    grants = json.loads(json.dumps(every_field_grants(), default=str_number))
    assert validate_360giving({"grants": grants}) == []
    used = {name for grant in grants for name in grant}
    assert used == set(schema["properties"])
    assert set(EVERY_ORGANISATION_FIELD) | {"id", "name"} == set(schema["$defs"]["Organization"]["properties"])


def test_the_generated_file_round_trips_and_keeps_every_field(tmp_path: Path) -> None:
    source = write(tmp_path / "every.json", every_field_grants())
    db, found = round_trip(tmp_path, source)
    assert found == []
    with Ledger(db) as ledger:
        awards = {e.reference: e for _, e in ledger.events() if isinstance(e, Support.Awarded)}
        keys = {e.key: e for _, e in ledger.events() if isinstance(e, Organisation.Registered)}
    every = awards["360G-gen-every"]
    assert every.title == "  Leading and trailing spaces  "  # not trimmed
    assert every.giving360 is not None and every.giving360.awardDate == "2020-03-02T10:30:00+09:00"
    assert str(every.effective) == "2020-03-02"
    assert every.giving360.plannedDates is not None and every.giving360.plannedDates[0]["duration"] == 36
    assert every.giving360.recipientOrganization is not None
    assert every.giving360.recipientOrganization[0]["charityNumber"] == "1015890"
    assert every.giving360.original["fromOpenCall"] == "Yes"
    assert every.data_quality is None
    assert awards["360G-gen-renamed"].giving360.recipientOrganization[0]["name"] == "POSTECH"  # type: ignore[union-attr,index]
    assert keys["kr-brn-5038200000"].name_en == "포항공과대학교"  # registered from its first mention
    assert keys["kr-brn-5038200000"].sector == "firm"  # KR-BRN
    assert keys["us-ein-11-3372980"].sector == "intermediary"  # nothing says otherwise
    individual = awards["360G-gen-individual"]
    assert individual.recipients == [] and individual.flagged("individual_recipient")
    itself = awards["360G-gen-itself"]
    assert itself.flagged("recipient_is_funder") and itself.flagged("zero_amount")
    assert itself.funders[0].key == itself.recipients[0].key == "gb-chc-1015648"
    assert keys["gb-chc-1015648"].sector == "funder"
    long = awards["360G-gen-usd"]
    assert long.title is None and long.giving360 is not None and long.giving360.original["title"] == "x" * 600
    assert "recipientOrganization" in long.giving360.original  # a member beyond the standard: kept whole


def test_flagged_grants_draw_no_self_loop(tmp_path: Path) -> None:
    from projections.store import load_network

    db = tmp_path / "l.db"
    done = imported(db, write(tmp_path / "g.json", every_field_grants()))
    assert done.exit_code == 0, done.stderr
    with Ledger(db) as ledger:
        graph = load_network(ledger)
    assert not any(u == v for u, v in graph.edges())
    assert graph.has_edge("gb-chc-1015648", "kr-brn-5038200000")


def test_log_and_show_carry_the_flags_and_original(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    done = imported(db, write(tmp_path / "g.json", every_field_grants()))
    assert done.exit_code == 0, done.stderr
    log = run(db, "log", "--format", "json")
    assert log.exit_code == 0, log.stderr
    records = {r.get("reference"): r for r in json.loads(log.stdout)}
    assert sorted(q["flag"] for q in records["360G-gen-itself"]["data_quality"]) == [
        "recipient_is_funder",
        "zero_amount",
    ]
    assert records["360G-gen-every"]["giving360"]["original"]["regrantType"] == "FRG010"
    show = run(db, "show", "360G-gen-itself")  # found by its 360Giving id
    assert show.exit_code == 0, show.stderr
    lines = {line.split(None, 1)[0]: line.split(None, 1)[1] for line in show.stdout.splitlines() if "  " in line}
    assert lines["data_quality"] == "zero_amount, recipient_is_funder"
    assert lines["award_date_as_given"] == "2021-02-01T00:00:00Z"
    org = run(db, "show", "KR-BRN-5038200000")  # an organisation by its 360Giving org id
    assert org.exit_code == 0, org.stderr
    assert "kr-brn-5038200000" in org.stdout.splitlines()[3]


@pytest.mark.parametrize("strict", [False, True])
def test_schema_errors_in_verbatim_fields_are_warnings_unless_strict(tmp_path: Path, strict: bool) -> None:
    grants = every_field_grants()
    grants[0]["fromOpenCall"] = "Y"
    db = tmp_path / "l.db"
    result = run(
        db,
        "import",
        "--create",
        str(write(tmp_path / "g.json", grants)),
        "--format",
        "360giving",
        *(["--strict"] if strict else []),
    )
    if strict:
        assert result.exit_code == 1
        assert "grant 1 (360G-gen-every): fromOpenCall: 'Y' is not one of ['Yes', 'No']" in result.stderr
        assert not db.exists() or Ledger(db).count() == 0
        return
    assert result.exit_code == 0, result.stderr
    assert "1 schema" in result.stderr
    with Ledger(db) as ledger:
        every = next(e for _, e in ledger.events() if getattr(e, "reference", None) == "360G-gen-every")
    assert isinstance(every, Support.Awarded) and every.data_quality is not None
    assert [str(q) for q in every.data_quality] == ["schema: fromOpenCall: 'Y' is not one of ['Yes', 'No']"]


def test_schema_error_in_a_used_field_refuses_the_grant(tmp_path: Path) -> None:
    grants = every_field_grants()
    grants[1]["fundingOrganization"][0] = {"id": "GB-CHC-1015648", "name": "Funder Trust", "url": 5}
    db = tmp_path / "l.db"
    result = imported(db, write(tmp_path / "g.json", grants))
    assert result.exit_code == 1
    assert "grant 2 (360G-gen-individual): fundingOrganization[0].url: 5 is not of type 'string'" in result.stderr
