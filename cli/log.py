"""``netledger log`` and ``netledger show``: what the ledger recorded, in recorded order, with each event's status."""

from __future__ import annotations

import json
from typing import Any

import click

from cli.context import reads
from cli.output import emit, format_option, render_table, terminal
from cli.when import as_of_option, cut_of, cut_options, day, partial_date, timestamp
from domain.ledger import Ledger
from domain.records import EVENT_TYPES, HEADER

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
@as_of_option("Only the events in force on DATE (YYYY and YYYY-MM mean the last day of that year or month).")
@cut_options
@click.option(
    "--recorded-before", metavar="TIMESTAMP", help="Only events recorded before this moment (UTC if no zone)."
)
@click.option(
    "--import",
    "import_id",
    metavar="ID",
    help="Only the events one import wrote, and its import.recorded event (ID: that event's id).",
)
@format_option()
@reads
def log(
    ledger: Ledger,
    orgs: tuple[str, ...],
    types: tuple[str, ...],
    start: str | None,
    end: str | None,
    as_of: str | None,
    known_at: str | None,
    position: str | None,
    recorded_before: str | None,
    import_id: str | None,
    fmt: str,
) -> None:
    """The timeline auditors read: every event in recorded order, with its status.

    The status says whether an event still counts: "retracted by ID", "amended
    by ID", "superseded by ID" (as known at --known-at/--position; with --as-of,
    counting only the changes in effect on that day). With --from/--to or --type,
    a retracted event is followed by its retraction.
    """
    from projections.timeline import (
        LOG_HEADER,
        TABLE_COLUMNS,
        LogFilter,
        facts_from_rows,
        in_force,
        log_record,
        select,
        statuses_of,
        table_row,
        with_retractions,
    )

    cut = cut_of(known_at, position)
    when = day(as_of) if as_of is not None else None
    if orgs:  # names and identifiers too, and the closest keys for a miss (projections.directory)
        from projections.directory import resolve_all
        from projections.store import load_network

        orgs = tuple(resolve_all(load_network(ledger), orgs, "--org"))
    facts = facts_from_rows(ledger, position=cut.position, known_at=cut.known_at)
    statuses = statuses_of(facts, when)
    where = LogFilter(
        orgs=orgs,
        types=types,
        start=partial_date(start, "--from"),
        end=partial_date(end, "--to"),
        recorded_before=timestamp(recorded_before, "--recorded-before"),
        position=cut.position,
        known_at=cut.known_at,
        in_force=frozenset(in_force(facts, when)) if when is not None else None,
    )
    selected = select(ledger.events(upto=cut.position), where)
    if import_id is not None:
        from projections.describe import import_positions

        first, last = import_positions(ledger, import_id)
        selected = iter([(p, e) for p, e in selected if first <= p <= last])
    if where.start or where.end or where.types:
        selected = with_retractions(ledger, selected, statuses)
    if fmt == "table":
        emit((table_row(p, e, statuses.get(p, "")) for p, e in selected), fmt, TABLE_COLUMNS)
    elif fmt == "csv":
        emit((_csv_row(log_record(p, e, statuses.get(p, ""))) for p, e in selected), fmt, [*LOG_HEADER, "fields"])
    else:
        emit((log_record(p, e, statuses.get(p, "")) for p, e in selected), fmt, LOG_HEADER)


def _csv_row(record: dict[str, Any]) -> dict[str, Any]:
    row = {k: record[k] for k in (*HEADER, "status")}
    row["fields"] = {k: v for k, v in record.items() if k not in row}
    return row


@click.command()
@click.argument("key_or_id", metavar="KEY_OR_ID")
@as_of_option("The state on DATE (YYYY and YYYY-MM mean the last day of that year or month; default: today).")
@cut_options
@format_option(("table", "json"))
@reads
def show(
    ledger: Ledger, key_or_id: str, as_of: str | None, known_at: str | None, position: str | None, fmt: str
) -> None:
    """One organisation, partnership, agreement or support on a date, as known at a moment, then its history."""
    from projections.describe import describe_on
    from projections.timeline import TABLE_COLUMNS, log_record, table_row

    cut = cut_of(known_at, position)
    found = describe_on(
        ledger, key_or_id, as_of=day(as_of) if as_of is not None else None, position=cut.position, known_at=cut.known_at
    )
    state, history = found["state"], found["history"]
    if fmt == "json":
        records = [log_record(h["position"], h["event"], h["status"]) for h in history]
        data = {"as_of": found["as_of"], "state": state, "history": records}
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    shown = {"as of": found["as_of"], **{k: v for k, v in state.items() if v not in (None, "", [])}}
    width = max(len(k) for k in shown)
    for k, v in shown.items():
        click.echo(f"{k.ljust(width)}  {terminal(str(v) if not isinstance(v, list) else ', '.join(map(str, v)))}")
    click.echo("\nhistory:")
    click.echo(render_table([table_row(h["position"], h["event"], h["status"]) for h in history], TABLE_COLUMNS))


COMMANDS = [log, show]
