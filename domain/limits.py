"""The bounds every reader of outside input enforces, before memory grows.

A file handed to ``append``, ``import`` (360Giving, JSON Lines, CSV) or ``restore``
is read within these limits, whatever it holds; going over one is an ``InputError``
(exit 2, one line) raised before the offending part is parsed:

- ``MAX_DEPTH``: arrays and objects nested in one another (the ledger's own records
  nest 3 levels, a 360Giving package about 6);
- ``MAX_LINE``: one JSON Lines record, or one physical line of a CSV file, in bytes;
- ``MAX_FIELD``: one CSV cell, or one JSON string of a 360Giving file, in bytes;
- ``MAX_NUMBER``: one JSON number of a 360Giving file, in characters (the model refuses an
  amount of more than 24 digits; this bounds what the parser holds before it gets there);
- ``MAX_RECORD``: one grant of a 360Giving file, in bytes (within one read of
  ``CHUNK`` bytes: a grant of ``MAX_RECORD + CHUNK`` bytes is always refused);
- ``CHUNK_BYTES``: what the JSON Lines import validates in one call, at most.

Why these numbers: the parsers behind them grow with the input's shape, not only its
size. ijson's C backend keeps the path of every nested level for every event (memory
grows with the square of the depth: 100,000 nested ``[`` took 24 GB), Python's ``json``
recurses once per level, and a line or a grant is held whole while it is parsed.

>>> check_depth(b'{"parties": [{"key": "a"}, {"key": "b"}]}', "line 1")
>>> try:
...     check_depth(b"[" * 40 + b"]" * 40, "line 7")
... except InputError as exc:
...     print(exc.field, "|", exc.problem)
line 7 | is nested deeper than 32 levels (near byte 80)
>>> check_depth(b'{"note": "' + b"[" * 40 + b'"}', "line 2")  # brackets inside a string do not count
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import accumulate
from typing import IO, AnyStr, Protocol

from domain.errors import InputError

MAX_DEPTH = 32
MAX_LINE = 1 << 20
MAX_FIELD = 128 << 10
MAX_NUMBER = 64 << 10
MAX_RECORD = 4 << 20
#: What a guarded JSON stream reads at once (ijson's own default buffer).
CHUNK = 64 << 10
#: The most bytes of JSON lines the import validates in one call.
CHUNK_BYTES = 8 << 20

DEPTH_FIX = "the ledger's records nest at most a few levels: check the file"

#: An escape pair inside a JSON string (``\\"``, ``\\\\``, ``\\u``...): dropped before quotes are paired.
_ESCAPE = re.compile(rb"\\.", re.S)
#: A string once escapes are dropped and only quotes and brackets kept: what lies between two quotes.
_PAIRED = re.compile(rb'"[^"]*+"')
_NOT_KEPT = bytes(b for b in range(256) if b not in b'[]{}"')
_NUMERIC = b"-+.0123456789eE"
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


class Readable(Protocol):
    """A binary stream to read from (a file, or a wrapper of one)."""

    def read(self, size: int = -1, /) -> bytes: ...


def lines(stream: IO[AnyStr], noun: str = "line") -> Iterator[tuple[int, AnyStr]]:
    """``(number, line)`` for each line of *stream* (bytes or text), none longer than ``MAX_LINE``.

    A longer line is refused when its first ``MAX_LINE + 1`` units are read, so a file
    with no line breaks never sits in memory whole.
    """
    number = 0
    while True:
        line = stream.readline(MAX_LINE + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE and line[-1:] not in ("\n", "\r", b"\n"):
            raise InputError(
                f"{noun} {number}",
                f"is longer than {MAX_LINE:,} bytes, the limit of one record",
                "one record per line; check the file is what you meant to read",
            )
        yield number, line


def check_depth(data: bytes, where: str) -> None:
    """Refuse JSON text *data* nested deeper than ``MAX_DEPTH`` (brackets in strings do not count)."""
    if data.count(b"[") + data.count(b"{") <= MAX_DEPTH:
        return
    guard = JsonGuard(where=where)
    guard.feed(data)


class JsonGuard:
    """Watches JSON text go by in chunks and refuses it past the limits, before a parser sees it.

    ``feed`` scans one chunk: strings are skipped (a string cut by the chunk's end is carried
    to the next, and refused once longer than ``MAX_FIELD``: a shorter one fits in one
    chunk), brackets counted against ``MAX_DEPTH``, a number running across chunks against
    ``MAX_NUMBER``. With *record_depth*, the bytes spent at
    that depth or deeper (inside one record, e.g. one grant) are counted against ``MAX_RECORD``.
    Used as a stream (``read``), it guards what a streaming parser reads from *stream*.
    """

    def __init__(
        self,
        stream: Readable | None = None,
        *,
        where: str = "file",
        record_depth: int | None = None,
        record_noun: str = "record",
    ) -> None:
        self.stream = stream
        self.where = where
        self.record_depth = record_depth
        self.record_noun = record_noun
        self.depth = 0
        self.carry = b""
        self.offset = 0
        self.record_bytes = 0
        #: Numeric characters at the end of the last read (a number may go on in the next).
        self.number_run = 0

    def read(self, size: int = -1) -> bytes:
        assert self.stream is not None
        chunk = self.stream.read(CHUNK if size is None or size < 0 else min(size, CHUNK))
        if chunk:
            self.feed(chunk)
        return chunk

    def _refuse(self, problem: str, fix: str = DEPTH_FIX) -> InputError:
        return InputError(self.where, problem, fix)

    def feed(self, chunk: bytes) -> None:
        # Only quotes and brackets matter, once every escape pair is dropped: all of it runs in C,
        # byte by byte only in the few brackets left (see benchmarks/hostile.py for the cost).
        data = self.carry + chunk if self.carry else chunk
        if b"\\" in data:
            data = _ESCAPE.sub(b"", data)
        kept = data.translate(None, _NOT_KEPT)
        outside = _PAIRED.sub(b"", kept)
        quote = outside.find(b'"')
        if quote >= 0:  # a string runs past the end of this chunk: look at it again with the next one
            opened = data.rfind(b'"')  # no quote is left unescaped inside that string
            self.carry = data[opened:]
            outside = outside[:quote]
            if len(self.carry) > MAX_FIELD:
                raise self._refuse(
                    f"holds a text value longer than {MAX_FIELD:,} bytes (near byte {self.offset:,})",
                    "the ledger keeps texts of at most 10,000 characters: check the file",
                )
        else:
            self.carry = b""
        self._numbers(chunk, in_string=quote >= 0)
        self.offset += len(chunk)
        brackets = outside.translate(None, b'"')
        depth = self.depth
        if brackets:
            steps = list(accumulate(map(_STEP.__getitem__, brackets), initial=depth))
            if max(steps) > MAX_DEPTH:
                raise self._refuse(f"is nested deeper than {MAX_DEPTH} levels (near byte {self.offset:,})")
            self.depth = steps[-1]
            shallowest = min(steps)
        else:
            shallowest = depth
        if self.record_depth is not None:
            if shallowest >= self.record_depth:  # the whole chunk lies inside one record
                self.record_bytes += len(chunk)
                if self.record_bytes > MAX_RECORD:
                    raise InputError(
                        self.where,
                        f"holds a {self.record_noun} larger than {MAX_RECORD:,} bytes (near byte {self.offset:,})",
                        "check the file is what you meant to import",
                    )
            else:
                self.record_bytes = 0

    def _numbers(self, chunk: bytes, *, in_string: bool) -> None:
        """Refuse a number running across reads past ``MAX_NUMBER`` (one read holds at most ``CHUNK``)."""
        lead = len(chunk) - len(chunk.lstrip(_NUMERIC)) if self.number_run else 0
        run = self.number_run + lead
        if run > MAX_NUMBER:
            raise self._refuse(
                f"holds a number longer than {MAX_NUMBER:,} characters (near byte {self.offset:,})",
                "amounts have at most 18 digits before the point and 6 after",
            )
        if in_string:
            self.number_run = 0
        elif lead == len(chunk):
            self.number_run = run
        else:
            self.number_run = len(chunk) - len(chunk.rstrip(_NUMERIC))
