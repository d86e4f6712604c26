"""Random command sequences through a real ledger: the persisted, caught-up network equals a fresh rebuild.

Hypothesis draws a sequence of commands (register, rename, dissolve, form/end
partnerships, sign/amend/terminate agreements, award/amend/disburse/end/withdraw
support, retract any earlier event, and "query" steps that load the persisted
projection with catch-up). Steps the ledger refuses are part of the test: a
``RuleViolation`` or ``InputError`` leaves the ledger unchanged. At every query
step and at random cut points afterwards, on both recorded-time axes (position
and ``known_at``), the graph from ``NetworkStore`` must equal a fresh fold of the
log, and their networks on several days (``as_of``) must equal the ones the
slow reference of the valid-time model computes (``tests/validtime/reference.py``).
At query steps the persisted, caught-up graph must also equal the answers for the
same cut given as a position and as a ``known_at`` (which are folded from the log
alone).
"""

from __future__ import annotations

import tempfile
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import event as statistic
from hypothesis import strategies as st

from domain.errors import InputError, RuleViolation
from domain.ledger import Ledger
from projections.graph import NetworkFold
from projections.store import NetworkStore
from projections.timeaxes import as_of
from tests.validtime import reference

KEYS = ("a", "b", "c", "d", "e", "p")
SECTORS = ("university", "firm", "funder", "government", "research_institute", "intermediary")
DATES = ("2018", "2019-03", "2019-06-15", "2020", "2021-02", "2022-11-30", "2023", "2024-07")
VIEW_DAYS = ("2017", "2019-04", "2020-06", "2022", "2024-12")
OPS = (
    "register",
    "rename",
    "dissolve",
    "form",
    "form",
    "form",
    "end",
    "sign",
    "sign",
    "amend_agreement",
    "terminate",
    "award",
    "award",
    "award",
    "amend_support",
    "disburse",
    "end_support",
    "withdraw",
    "retract",
    "retract",
    "query",
)

step = st.tuples(st.sampled_from(OPS), st.integers(0, 63), st.integers(0, 63), st.integers(0, 63))


def canon(graph: nx.MultiDiGraph) -> tuple[Any, ...]:
    return (
        sorted((n, sorted(d.items(), key=repr)) for n, d in graph.nodes(data=True)),
        sorted((u, v, k, sorted(d.items(), key=repr)) for u, v, k, d in graph.edges(keys=True, data=True)),
        sorted(graph.in_edges(keys=True)),
    )


def fresh(ledger: Ledger, upto: int | None = None, known_at: datetime | None = None) -> nx.MultiDiGraph:
    fold = NetworkFold()
    fold.apply_rows(
        ledger.recorder.select_notifications(0, 100_000, stop=upto, inclusive_of_start=False), known_at=known_at
    )
    return fold.graph


def agree(graph: nx.MultiDiGraph, ledger: Ledger, upto: int | None = None, known_at: datetime | None = None) -> None:
    assert canon(graph) == canon(fresh(ledger, upto, known_at))
    known = reference.cut(ledger.events(), upto, known_at)
    for day in VIEW_DAYS:
        network = as_of(graph, day)
        nodes, ties = reference.network(known, reference.query_day(day))
        assert dict(network.nodes(data=True)) == nodes
        found = {(u, v, k): d for u, v, k, d in network.edges(keys=True, data=True)}
        assert found.keys() == ties.keys(), day
        for tie, attrs in found.items():
            assert sorted(attrs.items(), key=repr) == sorted(ties[tie].items(), key=repr), (day, tie)


def keys_of(mask: int, low: int = 2) -> list[str]:
    """Some of a, b, c, d (and e when bit 5 is set): the organisations that usually exist."""
    chosen = [k for i, k in enumerate(KEYS[: 5 if mask & 32 else 4]) if mask >> i & 1]
    return chosen if len(chosen) >= low else list(KEYS[:low])


class Driver:
    """Turns drawn integers into ledger commands."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.relations: dict[str, list[UUID]] = {"partnership": [], "agreement": [], "support": []}
        self.event_ids: list[UUID] = []
        self.queries = 0
        for key in KEYS[:-2]:  # most organisations exist from the start; "e" and the programme "p" come later
            self.event_ids.append(ledger.register_organisation(key, sector="university", name_en=key).event.event_id)

    def pick(self, kind: str, n: int) -> UUID | None:
        ids = self.relations[kind]
        return ids[n % len(ids)] if ids else None

    def run(self, op: str, x: int, y: int, z: int) -> None:
        led = self.ledger
        date, later = DATES[x % len(DATES)], DATES[y % len(DATES)]
        key = KEYS[x % len(KEYS)]
        out: Any = None
        if op == "register":
            order = KEYS[::-1][x % len(KEYS) :] + KEYS[::-1][: x % len(KEYS)]  # p and e first
            key = next((k for k in order if not getattr(led.organisation(k), "exists", False)), key)
            sector = "programme" if key == "p" else SECTORS[y % len(SECTORS)]
            out = led.register_organisation(key, sector=sector, name_en=key.upper(), effective=date if z % 2 else None)
        elif op == "rename":
            out = led.rename_organisation(
                key, name_en=f"{key.upper()} {y}", name_ko=f"기관 {z}" if z % 3 == 0 else None
            )
        elif op == "dissolve":
            out = led.dissolve_organisation(key, effective=later if z % 4 else None)
        elif op == "form":
            out = led.form_partnership([f"{k}:r{i}" for i, k in enumerate(keys_of(y))], effective=date)
            self.relations["partnership"].append(out.aggregate_id)
        elif op == "end" and (rid := self.pick("partnership", z)):
            out = led.end_partnership(rid, effective=later)
        elif op == "sign":
            out = led.sign_agreement(
                keys_of(y), kind=("mou", "contract", "consortium")[z % 3], title=f"T{z}", effective=date
            )
            self.relations["agreement"].append(out.aggregate_id)
        elif op == "amend_agreement" and (rid := self.pick("agreement", z)):
            fields: dict[str, Any] = {"effective": later}
            if y % 3 == 0:
                fields["parties"] = keys_of(x + y)
            elif y % 3 == 1:
                fields["title"] = f"T{y}"
            else:
                fields["term_end"] = later
            out = led.amend_agreement(rid, **fields)
        elif op == "terminate" and (rid := self.pick("agreement", z)):
            out = led.terminate_agreement(rid, effective=later)
        elif op == "award":
            funders = keys_of(y, 1)
            recipients = [k for k in keys_of(z, 1) if k not in funders] or [k for k in KEYS[:4] if k not in funders]
            priced = x % 3 != 0
            out = led.award_support(
                kind="grant" if priced else "designation",
                funders=funders,
                recipients=recipients,
                amount=str(z * 1000) if priced else None,
                currency="KRW" if priced else None,
                programme="p" if x % 4 == 0 else None,
                effective=date,
            )
            self.relations["support"].append(out.aggregate_id)
        elif op == "amend_support" and (rid := self.pick("support", z)):
            out = led.amend_support(rid, amount=str(y * 10) if y % 2 else None, title=f"S{x}", effective=later)
        elif op == "disburse" and (rid := self.pick("support", z)):
            out = led.disburse_support(rid, amount=str(y + 1), currency="KRW", effective=later)
        elif op == "end_support" and (rid := self.pick("support", z)):
            out = led.end_support(rid, effective=later)
        elif op == "withdraw" and (rid := self.pick("support", z)):
            out = led.withdraw_support(rid, effective=later)
        elif op == "retract" and self.event_ids:
            out = led.retract(self.event_ids[-1 - (x * 64 + y) % len(self.event_ids)], reason="wrong")
        elif op == "query":
            self.query(save_after=z % 3)
        if out is not None:
            self.event_ids.append(out.event.event_id)

    def query(self, save_after: int) -> None:
        """Load through the persisted projection (catch-up, sometimes saved) and compare."""
        graph, info = NetworkStore(self.ledger, save_after=save_after).load()
        assert info.source in ("store", "rebuilt")
        assert graph.graph["position"] == self.ledger.head()
        agree(graph, self.ledger)
        # the same cut on both recorded-time axes, answered from the log alone
        store = NetworkStore(self.ledger)
        assert canon(store.load(position=self.ledger.head())[0]) == canon(graph)
        last = max((event.recorded_at for _, event in self.ledger.events()), default=None)
        if last is not None:
            assert canon(store.load(known_at=last)[0]) == canon(graph)
        self.queries += 1


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    steps=st.lists(step, min_size=40, max_size=100),
    cuts=st.lists(st.floats(0, 1), min_size=1, max_size=3),
    data=st.data(),
)
def test_persisted_caught_up_network_equals_a_fresh_rebuild(
    steps: list[tuple[str, int, int, int]], cuts: list[float], data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as tmp, Ledger(Path(tmp) / "p.db", actor="prop", create=True) as ledger:
        driver = Driver(ledger)
        for op, x, y, z in steps:
            with suppress(RuleViolation, InputError):  # refused: nothing was written
                driver.run(op, x, y, z)
        driver.query(save_after=data.draw(st.integers(0, 2)))
        head = ledger.head()
        statistic(f"{head // 10 * 10}+ events, {fresh(ledger).number_of_edges() // 10 * 10}+ ties")  # statistics
        stamps = [event.recorded_at for _, event in ledger.events()]
        store = NetworkStore(ledger)
        for cut in cuts:
            # the position axis: any earlier position, served from scratch, never with later events
            position = round(cut * head)
            graph, info = store.load(position=position)
            assert graph.graph["position"] <= position
            agree(graph, ledger, upto=position)
            # the known_at axis: as the ledger knew it when one of its events was recorded
            if stamps:
                known_at = stamps[min(len(stamps) - 1, int(cut * len(stamps)))]
                graph, info = store.load(known_at=known_at)
                assert all(stamps[p - 1] <= known_at for p in range(1, graph.graph["position"] + 1))
                agree(graph, ledger, known_at=known_at)
                assert info.source == "scratch"
