"""A drawn network stays readable: no label over another label or a marker, no marker over another (issue 15).

Overlaps are counted with the boxes the renderer itself draws
(``Text.get_window_extent(renderer)``, ``tests.pictures.measure``), on the demo
in both languages and on generated networks of 25, 200 and 300 organisations.
The SVG keeps its text as ``<text>`` elements in the fonts named, and the
legends list only what the picture shows.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest
from matplotlib.figure import Figure

from projections import drawing
from projections.drawing import KOREAN_FONT, draw, save
from tests.pictures.measure import Overlaps, overlaps
from tests.pictures.synthetic import network

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("label", ["en", "ko"])
@pytest.mark.parametrize("day", ["2019-08-01", "2019-12-31", "2023-12-31"])
def test_the_demo_has_no_overlap(pohang: nx.MultiDiGraph, label: str, day: str) -> None:
    d = draw(pohang, as_of=day, label=label)
    assert overlaps(d) == Overlaps(0, 0, 0, labelled=len(d.keys))
    assert d.unlabelled == []


@pytest.mark.parametrize("size", [25, 200, 300])
def test_a_generated_network_has_no_overlap(size: int) -> None:
    d = draw(network(size, seed=1), as_of="2025-12-31")
    assert len(d.keys) == size
    assert overlaps(d) == Overlaps(0, 0, 0, labelled=size)  # every organisation labelled, up to LABEL_LIMIT


def test_names_that_share_their_first_words_stay_apart() -> None:
    """The issue's example pair of names ("Sheriffouver" when they collided) get one place each."""
    g = nx.MultiDiGraph(ledger="sheriffs")
    for key, name in [("a", "Cowlitz County Sheriff"), ("b", "Cowlitz County Sheriff Vancouver"), ("c", "Hub")]:
        g.add_node(key, name_en=name, sector="government")
    for u in "ab":
        g.add_edge("c", u, tie_type="partnership", start_on="2019-01-01", end_on=None)
    d = draw(g, as_of="2019-12-31")
    assert overlaps(d) == Overlaps(0, 0, 0, labelled=3)


def test_the_count_sees_overlaps() -> None:
    """The measure can fail: two labels drawn on one spot, a label over a marker, two markers on one spot."""

    class Fake:
        figure = Figure(figsize=(4, 4), dpi=100)

    ax = Fake.figure.add_axes((0, 0, 1, 1), xlim=(0, 1), ylim=(0, 1), autoscale_on=False)
    Fake.nodes = ax.scatter([0.5, 0.5, 0.9], [0.5, 0.5, 0.1], s=[400, 400, 100])  # type: ignore[attr-defined]
    Fake.labels = {  # type: ignore[attr-defined]
        "a": ax.annotate("Cowlitz County Sheriff", (0.2, 0.8)),
        "b": ax.annotate("Cowlitz County Sheriff Vancouver", (0.2, 0.8)),
        "c": ax.annotate("covering", (0.45, 0.5)),
    }
    assert overlaps(Fake) == Overlaps(labels=1, label_marker=2, markers=1, labelled=3)


def test_beyond_the_label_limit_only_the_top_organisations_are_labelled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(drawing, "LABEL_LIMIT", 40)
    monkeypatch.setattr(drawing, "LABEL_TOP", 12)
    g = network(60, seed=2)
    d = draw(g, as_of="2025-12-31")
    top = sorted(d.keys, key=lambda k: (-d.scores[k], k))[:12]
    assert sorted(d.labels) == sorted(top)
    assert len(d.unlabelled) == 48
    assert overlaps(d) == Overlaps(0, 0, 0, labelled=12)
    subtitle = [t.get_text() for t in d.figure.axes[0].texts if t.get_text().startswith("60 organisations")]
    assert subtitle == [f"60 organisations, {d.tie_count} ties; colour: sector; size: degree; labels: the 12 highest"]


def test_a_network_within_the_limit_labels_everyone() -> None:
    assert drawing.LABEL_LIMIT >= 300  # the documented size (docs/cli.md, network draw)
    d = draw(network(40, seed=2), as_of="2025-12-31")
    assert sorted(d.labels) == sorted(d.keys) and d.unlabelled == []


@pytest.mark.parametrize("label", ["en", "ko"])
def test_the_svg_keeps_the_names_as_text_in_the_fonts_named(
    pohang: nx.MultiDiGraph, tmp_path: Path, label: str
) -> None:
    d = draw(pohang, as_of="2019-12-31", label=label)
    root = ET.parse(save(d.figure, tmp_path / "pohang.svg")).getroot()
    texts = list(root.iter(f"{SVG}text"))
    shown = {"".join(t.itertext()) for t in texts}
    for key, artist in d.labels.items():
        for line in artist.get_text().split("\n"):
            assert line in shown, (key, line)
    name = pohang.nodes["postech"]["name_ko" if label == "ko" else "name_en"]
    assert name.split()[0] in " ".join(shown)
    styles = {t.get("style", "") for t in texts}
    assert all(KOREAN_FONT in s for s in styles if "font" in s) and any(KOREAN_FONT in s for s in styles)
    assert not list(root.iter(f"{SVG}defs")) or not any(
        (p.get("id") or "").startswith("NanumGothic") or (p.get("id") or "").startswith("DejaVu")
        for p in root.iter(f"{SVG}path")
    )  # no glyph outlines


def test_no_empty_legend_row() -> None:
    g = nx.MultiDiGraph(ledger="two")
    g.add_node("a", name_en="A", sector="firm")
    g.add_node("b", name_en="B", sector="university")
    g.add_edge("a", "b", tie_type="support", start_on="2019-01-01", end_on=None)
    rows = [t.get_text() for legend in draw(g, as_of="2019-12-31").legends for t in legend.get_texts()]
    assert "support (1)" in rows
    assert not [r for r in rows if r.startswith(("partnership", "agreement")) or r.endswith("(0)")]
    alone = nx.MultiDiGraph(ledger="alone")
    alone.add_node("a", name_en="A", sector="firm")
    legends = draw(alone, as_of="2019-12-31").legends
    assert [legend.get_title().get_text() for legend in legends] == ["sector", "degree"]  # no tie legend at all
