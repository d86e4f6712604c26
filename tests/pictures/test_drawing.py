"""The network picture (``projections.drawing.draw``) shows what the ledger holds, readably.

Checked through the drawing's artists, not through pixels alone: one marker per
organisation at its layout position, one line per linked pair and tie type,
marker colours by sector and sizes by the metric, Korean labels drawn with a
font that has every glyph, legends outside the network.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import matplotlib
import networkx as nx
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.font_manager import findfont
from matplotlib.ft2font import FT2Font

from domain.errors import InputError
from projections.centrality import scores_of
from projections.drawing import SECTOR_COLOURS, TIE_STYLES, draw, korean_font_path, save
from projections.engines import ties
from projections.timeaxes import as_of

DAYS = ["2019-08-01", "2019-12-31", "2023-12-31"]


def active_ties(graph: nx.MultiDiGraph, day: str) -> list[tuple[str, str, str, dict]]:
    return list(ties(graph, as_of=day))


@pytest.mark.parametrize("day", DAYS)
def test_every_organisation_is_drawn_once_where_the_layout_put_it(pohang: nx.MultiDiGraph, day: str) -> None:
    d = draw(pohang, as_of=day)
    offsets = d.nodes.get_offsets()
    existing = as_of(pohang, day)  # the promotion group is drawn from its launch, 2019-08-22, on
    assert len(offsets) == existing.number_of_nodes() == (18 if day < "2019-08-22" else 19)
    assert sorted(d.keys) == sorted(existing.nodes)
    for key, (x, y) in zip(d.keys, offsets, strict=True):
        assert (float(x), float(y)) == pytest.approx(d.positions[key])
    assert sorted(d.labels) == sorted(existing.nodes)


@pytest.mark.parametrize("day", DAYS)
def test_ties_are_drawn_by_type_one_line_per_pair_and_type(pohang: nx.MultiDiGraph, day: str) -> None:
    d = draw(pohang, as_of=day)
    expected = Counter()
    groups = set()
    for u, v, _, attrs in active_ties(pohang, day):
        expected[attrs["tie_type"]] += 1
        groups.add((min(u, v), max(u, v), attrs["tie_type"]))
    assert d.tie_count == sum(expected.values())
    drawn = {t: len(lines.get_segments()) for t, lines in d.ties.items()}
    assert drawn == dict(Counter(t for _, _, t in groups))
    for tie_type, lines in d.ties.items():
        assert lines.get_linestyle() == lines.get_linestyle()  # one style per collection
        assert tuple(lines.get_edgecolor()[0][:3]) == pytest.approx(to_rgba(TIE_STYLES[tie_type]["color"])[:3])
    styles = {t: str(lines.get_linestyle()[0]) for t, lines in d.ties.items()}
    assert len(set(styles.values())) == len(styles), styles  # types differ in line style


def test_the_ended_and_the_later_support_change_the_picture(pohang: nx.MultiDiGraph) -> None:
    early, late = draw(pohang, as_of="2019-12-31"), draw(pohang, as_of="2023-12-31")
    assert early.tie_count == 22 and late.tie_count == 22  # one support ended 2023-08, one started 2021-07
    assert len(early.ties["support"].get_segments()) == 5
    assert len(late.ties["support"].get_segments()) == 5
    assert draw(pohang, as_of="2019-08-01").tie_count == len(active_ties(pohang, "2019-08-01")) == 7


def test_colours_follow_the_sector(pohang: nx.MultiDiGraph) -> None:
    d = draw(pohang, as_of="2019-12-31")
    colours = d.nodes.get_facecolors()
    for key, colour in zip(d.keys, colours, strict=True):
        assert tuple(colour[:3]) == pytest.approx(to_rgba(SECTOR_COLOURS[pohang.nodes[key]["sector"]])[:3])


@pytest.mark.parametrize("metric", ["degree", "betweenness", "pagerank"])
def test_marker_areas_grow_with_the_metric(pohang: nx.MultiDiGraph, metric: str) -> None:
    d = draw(pohang, as_of="2019-12-31", size_by=metric)
    scores = scores_of(pohang, metric, as_of="2019-12-31")
    sizes = dict(zip(d.keys, map(float, d.nodes.get_sizes()), strict=True))
    assert max(sizes, key=sizes.__getitem__) == "nssz-promotion-group" == max(scores, key=scores.__getitem__)
    for a in d.keys:
        for b in d.keys:
            if scores[a] < scores[b] - 1e-9:
                assert sizes[a] < sizes[b], (metric, a, b)


def test_korean_labels_carry_the_korean_names_in_a_font_with_every_glyph(pohang: nx.MultiDiGraph) -> None:
    d = draw(pohang, as_of="2019-12-31", label="ko")
    for key, text in d.labels.items():
        shown = text.get_text().replace("\n", " ")
        assert shown == pohang.nodes[key]["name_ko"], key
        path = findfont(text.get_fontproperties(), fallback_to_default=False)
        font = FT2Font(path)
        missing = [c for c in shown if not c.isspace() and font.get_char_index(ord(c)) == 0]
        assert not missing, f"{path} has no glyph for {missing}"
        assert "Nanum" in font.family_name
    assert Path(findfont(d.labels["postech"].get_fontproperties())).name == "NanumGothic.ttf"


def test_the_glyph_check_fails_with_a_latin_font() -> None:
    """The check above can fail: matplotlib's default font has no Hangul."""
    dejavu = FT2Font(findfont("DejaVu Sans"))
    assert dejavu.get_char_index(ord("포")) == 0
    assert FT2Font(str(korean_font_path())).get_char_index(ord("포")) != 0


def test_english_labels_are_the_english_names(pohang: nx.MultiDiGraph) -> None:
    d = draw(pohang, as_of="2019-12-31", label="en")
    assert d.labels["postech"].get_text().replace("\n", " ") == pohang.nodes["postech"]["name_en"]
    assert draw(pohang, as_of="2019-12-31", label="key").labels["postech"].get_text() == "postech"


def test_title_names_the_ledger_and_the_date(pohang: nx.MultiDiGraph) -> None:
    d = draw(pohang, as_of="2019-12")  # a month: its last day
    assert d.figure.axes[0].get_title(loc="left") == "pohang-demo: the network as of 2019-12-31"


def test_legends_name_sectors_and_tie_types_and_stay_off_the_network(pohang: nx.MultiDiGraph) -> None:
    d = draw(pohang, as_of="2019-12-31", label="ko")
    texts = [t.get_text() for legend in d.legends for t in legend.get_texts()]
    for sector in {a["sector"] for _, a in pohang.nodes(data=True)}:
        assert any(t.startswith(sector.replace("_", " ")) for t in texts), sector
    shown = {t.split(" (")[0]: t for t in texts}
    # only the tie types drawn on the date have a row: the demo has no agreement in force in 2019
    assert [shown[t] for t in TIE_STYLES if t in shown] == ["partnership (16)", "support (6)"]
    assert "agreement" not in shown and not any(t.endswith("(0)") for t in texts)
    canvas = FigureCanvasAgg(d.figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    right_of_network = max(
        [d.nodes.get_window_extent(renderer).x1] + [text.get_window_extent(renderer).x1 for text in d.labels.values()]
    )
    for legend in d.legends:
        assert legend.get_window_extent(renderer).x0 >= right_of_network


def test_the_layout_is_seeded(pohang: nx.MultiDiGraph, tmp_path: Path) -> None:
    a, b = draw(pohang, as_of="2019-12-31"), draw(pohang, as_of="2019-12-31")
    assert a.positions == b.positions
    assert draw(pohang, as_of="2019-12-31", seed=7).positions != a.positions
    save(a.figure, tmp_path / "a.png")
    save(b.figure, tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


@pytest.mark.parametrize("layout", ["spring", "kamada-kawai", "circular", "shell"])
def test_every_layout_places_every_organisation(pohang: nx.MultiDiGraph, layout: str) -> None:
    d = draw(pohang, as_of="2019-12-31", layout=layout)
    assert len(d.nodes.get_offsets()) == 19
    assert all(0 <= x <= 1 and 0 <= y <= 1 for x, y in d.positions.values())
    assert len(set(d.positions.values())) == 19  # nobody on top of anybody


MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "svg": b"<?xml", "pdf": b"%PDF-"}


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_each_format_is_written_with_its_magic_bytes(pohang: nx.MultiDiGraph, tmp_path: Path, fmt: str) -> None:
    target = save(draw(pohang, as_of="2019-12-31", label="ko").figure, tmp_path / f"pohang.{fmt}")
    data = target.read_bytes()
    assert data.startswith(MAGIC[fmt]) and len(data) > 10_000
    if fmt == "svg":
        assert b"<svg" in data
    assert [p.name for p in tmp_path.iterdir()] == [f"pohang.{fmt}"]  # no partial file left


def test_the_png_is_not_blank(pohang: nx.MultiDiGraph, tmp_path: Path) -> None:
    import matplotlib.image

    figure = draw(pohang, as_of="2019-12-31").figure
    target = save(figure, tmp_path / "pohang.png")
    pixels = matplotlib.image.imread(target)
    width, height = figure.get_size_inches()
    assert pixels.shape[:2] == (round(height * 150), round(width * 150))  # 150 dpi
    assert pixels.shape[0] >= 1350 and pixels.shape[1] >= 1950  # a small network keeps at least 13 x 9 inches
    rgb = (pixels[:, :, :3] * 255).round().astype(int)
    colours = {tuple(p) for p in rgb.reshape(-1, 3)[::7]}
    assert len(colours) > 50
    ink = (rgb.sum(axis=2) < 700).mean()
    assert 0.01 < ink < 0.5


def test_save_refuses_an_unknown_suffix_and_writes_nothing(pohang: nx.MultiDiGraph, tmp_path: Path) -> None:
    figure = draw(pohang, as_of="2019-12-31").figure
    with pytest.raises(InputError, match=r"--out: cannot write .*pohang\.jpg.*\.png, \.svg or \.pdf"):
        save(figure, tmp_path / "pohang.jpg")
    assert list(tmp_path.iterdir()) == []


def test_drawing_leaves_matplotlib_settings_alone(pohang: nx.MultiDiGraph) -> None:
    before = dict(matplotlib.rcParams)
    draw(pohang, as_of="2019-12-31", label="ko")
    assert dict(matplotlib.rcParams) == before
