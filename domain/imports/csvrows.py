"""CSV import: one column layout per event type, with a header, UTF-8 with or without BOM.

The columns of type ``T`` are ``event_id``, ``aggregate_id``, ``effective``,
``source``, ``note`` and the payload fields of ``T`` (``csv_columns``). A file
either holds one type, given by ``--type``, or has a ``type`` column naming each
row's type (columns that the row's type does not have must then be empty).
Columns may come in any order; an unknown column rejects the file.

- An empty cell is an absent value.
- List fields (``parties``, ``funders``, ``recipients``, ``identifiers``) hold
  items separated by ``;``: ``postech:member;rist:member``.
- Without an ``event_id`` the id is derived from the row's content (its type
  and every non-empty cell), so importing the same file again writes nothing.
- Lines and cells are read within ``domain.limits`` (``MAX_LINE``, ``MAX_FIELD``).

>>> csv_columns("partnership.formed")
['event_id', 'aggregate_id', 'effective', 'source', 'note', 'parties', 'title']
>>> row_event_id("partnership.formed", {"parties": "a;b", "effective": "2020"})
UUID('7fe8004c-f5ed-5564-a37e-2968adc1c8c1')
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import IO, Any
from uuid import UUID, uuid5

from domain.errors import InputError, LedgerError
from domain.imports.pipeline import Command, Item, Problem
from domain.ledger import Ledger
from domain.limits import MAX_FIELD, lines
from domain.records import TYPE_NAMES, draft_event_ids, draft_of, event_type, payload_fields

ENVELOPE_COLUMNS = ("event_id", "aggregate_id", "effective", "source", "note")
LIST_FIELDS = frozenset({"parties", "funders", "recipients", "identifiers"})
NAMESPACE = UUID("6a0cf2a4-1b9e-4c3e-9a58-0c5b1d0f3c21")


def csv_columns(type_name: str) -> list[str]:
    """The columns of the layout of *type_name*, in their documented order."""
    return [*ENVELOPE_COLUMNS, *payload_fields(event_type(type_name))]


def row_event_id(type_name: str, cells: dict[str, str]) -> UUID:
    """The id of a row given without ``event_id``: a function of its type and non-empty cells."""
    content = "\x1f".join(f"{k}={v}" for k, v in sorted(cells.items()) if v)
    return uuid5(NAMESPACE, f"{type_name}\x1e{content}")


def csv_items(ledger: Ledger, stream: IO[bytes], type_name: str | None = None) -> Iterator[Item]:
    """One ``Item`` per data row of the CSV *stream*."""
    if type_name is not None and type_name not in TYPE_NAMES:
        raise InputError("type", f"unknown event type {type_name!r}", f"use one of: {', '.join(sorted(TYPE_NAMES))}")
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    csv.field_size_limit(MAX_FIELD)
    try:
        yield from _rows(ledger, csv.reader(line for _, line in lines(text)), type_name)
    finally:
        text.detach()  # the caller owns (and closes) the binary stream


def _rows(ledger: Ledger, reader: Any, type_name: str | None) -> Iterator[Item]:
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError("file", "is empty: expected a header row", "see docs/operator.md for the columns") from None
    except UnicodeDecodeError:
        raise InputError("file", "is not valid UTF-8", "save the file as UTF-8 (with or without BOM)") from None
    _check_header(header, type_name)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise InputError("file", f"line {reader.line_num + 1} is not valid UTF-8", "save as UTF-8") from None
        except csv.Error as exc:
            if "field larger than field limit" in str(exc):
                too_long = f"line {reader.line_num}: a cell is longer than {MAX_FIELD:,} bytes"
                raise InputError("file", too_long, "check the quoting; texts hold at most 10,000 characters") from None
            raise InputError("file", f"line {reader.line_num}: {exc}", "check the quoting") from None
        number = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            message = f"has {len(values)} cells, the header {len(header)}"
            problem = Problem(number, None, "", message, "unreadable", "line")
            yield Item(number, None, problems=[problem], raw=values, noun="line")
            continue
        cells = {h: v.strip() for h, v in zip(header, values, strict=True)}
        yield _item(ledger, number, cells, type_name)


def _check_header(header: list[str], type_name: str | None) -> None:
    if len(set(header)) != len(header):
        duplicated = next(h for h in header if header.count(h) > 1)
        raise InputError("file", f"column {duplicated!r} appears twice in the header", "keep one")
    if type_name is None and "type" not in header:
        raise InputError("type", "the file has no 'type' column", "add one, or give --type TYPE for a one-type file")
    allowed = set(ENVELOPE_COLUMNS) | {"type"}
    for name in [type_name] if type_name else TYPE_NAMES:
        allowed |= set(payload_fields(event_type(name)))
    for column in header:
        if column not in allowed:
            fix = (
                f"the columns of {type_name} are: {', '.join(csv_columns(type_name))}"
                if type_name
                else ("see docs/operator.md for each type's columns")
            )
            raise InputError("file", f"unknown column {column!r}", fix)


def _item(ledger: Ledger, number: int, cells: dict[str, str], type_name: str | None) -> Item:
    row_type = cells.pop("type", "") or type_name
    label = cells.get("event_id") or None
    try:
        if not row_type:
            raise InputError("type", "is empty", "name the row's event type")
        if type_name is not None and row_type != type_name:
            raise InputError("type", f"{row_type!r} in a file of {type_name}", "split the file by type")
        if row_type not in TYPE_NAMES:
            raise InputError("type", f"unknown event type {row_type!r}", "see docs/events.md")
        own = set(csv_columns(row_type))
        for column, value in cells.items():
            if value and column not in own:
                raise InputError(column, f"is not a column of {row_type}", "leave it empty for this type")
        record: dict[str, Any] = {"type": row_type}
        for column, value in cells.items():
            if value and column in own:
                record[column] = [v.strip() for v in value.split(";") if v.strip()] if column in LIST_FIELDS else value
        if "event_id" not in record:
            record["event_id"] = str(row_event_id(row_type, {k: v for k, v in cells.items() if k in own}))
        label = record["event_id"]
        d = draft_of(record, ledger.meta_for)
        return Item(number, label, [Command(d)], raw=cells, noun="line", event_ids=draft_event_ids(d))
    except LedgerError as exc:
        return Item(number, label, problems=[Problem.of(exc, number, label, "line")], raw=cells, noun="line")
