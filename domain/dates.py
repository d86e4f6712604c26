"""Dates with precision, and the one date rule: pure Python, no pydantic (the read path imports only this).

A date known to the year, the month or the day (``PartialDate``); an event dated
``2019-07`` takes effect on its first day (``event_day``), a question "as of"
``2019`` asks about its last day (``query_day``); ``moment`` reads a knowledge cut.
``domain.values`` re-exports them beside the pydantic value types.

>>> d = PartialDate.parse("2019-07")
>>> d.precision, d.first_day.isoformat(), d.last_day.isoformat()
('month', '2019-07-01', '2019-07-31')
>>> PartialDate.parse("2019-02-30")
Traceback (most recent call last):
...
ValueError: invalid date '2019-02-30': that day does not exist
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

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
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema  # only when a model uses it: the read path never does

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


def utc_now() -> datetime:
    """Now, in UTC (when an event is recorded)."""
    return datetime.now(UTC)
