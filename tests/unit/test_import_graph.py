"""The import graph of the project's own modules: no cycle, and every module imports on its own.

- Statically (the AST of every module, function-local imports included, imports under
  ``if TYPE_CHECKING:`` left out since they never run): the graph among ``domain``,
  ``projections`` and ``cli`` has no cycle, and ``domain`` imports neither of the others.
- In a fresh interpreter, every module is imported in dependency order (each after the
  modules it imports), so a cycle hidden by a lazy import would fail here too.
- A write through the CLI loads the models of its own aggregate and no other, and no
  command module it does not run.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("domain", "projections", "cli")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def own_imports(path: Path, known: set[str]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for b in node.body
        for n in ast.walk(b)
    }
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            targets = [base, *(f"{base}.{a.name}" for a in node.names)]
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    paths = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    known = {module_name(p) for p in paths}
    return {module_name(p): own_imports(p, known) for p in paths}


def test_no_import_cycle_and_domain_imports_only_itself() -> None:
    edges = graph()
    try:
        order = list(TopologicalSorter(edges).static_order())
    except CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None
    assert set(order) == set(edges)
    for module, imported in edges.items():
        if module.startswith("domain"):
            assert all(m.startswith("domain") for m in imported), (module, imported)


def test_every_module_imports_in_dependency_order_in_a_fresh_interpreter() -> None:
    order = list(TopologicalSorter(graph()).static_order())
    code = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\nprint('ok')"
    done = subprocess.run([sys.executable, "-c", code, *order], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


PROBE = """
import json, sys
from cli.main import cli
try:
    cli.main(sys.argv[2:], prog_name="netledger")
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.startswith(("domain", "cli", "projections")))), file=sys.stderr)
"""


def probe(*args: str) -> set[str]:
    """The project's modules (and pydantic, if loaded) after ``netledger ARGS`` in a fresh interpreter."""
    code = PROBE.replace('m.startswith(("domain",', 'm.startswith(("pydantic", "domain",')
    done = subprocess.run([sys.executable, "-c", code, "-", *args], capture_output=True, text=True, cwd=ROOT)
    assert "Error" not in done.stdout + done.stderr, done.stdout + done.stderr
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


def test_a_write_loads_only_the_models_and_commands_it_runs(tmp_path: Path) -> None:
    db = str(tmp_path / "l.db")
    probe("--db", db, "init")
    loaded = probe("--db", db, "org", "register", "a", "--sector", "firm", "--name-en", "A")
    assert "domain.organisation" in loaded and "cli.org" in loaded
    others = {"domain.partnership", "domain.agreement", "domain.support", "cli.network", "cli.log", "cli.audit"}
    assert not loaded & {*others, "cli.imports", "projections"}, sorted(loaded & others)


def test_a_query_loads_neither_pydantic_nor_the_models(tmp_path: Path) -> None:
    """A query reads the saved projection (or folds stored JSON): no event model, no pydantic (~70 ms)."""
    db = str(tmp_path / "l.db")
    probe("--db", db, "demo")
    for query in (["network", "centrality", "--metric", "betweenness"], ["network", "summary"], ["org", "list"]):
        loaded = probe("--db", db, *query)
        assert "projections.centrality" in loaded or "projections.summary" in loaded or "cli.org" in loaded
        heavy = {m for m in loaded if m.startswith("pydantic") or m in {"domain.events", "domain.organisation"}}
        assert not heavy, (query, sorted(heavy))
    # a question about the past folds the log from stored JSON: still no models
    past = probe("--db", db, "network", "brokers", "--known-at", "2030-01-01")
    assert not {m for m in past if m.startswith("pydantic")}
