"""Docs that run: every example of every page is executed.

- ``test_console_examples_run``: the ``$ `` lines of a page's ```` ```console ````
  blocks run in order, in one bash session in a fresh directory; each must exit 0
  or its ``# exit N``. A page that needs a ledger builds it in its first lines
  (``netledger --db pohang.db demo``).
- ``test_python_examples_run``: a page's ```` ```python ```` blocks run as one doctest.
- ``test_blocks_say_what_they_are``: a block is ``console`` (runs), ``python`` (runs as
  a doctest) or an illustration (``text``, ``json``): no unlabelled block, no ``sh``
  block that looks runnable but is not run.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from tests.docs.helpers import (
    console_examples,
    console_outputs,
    fences,
    pages,
    problem,
    python_doctest,
    read_page,
    run_examples,
)

CONSOLE_PAGES = [p for p in pages() if console_examples(read_page(p))]
PYTHON_PAGES = [p for p in pages() if any(f.lang == "python" for f in fences(read_page(p)))]
#: Fence languages of illustrations: shown, never run.
ILLUSTRATIONS = {"text", "json"}
#: Pages that must show commands that run.
GUIDES = {"getting-started.md", "index.md", "cli.md", "planner.md", "auditor.md", "events.md"}


def test_the_guides_have_console_examples() -> None:
    assert set(CONSOLE_PAGES) >= GUIDES, f"pages without a console example: {sorted(GUIDES - set(CONSOLE_PAGES))}"


@pytest.mark.parametrize("page", CONSOLE_PAGES)
def test_console_examples_run(page: str, tmp_path: Path, venv_bin: str) -> None:
    results = run_examples(console_examples(read_page(page)), tmp_path, venv_bin)
    problems = [p for p in (problem(page, ran) for ran in results) if p]
    assert not problems, problems[0]


#: Pages whose console output is checked line by line (``planner.md`` is checked by tests/cli/test_network_cli.py).
OUTPUT_PAGES = ("time.md", "grants.md")


@pytest.mark.parametrize("page", OUTPUT_PAGES)
def test_the_page_prints_what_it_shows(page: str, tmp_path: Path, venv_bin: str) -> None:
    """Every command prints exactly the lines shown under it (its error output first, as a terminal shows it)."""
    text = read_page(page)
    results = run_examples(console_examples(text), tmp_path, venv_bin)
    for ran, shown in zip(results, console_outputs(text), strict=True):
        printed = (ran.stderr + ran.stdout).rstrip("\n")
        assert (printed.split("\n") if printed else []) == shown, f"docs/{page} line {ran.example.line}"


@pytest.mark.parametrize("page", PYTHON_PAGES)
def test_python_examples_run(page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    test = python_doctest(read_page(page), page)
    assert test is not None and test.examples, f"docs/{page}: a python block without '>>>' examples"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NETLEDGER_ACTOR", "docs")
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    result = runner.run(test, out=report.append, clear_globs=True)
    assert result.failed == 0, "".join(report)


@pytest.mark.parametrize("page", pages())
def test_blocks_say_what_they_are(page: str) -> None:
    for fence in fences(read_page(page)):
        where = f"docs/{page} line {fence.line}"
        assert fence.lang in ILLUSTRATIONS | {"console", "python"}, (
            f"{where}: a ```{fence.lang} block; use console (commands that run), python (a doctest) "
            f"or one of {sorted(ILLUSTRATIONS)} (an illustration that is not run)"
        )
        lines = [line for line in fence.body if line.strip()]
        if fence.lang == "console":
            assert lines and lines[0].startswith("$ "), f"{where}: a console block starts with a '$ ' command"
        if fence.lang == "python":
            assert any(line.startswith(">>> ") for line in lines), f"{where}: a python block is a doctest ('>>> ')"
