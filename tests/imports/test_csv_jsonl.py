"""``netledger import --format csv|jsonl``: layouts, all or nothing, skip-invalid, idempotency, streaming.

Each ledger-touching test runs on SQLite and on PostgreSQL (the ``target`` fixture).
"""

from __future__ import annotations

import gc
import io
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from cli.imports import Progress
from cli.main import cli
from domain.imports.csvrows import csv_columns
from domain.imports.jsonl import jsonl_items
from domain.imports.pipeline import ImportRejected, Item, Problem, run_import
from domain.ledger import Ledger
from domain.records import EVENT_TYPES
from domain.storage import is_url

ORGS_CSV = """\ufefftype,event_id,key,name_ko,name_en,sector,identifiers,effective,parties,title
organisation.registered,,postech,포항공과대학교,POSTECH,university,KR-BRN:5038200133,,,
organisation.registered,,rist,포항산업과학연구원,RIST,research_institute,,,,
partnership.formed,,,,,,,2019-10,postech:member;rist:member,배터리 재활용 공동연구
"""


def nl(target: str, *args: str, input: bytes | None = None) -> Result:
    where = ["--database-url", target] if is_url(target) else ["--db", target]
    if args and args[0] in ("import", "append"):  # these tests are about the files: the ledger is made as needed
        args = (args[0], "--create", *args[1:])
    return CliRunner().invoke(cli, [*where, *args], input=input)


def events(target: str) -> list[Any]:
    """The events the imports wrote (their ``import.recorded`` left out: tests/imports/test_provenance.py)."""
    with Ledger(target, create=True) as ledger:
        return [e for _, e in ledger.events() if e.type_name != "import.recorded"]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_with_bom_korean_text_and_a_type_column(target: str, tmp_path: Path) -> None:
    path = write(tmp_path / "orgs.csv", ORGS_CSV)
    result = nl(target, "import", str(path), "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert "wrote 3 event(s) (2 organisation.registered, 1 partnership.formed)" in result.stderr
    recorded = events(target)
    assert recorded[0].name_ko == "포항공과대학교" and recorded[0].identifiers == ["KR-BRN:5038200133"]
    assert [p.key for p in recorded[2].parties] == ["postech", "rist"] and recorded[2].title == "배터리 재활용 공동연구"
    again = nl(target, "import", str(path), "--format", "csv")  # ids derived from the rows: nothing new
    assert "wrote 0 event(s); 3 already recorded" in again.stderr
    more = write(tmp_path / "more.csv", ORGS_CSV + "organisation.registered,,kibo,기술보증기금,,funder,,,,\n")
    overlap = nl(target, "import", str(more), "--format", "csv")
    assert "wrote 1 event(s) (1 organisation.registered); 3 already recorded" in overlap.stderr
    assert len(events(target)) == 4


def test_a_one_type_csv_takes_type_from_the_option(target: str, tmp_path: Path) -> None:
    path = write(tmp_path / "orgs.csv", "key,name_en,sector\na,A,firm\nb,B,funder\n")
    result = nl(target, "import", str(path), "--format", "csv", "--type", "organisation.registered")
    assert result.exit_code == 0, result.stderr
    assert [e.key for e in events(target)] == ["a", "b"]


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("type,key,name_en,sector,colour\norganisation.registered,a,A,firm,red\n", 2, "unknown column 'colour'"),
        ("type,key,key\n", 2, "column 'key' appears twice"),
        ("key,name_en\na,A\n", 2, "no 'type' column"),
        ("type,key,name_en,sector\norganisation.registered,a,A\n", 2, "line 2: has 3 cells, the header 4"),
        ("type,key,name_en,sector\norganisation.registered,a,A,castle\n", 1, "line 2 ("),
        ("type,key,name_en,sector\norganisation.registered,a,A,firm\npartnership.formed,,,\n", 1, "line 3 ("),
    ],
)
def test_bad_csv_is_refused_whole(tmp_path: Path, text: str, code: int, message: str) -> None:
    db = str(tmp_path / "l.db")
    assert nl(db, "init").exit_code == 0
    assert nl(db, "org", "register", "z", "--sector", "firm", "--name-en", "Z").exit_code == 0
    result = nl(db, "import", str(write(tmp_path / "bad.csv", text)), "--format", "csv")
    assert result.exit_code == code, result.stderr
    assert "Traceback" not in result.stderr and message in result.stderr
    assert len(events(db)) == 1


def test_an_empty_file_is_imported_as_nothing(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    result = nl(db, "import", str(write(tmp_path / "empty.csv", "type,key\n")), "--format", "csv")
    assert result.exit_code == 0 and "wrote 0 event(s)" in result.stderr


def test_every_type_has_a_documented_layout() -> None:
    operator = (Path(__file__).resolve().parents[2] / "docs" / "operator.md").read_text(encoding="utf-8")
    for type_name in EVENT_TYPES:
        assert f"`{type_name}`: {', '.join(f'`{c}`' for c in csv_columns(type_name))}" in operator, type_name


def test_problems_are_listed_twenty_then_counted(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    rows = "".join(f"k{i},K,castle\n" for i in range(25))
    path = write(tmp_path / "bad.csv", "key,name_en,sector\n" + rows)
    result = nl(db, "import", str(path), "--format", "csv", "--type", "organisation.registered")
    assert result.exit_code == 1
    listed = [line for line in result.stderr.splitlines() if line.startswith("line ")]
    assert len(listed) == 20 and listed[0].startswith("line 2 (")
    assert "... and 5 more problem(s)" in result.stderr
    assert "25 problem(s) in 25 line(s); nothing written" in result.stderr


def test_skip_invalid_needs_a_rejects_file_and_keeps_the_reasons(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    path = write(tmp_path / "mixed.csv", "key,name_en,sector\na,A,firm\nb,B,castle\nc,C,funder\n")
    args = ["import", str(path), "--format", "csv", "--type", "organisation.registered"]
    alone = nl(db, *args, "--skip-invalid")
    assert alone.exit_code == 2 and "--rejects" in alone.stderr
    assert not Path(db).exists()
    rejects = tmp_path / "rejects.jsonl"
    result = nl(db, *args, "--skip-invalid", "--rejects", str(rejects))
    assert result.exit_code == 0, result.stderr
    assert "wrote 2 event(s)" in result.stderr and "1 rejected" in result.stderr
    (line,) = [json.loads(x) for x in rejects.read_text(encoding="utf-8").splitlines()]
    assert line["line"] == 3 and line["record"]["key"] == "b" and "sector" in line["problems"][0]
    assert [e.key for e in events(db)] == ["a", "c"]


def test_jsonl_twice_and_overlapping(target: str, tmp_path: Path) -> None:
    seed = tmp_path / "seed.db"
    assert nl(str(seed), "demo").exit_code == 0
    log = nl(str(seed), "log", "--format", "jsonl").stdout.splitlines()
    first = write(tmp_path / "first.jsonl", "\n".join(log[:30]) + "\n")
    whole = write(tmp_path / "whole.jsonl", "\n".join(log) + "\n")
    assert nl(target, "import", str(first), "--format", "jsonl").exit_code == 0
    again = nl(target, "import", str(first), "--format", "jsonl")
    assert "wrote 0 event(s); 30 already recorded" in again.stderr and "nothing new to write" in again.stderr
    overlap = nl(target, "import", str(whole), "--format", "jsonl")
    assert f"wrote {len(log) - 30} event(s)" in overlap.stderr and "30 already recorded" in overlap.stderr
    assert len(events(target)) == len(log)


def test_ids_repeated_within_a_batch_and_across_batches(target: str, tmp_path: Path) -> None:
    # A batch checks its ids in one query before it runs: a repeat inside the batch must still be
    # found among the batch's own new events, and a repeat in a later batch in the database.
    seed = tmp_path / "seed.db"
    assert nl(str(seed), "demo").exit_code == 0
    log = nl(str(seed), "log", "--format", "jsonl").stdout.splitlines()
    lines = [*log[:3], log[2], *log[3:], *log[:30]]
    with Ledger(target, create=True) as ledger:
        stream = io.BytesIO("\n".join(lines).encode())
        report = run_import(ledger, jsonl_items(ledger, stream), batch_size=7)
        assert (report.total_written, report.already) == (len(log), 31)
        assert [str(e.event_id) for _, e in ledger.events()] == [json.loads(line)["event_id"] for line in log]


def test_the_garbage_collector_is_paused_during_an_import_and_restored_after(tmp_path: Path) -> None:
    seen: list[bool] = []

    def items() -> Any:
        for n in range(3):
            seen.append(gc.isenabled())
            yield Item(n + 1, None, problems=[Problem(n + 1, None, "type", "unknown")])

    assert gc.isenabled()
    with Ledger(str(tmp_path / "l.db"), create=True) as ledger, pytest.raises(ImportRejected):
        run_import(ledger, items())
    assert seen == [False, False, False] and gc.isenabled()


def test_a_dry_run_reports_and_writes_nothing(target: str, tmp_path: Path) -> None:
    path = write(tmp_path / "orgs.csv", ORGS_CSV)
    assert nl(target, "init").exit_code == 0
    result = nl(target, "import", str(path), "--format", "csv", "--dry-run")
    assert result.exit_code == 0 and "would write 3 event(s)" in result.stderr
    assert events(target) == []


def test_stdin_is_read_with_a_dash(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    result = nl(db, "import", "-", "--format", "csv", input=ORGS_CSV.encode("utf-8"))
    assert result.exit_code == 0, result.stderr
    assert len(events(db)) == 3


class _Endless(io.RawIOBase):
    """A stream of JSON lines that never ends: reading it whole would never return."""

    def __init__(self) -> None:
        self.lines = (
            f'{{"type":"organisation.registered","event_id":"{i:08d}-0000-4000-8000-000000000000",'
            f'"key":"o{i}","name_en":"O","sector":"firm"}}\n'.encode()
            for i in itertools.count()
        )
        self.pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while len(self.pending) < len(buffer):
            self.pending += next(self.lines)
        n = len(buffer)
        buffer[:n], self.pending = self.pending[:n], self.pending[n:]
        return n


def test_jsonl_is_read_as_a_stream(tmp_path: Path) -> None:
    with Ledger(tmp_path / "l.db", create=True) as ledger:
        items = list(itertools.islice(jsonl_items(ledger, io.BufferedReader(_Endless())), 1000))
    assert [i.number for i in items] == list(range(1, 1001)) and not any(i.problems for i in items)


def test_progress_shows_only_on_a_terminal_after_a_second(capsys: pytest.CaptureFixture[str]) -> None:
    quiet = Progress(io.BytesIO(b"x" * 100))
    quiet(10)
    assert not quiet.shown  # stderr is not a terminal here
    loud = Progress(io.BytesIO(b"x" * 100), after=0.0)
    loud.enabled = True
    loud(1500)
    loud.done()
    err = capsys.readouterr().err
    assert "importing: " in err and "1,500 records" in err and err.endswith("\n")


@pytest.mark.parametrize("data", [b"\xef\xbb\xbf", b"\xef\xbb\xbf\n", b"\xef\xbb\xbf\r\n\n"])
def test_a_jsonl_file_of_only_a_byte_order_mark_writes_nothing(tmp_path: Path, data: bytes) -> None:
    """A first line that is only a BOM is blank, not a record (it once crashed the batch reader)."""
    db = str(tmp_path / "l.db")
    (tmp_path / "bom.jsonl").write_bytes(data)
    result = nl(db, "import", str(tmp_path / "bom.jsonl"), "--format", "jsonl")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 0, result.output
    assert "wrote 0 event(s)" in result.stderr
    assert events(db) == []
