"""Which engine answers, and what a query loads: NetworkX on small networks, igraph without matplotlib or numpy.

Each loading test runs in a fresh interpreter, so that what it finds in
``sys.modules`` is what the query itself imported.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest

from domain.errors import InputError
from projections import engines
from projections.centrality import centrality
from projections.engines import NETWORKX_BELOW, choose_engine

ROOT = Path(__file__).resolve().parents[2]


def run(code: str) -> list[str]:
    """Run *code* in a fresh interpreter; its printed words."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    return out.stdout.split()


def network_code(size: int, metric: str, engine: str = "auto") -> str:
    """Code that scores a path of *size* organisations and prints which heavy modules got loaded."""
    return (
        "import sys, networkx as nx\n"
        "from projections.centrality import centrality\n"
        "g = nx.MultiDiGraph()\n"
        f"for i in range({size} - 1):\n"
        "    g.add_edge(str(i), str(i + 1), tie_type='partnership', start_on='2019-01-01', end_on=None)\n"
        f"scores = centrality(g, {metric!r}, engine={engine!r})\n"
        "print(len(scores), *[m in sys.modules for m in ('igraph', 'numpy', 'matplotlib')])\n"
    )


def test_forcing_an_engine_is_obeyed() -> None:
    assert choose_engine("networkx", "betweenness", 10**6) == "networkx"
    assert choose_engine("igraph", "betweenness", 3) == "igraph"


def test_auto_takes_igraph_on_large_networks_and_for_metrics_without_a_threshold() -> None:
    assert choose_engine("auto", "betweenness", NETWORKX_BELOW["betweenness"]) == "igraph"
    assert choose_engine("auto", "brokers", 3) == "igraph"


def test_auto_takes_igraph_once_it_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "igraph", engines._igraph())
    assert choose_engine("auto", "pagerank", 5) == "igraph"


def test_an_unknown_engine_is_refused_naming_the_field() -> None:
    with pytest.raises(InputError) as error:
        choose_engine("gpu", "betweenness", 10)
    assert error.value.field == "engine"


def test_a_small_network_is_scored_by_networkx_without_loading_igraph() -> None:
    assert run(network_code(20, "betweenness")) == ["20", "False", "False", "False"]


def test_a_large_network_loads_igraph_but_neither_numpy_nor_matplotlib() -> None:
    size = NETWORKX_BELOW["betweenness"] + 10
    assert run(network_code(size, "betweenness")) == [str(size), "True", "False", "False"]


def test_every_igraph_query_leaves_numpy_and_matplotlib_unloaded() -> None:
    code = (
        "import sys, networkx as nx\n"
        "from projections.centrality import centrality\n"
        "from projections.structure import brokers, communities\n"
        "g = nx.MultiDiGraph()\n"
        "for u, v in nx.karate_club_graph().edges():\n"
        "    g.add_edge(str(u), str(v), tie_type='support', start_on='2019-01-01', end_on=None,\n"
        "               amount='5', currency='KRW')\n"
        "for metric in ('betweenness', 'closeness', 'harmonic', 'eigenvector', 'pagerank'):\n"
        "    for weight in ('none', 'ties', 'amount'):\n"
        "        centrality(g, metric, weight=weight, engine='igraph')\n"
        "brokers(g); communities(g)\n"
        "print(*[m in sys.modules for m in ('igraph', 'numpy', 'matplotlib')])\n"
    )
    assert run(code) == ["True", "False", "False"]


def test_matplotlib_still_draws_after_igraph_hid_it(tmp_path: Path) -> None:
    target = tmp_path / "after.png"
    code = (
        "import sys, networkx as nx\n"
        "from projections import engines\n"
        "from projections.drawing import draw, save\n"
        "engines._igraph()\n"
        "g = nx.MultiDiGraph(); g.add_edge('a', 'b', tie_type='partnership', start_on='2019-01-01', end_on=None)\n"
        f"save(draw(g, as_of='2020').figure, {str(target)!r})\n"
        "print('matplotlib' in sys.modules, any(type(f).__name__ == '_Hide' for f in sys.meta_path))\n"
    )
    assert run(code) == ["True", "False"]
    assert target.read_bytes().startswith(b"\x89PNG")


def test_a_hidden_package_fails_to_import_only_while_hidden() -> None:
    code = (
        "import sys\n"
        "from projections.engines import hidden\n"
        "with hidden('os'):\n"  # already loaded: nothing hidden
        "    import os\n"
        "    print('os')\n"
        "with hidden('colorsys'):\n"
        "    try:\n"
        "        import colorsys\n"
        "    except ImportError:\n"
        "        print('refused')\n"
        "import colorsys\n"
        "print('loaded')\n"
    )
    assert run(code) == ["os", "refused", "loaded"]


@pytest.mark.parametrize("metric", sorted(NETWORKX_BELOW))
def test_auto_gives_the_forced_engines_scores_on_both_sides_of_the_threshold(metric: str) -> None:
    for size in (NETWORKX_BELOW[metric] - 1, NETWORKX_BELOW[metric] + 1):
        base = nx.powerlaw_cluster_graph(size, 2, 0.3, seed=size)
        g: nx.MultiDiGraph = nx.MultiDiGraph()
        for u, v in base.edges():
            g.add_edge(str(u), str(v), tie_type="partnership", start_on="2019-01-01", end_on=None)
        auto = centrality(g, metric)
        assert max(auto.values()) > 0
        for forced in ("networkx", "igraph"):
            other = centrality(g, metric, engine=forced)
            assert max(abs(auto[k] - other[k]) for k in auto) <= 1e-9, (metric, size, forced)
