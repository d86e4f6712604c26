"""The time options every reading command shares, parsed in one place (docs/time.md).

- ``--as-of DATE``: the effective day D. ``YYYY`` and ``YYYY-MM`` mean the last day
  of that year or month (``projections.timeaxes.query_day``); default today.
- ``--known-at TIMESTAMP`` / ``--position N``: the knowledge cut T, what the ledger
  had recorded by then (at most one of the two);
- ``--from DATE`` / ``--to DATE``: a period, ``period`` (a year or a month: from its
  first day, to its last).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import click

from domain.dates import DATE_FIX, PartialDate, moment, query_day
from domain.errors import InputError

AS_OF_HELP = "The world on DATE: YYYY and YYYY-MM mean the last day of that year or month (default: today)."
KNOWN_AT_HELP = "Only what the ledger had recorded by this moment (ISO 8601; UTC if no zone)."
POSITION_HELP = "Only the first N events of the log (not with --known-at)."


def as_of_option(help: str = AS_OF_HELP) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--as-of", "as_of", metavar="DATE", help=help)


def cut_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """``--known-at`` and ``--position``."""
    f = click.option("--position", metavar="N", help=POSITION_HELP)(f)
    return click.option("--known-at", "known_at", metavar="TIMESTAMP", help=KNOWN_AT_HELP)(f)


@dataclass(frozen=True)
class Cut:
    """The knowledge cut: events at positions up to ``position`` and recorded by ``known_at``."""

    position: int | None = None
    known_at: datetime | None = None


def cut_of(known_at: str | None, position: str | None) -> Cut:
    """Parse ``--known-at`` and ``--position`` (at most one)."""
    if known_at is not None and position is not None:
        raise InputError("--known-at", "give --known-at or --position, not both", "drop one of the two")
    return Cut(count(position, "--position", minimum=1), timestamp(known_at, "--known-at"))


def day(value: str | None, field: str = "--as-of") -> str:
    """The ISO day *value* asks about (today for None; ``domain.values.query_day``), errors naming *field*."""
    return query_day(value, field)


def timestamp(value: str | None, field: str) -> datetime | None:
    """An ISO 8601 moment (UTC when it has no zone), or an ``InputError`` naming *field* (``domain.values.moment``)."""
    return moment(value, field)


def count(value: str | None, field: str, *, minimum: int = 0) -> int | None:
    """A whole number of at least *minimum*, or an ``InputError`` naming *field*."""
    if value is None:
        return None
    try:
        number = int(value)
    except ValueError:
        raise InputError(field, f"{value!r} is not a whole number", f"give a number of {minimum} or more") from None
    if number < minimum:
        raise InputError(field, f"{number} is too small", f"give a number of {minimum} or more")
    return number


def period(start: str | None, end: str | None) -> tuple[PartialDate | None, PartialDate | None]:
    """Parse ``--from`` and ``--to`` (``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``); the end must not come first."""
    first, last = partial_date(start, "--from"), partial_date(end, "--to")
    if first is not None and last is not None and last.last_day < first.first_day:
        raise InputError("--to", f"{last} is before --from {first}", "give an end on or after the start")
    return first, last


def partial_date(value: str | None, field: str) -> PartialDate | None:
    """*value* as a ``PartialDate`` (None stays None), or an ``InputError`` naming *field*."""
    if value is None:
        return None
    try:
        return PartialDate.parse(value)
    except ValueError as exc:
        raise InputError(field, str(exc), DATE_FIX) from None
