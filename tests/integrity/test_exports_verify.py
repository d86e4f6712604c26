"""Every export format verifies the chain first: a tampered ledger is refused, naming the position, nothing written."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from domain.ledger import Ledger


@pytest.mark.parametrize("fmt", ["jsonl", "360giving", "graphml", "gexf"])
def test_a_tampered_amount_is_refused_by_every_export(tmp_path: Path, fmt: str) -> None:
    db = tmp_path / "l.db"
    with Ledger(db, actor="t", create=True) as ledger:
        ledger.register_organisation("nrf", sector="funder", name_en="NRF")
        ledger.register_organisation("postech", sector="university", name_en="POSTECH")
        ledger.award_support(
            kind="grant", funders=["nrf"], recipients=["postech"], amount="500", currency="KRW", effective="2020-03-02"
        )
    out = tmp_path / f"out.{fmt}"
    clean = CliRunner().invoke(cli, ["--db", str(db), "export", "--format", fmt, "--out", str(out)])
    assert clean.exit_code == 0, clean.stderr
    out.unlink()
    with sqlite3.connect(db) as con:  # an attacker with the file: the trigger is dropped, the amount raised
        con.execute("DROP TRIGGER stored_events_no_update")
        changed = con.execute(
            'UPDATE stored_events SET state = replace(state, \'"amount":"500"\', \'"amount":"900"\') WHERE rowid = 3'
        ).rowcount
    assert changed == 1
    result = CliRunner().invoke(cli, ["--db", str(db), "export", "--format", fmt, "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ledger: does not verify: modified position 3")
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()
