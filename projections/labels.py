"""Where a picture's labels go: beside their marker, never over another label or marker.

``plan`` takes the layout (the unit square), each marker's diameter and each
label's size (in points, as the renderer measured them) and returns the scale
of the picture (points per layout unit), how much the markers are shrunk, and
for each label one of eight places around its marker:

* the scale starts from an estimate of the room the labels and markers need
  and grows (by ``GROWTH``) until every marker is clear of the others and every
  label finds a free place, up to ``MAX_SIDE`` points for the longer side of
  the layout;
* labels are placed greedily, the most important first (the order given):
  below, above, right, left, then the four corners; a place is free when its box,
  widened by ``MARGIN``, touches no label already placed and no marker;
* at the largest scale, markers that would still overlap are shrunk
  (``marker_factor``), and labels that find no free place are left out
  (``dropped``), the least important ones, since they come last.

Everything is arithmetic on the given numbers: the same input gives the same
plan.

>>> where = {"a": (0.0, 0.0), "b": (1.0, 0.0), "c": (0.5, 1.0)}
>>> p = plan(where, {k: 10.0 for k in where}, {k: (60.0, 12.0) for k in where}, ["a", "b", "c"])
>>> sorted(p.places.values()), p.dropped, p.marker_factor
([0, 0, 0], [], 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

#: Points between a marker and its label.
GAP = 2.0
#: Points kept free around every label.
MARGIN = 1.5
#: Each try enlarges the picture by this factor.
GROWTH = 1.1
#: The longest side of the layout, in points, the picture may grow to (40 inches).
MAX_SIDE = 40 * 72.0
#: The smallest scale (points per layout unit): a small network keeps a readable, familiar size.
MIN_SCALE = 560.0
#: Room estimate: the layout's area must be this many times the labels' and markers' area to start with.
ROOM = 1.0
#: How ``make_room`` stretches a layout before spreading it: x by sqrt 2, y by 1 / sqrt 2.
STRETCH = (math.sqrt(2), 1 / math.sqrt(2))
#: (dx, dy) direction of each place around a marker; the label's horizontal and vertical alignment.
PLACES: tuple[tuple[float, float, str, str], ...] = (
    (0.0, -1.0, "center", "top"),  # below
    (0.0, 1.0, "center", "bottom"),  # above
    (1.0, 0.0, "left", "center"),  # right
    (-1.0, 0.0, "right", "center"),  # left
    (0.71, -0.71, "left", "top"),
    (-0.71, -0.71, "right", "top"),
    (0.71, 0.71, "left", "bottom"),
    (-0.71, 0.71, "right", "bottom"),
)


@dataclass
class Plan:
    #: Points per layout unit.
    scale: float
    #: Every marker's diameter is multiplied by this (1.0 unless even the largest picture is too small).
    marker_factor: float
    #: Label key -> index into ``PLACES``.
    places: dict[str, int] = field(default_factory=dict)
    #: Labels with no free place at the largest scale, least important last.
    dropped: list[str] = field(default_factory=list)
    #: Label key -> its box (x0, y0, x1, y1) in points, the layout's origin at (0, 0).
    boxes: dict[str, tuple[float, float, float, float]] = field(default_factory=dict)


def offset(place: int, radius: float) -> tuple[float, float]:
    """Where the label's anchor sits from its marker's centre, in points, for a marker of *radius* points."""
    dx, dy, _, _ = PLACES[place]
    return dx * (radius + GAP), dy * (radius + GAP)


def box(place: int, x: float, y: float, radius: float, width: float, height: float) -> tuple[float, ...]:
    """The box of a *width* x *height* label at *place* around a marker at (x, y), in points."""
    ox, oy = offset(place, radius)
    _, _, ha, va = PLACES[place]
    ax, ay = x + ox, y + oy
    x0 = {"left": ax, "center": ax - width / 2, "right": ax - width}[ha]
    y0 = {"bottom": ay, "center": ay - height / 2, "top": ay - height}[va]
    return (x0, y0, x0 + width, y0 + height)


def plan(
    where: Mapping[str, tuple[float, float]],
    diameters: Mapping[str, float],
    sizes: Mapping[str, tuple[float, float]],
    order: Sequence[str],
) -> Plan:
    """Scale the picture and place the labels of *sizes* (key -> (width, height) points), in *order*.

    *where* holds every marker (key -> position in the unit square) and
    *diameters* their diameters in points; only the keys of *sizes* get a label,
    and *order* lists them most important first.
    """
    keys = list(where)
    if not keys:
        return Plan(MIN_SCALE, 1.0)
    xy = np.array([where[k] for k in keys], dtype=float)
    radii = np.array([diameters[k] / 2 for k in keys], dtype=float)
    span = max(float(np.ptp(xy[:, 0])), float(np.ptp(xy[:, 1])), 1e-9)
    largest = MAX_SIDE / span
    needed = sum((w + 2 * MARGIN) * (h + 2 * MARGIN) for w, h in sizes.values()) + float(((2 * radii) ** 2).sum())
    area = max(float(np.ptp(xy[:, 0])) * float(np.ptp(xy[:, 1])), span * span / len(keys))
    scale = min(max(MIN_SCALE, math.sqrt(ROOM * needed / area)), largest)
    clear = _clear_scale(xy, radii)
    factor = 1.0
    if clear > largest:  # even the largest picture is too small for the markers: shrink them
        factor = max(0.05, min(1.0, largest / clear))
        scale = largest
    else:
        scale = max(scale, clear)
    labelled = [k for k in order if k in sizes]
    while True:
        last = scale >= largest
        found = _place(keys, xy * scale, radii * factor, labelled, sizes, stop_on_miss=not last)
        if last or not found.dropped:
            found.scale, found.marker_factor = scale, factor
            return found
        scale = min(scale * GROWTH, largest)


def _clear_scale(xy: np.ndarray, radii: np.ndarray) -> float:
    """The smallest scale at which no two markers overlap (a point of air between them)."""
    worst = 0.0
    for start in range(0, len(xy), 512):  # in blocks: 5,000 markers are 12.5 million pairs
        block = xy[start : start + 512]
        dist = np.hypot(block[:, None, 0] - xy[None, :, 0], block[:, None, 1] - xy[None, :, 1])
        need = radii[start : start + 512, None] + radii[None, :] + 1.0
        rows = np.arange(len(block))
        dist[rows, rows + start] = np.inf  # a marker and itself
        with np.errstate(divide="ignore"):
            worst = max(worst, float((need / np.maximum(dist, 1e-12)).max()))
    return worst


def _place(
    keys: list[str],
    points: np.ndarray,
    radii: np.ndarray,
    labelled: list[str],
    sizes: Mapping[str, tuple[float, float]],
    *,
    stop_on_miss: bool,
) -> Plan:
    index = {k: i for i, k in enumerate(keys)}
    taken = np.empty((len(labelled), 4))
    count = 0
    found = Plan(0.0, 1.0)
    for key in labelled:
        i = index[key]
        width, height = sizes[key]
        x, y = points[i]
        for place in range(len(PLACES)):
            x0, y0, x1, y1 = box(place, float(x), float(y), float(radii[i]), width, height)
            x0, y0, x1, y1 = x0 - MARGIN, y0 - MARGIN, x1 + MARGIN, y1 + MARGIN
            if count and bool(
                (
                    (np.minimum(x1, taken[:count, 2]) > np.maximum(x0, taken[:count, 0]))
                    & (np.minimum(y1, taken[:count, 3]) > np.maximum(y0, taken[:count, 1]))
                ).any()
            ):
                continue
            near_x = np.clip(points[:, 0], x0, x1) - points[:, 0]
            near_y = np.clip(points[:, 1], y0, y1) - points[:, 1]
            if bool((near_x**2 + near_y**2 < radii**2).any()):
                continue
            taken[count] = (x0, y0, x1, y1)
            count += 1
            found.places[key] = place
            found.boxes[key] = (x0 + MARGIN, y0 + MARGIN, x1 - MARGIN, y1 - MARGIN)
            break
        else:
            found.dropped.append(key)
            if stop_on_miss:
                break
    return found


def make_room(
    where: Mapping[str, tuple[float, float]],
    diameters: Mapping[str, float],
    sizes: Mapping[str, tuple[float, float]],
) -> dict[str, tuple[float, float]]:
    """*where* moved so that every node's marker and its label below it have room of their own.

    The layout is first scaled to the area the labels and markers need and
    stretched to the labels' shape (``STRETCH``: twice as wide as high, since
    labels are wider than tall), then ``spread`` moves apart what still
    overlaps. A circular or shell layout thus becomes an ellipse. Returns
    positions in the unit square, in *where*'s order; nodes without a size
    (no label) keep the room of their marker only.
    """
    keys = list(where)
    if len(keys) < 2:
        return dict(where)
    radii = np.array([diameters[k] / 2 for k in keys])
    label = np.array([sizes.get(k, (0.0, 0.0)) for k in keys])
    needed = float(((label[:, 0] + 2 * MARGIN) * (label[:, 1] + 2 * MARGIN)).sum() + ((2 * radii) ** 2).sum())
    points = np.array([where[k] for k in keys], dtype=float) * math.sqrt(max(needed, 1.0)) * np.array(STRETCH)
    gaps = np.where(label[:, 1] > 0, GAP, 0.0)
    half = np.column_stack(
        (np.maximum(label[:, 0], 2 * radii) / 2 + MARGIN, (2 * radii + gaps + label[:, 1]) / 2 + MARGIN)
    )
    shifts = np.column_stack((np.zeros(len(keys)), -(label[:, 1] + gaps) / 2))
    moved, _ = spread(points, half, shifts)
    span = max(float(np.ptp(moved[:, 0])), float(np.ptp(moved[:, 1])), 1e-9)
    low = moved.min(axis=0)
    middle = (moved.max(axis=0) - low) / span / 2
    return {
        k: (round(0.5 - middle[0] + (x - low[0]) / span, 6), round(0.5 - middle[1] + (y - low[1]) / span, 6))
        for k, (x, y) in zip(keys, moved.tolist(), strict=True)
    }


def spread(
    points: np.ndarray, half_sizes: np.ndarray, shifts: np.ndarray, *, iterations: int = 300
) -> tuple[np.ndarray, int]:
    """Move apart the rectangles that overlap: each node's marker with its label below.

    *points* are the nodes' centres (n x 2, points), *half_sizes* their rectangles'
    half widths and heights (n x 2), *shifts* how far each rectangle's centre
    sits from its node (n x 2). Each round, every overlapping pair is pushed
    apart along the axis where it overlaps least, by half the overlap and a
    point of air; a node takes the largest push it gets on each axis (a sum
    overshoots in crowded spots and oscillates), and, while anything still
    overlaps, the whole picture grows by 0.2% (so that a crowd no single push
    can open still comes apart). Returns the new centres and the number of pairs
    still overlapping when *iterations* ran out (``plan`` then places the labels
    that remain by growing the picture).
    """
    moved = points.astype(float).copy()
    n = len(moved)
    if n < 2:
        return moved, 0
    order = np.arange(n)
    tie_break = np.where(order[:, None] < order[None, :], -1.0, 1.0)  # coincident nodes: the lower index left/down
    rows = np.arange(n)
    left = 0
    for _ in range(iterations):
        centres = moved + shifts
        delta = centres[:, None, :] - centres[None, :, :]
        overlap = half_sizes[:, None, :] + half_sizes[None, :, :] + 0.5 - np.abs(delta)
        hit = (overlap[:, :, 0] > 0) & (overlap[:, :, 1] > 0)
        np.fill_diagonal(hit, False)
        left = int(hit.sum()) // 2
        if not left:
            break
        along_x = overlap[:, :, 0] < overlap[:, :, 1]
        direction = np.where(delta == 0, tie_break[:, :, None], np.sign(delta))
        amount = np.where(hit, 0.5 * np.where(along_x, overlap[:, :, 0], overlap[:, :, 1]), 0.0)
        push_x = amount * along_x * direction[:, :, 0]
        push_y = amount * ~along_x * direction[:, :, 1]
        moved[:, 0] += push_x[rows, np.abs(push_x).argmax(axis=1)]
        moved[:, 1] += push_y[rows, np.abs(push_y).argmax(axis=1)]
        middle = (moved.max(axis=0) + moved.min(axis=0)) / 2
        moved = middle + (moved - middle) * 1.002
    return moved, left
