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
from decimal import Decimal
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


def _schema() -> dict[str, Any]:
    with resources.files("domain.data").joinpath("360giving/360-giving-schema.json").open(encoding="utf-8") as f:
        schema: dict[str, Any] = json.load(f)
    return schema


@cache
def _validator() -> Any:
    """The reference: jsonschema's Draft 2020-12 validator of the whole grant schema, formats checked."""
    from jsonschema import Draft202012Validator  # type: ignore[import-untyped]

    return Draft202012Validator(_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _field(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "grant"


def grant_errors(grant: Any) -> list[SchemaError]:
    """Every schema error of one grant (numbers may be ``Decimal``), in the schema's order.

    A grant the fast check (``_Fast``) finds valid has none; any other is validated whole by the reference.
    """
    if _fast().valid(grant):
        return []
    return [SchemaError(_field(e.absolute_path), _message(e)) for e in _validator().iter_errors(grant)]


class _Fast:
    """A quick yes to "is this grant valid?", equal to the reference's (tests/imports/test_schema360.py).

    The grant schema's root says only ``type: object``, ``oneOf`` two ``required`` lists and
    ``properties``, so a grant is valid exactly when it is an object, exactly one of the lists is
    all present, and each member is valid against its own property's schema. Those are checked by
    the reference validator once per distinct value (a funder, a programme, a date, a location repeat
    across a file's grants) and remembered; a member of an unknown name is not constrained. Whenever
    the answer is no, ``grant_errors`` asks the reference for the whole grant, so messages never differ.
    """

    #: Distinct member values remembered, per property; then forgotten and counted again.
    LIMIT = 200_000

    def __init__(self) -> None:
        from jsonschema import Draft202012Validator

        schema = _schema()
        if set(schema) != {"$id", "$schema", "title", "type", "$defs", "oneOf", "properties"}:
            raise RuntimeError("the bundled grant schema's root changed: check _Fast still equals the reference")
        self.required = [frozenset(branch["required"]) for branch in schema["oneOf"]]
        checker = Draft202012Validator.FORMAT_CHECKER
        self.checks: dict[str, Any] = {}
        self.simple: dict[str, type | tuple[type, ...]] = {}
        for name, sub in schema["properties"].items():
            rules = {k: v for k, v in sub.items() if k not in _ANNOTATIONS}
            if rules == {"type": "string"}:
                self.simple[name] = str
            elif rules == {"type": "number"}:
                self.simple[name] = (int, float, Decimal)
            else:
                validator = Draft202012Validator({"$defs": schema["$defs"], **sub}, format_checker=checker)
                self.checks[name] = validator.is_valid
        self.memo: dict[tuple[Any, ...], bool] = {}

    def valid(self, grant: Any) -> bool:
        if not isinstance(grant, dict):
            return False
        keys = grant.keys()
        if sum(1 for required in self.required if required <= keys) != 1:
            return False
        memo, simple, checks = self.memo, self.simple, self.checks
        for name, value in grant.items():
            kind = simple.get(name)
            if kind is not None:
                if not isinstance(value, kind) or isinstance(value, bool):
                    return False
                continue
            check = checks.get(name)
            if check is None:
                continue
            # A text is its own key; any other value its repr, which tells 1, True, 1.0, Decimal('1') and [1]
            # apart (equal as keys), in a longer tuple so that the text "[1]" and the list [1] never meet.
            key: tuple[Any, ...] = (name, value) if type(value) is str else (name, repr(value), None)
            known = memo.get(key)
            if known is None:
                if len(memo) >= self.LIMIT:
                    memo.clear()
                known = memo[key] = check(value)
            if not known:
                return False
        return True


#: Keywords that only annotate (they never make a value invalid).
_ANNOTATIONS = frozenset({"title", "description", "rollUp", "codelist", "openCodelist", "$comment", "examples"})


@cache
def _fast() -> _Fast:
    return _Fast()


def _message(error: Any) -> str:
    message: str = error.message
    return message if len(message) <= 200 else message[:200] + "..."


__all__ = ["USED", "SchemaError", "grant_errors"]
