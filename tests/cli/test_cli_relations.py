"""Successful ``partnership``, ``agreement`` and ``support`` commands, read back through the library."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from domain.agreement import Agreement
from domain.ledger import Ledger
from domain.partnership import Partnership
from domain.support import Support

# -- partnership ---------------------------------------------------------------------------


def test_partnership_form_prints_its_id(run, seeded, h):
    result = run(
        "partnership",
        "form",
        "--party",
        "a:convenor",
        "--party",
        "b",
        "--party",
        "c:member",
        "--title",
        "Gangso support group",
        "--effective",
        "2019-10",
        "--source",
        "https://imaeil.com/x",
        "--note",
        "from Oct 2019",
    )
    new_id = h.printed_id(result)
    line = h.recorded(result)
    assert line["type"] == "partnership.formed"
    assert line["event_id"] == new_id  # a partnership's id is the id of the event that formed it
    with Ledger(seeded) as ledger:
        p = ledger.get(UUID(new_id))
        assert isinstance(p, Partnership) and p.exists and p.ended is None
        assert [(x.key, x.role) for x in p.parties] == [("a", "convenor"), ("b", None), ("c", "member")]
        formed = p.formed
        assert formed.title == "Gangso support group"
        assert str(formed.effective) == "2019-10" and formed.effective.precision == "month"
        assert (formed.source, formed.note) == ("https://imaeil.com/x", "from Oct 2019")
        assert ledger.find(new_id)[0] == int(line["position"]) == ledger.count()


def test_partnership_form_with_a_given_event_id(run, seeded, h):
    event_id = "6a1a6b8e-0000-4000-8000-000000000001"
    result = run("partnership", "form", "--party", "a", "--party", "b", "--effective", "2019", "--event-id", event_id)
    assert h.printed_id(result) == event_id
    with Ledger(seeded) as ledger:
        assert isinstance(ledger.get(UUID(event_id)), Partnership)


def test_partnership_end(run, world, h):
    result = run("partnership", "end", world["P"], "--effective", "2020-03-31", "--note", "wound up")
    line = h.recorded(result)
    assert result.stdout == ""
    assert line["type"] == "partnership.ended"
    with Ledger(run.db) as ledger:
        p = ledger.get(UUID(world["P"]))
        assert str(p.ended) == "2020-03-31"
        assert str(p.ended_event.event_id) == line["event_id"]
        assert p.ended_event.note == "wound up"


# -- agreement -----------------------------------------------------------------------------


def test_agreement_sign_prints_its_id(run, seeded, h):
    result = run(
        "agreement",
        "sign",
        "--kind",
        "consortium",
        "--title",
        "Battery recycling consortium",
        "--party",
        "a:lead",
        "--party",
        "b:member",
        "--term-end",
        "2023-08",
        "--effective",
        "2019-07-24",
        "--source",
        "mou.pdf",
    )
    new_id = h.printed_id(result)
    line = h.recorded(result)
    assert (line["type"], line["event_id"]) == ("agreement.signed", new_id)
    with Ledger(seeded) as ledger:
        a = ledger.get(UUID(new_id))
        assert isinstance(a, Agreement) and a.exists
        assert a.signed.kind == "consortium"
        assert a.title == "Battery recycling consortium"
        assert [str(p) for p in a.parties] == ["a:lead", "b:member"]
        assert str(a.term_end) == "2023-08"
        assert str(a.start) == "2019-07-24"
        assert a.signed.source == "mou.pdf"


def test_agreement_amend_changes_only_what_is_given(run, world, h):
    agreement_id = world["A"]
    h.recorded(run("agreement", "amend", agreement_id, "--title", "MOU (renewed)", "--effective", "2020"))
    with Ledger(run.db) as ledger:
        a = ledger.get(UUID(agreement_id))
        assert a.title == "MOU (renewed)"
        assert [p.key for p in a.parties] == ["a", "b"]
        assert str(a.term_end) == "2022"
    line = h.recorded(
        run(
            "agreement",
            "amend",
            agreement_id,
            "--party",
            "a:lead",
            "--party",
            "c:funder",
            "--term-end",
            "2024-12-31",
            "--effective",
            "2021-01",
        )
    )
    assert line["type"] == "agreement.amended"
    with Ledger(run.db) as ledger:
        a = ledger.get(UUID(agreement_id))
        assert a.title == "MOU (renewed)"
        assert [str(p) for p in a.parties] == ["a:lead", "c:funder"]
        assert str(a.term_end) == "2024-12-31"
        assert len(a.amendments) == 2


def test_agreement_terminate(run, world, h):
    line = h.recorded(run("agreement", "terminate", world["A"], "--effective", "2021-06"))
    assert line["type"] == "agreement.terminated"
    with Ledger(run.db) as ledger:
        a = ledger.get(UUID(world["A"]))
        assert str(a.terminated.effective) == "2021-06"
        assert str(a.terminated.event_id) == line["event_id"]


# -- support --------------------------------------------------------------------------------


def test_support_award_records_every_field(run, seeded, h):
    result = run(
        "support",
        "award",
        "--kind",
        "grant",
        "--funder",
        "c:funder",
        "--recipient",
        "a:lead",
        "--recipient",
        "b",
        "--programme",
        "prog",
        "--amount",
        "7200000000",
        "--currency",
        "krw",
        "--planned-start",
        "2019-10",
        "--planned-end",
        "2020-09",
        "--title",
        "Annual budget",
        "--description",
        "incl. KRW 6bn national funds",
        "--reference",
        "GR-2019-1",
        "--effective",
        "2019-09-23",
    )
    new_id = h.printed_id(result)
    line = h.recorded(result)
    assert (line["type"], line["event_id"]) == ("support.awarded", new_id)
    with Ledger(seeded) as ledger:
        s = ledger.get(UUID(new_id))
        assert isinstance(s, Support)
        award = s.awarded
        assert award.kind == "grant"
        assert [str(p) for p in award.funders] == ["c:funder"]
        assert [str(p) for p in award.recipients] == ["a:lead", "b"]
        assert award.programme == "prog"
        assert award.amount == Decimal("7200000000") and str(award.amount) == "7200000000"
        assert award.currency == "KRW"
        assert (str(award.planned_start), str(award.planned_end)) == ("2019-10", "2020-09")
        assert (award.title, award.description, award.reference) == (
            "Annual budget",
            "incl. KRW 6bn national funds",
            "GR-2019-1",
        )
        assert str(award.effective) == "2019-09-23"


def test_support_award_keeps_decimal_amounts_exact(run, seeded, h):
    new_id = h.printed_id(
        run(
            "support",
            "award",
            "--kind",
            "loan",
            "--funder",
            "c",
            "--recipient",
            "a",
            "--amount",
            "0.10",
            "--currency",
            "USD",
            "--effective",
            "2020",
        )
    )
    with Ledger(seeded) as ledger:
        assert str(ledger.get(UUID(new_id)).amount) == "0.1"  # exact value, one spelling


def test_support_award_designation_without_money(run, seeded, h):
    new_id = h.printed_id(
        run("support", "award", "--kind", "designation", "--funder", "c", "--recipient", "prog", "--effective", "2019")
    )
    with Ledger(seeded) as ledger:
        s = ledger.get(UUID(new_id))
        assert s.awarded.kind == "designation" and s.amount is None and s.currency is None


def test_support_amend(run, world, h):
    result = run(
        "support", "amend", world["S"], "--amount", "1500", "--planned-end", "2021-06", "--effective", "2019-12"
    )
    line = h.recorded(result)
    assert line["type"] == "support.amended"
    assert result.stdout == ""  # only creation commands print an id
    with Ledger(run.db) as ledger:
        s = ledger.get(UUID(world["S"]))
        assert s.amount == Decimal("1500") and s.currency == "KRW"  # the currency stays the award's
        assert str(s.planned_end) == "2021-06"
        assert str(s.planned_start) == "2019"


def test_support_disburse(run, world, h):
    first = h.recorded(
        run("support", "disburse", world["S"], "--amount", "400", "--currency", "KRW", "--effective", "2019-04")
    )
    second = h.recorded(
        run("support", "disburse", world["S"], "--amount", "100.5", "--currency", "KRW", "--effective", "2019-05-02")
    )
    assert first["type"] == second["type"] == "support.disbursed"
    with Ledger(run.db) as ledger:
        s = ledger.get(UUID(world["S"]))
        assert [str(d.amount) for d in s.disbursed] == ["400", "100.5"]
        assert s.total_disbursed == Decimal("500.5")


def test_support_end(run, world, h):
    result = run("support", "end", world["D"], "--effective", "2023-08")
    line = h.recorded(result)
    assert result.stdout == ""
    assert line["type"] == "support.ended"
    with Ledger(run.db) as ledger:
        s = ledger.get(UUID(world["D"]))
        assert isinstance(s.closed, Support.Ended) and str(s.closed.effective) == "2023-08"


def test_support_withdraw(run, world, h):
    line = h.recorded(run("support", "withdraw", world["S"], "--effective", "2019-06", "--note", "cancelled"))
    assert line["type"] == "support.withdrawn"
    with Ledger(run.db) as ledger:
        s = ledger.get(UUID(world["S"]))
        assert isinstance(s.closed, Support.Withdrawn) and s.closed.note == "cancelled"
