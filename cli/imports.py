"""``netledger import``: bulk import of other formats, all or nothing."""

from __future__ import annotations

from typing import IO

import click

from cli.context import writes
from domain.imports.giving360 import DEFAULT_RECIPIENT_SECTOR, ImportRejected, import_360giving
from domain.ledger import Ledger, Session
from domain.organisation import SECTORS


@click.command("import")
@click.argument("file", type=click.File("rb"), metavar="FILE|-")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["360giving", "jsonl"]),
    required=True,
    help="360giving: a 360Giving JSON package; jsonl: the ledger's own format (as 'log --format jsonl').",
)
@click.option(
    "--recipient-sector",
    type=click.Choice(SECTORS),
    default=DEFAULT_RECIPIENT_SECTOR,
    show_default=True,
    help="Sector of recipient organisations registered by a 360giving import.",
)
@click.option("--dry-run", is_flag=True, help="Validate and report what would be written; write nothing.")
@writes
def import_(ledger: Ledger, file: IO[bytes], fmt: str, recipient_sector: str, dry_run: bool) -> None:
    """Import FILE (or - for stdin) into the ledger, all or nothing.

    Every record is validated first; any problem rejects the whole file (each one
    listed on stderr) and nothing is written. Importing the same file again writes
    nothing new.
    """
    if fmt == "jsonl":
        _jsonl(ledger, file, dry_run)
        return
    try:
        result = import_360giving(ledger, file.read(), recipient_sector=recipient_sector, dry_run=dry_run)
    except ImportRejected as exc:
        for line in exc.listing():
            click.echo(line, err=True)
        raise
    _summary(dict(result.written), result.already, len(result.matched), dry_run)
    if result.rounded:
        click.echo(
            f"{len(result.rounded)} amount(s) read to the penny (float artefacts, e.g. {result.rounded[0]})", err=True
        )


def _jsonl(ledger: Ledger, file: IO[bytes], dry_run: bool) -> None:
    from cli.write import read_jsonl
    from domain.records import parse_records

    records = list(read_jsonl(file))
    if dry_run:
        ledger.require_current_schema()
        commands = parse_records(ledger, records)
        session = Session(ledger)
        outcomes = [command(session) for command in commands]
    else:
        outcomes = ledger.append(records)
    written: dict[str, int] = {}
    for o in outcomes:
        if o.status == "recorded":
            written[o.event.type_name] = written.get(o.event.type_name, 0) + 1
    _summary(written, sum(1 for o in outcomes if o.status != "recorded"), None, dry_run)


def _summary(written: dict[str, int], already: int, matched: int | None, dry_run: bool) -> None:
    total = sum(written.values())
    verb = "would write" if dry_run else "wrote"
    detail = ", ".join(f"{n} {name}" for name, n in sorted(written.items()))
    line = f"{verb} {total} event(s)" + (f" ({detail})" if detail else "") + f"; {already} already recorded"
    if matched is not None:
        line += f"; {matched} organisation(s) matched in the ledger"
    if total == 0 and not dry_run:
        line += "; nothing new to write"
    click.echo(line, err=True)


COMMANDS = [import_]
