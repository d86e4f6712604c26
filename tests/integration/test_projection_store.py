"""The persisted network projection: catch-up, and a store that is missing, stale or corrupt is rebuilt."""

from __future__ import annotations

import pickle
import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import networkx as nx
import pytest

from domain.ledger import Ledger
from projections import store as store_module
from projections.graph import NetworkFold
from projections.store import MAGIC, LoadInfo, NetworkStore, load_network, rebuild, store_path
from projections.timeaxes import as_of

FORGED: list[str] = []


def forged_call(what: str) -> None:  # what a forged pickle would try to run
    FORGED.append(what)


class Evil:
    def __reduce__(self) -> tuple[Any, ...]:
        return (forged_call, ("ran",))


def canon(graph: nx.MultiDiGraph) -> tuple[Any, ...]:
    return (
        sorted((n, sorted(d.items(), key=repr)) for n, d in graph.nodes(data=True)),
        sorted((u, v, k, sorted(d.items(), key=repr)) for u, v, k, d in graph.edges(keys=True, data=True)),
        sorted(graph.in_edges(keys=True)),
    )


def fresh(ledger: Ledger, upto: int | None = None, known_at: datetime | None = None) -> nx.MultiDiGraph:
    """The network folded from the start, straight from the rows, without any store."""
    fold = NetworkFold()
    rows = ledger.recorder.select_notifications(0, 1_000_000, stop=upto, inclusive_of_start=False)
    fold.apply_rows(rows, known_at=known_at)
    return fold.graph


def populate(ledger: Ledger, prefix: str = "") -> list[Any]:
    outcomes = []
    for key in ("postech", "rist", "nipa", "pohang"):
        outcomes.append(ledger.register_organisation(prefix + key, sector="university", name_en=key.upper()))
    outcomes.append(
        ledger.form_partnership([f"{prefix}postech:lead", f"{prefix}rist", f"{prefix}pohang"], effective="2019")
    )
    outcomes.append(
        ledger.award_support(
            kind="grant",
            funders=[f"{prefix}nipa"],
            recipients=[f"{prefix}postech", f"{prefix}rist"],
            amount="1000",
            currency="KRW",
            effective="2020-03",
        )
    )
    return outcomes


def load(ledger: Ledger, **kwargs: Any) -> tuple[nx.MultiDiGraph, LoadInfo]:
    return NetworkStore(ledger, save_after=kwargs.pop("save_after", None)).load(**kwargs)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Positions of every event any fold folds (an instrumented hook on the fold's one entry)."""
    positions: list[int] = []
    original = NetworkFold._fold

    def spy(self: NetworkFold, position: int, *args: Any) -> None:
        positions.append(position)
        original(self, position, *args)

    monkeypatch.setattr(NetworkFold, "_fold", spy)
    return positions


# -- catch-up --------------------------------------------------------------------------------------------------------


def test_first_load_rebuilds_and_saves_then_nothing_new_folds_nothing(ledger: Ledger, counted: list[int]) -> None:
    populate(ledger)
    graph, info = load(ledger)
    assert (info.source, info.reason, info.folded, info.saved) == ("rebuilt", "missing", 6, True)
    assert counted == [1, 2, 3, 4, 5, 6]
    assert store_path(ledger).exists()
    assert graph.graph == {"position": 6, "ledger": ledger.name}
    assert canon(graph) == canon(fresh(ledger))
    counted.clear()
    graph, info = load(ledger)
    assert (info.source, info.folded, info.saved, counted) == ("store", 0, False, [])
    assert canon(graph) == canon(fresh(ledger))


def test_catch_up_folds_only_the_new_events(ledger: Ledger, counted: list[int]) -> None:
    outcomes = populate(ledger)
    load(ledger)
    counted.clear()
    ledger.end_partnership(outcomes[4].aggregate_id, effective="2022")
    ledger.dissolve_organisation("nipa", effective="2023-04")
    ledger.retract(outcomes[3].event.event_id, reason="never registered")
    graph, info = load(ledger)
    assert (info.source, info.folded) == ("store", 3)
    assert counted == [7, 8, 9]
    assert canon(graph) == canon(fresh(ledger))
    assert {d["end"] for _, _, d in as_of(graph, "2021-12-31").edges(data=True)} == {"2022", "2023-04"}
    assert graph.nodes["pohang"] == {"key": "pohang", "registered": False}


def test_a_small_catch_up_is_not_saved_a_large_one_is(ledger: Ledger, counted: list[int]) -> None:
    populate(ledger)
    load(ledger)
    ledger.rename_organisation("rist", name_en="RIST (renamed)")
    _, info = load(ledger)  # default policy: at least 1,000 new events before rewriting the file
    assert (info.folded, info.saved) == (1, False)
    _, info = load(ledger)
    assert (info.folded, info.saved) == (1, False)  # folded again: the file still ends at 6
    _, info = load(ledger, save_after=1)
    assert (info.folded, info.saved) == (1, True)
    counted.clear()
    graph, info = load(ledger)
    assert (info.folded, counted) == (0, [])
    assert graph.nodes["rist"]["name"] == "RIST (renamed)"


def test_load_network_is_served_from_the_store(ledger: Ledger, counted: list[int]) -> None:
    populate(ledger)
    assert canon(load_network(ledger)) == canon(fresh(ledger))
    counted.clear()
    graph = load_network(ledger)
    assert counted == [] and graph.graph["position"] == 6


def test_rebuild_reports_and_saves(ledger: Ledger, counted: list[int]) -> None:
    populate(ledger)
    report = rebuild(ledger)
    assert (report["events"], report["position"], report["nodes"], report["ties"]) == (6, 6, 4, 5)
    assert report["seconds"] >= 0 and report["path"] == str(store_path(ledger))
    counted.clear()
    _, info = load(ledger)
    assert (info.source, info.folded, counted) == ("store", 0, [])


def test_an_empty_ledger_has_an_empty_network(ledger: Ledger) -> None:
    graph, info = load(ledger)
    assert graph.number_of_nodes() == 0 and graph.graph["position"] == 0
    assert info.source == "rebuilt"
    assert load(ledger)[1].source == "store"


# -- the two recorded-time axes ------------------------------------------------------------------------------------


def test_a_position_is_answered_from_the_log_alone_and_never_saved(ledger: Ledger, counted: list[int]) -> None:
    populate(ledger)
    load(ledger)
    saved = store_path(ledger).read_bytes()
    counted.clear()
    graph, info = load(ledger, position=5, save_after=1)  # however eager the save policy
    assert (info.source, info.folded, info.saved, graph.graph["position"]) == ("scratch", 5, False, 5)
    assert counted == [1, 2, 3, 4, 5]
    assert canon(graph) == canon(fresh(ledger, upto=5))
    assert not any(d["tie_type"] == "support" for _, _, d in graph.edges(data=True))
    graph, info = load(ledger, position=99)  # beyond the head: everything, still from the log
    assert (info.source, info.folded, graph.graph["position"]) == ("scratch", 6, 6)
    assert canon(graph) == canon(fresh(ledger))
    assert store_path(ledger).read_bytes() == saved


def test_known_at_is_answered_from_the_log_alone(ledger: Ledger) -> None:
    populate(ledger)
    cut = datetime.now(UTC)
    ledger.dissolve_organisation("rist", effective="2024")
    load(ledger)
    graph, info = load(ledger, known_at=cut)
    assert (info.source, info.folded, info.saved) == ("scratch", 6, False)
    assert canon(graph) == canon(fresh(ledger, known_at=cut))
    assert graph.nodes["rist"]["dissolved"] is None and graph.graph["position"] == 6
    later = datetime.now(UTC)
    ledger.rename_organisation("postech", name_en="Pohang University of Science and Technology")
    graph, info = load(ledger, known_at=later)
    assert graph.nodes["postech"]["name"] == "POSTECH"  # the rename came after *later*
    assert graph.nodes["rist"]["dissolved"] == "2024" and graph.graph["position"] == 7
    assert canon(graph) == canon(fresh(ledger, known_at=later))
    graph, info = load(ledger, known_at=datetime.now(UTC), position=7)  # both axes at once
    assert graph.nodes["postech"]["name"] == "POSTECH" and graph.graph["position"] == 7
    naive = datetime.now(UTC).replace(tzinfo=None)  # naive means UTC
    graph = load(ledger, known_at=naive)[0]
    assert graph.nodes["postech"]["name"] == "Pohang University of Science and Technology"


def test_a_forged_store_cannot_change_an_answer_at_given_coordinates(ledger: Ledger) -> None:
    """The file is a cache: its checksum can be recomputed by anyone able to write the folder."""
    populate(ledger)
    honest = canon(load(ledger)[0])  # saves the store
    store = NetworkStore(ledger)
    forged = store.read()
    forged.graph.remove_node("pohang")
    store.write(forged)  # a well-formed file with a correct checksum, and a lie inside
    assert "pohang" not in load(ledger)[0]  # the default question trusts a well-formed cache ...
    assert canon(load(ledger, position=6)[0]) == honest  # ... an audit question never reads it
    assert canon(load(ledger, known_at=datetime.now(UTC))[0]) == honest
    rebuild(ledger)
    assert canon(load(ledger)[0]) == honest


# -- a store is never trusted ------------------------------------------------------------------------------------------


def rebuilt_because(ledger: Ledger) -> str:
    graph, info = load(ledger)
    assert info.source == "rebuilt", info
    assert canon(graph) == canon(fresh(ledger))
    assert load(ledger)[1].source == "store"  # and saved again, valid
    return info.reason


@pytest.mark.parametrize("where", [20, -1, -500])
def test_a_flipped_byte_is_detected(ledger: Ledger, where: int) -> None:
    populate(ledger)
    load(ledger)
    data = bytearray(store_path(ledger).read_bytes())
    data[where] ^= 0x01
    store_path(ledger).write_bytes(bytes(data))
    reason = rebuilt_because(ledger)
    assert reason.startswith("corrupt"), reason


@pytest.mark.parametrize("keep", [0, 5, 40, 0.5])
def test_a_truncated_file_is_detected(ledger: Ledger, keep: float) -> None:
    populate(ledger)
    load(ledger)
    data = store_path(ledger).read_bytes()
    store_path(ledger).write_bytes(data[: int(keep * len(data)) if keep < 1 else int(keep)])
    reason = rebuilt_because(ledger)
    assert reason.startswith("corrupt"), reason


def test_a_store_of_another_ledger_is_detected(ledger: Ledger, tmp_path: Path) -> None:
    populate(ledger)
    with Ledger(tmp_path / "other.db", actor="tester", create=True) as other:
        populate(other)  # the same events, but another ledger
        load(other)
        store_path(ledger).write_bytes(store_path(other).read_bytes())
    reason = rebuilt_because(ledger)
    assert reason.startswith("stale: belongs to another ledger"), reason


def test_a_position_beyond_the_head_is_detected(ledger: Ledger) -> None:
    populate(ledger)
    fold = NetworkFold()
    fold.position = 40
    NetworkStore(ledger).write(fold)
    reason = rebuilt_because(ledger)
    assert reason == "stale: its position 40 is beyond the ledger's head 6"


def test_a_different_event_at_the_saved_position_is_detected(ledger: Ledger, db_path: Path, tmp_path: Path) -> None:
    populate(ledger)
    copy = tmp_path / "copy.db"
    with closing(sqlite3.connect(db_path)) as src, closing(sqlite3.connect(copy)) as dst:
        src.backup(dst)  # the same ledger (same ledger_id) ...
    ledger.rename_organisation("rist", name_en="One way")
    load(ledger, save_after=1)
    with Ledger(copy, actor="tester") as twin:
        twin.rename_organisation("rist", name_en="Another way")  # ... that went another way at position 7
        store_path(twin).write_bytes(store_path(ledger).read_bytes())
        graph, info = load(twin)
        assert info.source == "rebuilt"
        assert info.reason == "stale: the event at position 7 is not the one it folded"
        assert graph.nodes["rist"]["name"] == "Another way"


def test_a_store_of_another_fold_version_is_rebuilt(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    populate(ledger)
    load(ledger)
    monkeypatch.setattr(store_module, "FOLD_VERSION", 999)
    reason = rebuilt_because(ledger)
    assert reason.startswith("stale: written by another version"), reason


def test_garbage_is_detected(ledger: Ledger) -> None:
    populate(ledger)
    store_path(ledger).write_bytes(b"not a store at all")
    assert rebuilt_because(ledger) == "corrupt: not a network store"


def forge(ledger: Ledger, payload: bytes) -> None:
    """A store whose checksum is right for a payload of our choosing (what an attacker could write)."""
    import hashlib
    import json

    header = json.dumps(
        {
            "ledger_id": ledger.meta["ledger_id"],
            "ledger": ledger.name,
            "position": 0,
            "event_id": None,
            "events": 0,
            "recorded_upto": None,
            "fold": store_module.FOLD_VERSION,
            "format": store_module.FORMAT,
        }
    ).encode()
    digest = hashlib.sha256(header + payload).digest()
    store_path(ledger).write_bytes(MAGIC + len(header).to_bytes(8, "big") + header + digest + payload)


def test_a_forged_pickle_with_a_valid_checksum_runs_no_code(ledger: Ledger) -> None:
    populate(ledger)
    forge(ledger, pickle.dumps(Evil(), protocol=5))
    reason = rebuilt_because(ledger)
    assert reason.startswith("corrupt: refused global"), reason
    assert FORGED == []


def test_a_well_formed_payload_that_is_not_a_fold_state_is_refused(ledger: Ledger) -> None:
    populate(ledger)
    forge(ledger, pickle.dumps({"position": 0}, protocol=5))
    assert rebuilt_because(ledger).startswith("corrupt: not a saved state")


def test_an_unwritable_store_still_answers(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    populate(ledger)

    def refuse(self: NetworkStore, fold: NetworkFold) -> None:
        raise PermissionError("read-only folder")

    monkeypatch.setattr(NetworkStore, "write", refuse)
    graph, info = load(ledger)
    assert (info.source, info.saved) == ("rebuilt", False)
    assert canon(graph) == canon(fresh(ledger))
