"""matplotlib is loaded only to make a picture: never by the command line at start-up, never by the page."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def loaded(code: str, modules: list[str]) -> list[bool]:
    probe = f"import sys; {code}; print(*[m in sys.modules for m in {modules!r}])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT)
    return [word == "True" for word in out.stdout.split()]


def test_the_cli_does_not_import_matplotlib_at_start_up() -> None:
    assert loaded("import cli.main", ["matplotlib", "networkx", "igraph"]) == [False, False, False]


def test_the_page_and_the_layout_do_not_import_matplotlib() -> None:
    assert loaded("import projections.webpage, projections.layout, projections.drawing", ["matplotlib"]) == [False]


def test_a_drawing_imports_no_pyplot_and_renders_with_agg(tmp_path: Path) -> None:
    target = tmp_path / "one.png"
    code = (
        "import networkx as nx; from projections.drawing import draw, save; "
        "g = nx.MultiDiGraph(); g.add_node('a', sector='firm'); "
        f"save(draw(g, as_of='2020').figure, {str(target)!r})"
    )
    modules = ["matplotlib.pyplot", "koreanize_matplotlib", "matplotlib.backends.backend_agg"]
    assert loaded(code, modules) == [False, False, True]
    assert target.read_bytes().startswith(b"\x89PNG")
