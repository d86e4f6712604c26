"""``domain.limits``: the guard counts what a JSON parser would, however the text is cut into reads."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import InputError
from domain.limits import MAX_DEPTH, MAX_FIELD, MAX_LINE, MAX_NUMBER, MAX_RECORD, JsonGuard, check_depth, lines

TEXT = st.text(alphabet=st.sampled_from([*'ab[]{}"\\/\n\tü한', "\u2028"]), max_size=12)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=25,
)


def depth_of(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    return 0


def nest(value: Any, levels: int) -> Any:
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


@settings(max_examples=300, deadline=None)
@given(JSON, st.integers(0, 40), st.lists(st.integers(1, 30), max_size=8), st.booleans())
def test_the_guard_refuses_exactly_what_nests_too_deep(value: Any, extra: int, cuts: list[int], ascii: bool) -> None:
    value = nest(value, extra)
    data = json.dumps(value, ensure_ascii=ascii).encode()
    guard = JsonGuard()
    chunks, rest = [], data
    for cut in cuts:
        chunks.append(rest[:cut])
        rest = rest[cut:]
    chunks.append(rest)
    try:
        for chunk in chunks:
            guard.feed(chunk)
    except InputError:
        assert depth_of(value) > MAX_DEPTH
    else:
        assert depth_of(value) <= MAX_DEPTH
        assert guard.depth == 0 and guard.carry == b""


def test_check_depth_agrees_at_the_limit() -> None:
    check_depth(json.dumps(nest(1, MAX_DEPTH)).encode(), "line 1")
    with pytest.raises(InputError, match="line 9: is nested deeper than 32 levels"):
        check_depth(json.dumps(nest(1, MAX_DEPTH + 1)).encode(), "line 9")


def test_a_string_cut_by_reads_is_carried_and_refused_past_the_limit() -> None:
    guard = JsonGuard()
    guard.feed(b'{"a": "' + b"[" * 1000)
    guard.feed(b"\\")  # an escape pair cut in two
    guard.feed(b'"]]]" , "b": 1}')
    assert guard.depth == 0
    long = JsonGuard()
    with pytest.raises(InputError, match="text value longer than"):
        for _ in range(MAX_FIELD // 1000 + 2):
            long.feed(b'"' + b"x" * 1000 if long.offset == 0 else b"x" * 1000)


def test_a_number_running_across_reads_is_refused_past_the_limit() -> None:
    guard = JsonGuard()
    guard.feed(b'{"amountAwarded": 12')
    guard.feed(b"34.5, ")
    with pytest.raises(InputError, match="number longer than"):
        for _ in range(MAX_NUMBER // 4096 + 2):
            guard.feed(b"1" * 4096)


def test_a_record_larger_than_the_limit_is_refused() -> None:
    guard = JsonGuard(record_depth=3, record_noun="grant")
    guard.feed(b'{"grants": [{"id": "a"}, {"notes": [')
    with pytest.raises(InputError, match="holds a grant larger than"):
        for _ in range(MAX_RECORD // 60_000 + 2):
            guard.feed(b'"x", ' * 12_000)


def test_lines_refuse_one_longer_than_the_limit_without_reading_it_whole() -> None:
    stream = io.BytesIO(b"short\n" + b"x" * (MAX_LINE + 10) + b"\nnever read\n")
    read = lines(stream)
    assert next(read) == (1, b"short\n")
    with pytest.raises(InputError, match="line 2: is longer than"):
        next(read)
    assert stream.tell() == len(b"short\n") + MAX_LINE + 1
    exact = io.BytesIO(b"x" * MAX_LINE + b"\n")
    assert [n for n, _ in lines(exact)] == [1]
