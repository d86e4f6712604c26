"""``domain.files``: outputs replace regular files atomically, never special files, never through a link unasked."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import cli
from domain.errors import InputError
from domain.files import Output, create_new


def test_a_regular_file_is_replaced_whole_and_a_failed_write_leaves_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old")
    Output.of(target).write("new")
    assert target.read_text() == "new"
    with pytest.raises(RuntimeError), Output.of(target).open() as out:
        out.write("half")
        raise RuntimeError("killed half-way")
    assert target.read_text() == "new"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.txt"]  # the partial file removed


def test_a_special_file_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        target = Output.of(fifo)
        assert target.kind == "special"
        target.write("through the pipe\n")
        assert os.read(reader, 100) == b"through the pipe\n"
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_symbolic_link_is_refused_unless_forced(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with pytest.raises(InputError, match="is a symbolic link"):
        Output.of(link)
    Output.of(link, force=True).write("new")
    assert link.is_symlink() and real.read_text() == "new"
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(tmp_path / "nowhere" / "x.txt")
    with pytest.raises(InputError, match="is a symbolic link"):
        Output.of(dangling)
    with pytest.raises(InputError, match="does not exist"):
        Output.of(dangling, force=True)


def test_dash_is_standard_output(capfd: pytest.CaptureFixture[str]) -> None:
    target = Output.of("-")
    assert target.is_stdout and str(target) == "standard output"
    target.write("to stdout\n")
    sys.stdout.flush()
    assert capfd.readouterr().out == "to stdout\n"


def test_a_folder_or_a_missing_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a folder"):
        Output.of(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        Output.of(tmp_path / "no" / "file.txt")


def test_create_new_sets_the_mode_whatever_the_umask_and_never_follows_a_link(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        made = create_new(tmp_path / "pub", b"x", 0o644)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(made).st_mode) == 0o644
    with pytest.raises(InputError, match="already exists"):
        create_new(made, b"y", 0o600)
    (tmp_path / "link").symlink_to(tmp_path / "target")
    with pytest.raises(InputError, match="symbolic link"):
        create_new(tmp_path / "link", b"y", 0o600)
    assert not (tmp_path / "target").exists()


def test_export_refuses_a_symbolic_link_and_writes_through_it_with_force(tmp_path: Path) -> None:
    db = tmp_path / "l.db"
    assert CliRunner().invoke(cli, ["--db", str(db), "init"]).exit_code == 0
    link = tmp_path / "export.jsonl"
    link.symlink_to(tmp_path / "real.jsonl")
    refused = CliRunner().invoke(cli, ["--db", str(db), "export", "--out", str(link)])
    assert refused.exit_code == 2 and "--force" in refused.stderr
    forced = CliRunner().invoke(cli, ["--db", str(db), "export", "--out", str(link), "--force"])
    assert forced.exit_code == 0, forced.stderr
    assert (tmp_path / "real.jsonl").read_text().startswith('{"format":"netledger-export-v1"')
