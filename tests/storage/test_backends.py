"""Everything works the same on SQLite and on PostgreSQL: each test runs on both.

Through the command line, as an operator would: ``--db FILE`` or
``--database-url URL``. "Nothing written" is checked on the raw tables (events,
chain, index, meta) read on a connection of their own.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from click.testing import CliRunner, Result

from cli.main import cli
from domain.ledger import Ledger
from domain.storage import is_url
from domain.support import Support

DATA = Path(__file__).resolve().parents[1] / "data" / "360giving"
ALWF = DATA / "alwf-a003W000001B7PzQAK.json"
WOLFSON = DATA / "wolfson-2014-a002400000KeYdsAAF.invalid.json"

FORM = ("partnership", "form", "--party", "postech", "--party", "rist", "--effective", "2019-10")
TABLES = {
    "events": ("SELECT rowid, * FROM stored_events ORDER BY rowid", "SELECT * FROM netledger_events ORDER BY 5"),
    "chain": ("SELECT * FROM event_chain ORDER BY position",) * 2,
    "index": ("SELECT * FROM event_index ORDER BY position",) * 2,
    "meta": ("SELECT * FROM ledger_meta ORDER BY key",) * 2,
}


def raw(target: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the ledger's tables, read on a connection of its own."""
    if is_url(target):
        import psycopg

        with psycopg.connect(target) as con:
            return {t: [tuple(r) for r in con.execute(q[1]).fetchall()] for t, q in TABLES.items()}  # type: ignore[arg-type]
    with closing(sqlite3.connect(target)) as con:
        return {t: con.execute(q[0]).fetchall() for t, q in TABLES.items()}


def nl(target: str, *args: str, input: str | None = None) -> Result:
    where = ["--database-url", target] if is_url(target) else ["--db", target]
    if args and args[0] in ("import", "append"):  # these tests are about the files: the ledger is made as needed
        args = (args[0], "--create", *args[1:])
    return CliRunner().invoke(cli, [*where, *args], input=input)


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.stderr
    return result


def refused(result: Result, code: int, text: str) -> Result:
    assert result.exit_code == code, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and text in errors[0], result.stderr
    return result


@pytest.fixture
def seeded(target: str) -> str:
    ok(nl(target, "init", "--name", "shared"))
    ok(nl(target, "org", "register", "postech", "--sector", "university", "--name-en", "POSTECH"))
    ok(nl(target, "org", "register", "rist", "--sector", "research_institute", "--name-en", "RIST"))
    return target


def test_commands_rules_and_reads_work_the_same(seeded: str) -> None:
    before = raw(seeded)
    refused(
        nl(seeded, "partnership", "form", "--party", "postech", "--party", "ghost", "--effective", "2020"),
        1,
        "unknown organisation",
    )
    assert raw(seeded) == before
    out = ok(nl(seeded, *FORM))
    partnership = out.stdout.strip()
    ok(nl(seeded, "partnership", "end", partnership, "--effective", "2021"))
    refused(nl(seeded, "partnership", "end", partnership, "--effective", "2022"), 1, "already ended")
    log = json.loads(ok(nl(seeded, "log", "--format", "json")).stdout)
    assert [r["type"] for r in log] == [
        "organisation.registered",
        "organisation.registered",
        "partnership.formed",
        "partnership.ended",
    ]
    assert [r["position"] for r in log] == [1, 2, 3, 4]
    assert "POSTECH" in ok(nl(seeded, "show", "postech")).stdout


def test_which_ids_are_recorded_is_answered_for_a_whole_batch(seeded: str) -> None:
    ok(nl(seeded, *FORM))
    with Ledger(seeded) as ledger:
        recorded = {e.event_id for _, e in ledger.events()}
        unknown = {uuid4() for _ in range(1200)}  # more than one query's worth
        assert len(recorded) == 3
        assert ledger.recorder.recorded_among([*unknown, *recorded]) == recorded
        assert ledger.recorder.recorded_among(unknown) == set()


def test_log_replays_into_another_ledger_of_the_other_kind(seeded: str, tmp_path: Path) -> None:
    ok(nl(seeded, *FORM))
    lines = ok(nl(seeded, "log", "--format", "jsonl")).stdout
    copy = str(tmp_path / "copy.db")  # PostgreSQL -> SQLite, or SQLite -> SQLite
    ok(nl(copy, "append", "-", input=lines))
    again = json.loads(ok(nl(copy, "log", "--format", "json")).stdout)
    original = json.loads(ok(nl(seeded, "log", "--format", "json")).stdout)
    keep = ("event_id", "type", "aggregate_id", "effective")
    assert [{k: r[k] for k in keep} for r in again] == [{k: r[k] for k in keep} for r in original]


def test_real_360giving_files(target: str) -> None:
    result = ok(nl(target, "import", str(ALWF), "--format", "360giving"))
    assert "475 support.awarded" in result.stderr
    expected = sum(Decimal(str(g["amountAwarded"])).quantize(Decimal("0.01")) for g in _grants())
    with Ledger(target) as ledger:
        awards = [e for _, e in ledger.events() if isinstance(e, Support.Awarded)]
    assert len(awards) == 475
    assert sum(e.amount for e in awards if e.amount is not None) == expected
    before = raw(target)
    again = ok(nl(target, "import", str(ALWF), "--format", "360giving"))
    assert "wrote 0 event(s); 475 already recorded" in again.stderr
    assert raw(target) == before
    wolfson = nl(target, "import", str(WOLFSON), "--format", "360giving")
    assert wolfson.exit_code == 1
    assert "awardDate: '05/06/2014' is not an ISO 8601 date" in wolfson.stderr
    assert raw(target) == before


def test_an_invalid_line_in_a_large_file_leaves_the_ledger_unchanged(seeded: str, tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl"
    lines = [_form_line(i) for i in range(5000)]
    lines[2500] = lines[2500].replace('"effective":"2020"', '"effective":"2020-13"')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = raw(seeded)
    result = nl(seeded, "import", str(path), "--format", "jsonl")
    assert result.exit_code == 1, result.stderr
    assert "line 2501 (" in result.stderr and "effective" in result.stderr
    assert raw(seeded) == before
    rejects = tmp_path / "rejects.jsonl"
    kept = ok(nl(seeded, "import", str(path), "--format", "jsonl", "--skip-invalid", "--rejects", str(rejects)))
    assert "wrote 4999 event(s)" in kept.stderr and "1 rejected" in kept.stderr
    (reject,) = [json.loads(line) for line in rejects.read_text(encoding="utf-8").splitlines()]
    assert reject["line"] == 2501 and "effective" in reject["problems"][0]
    assert len(raw(seeded)["events"]) == len(before["events"]) + 4999 + 1  # and its import.recorded


def test_network_queries_catch_up_incrementally(target: str) -> None:
    ok(nl(target, "demo"))
    first = json.loads(ok(nl(target, "network", "summary", "--format", "json")).stdout)
    ok(nl(target, "org", "register", "newco", "--sector", "firm", "--name-en", "NewCo"))
    ok(nl(target, "partnership", "form", "--party", "newco", "--party", "postech", "--effective", "2020"))
    second = json.loads(ok(nl(target, "network", "summary", "--format", "json")).stdout)
    assert _value(second, "organisations", "all") == _value(first, "organisations", "all") + 1
    assert _value(second, "organisations", "firm") == _value(first, "organisations", "firm") + 1
    ok(nl(target, "network", "rebuild"))
    assert json.loads(ok(nl(target, "network", "summary", "--format", "json")).stdout) == second


def test_verify_checkpoint_and_export(seeded: str, tmp_path: Path) -> None:
    key = tmp_path / "key"
    ok(nl(seeded, "keygen", "--out", str(key)))
    ok(nl(seeded, "checkpoint", "--key", str(key), "--out", str(tmp_path / "cp")))
    ok(nl(seeded, *FORM))
    ok(nl(seeded, "verify", "--checkpoint", str(tmp_path / "cp"), "--public-key", f"{key}.pub"))
    ok(nl(seeded, "export", "--format", "jsonl", "--out", str(tmp_path / "export.jsonl")))
    restored = str(tmp_path / "restored.db")
    ok(nl(restored, "restore", str(tmp_path / "export.jsonl")))
    assert raw(restored)["chain"] == [tuple(r) for r in raw(seeded)["chain"]]


def _grants() -> list[dict[str, Any]]:
    return list(json.loads(ALWF.read_text(encoding="utf-8"))["grants"])


def _form_line(i: int) -> str:
    record = {
        "event_id": f"00000000-0000-4000-8000-{i:012d}",
        "type": "partnership.formed",
        "effective": "2020",
        "parties": [{"key": "postech", "role": None}, {"key": "rist", "role": None}],
        "title": f"project {i}",
    }
    return json.dumps(record, separators=(",", ":"))


def _value(summary: list[dict[str, Any]], section: str, name: str) -> Any:
    return next(r["value"] for r in summary if r["section"] == section and r["name"] == name)
