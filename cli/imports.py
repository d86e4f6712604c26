"""``netledger import``: bulk import of other formats, streamed, all or nothing."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import time
from pathlib import Path
from typing import IO, Any

import click

from cli.context import create_option, writes
from cli.output import force_option, output_to, terminal
from domain.errors import InputError
from domain.files import Output
from domain.imports.pipeline import ImportRejected, ImportReport, Item, Provenance, run_import
from domain.ledger import Ledger
from domain.records import EVENT_TYPES
from domain.sectors import SECTORS

DEFAULT_RECIPIENT_SECTOR = "intermediary"


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
    help="360giving: sector of new recipients whose identifier scheme says nothing "
    "(GB-CHC is civil_society, GB-COH firm, ...: see docs/operator.md).",
)
@click.option(
    "--sector-map",
    type=click.File("rb"),
    metavar="FILE",
    help='360giving: a JSON object of scheme or org id -> sector, overriding the table (e.g. {"GB-COH": "firm"}).',
)
@click.option(
    "--withdraw-missing",
    is_flag=True,
    help="360giving: withdraw the grants imported before from this file's funders that the file no longer has.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="360giving: every schema error refuses its grant, also in fields the ledger keeps verbatim.",
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
    sector_map: IO[bytes] | None,
    withdraw_missing: bool,
    strict: bool,
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
    if fmt != "360giving" and (sector_map is not None or strict or withdraw_missing):
        name = "sector-map" if sector_map else "strict" if strict else "withdraw-missing"
        raise InputError(name, "only a 360giving import takes it", "drop it")
    hashing = HashingReader(file)
    stream: IO[bytes] = io.BufferedReader(hashing)
    source: Any = None
    if fmt == "360giving":
        from domain.imports.giving360 import Giving360, read_sector_map

        mapping = None
        if sector_map is not None:
            try:
                mapping = read_sector_map(json.load(sector_map))
            except ValueError as exc:
                raise InputError("sector-map", f"is not JSON ({exc})", 'write e.g. {"GB-COH": "firm"}') from None
        source = Giving360(
            ledger, recipient_sector, sector_map=mapping, strict=strict, withdraw_missing=withdraw_missing
        )
        items = source.items(stream)
    elif fmt == "jsonl":
        from domain.imports.jsonl import jsonl_items

        items = jsonl_items(ledger, stream)
    else:
        from domain.imports.csvrows import csv_items

        items = csv_items(ledger, stream, type_name)
    progress = Progress(file)
    given = getattr(file, "name", None)
    provenance = Provenance(
        file_name=Path(given).name if isinstance(given, str) and given != "<stdin>" else None,
        format=fmt,
        sha256=hashing.hexdigest,
        publisher=lambda: ", ".join(source.funder_ids[:5]) if source is not None and source.funder_ids else None,
    )
    try:
        report = run_import(
            ledger, items, skip_invalid=skip_invalid, dry_run=dry_run, progress=progress, provenance=provenance
        )
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


class HashingReader(io.RawIOBase):
    """A binary file read through, its bytes hashed (SHA-256) as they pass: ``hexdigest`` reads the rest first."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.sha256 = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.sha256.update(data)
        return len(data)

    def hexdigest(self) -> str:
        while chunk := self.raw.read(1 << 20):
            self.sha256.update(chunk)
        return self.sha256.hexdigest()


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
    if report.recorded is not None:
        line += f"; import {report.recorded.event_id}"
    matched = getattr(source, "matched", None)
    if matched is not None:
        line += f"; {len(matched)} organisation(s) matched in the ledger"
    if report.rejected:
        line += f"; {report.rejected} rejected (see the rejects file)"
    if report.total_written == 0 and not report.dry_run:
        line += "; nothing new to write"
    click.echo(line, err=True)
    missing = getattr(source, "missing", None)
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        done = "withdrawn" if source.withdraw_missing else "kept (--withdraw-missing withdraws them)"
        click.echo(f"{len(missing)} grant(s) of these funders missing from the file, {done}: {shown}", err=True)
    quality = getattr(source, "quality", None)
    if quality:
        detail = ", ".join(f"{n} {flag}" for flag, n in sorted(quality.items()))
        total = sum(quality.values())
        click.echo(f"data quality: {total} remark(s) in the file ({detail}), kept on its grants", err=True)
    rounded = getattr(source, "rounded", None)
    if rounded:
        click.echo(f"{len(rounded)} amount(s) read to the penny (float artefacts, e.g. {rounded[0]})", err=True)


COMMANDS = [import_]
