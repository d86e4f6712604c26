"""The fast schema check equals jsonschema's verdict on every grant, and real files give the known errors."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.imports.schema360 import SchemaError, _Fast, _field, _message, _validator, grant_errors
from tests.imports.test_giving360_lossless import every_field_grants

DATA = Path(__file__).resolve().parents[1] / "data" / "360giving"
ALWF = json.loads((DATA / "alwf-a003W000001B7PzQAK.json").read_text(encoding="utf-8"), parse_float=Decimal)["grants"]
WOLFSON = json.loads(
    (DATA / "wolfson-2014-a002400000KeYdsAAF.invalid.json").read_text(encoding="utf-8"), parse_float=Decimal
)["grants"]
SEEDS = [*ALWF[:40], *every_field_grants(), *WOLFSON[:5]]


def reference(grant: Any) -> list[SchemaError]:
    """The slow obvious answer: jsonschema on the whole grant, nothing remembered."""
    return [SchemaError(_field(e.absolute_path), _message(e)) for e in _validator().iter_errors(grant)]


# Values a mutation puts somewhere: each type the schema cares about, good and bad.
VALUES = st.sampled_from(
    [
        None,
        True,
        0,
        Decimal("1.5"),
        -3,
        "",
        "x",
        "2020-01-02",
        "2020-01-02T03:04:05Z",
        "02/01/2020",
        "GBP",
        "XXX",
        "Yes",
        "Y",
        [],
        [{}],
        [{"id": "GB-CHC-1", "name": "N"}],
        {},
        {"id": "I", "name": "N"},
        [{"title": "T", "duration": "36"}],
        ["360G-x"],
        "['360G-x']",  # a text spelled like a list's repr
        "Decimal('1.5')",
    ]
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for k, v in value.items():
            found += paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += paths(v, (*prefix, i))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    grant = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 3))):
        where = paths(grant)
        if not where or draw(st.booleans()):  # a top-level member: set, replace or remove
            name = draw(st.sampled_from([*grant, "fromOpenCall", "recipientIndividual", "unknownMember", "url"]))
            if draw(st.booleans()) and name in grant:
                del grant[name]
            else:
                grant[name] = copy.deepcopy(draw(VALUES))
            continue
        path = draw(st.sampled_from(where))
        parent = grant
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = copy.deepcopy(draw(VALUES))
    return grant


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutated(), min_size=1, max_size=6))
def test_the_fast_check_equals_the_reference(grants: list[Any]) -> None:
    fast = _Fast()
    for grant in grants:  # one checker across several grants: what it remembers must not change an answer
        expected = reference(grant)
        assert fast.valid(grant) == (expected == []), grant
        assert grant_errors(grant) == expected


def test_the_real_files() -> None:
    assert all(grant_errors(g) == [] for g in ALWF)
    errors = [e for g in WOLFSON for e in grant_errors(g)]
    assert {e.field for e in errors} == {"awardDate", "dateModified"}
    assert len(errors) == 2 * len(WOLFSON) == 758
    assert [e.used for e in grant_errors(WOLFSON[0])] == [True, False]
