"""Tamper matrix: every kind of damage to a ledger of 3000 events is found, at its position.

The ledger is built once per module (``Ledger.append`` of generated records,
in a few transactions) together with a signed checkpoint of it; each case
copies the file, drops the append-only triggers with the ``sqlite3`` module,
damages it, and checks both ``verify_log`` and ``netledger verify`` (table and
``--format json``). Positions are drawn from a fixed seed.

``truncated`` and ``rewritten`` damage leaves a log that is consistent in
itself: it verifies clean on its own and fails only against the checkpoint
taken before.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

import pytest

from domain.integrity import checkpoint as cp
from domain.integrity.chain import GENESIS, chain_rows
from domain.integrity.merkle import EMPTY_ROOT
from domain.integrity.proofs import checkpoint_of
from domain.integrity.verify import verify_log
from domain.ledger import Ledger
from tests.integrity.conftest import forgetting

N = 3000
FIRMS = 40
SEED = 9162
NS = uuid5(NAMESPACE_URL, "netledger:tests:integrity:tamper")


def _id(label: str) -> str:
    return str(uuid5(NS, label))


def generated_records() -> list[list[dict[str, object]]]:
    """N events in three batches: organisations, grants, then disbursements and partnerships."""
    orgs: list[dict[str, object]] = [
        {
            "type": "organisation.registered",
            "event_id": _id(f"org{i}"),
            "key": f"firm{i}",
            "sector": "firm",
            "name_en": f"Firm {i}",
        }
        for i in range(FIRMS)
    ]
    orgs.append(
        {
            "type": "organisation.registered",
            "event_id": _id("fund"),
            "key": "fund",
            "sector": "funder",
            "name_en": "Fund",
        }
    )
    awards = [
        {
            "type": "support.awarded",
            "event_id": _id(f"award{i}"),
            "kind": "grant",
            "funders": ["fund"],
            "recipients": [f"firm{i % FIRMS}"],
            "amount": str(1000 + i),
            "currency": "KRW",
            "effective": f"{2000 + i % 25}-{1 + i % 12:02d}",
        }
        for i in range(2000)
    ]
    rest: list[dict[str, object]] = []
    for i in range(N - len(orgs) - len(awards)):
        if i % 2:
            rest.append(
                {
                    "type": "support.disbursed",
                    "event_id": _id(f"disb{i}"),
                    "aggregate_id": _id(f"award{i}"),
                    "amount": "10",
                    "currency": "KRW",
                    "effective": "2024",
                }
            )
        else:
            rest.append(
                {
                    "type": "partnership.formed",
                    "event_id": _id(f"pship{i}"),
                    "parties": [f"firm{i % FIRMS}", f"firm{(i + 1) % FIRMS}"],
                    "effective": "2019",
                }
            )
    return [orgs, awards, rest]


@dataclass(frozen=True)
class Master:
    path: Path
    checkpoint: Path  # signed checkpoint of the untampered ledger (size N)
    pub: Path


@pytest.fixture(scope="module")
def tamper_master(tmp_path_factory, _integrity_signer) -> Master:
    integrity_signer = forgetting(_integrity_signer)
    folder = tmp_path_factory.mktemp("tamper-master")
    path = folder / "big.db"
    with Ledger(path, actor="generator", create=True, name="big") as ledger:
        for batch in generated_records():
            ledger.append(batch)
        assert ledger.count() == N
        signed = cp.sign(checkpoint_of(ledger), integrity_signer.key)
    checkpoint = folder / "big.checkpoint"
    checkpoint.write_text(signed.text(), encoding="utf-8")
    return Master(path, checkpoint, integrity_signer.pub)


@pytest.fixture
def tampered_copy(tamper_master, integrity_tools, tmp_path) -> Path:
    return integrity_tools.copy_db(tamper_master.path, tmp_path / "tampered.db")


# -- the damage ------------------------------------------------------------------------------

Tamper = Callable[[sqlite3.Connection], None]


def _state(con: sqlite3.Connection, p: int) -> bytes:
    return bytes(con.execute("SELECT state FROM stored_events WHERE rowid = ?", (p,)).fetchone()[0])


def flip_byte(p: int, offset: int) -> Tamper:
    def tamper(con: sqlite3.Connection) -> None:
        state = bytearray(_state(con, p))
        state[offset % len(state)] ^= 0x01
        con.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (bytes(state), p))

    return tamper


def delete_event(p: int, *, chain_row: bool = False) -> Tamper:
    def tamper(con: sqlite3.Connection) -> None:
        con.execute("DELETE FROM stored_events WHERE rowid = ?", (p,))
        if chain_row:
            con.execute("DELETE FROM event_chain WHERE position = ?", (p,))

    return tamper


def delete_and_renumber(p: int, *, chain_rows_too: bool = False) -> Tamper:
    def tamper(con: sqlite3.Connection) -> None:
        con.execute("DELETE FROM stored_events WHERE rowid = ?", (p,))
        _shift(con, "stored_events", "rowid", p, -1)
        con.execute("DELETE FROM event_index WHERE position = ?", (p,))
        _shift(con, "event_index", "position", p, -1)
        if chain_rows_too:
            con.execute("DELETE FROM event_chain WHERE position = ?", (p,))
            _shift(con, "event_chain", "position", p, -1)
            _shift(con, "event_chain", "prev_position", p - 1, -1)

    return tamper


def _shift(con: sqlite3.Connection, table: str, column: str, after: int, delta: int) -> None:
    con.execute(f"UPDATE {table} SET {column} = -{column} WHERE {column} > ?", (after,))
    con.execute(f"UPDATE {table} SET {column} = -{column} + ? WHERE {column} < 0", (delta,))


def _insert(con: sqlite3.Connection, rowid: int, like: int) -> None:
    """A new row at *rowid*: a fresh aggregate with the topic and state of the event at *like*."""
    topic, state = con.execute("SELECT topic, state FROM stored_events WHERE rowid = ?", (like,)).fetchone()
    con.execute(
        "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) VALUES (?, ?, 1, ?, ?)",
        (rowid, uuid4().hex, topic, state),
    )


def insert_at_end() -> Tamper:
    return lambda con: _insert(con, N + 1, like=N // 2)


def insert_and_renumber(p: int) -> Tamper:
    def tamper(con: sqlite3.Connection) -> None:
        _shift(con, "stored_events", "rowid", p - 1, 1)
        _insert(con, p, like=p + 1 if p < N // 2 else p - 1)

    return tamper


def swap(p: int, q: int) -> Tamper:
    def tamper(con: sqlite3.Connection) -> None:
        con.execute("UPDATE stored_events SET rowid = -1 WHERE rowid = ?", (p,))
        con.execute("UPDATE stored_events SET rowid = ? WHERE rowid = ?", (p, q))
        con.execute("UPDATE stored_events SET rowid = ? WHERE rowid = -1", (q,))

    return tamper


def truncate(k: int) -> Tamper:
    def tamper(con: sqlite3.Connection) -> None:
        for table, column in (("stored_events", "rowid"), ("event_chain", "position"), ("event_index", "position")):
            con.execute(f"DELETE FROM {table} WHERE {column} > ?", (N - k,))

    return tamper


def rewrite_consistently(p: int) -> Tamper:
    """Change the event at *p*, then recompute its leaf and every later chain hash with the chain functions."""

    def tamper(con: sqlite3.Connection) -> None:
        state = json.loads(_state(con, p))
        state["note"] = "quietly edited"
        con.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?", (json.dumps(state, separators=(",", ":")).encode(), p)
        )
        previous = None
        if p > 1:
            prev = con.execute("SELECT position, chain_hash FROM event_chain WHERE position = ?", (p - 1,)).fetchone()
            previous = (prev[0], bytes(prev[1]))
        rows = [
            (r[0], r[1], r[2], r[3], bytes(r[4]))
            for r in con.execute(
                "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
                "WHERE rowid >= ? ORDER BY rowid",
                (p,),
            )
        ]
        for position, _, leaf, chain in chain_rows(rows, previous):
            con.execute(
                "UPDATE event_chain SET leaf_hash = ?, chain_hash = ? WHERE position = ?", (leaf, chain, position)
            )

    return tamper


def edit_chain(p: int, column: str) -> Tamper:
    def tamper(con: sqlite3.Connection) -> None:
        if column == "prev_position":
            con.execute("UPDATE event_chain SET prev_position = -7 WHERE position = ?", (p,))
            return
        value = bytearray(con.execute(f"SELECT {column} FROM event_chain WHERE position = ?", (p,)).fetchone()[0])
        value[0] ^= 0xFF
        con.execute(f"UPDATE event_chain SET {column} = ? WHERE position = ?", (bytes(value), p))

    return tamper


# -- the cases ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    tamper: Tamper
    kind: str
    position: int | None
    #: The damage is consistent in itself: only the checkpoint taken before shows it.
    only_against_checkpoint: bool = False


def cases() -> list[Case]:
    rng = random.Random(SEED)

    def pick() -> int:
        return rng.randrange(2, N)

    found: list[Case] = []
    for p in (1, pick(), pick(), pick(), N):
        found.append(Case(f"modified-byte-flip-{p}", flip_byte(p, rng.randrange(1000)), "modified", p))
    for p in (pick(), pick()):
        found.append(Case(f"missing-event-row-{p}", delete_event(p), "missing", p))
    for p in (pick(), 1):
        found.append(Case(f"missing-event-and-chain-row-{p}", delete_event(p, chain_row=True), "missing", p))
    for p in (pick(), pick()):
        found.append(Case(f"missing-later-events-renumbered-{p}", delete_and_renumber(p), "missing", p))
    p = pick()
    found.append(
        Case(
            f"missing-later-events-and-chain-renumbered-{p}", delete_and_renumber(p, chain_rows_too=True), "missing", p
        )
    )
    found.append(Case("inserted-at-end-without-chain-row", insert_at_end(), "inserted", N + 1))
    for p in (1, pick(), pick()):
        found.append(Case(f"inserted-later-events-renumbered-{p}", insert_and_renumber(p), "inserted", p))
    for _ in range(2):
        p, q = sorted(rng.sample(range(2, N), 2))
        found.append(Case(f"reordered-{p}-{q}", swap(q, p), "reordered", p))
    found.append(Case(f"reordered-1-{N}", swap(1, N), "reordered", 1))
    p = pick()
    found.append(Case(f"reordered-adjacent-{p}-{p + 1}", swap(p, p + 1), "reordered", p))
    for k in (1, rng.randrange(2, 500)):
        found.append(Case(f"truncated-last-{k}", truncate(k), "truncated", N - k + 1, only_against_checkpoint=True))
    for p in (1, pick(), pick()):
        found.append(
            Case(f"rewritten-consistently-from-{p}", rewrite_consistently(p), "rewritten", None, True),
        )
    for p in (1, pick(), N):
        found.append(Case(f"chain-hash-edited-{p}", edit_chain(p, "chain_hash"), "chain", p))
    p = pick()
    found.append(Case(f"chain-prev-position-edited-{p}", edit_chain(p, "prev_position"), "chain", p))
    p = pick()
    found.append(Case(f"chain-leaf-hash-edited-{p}", edit_chain(p, "leaf_hash"), "chain", p))
    return found


CASES = cases()


def test_the_matrix_draws_distinct_cases():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)) >= 20
    assert {c.kind for c in CASES} == {
        "modified",
        "missing",
        "inserted",
        "reordered",
        "truncated",
        "rewritten",
        "chain",
    }


def test_the_clean_ledger_verifies(tamper_master, integrity_cli, integrity_tools):
    with Ledger(tamper_master.path) as ledger:
        report = verify_log(ledger)
        assert report.ok and report.size == N
        assert report.root != EMPTY_ROOT and report.head != GENESIS
        against = verify_log(ledger, cp.load(tamper_master.checkpoint))
        assert against.ok, against.problem
    result = integrity_cli.ok(
        tamper_master.path,
        "verify",
        "--checkpoint",
        str(tamper_master.checkpoint),
        "--public-key",
        str(tamper_master.pub),
    )
    assert result.stdout.splitlines()[0] == f"ok: {N} events verified from genesis"
    assert f"extends the checkpoint of size {N}" in result.stdout


def test_a_clean_empty_ledger_verifies(tmp_path, integrity_cli):
    with Ledger(tmp_path / "empty.db", create=True) as ledger:
        report = verify_log(ledger)
    assert report.ok and report.size == 0 and report.head == GENESIS and report.root == EMPTY_ROOT
    assert integrity_cli.ok(tmp_path / "empty.db", "verify").stdout.startswith("ok: 0 events verified")


def test_a_ledger_written_by_concurrent_writers_verifies(tmp_path, integrity_cli):
    """Six writers, each with its own connection, racing: the chain still has one row per event, in order."""
    path = tmp_path / "busy.db"
    Ledger(path, create=True).close()
    errors: list[str] = []

    def write(n: int) -> None:
        try:
            with Ledger(path, actor=f"writer{n}") as ledger:
                for i in range(15):
                    ledger.register_organisation(f"w{n}-{i}", sector="firm", name_en=f"W{n} {i}")
                ledger.append(
                    [
                        {"type": "organisation.renamed", "event_id": str(uuid4()), "key": f"w{n}-{i}", "name_en": "R"}
                        for i in range(5)
                    ]
                )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Ledger(path) as ledger:
        report = verify_log(ledger)
    assert report.ok and report.size == 6 * 20, report.problem
    assert integrity_cli.ok(path, "verify").stdout.startswith("ok: 120 events verified from genesis")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_tamper_is_found_at_its_position(case, tamper_master, tampered_copy, integrity_tools, integrity_cli):
    with integrity_tools.tampering(tampered_copy) as con:
        case.tamper(con)
    checkpoint = cp.load(tamper_master.checkpoint)

    with Ledger(tampered_copy) as ledger:
        alone = verify_log(ledger)
        against = verify_log(ledger, checkpoint)
    if case.only_against_checkpoint:
        assert alone.ok, f"consistent damage should verify clean on its own, got {alone.problem}"
    else:
        assert alone.problem is not None, "the damage went unnoticed"
        assert (alone.problem.kind, alone.problem.position) == (case.kind, case.position), str(alone.problem)
    assert against.problem is not None, "the damage went unnoticed against the checkpoint"
    assert (against.problem.kind, against.problem.position) == (case.kind, case.position), str(against.problem)

    # The command line says the same: one error line naming kind and position, exit 1.
    with_checkpoint = ["--checkpoint", str(tamper_master.checkpoint), "--public-key", str(tamper_master.pub)]
    prefix = f"Error: verify: {case.kind} " + (f"position {case.position}: " if case.position is not None else "")
    line = integrity_tools.error_line(integrity_cli(tampered_copy, "verify", *with_checkpoint), 1)
    assert line.startswith(prefix), line
    if case.only_against_checkpoint:
        integrity_cli.ok(tampered_copy, "verify")

    result = integrity_cli(tampered_copy, "verify", "--format", "json", *with_checkpoint)
    assert not integrity_tools.crashed(result) and result.exit_code == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["problem"]["kind"] == case.kind
    assert report["problem"]["position"] == case.position


def test_a_truncated_log_that_grew_again_is_rewritten_against_the_checkpoint(
    tamper_master, tampered_copy, integrity_tools
):
    """Cut the tail and record new events in its place: the chain is whole again, the checkpoint is not."""
    with integrity_tools.tampering(tampered_copy) as con:
        truncate(5)(con)
    with Ledger(tampered_copy, actor="forger") as ledger:
        for i in range(8):
            ledger.register_organisation(f"forged{i}", sector="firm", name_en="Forged")
        assert ledger.count() == N + 3
        assert verify_log(ledger).ok
        problem = verify_log(ledger, cp.load(tamper_master.checkpoint)).problem
    assert problem is not None and problem.kind == "rewritten"


# -- damage the matrix above does not cover: each must be reported, never crash or pass ----------


def _stored_id_as(form: str) -> Tamper:
    """Rewrite the stored aggregate id of position 2500 as the same UUID in another spelling."""

    def tamper(con: sqlite3.Connection) -> None:
        (stored,) = con.execute("SELECT originator_id FROM stored_events WHERE rowid = 2500").fetchone()
        value = {"upper": stored.upper(), "dashed": str(UUID(stored))}[form]
        con.execute("UPDATE stored_events SET originator_id = ? WHERE rowid = 2500", (value,))

    return tamper


def _insert_before_genesis(rowid: int) -> Tamper:
    return lambda con: _insert(con, rowid, like=N // 2)


def _sql(statement: str) -> Tamper:
    return lambda con: con.execute(statement)


ODD_DAMAGE = [
    # A row below position 1 is invisible to a walk that starts at position 1 (but not to the aggregate).
    pytest.param(_insert_before_genesis(0), ("inserted",), 0, id="inserted-at-rowid-0"),
    pytest.param(_insert_before_genesis(-5), ("inserted",), -5, id="inserted-at-negative-rowid"),
    # The same aggregate id spelled differently: the repository no longer finds the event.
    pytest.param(_stored_id_as("upper"), ("modified",), 2500, id="aggregate-id-upper-case"),
    pytest.param(_stored_id_as("dashed"), ("modified",), 2500, id="aggregate-id-with-dashes"),
    # SQLite is dynamically typed: cells of the wrong type must be damage, not a crash.
    pytest.param(_sql("UPDATE stored_events SET state = NULL WHERE rowid = 77"), ("modified",), 77, id="state-null"),
    pytest.param(
        _sql("UPDATE stored_events SET state = CAST(state AS TEXT) WHERE rowid = 77"),
        ("modified", None),
        77,
        id="state-stored-as-text",
    ),
    pytest.param(
        _sql("UPDATE stored_events SET originator_id = 'not-a-uuid' WHERE rowid = 77"),
        ("modified",),
        77,
        id="aggregate-id-not-a-uuid",
    ),
    pytest.param(_sql("UPDATE stored_events SET topic = NULL WHERE rowid = 77"), ("modified",), 77, id="topic-null"),
    pytest.param(
        _sql("UPDATE event_chain SET leaf_hash = hex(leaf_hash) WHERE position = 77"),
        ("chain",),
        77,
        id="leaf-hash-stored-as-hex-text",
    ),
    pytest.param(
        _sql("UPDATE event_chain SET chain_hash = hex(chain_hash) WHERE position = 77"),
        ("chain",),
        77,
        id="chain-hash-stored-as-hex-text",
    ),
]


@pytest.mark.parametrize(("tamper", "kinds", "position"), ODD_DAMAGE)
def test_odd_damage_is_reported_not_missed_or_crashed(
    tamper, kinds, position, tampered_copy, integrity_tools, integrity_cli
):
    with integrity_tools.tampering(tampered_copy) as con:
        tamper(con)
    result = integrity_cli(tampered_copy, "verify")
    assert not integrity_tools.crashed(result), f"verify crashed: {result.exception!r}"
    with Ledger(tampered_copy) as ledger:
        problem = verify_log(ledger).problem
    if None in kinds and problem is None:  # the same bytes in another storage class may count as unchanged
        assert result.exit_code == 0
        return
    assert problem is not None, "the damage went unnoticed"
    assert (problem.kind, problem.position) == (kinds[0], position), str(problem)
    integrity_tools.error_line(result, 1, f"verify: {kinds[0]} position {position}:")


def test_verify_of_a_ledger_that_is_being_written_reports_no_damage(tampered_copy, monkeypatch):
    """An auditor verifies the live ledger while the office records a new event between two pages of the walk."""
    with Ledger(tampered_copy) as ledger, Ledger(tampered_copy, actor="office") as office:
        original = ledger.recorder._paged
        pages: list[int] = []

        def page_then_write(*args, **kwargs):
            for n, row in enumerate(original(*args, **kwargs), start=1):
                if n % 1000 == 0:  # between pages of the walk
                    if len(pages) == 1:
                        office.register_organisation("late-arrival", sector="firm", name_en="Late")
                    pages.append(1)
                yield row

        monkeypatch.setattr(ledger.recorder, "_paged", page_then_write)
        report = verify_log(ledger)
    assert len(pages) >= 2, "the walk did not page; the race was not exercised"
    assert report.ok, f"a concurrent append was reported as damage: {report.problem}"
    assert report.size in (N, N + 1)
