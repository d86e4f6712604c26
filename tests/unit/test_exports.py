"""Helpers of the 360Giving export: organisation ids and exact amounts."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from projections.exports import amount_number, org_id


# -- helpers of the 360Giving export -----------------------------------------------------------
@pytest.mark.parametrize(
    ("identifiers", "expected"),
    [
        (["KR-BRN:4028224197"], "KR-BRN-4028224197"),
        (["KR-BRN:402-82-24197"], "KR-BRN-4028224197"),
        (["WIKIDATA:Q482", "GB-COH:01234567"], "GB-COH-01234567"),
        (["XI-GRID:grid.49100.3c"], "XI-GRID-grid.49100.3c"),
        (["WIKIDATA:Q482"], "360G-x-org-k"),
        (["KR-BRN:---"], "360G-x-org-k"),
        ([], "360G-x-org-k"),
    ],
)
def test_org_id(identifiers: list[str], expected: str) -> None:
    assert org_id(identifiers, "k", publisher_prefix="360G-x") == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("0", 0),
        ("83000000000", 83000000000),
        ("999999999999999999", 999999999999999999),
        ("25000.5", 25000.5),
        ("0.000001", 0.000001),
        ("123456789012345.123456", None),
    ],
)
def test_amount_number_is_exact_or_none(amount: str, expected: int | float | None) -> None:
    number = amount_number(Decimal(amount))
    assert number == expected and type(number) is type(expected)
    if number is not None:
        assert Decimal(json.dumps(number)) == Decimal(amount)
