"""Value objects shared by every event: dates with precision, keys, parties, money.

>>> d = PartialDate.parse("2019-07")
>>> d.precision, d.first_day.isoformat(), d.last_day.isoformat()
('month', '2019-07-01', '2019-07-31')
>>> PartialDate.parse("2019-02-30")
Traceback (most recent call last):
...
ValueError: invalid date '2019-02-30': that day does not exist
>>> Party.parse("postech:partner")
Party(key='postech', role='partner')
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
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

from domain.errors import InputError

_DATE_RE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
DATE_FIX = "use YYYY, YYYY-MM or YYYY-MM-DD"


class PartialDate:
    """A calendar date known to the year, the month or the day.

    Stored and printed exactly as given (``2019``, ``2019-07``, ``2019-07-15``).
    A partial date covers an interval: ``first_day`` .. ``last_day``.
    """

    __slots__ = ("first_day", "last_day", "precision", "text")

    def __init__(self, text: str, precision: str, first_day: date, last_day: date) -> None:
        self.text = text
        self.precision = precision
        self.first_day = first_day
        self.last_day = last_day

    @classmethod
    def parse(cls, value: object) -> PartialDate:
        if isinstance(value, PartialDate):
            return value
        if isinstance(value, str):
            found = _PARSED.get(value)
            if found is None:
                found = cls._parse(value)
                if len(_PARSED) < 100_000:  # dates repeat: one object per spelling, shared
                    _PARSED[value] = found
            return found
        return cls._parse(value)

    @classmethod
    def _parse(cls, value: object) -> PartialDate:
        if isinstance(value, date):
            return cls.parse(value.isoformat())
        if not isinstance(value, str):
            raise ValueError(f"expected a date string, got {type(value).__name__}")
        text = value.strip()
        m = _DATE_RE.fullmatch(text)
        if not m:
            raise ValueError(f"invalid date {value!r}: not in a supported form")
        year = int(m.group(1))
        if year < 1:
            raise ValueError(f"invalid date {value!r}: year 0000 does not exist")
        if m.group(3):
            try:
                day = date(year, int(m.group(2)), int(m.group(3)))
            except ValueError:
                raise ValueError(f"invalid date {value!r}: that day does not exist") from None
            return cls(text, "day", day, day)
        if m.group(2):
            month = int(m.group(2))
            if not 1 <= month <= 12:
                raise ValueError(f"invalid date {value!r}: month {month} does not exist")
            import calendar  # only for a date known to the month

            last = calendar.monthrange(year, month)[1]
            return cls(text, "month", date(year, month, 1), date(year, month, last))
        return cls(text, "year", date(year, 1, 1), date(year, 12, 31))

    @property
    def takes_effect(self) -> date:
        """The day an event with this date takes effect: its first day (docs/time.md)."""
        return self.first_day

    @property
    def asks_about(self) -> date:
        """The day a question "as of" this date asks about: its last day, so that the network
        "in 2019" holds everything that took effect during 2019 (docs/time.md).

        >>> PartialDate.parse("2019").asks_about, PartialDate.parse("2019-07").takes_effect
        (datetime.date(2019, 12, 31), datetime.date(2019, 7, 1))
        """
        return self.last_day

    def certainly_before(self, other: PartialDate) -> bool:
        """True when every day this date may mean lies before every day of *other*."""
        return self.last_day < other.first_day

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"PartialDate({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartialDate) and self.text == other.text

    def __hash__(self) -> int:
        return hash(self.text)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler) -> Any:
        return core_schema.no_info_plain_validator_function(
            cls.parse,
            serialization=core_schema.plain_serializer_function_ser_schema(str, when_used="always"),
            json_schema_input_schema=core_schema.str_schema(),
        )


def query_day(when: PartialDate | date | str | None = None, field: str = "as_of") -> str:
    """The ISO day a question "as of" *when* asks about: a year or a month means its LAST day,
    a ``date`` itself, None today; an ``InputError`` naming *field* for a bad date.

    The one rule for every command, the library and the page (docs/time.md).

    >>> query_day("2019"), query_day("2019-02"), query_day("2019-07-15")
    ('2019-12-31', '2019-02-28', '2019-07-15')
    >>> query_day("2019-13")
    Traceback (most recent call last):
    ...
    domain.errors.InputError: as_of: invalid date '2019-13': month 13 does not exist (use YYYY, YYYY-MM or YYYY-MM-DD)
    """
    if when is None:
        return date.today().isoformat()
    if isinstance(when, date):
        return when.isoformat()
    try:
        return PartialDate.parse(when).asks_about.isoformat()
    except ValueError as exc:
        raise InputError(field, str(exc), DATE_FIX) from None


def moment(value: datetime | str | None, field: str = "known_at") -> datetime | None:
    """An ISO 8601 moment (UTC when it has no zone; a ``datetime`` as is), or an ``InputError`` naming *field*.

    The knowledge cut's parser (``--known-at``, ``known_at=``), the same for the CLI and the library.

    >>> moment("2026-01-31T12:00:00Z").isoformat(), moment("2026-01-31").isoformat()
    ('2026-01-31T12:00:00+00:00', '2026-01-31T00:00:00+00:00')
    >>> moment("yesterday", "--known-at")
    Traceback (most recent call last):
    ...
    domain.errors.InputError: --known-at: invalid timestamp 'yesterday' (use ISO 8601, e.g. 2026-01-31T12:00:00Z)
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        stamp = value
    else:
        try:
            stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            fix = "use ISO 8601, e.g. 2026-01-31T12:00:00Z"
            raise InputError(field, f"invalid timestamp {value!r}", fix) from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def event_day(text: str | None) -> str | None:
    """The ISO day an event dated *text* (as stored) takes effect: the first day of its year or month.

    The other half of the date rule (docs/time.md); None stays None.

    >>> event_day("2019"), event_day("2019-07"), event_day("2019-07-15"), event_day(None)
    ('2019-01-01', '2019-07-01', '2019-07-15', None)
    """
    if text is None:
        return None
    n = len(text)
    if n == 4:
        return text + "-01-01"
    if n == 7:
        return text + "-01"
    return text


#: Dates parsed so far, by spelling (``PartialDate`` is immutable).
_PARSED: dict[str, PartialDate] = {}

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
