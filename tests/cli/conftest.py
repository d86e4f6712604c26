"""Shared helpers for the command-line tests.

Every test drives ``cli.main.cli`` in-process through click's ``CliRunner`` and
reads the effects back through ``domain.ledger.Ledger``.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from click.testing import CliRunner, Result

from cli.main import cli
from domain.ledger import Ledger

RECORDED_RE = re.compile(
    r"^recorded (?P<type>[a-z]+\.[a-z]+) (?P<event_id>[0-9a-f-]{36}) at position (?P<position>\d+)$"
)
ALREADY_RE = re.compile(
    r"^already recorded: (?P<type>[a-z]+\.[a-z]+) (?P<event_id>[0-9a-f-]{36}) at position (?P<position>\d+)$"
)


@dataclass(frozen=True)
class Snapshot:
    """What a ledger holds: its event count and every (position, event) as JSON."""

    exists: bool
    count: int
    events: tuple[tuple[int, dict[str, Any]], ...]


def snapshot(path: Path | str) -> Snapshot:
    """The ledger's content read through the library (an absent file is an empty snapshot)."""
    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return Snapshot(False, 0, ())
    with Ledger(path) as ledger:
        events = tuple((p, e.model_dump(mode="json")) for p, e in ledger.events())
        return Snapshot(True, ledger.count(), events)


def crashed(result: Result) -> bool:
    """True when the command died of an unexpected exception (a traceback in a real shell)."""
    return result.exception is not None and not isinstance(result.exception, SystemExit)


def assert_ok(result: Result) -> None:
    assert not crashed(result), f"crashed: {result.exception!r}\nstderr: {result.stderr}"
    assert result.exit_code == 0, f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert "Traceback" not in result.output
    assert "Error" not in result.stderr


def assert_error(result: Result, code: int, field: str, *, usage: bool = False) -> str:
    """An expected error: exit *code*, one ``Error:`` line naming *field*, no traceback, no stdout.

    Ledger errors print exactly one line; click usage errors (``usage=True``) may
    print click's usage and hint lines around their single ``Error:`` line.
    Returns the error line.
    """
    assert not crashed(result), f"crashed instead of refusing: {result.exception!r}\nstderr: {result.stderr}"
    assert "Traceback" not in result.output
    assert result.exit_code == code, f"exit {result.exit_code}, expected {code}\nstderr: {result.stderr}"
    lines = result.stderr.splitlines()
    errors = [line for line in lines if line.startswith("Error:")]
    assert len(errors) == 1, f"expected one Error: line, got {lines}"
    if not usage:
        assert lines == errors, f"a ledger error prints one line only, got {lines}"
    assert field in errors[0], f"{field!r} not named in {errors[0]!r}"
    assert result.stdout == ""
    return errors[0]


def recorded(result: Result) -> re.Match[str]:
    """The parsed ``recorded <type> <id> at position N`` line of a successful command."""
    assert_ok(result)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    match = RECORDED_RE.match(lines[0])
    assert match, f"not a 'recorded' line: {lines[0]!r}"
    return match


def already(result: Result) -> re.Match[str]:
    """The parsed ``already recorded: <type> <id> at position N`` line."""
    assert_ok(result)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    match = ALREADY_RE.match(lines[0])
    assert match, f"not an 'already recorded' line: {lines[0]!r}"
    return match


def printed_id(result: Result) -> str:
    """The new aggregate id a creation command prints on stdout (and only that)."""
    assert_ok(result)
    text = result.stdout
    assert text.endswith("\n") and text.count("\n") == 1, repr(text)
    return str(UUID(text.strip()))


def unchanged(path: Path | str) -> Callable[[], None]:
    """Take a snapshot now; the returned function asserts the ledger still equals it."""
    before = snapshot(path)

    def check() -> None:
        assert snapshot(path) == before, "the ledger changed although the command was refused"

    return check


class Helpers:
    """The helpers above, handed to tests as the ``h`` fixture (test modules cannot import a conftest)."""

    snapshot = staticmethod(snapshot)
    unchanged = staticmethod(unchanged)
    crashed = staticmethod(crashed)
    assert_ok = staticmethod(assert_ok)
    assert_error = staticmethod(assert_error)
    recorded = staticmethod(recorded)
    already = staticmethod(already)
    printed_id = staticmethod(printed_id)


class Cli:
    """Runs ``netledger --db <db> ...`` in-process."""

    def __init__(self, db: Path) -> None:
        self.db = db
        self.runner = CliRunner()

    def __call__(
        self,
        *args: str,
        db: Path | str | None = None,
        input: bytes | str | None = None,
        env: dict[str, str] | None = None,
        global_args: Sequence[str] = (),
    ) -> Result:
        argv = ["--db", str(db if db is not None else self.db), *global_args, *args]
        return self.runner.invoke(cli, argv, input=input, env=env)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No ledger or actor leaks in from the environment; relative paths land in tmp_path."""
    monkeypatch.delenv("NETLEDGER_DB", raising=False)
    monkeypatch.delenv("NETLEDGER_ACTOR", raising=False)
    monkeypatch.delenv("NETLEDGER_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def h() -> type[Helpers]:
    return Helpers


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "l.db"


@pytest.fixture
def run(db: Path) -> Cli:
    return Cli(db)


def copy_ledger(source: Path, target: Path) -> Path:
    """Copy a closed ledger file (and any WAL side files) to *target*."""
    shutil.copyfile(source, target)
    for suffix in ("-wal", "-shm"):
        side = Path(str(source) + suffix)
        if side.exists():
            shutil.copyfile(side, Path(str(target) + suffix))
    return target


def build_seeded(path: Path) -> Path:
    with Ledger(path, actor="seeder", create=True) as ledger:
        ledger.register_organisation("a", sector="firm", name_en="A", effective="1990")
        ledger.register_organisation("b", sector="university", name_en="B", name_ko="비")
        ledger.register_organisation("c", sector="funder", name_en="C")
        ledger.register_organisation("prog", sector="programme", name_en="Programme")
        ledger.register_organisation("gone", sector="firm", name_en="Gone")
        ledger.dissolve_organisation("gone", effective="2015")
    return path


@pytest.fixture(scope="session")
def seeded_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_seeded(tmp_path_factory.mktemp("seeded") / "l.db")  # named "l", like the db fixture


@pytest.fixture
def seeded(seeded_master: Path, db: Path) -> Path:
    """A ledger with five organisations: a (firm), b (university), c (funder), prog (programme), gone (dissolved)."""
    return copy_ledger(seeded_master, db)


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Pohang demo built once by ``netledger demo`` (read-only: copy it before writing)."""
    path = tmp_path_factory.mktemp("demo") / "pohang.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "--actor", "demo-builder", "demo"])
    assert_ok(result)
    return path


@pytest.fixture
def demo_db(demo_master: Path, tmp_path: Path) -> Path:
    """A private copy of the demo ledger (safe to write to)."""
    return copy_ledger(demo_master, tmp_path / "demo.db")


MISSING = "00000000-0000-0000-0000-000000000001"


@pytest.fixture(scope="session")
def world_master(seeded_master: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    path = copy_ledger(seeded_master, tmp_path_factory.mktemp("world") / "world.db")
    return path, build_world(path)


@pytest.fixture
def world(world_master: tuple[Path, dict[str, str]], db: Path) -> dict[str, str]:
    """A private copy of the world ledger at ``db``; returns its ids (see ``build_world``)."""
    path, ids = world_master
    copy_ledger(path, db)
    return dict(ids)


def build_world(path: Path) -> dict[str, str]:
    """``seeded`` plus open and closed relations of every kind, and a retracted registration.

    P: partnership a:x + b:y (2019-01), open;   PE: partnership a + c, ended 2020 (event PE_END)
    A: MOU a + b (2019-02-03, term 2022), open; AT: contract a + c, terminated 2020
    S: grant c -> a, 1000 KRW (2019-03), open;  D: designation c -> b (2019), open
    SE: grant c -> b, 500 KRW, ended 2020;      SW: loan c -> a, 10 KRW, withdrawn 2019-12
    XREG: registration of organisation x, retracted by XRET.
    """
    with Ledger(path, actor="seeder") as ledger:
        ids: dict[str, object] = {"MISSING": MISSING}
        ids["P"] = ledger.form_partnership(["a:x", "b:y"], effective="2019-01").aggregate_id
        ids["PE"] = ledger.form_partnership(["a", "c"], effective="2019-01").aggregate_id
        ids["PE_END"] = ledger.end_partnership(ids["PE"], effective="2020").event.event_id
        ids["A"] = ledger.sign_agreement(
            ["a", "b"], kind="mou", title="MOU", effective="2019-02-03", term_end="2022"
        ).aggregate_id
        ids["AT"] = ledger.sign_agreement(["a", "c"], kind="contract", title="C", effective="2019").aggregate_id
        ledger.terminate_agreement(ids["AT"], effective="2020")
        ids["S"] = ledger.award_support(
            kind="grant",
            funders=["c"],
            recipients=["a"],
            amount="1000",
            currency="KRW",
            effective="2019-03",
            planned_start="2019",
            planned_end="2020",
        ).aggregate_id
        ids["D"] = ledger.award_support(
            kind="designation", funders=["c"], recipients=["b"], effective="2019"
        ).aggregate_id
        ids["SE"] = ledger.award_support(
            kind="grant", funders=["c"], recipients=["b"], amount="500", currency="KRW", effective="2019"
        ).aggregate_id
        ledger.end_support(ids["SE"], effective="2020")
        ids["SW"] = ledger.award_support(
            kind="loan", funders=["c"], recipients=["a"], amount="10", currency="KRW", effective="2019"
        ).aggregate_id
        ledger.withdraw_support(ids["SW"], effective="2019-12")
        ids["XREG"] = ledger.register_organisation("x", sector="firm", name_en="X").event.event_id
        ids["XRET"] = ledger.retract(ids["XREG"], reason="registered by mistake").event.event_id
    return {k: str(v) for k, v in ids.items()}
