"""The import pipeline shared by every format: stream, check, write in batches, all or nothing.

A format reader turns a file into a stream of ``Item``s (one per record: its
number, a label such as the grant id, the commands it stands for, or the
problems found reading it). ``run_import`` consumes that stream with bounded
memory:

- every batch of ``BATCH_SIZE`` items runs in one ``Session`` and is saved with
  one multi-row insert per table, but all batches go into **one** database
  transaction (``Ledger.bulk``, ``domain.bulk``: rules checked against state
  kept in memory): the ledger holds all of the import or none of it, even if
  the process is killed half-way;
- a problem in any record (its form, or a ledger rule) is listed with the
  record's number, label and field; by default the whole import is then
  rolled back (``ImportRejected``: exit 2 if a record could not even be read,
  else 1) and reading goes on only to list further problems;
- with ``skip_invalid`` the valid records are written and the invalid ones
  returned in ``ImportReport.rejects`` (the CLI writes them to ``--rejects``);
- ``dry_run`` does all of the above and rolls back at the end;
- importing a file again finds every event id already recorded and writes
  nothing.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from uuid import UUID, uuid4

from domain.collector import paused_gc
from domain.commands import execute
from domain.errors import LedgerError
from domain.events import LedgerEvent
from domain.ledger import Ledger
from domain.session import Outcome, Session

#: Records per session and per multi-row insert.
BATCH_SIZE = 2000
#: How many problems are listed before the rest are only counted.
SHOWN_PROBLEMS = 20
#: How many rejected records are kept in memory for the rejects file.
KEPT_REJECTS = 1_000_000


class Command(NamedTuple):
    """One command of a record: its draft, and where its problems come from (``fundingOrganization[0]``).

    *once*: the draft is a registration every record of the file carries (a 360Giving
    organisation's); after the first, the event with its id can only be that one, so
    it is not compared again.

    A named tuple: an import makes one per record, and a frozen dataclass takes three times as long to make.
    """

    draft: LedgerEvent
    where: str = ""
    once: bool = False

    def __call__(self, session: Session) -> Outcome:
        try:
            if self.once:
                existing = session.find_event(self.draft.event_id)
                if existing is not None:
                    return Outcome("already recorded", existing)
            return execute(session, self.draft)
        except LedgerError as exc:
            if self.where:
                raise exc.at(self.where) from None
            raise


@dataclass(frozen=True)
class Problem:
    """One reason a record cannot be imported."""

    number: int
    label: str | None
    field: str
    message: str
    #: ``unreadable``: the record could not be parsed; ``form``: a value is wrong on its own;
    #: ``rule``: the ledger refused it.
    kind: str = "form"
    noun: str = "record"

    def __str__(self) -> str:
        """One line, whatever the file put in the label (an id with a line break, a megabyte of text).

        >>> print(Problem(2, "line\\nbreak", "event_id", "is not a UUID", noun="line"))
        line 2 (line break): event_id: is not a UUID
        """
        label = f" ({_shorten(self.label)})" if self.label else ""
        where = f"{self.field}: " if self.field else ""
        return " ".join(f"{self.noun} {self.number}{label}: {where}{self.message}".split())

    @classmethod
    def of(cls, exc: LedgerError, number: int, label: str | None, noun: str = "record", prefix: str = "") -> Problem:
        name = f"{prefix}.{exc.field}" if prefix and exc.field else (prefix or exc.field)
        text = f"{exc.problem} ({exc.fix})" if exc.fix else exc.problem
        return cls(number, label, name, text, "rule" if exc.exit_code == 1 else "form", noun)


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


@dataclass(slots=True)
class Item:
    """One record of the file: the commands it stands for, or why it cannot be read.

    The last command is the record's own event; the ones before it are what it
    needs first (e.g. a grant's organisations), whose "already recorded" outcome
    is not counted.
    """

    number: int
    label: str | None
    commands: list[Command] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: The record as read (a JSON line read in a batch: its bytes, decoded when it is rejected).
    raw: Any = None
    #: What a record is called in messages: "line", "row", "grant".
    noun: str = "record"
    #: The ids of the events its commands look up, when known: a batch checks them in one query.
    event_ids: tuple[UUID, ...] = ()

    def named(self) -> str | None:
        """The label; a JSON line read in a batch has none until needed: its event id."""
        if self.label is None and self.commands:
            return str(self.commands[-1].draft.event_id)
        return self.label


class ImportRejected(LedgerError):
    """The file was refused as a whole; ``problems`` lists why. Exit 2 if a record was unreadable, else 1."""

    def __init__(self, problems: list[Problem], total: int | None = None, records: int | None = None) -> None:
        self.problems = problems
        self.total = total if total is not None else len(problems)
        self.exit_code = 2 if any(p.kind == "unreadable" for p in problems) else 1
        bad = records if records is not None else len({p.number for p in problems})
        noun = problems[0].noun if problems else "record"
        super().__init__(
            "",
            f"file rejected: {self.total} problem(s) in {bad} {noun}(s); nothing written",
            "fix them and import the file again, or use --skip-invalid --rejects FILE",
        )

    def listing(self, limit: int = SHOWN_PROBLEMS) -> list[str]:
        lines = [str(p) for p in self.problems[:limit]]
        if self.total > limit:
            lines.append(f"... and {self.total - limit} more problem(s)")
        return lines


@dataclass
class ImportReport:
    """What an import wrote (or, in a dry run, would write)."""

    written: Counter[str] = field(default_factory=Counter)
    already: int = 0
    records: int = 0
    rejects: list[tuple[Item, list[Problem]]] = field(default_factory=list)
    rejected: int = 0
    dry_run: bool = False
    seconds: float = 0.0
    #: Format-specific remarks (e.g. amounts read to the penny), one line each.
    remarks: list[str] = field(default_factory=list)
    matched: set[str] = field(default_factory=set)
    #: The import's ``import.recorded`` event, when it wrote anything and was given its provenance.
    recorded: LedgerEvent | None = None

    @property
    def total_written(self) -> int:
        return sum(self.written.values())


Progress = Callable[[int], None]


@dataclass
class Provenance:
    """Where an import's records come from, for its ``import.recorded`` event (``domain.provenance``).

    ``sha256`` and ``publisher`` are asked for once the records are all read (a stream's hash is
    known at its end; a 360Giving file's funders once its grants are read).
    """

    file_name: str | None
    format: str
    sha256: Callable[[], str]
    publisher: Callable[[], str | None] = lambda: None


def run_import(
    ledger: Ledger,
    items: Iterable[Item],
    *,
    skip_invalid: bool = False,
    dry_run: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Progress | None = None,
    provenance: Provenance | None = None,
) -> ImportReport:
    """Import *items* in one transaction, in batches; see the module docstring.

    With *provenance*, an import that writes anything ends with its ``import.recorded`` event.
    """
    report = ImportReport(dry_run=dry_run)
    problems: list[Problem] = []
    started = time.perf_counter()
    state = {"problem_count": 0, "bad_records": 0}

    def reject(item: Item, found: list[Problem]) -> None:
        if isinstance(item.raw, bytes):  # a JSON line read in a batch: kept as read until needed
            item.raw = json.loads(item.raw, parse_float=str)
        item.label = item.named()
        state["problem_count"] += len(found)
        state["bad_records"] += 1
        report.rejected += 1
        if len(problems) < SHOWN_PROBLEMS:
            problems.extend(found[: SHOWN_PROBLEMS - len(problems)])
        if skip_invalid and len(report.rejects) < KEPT_REJECTS:
            report.rejects.append((item, found))

    def flush(batch: list[Item]) -> None:
        if not batch:
            return
        excluded: set[int] = set()
        known = [event_id for item in batch for event_id in item.event_ids]
        while True:
            try:
                # Written even once the file is rejected (the transaction is then rolled
                # back), so later records are checked against the earlier ones.
                outcomes = ledger.run(lambda s: _work(s, batch, excluded, reject), event_ids=known)
                break
            except _Rerun as rerun:  # a record failed half-way: run the batch again without it
                excluded.add(rerun.index)
                reject(batch[rerun.index], [rerun.problem])
        for own, outcome in outcomes:
            if outcome.status == "recorded":
                report.written[outcome.event.type_name] += 1
            elif own:
                report.already += 1

    with ledger.bulk(commit=not dry_run) as bulk, paused_gc():
        first = bulk.last + 1
        batch: list[Item] = []
        for item in items:
            report.records += 1
            if item.problems:
                reject(item, item.problems)
            else:
                batch.append(item)
            if len(batch) >= batch_size:
                flush(batch)
                batch = []
                if progress is not None:
                    progress(report.records)
        flush(batch)
        if progress is not None:
            progress(report.records)
        if problems and not skip_invalid:
            raise ImportRejected(problems, state["problem_count"], state["bad_records"])
        if provenance is not None and report.total_written:
            record = _import_record(ledger, provenance, report, first, bulk.last)
            ledger.run(lambda s: execute(s, record), event_ids=[record.event_id])
            report.recorded = record
    report.seconds = time.perf_counter() - started
    return report


def _import_record(ledger: Ledger, where: Provenance, report: ImportReport, first: int, last: int) -> LedgerEvent:
    """The ``import.recorded`` draft of an import that wrote the events at *first* .. *last*."""
    from domain.provenance import ImportRecord
    from domain.records import draft

    event_id = uuid4()
    meta = ledger.meta_for(event_id=event_id)
    fields = {
        "file_name": where.file_name,
        "sha256": where.sha256(),
        "format": where.format,
        "publisher": where.publisher(),
        "written": dict(report.written),
        "records": report.records,
        "already": report.already,
        "rejected": report.rejected,
        "first_position": first,
        "last_position": last,
    }
    return draft(ImportRecord.Recorded, meta, fields, event_id)


class _Rerun(Exception):
    def __init__(self, index: int, problem: Problem) -> None:
        self.index = index
        self.problem = problem


def _work(
    s: Session,
    batch: list[Item],
    excluded: set[int],
    reject: Callable[[Item, list[Problem]], None],
) -> list[tuple[bool, Outcome]]:
    outcomes: list[tuple[bool, Outcome]] = []
    for index, item in enumerate(batch):
        if index in excluded:
            continue
        pending = len(s.new_events)
        done: list[tuple[bool, Outcome]] = []
        try:
            for n, command in enumerate(item.commands, start=1):
                done.append((n == len(item.commands), command(s)))
        except LedgerError as exc:
            problem = Problem.of(exc, item.number, item.named(), item.noun)
            if len(s.new_events) > pending:  # it recorded part of itself: undo by running the batch again
                raise _Rerun(index, problem) from None
            reject(item, [problem])
            continue
        outcomes.extend(done)
    return outcomes
