"""Pictures of the network: the network on a date (``draw``) and a metric over time (``plot_trend``).

Drawn with matplotlib's object API (``matplotlib.figure.Figure``, rendered by
the non-interactive Agg backend): no pyplot, no global state, no window.
matplotlib is imported only when a picture is made, never by the rest of
netledger. Korean names are drawn in NanumGothic, the font shipped inside the
``koreanize-matplotlib`` wheel; it is registered with matplotlib's font
manager on first use (the package itself is not imported: importing it
changes matplotlib's global settings and warns on recent Pythons).

Colours and line styles are fixed per sector and tie type, so two pictures of
one ledger always agree. The layout is seeded (``projections.layout``): the
same ledger, date and options always give the same picture.

>>> picture_format("pohang.svg")
'svg'
>>> picture_format("pohang.jpg")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
domain.errors.InputError: --out: cannot write 'pohang.jpg': unknown picture format '.jpg' (give a file name ending ...)
>>> label_of({"name_en": "POSCO", "name_ko": "포스코"}, "posco", "ko")
'포스코'
"""

from __future__ import annotations

import importlib.util
import math
import textwrap
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from domain.errors import InputError
from domain.files import Output
from domain.sectors import SECTORS
from projections.centrality import scores_of
from projections.engines import METRICS, TIE_TYPES, When, check_choice, check_tie_types, network_on, simple_graph, ties
from projections.layout import Position, positions
from projections.timeaxes import query_day

if TYPE_CHECKING:
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.figure import Figure
    from matplotlib.text import Annotation

PICTURE_FORMATS: dict[str, str] = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
LABELS: tuple[str, ...] = ("en", "ko", "key")
#: One colour per sector (colour-blind safe: Okabe and Ito's seven, and Tol's wine for civil society, the
#: quadruple helix's fourth strand); organisations of no known sector are grey.
SECTOR_COLOURS: dict[str, str] = {
    "government": "#0072B2",
    "university": "#E69F00",
    "research_institute": "#009E73",
    "firm": "#CC79A7",
    "civil_society": "#882255",
    "funder": "#D55E00",
    "intermediary": "#56B4E9",
    "programme": "#F0E442",
}
UNKNOWN_COLOUR = "#999999"
#: How each tie type is drawn: colour and line style (also used by the web page).
TIE_STYLES: dict[str, dict[str, Any]] = {
    "partnership": {"color": "#4D4D4D", "linestyle": "solid"},
    "agreement": {"color": "#1B7837", "linestyle": "dashed"},
    "support": {"color": "#B2182B", "linestyle": "dotted"},
}
KOREAN_FONT = "NanumGothic"
#: Fonts tried in turn for each character: NanumGothic covers Hangul and Latin, DejaVu Sans the rest.
FONT_FAMILY: list[str] = [KOREAN_FONT, "DejaVu Sans"]
#: Node areas (points²) of the lowest and the highest score.
SMALLEST, LARGEST = 60.0, 1300.0
#: Every organisation is labelled up to this many; beyond, only the ``LABEL_TOP`` highest by the size metric.
LABEL_LIMIT = 300
LABEL_TOP = 100
LABEL_SIZE = 8
#: The figure's margins (inches): left, bottom, the title's band on top and the legends' column on the right.
LEFT, BOTTOM, TOP, LEGEND_WIDTH = 0.15, 0.2, 1.0, 3.3
#: The smallest network area (inches): a small network keeps the familiar 13 x 9 inch picture.
MIN_AREA = (9.55, 7.8)


def picture_format(path: str | Path, field: str = "--out") -> str:
    """The format a picture file is written in, from its suffix (``InputError`` naming *field* if unknown)."""
    suffix = Path(path).suffix.lower()
    if suffix not in PICTURE_FORMATS:
        shown = f"unknown picture format {suffix!r}" if suffix else "no file suffix"
        raise InputError(field, f"cannot write {str(path)!r}: {shown}", "give a file name ending in .png, .svg or .pdf")
    return PICTURE_FORMATS[suffix]


def label_of(attrs: dict[str, Any], key: str, label: str = "en") -> str:
    """The name an organisation is shown by: English (``en``), Korean (``ko``) or its ``key``.

    A missing name falls back on the other language, then on the key.
    """
    check_choice(label, LABELS, "label")
    if label == "key":
        return key
    first, second = ("name_ko", "name_en") if label == "ko" else ("name_en", "name_ko")
    return str(attrs.get(first) or attrs.get(second) or attrs.get("name") or key)


def korean_font_path() -> Path:
    """NanumGothic as shipped inside the ``koreanize-matplotlib`` wheel (found without importing the package)."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:
        path = Path(folder) / "fonts" / "NanumGothic.ttf"
        if path.is_file():
            return path
    raise InputError("--label", "the Korean font NanumGothic is not installed", "pip install koreanize-matplotlib")


@contextmanager
def korean_text() -> Iterator[None]:
    """matplotlib settings for text made inside the block: NanumGothic first, an ASCII minus sign."""
    import matplotlib
    from matplotlib import font_manager

    if not any(f.name == KOREAN_FONT for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(korean_font_path()))
    settings: dict[Any, Any] = {
        "font.family": FONT_FAMILY,
        "axes.unicode_minus": False,
        "svg.hashsalt": "netledger",
        "svg.fonttype": "none",  # SVG text stays text (searchable, editable), in the fonts named here
        "pdf.fonttype": 42,  # PDF text in embedded TrueType fonts, so it can be searched and copied too
        "text.usetex": False,
    }
    with matplotlib.rc_context(settings):
        yield


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, facecolor="white")


@dataclass
class Drawing:
    """A drawn network: the figure and the artists that show each part of it."""

    figure: Figure
    #: One marker per organisation, in ``keys`` order (``nodes.get_offsets()``, ``nodes.get_sizes()``).
    nodes: PathCollection
    keys: list[str]
    #: The lines of each tie type drawn (one line per linked pair and type).
    ties: dict[str, LineCollection]
    #: Organisation key -> its label (every organisation up to ``LABEL_LIMIT``; see ``unlabelled``).
    labels: dict[str, Annotation]
    #: Organisation key -> (x, y) in the unit square.
    positions: dict[str, Position]
    #: Metric score behind each marker's size.
    scores: dict[str, float]
    day: str
    tie_count: int = 0
    legends: list[Any] = field(default_factory=list)
    #: Points per unit of the layout (the picture grows with the network).
    scale: float = 0.0
    #: Organisations drawn without a label (beyond ``LABEL_LIMIT``, or no free place for it).
    unlabelled: list[str] = field(default_factory=list)


def draw(
    graph: nx.MultiDiGraph,
    *,
    as_of: When,
    label: str = "en",
    size_by: str = "degree",
    layout: str = "spring",
    seed: int = 0,
    tie_types: Iterable[str] | None = None,
    title: str | None = None,
) -> Drawing:
    """Draw the network as it stood on *as_of*: colour by sector, size by a metric, ties styled by type.

    The picture grows with the network so that no label covers another label
    or a marker and no two markers overlap (``projections.labels``): from 13 x 9
    inches for a few dozen organisations to about 30 inches across for 300 (40 at most).
    Up to ``LABEL_LIMIT`` organisations every one is labelled; beyond, only the
    ``LABEL_TOP`` highest by *size_by* (the subtitle says so).

    Parameters
    ----------
    graph : networkx.MultiDiGraph
        The ledger's network (``projections.store.load_network``); every
        organisation that exists on the date is drawn, with or without ties.
    as_of : str, date or PartialDate
        The network on that day (see ``projections.timeaxes``; ``"2019"`` is 2019-12-31):
        its organisations, its ties and the names in force then.
    label : {"en", "ko", "key"}
        Label organisations by English name, Korean name or key.
    size_by : str
        A centrality metric (see ``projections.centrality``); marker areas are
        proportional to the score, from the lowest to the highest.
    layout : {"spring", "kamada-kawai", "circular", "shell"}
        See ``projections.layout``; laid out on the network of the date.
    seed : int
        Seed of the layout.
    tie_types : iterable of str, optional
        Only ties of these types.
    title : str, optional
        Default: the ledger's name and the date.

    Returns
    -------
    Drawing
        The figure (save it with :func:`save`) and its artists.

    Examples
    --------
    >>> import networkx as nx
    >>> g = nx.MultiDiGraph(ledger="example")
    >>> g.add_node("a", sector="firm", name_en="A", name_ko="에이")
    >>> g.add_node("b", sector="university", name_en="B")
    >>> _ = g.add_edge("a", "b", tie_type="partnership", start_on="2019-01-01", end_on=None)
    >>> d = draw(g, as_of="2019-12-31", label="ko")
    >>> len(d.nodes.get_offsets()), sorted(t.get_text() for t in d.labels.values())
    (2, ['B', '에이'])
    >>> d.figure.axes[0].get_title(loc="left")
    'example: the network as of 2019-12-31'
    """
    from projections import labels as placing

    day = query_day(as_of)
    network = network_on(graph, day)
    check_choice(label, LABELS, "label")
    check_choice(size_by, METRICS, "size_by")
    types = check_tie_types(tie_types)
    simple = simple_graph(graph, as_of=day, tie_types=types)
    where = positions(simple, layout, seed=seed)
    # an undefined score (eigenvector without any tie) draws the smallest marker
    scores = {k: float(v or 0.0) for k, v in scores_of(graph, size_by, as_of=day, tie_types=types).items()}
    keys = list(where)
    pairs = _pairs(graph, day, types)
    values = [scores.get(k, 0.0) for k in keys]
    diameters = {k: math.sqrt(_area(scores.get(k, 0.0), values)) for k in keys}
    ranked = sorted(keys, key=lambda k: (-scores.get(k, 0.0), k))
    chosen = ranked if len(ranked) <= LABEL_LIMIT else ranked[:LABEL_TOP]
    texts = {k: _wrap(label_of(network.nodes[k], k, label)) for k in chosen}
    with korean_text():
        sizes = _text_sizes(texts)
        if len(keys) <= LABEL_LIMIT:  # beyond, pairwise spreading costs too much memory: markers shrink instead
            where = placing.make_room(where, diameters, sizes)
        plan = placing.plan(where, diameters, sizes, ranked)
        figure, ax = _canvas(where, diameters, plan)
        lines = _draw_ties(ax, pairs, where, plan.scale)
        factor = plan.marker_factor
        nodes = ax.scatter(
            [where[k][0] for k in keys],
            [where[k][1] for k in keys],
            s=[(diameters[k] * factor) ** 2 for k in keys],
            c=[sector_colour(network.nodes[k].get("sector")) for k in keys],
            edgecolors="white",
            linewidths=1.2 if factor > 0.5 else 0.4,
            zorder=3,
        )
        nodes.set_gid("organisations")
        labels: dict[str, Annotation] = {}
        for k in chosen:
            if k not in plan.places:
                continue
            place = plan.places[k]
            _, _, ha, va = placing.PLACES[place]
            text = ax.annotate(
                texts[k],
                where[k],
                xytext=placing.offset(place, diameters[k] * factor / 2),
                textcoords="offset points",
                ha=ha,
                va=va,
                fontsize=LABEL_SIZE,
                zorder=4,
                parse_math=False,
                bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none", "alpha": 0.75},
            )
            text.set_gid(f"label:{k}")
            labels[k] = text
        tie_count = sum(sum(v.values()) for v in pairs.values())
        ledger = graph.graph.get("ledger") or "network"
        ax.set_title(title or f"{ledger}: the network as of {day}", fontsize=15, loc="left", pad=24, parse_math=False)
        subtitle = f"{len(keys)} organisations, {tie_count} ties; colour: sector; size: {size_by}"
        if len(labels) < len(chosen):  # some of the highest found no free place even at the largest size
            subtitle += f"; labels: {len(labels)} of the {len(chosen)} highest"
        elif len(labels) < len(keys):
            subtitle += f"; labels: the {len(labels)} highest"
        ax.annotate(
            subtitle,
            (0.0, 1.0),
            xycoords="axes fraction",
            xytext=(0, 8),
            textcoords="offset points",
            fontsize=10,
            color="#444444",
            parse_math=False,
        )
        legends = _legends(figure, ax, network, keys, pairs, values, factor, size_by)
        as_text(figure)
    return Drawing(
        figure,
        nodes,
        keys,
        lines,
        labels,
        where,
        scores,
        day,
        tie_count,
        legends,
        plan.scale,
        sorted(set(keys) - set(labels)),
    )


def _text_sizes(texts: dict[str, str]) -> dict[str, tuple[float, float]]:
    """Each label's (width, height) in points, as the renderer draws it at ``LABEL_SIZE``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    scratch = _figure(1, 1)
    renderer = FigureCanvasAgg(scratch).get_renderer()
    to_points = 72.0 / scratch.dpi
    sizes = {}
    for key, text in texts.items():
        artist = scratch.text(0, 0, text, fontsize=LABEL_SIZE, parse_math=False)
        extent = artist.get_window_extent(renderer)
        sizes[key] = (extent.width * to_points, extent.height * to_points)
        artist.remove()
    return sizes


def _canvas(where: dict[str, Position], diameters: dict[str, float], plan: Any) -> tuple[Figure, Any]:
    """A figure whose network area shows the layout at *plan*'s scale (equal in x and y), legends to its right."""
    from projections import labels as placing

    scale, factor = plan.scale, plan.marker_factor
    xs, ys = [], []
    for k, (x, y) in where.items():
        r = diameters[k] * factor / 2 + 2
        xs += [x * scale - r, x * scale + r]
        ys += [y * scale - r, y * scale + r]
    for x0, y0, x1, y1 in plan.boxes.values():
        xs += [x0 - placing.MARGIN, x1 + placing.MARGIN]
        ys += [y0 - placing.MARGIN, y1 + placing.MARGIN]
    if not xs:
        xs, ys = [0.0, scale], [0.0, scale]
    width, height = (max(xs) - min(xs)) / 72 + 0.3, (max(ys) - min(ys)) / 72 + 0.3  # inches, with a border
    width, height = max(width, MIN_AREA[0]), max(height, MIN_AREA[1])
    fig_w, fig_h = LEFT + width + LEGEND_WIDTH, BOTTOM + height + TOP
    figure = _figure(fig_w, fig_h)
    ax = figure.add_axes((LEFT / fig_w, BOTTOM / fig_h, width / fig_w, height / fig_h))
    ax.set_axis_off()
    cx, cy = (max(xs) + min(xs)) / 2 / scale, (max(ys) + min(ys)) / 2 / scale
    half_w, half_h = width * 72 / scale / 2, height * 72 / scale / 2
    ax.set_xlim(cx - half_w, cx + half_w)
    ax.set_ylim(cy - half_h, cy + half_h)
    return figure, ax


def sector_colour(sector: str | None) -> str:
    """The colour of a sector (grey for none or an unknown one)."""
    return SECTOR_COLOURS.get(sector or "", UNKNOWN_COLOUR)


def _pairs(graph: nx.MultiDiGraph, day: str, types: tuple[str, ...] | None) -> dict[tuple[str, str], dict[str, int]]:
    """Linked pair (keys in order) -> tie type -> number of ties that count on *day*."""
    found: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for u, v, _, attrs in ties(graph, as_of=day, tie_types=types):
        if u != v:
            found[(min(u, v), max(u, v))][attrs.get("tie_type") or "partnership"] += 1
    return found


def _draw_ties(
    ax: Any, pairs: dict[tuple[str, str], dict[str, int]], where: dict[str, Position], scale: float
) -> dict[str, Any]:
    """One line per pair and tie type; a pair linked by several types gets parallel lines 5 points apart."""
    from matplotlib.collections import LineCollection

    segments: dict[str, list[Any]] = defaultdict(list)
    widths: dict[str, list[float]] = defaultdict(list)
    step = 5.0 / scale
    for (u, v), by_type in sorted(pairs.items()):
        (x1, y1), (x2, y2) = where[u], where[v]
        length = math.hypot(x2 - x1, y2 - y1) or 1.0
        nx_, ny_ = -(y2 - y1) / length, (x2 - x1) / length  # unit normal
        present = [t for t in (*TIE_TYPES, *sorted(set(by_type) - set(TIE_TYPES))) if t in by_type]
        for i, tie_type in enumerate(present):
            shift = (i - (len(present) - 1) / 2) * step
            dx, dy = nx_ * shift, ny_ * shift
            segments[tie_type].append([(x1 + dx, y1 + dy), (x2 + dx, y2 + dy)])
            widths[tie_type].append(min(1.3 + 0.9 * (by_type[tie_type] - 1), 4.0))
    drawn = {}
    for tie_type, segs in segments.items():
        style = TIE_STYLES.get(tie_type, TIE_STYLES["partnership"])
        lines = LineCollection(
            segs, colors=style["color"], linestyles=style["linestyle"], linewidths=widths[tie_type], alpha=0.8
        )
        lines.set_zorder(2)
        lines.set_gid(f"ties:{tie_type}")
        ax.add_collection(lines)
        drawn[tie_type] = lines
    return drawn


def _area(score: float, scores: Iterable[float]) -> float:
    values = list(scores)
    low, high = (min(values), max(values)) if values else (0.0, 0.0)
    if high <= low:
        return (SMALLEST + LARGEST) / 4
    return SMALLEST + (LARGEST - SMALLEST) * (score - low) / (high - low)


def as_text(figure: Figure) -> Figure:
    """Draw every text of *figure* as it is: names are data, never parsed as mathtext (``$...$``).

    >>> from matplotlib.figure import Figure
    >>> f = Figure()
    >>> _ = f.suptitle("Costs $" + chr(92) + "notacommand$ and $5")
    >>> as_text(f).texts[0].get_parse_math()
    False
    """
    from matplotlib.text import Text

    for text in figure.findobj(Text):
        text.set_parse_math(False)
    return figure


def _wrap(text: str, width: int = 22) -> str:
    return textwrap.fill(text, width=width, break_long_words=False, break_on_hyphens=False)


def _legends(
    figure: Figure,
    ax: Any,
    graph: nx.MultiDiGraph,
    keys: list[str],
    pairs: dict[tuple[str, str], dict[str, int]],
    values: list[float],
    factor: float,
    size_by: str,
) -> list[Any]:
    """Sectors, tie types and marker sizes, stacked in the right-hand margin (never over the network).

    Only what the picture shows is listed: a tie type without a tie on the date has no row, and
    without any tie there is no tie legend.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.lines import Line2D

    sectors: dict[str, int] = defaultdict(int)
    for k in keys:
        sectors[graph.nodes[k].get("sector") or "unknown"] += 1
    order = [s for s in (*SECTORS, *sorted(set(sectors) - set(SECTORS))) if s in sectors]
    counts: dict[str, int] = defaultdict(int)
    for by_type in pairs.values():
        for t, n in by_type.items():
            counts[t] += n
    shown_types = [t for t in (*TIE_TYPES, *sorted(set(counts) - set(TIE_TYPES))) if counts.get(t)]
    low, high = (min(values), max(values)) if values else (0.0, 0.0)
    examples = sorted({low, (low + high) / 2, high})
    sections: list[tuple[str, list[Any], list[str], dict[str, Any]]] = [
        (
            "sector",
            [
                Line2D(
                    [],
                    [],
                    marker="o",
                    linestyle="",
                    markersize=9,
                    markerfacecolor=sector_colour(s),
                    markeredgecolor="white",
                )
                for s in order
            ],
            [f"{s.replace('_', ' ')} ({sectors[s]})" for s in order],
            {},
        ),
        (
            "tie type",
            [Line2D([], [], linewidth=2, **TIE_STYLES.get(t, TIE_STYLES["partnership"])) for t in shown_types],
            [f"{t} ({counts[t]})" for t in shown_types],
            {"handlelength": 3},
        ),
        (
            size_by,
            [
                Line2D(
                    [], [], marker="o", linestyle="", markersize=math.sqrt(_area(v, values)) * factor, color="#BBBBBB"
                )
                for v in examples
            ],
            [_number(v) for v in examples],
            {"labelspacing": 3.0 * factor + 0.5, "borderpad": 1.2},
        ),
    ]
    renderer = (figure.canvas if isinstance(figure.canvas, FigureCanvasAgg) else FigureCanvasAgg(figure)).get_renderer()
    x = ax.get_position().x1 + 0.2 / figure.get_figwidth()
    top = ax.get_position().y1
    placed = []
    for title, handles, texts, extra in sections:
        if not handles:
            continue
        legend = figure.legend(
            handles,
            texts,
            title=title,
            bbox_to_anchor=(x, top),
            loc="upper left",
            frameon=False,
            fontsize=9,
            title_fontsize=10,
            alignment="left",
            **extra,
        )
        for text in legend.get_texts():
            text.set_parse_math(False)
        legend.get_title().set_parse_math(False)
        top = legend.get_window_extent(renderer).y0 / figure.bbox.height - 0.25 / figure.get_figheight()
        placed.append(legend)
    return placed


def _number(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.3f}"


def plot_trend(
    rows: Sequence[dict[str, Any]],
    metric: str,
    *,
    step: str = "year",
    title: str | None = None,
    names: dict[str, str] | None = None,
) -> Figure:
    """A line chart of ``projections.history.trend`` rows: one line per organisation (or the network measure).

    The x axis shows the periods (years or quarters), the y axis the metric.
    *names* maps a column (an organisation key) to its legend entry.

    Examples
    --------
    >>> rows = [{"period": "2019", "as_of": "2019-12-31", "a": 0.5, "b": 0.0},
    ...         {"period": "2020", "as_of": "2020-12-31", "a": 1.0, "b": 0.5}]
    >>> ax = plot_trend(rows, "degree").axes[0]
    >>> ax.get_xlabel(), ax.get_ylabel(), [line.get_label() for line in ax.get_lines()]
    ('year', 'degree', ['a', 'b'])
    """
    periods = [str(r["period"]) for r in rows]
    columns = [c for c in (rows[0] if rows else {}) if c not in ("period", "as_of")]
    with korean_text():
        figure = _figure(10, 6)
        ax = figure.add_axes((0.08, 0.1, 0.66, 0.8))
        x = list(range(len(periods)))
        for column in columns:
            values = [math.nan if r.get(column) is None else float(r[column]) for r in rows]
            ax.plot(x, values, marker="o", linewidth=1.8, label=(names or {}).get(column, column))
        ax.set_xticks(x, periods, rotation=45 if len(periods) > 12 else 0)
        ax.set_xlabel(step)
        ax.set_ylabel(metric)
        ax.grid(True, color="#DDDDDD")
        ax.set_title(title or f"{metric} by {step}", loc="left")
        if columns:
            ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, fontsize=9)
        as_text(figure)
    return figure


def plot_resilience(curve: Sequence[dict[str, Any]], attack: str, *, title: str | None = None) -> Figure:
    """The largest component's share as organisations are removed (``projections.whatif.resilience``'s curve).

    Examples
    --------
    >>> curve = [{"step": 0, "removed": None, "largest_component": 4, "share": 1.0},
    ...          {"step": 1, "removed": "hub", "largest_component": 1, "share": 0.25}]
    >>> ax = plot_resilience(curve, "degree").axes[0]
    >>> ax.get_xlabel(), ax.get_ylabel(), [float(y) for y in ax.get_lines()[0].get_ydata()]
    ('organisations removed (highest degree first)', 'share in the largest component', [1.0, 0.25])
    """
    with korean_text():
        figure = _figure(10, 6)
        ax = figure.add_axes((0.1, 0.1, 0.85, 0.8))
        steps = [int(r["step"]) for r in curve]
        shares = [math.nan if r["share"] is None else float(r["share"]) for r in curve]
        ax.plot(steps, shares, marker="o", markersize=3, linewidth=1.8)
        ax.set_xlabel(f"organisations removed (highest {attack} first)")
        ax.set_ylabel("share in the largest component")
        ax.set_ylim(0, 1.05)
        ax.grid(True, color="#DDDDDD")
        ax.set_title(title or f"the largest component as organisations are removed ({attack})", loc="left")
    return figure


def save(figure: Figure, path: str | Path | Output) -> Path:
    """Write *figure* to *path* in the format its suffix names (``domain.files.Output``: atomically
    for a regular file, nothing left on failure; a special file written directly).

    PNG, SVG and PDF carry no creation date, so the same picture gives the same bytes.
    """
    target = path if isinstance(path, Output) else Output.of(path)
    fmt = picture_format(target.path)
    metadata: dict[str, Any] = {"png": {"Software": None}, "svg": {"Date": None}, "pdf": {"CreationDate": None}}[fmt]
    as_text(figure)  # whoever made the figure, its names are drawn as text
    with korean_text(), target.open(binary=True) as out:
        figure.savefig(out, format=fmt, dpi=150, metadata=metadata, facecolor="white")
    return target.path
