"""The trend chart (``projections.drawing.plot_trend``): labelled axes, one line per organisation, a legend."""

from __future__ import annotations

import math

import networkx as nx
import pytest

from projections.drawing import plot_trend
from projections.history import trend


def test_one_line_per_organisation_with_its_values(pohang: nx.MultiDiGraph) -> None:
    rows = trend(pohang, "betweenness", start=2018, end=2023)
    figure = plot_trend(rows, "betweenness", title="pohang-demo: betweenness by year")
    ax = figure.axes[0]
    organisations = [c for c in rows[0] if c not in ("period", "as_of")]
    assert len(organisations) == 5
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == organisations
    for line, key in zip(lines, organisations, strict=True):
        expected = [math.nan if row[key] is None else row[key] for row in rows]  # None: it did not exist yet
        assert list(line.get_ydata()) == pytest.approx(expected, nan_ok=True)
    assert rows[0]["nssz-promotion-group"] is None  # 2018: before the launch
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(y) for y in range(2018, 2024)]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("year", "betweenness")
    assert ax.get_title(loc="left") == "pohang-demo: betweenness by year"
    legend = ax.get_legend()
    assert legend is not None and [t.get_text() for t in legend.get_texts()] == organisations


def test_a_network_measure_is_one_line_named_after_it(pohang: nx.MultiDiGraph) -> None:
    rows = trend(pohang, "ties", start=2019, end=2020, step="quarter")
    ax = plot_trend(rows, "ties", step="quarter").axes[0]
    assert [line.get_label() for line in ax.get_lines()] == ["ties"]
    assert ax.get_xlabel() == "quarter"
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["2019-Q1", "2019-Q2"]


def test_missing_values_are_gaps_not_zeros() -> None:
    rows = [{"period": "2019", "as_of": "2019-12-31", "ei": None}, {"period": "2020", "as_of": "2020-12-31", "ei": 0.5}]
    (line,) = plot_trend(rows, "ei").axes[0].get_lines()
    assert math.isnan(line.get_ydata()[0]) and line.get_ydata()[1] == 0.5
