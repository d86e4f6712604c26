"""Issue 14: one regression test per finding of the attack on the ledger, each seen failing on the old code.

Each test does what the attacker did (hostile files, direct SQL on the ledger's
tables, special files as outputs, hostile names) and checks the hardened answer:
one ``Error:`` line naming the field or the position, the right exit code,
nothing written, and no special file replaced.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path
from uuid import uuid4

import pytest
from click.testing import CliRunner, Result

from cli.main import cli
from domain.integrity.chain import chain_rows, event_leaf, next_chain
from domain.ledger import Ledger
from tests.pgserver import Server

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

ORGS = [
    {"type": "organisation.registered", "key": "postech", "sector": "university", "name_en": "POSTECH"},
    {"type": "organisation.registered", "key": "rist", "sector": "research_institute", "name_en": "RIST"},
    {"type": "organisation.registered", "key": "kosme", "sector": "funder", "name_en": "KOSME"},
]


def nl(db: Path | str, *args: str, input: bytes | str | None = None, env: dict[str, str] | None = None) -> Result:
    option = "--database-url" if str(db).startswith("postgresql://") else "--db"
    return CliRunner(env=env).invoke(cli, [option, str(db), *args], input=input)


def crashed(result: Result) -> bool:
    return result.exception is not None and not isinstance(result.exception, SystemExit)


def ok(result: Result) -> Result:
    assert not crashed(result), f"crashed: {result.exception!r}\n{result.stderr}"
    assert result.exit_code == 0, f"exit {result.exit_code}\n{result.stdout}\n{result.stderr}"
    return result


def one_error(result: Result, code: int, *needles: str) -> str:
    """Exit *code*, exactly one line on stderr (``Error: ...``) naming every needle, no traceback."""
    assert not crashed(result), f"crashed instead of refusing: {result.exception!r}\n{result.stderr}"
    assert "Traceback" not in result.output
    assert result.exit_code == code, f"exit {result.exit_code}, expected {code}\n{result.stdout}\n{result.stderr}"
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), f"expected one Error: line, got {lines}"
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def run(*args: str, memory: int = 1 << 30, timeout: float = 120, env: dict[str, str] | None = None) -> tuple:
    """``netledger ARGS`` in a process of its own, its address space capped at *memory* bytes.

    Returns (exit code, stdout, stderr, peak RSS in MiB: ``VmHWM``, the child's own high-water mark;
    ``ru_maxrss`` would count the forking pytest's memory too). The cap keeps a regression from
    eating the machine: it dies with MemoryError instead.
    """
    probe = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({memory}, {memory}))\n"
        "from cli.main import main\n"
        "try:\n"
        "    main(sys.argv[1:])\n"
        "finally:\n"
        "    peak = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1]\n"
        "    sys.stderr.write(f'\\nmaxrss={peak}\\n')\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", probe, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    lines = done.stderr.strip().splitlines()
    peak = int(lines.pop().split("=")[1]) // 1024 if lines and lines[-1].startswith("maxrss=") else -1
    return done.returncode, done.stdout, "\n".join(line for line in lines if line.strip()), peak


def run_one_error(code: int, *args: str, **kwargs: object) -> tuple[str, int]:
    rc, _out, err, peak = run(*args, **kwargs)  # type: ignore[arg-type]
    assert "Traceback" not in err, err[-2000:]
    assert rc == code, f"exit {rc}, expected {code}: {err[-2000:]}"
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines[-5:]
    return lines[0], peak


def small_ledger(path: Path) -> Path:
    with Ledger(path, actor="tester", create=True, name="small") as ledger:
        ledger.append([{**o, "event_id": str(uuid4())} for o in ORGS])
        ledger.form_partnership(["postech:member", "rist:member"], effective="2019-10")
    return path


def rows(path: Path, statement: str, params: tuple = ()) -> list[tuple]:
    with closing(sqlite3.connect(str(path))) as con:
        return con.execute(statement, params).fetchall()


def execute(path: Path, *statements: tuple[str, tuple]) -> None:
    with closing(sqlite3.connect(str(path))) as con:
        for statement, params in statements:
            con.execute(statement, params)
        con.commit()


def forge_event(path: Path, state: bytes, topic: str, *, index: bool = False, event_id: str | None = None) -> int:
    """One INSERT of an event with a correctly computed chain row (and index row); returns its position.

    No trigger refuses INSERT, so this is what anyone who can write the file (or the
    PostgreSQL writer role) can do without touching a single existing row.
    """
    (head, chain) = rows(path, "SELECT position, chain_hash FROM event_chain ORDER BY position DESC LIMIT 1")[0]
    position, originator = head + 1, uuid4().hex
    leaf = event_leaf(position, originator, 1, topic, state)
    statements: list[tuple[str, tuple]] = [
        (
            "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) VALUES (?,?,?,?,?)",
            (position, originator, 1, topic, state),
        ),
        ("INSERT INTO event_chain VALUES (?,?,?,?)", (position, head, leaf, next_chain(bytes(chain), leaf))),
    ]
    if index:
        statements.append(
            ("INSERT INTO event_index VALUES (?,?,?,?)", (event_id or str(uuid4()), position, originator, 1))
        )
    execute(path, *statements)
    return position


# -- 1. deeply nested input -----------------------------------------------------------------------


def test_1_a_deeply_nested_360giving_file_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    db = small_ledger(tmp_path / "l.db")
    hostile = tmp_path / "deep.json"
    hostile.write_text('{"grants": ' + "[" * 100_000 + "]" * 100_000 + "}")
    line, peak = run_one_error(2, "--db", str(db), "import", "--format", "360giving", str(hostile))
    assert "nest" in line and "file" in line
    assert peak < 200, f"peak RSS {peak} MiB"


@pytest.mark.parametrize("command", ["append", "import"])
def test_1_a_deeply_nested_json_line_is_refused_not_a_recursion_error(tmp_path: Path, command: str) -> None:
    db = small_ledger(tmp_path / "l.db")
    hostile = tmp_path / "deep.jsonl"
    hostile.write_text("[" * 100_000 + "]" * 100_000 + "\n")
    args = ["append", str(hostile)] if command == "append" else ["import", "--format", "jsonl", str(hostile)]
    line, peak = run_one_error(2, "--db", str(db), *args)
    assert "line 1" in line and "nest" in line
    assert peak < 200


# -- 2. a hash-consistent but unreadable event ----------------------------------------------------


def test_2_an_inserted_unreadable_event_fails_verify_and_checkpoint(tmp_path: Path) -> None:
    db = small_ledger(tmp_path / "l.db")
    position = forge_event(db, b'{"not": "an event"}', "domain.organisation:Organisation.Registered")
    one_error(nl(db, "verify"), 1, f"position {position}")
    key = tmp_path / "k"
    ok(nl(db, "keygen", "--out", str(key)))
    one_error(nl(db, "checkpoint", "--key", str(key)), 1, f"position {position}")


# -- 3. outputs over special files ----------------------------------------------------------------


def special_file(path: Path) -> Path:
    """A character device like /dev/null (mknod as root), else a FIFO with a reader draining it."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        os.mkfifo(path)

        def drain() -> None:
            while True:
                with path.open("rb") as f:
                    f.read()

        threading.Thread(target=drain, daemon=True).start()
    return path


@pytest.mark.parametrize("output", ["rejects", "export", "checkpoint"])
def test_3_writing_to_a_special_file_never_replaces_it(tmp_path: Path, output: str) -> None:
    db = small_ledger(tmp_path / "l.db")
    target = special_file(tmp_path / "null")
    before = os.stat(target)
    if output == "rejects":
        bad = tmp_path / "bad.jsonl"
        bad.write_text('{"type": "organisation.registered", "key": "BAD KEY"}\n')
        args = ["import", "--format", "jsonl", "--skip-invalid", "--rejects", str(target), str(bad)]
    elif output == "export":
        args = ["export", "--out", str(target)]
    else:
        key = tmp_path / "k"
        ok(nl(db, "keygen", "--out", str(key)))
        args = ["checkpoint", "--key", str(key), "--out", str(target)]
    ok(nl(db, *args))
    after = os.stat(target)
    assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode), "the special file was replaced"
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


# -- 4. event_index trusted, not verified ---------------------------------------------------------


def test_4_an_inserted_index_row_is_named_by_verify_and_refuses_writes_with_one_line(tmp_path: Path) -> None:
    db = small_ledger(tmp_path / "l.db")
    head = rows(db, "SELECT MAX(position) FROM event_index")[0][0]
    execute(db, ("INSERT INTO event_index VALUES (?,?,?,?)", (str(uuid4()), head + 1, uuid4().hex, 1)))
    one_error(nl(db, "verify"), 1, "index")
    record = {**ORGS[0], "key": "newco", "event_id": str(uuid4())}
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(record) + "\n")
    one_error(nl(db, "import", "--format", "jsonl", str(good)), 1, "index")
    one_error(nl(db, "append", str(good)), 1, "index")


def test_4_an_index_row_naming_no_event_gives_one_line_on_append_not_an_index_error(tmp_path: Path) -> None:
    db = small_ledger(tmp_path / "l.db")
    forged = str(uuid4())
    execute(db, ("INSERT INTO event_index VALUES (?,?,?,?)", (forged, 99_999, uuid4().hex, 1)))
    record = {**ORGS[0], "key": "newco", "event_id": forged}
    one_error(nl(db, "append", "-", input=json.dumps(record) + "\n"), 1, "index")


def test_4_prove_checks_the_index_row_against_the_event_it_proves(tmp_path: Path) -> None:
    db = small_ledger(tmp_path / "l.db")
    key = tmp_path / "k"
    ok(nl(db, "keygen", "--out", str(key)))
    checkpoint = tmp_path / "c.txt"
    ok(nl(db, "checkpoint", "--key", str(key), "--out", str(checkpoint)))
    (first,) = rows(db, "SELECT event_id FROM event_index WHERE position = 1")[0]
    execute(
        db,
        ("DROP TRIGGER event_index_no_update", ()),
        ("UPDATE event_index SET position = -2 WHERE position = 2", ()),
        ("UPDATE event_index SET position = 2 WHERE position = 1", ()),
        ("UPDATE event_index SET position = 1 WHERE position = -2", ()),
    )
    one_error(nl(db, "prove", first, "--checkpoint", str(checkpoint)), 1, "index")


# -- 5. meta not verified; migrate launders an edit; checkpoints forget -----------------------------


def test_5_migrate_cannot_launder_an_edited_event(tmp_path: Path) -> None:
    db = small_ledger(tmp_path / "l.db")
    (state,) = rows(db, "SELECT state FROM stored_events WHERE rowid = 2")[0]
    edited = bytes(state).replace(b'"RIST"', b'"RIST-EDITED"')
    execute(
        db,
        ("DROP TRIGGER stored_events_no_update", ()),
        ("UPDATE stored_events SET state = ? WHERE rowid = 2", (edited,)),
        ("DROP TABLE event_chain", ()),
        ("UPDATE ledger_meta SET value = '1' WHERE key = 'schema_version'", ()),
    )
    migrated = nl(db, "migrate")
    if migrated.exit_code == 0:
        execute(db, ("DELETE FROM ledger_meta WHERE key LIKE 'chain_migrated%'", ()))
        one_error(nl(db, "verify"), 1, "meta")
    else:
        one_error(migrated, 1)


def test_5_an_edited_meta_row_fails_verify(tmp_path: Path) -> None:
    db = small_ledger(tmp_path / "l.db")
    execute(db, ("UPDATE ledger_meta SET value = ? WHERE key = 'ledger_id'", (str(uuid4()),)))
    one_error(nl(db, "verify"), 1, "meta")


def test_5_checkpoint_refuses_to_sign_over_a_consistent_rewrite(tmp_path: Path) -> None:
    db = small_ledger(tmp_path / "l.db")
    key = tmp_path / "k"
    ok(nl(db, "keygen", "--out", str(key)))
    ok(nl(db, "checkpoint", "--key", str(key), "--out", str(tmp_path / "c1.txt")))
    with closing(sqlite3.connect(str(db))) as con:
        con.execute("DROP TRIGGER stored_events_no_update")
        con.execute("DROP TRIGGER event_chain_no_update")
        (state,) = con.execute("SELECT state FROM stored_events WHERE rowid = 2").fetchone()
        con.execute("UPDATE stored_events SET state = ? WHERE rowid = 2", (bytes(state).replace(b"RIST", b"TSIR"),))
        events = con.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid"
        ).fetchall()
        for position, _, leaf, chain in chain_rows([(*e[:4], bytes(e[4])) for e in events], None):
            con.execute("UPDATE event_chain SET leaf_hash=?, chain_hash=? WHERE position=?", (leaf, chain, position))
        con.commit()
    ok(nl(db, "verify"))  # consistent in itself: only the checkpoint taken before can tell
    one_error(nl(db, "checkpoint", "--key", str(key), "--out", str(tmp_path / "c2.txt")), 1, "rewritten")


# -- 6. reads of a damaged ledger -----------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["log"], ["replay", "--position", "9"], ["network", "summary"], ["export"]],
    ids=["log", "replay", "network-summary", "export"],
)
def test_6_reading_a_damaged_ledger_names_the_position_in_one_line(tmp_path: Path, args: list[str]) -> None:
    db = small_ledger(tmp_path / "l.db")
    position = forge_event(db, b'{"event_id": "x"}', "domain.organisation:Organisation.Registered", index=True)
    one_error(nl(db, *args), 1, f"position {position}")


# -- 7. outputs carry attacks to the reader -------------------------------------------------------


def legacy_event(db: Path, name: str, key: str = "legacy") -> None:
    """An organisation named *name* written as a ledger from before the input rule would have (chain included)."""
    from domain.mapper import LedgerStoredEvent
    from domain.organisation import organisation_id

    event_id = str(uuid4())
    state = json.dumps(
        {
            "event_id": event_id,
            "effective": None,
            "recorded_at": "2026-01-01T00:00:00Z",
            "recorded_by": "old",
            "source": None,
            "note": None,
            "key": key,
            "sector": "firm",
            "name_ko": None,
            "name_en": name,
            "subtype": None,
            "identifiers": [],
            "country": None,
            "locality": None,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    with Ledger(db) as ledger:
        ledger.recorder.insert_events(
            [
                LedgerStoredEvent(
                    organisation_id(key), 1, "domain.organisation:Organisation.Registered", state, event_id=event_id
                )
            ]
        )


def test_7_control_characters_in_names_are_refused_at_input(tmp_path: Path) -> None:
    db = small_ledger(tmp_path / "l.db")
    one_error(nl(db, "org", "register", "evil", "--sector", "firm", "--name-en", "Good\rEvil\x1b[2K"), 2, "name_en")
    one_error(
        nl(db, "org", "register", "evil", "--sector", "firm", "--name-en", "Ok", "--note", "a\x1b[31mb"), 2, "note"
    )
    ok(nl(db, "org", "register", "fine", "--sector", "firm", "--name-en", "Ok", "--note", "two\nlines"))


def test_7_terminal_tables_show_control_characters_escaped(tmp_path: Path) -> None:
    db = small_ledger(tmp_path / "l.db")
    legacy_event(db, "Hidden\r\x1b[2KInnocent")
    out = ok(nl(db, "log")).stdout
    assert "\r" not in out and "\x1b" not in out
    assert "\\r" in out and "\\x1b" in out


def test_7_csv_cells_a_spreadsheet_would_run_are_neutralised(tmp_path: Path) -> None:
    import csv
    import io

    db = small_ledger(tmp_path / "l.db")
    formula = '=HYPERLINK("http://x","y")'
    ok(
        nl(
            db,
            "org",
            "register",
            "formula",
            "--sector",
            "firm",
            "--name-en",
            "F",
            "--note",
            formula,
            "--source",
            "@SUM(1)",
        )
    )
    text = ok(nl(db, "log", "--format", "csv")).stdout
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'" + formula in cells and "'@SUM(1)" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells), text
    raw = [
        cell for row in csv.reader(io.StringIO(ok(nl(db, "log", "--format", "csv", "--raw")).stdout)) for cell in row
    ]
    assert formula in raw and "@SUM(1)" in raw


def test_7_dollar_signs_in_names_are_drawn_as_text(tmp_path: Path) -> None:
    db = small_ledger(tmp_path / "l.db")
    ok(nl(db, "org", "register", "dollars", "--sector", "firm", "--name-en", r"Costs $\notacommand$ and $5"))
    ok(nl(db, "network", "draw", "--out", str(tmp_path / "n.svg"), "--label", "en"))


def test_7_the_page_template_is_not_confused_by_a_ledger_name(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    with Ledger(db, actor="tester", create=True, name="{{DATA}} {{SCRIPT}}") as ledger:
        ledger.append([{**o, "event_id": str(uuid4())} for o in ORGS])
    page = tmp_path / "p.html"
    ok(nl(db, "network", "html", "--out", str(page)))
    title = page.read_text().split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith("{{DATA}} {{SCRIPT}}: the network"), title


# -- 8. smaller findings ----------------------------------------------------------------------------


def test_8_a_mistyped_db_path_on_a_write_creates_nothing(tmp_path: Path) -> None:
    small_ledger(tmp_path / "ledger.db")
    typo = tmp_path / "ledgr.db"
    one_error(nl(typo, "org", "register", "x", "--sector", "firm", "--name-en", "X"), 2, "no ledger at", "--create")
    assert not typo.exists()
    good = tmp_path / "g.jsonl"
    good.write_text(json.dumps({**ORGS[0], "event_id": str(uuid4())}) + "\n")
    one_error(nl(typo, "append", str(good)), 2, "no ledger at")
    assert not typo.exists()
    ok(nl(typo, "append", "--create", str(good)))
    assert typo.exists()


def test_8_a_postgresql_writer_gives_up_on_a_held_lock_like_sqlite(pg_server: Server) -> None:
    import psycopg

    from domain.storage.postgres import LedgerPostgresRecorder

    url = pg_server.create_database("lock")
    try:
        ok(nl(url, "init"))
        with Ledger(url) as ledger:
            assert isinstance(ledger.recorder, LedgerPostgresRecorder)
            key = ledger.recorder.lock_key
        with psycopg.connect(url) as holder:
            holder.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
            started = time.monotonic()
            line, _ = run_one_error(
                1,
                "--database-url",
                url,
                "org",
                "register",
                "x",
                "--sector",
                "firm",
                "--name-en",
                "X",
                env={"NETLEDGER_LOCK_TIMEOUT": "2"},
                timeout=60,
            )
            assert time.monotonic() - started < 30
        assert "locked by another writer" in line
    finally:
        pg_server.drop_database(url)


def test_8_a_full_disk_is_reported_as_such_naming_the_file(tmp_path: Path) -> None:
    db = small_ledger(tmp_path / "l.db")
    probe = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (8192, 8192))\n"
        "from cli.main import main\n"
        "main(sys.argv[1:])\n"
    )
    done = subprocess.run(
        [PYTHON, "-c", probe, "--db", str(db), "org", "register", "x", "--sector", "firm", "--name-en", "X" * 400],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    (line,) = done.stderr.splitlines()
    assert "Traceback" not in done.stderr
    assert str(db) in line and "full" in line and "restore" not in line, line


def test_8_years_before_1000_are_zero_padded(tmp_path: Path) -> None:
    db = small_ledger(tmp_path / "l.db")
    out = ok(nl(db, "network", "trend", "--metric", "density", "--from", "0999", "--to", "1000", "--format", "json"))
    periods = [row["period"] for row in json.loads(out.stdout)]
    assert periods == ["0999", "1000"]


@pytest.mark.parametrize("amount", ["-0.0", "-0", "0.000", "-0e5"])
def test_8_zero_has_one_spelling(tmp_path: Path, amount: str) -> None:
    db = small_ledger(tmp_path / "l.db")
    ok(
        nl(
            db,
            *("support", "award", "--kind", "grant", "--funder", "kosme", "--recipient", "postech"),
            *("--amount", amount, "--currency", "KRW", "--effective", "2020"),
        )
    )
    (state,) = rows(db, "SELECT state FROM stored_events ORDER BY rowid DESC LIMIT 1")[0]
    assert json.loads(state)["amount"] == "0"


def test_8_keygen_on_a_dangling_symlink_is_refused_in_one_line(tmp_path: Path) -> None:
    link = tmp_path / "key"
    link.symlink_to(tmp_path / "nowhere" / "key")
    one_error(CliRunner().invoke(cli, ["keygen", "--out", str(link)]), 2, "--out", "symbolic link")


def test_8_key_files_have_fixed_modes_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        ok(CliRunner().invoke(cli, ["keygen", "--out", str(tmp_path / "k")]))
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(tmp_path / "k").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "k.pub").st_mode) == 0o644


def test_8_checkpoint_refuses_a_private_key_others_can_read(tmp_path: Path) -> None:
    db = small_ledger(tmp_path / "l.db")
    ok(CliRunner().invoke(cli, ["keygen", "--out", str(tmp_path / "k")]))
    os.chmod(tmp_path / "k", 0o644)
    one_error(nl(db, "checkpoint", "--key", str(tmp_path / "k")), 2, "--key", "0644")


def test_8_the_docs_warn_that_a_password_in_the_url_shows_in_ps() -> None:
    text = (ROOT / "docs" / "operator.md").read_text(encoding="utf-8")
    paragraphs = [p for p in text.split("\n\n") if "`ps`" in p and "--database-url" in p]
    assert paragraphs and "password" in paragraphs[0].lower() and "PGPASSWORD" in paragraphs[0]
