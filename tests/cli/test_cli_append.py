"""``netledger append FILE|-``: JSON Lines in, all or nothing."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from uuid import UUID

import pytest

from domain.ledger import Ledger


def eid(n: int) -> str:
    return str(UUID(int=n))


def org(n: int, key: str, **extra: object) -> dict[str, object]:
    return {
        "type": "organisation.registered",
        "event_id": eid(n),
        "key": key,
        "sector": "firm",
        "name_en": key.upper(),
    } | extra


def partnership(n: int, *keys: str, effective: str = "2019-08-22") -> dict[str, object]:
    return {
        "type": "partnership.formed",
        "event_id": eid(n),
        "effective": effective,
        "parties": [{"key": k, "role": "member"} for k in keys],
    }


def jsonl(*records: object) -> bytes:
    return b"".join(
        (r if isinstance(r, bytes) else json.dumps(r, ensure_ascii=False).encode()) + b"\n" for r in records
    )


def write(path: Path, *records: object) -> Path:
    path.write_bytes(jsonl(*records))
    return path


GOOD = (org(1, "a"), org(2, "b"), partnership(3, "a", "b"), org(4, "c"), org(5, "d"))


def test_append_a_file(run, db, tmp_path, h):
    result = run("append", "--create", str(write(tmp_path / "in.jsonl", *GOOD)))
    h.assert_ok(result)
    assert result.stderr == "appended 5 event(s)\n"
    assert result.stdout == ""
    with Ledger(db) as ledger:
        assert ledger.count() == 5
        assert [str(e.event_id) for _, e in ledger.events()] == [eid(n) for n in range(1, 6)]
        assert [p for p, _ in ledger.events()] == [1, 2, 3, 4, 5]
        p = ledger.get(UUID(eid(3)))
        assert [str(x) for x in p.parties] == ["a:member", "b:member"]
        assert str(p.start) == "2019-08-22"


def test_append_from_stdin(run, db, h):
    result = run("append", "--create", "-", input=jsonl(*GOOD))
    h.assert_ok(result)
    assert result.stderr == "appended 5 event(s)\n"
    assert h.snapshot(db).count == 5


def test_append_skips_blank_lines_and_a_byte_order_mark(run, db, h):
    data = b"\xef\xbb\xbf" + jsonl(org(1, "a")) + b"\n   \n" + jsonl(org(2, "b")) + b"\r\n"
    result = run("append", "--create", "-", input=data)
    h.assert_ok(result)
    assert h.snapshot(db).count == 2


def test_append_of_an_empty_file_writes_nothing(run, seeded, h):
    check = h.unchanged(seeded)
    result = run("append", "--create", "-", input=b"")
    h.assert_ok(result)
    assert result.stderr == "appended 0 event(s)\n"
    check()


def test_append_twice_writes_nothing_the_second_time(run, db, tmp_path, h):
    path = write(tmp_path / "in.jsonl", *GOOD)
    h.assert_ok(run("append", "--create", str(path)))
    check = h.unchanged(db)
    result = run("append", "--create", str(path))
    h.assert_ok(result)
    assert result.stderr == "appended 0 event(s); 5 already recorded\n"
    check()


def test_append_records_only_what_is_new(run, db, h):
    h.assert_ok(run("append", "--create", "-", input=jsonl(*GOOD[:3])))
    result = run("append", "--create", "-", input=jsonl(*GOOD))
    h.assert_ok(result)
    assert result.stderr == "appended 2 event(s); 3 already recorded\n"
    assert h.snapshot(db).count == 5


def test_append_keeps_exact_amounts_given_as_json_numbers(run, db, h):
    award = {
        "type": "support.awarded",
        "event_id": eid(10),
        "effective": "2019-09-23",
        "kind": "grant",
        "funders": [{"key": "a"}],
        "recipients": [{"key": "b"}],
        "currency": "KRW",
    }
    data = jsonl(org(1, "a"), org(2, "b")) + json.dumps(award)[:-1].encode() + b', "amount": 7200000000.10}\n'
    h.assert_ok(run("append", "--create", "-", input=data))
    with Ledger(db) as ledger:
        assert str(ledger.get(UUID(eid(10))).amount) == "7200000000.1"  # exact value, one spelling
        assert ledger.get(UUID(eid(10))).amount == Decimal("7200000000.10")


def test_append_accepts_parties_as_strings(run, db, h):
    record = partnership(3) | {"parties": ["a:lead", "b"]}
    h.assert_ok(run("append", "--create", "-", input=jsonl(org(1, "a"), org(2, "b"), record)))
    with Ledger(db) as ledger:
        assert [str(p) for p in ledger.get(UUID(eid(3))).parties] == ["a:lead", "b"]


def test_append_records_the_receiving_actor(run, db, h):
    record = org(1, "a", recorded_by="someone-else", recorded_at="2001-01-01T00:00:00Z")
    h.assert_ok(run("append", "--create", "-", input=jsonl(record), global_args=["--actor", "importer"]))
    with Ledger(db) as ledger:
        event = ledger.organisation("a").registered
        assert event.recorded_by == "importer"
        assert event.recorded_at.year > 2001


# -- refusals: nothing is written, the line is named ----------------------------------------

BAD_LINES = [
    # (the bad line, exit code, text naming it)
    (b"[1, 2]", 2, "line 3: is not a JSON object"),
    (b'"just a string"', 2, "line 3: is not a JSON object"),
    (b"42", 2, "line 3: is not a JSON object"),
    (b'{"type": ', 2, "line 3: is not valid JSON"),
    (b"{'type': 'organisation.registered'}", 2, "line 3: is not valid JSON"),
    (b'{"type": "organisation.registered", "name_en": "\xff\xfe"}', 2, "line 3: is not valid UTF-8"),
    (json.dumps(org(9, "z")).encode()[:-1] + b', "amount": NaN}', 2, "line 3"),
    (jsonl(org(9, "z", bogus=1)).strip(), 2, "line 3: bogus: unknown field"),
    (jsonl({"type": "organisation.exploded", "event_id": eid(9)}).strip(), 2, "line 3: type: unknown event type"),
    (jsonl({"event_id": eid(9), "key": "z"}).strip(), 2, "line 3: type"),
    (jsonl({k: v for k, v in org(9, "z").items() if k != "event_id"}).strip(), 2, "line 3: event_id"),
    (jsonl(org(9, "z") | {"event_id": 9}).strip(), 2, "line 3: event_id"),
    (jsonl(org(9, "z") | {"event_id": "nine"}).strip(), 2, "line 3: event_id"),
    (jsonl(org(9, "Z")).strip(), 2, "line 3: key"),
    (jsonl(org(9, "z", sector="pirate")).strip(), 2, "line 3: sector"),
    (jsonl(org(9, "z", effective="2019-02-30")).strip(), 2, "line 3: effective"),
    (jsonl(org(9, "z", recorded_at="2019-01-01T00:00:00")).strip(), 2, "line 3: recorded_at"),
    (jsonl(org(9, "z", recorded_at="not a time")).strip(), 2, "line 3: recorded_at"),
    (jsonl(partnership(9, "a", "b") | {"aggregate_id": eid(99)}).strip(), 2, "line 3: aggregate_id"),
    (jsonl({"type": "partnership.ended", "event_id": eid(9), "effective": "2020"}).strip(), 2, "line 3: aggregate_id"),
    (jsonl(partnership(9, "a")).strip(), 2, "line 3: parties"),
    # well formed, refused by a ledger rule: exit 1
    (jsonl(partnership(9, "a", "nobody")).strip(), 1, "line 3: parties[1]: unknown organisation 'nobody'"),
    (jsonl(org(9, "a")).strip(), 1, "line 3: key: organisation 'a' is already registered"),
    (jsonl(org(1, "a", name_en="Other")).strip(), 1, "line 3: event_id"),  # id of line 1, other content
    (
        jsonl({"type": "partnership.ended", "event_id": eid(9), "aggregate_id": eid(99), "effective": "2020"}).strip(),
        1,
        "line 3: partnership_id",
    ),
    (
        jsonl(
            {
                "type": "organisation.retracted",
                "event_id": eid(9),
                "key": "a",
                "retracted_event_id": eid(99),
                "reason": "r",
            }
        ).strip(),
        1,
        "line 3: retracted_event_id",
    ),
]


@pytest.mark.parametrize(("bad", "code", "named"), BAD_LINES, ids=[f"{c}:{n}" for _, c, n in BAD_LINES])
@pytest.mark.parametrize("source", ["file", "stdin"])
def test_one_bad_line_in_the_middle_writes_nothing(bad, code, named, source, run, db, tmp_path, h):
    h.assert_ok(run("init"))
    data = jsonl(org(1, "a"), org(2, "b"), bad, partnership(3, "a", "b"), org(4, "c"))
    check = h.unchanged(db)
    if source == "file":
        path = tmp_path / "in.jsonl"
        path.write_bytes(data)
        result = run("append", "--create", str(path))
    else:
        result = run("append", "--create", "-", input=data)
    h.assert_error(result, code, named)
    check()


def test_a_bad_line_after_records_already_in_the_ledger_writes_nothing(run, db, h):
    h.assert_ok(run("append", "--create", "-", input=jsonl(*GOOD[:2])))
    check = h.unchanged(db)
    h.assert_error(run("append", "--create", "-", input=jsonl(*GOOD, b"[]")), 2, "line 6")
    check()


@pytest.mark.parametrize(
    ("field", "value"),
    [("position", "first"), ("version", -5), ("recorded_by", 123), ("recorded_at", "2019-13-45T00:00:00Z")],
)
def test_bookkeeping_fields_are_checked_for_form(field, value, run, db, h):
    """records.py: position, version, recorded_at and recorded_by "are checked for form and otherwise ignored"."""
    h.assert_ok(run("init"))
    check = h.unchanged(db)
    result = run("append", "--create", "-", input=jsonl(org(1, "a", **{field: value})))
    h.assert_error(result, 2, f"line 1: {field}")
    check()
