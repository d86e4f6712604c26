"""Value objects: partial dates, parties, keys, identifiers, currencies."""

from __future__ import annotations

import re
from datetime import date

import pytest
from pydantic import TypeAdapter, ValidationError

from domain.ledger import Ledger
from domain.values import Identifier, OrgKey, PartialDate, Party

# -- PartialDate -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "precision", "first", "last"),
    [
        ("2019", "year", date(2019, 1, 1), date(2019, 12, 31)),
        ("2019-07", "month", date(2019, 7, 1), date(2019, 7, 31)),
        ("2019-07-15", "day", date(2019, 7, 15), date(2019, 7, 15)),
        ("2019-04", "month", date(2019, 4, 1), date(2019, 4, 30)),
        ("2019-02", "month", date(2019, 2, 1), date(2019, 2, 28)),
        ("2020-02", "month", date(2020, 2, 1), date(2020, 2, 29)),
        ("2019-12", "month", date(2019, 12, 1), date(2019, 12, 31)),
        ("0001", "year", date(1, 1, 1), date(1, 12, 31)),
    ],
)
def test_partial_date_knows_its_precision_and_interval(text: str, precision: str, first: date, last: date) -> None:
    d = PartialDate.parse(text)
    assert (d.precision, d.first_day, d.last_day) == (precision, first, last)
    assert str(d) == text
    assert d.text == text
    assert repr(d) == f"PartialDate({text!r})"


@pytest.mark.parametrize("text", ["2020-02-29", "2000-02-29", "2024-02-29"])
def test_leap_day_of_a_leap_year_is_accepted(text: str) -> None:
    d = PartialDate.parse(text)
    assert d.precision == "day"
    assert d.first_day == d.last_day == date.fromisoformat(text)


@pytest.mark.parametrize("text", ["2019-02-29", "1900-02-29", "2100-02-29"])
def test_leap_day_of_a_common_year_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(f'invalid date {text!r}: that day does not exist')}$"):
        PartialDate.parse(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2019-02-30", "that day does not exist"),
        ("2019-04-31", "that day does not exist"),
        ("2019-13", "month 13 does not exist"),
        ("2019-00", "month 0 does not exist"),
        ("2019-01-00", "that day does not exist"),
        ("0000", "year 0000 does not exist"),
        ("22/08/2019", "not in a supported form"),
        ("2019-7", "not in a supported form"),
        ("2019-07-1", "not in a supported form"),
        ("19", "not in a supported form"),
        ("2019/07", "not in a supported form"),
        ("2019-07-15T00:00", "not in a supported form"),
        ("", "not in a supported form"),
    ],
)
def test_invalid_dates_are_rejected_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as info:
        PartialDate.parse(text)
    assert str(info.value) == f"invalid date {text!r}: {reason}"


@pytest.mark.parametrize("text", ["２０１９", "٢٠١٩-٠٧", "2019-0７"], ids=["fullwidth", "arabic-indic", "mixed"])
def test_dates_with_non_ascii_digits_are_rejected(text: str) -> None:
    # Dates are stored "exactly as given"; a full-width '２０１９' would be stored as such and
    # compare unequal to '2019' although it names the same year.
    with pytest.raises(ValueError, match="not in a supported form"):
        PartialDate.parse(text)


def test_non_string_date_is_rejected() -> None:
    with pytest.raises(ValueError, match=r"^expected a date string, got int$"):
        PartialDate.parse(2019)


def test_date_objects_and_partial_dates_are_accepted_as_is() -> None:
    d = PartialDate.parse(date(2019, 8, 22))
    assert (d.text, d.precision) == ("2019-08-22", "day")
    assert PartialDate.parse(d) is d


def test_surrounding_spaces_are_dropped() -> None:
    assert PartialDate.parse(" 2019-07 ").text == "2019-07"


def test_partial_dates_compare_by_their_text() -> None:
    assert PartialDate.parse("2019") == PartialDate.parse("2019")
    assert hash(PartialDate.parse("2019-07")) == hash(PartialDate.parse("2019-07"))
    assert PartialDate.parse("2019") != PartialDate.parse("2019-01")  # same first day, other precision
    assert PartialDate.parse("2019") != "2019"


@pytest.mark.parametrize(
    ("end", "start", "before"),
    [
        ("2019-09", "2019-10", True),
        ("2018", "2019-01-01", True),
        ("2019", "2019-10", False),  # 2019 may mean December
        ("2019-10", "2019-10-31", False),
        ("2019-10-30", "2019-10-31", True),
        ("2019-10-31", "2019-10-31", False),
    ],
)
def test_certainly_before_only_when_every_day_is_earlier(end: str, start: str, before: bool) -> None:
    assert PartialDate.parse(end).certainly_before(PartialDate.parse(start)) is before


def test_partial_date_serialises_as_given_in_models() -> None:
    adapter = TypeAdapter(PartialDate)
    assert adapter.dump_python(adapter.validate_python("2019-07"), mode="json") == "2019-07"
    with pytest.raises(ValidationError, match="invalid date '2019-13'"):
        adapter.validate_python("2019-13")


# -- Party -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "role"),
    [
        ("postech:partner", "postech", "partner"),
        ("postech", "postech", None),
        (" postech : lead ", "postech", "lead"),
        ("postech:", "postech", None),
        ("rist:co-lead: science", "rist", "co-lead: science"),
        ("pohang-tp:협력 기관", "pohang-tp", "협력 기관"),
    ],
)
def test_party_parses_key_and_optional_role(text: str, key: str, role: str | None) -> None:
    party = Party.parse(text)
    assert (party.key, party.role) == (key, role)


def test_party_prints_back_as_key_and_role() -> None:
    assert str(Party.parse("postech:partner")) == "postech:partner"
    assert str(Party.parse("postech")) == "postech"
    assert repr(Party.parse("postech:partner")) == "Party(key='postech', role='partner')"


@pytest.mark.parametrize("text", ["Postech", "pos tech", ":partner", "-postech", "postech-"])
def test_party_with_an_invalid_key_is_rejected(text: str) -> None:
    with pytest.raises(ValidationError, match="invalid key"):
        Party.parse(text)


def test_party_is_frozen_and_refuses_unknown_fields() -> None:
    party = Party.parse("postech")
    with pytest.raises(ValidationError):
        party.key = "rist"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        Party.model_validate({"key": "postech", "colour": "red"})


# -- keys and identifiers --------------------------------------------------------------------------------------

KEY = TypeAdapter(OrgKey)
IDENTIFIER = TypeAdapter(Identifier)


@pytest.mark.parametrize("key", ["postech", "a", "pohang-tp", "kr.gov_msit", "x1"])
def test_valid_keys_are_kept_as_given(key: str) -> None:
    assert KEY.validate_python(key) == key


@pytest.mark.parametrize("key", ["Postech", "", "-a", "a-", "a b", "한국", "a" * 81, "postech\n", "\npostech"])
def test_invalid_keys_are_rejected(key: str) -> None:
    with pytest.raises(ValidationError, match="invalid key"):
        KEY.validate_python(key)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("kr-brn:4028224197", "KR-BRN:4028224197"),
        ("KR-BRN:4028224197", "KR-BRN:4028224197"),
        ("grid:grid.49100.3c", "GRID:grid.49100.3c"),
        ("Ror:04xysgw12", "ROR:04xysgw12"),
    ],
)
def test_identifier_scheme_is_upper_cased_and_id_kept(given: str, stored: str) -> None:
    assert IDENTIFIER.validate_python(given) == stored


@pytest.mark.parametrize("given", ["4028224197", "kr-brn:", ":4028224197", "kr brn:1", "1kr:1", "kr-brn: 1"])
def test_malformed_identifiers_are_rejected(given: str) -> None:
    with pytest.raises(ValidationError, match=re.escape("expected SCHEME:ID, e.g. KR-BRN:4028224197")):
        IDENTIFIER.validate_python(given)


def test_identifiers_are_normalised_when_an_organisation_is_registered(ledger: Ledger) -> None:
    out = ledger.register_organisation(
        "postech", sector="university", name_en="POSTECH", identifiers=["kr-brn:4028224197"]
    )
    assert out.event.identifiers == ["KR-BRN:4028224197"]  # type: ignore[attr-defined]
    org = ledger.organisation("postech")
    assert org is not None and org.registered is not None
    assert org.registered.identifiers == ["KR-BRN:4028224197"]
