"""Bring a ledger from an earlier schema up to the current one, once, on request.

- schema 1 (before the hash chain, SQLite only): hash every event as it is into
  ``event_chain`` and add the append-only triggers; mark when (``chain_migrated_at``)
  and how many events (``chain_migrated_events``);
- schema 2 (before sealed meta rows): seal ``ledger_meta`` (``domain.integrity.meta``) and add
  the (empty) ``event_signatures`` table;
  mark when (``sealed_at``).

``migrate`` trusts nothing it can check first. A ledger that says it is older than it
is (a sealed ledger, or one created at a later schema, whose ``schema_version`` was set
back: the way to launder an edited event through a fresh hash chain) is refused, and so
is a schema 1 ledger that already has chain rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from domain.errors import RuleViolation
from domain.integrity.chain import CREATE_CHAIN, chain_rows
from domain.integrity.meta import set_back
from domain.integrity.signatures import CREATE_SIGNATURES
from domain.storage import SCHEMA_VERSION

if TYPE_CHECKING:
    from domain.ledger import Ledger

ALTERED_FIX = "run 'netledger verify' and restore the ledger from a trusted export"


def migrate(ledger: Ledger) -> dict[str, Any]:
    """Bring *ledger* to ``SCHEMA_VERSION`` in one transaction (see the module docstring).

    A ledger at the current schema is left alone.
    """
    if not ledger.needs_migration:
        return {"migrated": False, "schema_version": SCHEMA_VERSION, "events": 0}
    meta = ledger.recorder.get_meta()
    version = int(meta.get("schema_version", "0"))
    problem = set_back(meta)
    if problem is not None:
        raise RuleViolation("db", f"the ledger says schema {version} but {problem}", ALTERED_FIX)
    now = datetime.now(UTC).isoformat()
    marks = {"schema_version": str(SCHEMA_VERSION), "sealed_at": now}
    hashed = 0
    if version == 1:
        hashed = _hash_chain(ledger, marks, now)
    else:
        ledger.recorder.create_missing_tables()  # event_signatures
        ledger.recorder.replace_meta(marks)  # and the seal, in the same transaction
    ledger.meta = ledger.recorder.get_meta()
    ledger.needs_migration = False
    return {"migrated": True, "from": version, "schema_version": SCHEMA_VERSION, "events": hashed, "at": now}


def _hash_chain(ledger: Ledger, marks: dict[str, str], now: str) -> int:
    """Schema 1 up: the chain rows of every stored event, the append-only triggers, the marks and the seal,
    in one transaction."""
    from domain.storage.sqlite import LedgerSQLiteRecorder

    recorder = ledger.recorder
    if not isinstance(recorder, LedgerSQLiteRecorder):
        raise RuleViolation("db", "schema 1 ledgers exist only on SQLite", ALTERED_FIX)
    with recorder.datastore.transaction(commit=True) as c:
        for statement in (*CREATE_CHAIN, *CREATE_SIGNATURES):
            c.execute(statement)
        c.execute("SELECT COUNT(*) FROM event_chain")
        if c.fetchone()[0]:
            problem = "the ledger says schema 1 but already has chain rows: it was altered"
            raise RuleViolation("db", problem, ALTERED_FIX)
        c.execute("SELECT rowid, originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid")
        rows = [(r[0], r[1], r[2], r[3], bytes(r[4])) for r in c.fetchall()]
        chained = list(chain_rows(rows, None))
        c.executemany("INSERT INTO event_chain VALUES (?,?,?,?)", chained)
        marks = {**marks, "chain_migrated_at": now, "chain_migrated_events": str(len(chained))}
        c.executemany("INSERT OR REPLACE INTO ledger_meta VALUES (?, ?)", list(marks.items()))
        recorder.reseal(c)
    return len(chained)
