"""One output convention for every listing command: table, json, jsonl or csv."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

import click

from domain.files import Output

FORMATS = ("table", "json", "jsonl", "csv")

#: ``--force``, on every command that writes a file the user names (``domain.files.Output``).
force_option = click.option(
    "--force", is_flag=True, help="Write through a symbolic link at the output path (refused without it)."
)


def output_to(path: str, field: str = "--out", *, force: bool = False) -> Output:
    """Where an output file goes, checked before any work (``-`` is stdout; see ``domain.files``)."""
    return Output.of(path, field=field, force=force)


def format_option(choices: Sequence[str] = FORMATS, default: str = "table") -> Any:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=True,
        help="Output format: a table for people, json/jsonl/csv for programs.",
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def render_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Plain aligned columns (wide Korean characters count double)."""
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max([_width(c)] + [_width(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(_pad(c, w) for c, w in zip(columns, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(_pad(v, w) for v, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    return "\n".join(lines)


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def emit(rows: Iterable[dict[str, Any]], fmt: str, columns: Sequence[str]) -> None:
    """Write *rows* to stdout in *fmt*; jsonl and csv stream row by row."""

    def out(text: str) -> None:
        click.echo(text, nl=False)

    if fmt == "jsonl":
        for row in rows:
            out(json.dumps(row, ensure_ascii=False) + "\n")
    elif fmt == "json":
        out(json.dumps(list(rows), ensure_ascii=False, indent=2) + "\n")
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        out(buffer.getvalue())
        for row in rows:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow({k: _cell(row.get(k)) for k in columns})
            out(buffer.getvalue())
    else:
        out(render_table(list(rows), columns) + "\n")
