"""Reliability: a randomized tamper matrix. Every damage is found, at its first position, with its kind.

One master ledger of ``N`` events (``tests.integrity.test_tamper.generated_records``)
is built once per module in six appends, with a signed checkpoint taken after
each (sizes 41 .. N). Each case copies the file, drops the append-only triggers
with ``sqlite3``, damages the copy, and checks ``verify_log`` against one of the
checkpoints (all of which were taken before the damage):

- byte flips in an event's state, topic, aggregate id or version (``modified``),
  in a chain row's leaf or chain hash (``chain``);
- deleted rows: the event (``missing``), its chain row (``inserted``: the event is
  no longer vouched for by the chain), both (``missing``), or the event with the
  later ones moved up (``missing``);
- inserted rows: a forged event with no chain row, at the end or pushing the
  later ones down (``inserted``); a forged event with a forged, correctly hashed
  chain row pushing the later events and chain rows down (``inserted``);
- two events swapped (``reordered`` at the first of the two);
- the last k events and their chain rows cut off (``truncated``, only against a
  checkpoint of more than N - k events);
- an event edited and its leaf and every later chain hash recomputed
  (``rewritten``, only against a checkpoint that covers the event).

Cases are drawn from ``random.Random(f"{seed}:{index}")``: the seed is printed
and recorded in the tally's note, and one case reruns alone with
``NETLEDGER_TAMPER_SEED=S NETLEDGER_TAMPER_CASE=I``. Every 10th case also goes
through ``netledger verify --checkpoint ... --public-key ... --format json``.
A small sample runs on PostgreSQL too (triggers switched off by the superuser).
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from uuid import uuid4

import pytest
from click.testing import CliRunner

from cli.main import cli
from domain.integrity import checkpoint as cp
from domain.integrity.chain import chain_rows, event_leaf, next_chain
from domain.integrity.proofs import checkpoint_of
from domain.integrity.verify import verify_log
from domain.ledger import Ledger
from tests.integrity.conftest import copy_db, crashed, tampering
from tests.integrity.test_tamper import (
    N,
    _insert,
    _shift,
    delete_and_renumber,
    delete_event,
    generated_records,
    insert_and_renumber,
    insert_at_end,
    rewrite_consistently,
    swap,
    truncate,
)
from tests.reliability.conftest import FULL, trials

TRIALS = trials(50, 1000)
#: A fixed seed for the fast run (stable CI); the full run draws a new one unless told.
SEED = int(os.environ.get("NETLEDGER_TAMPER_SEED") or (time.time_ns() % 10**9 if FULL else 61_962))
ONLY = os.environ.get("NETLEDGER_TAMPER_CASE")
CLI_EVERY = 10

Tamper = Callable[[sqlite3.Connection], None]


@dataclass(frozen=True)
class Master:
    path: Path
    checkpoints: dict[int, Path]  # size -> signed checkpoint file
    pub: Path


@pytest.fixture(scope="module")
def master(tmp_path_factory: pytest.TempPathFactory) -> Master:
    folder = tmp_path_factory.mktemp("tampering-master")
    key, pub = cp.keygen(folder / "auditor.key")
    orgs, awards, rest = generated_records()
    appends = [orgs, awards[:500], awards[500:1500], awards[1500:], rest[:459], rest[459:]]
    path = folder / "master.db"
    checkpoints: dict[int, Path] = {}
    with Ledger(path, actor="generator", create=True, name="tampering") as ledger:
        for batch in appends:
            ledger.append(batch)
            size = ledger.count()
            out = folder / f"at-{size}.checkpoint"
            out.write_text(cp.sign(checkpoint_of(ledger), key).text(), encoding="utf-8")
            checkpoints[size] = out
        assert ledger.count() == N
    assert sorted(checkpoints) == [41, 541, 1541, 2041, 2500, N]
    return Master(path, checkpoints, pub)


# -- damage of our own (the rest comes from tests/integrity/test_tamper.py) --------------------


def _flip_text(text: str, offset: int, bit: int) -> str:
    i = offset % len(text)
    return text[:i] + chr(ord(text[i]) ^ (1 << bit)) + text[i + 1 :]


def flip_event(p: int, column: str, offset: int, bit: int) -> Tamper:
    """Flip one bit of the stored event at *p*: a byte of its state, a character of its topic or id, its version."""

    def tamper(con: sqlite3.Connection) -> None:
        (value,) = con.execute(f"SELECT {column} FROM stored_events WHERE rowid = ?", (p,)).fetchone()
        if isinstance(value, bytes):
            data = bytearray(value)
            data[offset % len(data)] ^= 1 << bit
            new: object = bytes(data)
        elif isinstance(value, int):
            new = value ^ (1 << (bit % 6))
        else:
            new = _flip_text(value, offset, bit % 7)  # stays ASCII, never equal
        con.execute(f"UPDATE stored_events SET {column} = ? WHERE rowid = ?", (new, p))

    return tamper


def flip_hash(p: int, column: str, offset: int, bit: int) -> Tamper:
    def tamper(con: sqlite3.Connection) -> None:
        data = bytearray(con.execute(f"SELECT {column} FROM event_chain WHERE position = ?", (p,)).fetchone()[0])
        data[offset % 32] ^= 1 << bit
        con.execute(f"UPDATE event_chain SET {column} = ? WHERE position = ?", (bytes(data), p))

    return tamper


def delete_chain_row(p: int) -> Tamper:
    return lambda con: con.execute("DELETE FROM event_chain WHERE position = ?", (p,))


def insert_with_chain_row(p: int, like: int) -> Tamper:
    """A forged event at *p*, with a chain row hashed correctly from p - 1; the later rows move down by one."""

    def tamper(con: sqlite3.Connection) -> None:
        _shift(con, "stored_events", "rowid", p - 1, 1)
        _shift(con, "event_chain", "position", p - 1, 1)
        _shift(con, "event_chain", "prev_position", p - 2, 1)
        _insert(con, p, like=like if like < p else like + 1)
        oid, version, topic, state = con.execute(
            "SELECT originator_id, originator_version, topic, state FROM stored_events WHERE rowid = ?", (p,)
        ).fetchone()
        previous = con.execute("SELECT chain_hash FROM event_chain WHERE position = ?", (p - 1,)).fetchone()
        leaf = event_leaf(p, oid, version, topic, bytes(state))
        chain = next_chain(bytes(previous[0]) if previous else bytes(32), leaf)
        con.execute("INSERT INTO event_chain VALUES (?, ?, ?, ?)", (p, p - 1 if p > 1 else None, leaf, chain))

    return tamper


# -- the cases -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    index: int
    name: str
    tamper: Tamper
    kind: str
    position: int | None
    checkpoint: int  # the size of the checkpoint it is checked against
    only_against_checkpoint: bool = False

    def __str__(self) -> str:
        where = "" if self.position is None else f" position {self.position}"
        return (
            f"case {self.index} ({self.name}; expect {self.kind}{where} against the checkpoint of size "
            f"{self.checkpoint}; rerun: NETLEDGER_TAMPER_SEED={SEED} NETLEDGER_TAMPER_CASE={self.index})"
        )


def _position_case(rng: random.Random, shape: str) -> tuple[str, Tamper, str, int]:
    p = rng.choice([1, N, *[rng.randint(1, N)] * 6])
    offset, bit = rng.randrange(10_000), rng.randrange(8)
    if shape in ("state", "topic", "originator_id", "originator_version"):
        return f"flip-{shape}-{p}-{offset}-{bit}", flip_event(p, shape, offset, bit), "modified", p
    if shape in ("leaf_hash", "chain_hash"):
        return f"flip-{shape}-{p}-{offset}-{bit}", flip_hash(p, shape, offset, bit), "chain", p
    if shape == "delete-event":
        return f"delete-event-{p}", delete_event(p), "missing", p
    if shape == "delete-chain-row":
        return f"delete-chain-row-{p}", delete_chain_row(p), "inserted", p
    if shape == "delete-both":
        p = min(p, N - 1)  # the last event and its chain row gone is a truncation
        return f"delete-event-and-chain-row-{p}", delete_event(p, chain_row=True), "missing", p
    if shape == "delete-renumber":
        p = min(p, N - 1)
        return f"delete-event-renumber-{p}", delete_and_renumber(p), "missing", p
    if shape == "insert-at-end":
        return "insert-at-end-without-chain-row", insert_at_end(), "inserted", N + 1
    if shape == "insert-renumber":
        p = min(p, N - 1)
        return f"insert-renumber-{p}", insert_and_renumber(p), "inserted", p
    if shape == "insert-with-chain-row":
        like = rng.randint(1, N)
        return f"insert-with-chain-row-{p}-like-{like}", insert_with_chain_row(p, like), "inserted", p
    if shape == "swap":
        p, q = sorted(rng.sample(range(1, N + 1), 2))
        if rng.random() < 0.2:
            q = p + 1 if p < N else p - 1
            p, q = sorted((p, q))
        return f"swap-{p}-{q}", swap(p, q), "reordered", p
    raise AssertionError(shape)


SHAPES = [
    "state",
    "topic",
    "originator_id",
    "originator_version",
    "leaf_hash",
    "chain_hash",
    "delete-event",
    "delete-chain-row",
    "delete-both",
    "delete-renumber",
    "insert-at-end",
    "insert-renumber",
    "insert-with-chain-row",
    "swap",
    "truncate",
    "rewrite",
]


def make_case(index: int, sizes: list[int]) -> Case:
    rng = random.Random(f"{SEED}:{index}")
    shape = SHAPES[index % len(SHAPES)]
    if shape == "truncate":
        k = rng.choice([rng.randint(1, 10), rng.randint(1, N)])
        size = rng.choice([s for s in sizes if s > N - k])
        return Case(index, f"truncate-last-{k}", truncate(k), "truncated", N - k + 1, size, True)
    if shape == "rewrite":
        p = rng.randint(1, N)
        size = rng.choice([s for s in sizes if s >= p])
        return Case(index, f"rewrite-consistently-from-{p}", rewrite_consistently(p), "rewritten", None, size, True)
    name, tamper, kind, position = _position_case(rng, shape)
    return Case(index, name, tamper, kind, position, rng.choice(sizes))


def test_every_tampering_is_found_at_its_first_position(master: Master, tmp_path: Path, tally) -> None:
    sizes = sorted(master.checkpoints)
    indices = [int(ONLY)] if ONLY else range(TRIALS)
    cases = [make_case(i, sizes) for i in indices]
    print(f"tampering: seed {SEED}, {len(cases)} case(s)")
    runner = CliRunner()
    detected, tracebacks, failures = 0, 0, []
    for case in cases:
        copy = copy_db(master.path, tmp_path / "case.db")
        with tampering(copy) as con:
            case.tamper(con)
        checkpoint_path = master.checkpoints[case.checkpoint]
        try:
            with Ledger(copy) as ledger:
                against = verify_log(ledger, cp.load(checkpoint_path))
                alone = verify_log(ledger) if case.only_against_checkpoint else against
        except Exception as exc:  # a crash is a failure of its own, counted and reported
            tracebacks += 1
            failures.append(f"{case}: verify_log raised {exc!r}")
            continue
        found = against.problem
        right = found is not None and (found.kind, found.position) == (case.kind, case.position)
        if case.only_against_checkpoint and not alone.ok:
            right = False
            failures.append(f"{case}: consistent damage should verify on its own, got {alone.problem}")
        elif not right:
            failures.append(f"{case}: got {found}")
        if right and case.index % CLI_EVERY == 0:
            args = ["--db", str(copy), "verify", "--checkpoint", str(checkpoint_path), "--public-key", str(master.pub)]
            result = runner.invoke(cli, [*args, "--format", "json"])
            if crashed(result):
                tracebacks += 1
                right = False
                failures.append(f"{case}: netledger verify crashed: {result.exception!r}")
            else:
                problem = json.loads(result.stdout)["problem"] if result.stdout.startswith("{") else None
                if (
                    result.exit_code != 1
                    or problem is None
                    or (problem["kind"], problem["position"])
                    != (
                        case.kind,
                        case.position,
                    )
                ):
                    right = False
                    failures.append(f"{case}: netledger verify exit {result.exit_code}: {result.stdout[:300]}")
        detected += right
    tally.add("tampering", trials=len(cases), detected=detected, tracebacks=tracebacks, note=f"seed {SEED}")
    assert not failures, f"{len(failures)} of {len(cases)} case(s) failed (seed {SEED}):\n" + "\n".join(failures[:20])
    assert detected == len(cases)


def test_the_matrix_covers_every_kind_of_damage() -> None:
    """The round-robin over shapes gives every kind at least three cases even in the fast run."""
    sizes = [41, 541, 1541, 2041, 2500, N]
    kinds = [make_case(i, sizes).kind for i in range(TRIALS)]
    for kind in ("modified", "chain", "missing", "inserted", "reordered", "truncated", "rewritten"):
        assert kinds.count(kind) >= 3, kind


def test_a_case_is_the_same_when_drawn_again() -> None:
    sizes = [41, 541, 1541, 2041, 2500, N]
    assert [str(make_case(i, sizes)) for i in range(40)] == [str(make_case(i, sizes)) for i in range(40)]


# -- a small sample on PostgreSQL ----------------------------------------------------------------

PG_N = 241  # the organisations and the first 200 grants
PG_SHAPES = ["state", "delete-event", "delete-both", "swap", "chain_hash", "truncate", "rewrite"]


@dataclass(frozen=True)
class PgMaster:
    server: object
    dbname: str
    checkpoints: dict[int, Path]
    pub: Path


@pytest.fixture(scope="module")
def pg_master(pg_server, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("tampering-pg")
    key, pub = cp.keygen(folder / "auditor.key")
    url = pg_server.create_database("tamper_master")
    orgs, awards, _ = generated_records()
    checkpoints: dict[int, Path] = {}
    with Ledger(url, actor="generator", create=True, name="tampering-pg") as ledger:
        for batch in (orgs, awards[:200]):
            ledger.append(batch)
            out = folder / f"at-{ledger.count()}.checkpoint"
            out.write_text(cp.sign(checkpoint_of(ledger), key).text(), encoding="utf-8")
            checkpoints[ledger.count()] = out
    assert sorted(checkpoints) == [41, PG_N]
    yield PgMaster(pg_server, url.rsplit("/", 1)[1], checkpoints, pub)
    pg_server.drop_database(url)


def pg_damage(con, shape: str, rng: random.Random, sizes: list[int]) -> tuple[str, str, int | None, int]:
    """Damage the PostgreSQL copy on *con*; returns (name, kind, position, checkpoint size)."""
    p = rng.randint(1, PG_N - 1)
    size = rng.choice(sizes)
    events, where = "netledger_events", "notification_id"
    if shape == "state":
        (state,) = con.execute(f"SELECT state FROM {events} WHERE {where} = %s", (p,)).fetchone()
        data = bytearray(state)
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        con.execute(f"UPDATE {events} SET state = %s WHERE {where} = %s", (bytes(data), p))
        return f"flip-state-{p}", "modified", p, size
    if shape == "chain_hash":
        (chain,) = con.execute("SELECT chain_hash FROM event_chain WHERE position = %s", (p,)).fetchone()
        data = bytearray(chain)
        data[rng.randrange(32)] ^= 1 << rng.randrange(8)
        con.execute("UPDATE event_chain SET chain_hash = %s WHERE position = %s", (bytes(data), p))
        return f"flip-chain-hash-{p}", "chain", p, size
    if shape in ("delete-event", "delete-both"):
        con.execute(f"DELETE FROM {events} WHERE {where} = %s", (p,))
        if shape == "delete-both":
            con.execute("DELETE FROM event_chain WHERE position = %s", (p,))
        return f"{shape}-{p}", "missing", p, size
    if shape == "swap":
        p, q = sorted(rng.sample(range(1, PG_N + 1), 2))
        con.execute(f"UPDATE {events} SET {where} = -1 WHERE {where} = %s", (p,))
        con.execute(f"UPDATE {events} SET {where} = %s WHERE {where} = %s", (p, q))
        con.execute(f"UPDATE {events} SET {where} = %s WHERE {where} = -1", (q,))
        return f"swap-{p}-{q}", "reordered", p, size
    if shape == "truncate":
        k = rng.randint(1, PG_N)
        for table, column in ((events, where), ("event_chain", "position"), ("event_index", "position")):
            con.execute(f"DELETE FROM {table} WHERE {column} > %s", (PG_N - k,))
        return f"truncate-last-{k}", "truncated", PG_N - k + 1, rng.choice([s for s in sizes if s > PG_N - k])
    assert shape == "rewrite"
    (state,) = con.execute(f"SELECT state FROM {events} WHERE {where} = %s", (p,)).fetchone()
    edited = json.loads(bytes(state))
    edited["note"] = "quietly edited"
    con.execute(
        f"UPDATE {events} SET state = %s WHERE {where} = %s", (json.dumps(edited, separators=(",", ":")).encode(), p)
    )
    prev = con.execute("SELECT position, chain_hash FROM event_chain WHERE position = %s", (p - 1,)).fetchone()
    rows = con.execute(
        f"SELECT {where}, originator_id, originator_version, topic, state FROM {events} WHERE {where} >= %s "
        f"ORDER BY {where}",
        (p,),
    ).fetchall()
    for position, _, leaf, chain in chain_rows(
        [(r[0], r[1], r[2], r[3], bytes(r[4])) for r in rows], (prev[0], bytes(prev[1])) if prev else None
    ):
        con.execute(
            "UPDATE event_chain SET leaf_hash = %s, chain_hash = %s WHERE position = %s", (leaf, chain, position)
        )
    return f"rewrite-consistently-from-{p}", "rewritten", None, rng.choice([s for s in sizes if s >= p])


def test_tampering_on_postgresql_is_found_too(pg_master: PgMaster, tally) -> None:
    import psycopg

    server = pg_master.server
    sizes = sorted(pg_master.checkpoints)
    n = trials(len(PG_SHAPES), 5 * len(PG_SHAPES))
    print(f"tampering (postgresql): seed {SEED}, {n} case(s)")
    detected, tracebacks, failures = 0, 0, []
    for index in range(n):
        rng = random.Random(f"{SEED}:pg:{index}")
        shape = PG_SHAPES[index % len(PG_SHAPES)]
        name = f"case_{uuid4().hex[:12]}"
        server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{pg_master.dbname}"')
        url = server.url(name)
        try:
            with psycopg.connect(url) as con:
                for table in ("netledger_events", "event_chain", "event_index"):
                    con.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
                label, kind, position, size = pg_damage(con, shape, rng, sizes)
            case = f"pg case {index} ({label}; expect {kind} {position} against size {size}; seed {SEED})"
            try:
                with Ledger(url) as ledger:
                    found = verify_log(ledger, cp.load(pg_master.checkpoints[size])).problem
                    alone = verify_log(ledger) if kind in ("truncated", "rewritten") else None
            except Exception as exc:
                tracebacks += 1
                failures.append(f"{case}: verify_log raised {exc!r}")
                continue
            right = found is not None and (found.kind, found.position) == (kind, position)
            if alone is not None and not alone.ok:
                right = False
            if not right:
                failures.append(f"{case}: got {found} (alone: {alone and alone.problem})")
            detected += right
        finally:
            server.drop_database(url)
    tally.add("tampering (postgresql)", trials=n, detected=detected, tracebacks=tracebacks, note=f"seed {SEED}")
    assert not failures, "\n".join(failures[:20])
