"""The generated command-line reference (``docs/reference/cli-help.md``) matches the commands.

``scripts/cli_reference.py`` writes the ``--help`` of every command; these tests
fail when the committed page drifts from what it would write now.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from cli.main import cli
from tests.docs.helpers import ROOT, command_paths

SCRIPT = ROOT / "scripts" / "cli_reference.py"


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("cli_reference", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_reference_is_up_to_date(generator: ModuleType) -> None:
    committed = generator.OUTPUT.read_text(encoding="utf-8") if generator.OUTPUT.exists() else ""
    assert committed == generator.render(), (
        f"{Path(generator.OUTPUT).relative_to(ROOT)} is out of date with the commands' --help: "
        "run `python scripts/cli_reference.py` and commit the result"
    )


def test_every_command_has_a_section(generator: ModuleType) -> None:
    text = generator.render()
    missing = [" ".join(p) for p in [("netledger",), *command_paths(cli)] if f"## `{' '.join(p)}`\n" not in text]
    assert not missing, f"commands without a section in the reference: {missing}"


@pytest.mark.parametrize("columns", ["40", "80", "250"])
def test_the_terminal_width_does_not_matter(
    generator: ModuleType, monkeypatch: pytest.MonkeyPatch, columns: str
) -> None:
    expected = generator.render()
    monkeypatch.setenv("COLUMNS", columns)
    assert generator.render() == expected


def test_check_mode_reports_drift(generator: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli-help.md"
    out.write_text("stale\n", encoding="utf-8")
    assert generator.main(["--check", "--out", str(out)]) == 1
    assert "run `python scripts/cli_reference.py`" in capsys.readouterr().err
    assert generator.main(["--out", str(out)]) == 0
    assert generator.main(["--check", "--out", str(out)]) == 0
