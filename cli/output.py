r"""One output convention for every listing command: table, json, jsonl or csv; outputs safe for their readers.

- ``terminal(text)``: what a person's terminal shows, with control characters written
  as visible escapes (``\r``, ``\x1b``) and bidirectional overrides as ``\u202e``:
  a name holding a carriage return or an escape sequence cannot hide or rewrite its
  line. Every table, ``show`` and every ``Error:`` line go through it.
- ``spreadsheet_cell(text)``: a CSV cell a spreadsheet would run as a formula (it
  starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a ``'``
  in front (the OWASP rule for CSV injection); ``--raw`` writes cells as they are.

>>> terminal("Hidden\rInnocent\x1b[2K")
'Hidden\\rInnocent\\x1b[2K'
>>> spreadsheet_cell('=HYPERLINK("http://x")'), spreadsheet_cell("POSTECH")
('\'=HYPERLINK("http://x")', 'POSTECH')
"""

from __future__ import annotations

import csv
import io
import json
import re
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


#: C0 and C1 controls, DEL, and the bidirectional embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
#: What a spreadsheet reads as the start of a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def terminal(text: str) -> str:
    """*text* with every control character and bidirectional override shown as an escape."""
    if text.isprintable():
        return text
    return _UNSAFE.sub(_escape, text)


def _escape(found: re.Match[str]) -> str:
    char = found.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def spreadsheet_cell(text: str) -> str:
    """*text* with a ``'`` in front when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def format_option(choices: Sequence[str] = FORMATS, default: str = "table") -> Any:
    """``--format``, and ``--raw`` where csv is one of the choices."""

    def decorate(f: Any) -> Any:
        if "csv" in choices:
            f = click.option(
                "--raw",
                is_flag=True,
                expose_value=False,
                callback=_keep_raw,
                help="csv: write cells as they are (by default a cell starting with =, +, -, @ gets a ' in front).",
            )(f)
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(list(choices)),
            default=default,
            show_default=True,
            help="Output format: a table for people, json/jsonl/csv for programs.",
        )(f)

    return decorate


def _keep_raw(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    ctx.meta["netledger.raw_csv"] = value


def _raw_csv() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get("netledger.raw_csv"))


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def render_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> str:
    """Plain aligned columns (wide Korean characters count double)."""
    cells = [[terminal(_cell(r.get(c))) for c in columns] for r in rows]
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
        cell = _cell if _raw_csv() else lambda value: spreadsheet_cell(_cell(value))
        for row in rows:
            buffer.seek(0)
            buffer.truncate()
            writer.writerow({k: cell(row.get(k)) for k in columns})
            out(buffer.getvalue())
    else:
        out(render_table(list(rows), columns) + "\n")
