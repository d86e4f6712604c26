"""Every rule the ledger enforces: the right error, naming the field, in one line, writing nothing.

Each refusal is checked by ``refused``: the error class is exact, ``exc.field``
is the field at fault, ``str(exc)`` is one line that starts with the field and
contains the key phrase, and the ledger's count and raw stored rows (read
straight from SQLite) are identical before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.errors import InputError, LedgerError, RuleViolation
from domain.ledger import Ledger
from domain.session import Outcome

Call = Callable[[], object]
Refused = Callable[[Call, type[LedgerError], str, str], LedgerError]


# -- fixtures and helpers ------------------------------------------------------------------------------------


@pytest.fixture
def net(ledger: Ledger) -> Ledger:
    """a (university), b (firm), c (funder), prog (programme) and gone (firm, dissolved in 2015)."""
    ledger.register_organisation("a", sector="university", name_en="A", effective="1990")
    ledger.register_organisation("b", sector="firm", name_en="B")
    ledger.register_organisation("c", sector="funder", name_ko="씨")
    ledger.register_organisation("prog", sector="programme", name_en="Programme")
    ledger.register_organisation("gone", sector="firm", name_en="Gone")
    ledger.dissolve_organisation("gone", effective="2015")
    return ledger


@pytest.fixture
def refused(
    ledger: Ledger, snapshot: Callable[[Ledger], list[Any]], index_rows: Callable[[Ledger], list[Any]]
) -> Refused:
    """``refused(call, cls, field, phrase)``: run *call*, check the refusal and that nothing was written."""

    def check(call: Call, cls: type[LedgerError], field: str, phrase: str) -> LedgerError:
        count, rows, index = ledger.count(), snapshot(ledger), index_rows(ledger)
        with pytest.raises(LedgerError) as info:
            call()
        exc = info.value
        assert type(exc) is cls, f"{type(exc).__name__}: {exc}"
        assert exc.exit_code == (2 if cls is InputError else 1)
        assert exc.field == field, str(exc)
        message = str(exc)
        assert "\n" not in message and "\r" not in message
        assert message.startswith(f"{field}: "), message
        assert phrase in message, message
        assert ledger.count() == count
        assert snapshot(ledger) == rows
        assert index_rows(ledger) == index
        return exc

    return check


def partnership(ledger: Ledger, effective: str = "2019-10") -> Outcome:
    return ledger.form_partnership(["a:lead", "b:member"], effective=effective)


def agreement(ledger: Ledger, effective: str = "2019-10-01") -> Outcome:
    return ledger.sign_agreement(["a", "b"], kind="mou", title="MOU", effective=effective)


def grant(ledger: Ledger, effective: str = "2019-05", **fields: Any) -> Outcome:
    fields = {"kind": "grant", "funders": ["c"], "recipients": ["a"], "amount": "1000", "currency": "KRW", **fields}
    return ledger.award_support(effective=effective, **fields)


def registration(key: str, **fields: Any) -> dict[str, Any]:
    """An ``organisation.registered`` record in the append format."""
    return {
        "type": "organisation.registered",
        "event_id": str(uuid4()),
        "key": key,
        "sector": "firm",
        "name_en": key.upper(),
        **fields,
    }


# -- organisations in relations ------------------------------------------------------------------------------

RELATIONS: dict[str, tuple[Callable[[Ledger, str], object], str]] = {
    "partnership": (lambda led, k: led.form_partnership(["a", k], effective="2019"), "parties[1]"),
    "agreement": (lambda led, k: led.sign_agreement([k, "a"], kind="mou", title="T", effective="2019"), "parties[0]"),
    "support funder": (lambda led, k: grant(led, funders=[k]), "funders[0]"),
    "support recipient": (lambda led, k: grant(led, recipients=["b", k]), "recipients[1]"),
    "support programme": (lambda led, k: grant(led, programme=k), "programme"),
}


@pytest.mark.parametrize("relation", RELATIONS)
def test_relation_with_an_unknown_organisation_is_refused(net: Ledger, refused: Refused, relation: str) -> None:
    make, field = RELATIONS[relation]
    refused(lambda: make(net, "nobody"), RuleViolation, field, "unknown organisation 'nobody'")


@pytest.mark.parametrize("relation", RELATIONS)
def test_relation_with_a_dissolved_organisation_is_refused(net: Ledger, refused: Refused, relation: str) -> None:
    make, field = RELATIONS[relation]
    refused(lambda: make(net, "gone"), RuleViolation, field, "organisation 'gone' is dissolved (since 2015)")


def test_agreement_amended_to_an_unknown_party_is_refused(net: Ledger, refused: Refused) -> None:
    signed = agreement(net)
    refused(
        lambda: net.amend_agreement(signed.aggregate_id, parties=["a", "nobody"], effective="2020"),
        RuleViolation,
        "parties[1]",
        "unknown organisation 'nobody'",
    )


def test_programme_that_is_not_of_sector_programme_is_refused(net: Ledger, refused: Refused) -> None:
    refused(lambda: grant(net, programme="b"), RuleViolation, "programme", "'b' is a firm, not a programme")


def test_programme_of_sector_programme_is_accepted(net: Ledger) -> None:
    out = grant(net, programme="prog")
    assert out.status == "recorded"
    assert out.event.programme == "prog"  # type: ignore[attr-defined]


# -- the parties of a relation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "phrase"),
    [
        (
            lambda led: led.form_partnership(["a"], effective="2019"),
            "a relation needs at least two distinct parties, got 1",
        ),
        (
            lambda led: led.form_partnership(["a", "a:other"], effective="2019"),
            "an organisation appears twice among the parties",
        ),
        (
            lambda led: led.sign_agreement(["b"], kind="mou", title="T", effective="2019"),
            "at least two distinct parties, got 1",
        ),
        (
            lambda led: led.sign_agreement(["b", "b"], kind="mou", title="T", effective="2019"),
            "appears twice among the parties",
        ),
    ],
    ids=["partnership-one-party", "partnership-same-party-twice", "agreement-one-party", "agreement-same-party-twice"],
)
def test_relation_with_fewer_than_two_distinct_parties_is_refused(
    net: Ledger, refused: Refused, make: Callable[[Ledger], object], phrase: str
) -> None:
    refused(lambda: make(net), InputError, "parties", phrase)


def test_agreement_amended_down_to_one_party_is_refused(net: Ledger, refused: Refused) -> None:
    signed = agreement(net)
    refused(
        lambda: net.amend_agreement(signed.aggregate_id, parties=["a"], effective="2020"),
        InputError,
        "parties",
        "at least two distinct parties, got 1",
    )


def test_support_from_an_organisation_to_itself_is_refused(net: Ledger, refused: Refused) -> None:
    refused(
        lambda: grant(net, funders=["a"], recipients=["a"]),
        InputError,
        "recipients",
        "'a' cannot be both funder and recipient",
    )


def test_support_naming_a_funder_twice_is_refused(net: Ledger, refused: Refused) -> None:
    refused(lambda: grant(net, funders=["c", "c:again"]), InputError, "funders", "appears twice among the funders")


def test_support_without_a_funder_is_refused(net: Ledger, refused: Refused) -> None:
    refused(lambda: grant(net, funders=[]), InputError, "funders", "support needs at least one funder")


def test_support_without_a_recipient_is_refused(net: Ledger, refused: Refused) -> None:
    refused(lambda: grant(net, recipients=[]), InputError, "recipients", "support needs at least one recipient")


def test_support_record_without_funders_is_refused(net: Ledger, refused: Refused) -> None:
    record = {"type": "support.awarded", "event_id": str(uuid4()), "effective": "2019", "kind": "grant"}
    record["recipients"] = [{"key": "a"}]
    refused(lambda: net.append([record]), InputError, "line 1: funders", "required field is missing")


# -- closing before the start, closing twice -------------------------------------------------------------------


def test_partnership_ended_before_it_was_formed_is_refused(net: Ledger, refused: Refused) -> None:
    pid = partnership(net, "2019-10").aggregate_id
    refused(
        lambda: net.end_partnership(pid, effective="2019-09"),
        RuleViolation,
        "effective",
        "2019-09 is before the start 2019-10",
    )


def test_agreement_terminated_before_it_was_signed_is_refused(net: Ledger, refused: Refused) -> None:
    aid = agreement(net, "2019-10-01").aggregate_id
    refused(
        lambda: net.terminate_agreement(aid, effective="2019-09-30"),
        RuleViolation,
        "effective",
        "2019-09-30 is before the signing date 2019-10-01",
    )


@pytest.mark.parametrize("verb", ["withdraw_support", "end_support"])
def test_support_closed_before_it_was_awarded_is_refused(net: Ledger, refused: Refused, verb: str) -> None:
    sid = grant(net, "2019-05").aggregate_id
    refused(
        lambda: getattr(net, verb)(sid, effective="2019-04"),
        RuleViolation,
        "effective",
        "2019-04 is before the award date 2019-05",
    )


def test_end_that_may_fall_on_the_start_is_accepted(net: Ledger) -> None:
    # 2019 may mean any day of 2019, so it is not certainly before 2019-10.
    pid = partnership(net, "2019-10").aggregate_id
    assert net.end_partnership(pid, effective="2019").status == "recorded"


def test_partnership_ended_twice_is_refused(net: Ledger, refused: Refused) -> None:
    pid = partnership(net).aggregate_id
    ended = net.end_partnership(pid, effective="2020")
    exc = refused(lambda: net.end_partnership(pid, effective="2021"), RuleViolation, "id", "is already ended (on 2020)")
    assert str(pid) in str(exc)
    assert f"retract event {ended.event.event_id} first" in str(exc)


def test_agreement_terminated_twice_is_refused(net: Ledger, refused: Refused) -> None:
    aid = agreement(net).aggregate_id
    net.terminate_agreement(aid, effective="2020")
    refused(
        lambda: net.terminate_agreement(aid, effective="2021"), RuleViolation, "id", "is already terminated (on 2020)"
    )


def test_support_withdrawn_after_it_ended_is_refused(net: Ledger, refused: Refused) -> None:
    sid = grant(net).aggregate_id
    net.end_support(sid, effective="2020")
    refused(lambda: net.withdraw_support(sid, effective="2021"), RuleViolation, "id", "is already ended (on 2020)")


def test_support_ended_after_it_was_withdrawn_is_refused(net: Ledger, refused: Refused) -> None:
    sid = grant(net).aggregate_id
    net.withdraw_support(sid, effective="2020")
    refused(lambda: net.end_support(sid, effective="2021"), RuleViolation, "id", "is already withdrawn (on 2020)")


# -- money ---------------------------------------------------------------------------------------------------


def test_amount_without_currency_is_refused(net: Ledger, refused: Refused) -> None:
    refused(
        lambda: grant(net, amount="1000", currency=None),
        InputError,
        "currency",
        "an amount needs its ISO 4217 currency",
    )


def test_currency_without_amount_is_refused(net: Ledger, refused: Refused) -> None:
    refused(lambda: grant(net, amount=None, currency="KRW"), InputError, "amount", "a currency needs an amount")


def test_amendment_with_currency_but_no_amount_is_refused(net: Ledger, refused: Refused) -> None:
    sid = grant(net).aggregate_id
    refused(
        lambda: net.amend_support(sid, currency="USD", effective="2020"),
        InputError,
        "amount",
        "a currency needs an amount",
    )


def test_disbursement_record_with_amount_but_no_currency_is_refused(net: Ledger, refused: Refused) -> None:
    sid = grant(net).aggregate_id
    record = {"type": "support.disbursed", "event_id": str(uuid4()), "aggregate_id": str(sid)}
    record |= {"effective": "2020", "amount": "500"}
    refused(lambda: net.append([record]), InputError, "line 1: currency", "required field is missing")


@pytest.mark.parametrize("how", ["award", "disburse"])
def test_negative_amount_is_refused(net: Ledger, refused: Refused, how: str) -> None:
    call = amount_call(net, how, "-1")
    refused(call, InputError, "amount", "amount -1 is negative")


@pytest.mark.parametrize("value", ["NaN", "nan", "sNaN", "Infinity", "-Infinity", "inf"])
@pytest.mark.parametrize("how", ["award", "disburse"])
def test_non_finite_amount_is_refused(net: Ledger, refused: Refused, how: str, value: str) -> None:
    refused(amount_call(net, how, value), InputError, "amount", "finite number")


@pytest.mark.parametrize("value", [1.5, 1000.0, float("nan"), float("inf")])
@pytest.mark.parametrize("how", ["award", "disburse"])
def test_float_amount_is_refused(net: Ledger, refused: Refused, how: str, value: float) -> None:
    refused(amount_call(net, how, value), InputError, "amount", "give amounts as a string or an integer, not a float")


def test_boolean_amount_is_refused(net: Ledger, refused: Refused) -> None:
    refused(lambda: grant(net, amount=True), InputError, "amount", "amount must be a number")


@pytest.mark.parametrize("how", ["award", "disburse"])
def test_currency_that_is_not_iso_4217_is_refused(net: Ledger, refused: Refused, how: str) -> None:
    refused(amount_call(net, how, "10", currency="XYZ"), InputError, "currency", "unknown currency 'XYZ'")


def test_integer_and_string_amounts_are_kept_exactly(net: Ledger) -> None:
    sid = grant(net, amount="1000.50", currency="krw").aggregate_id
    out = net.disburse_support(sid, amount=250, currency="KRW", effective="2020")
    support = net.get(sid)
    assert str(support.amount) == "1000.5"  # type: ignore[union-attr]
    assert support.currency == "KRW"  # type: ignore[union-attr]
    assert str(out.event.amount) == "250"  # type: ignore[attr-defined]


def amount_call(ledger: Ledger, how: str, amount: Any, currency: str = "KRW") -> Call:
    """Give *amount* either on a new grant or on a disbursement of an existing one."""
    if how == "award":
        return lambda: grant(ledger, amount=amount, currency=currency)
    sid = grant(ledger).aggregate_id
    return lambda: ledger.disburse_support(sid, amount=amount, currency=currency, effective="2020")


@pytest.mark.parametrize("kind", ["designation", "in_kind"])
def test_amount_on_unpriced_support_is_refused(net: Ledger, refused: Refused, kind: str) -> None:
    refused(
        lambda: grant(net, kind=kind, amount="5", currency="KRW"),
        InputError,
        "amount",
        f"{kind} support carries no amount",
    )


@pytest.mark.parametrize("kind", ["designation", "in_kind"])
def test_amount_amended_onto_unpriced_support_is_refused(net: Ledger, refused: Refused, kind: str) -> None:
    sid = grant(net, kind=kind, amount=None, currency=None).aggregate_id
    refused(
        lambda: net.amend_support(sid, amount="5", currency="KRW", effective="2020"),
        RuleViolation,
        "amount",
        f"{kind} support carries no amount",
    )


def test_disbursement_of_a_designation_is_refused(net: Ledger, refused: Refused) -> None:
    sid = grant(net, kind="designation", amount=None, currency=None).aggregate_id
    refused(
        lambda: net.disburse_support(sid, amount="5", currency="KRW", effective="2020"),
        RuleViolation,
        "amount",
        "designation support disburses no money",
    )


# -- closed vocabularies ---------------------------------------------------------------------------------------


def test_unknown_sector_is_refused(net: Ledger, refused: Refused) -> None:
    exc = refused(
        lambda: net.register_organisation("q", sector="ngo", name_en="Q"), InputError, "sector", "unknown value 'ngo'"
    )
    assert "'government'" in str(exc) and "'programme'" in str(exc)


def test_unknown_agreement_kind_is_refused(net: Ledger, refused: Refused) -> None:
    exc = refused(
        lambda: net.sign_agreement(["a", "b"], kind="memo", title="T", effective="2019"),
        InputError,
        "kind",
        "unknown value 'memo'",
    )
    assert "'mou', 'contract', 'consortium' or 'other'" in str(exc)


def test_unknown_support_kind_is_refused(net: Ledger, refused: Refused) -> None:
    exc = refused(lambda: grant(net, kind="gift"), InputError, "kind", "unknown value 'gift'")
    assert "'grant'" in str(exc) and "'designation'" in str(exc)


# -- unknown and missing fields (append) ---------------------------------------------------------------------


def test_unknown_field_in_a_record_is_refused(net: Ledger, refused: Refused) -> None:
    refused(
        lambda: net.append([registration("q", colour="red")]),
        InputError,
        "line 1: colour",
        "unknown field for organisation.registered",
    )


def test_unknown_field_in_a_party_is_refused(net: Ledger, refused: Refused) -> None:
    record = {"type": "partnership.formed", "event_id": str(uuid4()), "effective": "2019"}
    record["parties"] = [{"key": "a"}, {"key": "b", "colour": "red"}]
    refused(lambda: net.append([record]), InputError, "line 1: parties[1]: colour", "unknown field")


def test_unknown_event_type_is_refused(net: Ledger, refused: Refused) -> None:
    record = {"type": "partnership.paused", "event_id": str(uuid4())}
    refused(lambda: net.append([record]), InputError, "line 1: type", "unknown event type 'partnership.paused'")


@pytest.mark.parametrize(
    ("record", "field"),
    [
        ({"type": "organisation.registered", "sector": "firm", "name_en": "Q"}, "key"),
        ({"type": "organisation.renamed", "name_en": "Q"}, "key"),
        ({"type": "organisation.dissolved"}, "key"),
        ({"type": "organisation.retracted", "reason": "mistake"}, "retracted_event_id"),
        ({"type": "support.disbursed", "effective": "2020", "currency": "KRW"}, "amount"),
    ],
    ids=["registered-key", "renamed-key", "dissolved-key", "retracted-target", "disbursed-amount"],
)
def test_record_missing_a_required_field_is_refused(
    net: Ledger, refused: Refused, record: dict[str, Any], field: str
) -> None:
    record = {"event_id": str(uuid4()), **record}
    if record["type"] == "support.disbursed":
        record["aggregate_id"] = str(grant(net).aggregate_id)
    refused(lambda: net.append([record]), InputError, f"line 1: {field}", "required field is missing")


# -- dates ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("2019-02-30", "invalid date '2019-02-30': that day does not exist"),
        ("22/08/2019", "invalid date '22/08/2019': not in a supported form"),
        ("2019-13", "invalid date '2019-13': month 13 does not exist"),
    ],
)
def test_invalid_effective_date_is_refused(net: Ledger, refused: Refused, text: str, phrase: str) -> None:
    exc = refused(lambda: partnership(net, text), InputError, "effective", phrase)
    assert str(exc).endswith("(use YYYY, YYYY-MM or YYYY-MM-DD)")


def test_invalid_term_end_is_refused(net: Ledger, refused: Refused) -> None:
    refused(
        lambda: net.sign_agreement(["a", "b"], kind="mou", title="T", effective="2019", term_end="2019-02-30"),
        InputError,
        "term_end",
        "invalid date '2019-02-30'",
    )


def test_invalid_date_in_a_record_names_its_line(net: Ledger, refused: Refused) -> None:
    refused(
        lambda: net.append([registration("q", effective="2019-02-30")]),
        InputError,
        "line 1: effective",
        "that day does not exist",
    )


def test_missing_effective_date_is_refused(net: Ledger, refused: Refused) -> None:
    refused(lambda: net.form_partnership(["a", "b"]), InputError, "effective", "a date is required for this event")


@pytest.mark.parametrize(
    ("text", "precision", "first", "last"),
    [
        ("2019", "year", "2019-01-01", "2019-12-31"),
        ("2019-07", "month", "2019-07-01", "2019-07-31"),
        ("2019-07-15", "day", "2019-07-15", "2019-07-15"),
    ],
)
def test_partial_dates_are_accepted_with_their_precision(
    net: Ledger, snapshot: Callable[[Ledger], list[Any]], text: str, precision: str, first: str, last: str
) -> None:
    out = partnership(net, text)
    assert out.status == "recorded"
    for effective in (out.event.effective, net.find(out.event.event_id)[1].effective):  # type: ignore[index]
        assert effective is not None
        assert (str(effective), effective.precision) == (text, precision)
        assert (effective.first_day.isoformat(), effective.last_day.isoformat()) == (first, last)
    assert f'"effective":"{text}"'.encode() in snapshot(net)[-1].state


# -- retraction ------------------------------------------------------------------------------------------------


def test_retraction_of_an_unknown_event_is_refused(net: Ledger, refused: Refused) -> None:
    unknown = uuid4()
    refused(
        lambda: net.retract(unknown, reason="mistake"),
        RuleViolation,
        "retracted_event_id",
        f"no event with id {unknown} in this ledger",
    )


def test_retraction_of_an_already_retracted_event_is_refused(net: Ledger, refused: Refused) -> None:
    ended = net.end_partnership(partnership(net).aggregate_id, effective="2020")
    first = net.retract(ended.event.event_id, reason="wrong date")
    refused(
        lambda: net.retract(ended.event.event_id, reason="again"),
        RuleViolation,
        "retracted_event_id",
        f"event {ended.event.event_id} is already retracted (by event {first.event.event_id})",
    )


def test_retraction_of_a_retraction_is_refused(net: Ledger, refused: Refused) -> None:
    ended = net.end_partnership(partnership(net).aggregate_id, effective="2020")
    retraction = net.retract(ended.event.event_id, reason="wrong date")
    refused(
        lambda: net.retract(retraction.event.event_id, reason="undo"),
        RuleViolation,
        "retracted_event_id",
        f"event {retraction.event.event_id} is itself a retraction",
    )


def test_retraction_of_an_organisation_retraction_is_refused(net: Ledger, refused: Refused) -> None:
    renamed = net.rename_organisation("b", name_en="B2")
    retraction = net.retract(renamed.event.event_id, reason="typo")
    refused(
        lambda: net.retract(retraction.event.event_id, reason="undo"),
        RuleViolation,
        "retracted_event_id",
        "is itself a retraction",
    )


def test_retraction_record_of_the_wrong_type_is_refused(net: Ledger, refused: Refused) -> None:
    signed = agreement(net)
    record = {"type": "partnership.retracted", "event_id": str(uuid4())}
    record |= {"retracted_event_id": str(signed.event.event_id), "reason": "mistake"}
    refused(lambda: net.append([record]), RuleViolation, "line 1: type", "use type agreement.retracted")


# -- organisation keys -----------------------------------------------------------------------------------------


def test_registering_an_existing_key_is_refused(net: Ledger, refused: Refused) -> None:
    refused(
        lambda: net.register_organisation("a", sector="firm", name_en="Another A"),
        RuleViolation,
        "key",
        "organisation 'a' is already registered",
    )


def test_registering_an_existing_key_with_a_trailing_newline_is_refused(net: Ledger, refused: Refused) -> None:
    # Keys are unique by construction only if 'a\n' is not a key of its own.
    refused(
        lambda: net.register_organisation("a\n", sector="firm", name_en="Another A"),
        InputError,
        "key",
        "invalid key",
    )


def test_registering_an_uppercase_key_is_refused(net: Ledger, refused: Refused) -> None:
    refused(
        lambda: net.register_organisation("POSTECH", sector="university", name_en="P"),
        InputError,
        "key",
        "invalid key 'POSTECH'",
    )


# -- idempotency ---------------------------------------------------------------------------------------------


def resend_cases() -> dict[str, Callable[[Ledger, UUID], Outcome]]:
    return {
        "register": lambda led, eid: led.register_organisation(
            "q", sector="firm", name_en="Q", identifiers=["kr-brn:1"], event_id=eid
        ),
        "form": lambda led, eid: led.form_partnership(["a:lead", "b"], effective="2019", title="T", event_id=eid),
        "award": lambda led, eid: grant(led, event_id=eid),
        "rename": lambda led, eid: led.rename_organisation("b", name_en="Bee", effective="2020", event_id=eid),
    }


@pytest.mark.parametrize("case", list(resend_cases()))
def test_resending_an_event_with_identical_content_writes_nothing(
    net: Ledger, snapshot: Callable[[Ledger], list[Any]], case: str
) -> None:
    send = resend_cases()[case]
    eid = uuid4()
    first = send(net, eid)
    assert first.status == "recorded"
    count, rows = net.count(), snapshot(net)
    again = send(net, eid)
    assert again.status == "already recorded"
    assert again.event == first.event
    assert again.position == first.position
    assert net.count() == count
    assert snapshot(net) == rows


def test_resending_a_disbursement_writes_nothing(net: Ledger, snapshot: Callable[[Ledger], list[Any]]) -> None:
    sid, eid = grant(net).aggregate_id, uuid4()
    net.disburse_support(sid, amount="10", currency="KRW", effective="2020", event_id=eid)
    rows = snapshot(net)
    again = net.disburse_support(sid, amount=10, currency="krw", effective="2020", event_id=eid)
    assert again.status == "already recorded"
    assert snapshot(net) == rows


def test_resending_an_event_id_with_different_content_is_refused(net: Ledger, refused: Refused) -> None:
    eid = uuid4()
    net.register_organisation("q", sector="firm", name_en="Q", event_id=eid)
    refused(
        lambda: net.register_organisation("q", sector="firm", name_en="Queue", event_id=eid),
        RuleViolation,
        "event_id",
        f"{eid} is already recorded with different content (organisation.registered)",
    )


def test_reusing_an_event_id_for_another_kind_of_event_is_refused(net: Ledger, refused: Refused) -> None:
    signed = agreement(net)
    refused(
        lambda: net.form_partnership(["a", "b"], effective="2019", event_id=signed.event.event_id),
        RuleViolation,
        "event_id",
        "is already recorded with different content (agreement.signed)",
    )


def test_resending_a_retraction_writes_nothing(net: Ledger, snapshot: Callable[[Ledger], list[Any]]) -> None:
    renamed = net.rename_organisation("b", name_en="B2")
    rid = uuid4()
    first = net.retract(renamed.event.event_id, reason="typo", event_id=rid)
    rows = snapshot(net)
    again = net.retract(renamed.event.event_id, reason="typo", event_id=rid)
    assert (first.status, again.status) == ("recorded", "already recorded")
    assert snapshot(net) == rows


def test_resending_a_batch_writes_nothing(net: Ledger, snapshot: Callable[[Ledger], list[Any]]) -> None:
    batch = [registration("q"), registration("r")]
    assert [o.status for o in net.append(batch)] == ["recorded", "recorded"]
    rows = snapshot(net)
    assert [o.status for o in net.append(batch)] == ["already recorded", "already recorded"]
    assert snapshot(net) == rows


# -- append is all or nothing ----------------------------------------------------------------------------------


def test_append_records_a_valid_batch_in_order(net: Ledger) -> None:
    head = net.count()
    outcomes = net.append([registration("q"), registration("r"), registration("s")])
    assert [o.position for o in outcomes] == [head + 1, head + 2, head + 3]
    assert [net.organisation(k).exists for k in "qrs"] == [True, True, True]  # type: ignore[union-attr]


def test_batch_with_a_malformed_third_record_writes_nothing(net: Ledger, refused: Refused) -> None:
    batch = [registration("q"), registration("r"), registration("s", colour="red")]
    refused(lambda: net.append(batch), InputError, "line 3: colour", "unknown field")
    assert net.organisation("q") is None


def test_batch_whose_third_record_breaks_a_rule_writes_nothing(net: Ledger, refused: Refused) -> None:
    third = {"type": "partnership.formed", "event_id": str(uuid4()), "effective": "2019"}
    third["parties"] = [{"key": "q"}, {"key": "nobody"}]
    batch = [registration("q"), registration("r"), third]
    refused(lambda: net.append(batch), RuleViolation, "line 3: parties[1]", "unknown organisation 'nobody'")
    assert net.organisation("q") is None and net.organisation("r") is None


def test_batch_whose_third_record_retracts_an_unknown_event_writes_nothing(net: Ledger, refused: Refused) -> None:
    third = {"type": "organisation.retracted", "event_id": str(uuid4())}
    third |= {"retracted_event_id": str(uuid4()), "reason": "mistake"}
    batch = [registration("q"), registration("r"), third]
    refused(lambda: net.append(batch), RuleViolation, "line 3: retracted_event_id", "no event with id")


def test_batch_errors_name_the_given_line_number(net: Ledger, refused: Refused) -> None:
    batch = [(4, registration("q")), (7, registration("r", sector="ngo"))]
    refused(lambda: net.append(batch), InputError, "line 7: sector", "unknown value 'ngo'")


def test_refused_command_leaves_a_fresh_file_unchanged(db_path: Path, snapshot: Callable[[Path], list[Any]]) -> None:
    with Ledger(db_path, actor="tester", create=True) as led:
        led.register_organisation("a", sector="firm", name_en="A")
        before = snapshot(db_path)
        with pytest.raises(RuleViolation):
            led.form_partnership(["a", "nobody"], effective="2019")
    with Ledger(db_path) as reopened:
        assert reopened.count() == 1
    assert snapshot(db_path) == before


def test_one_amount_has_one_spelling_so_resending_it_differently_is_the_same_fact(net: Ledger) -> None:
    sid = grant(net, amount="1000", currency="KRW").aggregate_id
    first = net.disburse_support(sid, amount="250.0", currency="KRW", effective="2020", event_id=UUID(int=77))
    again = net.disburse_support(sid, amount="2.5e2", currency="KRW", effective="2020", event_id=UUID(int=77))
    assert (first.status, again.status) == ("recorded", "already recorded")
    assert str(first.event.amount) == "250"  # type: ignore[attr-defined]


def test_a_relation_that_started_before_a_dissolution_can_still_be_recorded(net: Ledger) -> None:
    out = net.form_partnership(["a", "gone"], effective="2014-06")
    assert out.status == "recorded"


@pytest.mark.parametrize("effective", ["2015", "2015-06", "2016"])
def test_a_relation_starting_on_or_after_a_dissolution_is_refused(
    net: Ledger, refused: Refused, effective: str
) -> None:
    refused(
        lambda: net.form_partnership(["a", "gone"], effective=effective),
        RuleViolation,
        "parties[1]",
        "is dissolved (since 2015)",
    )


def test_payments_stay_in_the_first_payment_currency_when_the_award_has_none(net: Ledger, refused: Refused) -> None:
    sid = net.award_support(kind="loan", funders=["c"], recipients=["a"], effective="2019").aggregate_id
    net.disburse_support(sid, amount="100", currency="KRW", effective="2020")
    refused(
        lambda: net.disburse_support(sid, amount="1", currency="USD", effective="2020"),
        RuleViolation,
        "currency",
        "USD differs from this support's KRW",
    )


def test_amending_to_another_currency_is_refused(net: Ledger, refused: Refused) -> None:
    sid = grant(net).aggregate_id
    refused(
        lambda: net.amend_support(sid, amount="5", currency="USD", effective="2020"),
        RuleViolation,
        "currency",
        "USD differs from this support's KRW",
    )
