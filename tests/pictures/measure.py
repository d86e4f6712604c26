"""Readability of a drawn network, measured with the renderer's own boxes (for the picture tests).

``overlaps(drawing)`` draws the figure on an Agg canvas and counts, from
``Text.get_window_extent(renderer)``: pairs of labels whose boxes intersect,
labels whose box covers part of an organisation's marker (a disc of the
marker's drawn diameter), and pairs of markers that overlap. Boxes that only
touch do not count; a tolerance of half a pixel absorbs rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

TOLERANCE = 0.5  # pixels


@dataclass(frozen=True)
class Overlaps:
    labels: int
    label_marker: int
    markers: int
    labelled: int

    def __str__(self) -> str:
        return f"{self.labels} label/label, {self.label_marker} label/marker, {self.markers} marker/marker"


def boxes(drawing: Any) -> tuple[list[tuple[float, float, float, float]], list[tuple[float, float, float]]]:
    """The labels' boxes ``(x0, y0, x1, y1)`` and the markers' discs ``(x, y, radius)``, in pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(drawing.figure)
    canvas.draw()
    renderer = canvas.get_renderer()
    labels = []
    for text in drawing.labels.values():
        if not text.get_visible() or not text.get_text():
            continue
        box = text.get_window_extent(renderer)
        labels.append((float(box.x0), float(box.y0), float(box.x1), float(box.y1)))
    ax = drawing.nodes.axes
    centres = ax.transData.transform(drawing.nodes.get_offsets())
    scale = drawing.figure.dpi / 72.0
    discs = [
        (float(x), float(y), math.sqrt(float(s)) * scale / 2)
        for (x, y), s in zip(centres, drawing.nodes.get_sizes(), strict=True)
    ]
    return labels, discs


def _box_box(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > TOLERANCE and min(a[3], b[3]) - max(a[1], b[1]) > TOLERANCE


def _box_disc(a: tuple[float, ...], d: tuple[float, float, float]) -> bool:
    x, y, r = d
    nearest_x, nearest_y = min(max(x, a[0]), a[2]), min(max(y, a[1]), a[3])
    return math.hypot(x - nearest_x, y - nearest_y) < r - TOLERANCE


def overlaps(drawing: Any) -> Overlaps:
    labels, discs = boxes(drawing)
    pairs = sum(_box_box(a, b) for i, a in enumerate(labels) for b in labels[i + 1 :])
    covering = sum(_box_disc(a, d) for a in labels for d in discs)
    markers = sum(
        math.hypot(a[0] - b[0], a[1] - b[1]) < a[2] + b[2] - TOLERANCE
        for i, a in enumerate(discs)
        for b in discs[i + 1 :]
    )
    return Overlaps(pairs, covering, markers, len(labels))
