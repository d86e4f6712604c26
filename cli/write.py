"""``netledger retract`` and ``netledger append``: corrections and bulk events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

import click

from cli.context import envelope_options, meta_kwargs, report, writes
from domain.errors import InputError
from domain.ledger import Ledger


@click.command()
@click.argument("target", metavar="EVENT_ID")
@click.option("--reason", required=True, help="Why the event no longer counts.")
@envelope_options()
@writes
def retract(ledger: Ledger, target: str, reason: str, **kwargs: object) -> None:
    """Record that EVENT_ID no longer counts (it stays in the log)."""
    report(ledger.retract(target, reason=reason, **meta_kwargs(kwargs)))


def read_jsonl(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line; bad JSON is an ``InputError``."""
    for number, raw in enumerate(stream, start=1):
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            raise InputError(f"line {number}", "is not valid UTF-8", "save the file as UTF-8") from None
        if not text.strip():
            continue
        try:
            record = json.loads(text, parse_float=_no_float, parse_constant=_no_constant)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"line {number}",
                f"is not valid JSON ({exc.msg} at column {exc.colno})",
                "write one JSON object per line",
            ) from None
        except ValueError as exc:
            raise InputError(f"line {number}", str(exc), "") from None
        if not isinstance(record, dict):
            raise InputError(f"line {number}", "is not a JSON object", "write one {...} object per line")
        yield number, record


def _no_float(text: str) -> str:
    # Keep decimals exact: amounts written as JSON numbers are read as their digits.
    return text


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number (amounts must be finite)")


@click.command()
@click.argument("file", type=click.File("rb"), metavar="FILE|-")
@writes
def append(ledger: Ledger, file: IO[bytes]) -> None:
    """Append events from a JSON Lines FILE (or - for stdin), all or nothing.

    The format is the one 'netledger log --format jsonl' prints; see docs/events.md.
    """
    records = list(read_jsonl(file))
    outcomes = ledger.append(records)
    new = sum(1 for o in outcomes if o.status == "recorded")
    old = len(outcomes) - new
    click.echo(f"appended {new} event(s)" + (f"; {old} already recorded" if old else ""), err=True)


COMMANDS = [retract, append]
