"""``netledger log`` and ``netledger show``: what the ledger recorded, in recorded order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click

from cli.context import reads
from cli.output import emit, format_option
from domain.errors import InputError
from domain.ledger import Ledger
from domain.records import EVENT_TYPES, HEADER, to_record
from domain.values import PartialDate


def _date(value: str | None, field: str) -> PartialDate | None:
    if value is None:
        return None
    try:
        return PartialDate.parse(value)
    except ValueError as exc:
        raise InputError(field, str(exc), "use YYYY, YYYY-MM or YYYY-MM-DD") from None


def _timestamp(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(field, f"invalid timestamp {value!r}", "use ISO 8601, e.g. 2026-01-31T12:00:00Z") from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


TYPE_CHOICES = sorted({*EVENT_TYPES, *(t.split(".")[0] for t in EVENT_TYPES)})


@click.command()
@click.option("--org", "orgs", multiple=True, metavar="KEY", help="Only events about this organisation (repeatable).")
@click.option(
    "--type",
    "types",
    multiple=True,
    type=click.Choice(TYPE_CHOICES),
    metavar="TYPE",
    help="Only this event type, e.g. partnership.formed, or a whole kind, e.g. support (repeatable).",
)
@click.option("--from", "start", metavar="DATE", help="Only events effective on or after DATE.")
@click.option("--to", "end", metavar="DATE", help="Only events effective on or before DATE.")
@click.option(
    "--recorded-before", metavar="TIMESTAMP", help="Only events recorded before this moment (UTC if no zone)."
)
@format_option()
@reads
def log(
    ledger: Ledger,
    orgs: tuple[str, ...],
    types: tuple[str, ...],
    start: str | None,
    end: str | None,
    recorded_before: str | None,
    fmt: str,
) -> None:
    """The timeline auditors read: every event in recorded order."""
    from projections.timeline import TABLE_COLUMNS, LogFilter, select, table_row

    where = LogFilter(
        orgs=orgs,
        types=types,
        start=_date(start, "--from"),
        end=_date(end, "--to"),
        recorded_before=_timestamp(recorded_before, "--recorded-before"),
    )
    selected = select(ledger.events(), where)
    if fmt == "table":
        emit((table_row(p, e) for p, e in selected), fmt, TABLE_COLUMNS)
    elif fmt == "csv":
        emit((_csv_row(p, e) for p, e in selected), fmt, [*HEADER, "fields"])
    else:
        emit((to_record(p, e) for p, e in selected), fmt, HEADER)


def _csv_row(position: int, event: Any) -> dict[str, Any]:
    record = to_record(position, event)
    row = {k: record[k] for k in HEADER}
    row["fields"] = {k: v for k, v in record.items() if k not in HEADER}
    return row


@click.command()
@click.argument("key_or_id", metavar="KEY_OR_ID")
@format_option(("table", "json"))
@reads
def show(ledger: Ledger, key_or_id: str, fmt: str) -> None:
    """Current state of one organisation, partnership, agreement or support, then its history."""
    import json

    from cli.output import render_table
    from projections.describe import describe, find_aggregate
    from projections.timeline import TABLE_COLUMNS, table_row

    aggregate = find_aggregate(ledger, key_or_id)
    state = describe(aggregate)
    history = [(ledger.find(e.event_id), e) for e in aggregate.history]
    if fmt == "json":
        data = {"state": state, "history": [to_record(f[0] if f else 0, e) for f, e in history]}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    width = max(len(k) for k in state)
    for k, v in state.items():
        click.echo(f"{k.ljust(width)}  {v if not isinstance(v, list) else ', '.join(map(str, v))}")
    click.echo("\nhistory:")
    click.echo(render_table([table_row(f[0] if f else 0, e) for f, e in history], TABLE_COLUMNS))


COMMANDS = [log, show]
