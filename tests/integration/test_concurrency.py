"""Several writers on one ledger file never lose an update, never double-record, never crash.

Every writer has its own ``Ledger`` (its own connections), as two
command-line invocations would. Every test runs on SQLite and on PostgreSQL. The first tests force the race
deterministically: writer A has read the aggregate, then writer B commits,
then A tries to save its stale version. The last ones run real writers in
threads and in separate processes.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest

from domain.errors import RuleViolation
from domain.ledger import Ledger
from domain.organisation import organisation_id
from domain.support import Support

PER_WRITER = 50


@pytest.fixture
def db_path(target: str) -> str:  # type: ignore[override]
    """The ledger of every test here: a SQLite file, then a PostgreSQL database."""
    return target


@pytest.fixture
def support_id(ledger: Ledger) -> UUID:
    """A grant from f to r, awarded in 2019 (3 events in the ledger)."""
    ledger.register_organisation("f", sector="funder", name_en="Funder")
    ledger.register_organisation("r", sector="firm", name_en="Recipient")
    out = ledger.award_support(
        kind="grant", funders=["f"], recipients=["r"], amount="1000000", currency="KRW", effective="2019"
    )
    return out.aggregate_id


@pytest.fixture
def other(db_path: Path, ledger: Ledger) -> Iterator[Ledger]:
    """A second, independent ledger object on the same file."""
    second = Ledger(db_path, actor="other")
    yield second
    second.close()


def before_next_save(ledger: Ledger, interloper: Callable[[], Any]) -> list[Any]:
    """Make *interloper* run once, after *ledger* has read its state but before it saves."""
    store = ledger.app.events
    real_put = store.put
    results: list[Any] = []

    def put(events: Any, **kwargs: Any) -> Any:
        if not results:
            results.append(interloper())
        return real_put(events, **kwargs)

    store.put = put  # type: ignore[method-assign]
    return results


def check_support(ledger: Ledger, support_id: UUID, disbursements: int, total: Decimal) -> Support:
    support = ledger.get(support_id)
    assert isinstance(support, Support)
    assert support.version == len(support.history) == 1 + disbursements
    assert [e.originator_version for e in support.history] == list(range(1, disbursements + 2))
    assert len(support.disbursed) == disbursements
    assert support.total_disbursed == total
    assert ledger.count() == 3 + disbursements
    return support


# -- forced races between two ledger objects ------------------------------------------------------------------------


def test_stale_writer_retries_instead_of_losing_the_other_update(
    ledger: Ledger, other: Ledger, support_id: UUID
) -> None:
    theirs = before_next_save(
        ledger, lambda: other.disburse_support(support_id, amount="100", currency="KRW", effective="2020")
    )
    mine = ledger.disburse_support(support_id, amount="7", currency="KRW", effective="2020")
    assert len(theirs) == 1
    assert (theirs[0].event.originator_version, mine.event.originator_version) == (2, 3)
    assert (theirs[0].position, mine.position) == (4, 5)
    for reader in (ledger, other):
        support = check_support(reader, support_id, 2, Decimal("107"))
        assert [d.event_id for d in support.disbursed] == [theirs[0].event.event_id, mine.event.event_id]


def test_closing_race_records_one_closing_and_refuses_the_other(
    ledger: Ledger, other: Ledger, support_id: UUID, snapshot: Callable[[Ledger], list[Any]]
) -> None:
    withdrawn = before_next_save(ledger, lambda: other.withdraw_support(support_id, effective="2020"))
    with pytest.raises(RuleViolation) as info:
        ledger.end_support(support_id, effective="2021")
    assert info.value.field == "id"
    assert "is already withdrawn (on 2020)" in str(info.value)
    support = ledger.get(support_id)
    assert isinstance(support, Support)
    assert support.closed == withdrawn[0].event
    assert [r.type for r in snapshot(ledger)][-1] == "support.withdrawn"
    assert ledger.count() == 4


def test_same_event_sent_by_two_writers_is_recorded_once(ledger: Ledger, other: Ledger) -> None:
    eid = uuid4()

    def register(led: Ledger) -> Any:
        return led.register_organisation("x", sector="firm", name_en="X", event_id=eid)

    theirs = before_next_save(ledger, lambda: register(other))
    mine = register(ledger)
    assert (theirs[0].status, mine.status) == ("recorded", "already recorded")
    assert mine.position == theirs[0].position
    assert ledger.count() == 1
    assert [e.event_id for _, e in other.events()] == [eid]


def test_same_key_registered_by_two_writers_is_registered_once(ledger: Ledger, other: Ledger) -> None:
    theirs = before_next_save(ledger, lambda: other.register_organisation("x", sector="firm", name_en="Theirs"))
    with pytest.raises(RuleViolation) as info:
        ledger.register_organisation("x", sector="firm", name_en="Mine")
    assert info.value.field == "key"
    assert "organisation 'x' is already registered" in str(info.value)
    found = ledger.organisation("x")
    assert found is not None and found.name == "Theirs" and found.version == 1
    assert found.registered == theirs[0].event
    assert ledger.get(organisation_id("x")).version == 1  # type: ignore[union-attr]


# -- real concurrent writers -----------------------------------------------------------------------------------------


def disburse_many(path: str, support_id: UUID, writer: int, count: int) -> tuple[list[str], list[str]]:
    """Disburse *writer*+1 KRW *count* times through a ledger of its own; return event ids and errors."""
    ids: list[str] = []
    errors: list[str] = []
    try:
        with Ledger(path, actor=f"writer-{writer}") as led:
            for _ in range(count):
                try:
                    out = led.disburse_support(support_id, amount=str(writer + 1), currency="KRW", effective="2020")
                    assert out.status == "recorded" and out.position is not None
                    ids.append(str(out.event.event_id))
                except BaseException as exc:
                    errors.append(f"{type(exc).__name__}: {exc}")
    except BaseException as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
    return ids, errors


def check_all_recorded(path: Path, support_id: UUID, results: list[tuple[list[str], list[str]]]) -> None:
    assert [errors for _, errors in results] == [[] for _ in results]
    assert [len(ids) for ids, _ in results] == [PER_WRITER] * len(results)
    writers = len(results)
    total = Decimal(sum((w + 1) * PER_WRITER for w in range(writers)))
    with Ledger(path, actor="checker") as led:
        support = check_support(led, support_id, writers * PER_WRITER, total)
        recorded = {str(d.event_id) for d in support.disbursed}
        assert recorded == {eid for ids, _ in results for eid in ids}
        for ids, _ in results:
            for eid in ids:
                found = led.find(eid)
                assert found is not None and found[1].originator_id == support_id
        positions = [p for p, _ in led.events()]
        assert positions == sorted(set(positions)) and len(positions) == 3 + writers * PER_WRITER


def test_two_ledger_objects_in_threads_lose_no_disbursement(db_path: Path, ledger: Ledger, support_id: UUID) -> None:
    results: list[tuple[list[str], list[str]]] = [([], []), ([], [])]
    start = threading.Barrier(2)

    def run(writer: int) -> None:
        start.wait()
        results[writer] = disburse_many(str(db_path), support_id, writer, PER_WRITER)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    check_all_recorded(db_path, support_id, results)


def _process_main(path: str, support_id: UUID, writer: int, start: Any, queue: Any) -> None:
    try:
        start.wait(timeout=30)
    except Exception as exc:  # a broken barrier still reports, so the parent never hangs
        queue.put((writer, [], [f"barrier: {exc!r}"]))
        return
    ids, errors = disburse_many(path, support_id, writer, PER_WRITER)
    queue.put((writer, ids, errors))


@pytest.mark.parametrize("writers", [2, 4])
def test_processes_appending_to_one_support_lose_no_disbursement(
    db_path: Path, ledger: Ledger, support_id: UUID, writers: int
) -> None:
    ledger.close()  # the processes are the only writers
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(writers)
    queue = ctx.Queue()
    processes = [
        ctx.Process(target=_process_main, args=(str(db_path), support_id, w, start, queue)) for w in range(writers)
    ]
    for p in processes:
        p.start()
    try:
        reports = sorted(queue.get(timeout=60) for _ in processes)
    finally:
        for p in processes:
            p.join(timeout=30)
            if p.is_alive():
                p.kill()
                p.join()
    queue.close()
    queue.join_thread()
    assert [p.exitcode for p in processes] == [0] * writers
    assert [w for w, _, _ in reports] == list(range(writers))
    check_all_recorded(db_path, support_id, [(ids, errors) for _, ids, errors in reports])
