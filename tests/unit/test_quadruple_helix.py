"""``civil_society``, the quadruple helix's fourth strand: in the vocabulary, the sector mix, E-I, pictures, page."""

from __future__ import annotations

from pathlib import Path

import networkx as nx

from domain.ledger import Ledger
from domain.organisation import SECTORS
from projections.drawing import SECTOR_COLOURS, UNKNOWN_COLOUR, sector_colour
from projections.sectors import ei_index, mix
from projections.store import load_network
from projections.webpage import page_data


def helix(path: Path) -> nx.MultiDiGraph:
    """A university, a firm, a city and a charity; the charity partners the university and the firm twice."""
    with Ledger(path, actor="t", create=True) as ledger:
        ledger.register_organisation("uni", sector="university", name_en="Uni")
        ledger.register_organisation("co", sector="firm", name_en="Co")
        ledger.register_organisation("city", sector="government", name_en="City")
        ledger.register_organisation("trust", sector="civil_society", name_en="Trust", identifiers=["GB-CHC:1015648"])
        ledger.register_organisation("trust2", sector="civil_society", name_en="Trust 2")
        for pair in (["trust", "uni"], ["trust", "co"], ["trust", "trust2"], ["uni", "co"], ["city", "co"]):
            ledger.form_partnership(pair, effective="2020")
        return load_network(ledger)


def test_civil_society_is_a_sector_with_its_own_colour() -> None:
    assert "civil_society" in SECTORS
    assert set(SECTOR_COLOURS) == set(SECTORS)
    assert len(set(SECTOR_COLOURS.values())) == len(SECTORS)  # no two sectors share a colour
    assert UNKNOWN_COLOUR not in SECTOR_COLOURS.values()
    assert sector_colour("civil_society") == "#882255"


def test_mix_and_ei_count_civil_society_as_a_sector_of_its_own(tmp_path: Path) -> None:
    graph = helix(tmp_path / "l.db")
    m = mix(graph, as_of="2021")
    assert m["sectors"] == ["government", "university", "firm", "civil_society"]
    assert m["matrix"]["civil_society"] == {"government": 0.0, "university": 1.0, "firm": 1.0, "civil_society": 1.0}
    # 4 ties across sectors, 1 inside (trust - trust2): (4 - 1) / 5; the reference counts the ties by hand
    sector = nx.get_node_attributes(graph, "sector")
    across = sum(1 for u, v in [("trust", "uni"), ("trust", "co"), ("trust", "trust2"), ("uni", "co"), ("city", "co")]
                 if sector[u] != sector[v])  # fmt: skip
    assert ei_index(graph, as_of="2021") == (across - (5 - across)) / 5 == 0.6
    assert m["by_sector"]["civil_society"] == {"organisations": 2, "internal": 1.0, "external": 2.0, "ei": 1 / 3}


def test_page_legend_lists_civil_society_with_its_colour(tmp_path: Path) -> None:
    data = page_data(helix(tmp_path / "l.db"), as_of="2021")
    legend = {s["name"]: (s["colour"], s["count"]) for s in data["sectors"]}
    assert legend["civil_society"] == ("#882255", 2)


def test_picture_colours_civil_society_and_names_it_in_the_legend(tmp_path: Path) -> None:
    from matplotlib.colors import to_hex

    from projections.drawing import draw

    drawing = draw(helix(tmp_path / "l.db"), as_of="2021")
    colours = {key: to_hex(c) for key, c in zip(drawing.keys, drawing.nodes.get_facecolors(), strict=True)}
    assert colours["trust"] == colours["trust2"] == "#882255"
    legend = drawing.figure.legends[0]
    entries = {
        t.get_text(): to_hex(h.get_markerfacecolor()) for t, h in zip(legend.texts, legend.legend_handles, strict=True)
    }
    assert entries["civil society (2)"] == "#882255"
