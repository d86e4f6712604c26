"""The premise of every tamper test: while the triggers are there, SQL cannot edit the log.

A direct ``UPDATE`` or ``DELETE`` on ``stored_events``, ``event_index`` or
``event_chain`` fails and leaves the row as it was; the tamper tests therefore
start by dropping the triggers, which is what someone with write access to
the file would have to do.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

TABLES = {
    "stored_events": ("rowid = 5", "state = CAST('{}' AS BLOB)"),
    "event_index": ("position = 5", "originator_version = 99"),
    "event_chain": ("position = 5", "chain_hash = zeroblob(32)"),
}


def test_every_append_only_trigger_exists(integrity_demo_master, integrity_tools):
    with closing(sqlite3.connect(str(integrity_demo_master))) as con:
        names = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert set(integrity_tools.TRIGGERS) <= names


@pytest.mark.parametrize("table", sorted(TABLES))
@pytest.mark.parametrize("verb", ["UPDATE", "DELETE"])
def test_direct_sql_update_and_delete_fail(integrity_demo_db, integrity_tools, table, verb):
    where, assignment = TABLES[table]
    before = integrity_tools.raw_rows(integrity_demo_db, table)
    statement = f"UPDATE {table} SET {assignment} WHERE {where}" if verb == "UPDATE" else f"DELETE FROM {table}"
    with closing(sqlite3.connect(str(integrity_demo_db))) as con:
        with pytest.raises(sqlite3.IntegrityError, match=f"netledger: {table} is append-only"):
            con.execute(statement)
        con.commit()
    assert integrity_tools.raw_rows(integrity_demo_db, table) == before


def test_the_tamper_helper_really_lifts_the_protection(integrity_demo_db, integrity_tools):
    """The counter-test: once the triggers are dropped, the same statements go through."""
    with integrity_tools.tampering(integrity_demo_db) as con:
        con.execute("DELETE FROM event_chain WHERE position = 43")
        con.execute("UPDATE stored_events SET topic = 'x' WHERE rowid = 1")
    assert len(integrity_tools.raw_rows(integrity_demo_db, "event_chain")) == 42
    assert integrity_tools.raw_event(integrity_demo_db, 1)[2] == "x"
