"""Bring a ledger from before the hash chain (schema 1) up to schema 2, once, on request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from domain.errors import RuleViolation
from domain.integrity.chain import CREATE_CHAIN, chain_rows
from domain.storage import SCHEMA_VERSION
from domain.storage.sqlite import LedgerSQLiteRecorder

if TYPE_CHECKING:
    from domain.ledger import Ledger


def migrate(ledger: Ledger) -> dict[str, Any]:
    """Write the chain rows of every existing event and the append-only triggers, in one transaction.

    Records when it ran (``chain_migrated_at``) and how many events it hashed.
    A ledger already at the current schema is left alone.
    """
    if not ledger.needs_migration:
        return {"migrated": False, "schema_version": SCHEMA_VERSION, "events": 0}
    recorder = ledger.recorder
    assert isinstance(recorder, LedgerSQLiteRecorder), "schema 1 ledgers exist only on SQLite"
    now = datetime.now(UTC).isoformat()
    with recorder.datastore.transaction(commit=True) as c:
        for statement in CREATE_CHAIN:
            c.execute(statement)
        c.execute("SELECT COUNT(*) FROM event_chain")
        if c.fetchone()[0]:
            raise RuleViolation(
                "db",
                "the ledger says schema 1 but already has chain rows: it was altered",
                "run 'netledger verify' and restore from a trusted export",
            )
        c.execute("SELECT rowid, originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid")
        rows = [(r[0], r[1], r[2], r[3], bytes(r[4])) for r in c.fetchall()]
        chained = list(chain_rows(rows, None))
        c.executemany("INSERT INTO event_chain VALUES (?,?,?,?)", chained)
        c.executemany(
            "INSERT OR REPLACE INTO ledger_meta VALUES (?, ?)",
            [
                ("schema_version", str(SCHEMA_VERSION)),
                ("chain_migrated_at", now),
                ("chain_migrated_events", str(len(chained))),
            ],
        )
    ledger.meta = recorder.get_meta()
    ledger.needs_migration = False
    return {"migrated": True, "schema_version": SCHEMA_VERSION, "events": len(chained), "at": now}
