"""``netledger retract`` and ``netledger append``: corrections and bulk events."""

from __future__ import annotations

from typing import IO

import click

from cli.context import create_option, envelope_options, meta_kwargs, report, writes
from domain.ledger import Ledger


@click.command()
@click.argument("target", metavar="EVENT_ID")
@click.option("--reason", required=True, help="Why the event no longer counts.")
@envelope_options()
@writes
def retract(ledger: Ledger, target: str, reason: str, **kwargs: object) -> None:
    """Record that EVENT_ID no longer counts (it stays in the log)."""
    report(ledger.retract(target, reason=reason, **meta_kwargs(kwargs)))


@click.command()
@click.argument("file", type=click.File("rb"), metavar="FILE|-")
@create_option
@writes
def append(ledger: Ledger, file: IO[bytes]) -> None:
    """Append events from a JSON Lines FILE (or - for stdin), all or nothing.

    The format is the one 'netledger log --format jsonl' prints; see docs/events.md.
    """
    from domain.imports.jsonl import records as read_records

    records = list(read_records(file))
    outcomes = ledger.append(records)
    new = sum(1 for o in outcomes if o.status == "recorded")
    old = len(outcomes) - new
    click.echo(f"appended {new} event(s)" + (f"; {old} already recorded" if old else ""), err=True)


COMMANDS = [retract, append]
