"""``netledger network draw``, ``network html`` and ``network trend --plot`` through click's CliRunner.

Bad input is one ``Error:`` line naming the option, exit 2, and nothing is
written (an existing file is left as it was).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli.main import cli


@pytest.fixture
def db(pohang_db: Path, tmp_path: Path) -> Path:
    """A private copy of the demo ledger (the commands may save the projection beside it)."""
    return Path(shutil.copyfile(pohang_db, tmp_path / "pohang.db"))


def run(db: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--db", str(db), "network", *args])


def assert_refused(result: Result, option: str) -> str:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), lines
    assert option in lines[0]
    assert result.stdout == ""
    return lines[0]


def written(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix not in (".db", ".graph") and "-wal" not in p.name)


@pytest.mark.parametrize("suffix", ["png", "svg", "pdf"])
def test_draw_writes_the_picture_and_says_so(db: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"pohang.{suffix}"
    result = run(db, "draw", "--out", str(out), "--as-of", "2019-12-31", "--label", "ko", "--size-by", "betweenness")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"wrote {out}: 19 organisations, 22 ties as of 2019-12-31\n"
    assert out.stat().st_size > 10_000


def test_draw_reads_the_network_as_recorded_at_a_position(db: Path, tmp_path: Path) -> None:
    result = run(db, "draw", "--out", str(tmp_path / "early.png"), "--position", "5", "--as-of", "2019-12-31")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {tmp_path / 'early.png'}: 5 organisations, 0 ties")


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--out", "pohang.jpg"], "--out"),
        (["--out", "pohang"], "--out"),
        (["--out", "missing/pohang.png"], "--out"),
        (["--out", "pohang.png", "--as-of", "2019-02-30"], "--as-of"),
        (["--out", "pohang.png", "--known-at", "yesterday"], "--known-at"),
        (["--out", "pohang.png", "--label", "fr"], "--label"),
        (["--out", "pohang.png", "--size-by", "fame"], "--size-by"),
        (["--out", "pohang.png", "--layout", "random"], "--layout"),
        (["--out", "pohang.png", "--seed", "x"], "--seed"),
        (["--out", "pohang.png", "--tie-type", "friendship"], "--tie-type"),
    ],
)
def test_draw_refuses_bad_input_and_writes_nothing(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], option: str
) -> None:
    monkeypatch.chdir(tmp_path)
    line = assert_refused(run(db, "draw", *args), option)
    assert line.endswith(")"), line  # says how to fix it
    assert written(tmp_path) == []


def test_a_wrong_suffix_is_one_line_naming_the_suffixes(db: Path, tmp_path: Path) -> None:
    line = assert_refused(run(db, "draw", "--out", str(tmp_path / "pohang.jpg")), "--out")
    assert line == (
        f"Error: --out: cannot write '{tmp_path / 'pohang.jpg'}': unknown picture format '.jpg' "
        "(give a file name ending in .png, .svg or .pdf)"
    )


def test_a_refused_draw_leaves_an_existing_file_alone(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "pohang.png"
    out.write_bytes(b"before")
    assert_refused(run(db, "draw", "--out", str(out), "--as-of", "2019-13"), "--as-of")
    assert out.read_bytes() == b"before"


def test_html_writes_one_page_and_says_so(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "pohang.html"
    result = run(db, "html", "--out", str(out), "--as-of", "2019-12-31")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"wrote {out}: 19 organisations, 23 ties, dates 2019-06-19 to 2023-08-01, opens as of 2019-12-31\n"
    )
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert written(tmp_path) == ["pohang.html"]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--out", "pohang.png"], "--out"),
        (["--out", "missing/pohang.html"], "--out"),
        (["--out", "pohang.html", "--as-of", "2019-02-30"], "--as-of"),
        (["--out", "pohang.html", "--position", "0"], "--position"),
        (["--out", "pohang.html", "--layout", "grid"], "--layout"),
    ],
)
def test_html_refuses_bad_input_and_writes_nothing(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], option: str
) -> None:
    monkeypatch.chdir(tmp_path)
    assert_refused(run(db, "html", *args), option)
    assert written(tmp_path) == []


def test_trend_plot_writes_the_chart_beside_the_table(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "trend.svg"
    args = ["trend", "--metric", "degree", "--org", "postech", "--from", "2018", "--to", "2020", "--plot", str(out)]
    result = run(db, *args)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split() == ["period", "as_of", "postech"]
    assert result.stderr == f"wrote {out}\n"
    assert out.read_bytes().startswith(b"<?xml")


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--plot", "trend.gif"], "--plot"),
        (["--plot", "missing/trend.png"], "--plot"),
        (["--plot", "trend.png", "--from", "20x9"], "--from"),
    ],
)
def test_trend_plot_refuses_bad_input_before_printing_anything(
    db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], option: str
) -> None:
    monkeypatch.chdir(tmp_path)
    base = {"--metric": "degree", "--from": "2018", "--to": "2020"}
    for i in range(0, len(args), 2):
        base[args[i]] = args[i + 1]
    assert_refused(run(db, "trend", *[x for kv in base.items() for x in kv]), option)
    assert written(tmp_path) == []
