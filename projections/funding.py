"""The funding report: how much each funder, recipient, programme, year or sector awarded and paid, per currency.

Every figure is a function of the effective day D (``as_of``) and the knowledge
cut T (``position`` / ``known_at``), by the rules of docs/time.md, computed with
the same temporal fold as ``show`` and the 360Giving export
(``projections.terms``: ``known`` then ``relation_on``), in ``Decimal``.

Which supports count: every support with money (an amount or a currency, from
its award, an amendment or a payment) whose award is known at T, not retracted,
and in effect on D (awarded on or before D; an undated award always); with a
period (``start`` / ``end``), only those whose award takes effect within it (an
award dated ``2019-07`` takes effect on 2019-07-01; undated awards are then left
out). Every kind counts unless ``kinds`` narrows it. Grants carrying a
data-quality flag count like any other.

The columns of one support, as of D, known at T:

- ``awarded``: the amount of its award event (0 when the award has none);
- ``amended_net``: the amount in force on D minus ``awarded``, i.e. the sum of
  the changes the amendments in effect on D made (back-dated ones included,
  applied in date order);
- ``disbursed``: the sum of its payments dated on or before D;
- ``withdrawn``: when it was withdrawn on or before D, the part of the amount in
  force not paid out (amount in force - disbursed, at least 0); else 0;
- ``outstanding``: amount in force - disbursed - withdrawn (negative when more
  was paid out than awarded; a support that *ended* keeps its unpaid part here);
- ``count``: 1.

A row adds these up over its supports, per currency (amounts in two currencies
are never added). A support with several funders (recipients) is counted in full
in each funder's (recipient's) row, as the network counts it for each pair.
``sector`` is the recipients' sector (each sector once per support); ``year`` the
year of the award date (``undated`` when it has none); ``programme`` the
programme's key (``(none)`` without one); ``kind`` the support's kind (grant, loan, ...).

>>> from decimal import Decimal
>>> line = GrantLine("s", "grant", ("f",), ("r",), None, "2019", ("firm",), "KRW",
...                  Decimal(100), Decimal(120), Decimal(50), Decimal(0))
>>> line.amended_net, line.outstanding
(Decimal('20'), Decimal('70'))
>>> [(r.keys, r.count, r.awarded, r.outstanding) for r in report([line, line], by=("funder",))]
[({'funder': 'f', 'currency': 'KRW'}, 2, Decimal('200'), Decimal('140'))]
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.dates import PartialDate, query_day
from domain.errors import InputError
from domain.ledger import Ledger
from domain.organisation import Organisation, organisation_id
from domain.support import SUPPORT_KINDS, Support
from projections.records import op_for_topic
from projections.terms import Positioned, day_of, known, organisation_on, relation_on
from projections.timeaxes import amount_text

#: What a report can be grouped by (several at once, in the order given); the currency is always a key.
DIMENSIONS: tuple[str, ...] = ("funder", "recipient", "programme", "year", "sector", "kind", "currency")
#: The figures of each row, in order.
FIGURES: tuple[str, ...] = ("count", "awarded", "amended_net", "disbursed", "withdrawn", "outstanding")
NO_PROGRAMME = "(none)"
UNDATED = "undated"
UNKNOWN_SECTOR = "unknown"

_ZERO = Decimal(0)


@dataclass(frozen=True)
class GrantLine:
    """One support's figures as of D, known at T (see the module docstring)."""

    support_id: str
    kind: str
    funders: tuple[str, ...]
    recipients: tuple[str, ...]
    programme: str | None
    year: str
    sectors: tuple[str, ...]
    currency: str
    awarded: Decimal
    in_force: Decimal
    disbursed: Decimal
    withdrawn: Decimal

    @property
    def amended_net(self) -> Decimal:
        return self.in_force - self.awarded

    @property
    def outstanding(self) -> Decimal:
        return self.in_force - self.disbursed - self.withdrawn

    def values(self, dimension: str) -> tuple[str, ...]:
        """This support's values for one dimension (several for funders, recipients and sectors)."""
        if dimension == "funder":
            return self.funders
        if dimension == "recipient":
            return self.recipients
        if dimension == "programme":
            return (self.programme or NO_PROGRAMME,)
        if dimension == "year":
            return (self.year,)
        if dimension == "sector":
            return self.sectors
        if dimension == "kind":
            return (self.kind,)
        return (self.currency,)


@dataclass
class FundingRow:
    """One row of the report: its keys (the dimensions, then ``currency``) and its figures."""

    keys: dict[str, str]
    count: int = 0
    awarded: Decimal = _ZERO
    amended_net: Decimal = _ZERO
    disbursed: Decimal = _ZERO
    withdrawn: Decimal = _ZERO
    outstanding: Decimal = _ZERO
    supports: list[str] = field(default_factory=list, repr=False)

    def add(self, line: GrantLine) -> None:
        self.count += 1
        self.awarded += line.awarded
        self.amended_net += line.amended_net
        self.disbursed += line.disbursed
        self.withdrawn += line.withdrawn
        self.outstanding += line.outstanding
        self.supports.append(line.support_id)

    def as_dict(self) -> dict[str, Any]:
        """The row as plain values: keys, ``count``, and each amount as the ledger writes it (exact text)."""
        return {
            **self.keys,
            "count": self.count,
            **{name: amount_text(getattr(self, name)) for name in FIGURES[1:]},
        }


def check_by(by: Iterable[str], field: str = "by") -> tuple[str, ...]:
    """The dimensions asked for, checked (an ``InputError`` naming *field*), without repeats."""
    found: list[str] = []
    for dimension in by:
        if dimension not in DIMENSIONS:
            raise InputError(field, f"unknown value {dimension!r}", "use one of " + ", ".join(DIMENSIONS))
        if dimension not in found:
            found.append(dimension)
    return tuple(found)


def check_kinds(kinds: Iterable[str], field: str = "kinds") -> frozenset[str]:
    """Support kinds, checked (an ``InputError`` naming *field*)."""
    for kind in kinds:
        if kind not in SUPPORT_KINDS:
            raise InputError(field, f"unknown kind {kind!r}", "use one of " + ", ".join(SUPPORT_KINDS))
    return frozenset(kinds)


def only_currency(rows: Sequence[FundingRow], currency: str) -> tuple[list[FundingRow], dict[str, int]]:
    """The rows in *currency*, and how many supports the others hold, by currency (for a note).

    >>> from decimal import Decimal
    >>> lines = [GrantLine(str(i), "grant", ("f",), ("r",), None, "2019", ("firm",), c, *[Decimal(1)] * 2,
    ...                    *[Decimal(0)] * 2) for i, c in enumerate(["KRW", "KRW", "USD"])]
    >>> kept, left_out = only_currency(report(lines, by=("funder",)), "USD")
    >>> [r.keys for r in kept], left_out
    ([{'funder': 'f', 'currency': 'USD'}], {'KRW': 2})
    """
    others: dict[str, set[str]] = {}
    for row in rows:
        if row.keys["currency"] != currency:
            others.setdefault(row.keys["currency"], set()).update(row.supports)
    kept = [row for row in rows if row.keys["currency"] == currency]
    return kept, {money: len(ids) for money, ids in sorted(others.items())}


def report(lines: Iterable[GrantLine], *, by: Sequence[str] = ("funder",)) -> list[FundingRow]:
    """The lines added up by *by* (and always by currency), rows sorted by their keys."""
    dimensions = [d for d in check_by(by) if d != "currency"]
    rows: dict[tuple[str, ...], FundingRow] = {}
    for line in lines:
        combos: list[tuple[str, ...]] = [()]
        for dimension in dimensions:
            combos = [(*c, v) for c in combos for v in line.values(dimension)]
        for combo in dict.fromkeys(combos):
            key = (*combo, line.currency)
            row = rows.get(key)
            if row is None:
                row = rows[key] = FundingRow(dict(zip([*dimensions, "currency"], key, strict=True)))
            row.add(line)
    return [rows[k] for k in sorted(rows)]


def grant_lines(
    events: Iterable[Positioned],
    *,
    as_of: PartialDate | date | str | None = None,
    start: PartialDate | str | None = None,
    end: PartialDate | str | None = None,
    kinds: Iterable[str] | None = None,
) -> list[GrantLine]:
    """The figures of every support that counts, from ``(position, event)`` pairs already cut at T.

    The events are the ledger's (or a list built by hand), in recorded order;
    retractions are applied here (``projections.terms.known``).
    """
    day = query_day(as_of)
    first = _bound(start, "start", first=True)
    last = _bound(end, "end", first=False)
    if first is not None and last is not None and last < first:
        raise InputError("end", f"{last} is before the start {first}", "give an end on or after the start")
    wanted = check_kinds(kinds) if kinds is not None else None
    by_aggregate: dict[UUID, list[Positioned]] = {}
    supports: list[UUID] = []
    for p, e in events:
        found = by_aggregate.get(e.originator_id)
        if found is None:
            found = by_aggregate[e.originator_id] = []
            if type(e).aggregate_class is Support:
                supports.append(e.originator_id)
        found.append((p, e))
    sectors: dict[str, str] = {}
    lines = []
    for uid in supports:
        live, _ = known(by_aggregate[uid])
        support = relation_on(live, day)
        award = support.created
        if not isinstance(award, Support.Awarded) or support.status.startswith("not yet"):
            continue
        if wanted is not None and award.kind not in wanted:
            continue
        awarded_on = day_of(award)
        if (first is not None or last is not None) and (
            awarded_on is None or (first is not None and awarded_on < first) or (last is not None and awarded_on > last)
        ):
            continue
        payments = [e for _, e in live if isinstance(e, Support.Disbursed)]
        currency = support.terms["currency"] or (payments[0].currency if payments else None)
        if currency is None:
            continue  # no money: a designation, in-kind help, or a support whose amount is not known
        in_force = support.terms["amount"] if support.terms["amount"] is not None else _ZERO
        disbursed = support.disbursed if support.disbursed is not None else _ZERO
        withdrawn = _ZERO
        if support.status == "withdrawn":
            withdrawn = max(in_force - disbursed, _ZERO)
        recipients = tuple(p.key for p in award.recipients)
        lines.append(
            GrantLine(
                support_id=str(uid),
                kind=award.kind,
                funders=tuple(p.key for p in award.funders),
                recipients=recipients,
                programme=award.programme,
                year=awarded_on[:4] if awarded_on is not None else UNDATED,
                sectors=tuple(dict.fromkeys(_sector(by_aggregate, sectors, key, day) for key in recipients)),
                currency=currency,
                awarded=award.amount if award.amount is not None else _ZERO,
                in_force=in_force,
                disbursed=disbursed,
                withdrawn=withdrawn,
            )
        )
    return lines


def _sector(by_aggregate: dict[UUID, list[Positioned]], cache: dict[str, str], key: str, day: str) -> str:
    """The sector of organisation *key* as registered (known at the cut), or ``unknown``."""
    found = cache.get(key)
    if found is None:
        events = by_aggregate.get(organisation_id(key), [])
        registration = organisation_on(known(events)[0], day).registration if events else None
        sector = registration.sector if isinstance(registration, Organisation.Registered) else None
        found = cache[key] = sector or UNKNOWN_SECTOR
    return found


def _bound(value: PartialDate | str | None, name: str, *, first: bool) -> str | None:
    """The first (or last) ISO day of a period bound, or None."""
    if value is None:
        return None
    try:
        when = value if isinstance(value, PartialDate) else PartialDate.parse(value)
    except ValueError as exc:
        raise InputError(name, str(exc), "use YYYY, YYYY-MM or YYYY-MM-DD") from None
    return (when.first_day if first else when.last_day).isoformat()


def funding(
    ledger: Ledger,
    *,
    by: Sequence[str] = ("funder",),
    as_of: PartialDate | date | str | None = None,
    position: int | None = None,
    known_at: datetime | None = None,
    start: PartialDate | str | None = None,
    end: PartialDate | str | None = None,
    kinds: Iterable[str] | None = None,
) -> list[FundingRow]:
    """The funding report of *ledger*: one row per value of *by* (several: each combination) and currency.

    Parameters
    ----------
    ledger : Ledger
    by : sequence of {"funder", "recipient", "programme", "year", "sector", "kind", "currency"}
        The row keys, in order; the currency is always the last key.
    as_of : date or date text, optional
        The effective day D (default today; ``"2019"`` is 2019-12-31).
    position, known_at : optional
        The knowledge cut T: only the events recorded at or before them.
    start, end : date text, optional
        Only supports awarded within this period (``start``'s first day to ``end``'s last).
    kinds : iterable of str, optional
        Only supports of these kinds (``grant``, ``loan``, ...).

    Returns
    -------
    list of FundingRow
        Sorted by their keys; see the module docstring for each figure.
    """
    by = check_by(by)
    kinds_read = ("support", "organisation") if "sector" in by else ("support",)
    events = _events(ledger, kinds_read, position=position, known_at=known_at)
    return report(grant_lines(events, as_of=as_of, start=start, end=end, kinds=kinds), by=by)


def _events(
    ledger: Ledger, kinds: tuple[str, ...], *, position: int | None, known_at: datetime | None
) -> Iterator[Positioned]:
    """The events of aggregates of *kinds* known at the cut, in recorded order; the others are never decoded.

    The same events as ``ledger.events`` (the mapper decodes and upcasts them),
    without building the partnerships' and agreements' pydantic events, which the
    report never reads (half of a typical log).
    """
    start = 0
    while True:
        rows = ledger.recorder.select_notifications(start, 10_000, stop=position, inclusive_of_start=False)
        for row in rows:
            if op_for_topic(row.topic).tie_type in kinds:
                event = ledger.mapper.decode(row)
                if known_at is None or event.recorded_at <= known_at:
                    yield row.id, event
        if len(rows) < 10_000:
            return
        start = rows[-1].id
