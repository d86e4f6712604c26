"""The ledger's own JSON Lines format (what ``netledger log --format jsonl`` prints), read as a stream.

One line at a time: a line that is not UTF-8 or not a JSON object is an
``unreadable`` record; a well-formed record becomes the command
``domain.records.command_for`` builds for it, labelled with its event id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from domain.errors import LedgerError
from domain.imports.pipeline import Item, Problem
from domain.ledger import Ledger
from domain.records import command_for, record_event_ids


def read_lines(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any] | None, Problem | None]]:
    """``(line number, object, None)`` or ``(line number, None, problem)`` for each non-blank line."""
    for number, raw in enumerate(stream, start=1):
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            message = "is not valid UTF-8 (save the file as UTF-8)"
            yield number, None, Problem(number, None, "", message, "unreadable", "line")
            continue
        if not text.strip():
            continue
        try:
            record = _DECODER.decode(text)
        except json.JSONDecodeError as exc:
            message = f"is not valid JSON ({exc.msg} at column {exc.colno})"
            yield number, None, Problem(number, None, "", message, "unreadable", "line")
            continue
        except ValueError as exc:
            yield number, None, Problem(number, None, "", str(exc), "unreadable", "line")
            continue
        if not isinstance(record, dict):
            yield number, None, Problem(number, None, "", "is not a JSON object", "unreadable", "line")
            continue
        yield number, record, None


def jsonl_items(ledger: Ledger, stream: IO[bytes]) -> Iterator[Item]:
    """One ``Item`` per line of *stream*."""
    for number, record, problem in read_lines(stream):
        if record is None:
            assert problem is not None
            yield Item(number, None, problems=[problem], raw=None, noun="line")
            continue
        label = str(record.get("event_id")) if record.get("event_id") is not None else None
        try:
            command = command_for(ledger, record)
        except LedgerError as exc:
            yield Item(number, label, problems=[Problem.of(exc, number, label, "line")], raw=record, noun="line")
            continue
        yield Item(number, label, [command], raw=record, noun="line", event_ids=record_event_ids(record))


def _exact(text: str) -> str:
    # Keep decimals exact: amounts written as JSON numbers are read as their digits.
    return text


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number (amounts must be finite)")


#: One decoder for every line (``json.loads`` with options builds a new one per call).
_DECODER = json.JSONDecoder(parse_float=_exact, parse_constant=_no_constant)
