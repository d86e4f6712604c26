r"""Reading the documentation's examples, and running them.

A page's examples are its fenced blocks:

- ```` ```console ````: every line starting with ``$ `` is a command (a line ending in a
  backslash continues on the next one); the other lines are the output shown to the
  reader, not checked. A command must exit 0, or the code named by an ``# exit N``
  comment at the end of its (last) line. All the commands of one page run in order,
  in one bash session (``cd`` and ``export`` carry over), in a fresh directory, with
  the virtualenv's ``bin`` first on ``PATH`` and ``NETLEDGER_ACTOR=docs``.
- ```` ```python ````: a doctest (``>>>`` prompts); all the blocks of one page run as
  one doctest, in order, in a fresh directory of their own.
- ```` ```text ````, ```` ```json ```` and the like: illustrations, not run.

>>> page = "Intro\n\n```console\n$ netledger --db x.db init\ncreated\n$ false \\\n  # exit 1\n```\n"
>>> [(e.line, e.command, e.expected) for e in console_examples(page)]
[(4, 'netledger --db x.db init', 0), (6, 'false \\\n  # exit 1', 1)]
>>> [(f.line, f.lang, f.body) for f in fences(page)]
[(3, 'console', ['$ netledger --db x.db init', 'created', '$ false \\', '  # exit 1'])]
"""

from __future__ import annotations

import doctest
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click

from cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
#: Pages written by a program, not by hand: their blocks are output, not examples.
GENERATED = {"reference/cli-help.md"}

EXPECTED_EXIT = re.compile(r"#\s*exit\s+(\d+)\s*$")
#: ``netledger`` followed by global options, then up to two command words.
INVOCATION = re.compile(r"\bnetledger((?:\s+--(?:db|actor)(?:=|\s+)\S+)*)\s+([a-z][a-z-]*)(?:\s+([a-z][a-z-]*))?")


def pages() -> list[str]:
    """Every hand-written page of ``docs/``, as a path relative to it (``planner.md``), sorted."""
    found = (p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md"))
    return sorted(p for p in found if p not in GENERATED)


def read_page(page: str) -> str:
    return (DOCS / page).read_text(encoding="utf-8")


@dataclass(frozen=True)
class Fence:
    """One fenced block: the line of its opening fence (1-based), its language, its lines."""

    line: int
    lang: str
    body: list[str]


def fences(text: str) -> list[Fence]:
    """The fenced blocks of a Markdown page, in order (only ```` ``` ```` fences at the margin)."""
    found: list[Fence] = []
    current: Fence | None = None
    for n, line in enumerate(text.splitlines(), start=1):
        if line.startswith("```"):
            if current is None:
                current = Fence(n, line[3:].strip(), [])
            else:
                found.append(current)
                current = None
        elif current is not None:
            current.body.append(line)
    assert current is None, f"a fence opened on line {current.line} is never closed"
    return found


@dataclass(frozen=True)
class Example:
    """One ``$ `` command of a console block."""

    line: int  # 1-based line of the page where the command starts
    command: str  # as bash reads it (continuation lines kept)
    expected: int  # exit code it must return


def console_examples(text: str) -> list[Example]:
    """The ``$ `` commands of every ```` ```console ```` block, in document order."""
    examples: list[Example] = []
    for fence in fences(text):
        if fence.lang != "console":
            continue
        i = 0
        while i < len(fence.body):
            line = fence.body[i]
            if line.startswith("$ "):
                start = i
                command = line[2:]
                while command.endswith("\\") and i + 1 < len(fence.body):
                    i += 1
                    command += "\n" + fence.body[i]
                m = EXPECTED_EXIT.search(command.splitlines()[-1])
                examples.append(Example(fence.line + 1 + start, command, int(m.group(1)) if m else 0))
            i += 1
    return examples


def console_outputs(text: str) -> list[list[str]]:
    """The lines printed under each ``$ `` command of the console blocks, in the order of ``console_examples``."""
    outputs: list[list[str]] = []
    for fence in fences(text):
        if fence.lang != "console":
            continue
        continued = False
        for line in fence.body:
            if line.startswith("$ ") or continued:
                if line.startswith("$ "):
                    outputs.append([])
                continued = line.endswith("\\")
            elif outputs:
                outputs[-1].append(line)
    return outputs


def python_doctest(text: str, name: str) -> doctest.DocTest | None:
    """The ```` ```python ```` blocks of a page as one doctest, line numbers those of the page."""
    lines = [""] * len(text.splitlines())
    found = False
    for fence in fences(text):
        if fence.lang == "python":
            found = True
            for k, line in enumerate(fence.body):
                lines[fence.line + k] = line
    if not found:
        return None
    return doctest.DocTestParser().get_doctest("\n".join(lines), {}, name, str(DOCS / name), 0)


# -- the click tree ----------------------------------------------------------------------------


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


def subcommands(group: click.Group) -> dict[str, click.Command]:
    """The commands of *group* by name (the top-level group loads its command modules on demand)."""
    ctx = click.Context(group)
    found = {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}
    return {name: command for name, command in found.items() if command is not None}


def command_paths(group: click.Group, prefix: tuple[str, ...] = ("netledger",)) -> Iterator[tuple[str, ...]]:
    """Every command and subcommand of the click tree, as ``("netledger", "org", "register")``."""
    for name, command in sorted(subcommands(group).items()):
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
            command = subcommands(command)[name]
        if not isinstance(command, click.Group):
            found[path] = command
    return found


def invoked_paths(command: str) -> set[tuple[str, ...]]:
    """The netledger commands a shell line runs (global options skipped).

    >>> sorted(invoked_paths("netledger --db x.db log --format jsonl | netledger append -"))
    [('netledger', 'append'), ('netledger', 'log')]
    """
    found: set[tuple[str, ...]] = set()
    for m in INVOCATION.finditer(command):
        first, second = m.group(2), m.group(3)
        sub = subcommands(cli).get(first)
        if isinstance(sub, click.Group) and second in subcommands(sub):
            found.add(("netledger", first, second))
        elif sub is not None:
            found.add(("netledger", first))
    return found


# -- running console examples ------------------------------------------------------------------


@dataclass(frozen=True)
class Ran:
    """What one example did."""

    example: Example
    code: int  # -1: never ran (an earlier line ended the session)
    stdout: str
    stderr: str


def _script(examples: list[Example], out: Path) -> str:
    parts = ["set -o pipefail"]
    for n, example in enumerate(examples):
        parts.append(
            f"{{\n{example.command}\n}} >'{out}/{n}.out' 2>'{out}/{n}.err' </dev/null\necho \"{n} $?\" >>'{out}/rc'"
        )
    return "\n".join(parts) + "\n"


def run_examples(examples: list[Example], workdir: Path, path_prefix: str) -> list[Ran]:
    """Run *examples* in one bash session in *workdir*, with *path_prefix* first on ``PATH``."""
    out = workdir / ".docs-run"
    out.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("NETLEDGER_")}
    env["NETLEDGER_ACTOR"] = "docs"
    env["REPO"] = str(Path(__file__).resolve().parents[2])  # the clone: pages read its test data from there
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
    return [
        Ran(example, codes.get(n, -1), _read(out / f"{n}.out"), _read(out / f"{n}.err"))
        for n, example in enumerate(examples)
    ]


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def problem(page: str, ran: Ran) -> str | None:
    """What is wrong with one example's run, or None.

    Every command must exit with its expected code and never print a traceback. A
    refused ``netledger`` command must end with exactly one ``Error: `` line (it may
    list the problems it found above it), or print click's usage message.
    """
    example = ran.example
    where = f"docs/{page} line {example.line}: $ {example.command}"
    if "Traceback" in ran.stderr:
        return f"{where}\nprinted a traceback:\n{ran.stderr}"
    if ran.code != example.expected:
        output = f"--- stdout\n{ran.stdout}--- stderr\n{ran.stderr}"
        return f"{where}\nexited {ran.code}, expected {example.expected}\n{output}"
    if example.expected and invoked_paths(example.command):
        errors = [line for line in ran.stderr.splitlines() if line.startswith("Error: ")]
        listed = ran.stderr.startswith("Usage: ") or (len(errors) == 1 and ran.stderr.rstrip().endswith(errors[0]))
        if not listed:
            return f"{where}\nexpected one error line, got:\n{ran.stderr}"
    return None
