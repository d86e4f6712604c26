"""The valid-time model, implementation against reference, on random histories.

Hypothesis records a random history into a real ledger (``histories.py``: every event type, amendments
of every field, back-dated and same-day changes in all three date precisions, retractions of everything,
registrations in the future or undated). Then, at three drawn pairs (D, T) - D among the days the history
makes interesting (every effective date as a partial query date, its first day and the day before, plus a
few fixed ones), T the whole log, a position cut or a ``known_at`` cut at one event's ``recorded_at`` -
every answer of the implementation must equal the slow reference evaluator (``reference.py``, written
from the rules of ``docs/time.md`` alone):

- the network on D (nodes and ties with their attributes, compared exactly) and ``query_day``;
- degree, betweenness, closeness and eigenvector centrality on both engines (the same keys, ``None`` alike,
  within 1e-9; eigenvector within 1e-4, because the spec's ``nx.eigenvector_centrality`` stops its power
  iteration at tol=1e-6 and an exact engine differs from it by up to ~1.3e-5 at isolates);
- ``describe_on(...)["state"]`` of every aggregate known at T (organisations by key, and by id at the second
  probe);
- the log's statuses (as of D and without D) and the events in force on D.

``NETLEDGER_RELIABILITY=full`` runs 5000 examples instead of 500.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from hypothesis import HealthCheck, given, note, settings
from hypothesis import event as statistic
from hypothesis import strategies as st

from domain.events import LedgerEvent
from domain.ledger import Ledger
from domain.organisation import organisation_id
from domain.values import PartialDate
from projections import describe, timeaxes, timeline
from projections.centrality import centrality
from projections.store import load_network
from tests.validtime import reference as ref
from tests.validtime.histories import History, histories, record

EXAMPLES = 5000 if os.environ.get("NETLEDGER_RELIABILITY") == "full" else 500
#: The three metrics of the brief, and closeness (docs/time.md fixes its convention too).
METRICS = ("degree", "betweenness", "eigenvector", "closeness")
#: How far an engine's eigenvector centrality may be from NetworkX's power iteration (which stops at tol=1e-6).
EIGENVECTOR_TOLERANCE = 1e-4
ENGINES = ("igraph", "networkx")
#: Query dates always worth asking about: before everything, partial periods, after everything.
FIXED_DAYS = ("2017", "2019-06", "2020-01", "2021", "2031")

probe = st.tuples(st.integers(0, 999), st.sampled_from(("all", "position", "known_at")), st.integers(0, 999))


def interesting_days(events: ref.Log) -> list[str]:
    """Every effective date as written (a partial query date), its first day and the day before."""
    days = set(FIXED_DAYS)
    for _p, e in events:
        if e.effective is not None:
            first = e.effective.first_day
            days |= {str(e.effective), first.isoformat(), (first - timedelta(days=1)).isoformat()}
    return sorted(days)


def knowledge_cut(events: ref.Log, axis: str, pick: int) -> dict[str, Any]:
    """The whole log, a position 1..head, or ``known_at`` = the ``recorded_at`` of one event."""
    if axis == "position":
        return {"position": 1 + pick % len(events)}
    if axis == "known_at":
        return {"known_at": events[pick % len(events)][1].recorded_at}
    return {}


def targets(known: ref.Log, *, by_id: bool = False) -> list[str]:
    """Every aggregate known at T: relations by id; organisations by key, or by id (*by_id*) when they have events."""
    relations, keys, with_events = [], set(), set()
    for _p, e in known:
        if e.type_name in ref.CREATIONS:
            relations.append(str(e.event_id))
        for party in getattr(e, "parties", None) or []:
            keys.add(party.key)
        if e.type_name.startswith("organisation."):
            keys.add(e.key)  # type: ignore[attr-defined]
            with_events.add(e.key)  # type: ignore[attr-defined]
    if not by_id:
        return relations + sorted(keys)
    return relations + sorted(keys - with_events) + [str(organisation_id(k)) for k in sorted(with_events)]


def edges_of(graph: Any) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(u, v, k): d for u, v, k, d in graph.edges(keys=True, data=True)}


def differences(got: dict[Any, Any], want: dict[Any, Any]) -> str:
    """What differs between two dicts, shortly: keys only on one side, and values that differ."""
    lines = [f"only in the implementation: {k!r}: {got[k]!r}" for k in got if k not in want]
    lines += [f"only in the reference: {k!r}: {want[k]!r}" for k in want if k not in got]
    for k in got.keys() & want.keys():
        if got[k] != want[k]:
            if isinstance(got[k], dict) and isinstance(want[k], dict):
                fields = sorted(got[k].keys() | want[k].keys())
                changed = {f: (got[k].get(f, "<absent>"), want[k].get(f, "<absent>")) for f in fields}
                lines.append(
                    f"{k!r}: (implementation, reference) " + repr({f: v for f, v in changed.items() if v[0] != v[1]})
                )
            else:
                lines.append(f"{k!r}: implementation {got[k]!r}, reference {want[k]!r}")
    return "\n".join(lines)


def same_scores(got: Mapping[str, float | None], want: Mapping[str, float | None], tolerance: float = 1e-9) -> bool:
    """The same keys, ``None`` where the other has ``None``, numbers within *tolerance*."""
    if set(got) != set(want):
        return False
    for key, value in want.items():
        if value is None or got[key] is None:
            if value is not got[key]:
                return False
        elif abs(got[key] - value) > tolerance:  # type: ignore[operator]
            return False
    return True


def every_status(got: dict[int, str], known: ref.Log) -> dict[int, str]:
    """The implementation's statuses with "" for the known events it leaves out (it lists only non-empty ones)."""
    return {p: got.get(p, "") for p, _e in known} | {p: s for p, s in got.items() if s}


def check(ledger: Ledger, events: ref.Log, when: str, cut: dict[str, Any], *, by_id: bool = False) -> None:
    """Every answer of the implementation on (D = *when*, T = *cut*) equals the reference's.

    The cheap checks come first (a failing example is shrunk faster). Organisations are shown by key,
    or by id when *by_id* (those known only as parties are always named by key).
    """
    known = ref.cut(events, **cut)
    day = ref.query_day(when)
    note(f"as of {when!r} (day {day}), cut {cut or 'none'}: {len(known)} of {len(events)} events known")
    assert timeaxes.query_day(when) == day, "query_day"

    assert every_status(timeline.statuses(ledger, as_of=day, **cut), known) == ref.statuses(known, day), "statuses on D"
    assert every_status(timeline.statuses(ledger, as_of=None, **cut), known) == ref.statuses(known), "statuses"
    assert timeline.events_in_force(ledger, as_of=day, **cut) == ref.in_force(known, day), "in force on D"

    graph = load_network(ledger, **cut)
    on_day = timeaxes.as_of(graph, when)
    nodes, ties = ref.network(known, day)
    got_nodes, got_ties = dict(on_day.nodes(data=True)), edges_of(on_day)
    assert got_nodes == nodes, f"nodes on D:\n{differences(got_nodes, nodes)}"
    assert got_ties == ties, f"ties on D:\n{differences(got_ties, ties)}"
    statistic(f"{len(ties) // 5 * 5}+ ties on D")

    for metric in METRICS:
        want = ref.metrics(nodes, ties, metric)
        # nx.eigenvector_centrality stops at tol=1e-6: a more exact computation differs from it by ~1e-6.
        tolerance = EIGENVECTOR_TOLERANCE if metric == "eigenvector" else 1e-9
        for engine in ENGINES:
            got = centrality(graph, metric, as_of=when, engine=engine)
            assert same_scores(got, want, tolerance), f"{metric} ({engine}): {got} != {want}"

    for target in targets(known, by_id=by_id):
        state = describe.describe_on(ledger, target, as_of=when, **cut)["state"]
        want = ref.show_state(known, target, day)
        assert state == want, f"show {target}:\n{differences(state, want)}"

    # The library takes a query date as written, like the CLI (docs/time.md): a partial D means its last day.
    assert timeline.statuses(ledger, as_of=when, **cut) == timeline.statuses(ledger, as_of=day, **cut), (
        f"statuses as of {when!r} differ from as of {day}"
    )
    assert timeline.events_in_force(ledger, as_of=when, **cut) == timeline.events_in_force(ledger, as_of=day, **cut), (
        f"in force as of {when!r} differs from as of {day}"
    )


def describe_history(events: ref.Log) -> None:
    """Print the recorded log (shown with a falsifying example)."""
    for p, e in events:
        payload = {k: v for k, v in e.payload().items() if v not in (None, [])}
        note(f"{p:3} {e.type_name:24} {e.effective or '-'!s:10} {e.originator_id} {e.event_id} {payload}")


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories(), probes=st.lists(probe, min_size=3, max_size=3))
def test_the_implementation_answers_like_the_reference(history: History, probes: list[tuple[int, str, int]]) -> None:
    with tempfile.TemporaryDirectory() as tmp, Ledger(Path(tmp) / "h.db", actor="prop", create=True) as ledger:
        record(ledger, history)
        events: list[tuple[int, LedgerEvent]] = list(ledger.events())
        describe_history(events)
        statistic(f"{len(events) // 10 * 10}+ events")
        days = interesting_days(events)
        for n, (day_pick, axis, cut_pick) in enumerate(probes):
            when, cut = days[day_pick % len(days)], knowledge_cut(events, axis, cut_pick)
            check(ledger, events, when, cut, by_id=n % 2 == 1)


def test_interesting_days_cover_partial_dates_first_days_and_the_day_before() -> None:
    """The query dates the property test draws from, for one event dated 2019-07 (hand-worked)."""
    event = SimpleNamespace(effective=PartialDate.parse("2019-07"))
    days = interesting_days([(1, event)])  # type: ignore[list-item]
    # the date as a query (-> 2019-07-31), its first day, the day before, and the fixed days.
    assert days == sorted({"2019-07", "2019-07-01", "2019-06-30", *FIXED_DAYS})
