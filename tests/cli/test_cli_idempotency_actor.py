"""Idempotency on the command line (``--event-id``) and who recorded each event (``--actor``)."""

from __future__ import annotations

import json
import shlex

import pytest
from click.testing import CliRunner

from cli.main import cli
from domain.ledger import Ledger, default_actor

X = "5eed5eed-0000-4000-8000-00000000000a"

# (command, the same command with other content, prints an id on stdout)
COMMANDS = [
    ("org register newco --sector firm --name-en New", "org register newco --sector firm --name-en Other", False),
    ("org register newco --sector firm --name-en New", "org register other --sector firm --name-en New", False),
    ("org rename a --name-en A2", "org rename a --name-en A3", False),
    ("org dissolve a", "org dissolve a --effective 2020", False),
    (
        "partnership form --party a --party b --effective 2019",
        "partnership form --party a --party b --effective 2020",
        True,
    ),
    (
        "partnership form --party a --party b --effective 2019",
        "partnership form --party a --party c --effective 2019",
        True,
    ),
    ("partnership end {P} --effective 2020", "partnership end {P} --effective 2021", False),
    ("partnership end {P} --effective 2020", "partnership end {PE} --effective 2020", False),
    (
        "agreement sign --kind mou --title T --party a --party b --effective 2019",
        "agreement sign --kind mou --title U --party a --party b --effective 2019",
        True,
    ),
    ("agreement amend {A} --title T2 --effective 2020", "agreement amend {A} --title T3 --effective 2020", False),
    ("agreement terminate {A} --effective 2021", "agreement terminate {A} --effective 2021 --note late", False),
    (
        "support award --kind grant --funder c --recipient a --amount 10 --currency KRW --effective 2020",
        "support award --kind grant --funder c --recipient a --amount 11 --currency KRW --effective 2020",
        True,
    ),
    (
        "support amend {S} --title T2 --effective 2020",
        "support amend {S} --title T2 --effective 2020 --source s",
        False,
    ),
    (
        "support disburse {S} --amount 5 --currency KRW --effective 2020",
        "support disburse {S} --amount 6 --currency KRW --effective 2020",
        False,
    ),
    (
        "support disburse {S} --amount 5 --currency KRW --effective 2020",
        "support disburse {S} --amount 5.5 --currency KRW --effective 2020",
        False,
    ),
    ("support end {S} --effective 2021", "support end {S} --effective 2022", False),
    ("support withdraw {D} --effective 2021", "support withdraw {D} --effective 2021 --note n", False),
    ("retract {PE_END} --reason wrong", "retract {PE_END} --reason other", False),
]


def _id(case: tuple[str, str, bool]) -> str:
    return case[0].split(" --")[0].replace(" {", " ").replace("}", "") + " | " + case[1].split(maxsplit=2)[-1]


@pytest.mark.parametrize("case", COMMANDS, ids=[_id(c) for c in COMMANDS])
def test_event_id_twice(case, world, run, h):
    same, other, prints_id = case
    args = [*shlex.split(same.format(**world)), "--event-id", X]
    first = run(*args)
    line = h.recorded(first)
    assert line["event_id"] == X
    check = h.unchanged(run.db)

    # the same command with the same id: a no-op that says so, exit 0
    second = run(*args)
    again = h.already(second)
    assert (again["type"], again["event_id"], again["position"]) == (line["type"], X, line["position"])
    assert second.stdout == first.stdout
    if prints_id:
        assert h.printed_id(second) == X
    check()

    # the same id with other content: refused by a ledger rule, exit 1
    third = run(*shlex.split(other.format(**world)), "--event-id", X)
    h.assert_error(third, 1, "event_id")
    check()


def test_same_content_from_another_actor_is_already_recorded(run, seeded, h):
    args = ["org", "register", "newco", "--sector", "firm", "--name-en", "New", "--event-id", X]
    h.recorded(run(*args, global_args=["--actor", "kim"]))
    h.already(run(*args, global_args=["--actor", "lee"]))
    with Ledger(seeded) as ledger:
        assert ledger.organisation("newco").registered.recorded_by == "kim"


def test_an_event_id_names_one_fact_across_kinds(run, world, h):
    check = h.unchanged(run.db)
    h.assert_error(
        run(
            "partnership", "form", "--party", "a", "--party", "b", "--effective", "2019", "--event-id", world["PE_END"]
        ),
        1,
        "event_id",
    )
    h.assert_error(
        run("support", "end", world["S"], "--effective", "2021", "--event-id", world["PE_END"]), 1, "event_id"
    )
    h.assert_error(
        run("org", "register", "q", "--sector", "firm", "--name-en", "Q", "--event-id", world["P"]), 1, "event_id"
    )
    check()


def test_event_id_is_case_insensitive(run, seeded, h):
    args = ["org", "rename", "a", "--name-en", "A2"]
    h.recorded(run(*args, "--event-id", X))
    h.already(run(*args, "--event-id", X.upper()))


# -- actor ----------------------------------------------------------------------------------


def recorded_by(db) -> list[str]:
    with Ledger(db) as ledger:
        return [e.recorded_by for _, e in ledger.events()]


def test_actor_option(run, db, h):
    h.assert_ok(run("init"))
    h.recorded(run("org", "register", "a", "--sector", "firm", "--name-en", "A", global_args=["--actor", "kim"]))
    assert recorded_by(db) == ["kim"]


def test_actor_from_the_environment(run, db, h):
    h.assert_ok(run("init"))
    h.recorded(run("org", "register", "a", "--sector", "firm", "--name-en", "A", env={"NETLEDGER_ACTOR": "lee"}))
    assert recorded_by(db) == ["lee"]


def test_actor_option_wins_over_the_environment(run, db, h):
    h.assert_ok(run("init"))
    result = run(
        "org",
        "register",
        "a",
        "--sector",
        "firm",
        "--name-en",
        "A",
        global_args=["--actor", "kim"],
        env={"NETLEDGER_ACTOR": "lee"},
    )
    h.recorded(result)
    assert recorded_by(db) == ["kim"]


def test_actor_defaults_to_the_os_user(run, db, h):
    h.assert_ok(run("init"))
    h.recorded(run("org", "register", "a", "--sector", "firm", "--name-en", "A"))
    assert recorded_by(db) == [default_actor()]


def test_every_recording_command_records_its_actor(world, run, tmp_path, h):
    start = h.snapshot(run.db).count
    commands = [
        "org register q --sector firm --name-en Q",
        "org rename q --name-en Q2",
        "partnership form --party a --party q --effective 2020",
        "partnership end {P} --effective 2020",
        "agreement sign --kind other --title T --party a --party q --effective 2020",
        "agreement amend {A} --title T2 --effective 2020",
        "agreement terminate {A} --effective 2021",
        "support award --kind in_kind --funder c --recipient q --effective 2020",
        "support amend {S} --title T2 --effective 2020",
        "support disburse {S} --amount 1 --currency KRW --effective 2020",
        "support end {S} --effective 2021",
        "support withdraw {D} --effective 2021",
        "org dissolve q --effective 2022",
    ]
    actors = []
    for n, line in enumerate(commands):
        actor = f"actor-{n}"
        args = shlex.split(line.format(**world))
        by_env = n % 2 == 1  # alternate between the environment and the option
        result = run(*args, env={"NETLEDGER_ACTOR": actor}) if by_env else run(*args, global_args=["--actor", actor])
        h.recorded(result)
        actors.append(actor)
    appended = tmp_path / "one.jsonl"
    record = {"type": "organisation.registered", "event_id": X, "key": "z", "sector": "firm", "name_en": "Z"}
    appended.write_text(json.dumps(record) + "\n", encoding="utf-8")
    h.assert_ok(run("append", "--create", str(appended), env={"NETLEDGER_ACTOR": "appender"}))
    assert recorded_by(run.db)[start:] == [*actors, "appender"]


def test_retract_records_its_actor(world, run, h):
    h.recorded(run("retract", world["PE_END"], "--reason", "r", global_args=["--actor", "auditor"]))
    assert recorded_by(run.db)[-1] == "auditor"


def test_demo_records_the_actor_from_the_environment(tmp_path, h):
    path = tmp_path / "d.db"
    result = CliRunner().invoke(cli, ["--db", str(path), "demo"], env={"NETLEDGER_ACTOR": "builder"})
    h.assert_ok(result)
    assert set(recorded_by(path)) == {"builder"}
