"""Acceptance: ``log --format jsonl`` replays through ``append`` into the same events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from domain.ledger import Ledger

BOOKKEEPING_OF_THE_RECEIVER = ("recorded_at", "recorded_by")


def export(run, db: Path, target: Path) -> Path:
    """``netledger --db DB log --format jsonl > TARGET``"""
    result = run("log", "--format", "jsonl", db=db)
    assert result.exit_code == 0, result.stderr
    target.write_text(result.stdout, encoding="utf-8")
    return target


def comparable(path: Path) -> list[dict]:
    """Every event as its full record, without what the receiving ledger stamps itself."""
    from domain.records import to_record

    with Ledger(path) as ledger:
        records = [to_record(p, e) for p, e in ledger.events()]
    for r in records:
        for key in BOOKKEEPING_OF_THE_RECEIVER:
            r.pop(key)
    return records


def test_demo_log_replays_into_an_empty_ledger(run, demo_master, tmp_path, h):
    a = export(run, demo_master, tmp_path / "a.jsonl")
    b = tmp_path / "b.db"
    result = run("append", "--create", str(a), db=b, global_args=["--actor", "replayer"])
    h.assert_ok(result)
    assert result.stderr == "appended 43 event(s)\n"
    assert comparable(b) == comparable(demo_master)
    with Ledger(demo_master) as src, Ledger(b) as dst:
        pairs = list(zip(src.events(), dst.events(), strict=True))
        for (p1, e1), (p2, e2) in pairs:
            assert p1 == p2
            assert e1.event_id == e2.event_id
            assert e1.originator_id == e2.originator_id
            assert e1.originator_version == e2.originator_version
            assert type(e1) is type(e2)
            assert e1.effective == e2.effective
            if e1.effective is not None:
                assert e1.effective.precision == e2.effective.precision
            assert e1.content() == e2.content()
            assert e2.recorded_by == "replayer"
        # amounts survive exactly
        amounts = {str(e.amount) for _, e in dst.events() if getattr(e, "amount", None) is not None}
        assert amounts == {"7200000000", "83000000000"}


def test_the_replayed_log_prints_the_same(run, demo_master, tmp_path, h):
    a = export(run, demo_master, tmp_path / "a.jsonl")
    b = tmp_path / "b.db"
    h.assert_ok(run("append", "--create", str(a), db=b))
    again = export(run, b, tmp_path / "b.jsonl")
    left = [json.loads(line) for line in a.read_text(encoding="utf-8").splitlines()]
    right = [json.loads(line) for line in again.read_text(encoding="utf-8").splitlines()]
    for record in (*left, *right):
        for key in BOOKKEEPING_OF_THE_RECEIVER:
            record.pop(key)
    assert left == right


def test_appending_the_same_log_again_writes_nothing(run, demo_master, tmp_path, h):
    a = export(run, demo_master, tmp_path / "a.jsonl")
    b = tmp_path / "b.db"
    h.assert_ok(run("append", "--create", str(a), db=b))
    check = h.unchanged(b)
    result = run("append", "--create", str(a), db=b)
    h.assert_ok(result)
    assert result.stderr == "appended 0 event(s); 43 already recorded\n"
    assert "already recorded" in result.stderr
    check()
    # through stdin too
    result = run("append", "--create", "-", db=b, input=a.read_bytes())
    h.assert_ok(result)
    assert result.stderr == "appended 0 event(s); 43 already recorded\n"
    check()


def test_appending_a_log_into_its_own_ledger_writes_nothing(run, demo_db, tmp_path, h):
    a = export(run, demo_db, tmp_path / "a.jsonl")
    check = h.unchanged(demo_db)
    result = run("append", "--create", str(a), db=demo_db)
    h.assert_ok(result)
    assert result.stderr == "appended 0 event(s); 43 already recorded\n"
    check()


def test_a_richer_ledger_replays_too(run, world, tmp_path, h):
    """Renames, dissolutions, retractions, amendments, disbursements and closings."""
    with Ledger(run.db, actor="kim") as ledger:
        ledger.rename_organisation("a", name_en="A Corp", effective="2001")
        ledger.amend_agreement(world["A"], parties=["a:lead", "c"], term_end="2024", effective="2020")
        ledger.amend_support(world["S"], amount="1500.50", effective="2019-04")
        ledger.disburse_support(world["S"], amount="0.50", currency="KRW", effective="2019-05-05")
        ledger.retract(world["PE_END"], reason="never ended")
        reg = ledger.register_organisation("y", sector="firm", name_en="Y", country="KR", identifiers=["KR-BRN:1"])
        ledger.retract(reg.event.event_id, reason="typo")
        ledger.register_organisation("y", sector="firm", name_en="Y (again)")
    a = export(run, run.db, tmp_path / "rich.jsonl")
    b = tmp_path / "b.db"
    result = run("append", "--create", str(a), db=b)
    h.assert_ok(result)
    expected = h.snapshot(run.db).count
    assert result.stderr == f"appended {expected} event(s)\n"
    assert comparable(b) == comparable(run.db)
    result = run("append", "--create", str(a), db=b)
    assert result.stderr == f"appended 0 event(s); {expected} already recorded\n"


# -- a damaged log writes nothing -------------------------------------------------------


def damage(text: str, line: int, replacement: bytes) -> bytes:
    lines = text.encode("utf-8").splitlines(keepends=True)
    lines[line - 1] = replacement + b"\n"
    return b"".join(lines)


DAMAGE = [
    (b'{"type": "partnership.formed", "event_id": "oops"', "is not valid JSON"),
    (b'["a", "list"]', "is not a JSON object"),
    (b'"a string"', "is not a JSON object"),
    (b"null", "is not a JSON object"),
    (b'{"note": "\xc3\x28"}', "is not valid UTF-8"),
    (b'{"type": "support.awarded", "event_id": "00000000-0000-0000-0000-000000000001", "surprise": 1}', "surprise"),
]


@pytest.mark.parametrize(("replacement", "named"), DAMAGE, ids=[n for _, n in DAMAGE])
def test_one_bad_record_in_the_middle_writes_nothing(replacement, named, run, demo_master, tmp_path, h):
    text = export(run, demo_master, tmp_path / "a.jsonl").read_text(encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(damage(text, 20, replacement))
    b = tmp_path / "b.db"
    h.assert_ok(run("init", db=b))
    check = h.unchanged(b)
    result = run("append", "--create", str(bad), db=b)
    line = h.assert_error(result, 2, "line 20")
    assert named in line
    check()
    # and into a ledger that already holds the first half
    half = tmp_path / "half.jsonl"
    half.write_text("".join(text.splitlines(keepends=True)[:10]), encoding="utf-8")
    h.assert_ok(run("append", "--create", str(half), db=b))
    check = h.unchanged(b)
    h.assert_error(run("append", "--create", "-", db=b, input=bad.read_bytes()), 2, "line 20")
    check()


def test_a_bad_record_into_a_new_file_leaves_no_events(run, demo_master, tmp_path, h):
    text = export(run, demo_master, tmp_path / "a.jsonl").read_text(encoding="utf-8")
    b = tmp_path / "new.db"
    h.assert_error(run("append", "--create", "-", db=b, input=damage(text, 43, b"{")), 2, "line 43")
    assert h.snapshot(b).count == 0
