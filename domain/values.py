"""Value objects shared by every event: keys, parties, money, texts (and the dates of ``domain.dates``).

>>> Party.parse("postech:partner")
Party(key='postech', role='partner')
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    ValidationInfo,
)
from pydantic_core import core_schema

# The dates live in domain.dates (no pydantic); re-exported here with the other value types.
from domain.dates import DATE_FIX as DATE_FIX
from domain.dates import PartialDate as PartialDate
from domain.dates import event_day as event_day
from domain.dates import moment as moment
from domain.dates import query_day as query_day
from domain.errors import InputError

KEY_FIX = "use lowercase letters, digits, '-', '_' or '.', e.g. 'postech'"
#: What a key looks like (Rust's regex: ``$`` is the end of the text, never before a last line break).
KEY_PATTERN = r"^[a-z0-9](?:[a-z0-9._-]{0,78}[a-z0-9])?$"
#: The error type of a text that is not a key (``domain.events.input_error`` words its one line).
KEY_ERROR = "org_key"


class _KeyForm:
    """Checks a key's form inside pydantic-core (no Python call per key): text first, then the pattern."""

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.chain_schema(
            [
                handler(source),
                core_schema.custom_error_schema(
                    core_schema.str_schema(pattern=KEY_PATTERN),
                    custom_error_type=KEY_ERROR,
                    custom_error_message=f"invalid key: {KEY_FIX}",
                ),
            ]
        )


OrgKey = Annotated[str, _KeyForm]
"""A stable slug naming one organisation, e.g. ``postech``."""

_ID_RE = re.compile(r"([A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*):(\S(?:.*\S)?)")


def _check_identifier(value: str) -> str:
    m = _ID_RE.fullmatch(value)
    if not m or len(value) > 200 or _CONTROL.search(value) or not _utf8(value):
        raise ValueError(f"invalid identifier {value!r}: expected SCHEME:ID, e.g. KR-BRN:4028224197")
    return f"{m.group(1).upper()}:{m.group(2)}"


def _utf8(value: str) -> bool:
    """Whether *value* has UTF-8 bytes (a lone surrogate has none)."""
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


Identifier = Annotated[str, AfterValidator(_check_identifier)]
"""An organisation identifier as ``SCHEME:ID`` (scheme upper-cased), e.g. ``KR-BRN:4028224197``."""


@cache
def _codes(filename: str) -> frozenset[str]:
    import csv  # on first use: a write that names no currency or country never reads these lists
    from importlib import resources

    with resources.files("domain.data").joinpath(filename).open(encoding="utf-8") as f:
        return frozenset(row["Code"] for row in csv.DictReader(f))


def currencies() -> frozenset[str]:
    """ISO 4217 codes (current and historic), from the 360Giving 1.4.3 codelist."""
    return _codes("currency.csv")


def countries() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes, from the 360Giving 1.4.3 codelist."""
    return _codes("countryCode.csv")


def _check_currency(value: str) -> str:
    if value not in currencies():
        raise ValueError(f"unknown currency {value!r}: use an ISO 4217 code such as KRW, USD or GBP")
    return value


def _check_country(value: str) -> str:
    if value not in countries():
        raise ValueError(f"unknown country {value!r}: use an ISO 3166-1 alpha-2 code such as KR")
    return value


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


Currency = Annotated[str, BeforeValidator(_upper), AfterValidator(_check_currency)]
Country = Annotated[str, BeforeValidator(_upper), AfterValidator(_check_country)]


def _check_amount(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("amount must be a finite number")
    if value < 0:
        raise ValueError(f"amount {value} is negative: amounts are >= 0")
    if value.adjusted() >= 18:
        raise ValueError(f"amount {value} is too large (at most 18 digits before the point)")
    if value and value.adjusted() < -6:  # checked before normalize(), which would round 1E-999999999 to 0
        raise ValueError(f"amount {value} has more than 6 decimal places")
    # One spelling per number, so '1000', '1000.0' and '1e3' are the same fact, and zero is '0' ('-0.0' too).
    if not value:
        return Decimal(0)
    value = value.normalize()
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    if value.as_tuple().exponent < -6:  # type: ignore[operator]
        raise ValueError(f"amount {value} has more than 6 decimal places")
    return value


def _reject_float(value: object) -> object:
    # Binary floats cannot hold money exactly: accept strings and integers only.
    if isinstance(value, float):
        raise ValueError("give amounts as a string or an integer, not a float")
    if isinstance(value, bool):
        raise ValueError("amount must be a number")
    return value


Amount = Annotated[Decimal, BeforeValidator(_reject_float), AfterValidator(_check_amount)]

Text = Annotated[str, Field(min_length=1, max_length=10_000)]
ShortText = Annotated[str, Field(min_length=1, max_length=500)]


#: Control characters (C0, DEL, C1): a name holding ``\r`` or an escape sequence can hide or rewrite
#: a terminal line. Refused in every text given as input; a long text may hold line breaks.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_NEWLINE = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
#: The validation context of events read back from storage (``domain.mapper``): a text recorded before
#: control characters were refused stays readable (outputs escape them, ``cli/output.py``).
STORED = {"stored": True}


def _no_nul(value: str) -> str:
    """Text the ledger can store: no NUL, and no lone surrogate (it has no UTF-8 bytes).

    >>> _no_nul("half a pair: " + chr(0xD800))
    Traceback (most recent call last):
    ...
    ValueError: text must not contain lone surrogates (write the character itself, not half of a UTF-16 pair)
    """
    if "\x00" in value:
        raise ValueError("text must not contain NUL characters")
    if not value.isascii() and not _utf8(value):
        raise ValueError(SURROGATE_PROBLEM)
    return value


#: Why a text with a lone surrogate is refused: ``_no_nul`` says it, and ``domain.events.input_error`` for a
#: text that pydantic-core could not read (it counts a constrained text's characters before ``_no_nul`` runs).
SURROGATE_PROBLEM = "text must not contain lone surrogates (write the character itself, not half of a UTF-16 pair)"


def _no_control(pattern: re.Pattern[str], what: str) -> Any:
    def check(value: str, info: ValidationInfo) -> str:
        if value.isprintable():  # most text: nothing to look for
            return value
        _no_nul(value)
        if info.context is None or not info.context.get("stored"):
            found = pattern.search(value)
            if found is not None:
                shown = found.group().encode("unicode_escape").decode("ascii")
                raise ValueError(f"text must not contain control characters ({shown} found; {what})")
        return value

    return check


def control_free(value: str, field: str) -> str:
    """*value* if it holds no control character, else an ``InputError`` naming *field* (for plain strings).

    >>> control_free("POSTECH", "name")
    'POSTECH'
    >>> control_free("a" + chr(27) + "[2K", "name")
    Traceback (most recent call last):
    ...
    domain.errors.InputError: name: text must not contain control characters (\\x1b found; no line breaks)
    """
    found = _CONTROL.search(value)
    if found is not None:
        shown = found.group().encode("unicode_escape").decode("ascii")
        raise InputError(field, f"text must not contain control characters ({shown} found; no line breaks)")
    return value


# The lengths first: pydantic-core checks them as it reads the text; after a Python validator they would
# be two more Python calls per text.
CleanText = Annotated[
    str, Field(min_length=1, max_length=10_000), AfterValidator(_no_control(_CONTROL_BUT_NEWLINE, "only line breaks"))
]
CleanShortText = Annotated[
    str, Field(min_length=1, max_length=500), AfterValidator(_no_control(_CONTROL, "no line breaks"))
]


class Party(BaseModel):
    """One organisation taking part in a relation, with its role (free text)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)  # built on first use

    key: OrgKey
    role: CleanShortText | None = None

    @classmethod
    def parse(cls, text: str) -> Party:
        """Parse ``KEY`` or ``KEY:ROLE``."""
        key, _, role = text.partition(":")
        return cls(key=key.strip(), role=role.strip() or None)

    def __repr__(self) -> str:
        return f"Party(key={self.key!r}, role={self.role!r})"

    def __str__(self) -> str:
        return f"{self.key}:{self.role}" if self.role else self.key
