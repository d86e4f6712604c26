"""``netledger partnership``: form and end partnerships."""

from __future__ import annotations

import click

from cli.context import envelope_options, meta_kwargs, report, writes
from domain.ledger import Ledger

PARTY_HELP = "Organisation taking part, as KEY or KEY:ROLE (repeat; at least two)."


@click.group()
def partnership() -> None:
    """Partnerships among two or more organisations."""


@partnership.command()
@click.option("--party", "parties", multiple=True, required=True, metavar="KEY[:ROLE]", help=PARTY_HELP)
@click.option("--title", help="Short title.")
@envelope_options(effective_required=True)
@writes
def form(ledger: Ledger, parties: tuple[str, ...], title: str | None, **kwargs: object) -> None:
    """Record a new partnership; prints its id."""
    report(ledger.form_partnership(parties, title=title, **meta_kwargs(kwargs)), print_id=True)


@partnership.command()
@click.argument("partnership_id", metavar="ID")
@envelope_options(effective_required=True)
@writes
def end(ledger: Ledger, partnership_id: str, **kwargs: object) -> None:
    """Record that partnership ID ended."""
    report(ledger.end_partnership(partnership_id, **meta_kwargs(kwargs)))


COMMANDS = [partnership]
