"""Reliability: an attacker with direct SQL access inserts, edits and deletes in every table.

Two attackers, each against the 43-event demo ledger and a checkpoint signed before the attack:

- **file access (SQLite)**: the append-only triggers are tried first (an UPDATE or DELETE
  must be refused); then, as someone who can write the file does, they are dropped and
  the attack is made;
- **the writer role (PostgreSQL)**, made by ``netledger init --grant-writer``: every
  UPDATE, DELETE and TRUNCATE, and every INSERT into ``ledger_meta``, must be refused;
  the INSERTs it may make (events, chain, index rows) are made.

Tables: the events, ``event_index``, ``ledger_meta`` and ``event_chain``. After an
attack that went through, ``verify`` must name the damage: alone (``verify``, or for an
event that only the ledger's rules refuse, ``verify --deep`` and ``checkpoint``, which
then signs nothing) and against the checkpoint (``verify --checkpoint``). A consistent
rewrite (hashes or the seal recomputed) is named against the checkpoint only: that is
the limit of what a ledger without a secret can know (docs/guarantees.md).

Each attack is one trial of the tally's rows ``attacker (sqlite file)`` and ``attacker
(postgresql writer)``; ``detected`` counts the attacks refused or named as expected.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cli.main import cli
from domain.demo import build_demo
from domain.errors import LedgerError
from domain.integrity import checkpoint as cp
from domain.integrity.chain import chain_rows, event_leaf, next_chain
from domain.integrity.meta import SEAL, seal
from domain.integrity.proofs import checkpoint_of
from domain.ledger import Ledger
from tests.integrity.conftest import TRIGGERS, copy_db, crashed

SIZE = 43
EDITED = 30  # a partnership of the demo: 'bundles' in its state

#: What verify must say alone: a kind, "deep" (only the deep check and checkpoint), or None (consistent:
#: only the checkpoint can tell).
Alone = str | None


@dataclass(frozen=True)
class Attack:
    table: str
    op: str
    name: str
    sql: Callable[[Any, str], None]  # (connection, placeholder) -> None
    alone: Alone
    against: str  # the kind named against the checkpoint


# -- forging rows as the attacker does -----------------------------------------------------------


def _one(con: Any, statement: str, q: str, params: tuple = ()) -> Any:
    return con.execute(statement.replace("?", q), params).fetchone()


def _tables(q: str) -> tuple[str, str]:
    return ("stored_events", "rowid") if q == "?" else ("netledger_events", "notification_id")


def _forge(con: Any, q: str, state: bytes, *, index_id: str | None, chain: bool = True, like: int = 2) -> None:
    """Append one event at the end with the topic of the event at *like*, a correctly hashed chain row, and an
    index row naming *index_id* (none if None)."""
    events, key = _tables(q)
    head, last = _one(con, "SELECT position, chain_hash FROM event_chain ORDER BY position DESC LIMIT 1", q)
    (topic,) = _one(con, f"SELECT topic FROM {events} WHERE {key} = ?", q, (like,))
    position, aggregate = head + 1, uuid.uuid4()
    originator = aggregate.hex  # as the ledger stores and hashes it
    columns = f"{key}, originator_id, originator_version, topic, state"
    con.execute(f"INSERT INTO {events} ({columns}) VALUES (?,?,?,?,?)".replace("?", q),
                (position, originator if q == "?" else aggregate, 1, topic, state))  # fmt: skip
    if chain:
        leaf = event_leaf(position, originator, 1, topic, state)
        con.execute("INSERT INTO event_chain VALUES (?,?,?,?)".replace("?", q),
                    (position, head, leaf, next_chain(bytes(last), leaf)))  # fmt: skip
    if index_id is not None:
        con.execute("INSERT INTO event_index VALUES (?,?,?,?)".replace("?", q), (index_id, position, originator, 1))


def _state_of(con: Any, q: str, position: int) -> bytes:
    events, key = _tables(q)
    return bytes(_one(con, f"SELECT state FROM {events} WHERE {key} = ?", q, (position,))[0])


def insert_unreadable(con: Any, q: str) -> None:
    """Finding 2: a hash-consistent event whose state is not an event."""
    _forge(con, q, b'{"not": "an event"}', index_id=str(uuid.uuid4()))


def insert_breaking_rules(con: Any, q: str) -> None:
    """A well-formed event the ledger would never write: a second registration of an organisation, on a fresh
    aggregate, with a fresh event id, a matching index row and chain row. Only the rules tell."""
    state = _state_of(con, q, 2)
    old_id = json.loads(state)["event_id"]
    new_id = str(uuid.uuid4())
    _forge(con, q, state.replace(old_id.encode(), new_id.encode()), index_id=new_id, like=2)


def insert_without_chain(con: Any, q: str) -> None:
    _forge(con, q, _state_of(con, q, 2), index_id=None, chain=False)


def insert_index_row(con: Any, q: str) -> None:
    """Finding 4: an index row claiming an event id at a position that holds no event."""
    con.execute("INSERT INTO event_index VALUES (?,?,?,?)".replace("?", q), (str(uuid.uuid4()), SIZE + 5, "x", 1))


def insert_chain_row(con: Any, q: str) -> None:
    head, last = _one(con, "SELECT position, chain_hash FROM event_chain ORDER BY position DESC LIMIT 1", q)
    leaf = bytes(32)
    con.execute("INSERT INTO event_chain VALUES (?,?,?,?)".replace("?", q),
                (head + 1, head, leaf, next_chain(bytes(last), leaf)))  # fmt: skip


def _meta_set(con: Any, q: str, key: str, value: str | None, *, reseal: bool) -> None:
    if value is None:
        con.execute("DELETE FROM ledger_meta WHERE key = ?".replace("?", q), (key,))
    else:
        con.execute("DELETE FROM ledger_meta WHERE key = ?".replace("?", q), (key,))
        con.execute("INSERT INTO ledger_meta VALUES (?, ?)".replace("?", q), (key, value))
    if reseal:
        meta = dict(con.execute("SELECT key, value FROM ledger_meta").fetchall())
        con.execute("DELETE FROM ledger_meta WHERE key = ?".replace("?", q), (SEAL,))
        con.execute("INSERT INTO ledger_meta VALUES (?, ?)".replace("?", q), (SEAL, seal(meta)))


def rewrite_event(con: Any, q: str) -> None:
    """Edit an event and recompute its leaf and every later chain hash: consistent in itself."""
    con.execute(
        "UPDATE stored_events SET state = CAST(replace(state, 'bundles', 'bundlez') AS BLOB) WHERE rowid = ?",
        (EDITED,),
    )
    events = con.execute(
        "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid"
    ).fetchall()
    for position, _, leaf, chain in chain_rows([(*e[:4], bytes(e[4])) for e in events], None):
        con.execute("UPDATE event_chain SET leaf_hash=?, chain_hash=? WHERE position=?", (leaf, chain, position))


def _sql(statement: str) -> Callable[[Any, str], None]:
    return lambda con, q: con.execute(statement)


def _meta(key: str, value: str | None, *, reseal: bool = False) -> Callable[[Any, str], None]:
    return lambda con, q: _meta_set(con, q, key, value, reseal=reseal)


STATE_EDIT = (
    f"UPDATE stored_events SET state = CAST(replace(state, 'bundles', 'bundlez') AS BLOB) WHERE rowid = {EDITED}"
)

#: Every attack of the file-access attacker (SQLite).
FILE_ATTACKS = [
    Attack("events", "insert", "unreadable-event-with-chain-and-index", insert_unreadable, "unreadable", "unreadable"),
    Attack("events", "insert", "event-the-rules-refuse", insert_breaking_rules, "deep", "rule"),
    Attack("events", "insert", "event-without-chain-row", insert_without_chain, "inserted", "inserted"),
    Attack("events", "edit", "state-edited", _sql(STATE_EDIT), "modified", "modified"),
    Attack("events", "edit", "state-edited-hashes-recomputed", rewrite_event, None, "rewritten"),
    Attack(
        "events",
        "delete",
        "event-deleted",
        _sql(f"DELETE FROM stored_events WHERE rowid = {EDITED}"),
        "missing",
        "missing",
    ),
    Attack("index", "insert", "index-row-for-no-event", insert_index_row, "index", "index"),
    Attack(
        "index",
        "edit",
        "index-row-names-another-event",
        _sql(f"UPDATE event_index SET event_id = '{uuid.UUID(int=7)}' WHERE position = 12"),
        "index",
        "index",
    ),
    Attack(
        "index",
        "edit",
        "index-row-moved",
        _sql("UPDATE event_index SET position = 1000 WHERE position = 12"),
        "index",
        "index",
    ),
    Attack(
        "index", "delete", "index-row-deleted", _sql("DELETE FROM event_index WHERE position = 12"), "index", "index"
    ),
    Attack("meta", "insert", "meta-row-added", _meta("owner", "attacker"), "meta", "meta"),
    Attack(
        "meta", "edit", "schema-version-set-back", _meta("schema_version", "1"), "says schema 1 but", "says schema 1"
    ),
    Attack("meta", "edit", "ledger-id-changed", _meta("ledger_id", str(uuid.UUID(int=1))), "meta", "meta"),
    Attack("meta", "edit", "name-changed-and-resealed", _meta("name", "other", reseal=True), None, "meta"),
    Attack(
        "meta",
        "edit",
        "ledger-id-changed-and-resealed",
        _meta("ledger_id", str(uuid.UUID(int=1)), reseal=True),
        None,
        "checkpoint",
    ),
    Attack("meta", "delete", "seal-deleted", _meta(SEAL, None), "meta", "meta"),
    Attack("meta", "delete", "created-schema-deleted", _meta("created_schema", None), "meta", "meta"),
    Attack("chain", "insert", "chain-row-past-the-end", insert_chain_row, "missing", "missing"),
    Attack(
        "chain",
        "edit",
        "chain-hash-edited",
        _sql("UPDATE event_chain SET chain_hash = zeroblob(32) WHERE position = 12"),
        "chain",
        "chain",
    ),
    Attack(
        "chain",
        "delete",
        "chain-row-deleted",
        _sql("DELETE FROM event_chain WHERE position = 12"),
        "inserted",
        "inserted",
    ),
]


@dataclass
class Verdict:
    ok: bool
    what: str


def judge(ledger_target: str, attack: Attack, checkpoint: Path, pub: Path) -> Verdict:
    """Does verify name *attack* as expected, alone and against the checkpoint? (No crash either way.)"""
    runner = CliRunner()
    option = "--database-url" if ledger_target.startswith("postgresql://") else "--db"
    alone = runner.invoke(cli, [option, ledger_target, "verify"])
    deeply = ["--deep"] if attack.alone == "deep" else []
    against = runner.invoke(
        cli, [option, ledger_target, "verify", *deeply, "--checkpoint", str(checkpoint), "--public-key", str(pub)]
    )
    deep = runner.invoke(cli, [option, ledger_target, "verify", "--deep"])
    for result in (alone, against, deep):
        if crashed(result):
            return Verdict(False, f"crashed: {result.exception!r}")
        if result.exit_code not in (0, 1) or (result.exit_code == 1 and len(result.stderr.splitlines()) != 1):
            return Verdict(False, f"exit {result.exit_code}: {result.stderr}")
    said = f"alone: {alone.stderr.strip() or 'ok'} | against: {against.stderr.strip() or 'ok'} | deep: " + (
        deep.stderr.strip() or "ok"
    )
    if attack.alone is None:
        right = alone.exit_code == 0 and against.exit_code == 1
    elif attack.alone == "deep":
        right = alone.exit_code == 0 and deep.exit_code == 1 and "rule" in deep.stderr and against.exit_code == 1
        with Ledger(ledger_target) as ledger:  # and checkpoint signs nothing: it must refuse
            try:
                checkpoint_of(ledger)
            except LedgerError:
                refused = True
            else:
                refused = False
        right = right and refused
    else:
        right = alone.exit_code == 1 and attack.alone in alone.stderr and against.exit_code == 1
    if attack.against not in against.stderr:
        right = False
    return Verdict(right, said)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    folder = tmp_path_factory.mktemp("attacker")
    path = folder / "demo.db"
    with Ledger(path, actor="owner", create=True, name="pohang-demo") as ledger:
        build_demo(ledger)
    key, pub = cp.keygen(folder / "auditor.key")
    out = folder / "demo.checkpoint"
    with Ledger(path) as ledger:
        out.write_text(cp.sign(checkpoint_of(ledger), key).text(), encoding="utf-8")
    return path, out, pub


def test_the_file_attacker_is_refused_or_named(demo: tuple[Path, Path, Path], tmp_path: Path, tally: Any) -> None:
    master, checkpoint, pub = demo
    detected, failures, refused_by_triggers = 0, [], 0
    for number, attack in enumerate(FILE_ATTACKS):
        copy = copy_db(master, tmp_path / f"case-{number}.db")
        # The triggers first: an UPDATE or DELETE of events, index or chain is refused while they stand.
        if attack.op in ("edit", "delete") and attack.table in ("events", "index", "chain"):
            with sqlite3.connect(str(copy)) as con:
                try:
                    attack.sql(con, "?")
                    failures.append(f"{attack.name}: the append-only trigger let it through")
                    continue
                except sqlite3.IntegrityError as exc:
                    assert "append-only" in str(exc)
                    refused_by_triggers += 1
        with sqlite3.connect(str(copy)) as con:  # now as someone who can write the file
            for trigger in TRIGGERS:
                con.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            attack.sql(con, "?")
        con.close()
        verdict = judge(str(copy), attack, checkpoint, pub)
        detected += verdict.ok
        if not verdict.ok:
            failures.append(f"{attack.table} {attack.op} {attack.name}: {verdict.what}")
    tally.add("attacker (sqlite file)", trials=len(FILE_ATTACKS), detected=detected,
              note=f"{refused_by_triggers} refused by the triggers before they were dropped")  # fmt: skip
    assert not failures, "\n".join(failures)
    assert {(a.table, a.op) for a in FILE_ATTACKS} == {
        (t, o) for t in ("events", "index", "meta", "chain") for o in ("insert", "edit", "delete")
    }


# -- the PostgreSQL writer role --------------------------------------------------------------------

#: What the writer role may not do at all: each must be refused by the database.
WRITER_REFUSED = [
    *(
        f"UPDATE {t} SET {c} = {c}"
        for t, c in (
            ("netledger_events", "topic"),
            ("event_index", "event_id"),
            ("event_chain", "leaf_hash"),
            ("ledger_meta", "value"),
        )
    ),
    *(f"DELETE FROM {t}" for t in ("netledger_events", "event_index", "event_chain", "ledger_meta")),
    *(f"TRUNCATE {t}" for t in ("netledger_events", "event_index", "event_chain", "ledger_meta")),
    "INSERT INTO ledger_meta VALUES ('owner', 'attacker')",
    "DROP TABLE event_chain",
    "ALTER TABLE netledger_events DISABLE TRIGGER USER",
]

#: What the writer role can do (INSERT) and verify must name.
WRITER_ATTACKS = [
    Attack("events", "insert", "unreadable-event-with-chain-and-index", insert_unreadable, "unreadable", "unreadable"),
    Attack("events", "insert", "event-the-rules-refuse", insert_breaking_rules, "deep", "rule"),
    Attack("events", "insert", "event-without-chain-row", insert_without_chain, "inserted", "inserted"),
    Attack("index", "insert", "index-row-for-no-event", insert_index_row, "index", "index"),
    Attack("chain", "insert", "chain-row-past-the-end", insert_chain_row, "missing", "missing"),
]


def test_the_postgresql_writer_role_is_refused_or_named(pg_server: Any, tmp_path: Path, tally: Any) -> None:
    import psycopg

    runner = CliRunner()
    role, password = f"writer_{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
    pg_server.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    key, pub = cp.keygen(tmp_path / "auditor.key")
    trials, detected, failures = 0, 0, []
    try:
        for attack in [None, *WRITER_ATTACKS]:
            url = pg_server.create_database("attack")
            dbname = url.rsplit("/", 1)[1]
            try:
                assert runner.invoke(cli, ["--database-url", url, "init", "--grant-writer", role]).exit_code == 0
                with Ledger(url, actor="owner") as ledger:
                    build_demo(ledger)
                    checkpoint = tmp_path / "pg.checkpoint"
                    checkpoint.write_text(cp.sign(checkpoint_of(ledger), key).text(), encoding="utf-8")
                as_writer = pg_server.url(dbname, role, password)
                if attack is None:  # the refusals, on this ledger; verify clean after them
                    for statement in WRITER_REFUSED:
                        trials += 1
                        with psycopg.connect(as_writer) as con:
                            try:
                                con.execute(statement)  # type: ignore[arg-type]
                                failures.append(f"writer: {statement} went through")
                            except (psycopg.errors.InsufficientPrivilege, psycopg.errors.RaiseException):
                                detected += 1
                    assert runner.invoke(cli, ["--database-url", url, "verify"]).exit_code == 0
                    continue
                trials += 1
                with psycopg.connect(as_writer) as con:
                    attack.sql(con, "%s")
                verdict = judge(url, attack, checkpoint, pub)
                detected += verdict.ok
                if not verdict.ok:
                    failures.append(f"writer {attack.table} {attack.op} {attack.name}: {verdict.what}")
            finally:
                pg_server.execute(f"DROP OWNED BY {role}", dbname=dbname)
                pg_server.drop_database(url)
    finally:
        pg_server.execute(f"DROP ROLE {role}")
    tally.add("attacker (postgresql writer)", trials=trials, detected=detected)
    assert not failures, "\n".join(failures)
