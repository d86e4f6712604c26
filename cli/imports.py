"""``netledger import``: bulk import of other formats, streamed, all or nothing."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import IO, Any

import click

from cli.context import create_option, writes
from cli.output import force_option, output_to, terminal
from domain.errors import InputError
from domain.files import Output
from domain.imports.pipeline import ImportRejected, ImportReport, Item, run_import
from domain.ledger import Ledger
from domain.organisation import SECTORS
from domain.records import EVENT_TYPES

DEFAULT_RECIPIENT_SECTOR = "firm"


@click.command("import")
@click.argument("file", type=click.File("rb"), metavar="FILE|-")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["360giving", "jsonl", "csv"]),
    required=True,
    help="360giving: a 360Giving JSON package; jsonl: the ledger's own format (as 'log --format jsonl'); "
    "csv: one column layout per event type (see docs/operator.md).",
)
@click.option(
    "--type",
    "type_name",
    type=click.Choice(sorted(EVENT_TYPES)),
    metavar="TYPE",
    help="csv only: the event type of every row, for a file without a 'type' column.",
)
@click.option(
    "--recipient-sector",
    type=click.Choice(SECTORS),
    default=DEFAULT_RECIPIENT_SECTOR,
    show_default=True,
    help="Sector of recipient organisations registered by a 360giving import.",
)
@click.option("--dry-run", is_flag=True, help="Validate and report what would be written; write nothing.")
@click.option("--skip-invalid", is_flag=True, help="Write the valid records; put the invalid ones in --rejects.")
@click.option(
    "--rejects",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="With --skip-invalid: write each rejected record, with its reasons, as JSON Lines to FILE (- for stdout).",
)
@force_option
@create_option
@writes
def import_(
    ledger: Ledger,
    file: IO[bytes],
    fmt: str,
    type_name: str | None,
    recipient_sector: str,
    dry_run: bool,
    skip_invalid: bool,
    rejects: str | None,
    force: bool,
) -> None:
    """Import FILE (or - for stdin) into the ledger, all or nothing.

    The file is read as a stream and written in batches inside one transaction:
    any invalid record rejects the whole file (each problem listed on stderr,
    the first 20 then a count) and nothing is written, unless --skip-invalid.
    Importing the same file again writes nothing new. A progress line is shown
    on stderr when it is a terminal and the import takes more than a second.
    """
    if skip_invalid != (rejects is not None):
        raise InputError(
            "rejects" if skip_invalid else "skip-invalid",
            "--skip-invalid and --rejects FILE go together",
            "give both, or neither for an all-or-nothing import",
        )
    if type_name is not None and fmt != "csv":
        raise InputError("type", "only a csv import takes --type", "drop --type")
    rejects_to = output_to(rejects, "--rejects", force=force) if rejects is not None else None
    source: Any = None
    if fmt == "360giving":
        from domain.imports.giving360 import Giving360

        source = Giving360(ledger, recipient_sector)
        items = source.items(file)
    elif fmt == "jsonl":
        from domain.imports.jsonl import jsonl_items

        items = jsonl_items(ledger, file)
    else:
        from domain.imports.csvrows import csv_items

        items = csv_items(ledger, file, type_name)
    progress = Progress(file)
    try:
        report = run_import(ledger, items, skip_invalid=skip_invalid, dry_run=dry_run, progress=progress)
    except ImportRejected as exc:
        progress.done()
        for line in exc.listing():
            click.echo(terminal(line), err=True)
        raise
    finally:
        progress.done()
    if rejects_to is not None:
        write_rejects(rejects_to, report.rejects)
    summary(report, source)


class Progress:
    """A progress line on stderr, drawn only on a terminal and only after the first second."""

    def __init__(self, file: IO[bytes], *, after: float = 1.0) -> None:
        self.file = file
        self.started = time.monotonic()
        self.after = after
        self.shown = False
        self.enabled = sys.stderr.isatty()
        try:
            self.size = os.fstat(file.fileno()).st_size if file.seekable() else 0
        except (OSError, ValueError, AttributeError):
            self.size = 0

    def __call__(self, records: int) -> None:
        elapsed = time.monotonic() - self.started
        if not self.enabled or elapsed < self.after:
            return
        share = ""
        if self.size:
            try:
                share = f"{min(100, 100 * self.file.tell() // self.size):3d}% "
            except (OSError, ValueError):
                share = ""
        click.echo(f"\rimporting: {share}{records:,} records, {records / elapsed:,.0f}/s ", err=True, nl=False)
        self.shown = True

    def done(self) -> None:
        if self.shown:
            click.echo("", err=True)
            self.shown = False


def write_rejects(target: Output, rejects: list[tuple[Item, list[Any]]]) -> None:
    """Each rejected record as one JSON line: its number, label, problems and the record as read."""
    # A lone surrogate read from a \ud800 escape has no UTF-8 bytes: write it back as that escape.
    with target.open(errors="backslashreplace") as out:
        for item, problems in rejects:
            line = {
                item.noun: item.number,
                "label": item.label,
                "problems": [str(p) for p in problems],
                "record": item.raw,
            }
            out.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")


def summary(report: ImportReport, source: Any) -> None:
    verb = "would write" if report.dry_run else "wrote"
    detail = ", ".join(f"{n} {name}" for name, n in sorted(report.written.items()))
    line = f"{verb} {report.total_written} event(s)" + (f" ({detail})" if detail else "")
    line += f"; {report.already} already recorded; {report.records} record(s) read"
    matched = getattr(source, "matched", None)
    if matched is not None:
        line += f"; {len(matched)} organisation(s) matched in the ledger"
    if report.rejected:
        line += f"; {report.rejected} rejected (see the rejects file)"
    if report.total_written == 0 and not report.dry_run:
        line += "; nothing new to write"
    click.echo(line, err=True)
    rounded = getattr(source, "rounded", None)
    if rounded:
        click.echo(f"{len(rounded)} amount(s) read to the penny (float artefacts, e.g. {rounded[0]})", err=True)


COMMANDS = [import_]
