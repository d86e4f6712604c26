"""Nothing the code offers goes undocumented (moved here from ``tests/test_docs.py``).

- ``test_every_command_is_documented`` / ``test_every_command_has_an_example`` /
  ``test_every_option_is_documented``: the click tree and ``docs/cli.md`` agree.
- ``test_every_event_and_field_is_documented``: every event type, each with every
  payload field in its own section, and every vocabulary value appear in
  ``docs/events.md``.

The console examples of ``docs/cli.md`` run with those of every other page, in
``test_examples.py``.
"""

from __future__ import annotations

import click
import pytest

from cli.main import cli
from domain.agreement import AGREEMENT_KINDS
from domain.organisation import SECTORS
from domain.records import EVENT_TYPES, HEADER, payload_fields
from domain.support import SUPPORT_KINDS
from tests.docs.helpers import DOCS, command_paths, console_examples, invoked_paths, leaf_commands, sections

CLI_MD = DOCS / "cli.md"
EVENTS_MD = DOCS / "events.md"


def section_of(path: tuple[str, ...], text: str) -> str:
    name = " ".join(path)
    matches = [body for heading, body in sections(text, 3).items() if f"`{name}`" in heading]
    assert matches, f"docs/cli.md has no '### `{name}`' section"
    return matches[0]


def test_console_blocks_are_found() -> None:
    examples = console_examples(CLI_MD.read_text(encoding="utf-8"))
    assert len(examples) >= 20
    assert examples[0].command.startswith("netledger --db example.db init")


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
