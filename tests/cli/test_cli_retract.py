"""``netledger retract EVENT_ID --reason TEXT``: a correction that never edits the log."""

from __future__ import annotations

import json
import warnings
from uuid import UUID

from click.testing import CliRunner

from cli.main import cli
from domain.ledger import Ledger


def test_retract_an_ending_reopens_the_partnership(run, world, h):
    before = h.snapshot(run.db)
    result = run("retract", world["PE_END"], "--reason", "it never ended", "--source", "letter", "--note", "n")
    line = h.recorded(result)
    assert result.stdout == ""
    assert line["type"] == "partnership.retracted"
    with Ledger(run.db) as ledger:
        assert ledger.count() == before.count + 1
        p = ledger.get(UUID(world["PE"]))
        assert p.ended is None and p.ended_event is None
        retraction = p.history[-1]
        assert str(retraction.event_id) == line["event_id"]
        assert str(retraction.retracted_event_id) == world["PE_END"]
        assert (retraction.reason, retraction.source, retraction.note) == ("it never ended", "letter", "n")
        # the retracted event stays in the log, untouched
        assert ledger.find(world["PE_END"]) is not None
    assert h.snapshot(run.db).events[: before.count] == before.events


def test_retract_a_registration_removes_the_organisation(run, world, h):
    with Ledger(run.db) as ledger:
        registration = ledger.organisation("c").registered.event_id
    line = h.recorded(run("retract", str(registration), "--reason", "duplicate"))
    assert line["type"] == "organisation.retracted"
    with Ledger(run.db) as ledger:
        org = ledger.organisation("c")
        assert not org.exists
        assert org.history[-1].key == "c"


def test_retract_the_creating_event_retracts_the_relation(run, world, h):
    """A relation's id is the id of the event that created it."""
    line = h.recorded(run("retract", world["P"], "--reason", "never existed", "--effective", "2019-02"))
    assert line["type"] == "partnership.retracted"
    result = run("show", world["P"], "--format", "json")
    h.assert_ok(result)
    assert json.loads(result.stdout)["state"]["status"] == "retracted"
    check = h.unchanged(run.db)
    h.assert_error(run("partnership", "end", world["P"], "--effective", "2020"), 1, "id")
    check()


def test_retract_with_an_event_id_retracts_the_argument(run, world, h):
    """--event-id names the new retraction; EVENT_ID stays the event being retracted."""
    retraction_id = "7e7e7e7e-0000-4000-8000-000000000001"
    line = h.recorded(run("retract", world["PE_END"], "--reason", "r", "--event-id", retraction_id))
    assert line["event_id"] == retraction_id
    with Ledger(run.db) as ledger:
        _, event = ledger.find(retraction_id)
        assert str(event.retracted_event_id) == world["PE_END"]


def test_retract_works_where_click_warnings_are_not_errors(run, world, h):
    """What a user's shell sees: pytest turns warnings into errors, a shell does not."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = CliRunner().invoke(cli, ["--db", str(run.db), "retract", world["PE_END"], "--reason", "r"])
    h.recorded(result)
