"""``netledger report``: reports for grants analysts, over the same time axes as every other reading command."""

from __future__ import annotations

import click

from cli.context import currency_code, reads
from cli.output import emit, format_option
from cli.when import as_of_option, cut_of, cut_options, day, period
from domain.ledger import Ledger

BY_HELP = "funder|recipient|programme|year|sector|kind|currency"


@click.group()
def report() -> None:
    """Reports for grants analysts (see docs/grants.md)."""


@report.command()
@click.option(
    "--by",
    "by",
    multiple=True,
    metavar=BY_HELP,
    help="Group rows by this (repeatable, or comma-separated: --by funder,year); always per currency. Default: funder.",
)
@click.option("--from", "start", metavar="DATE", help="Only supports awarded on or after DATE (its first day).")
@click.option("--to", "end", metavar="DATE", help="Only supports awarded on or before DATE (its last day).")
@click.option(
    "--kind", "kinds", multiple=True, metavar="KIND", help="Only supports of this kind, e.g. grant (repeatable)."
)
@click.option(
    "--currency", metavar="CODE", help="Only amounts in this currency (the supports in others are counted in a note)."
)
@as_of_option(
    "Figures as they stood on DATE: YYYY and YYYY-MM mean the last day of that year or month (default: today)."
)
@cut_options
@format_option()
@reads
def funding(
    ledger: Ledger,
    by: tuple[str, ...],
    start: str | None,
    end: str | None,
    kinds: tuple[str, ...],
    currency: str | None,
    as_of: str | None,
    known_at: str | None,
    position: str | None,
    fmt: str,
) -> None:
    """Awarded, amended, disbursed, withdrawn and outstanding amounts per funder, recipient, programme, year
    or sector, and per currency, to the penny.

    Columns (docs/grants.md): count; awarded (the award events' amounts); amended_net (the amount in force
    on --as-of minus awarded); disbursed (payments made by then); withdrawn (the unpaid part of supports
    withdrawn by then); outstanding (in force - disbursed - withdrawn).
    """
    from projections.funding import FIGURES, check_by, check_kinds, only_currency
    from projections.funding import funding as compute

    dimensions = check_by([part for value in by for part in value.split(",") if part] or ["funder"], "--by")
    check_kinds(kinds, "--kind")
    currency = currency_code(currency)
    first, last = period(start, end)
    cut = cut_of(known_at, position)
    rows = compute(
        ledger,
        by=dimensions,
        as_of=day(as_of),
        position=cut.position,
        known_at=cut.known_at,
        start=first,
        end=last,
        kinds=kinds or None,
    )
    if currency is not None:
        rows, left_out = only_currency(rows, currency)
        if left_out:
            counts = ", ".join(f"{n} in {money}" for money, n in left_out.items())
            click.echo(f"note: amounts in {currency} only; supports in other currencies left out: {counts}", err=True)
    keys = [d for d in dimensions if d != "currency"] + ["currency"]
    emit([row.as_dict() for row in rows], fmt, [*keys, *FIGURES])
