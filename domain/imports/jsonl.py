"""The ledger's own JSON Lines format (what ``netledger log --format jsonl`` prints), read as a stream.

Lines are read in chunks: each chunk is validated in one call
(``domain.records.RecordBatch``: one discriminated union, pydantic's ``validate_json``),
and becomes one command per line, labelled with its event id. A chunk where any line
has a problem is read again line by line (``domain.records.draft_of``), so every
problem is named: a line that is not UTF-8 or not a JSON object is an ``unreadable``
record, a record with a bad field a ``form`` problem. Every line is read within the
bounds of ``domain.limits`` (its length and nesting checked before it is parsed), and
a chunk holds at most ``CHUNK_BYTES`` of lines.

``records`` reads the same format for ``append`` and ``restore``, refusing the first bad line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

from domain.errors import InputError, LedgerError
from domain.imports.pipeline import Command, Item, Problem
from domain.ledger import Ledger
from domain.limits import CHUNK_BYTES, MAX_DEPTH, check_depth, lines
from domain.records import RecordBatch, draft_event_ids, draft_of

#: Lines validated in one call.
CHUNK = 1000


def read_lines(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any] | None, Problem | None]]:
    """``(line number, object, None)`` or ``(line number, None, problem)`` for each non-blank line."""
    for number, raw in lines(stream):
        yield from _read_line(number, raw)


def records(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line; the first bad line is an ``InputError``."""
    for number, record, problem in read_lines(stream):
        if problem is not None:
            fix = "write one JSON object per line" if "JSON" in problem.message else ""
            raise InputError(f"line {number}", problem.message, fix)
        assert record is not None
        yield number, record


def _read_line(number: int, raw: bytes) -> Iterator[tuple[int, dict[str, Any] | None, Problem | None]]:
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError:
        message = "is not valid UTF-8 (save the file as UTF-8)"
        yield number, None, Problem(number, None, "", message, "unreadable", "line")
        return
    if not text.strip():
        return
    check_depth(raw, f"line {number}")
    try:
        record = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        message = f"is not valid JSON ({exc.msg} at column {exc.colno})"
        yield number, None, Problem(number, None, "", message, "unreadable", "line")
        return
    except ValueError as exc:
        yield number, None, Problem(number, None, "", str(exc), "unreadable", "line")
        return
    if not isinstance(record, dict):
        yield number, None, Problem(number, None, "", "is not a JSON object", "unreadable", "line")
        return
    yield number, record, None


def jsonl_items(ledger: Ledger, stream: IO[bytes]) -> Iterator[Item]:
    """One ``Item`` per non-blank line of *stream*."""
    batch = RecordBatch(ledger.meta_for, ledger.actor)
    chunk: list[tuple[int, bytes]] = []
    size = 0
    for number, raw in lines(stream):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:
            check_depth(raw, f"line {number}")
        if raw.strip():  # not blank (the first line may be only a byte-order mark, stripped above)
            chunk.append((number, raw))
            size += len(raw)
        if len(chunk) >= CHUNK or size >= CHUNK_BYTES:
            yield from _chunk_items(ledger, batch, chunk)
            chunk = []
            size = 0
    yield from _chunk_items(ledger, batch, chunk)


def _chunk_items(ledger: Ledger, batch: RecordBatch, chunk: list[tuple[int, bytes]]) -> Iterator[Item]:
    drafts = batch.drafts([raw for _, raw in chunk])
    if drafts is not None:
        for (number, raw), d in zip(chunk, drafts, strict=True):
            yield Item(number, None, [Command(d)], raw=raw, noun="line", event_ids=draft_event_ids(d))
        return
    for number, raw in chunk:  # some line has a problem: read each on its own, to name it
        for _, record, problem in _read_line(number, raw):
            yield _item(ledger, number, record, problem)


def _item(ledger: Ledger, number: int, record: dict[str, Any] | None, problem: Problem | None) -> Item:
    if record is None:
        assert problem is not None
        return Item(number, None, problems=[problem], raw=None, noun="line")
    label = str(record.get("event_id")) if record.get("event_id") is not None else None
    try:
        d = draft_of(record, ledger.meta_for)
    except LedgerError as exc:
        return Item(number, label, problems=[Problem.of(exc, number, label, "line")], raw=record, noun="line")
    return Item(number, label, [Command(d)], raw=record, noun="line", event_ids=draft_event_ids(d))


def _exact(text: str) -> str:
    # Keep decimals exact: amounts written as JSON numbers are read as their digits.
    return text


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number (amounts must be finite)")


#: One decoder for every line (``json.loads`` with options builds a new one per call).
_DECODER = json.JSONDecoder(parse_float=_exact, parse_constant=_no_constant)
