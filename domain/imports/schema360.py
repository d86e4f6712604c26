"""Every 360Giving 1.4.3 schema error of one grant, offline, with its field.

The official grant schema is bundled (``domain/data/360giving/360-giving-schema.json``,
from ThreeSixtyGiving/standard 1.4.3; see tests/data/SOURCES.md) and checked with
``jsonschema`` as Draft 2020-12 (the schema's ``$schema`` is an ``http://`` URL, so the
draft is given explicitly), formats included (``rfc3339-validator`` must be installed,
or ``date-time`` is not checked and ``oneOf`` dates go wrong: see NOTES).

>>> [str(e) for e in grant_errors({"id": "G", "title": "t", "description": "d", "currency": "GBP",
...     "amountAwarded": 1, "awardDate": "2020-01-02", "fromOpenCall": "Y",
...     "recipientOrganization": [{"id": "GB-CHC-1", "name": "R"}],
...     "fundingOrganization": [{"id": "GB-CHC-2", "name": "F"}]})]
["fromOpenCall: 'Y' is not one of ['Yes', 'No']"]
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

#: Members of a grant the ledger reads into typed fields: a schema error there refuses the grant.
USED = frozenset(
    {
        "grant",  # the grant as a whole (a required member missing, an organisation and an individual both)
        "id",
        "title",
        "description",
        "currency",
        "amountAwarded",
        "awardDate",
        "plannedDates",
        "fundingOrganization",
        "recipientOrganization",
        "recipientIndividual",
    }
)


@dataclass(frozen=True)
class SchemaError:
    """One schema error: the field (``recipientOrganization[0].charityNumber``) and jsonschema's message."""

    field: str
    message: str

    @property
    def member(self) -> str:
        """The grant's top-level member the error is in."""
        return self.field.split("[", 1)[0].split(".", 1)[0]

    @property
    def used(self) -> bool:
        """Whether the error is in a member the ledger reads (``USED``)."""
        return self.member in USED

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

    with resources.files("domain.data").joinpath("360giving/360-giving-schema.json").open(encoding="utf-8") as f:
        schema = json.load(f)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _field(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "grant"


def grant_errors(grant: Any) -> list[SchemaError]:
    """Every schema error of one grant (numbers may be ``Decimal``), in the schema's order."""
    return [SchemaError(_field(e.absolute_path), _message(e)) for e in _validator().iter_errors(grant)]


def _message(error: Any) -> str:
    message: str = error.message
    return message if len(message) <= 200 else message[:200] + "..."


__all__ = ["USED", "SchemaError", "grant_errors"]
