"""The documentation runs, and nothing the code offers goes undocumented.

- ``test_cli_examples``: every ``$ `` line of the ```` ```console ```` blocks of
  ``docs/cli.md`` runs, in order, in one bash session in a fresh directory; each
  must exit 0, or the code named by an ``# exit N`` comment at the end of its line.
- ``test_every_command_is_documented`` / ``test_every_command_has_an_example`` /
  ``test_every_option_is_documented``: the click tree and ``docs/cli.md`` agree.
- ``test_every_event_and_field_is_documented``: every event type, each with every
  payload field in its own section, and every vocabulary value appear in
  ``docs/events.md``.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

from cli.main import cli
from domain.agreement import AGREEMENT_KINDS
from domain.organisation import SECTORS
from domain.records import EVENT_TYPES, HEADER, payload_fields
from domain.support import SUPPORT_KINDS

DOCS = Path(__file__).resolve().parent.parent / "docs"
CLI_MD = DOCS / "cli.md"
EVENTS_MD = DOCS / "events.md"

EXPECTED_EXIT = re.compile(r"#\s*exit\s+(\d+)\s*$")
#: ``netledger`` followed by global options, then up to two command words.
INVOCATION = re.compile(r"\bnetledger((?:\s+--(?:db|actor)(?:=|\s+)\S+)*)\s+([a-z][a-z-]*)(?:\s+([a-z][a-z-]*))?")


@dataclass(frozen=True)
class Example:
    """One ``$ `` command of a console block."""

    line: int  # 1-based line of docs/cli.md where the command starts
    command: str  # as bash reads it (continuation lines kept)
    expected: int  # exit code it must return


def console_examples(text: str) -> list[Example]:
    """The ``$ `` commands of every ```` ```console ```` block, in document order.

    A command ending in a backslash continues on the next line. Lines of a block
    that do not start with ``$ `` are output shown to the reader, not checked.
    """
    examples: list[Example] = []
    lines = text.splitlines()
    in_console = False
    i = 0
    while i < len(lines):
        line = lines[i]
        fence = line.strip()
        if fence.startswith("```"):
            in_console = not in_console and fence[3:].strip() == "console"
        elif in_console and line.startswith("$ "):
            start = i
            command = line[2:]
            while command.endswith("\\") and i + 1 < len(lines):
                i += 1
                command += "\n" + lines[i]
            last = command.splitlines()[-1]
            m = EXPECTED_EXIT.search(last)
            examples.append(Example(start + 1, command, int(m.group(1)) if m else 0))
        i += 1
    return examples


def sections(text: str, level: int) -> dict[str, str]:
    """Markdown sections of heading *level* (``###`` = 3): heading text -> body."""
    pattern = re.compile(rf"^{'#' * level} (.+)$", re.MULTILINE)
    stop = re.compile(rf"^#{{1,{level}}} ", re.MULTILINE)
    found = {}
    for m in pattern.finditer(text):
        rest = text[m.end() :]
        end = stop.search(rest)
        found[m.group(1)] = rest[: end.start()] if end else rest
    return found


def command_paths(group: click.Group, prefix: tuple[str, ...] = ("netledger",)) -> Iterator[tuple[str, ...]]:
    """Every command and subcommand of the click tree, as ``("netledger", "org", "register")``."""
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        yield path
        if isinstance(command, click.Group):
            yield from command_paths(command, path)


def leaf_commands() -> dict[tuple[str, ...], click.Command]:
    found = {}
    for path in command_paths(cli):
        command: click.Command = cli
        for name in path[1:]:
            assert isinstance(command, click.Group)
            command = command.commands[name]
        if not isinstance(command, click.Group):
            found[path] = command
    return found


def invoked_paths(command: str) -> set[tuple[str, ...]]:
    """The netledger commands a shell line runs (global options skipped)."""
    found = set()
    for m in INVOCATION.finditer(command):
        first, second = m.group(2), m.group(3)
        sub = cli.commands.get(first)
        if isinstance(sub, click.Group) and second in sub.commands:
            found.add(("netledger", first, second))
        elif sub is not None:
            found.add(("netledger", first))
    return found


def section_of(path: tuple[str, ...], text: str) -> str:
    name = " ".join(path)
    matches = [body for heading, body in sections(text, 3).items() if f"`{name}`" in heading]
    assert matches, f"docs/cli.md has no '### `{name}`' section"
    return matches[0]


# -- the console examples run ---------------------------------------------------------


def _script(examples: list[Example], out: Path) -> str:
    parts = ["set -o pipefail"]
    for n, example in enumerate(examples):
        parts.append(
            f"{{\n{example.command}\n}} >'{out}/{n}.out' 2>'{out}/{n}.err' </dev/null\necho \"{n} $?\" >>'{out}/rc'"
        )
    return "\n".join(parts) + "\n"


def run_examples(examples: list[Example], workdir: Path, path_prefix: str) -> list[tuple[Example, int, str, str]]:
    """Run *examples* in one bash session in *workdir*; ``(example, exit code, stdout, stderr)`` each."""
    out = workdir / ".docs-run"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETLEDGER_")}
    env["NETLEDGER_ACTOR"] = "docs"
    env["PATH"] = path_prefix + os.pathsep + env.get("PATH", "")
    subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", _script(examples, out)],
        cwd=workdir,
        env=env,
        timeout=600,
        check=False,
    )
    codes = {}
    rc_file = out / "rc"
    for row in rc_file.read_text().splitlines() if rc_file.exists() else []:
        n, code = row.split()
        codes[int(n)] = int(code)
    results = []
    for n, example in enumerate(examples):
        stdout, stderr = (_read(out / f"{n}.{stream}") for stream in ("out", "err"))
        results.append((example, codes.get(n, -1), stdout, stderr))
    return results


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def test_console_blocks_are_found() -> None:
    examples = console_examples(CLI_MD.read_text(encoding="utf-8"))
    assert len(examples) >= 20
    assert examples[0].command.startswith("netledger --db example.db init")


def test_cli_examples(tmp_path: Path) -> None:
    examples = console_examples(CLI_MD.read_text(encoding="utf-8"))
    results = run_examples(examples, tmp_path, os.path.dirname(sys.executable))
    for example, code, stdout, stderr in results:
        where = f"docs/cli.md line {example.line}: $ {example.command}"
        assert "Traceback" not in stderr, f"{where}\nprinted a traceback:\n{stderr}"
        assert code == example.expected, (
            f"{where}\nexited {code}, expected {example.expected}\n--- stdout\n{stdout}--- stderr\n{stderr}"
        )
        if example.expected:
            # Exactly one "Error:" line, last; a command may list the problems it found above it.
            errors = [line for line in stderr.splitlines() if line.startswith("Error: ")]
            listed = stderr.startswith("Usage: ") or (len(errors) == 1 and stderr.rstrip().endswith(errors[0]))
            assert listed, f"{where}\nexpected one error line, got:\n{stderr}"


# -- the CLI reference covers the click tree ------------------------------------------------


def test_every_command_is_documented() -> None:
    text = CLI_MD.read_text(encoding="utf-8")
    missing = [" ".join(p) for p in command_paths(cli) if " ".join(p) not in text]
    assert not missing, f"commands not mentioned in docs/cli.md: {missing}"


def test_every_command_has_an_example() -> None:
    used: set[tuple[str, ...]] = set()
    for example in console_examples(CLI_MD.read_text(encoding="utf-8")):
        used |= invoked_paths(example.command)
    missing = [" ".join(p) for p in leaf_commands() if p not in used]
    assert not missing, f"commands without a console example in docs/cli.md: {missing}"


def test_every_option_is_documented() -> None:
    text = CLI_MD.read_text(encoding="utf-8")
    for path, command in leaf_commands().items():
        body = section_of(path, text)
        for param in command.params:
            if isinstance(param, click.Option) and param.name != "help":
                longest = max(param.opts, key=len)
                assert f"`{longest}" in body, f"'{longest}' of '{' '.join(path)}' is not in its section of docs/cli.md"
            elif isinstance(param, click.Argument):
                metavar = (param.metavar or param.name or "").upper().split("|")[0]
                assert metavar in body, f"argument {metavar} of '{' '.join(path)}' is not in its section"
    for param in cli.params:
        if isinstance(param, click.Option) and param.name != "help":
            assert f"`{max(param.opts, key=len)}" in text, f"global option {param.opts} is not in docs/cli.md"


def test_invoked_paths_reads_global_options() -> None:
    assert invoked_paths("ID=$(netledger --db example.db partnership form --party a --party b)") == {
        ("netledger", "partnership", "form")
    }
    assert invoked_paths("netledger --db x.db --actor kim log --format jsonl | netledger append -") == {
        ("netledger", "log"),
        ("netledger", "append"),
    }
    assert invoked_paths("ls netledger.db") == set()


# -- the event catalogue covers every event type and field -----------------------------------


def test_every_event_and_field_is_documented() -> None:
    text = EVENTS_MD.read_text(encoding="utf-8")
    headings = sections(text, 3)
    for type_name, cls in sorted(EVENT_TYPES.items()):
        bodies = [body for heading, body in headings.items() if f"`{type_name}`" in heading]
        assert bodies, f"docs/events.md has no '### `{type_name}`' section"
        missing = [f for f in payload_fields(cls) if f"`{f}`" not in bodies[0]]
        assert not missing, f"fields of {type_name} missing from its section of docs/events.md: {missing}"
        if cls.class_version > 1:
            assert f"v{cls.class_version}" in bodies[0], f"{type_name} is at class version {cls.class_version}"
    for name in HEADER:
        assert f"`{name}`" in text, f"record field {name} is not in docs/events.md"


@pytest.mark.parametrize(
    ("vocabulary", "values"),
    [
        ("sector", SECTORS),
        ("agreement kind", AGREEMENT_KINDS),
        ("support kind", SUPPORT_KINDS),
    ],
)
def test_every_vocabulary_value_is_documented(vocabulary: str, values: tuple[str, ...]) -> None:
    text = EVENTS_MD.read_text(encoding="utf-8")
    missing = [v for v in values if f"`{v}`" not in text]
    assert not missing, f"{vocabulary} values missing from docs/events.md: {missing}"
