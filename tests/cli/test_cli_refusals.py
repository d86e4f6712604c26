"""Every recording and reading command on each of its error exit codes.

Each case: the exit code (1 = a ledger rule refuses, 2 = bad usage or input),
one ``Error:`` line on stderr naming the field, no traceback, nothing on
stdout, and the ledger exactly as it was (count and event list).

Arguments and fields may name the ids of the ``world`` fixture as ``{P}``, ``{S}``...
"""

from __future__ import annotations

import shlex

import pytest

U = {"usage": True}

# (command line, exit code, text naming the field, extra options for assert_error)
CASES: list[tuple[str, int, str, dict[str, bool]]] = [
    # org register
    ("org register a --sector firm --name-en A2", 1, "key: organisation 'a' is already registered", {}),
    ("org register new --sector bogus --name-en N", 2, "--sector", U),
    ("org register new --name-en N", 2, "--sector", U),
    ("org register --sector firm --name-en N", 2, "KEY", U),
    ("org register new --sector firm", 2, "name_ko/name_en", {}),
    ("org register New --sector firm --name-en N", 2, "key", {}),
    ("org register new --sector firm --name-en N --effective 2019-02-30", 2, "effective", {}),
    ("org register new --sector firm --name-en N --id nocolon", 2, "identifiers", {}),
    ("org register new --sector firm --name-en N --country XX", 2, "country", {}),
    ("org register new --sector firm --name-en N --event-id 123", 2, "event_id", {}),
    ("org register new --sector firm --name-en N --bogus", 2, "--bogus", U),
    # org rename
    ("org rename nobody --name-en N", 1, "key: unknown organisation 'nobody'", {}),
    ("org rename x --name-en N", 1, "key: unknown organisation", {}),  # its registration was retracted
    ("org rename gone --name-en N", 1, "key: organisation 'gone' is dissolved", {}),
    ("org rename a --name-en A", 1, "name", {}),
    ("org rename a --name-en A2 --effective 2019-13", 2, "effective", {}),
    ("org rename a --name-en A2 --event-id nope", 2, "event_id", {}),
    # a key the shell passed as undecodable bytes (a lone surrogate): refused before it names an aggregate
    ("org rename \ud800 --name-en N", 2, "key: '\\ud800' is not a key: it has no UTF-8 bytes", {}),
    ("org register a\udcff --sector firm --name-en N", 2, "key: 'a\\udcff' is not a key", {}),
    ("org dissolve \ud800", 2, "key: '\\ud800' is not a key", {}),
    # an option without its value (click gives this error no context): one line naming the option
    ("org rename a --name-en A2 --effective", 2, "--effective: Option '--effective' requires an argument", {}),
    # org dissolve
    ("org dissolve nobody", 1, "key: unknown organisation", {}),
    ("org dissolve gone", 1, "key: organisation 'gone' is dissolved", {}),
    ("org dissolve a --effective 1989", 1, "effective", {}),  # registered 1990
    ("org dissolve a --effective yesterday", 2, "effective", {}),
    ("org dissolve", 2, "KEY", U),
    # partnership form
    ("partnership form --party a --party nobody --effective 2019", 1, "parties[1]: unknown organisation", {}),
    ("partnership form --party a --party gone --effective 2019", 1, "parties[1]: organisation 'gone' is dissolved", {}),
    ("partnership form --party a --party b", 2, "--effective", U),
    ("partnership form --effective 2019", 2, "--party", U),
    ("partnership form --party a --effective 2019", 2, "parties", {}),
    ("partnership form --party a --party a:x --effective 2019", 2, "parties", {}),
    ("partnership form --party a --party B --effective 2019", 2, "parties[1]", {}),
    ("partnership form --party a --party b --effective 19", 2, "effective", {}),
    ("partnership form --party a --party b --effective 2019 --event-id {XREG}", 1, "event_id", {}),
    # partnership end
    ("partnership end {MISSING} --effective 2020", 1, "partnership_id", {}),
    ("partnership end {S} --effective 2020", 1, "partnership_id", {}),  # a support, not a partnership
    ("partnership end {PE} --effective 2021", 1, "id: partnership {PE} is already ended", {}),
    ("partnership end {P} --effective 2018", 1, "effective", {}),  # formed 2019-01
    ("partnership end not-a-uuid --effective 2020", 2, "partnership_id", {}),
    ("partnership end {P}", 2, "--effective", U),
    ("partnership end {P} --effective 2020-00", 2, "effective", {}),
    # agreement sign
    ("agreement sign --kind mou --title T --party a --party nobody --effective 2019", 1, "parties[1]", {}),
    ("agreement sign --kind treaty --title T --party a --party b --effective 2019", 2, "--kind", U),
    ("agreement sign --kind mou --party a --party b --effective 2019", 2, "--title", U),
    ("agreement sign --kind mou --title T --party a --party b", 2, "--effective", U),
    (
        "agreement sign --kind mou --title T --party a --party b --effective 2019-05 --term-end 2019-04",
        2,
        "term_end",
        {},
    ),
    ("agreement sign --kind mou --title T --party a --party b --effective 2019 --term-end soon", 2, "term_end", {}),
    ("agreement sign --kind mou --title T --party a --effective 2019", 2, "parties", {}),
    # agreement amend
    ("agreement amend {MISSING} --title T2 --effective 2020", 1, "agreement_id", {}),
    ("agreement amend {AT} --title T2 --effective 2021", 1, "id: agreement {AT} is already terminated", {}),
    ("agreement amend {A} --title T2 --effective 2018", 1, "effective", {}),  # signed 2019-02-03
    ("agreement amend {A} --party a --party nobody --effective 2020", 1, "parties[1]", {}),
    ("agreement amend {A} --term-end 2018 --effective 2020", 1, "term_end", {}),
    ("agreement amend {A} --effective 2020", 2, "title/parties/term_end", {}),
    ("agreement amend xyz --title T2 --effective 2020", 2, "agreement_id", {}),
    ("agreement amend {A} --title T2", 2, "--effective", U),
    # agreement terminate
    ("agreement terminate {AT} --effective 2021", 1, "id: agreement {AT} is already terminated", {}),
    ("agreement terminate {P} --effective 2021", 1, "agreement_id", {}),  # a partnership
    ("agreement terminate {A} --effective 2019-01", 1, "effective", {}),
    ("agreement terminate {A} --effective 2021-02-29", 2, "effective", {}),
    ("agreement terminate --effective 2021", 2, "ID", U),
    # support award
    ("support award --kind grant --funder nobody --recipient a --effective 2020", 1, "funders[0]", {}),
    ("support award --kind grant --funder c --recipient gone --effective 2020", 1, "recipients[0]", {}),
    ("support award --kind grant --funder c --recipient a --programme b --effective 2020", 1, "programme", {}),
    ("support award --kind grant --funder c --recipient a --programme nobody --effective 2020", 1, "programme", {}),
    ("support award --kind gift --funder c --recipient a --effective 2020", 2, "--kind", U),
    ("support award --kind grant --recipient a --effective 2020", 2, "--funder", U),
    ("support award --kind grant --funder c --effective 2020", 2, "--recipient", U),
    ("support award --kind grant --funder c --recipient a --amount 10 --effective 2020", 2, "currency", {}),
    ("support award --kind grant --funder c --recipient a --currency KRW --effective 2020", 2, "amount", {}),
    (
        "support award --kind grant --funder c --recipient a --amount ten --currency KRW --effective 2020",
        2,
        "amount",
        {},
    ),
    (
        "support award --kind grant --funder c --recipient a --amount -1 --currency KRW --effective 2020",
        2,
        "amount",
        {},
    ),
    (
        "support award --kind grant --funder c --recipient a --amount NaN --currency KRW --effective 2020",
        2,
        "amount",
        {},
    ),
    (
        "support award --kind grant --funder c --recipient a --amount 1e30 --currency KRW --effective 2020",
        2,
        "amount",
        {},
    ),
    (
        "support award --kind grant --funder c --recipient a --amount 1 --currency ZZZ --effective 2020",
        2,
        "currency",
        {},
    ),
    (
        "support award --kind designation --funder c --recipient a --amount 1 --currency KRW --effective 2020",
        2,
        "amount",
        {},
    ),
    ("support award --kind grant --funder c --recipient c --effective 2020", 2, "recipients", {}),
    (
        "support award --kind grant --funder c --recipient a --planned-start 2021 --planned-end 2020 --effective 2020",
        2,
        "planned_end",
        {},
    ),
    # support amend
    ("support amend {MISSING} --title T --effective 2020", 1, "support_id", {}),
    ("support amend {SE} --title T --effective 2021", 1, "id: support {SE} is already ended", {}),
    ("support amend {S} --title T --effective 2019-02", 1, "effective", {}),  # awarded 2019-03
    ("support amend {D} --amount 1 --currency KRW --effective 2020", 1, "amount", {}),
    ("support amend {S} --planned-end 2018 --effective 2020", 1, "planned_end", {}),
    ("support amend {S} --effective 2020", 2, "amount/planned_start/planned_end/title", {}),
    ("support amend {S} --currency KRW --effective 2020", 2, "amount", {}),
    ("support amend {S} --title T", 2, "--effective", U),
    # support disburse
    ("support disburse {S} --amount 1 --currency USD --effective 2020", 1, "currency", {}),
    ("support disburse {D} --amount 1 --currency KRW --effective 2020", 1, "amount", {}),
    (
        "support disburse {SW} --amount 1 --currency KRW --effective 2020",
        1,
        "id: support {SW} is already withdrawn",
        {},
    ),
    ("support disburse {S} --amount 1 --currency KRW --effective 2018", 1, "effective", {}),
    ("support disburse {MISSING} --amount 1 --currency KRW --effective 2020", 1, "support_id", {}),
    ("support disburse {S} --currency KRW --effective 2020", 2, "--amount", U),
    ("support disburse {S} --amount 1 --effective 2020", 2, "--currency", U),
    ("support disburse {S} --amount 1 --currency KRW", 2, "--effective", U),
    ("support disburse {S} --amount -5 --currency KRW --effective 2020", 2, "amount", {}),
    ("support disburse {S} --amount 1 --currency KR --effective 2020", 2, "currency", {}),
    # support end
    ("support end {SE} --effective 2021", 1, "id: support {SE} is already ended", {}),
    ("support end {SW} --effective 2021", 1, "id: support {SW} is already withdrawn", {}),
    ("support end {A} --effective 2021", 1, "support_id", {}),  # an agreement
    ("support end {S} --effective 2018-12-31", 1, "effective", {}),
    ("support end 42 --effective 2021", 2, "support_id", {}),
    ("support end {S}", 2, "--effective", U),
    # support withdraw
    ("support withdraw {SW} --effective 2021", 1, "id: support {SW} is already withdrawn", {}),
    ("support withdraw {SE} --effective 2021", 1, "id: support {SE} is already ended", {}),
    ("support withdraw {MISSING} --effective 2021", 1, "support_id", {}),
    ("support withdraw {S} --effective 2021-1", 2, "effective", {}),
    # retract
    ("retract {MISSING} --reason r", 1, "retracted_event_id", {}),
    ("retract {XREG} --reason again", 1, "retracted_event_id", {}),  # already retracted
    ("retract {XRET} --reason r", 1, "retracted_event_id", {}),  # a retraction is not retracted
    ("retract nope --reason r", 2, "retracted_event_id", {}),
    ("retract {PE_END} --reason r --event-id bad", 2, "event_id", {}),
    ("retract {PE_END} --reason r --effective 2019-99", 2, "effective", {}),
    ("retract {PE_END}", 2, "--reason", U),
    # log
    ("log --from 2019-13", 2, "--from", {}),
    ("log --to x", 2, "--to", {}),
    ("log --recorded-before yesterday", 2, "--recorded-before", {}),
    ("log --type bogus", 2, "--type", U),
    ("log --type support.bogus", 2, "--type", U),
    ("log --format xml", 2, "--format", U),
    # show
    ("show nobody", 1, "KEY_OR_ID", {}),
    ("show {MISSING}", 1, "KEY_OR_ID", {}),
    ("show a --format csv", 2, "--format", U),
    ("show", 2, "KEY_OR_ID", U),
    # append (file errors; content errors are in test_cli_append.py)
    ("append", 2, "FILE", U),
    ("append no-such-file.jsonl", 2, "no-such-file.jsonl", U),
]


def _case_id(case: tuple[str, int, str, dict[str, bool]]) -> str:
    return f"{case[1]}:{case[0]}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_refused(case, world, run, h):
    line, code, field, options = case
    args = shlex.split(line.format(**world))
    check = h.unchanged(run.db)
    result = run(*args)
    h.assert_error(result, code, field.format(**world), **options)
    check()


def test_a_group_option_without_its_value_is_named(run, db, h):
    """``netledger --db`` with nothing after it: one Error: line naming the option, as for a command's own."""
    from click.testing import CliRunner

    from cli.main import cli

    result = CliRunner().invoke(cli, ["--db"], prog_name="netledger")
    h.assert_error(result, 2, "--db: Option '--db' requires an argument")
    assert not db.exists()


READ_COMMANDS = ["log", "log --format jsonl", "show a", "show a --format json"]


@pytest.mark.parametrize("line", READ_COMMANDS)
def test_read_commands_need_an_existing_ledger(line, run, db, h):
    h.assert_error(run(*line.split()), 2, "db: no ledger at")
    assert not db.exists()  # reading never creates a ledger


@pytest.mark.parametrize("line", ["log", "show a", "org register a --sector firm --name-en A", "demo"])
def test_a_file_that_is_not_a_ledger_is_refused(line, run, tmp_path, h):
    path = tmp_path / "junk.db"
    path.write_bytes(b"not a database at all\n" * 10)
    h.assert_error(run(*line.split(), db=path), 2, "db")
    assert path.read_bytes() == b"not a database at all\n" * 10
