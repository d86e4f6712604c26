"""Reliability: four command-line writers at once on one ledger lose nothing, double nothing, crash never.

A ledger holds a funder, three recipients and three grants. Four writers start
together (a barrier) and each sends ``PER_WRITER`` events (100 in the fast run,
500 in the full one) through real ``netledger`` processes: JSON Lines chunks of
seeded random sizes (5 to 40 lines) with ``netledger append``, and the last two
events as single commands (``support disburse`` or ``org register``):

- writers 0 and 1 disburse into the three shared grants (the same aggregates:
  every save races the others' on the aggregate's version);
- writer 2 registers organisations of its own;
- writer 3 alternates: a disbursement into a shared grant, an organisation.

Every event has a fixed id, so a chunk refused cleanly (exit 1 or 2, exactly
one ``Error:`` line, e.g. the ledger stayed locked) is sent again and counted.
Afterwards: exactly ``4 x PER_WRITER`` new events, each sent id recorded once
(no duplicate event id, none missing), each grant's version and disbursements
equal to what was sent to it, ``netledger verify`` clean, and no process printed
a traceback. On SQLite (one file) and PostgreSQL (one database).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from domain.ledger import Ledger
from domain.support import Support
from tests.conftest import read_rows
from tests.reliability.conftest import Tally, trials

ROOT = Path(__file__).resolve().parents[2]
NETLEDGER = [sys.executable, "-c", "from cli.main import main; main(prog_name='netledger')"]
NS = uuid5(NAMESPACE_URL, "netledger:tests:reliability:concurrent")
WRITERS = 4
PER_WRITER = trials(100, 500)
SUPPORTS = 3
#: How many times one chunk is sent before the test gives up on it.
SENDS = 8


def _id(label: str) -> str:
    return str(uuid5(NS, label))


def support_id(s: int) -> str:
    return _id(f"support{s}")


SETUP: list[dict[str, Any]] = [
    {"type": "organisation.registered", "event_id": _id("fund"), "key": "fund", "sector": "funder", "name_en": "Fund"},
    *(
        {"type": "organisation.registered", "event_id": _id(f"r{s}"), "key": f"r{s}", "sector": "firm", "name_en": "R"}
        for s in range(SUPPORTS)
    ),
    *(
        {
            "type": "support.awarded",
            "event_id": support_id(s),
            "kind": "grant",
            "funders": ["fund"],
            "recipients": [f"r{s}"],
            "amount": "1000000",
            "currency": "KRW",
            "effective": "2019",
        }
        for s in range(SUPPORTS)
    ),
]


def plan(writer: int) -> list[dict[str, Any]]:
    """The events *writer* sends, in order."""
    records: list[dict[str, Any]] = []
    for i in range(PER_WRITER):
        event_id = _id(f"w{writer}-{i}")
        disburses = writer in (0, 1) or (writer == 3 and i % 2 == 0)
        if disburses:
            records.append(
                {
                    "type": "support.disbursed",
                    "event_id": event_id,
                    "aggregate_id": support_id((writer + i) % SUPPORTS),
                    "amount": str(writer + 1),
                    "currency": "KRW",
                    "effective": "2020",
                }
            )
        else:
            key = f"w{writer}-org{i}"
            records.append(
                {"type": "organisation.registered", "event_id": event_id, "key": key, "sector": "firm", "name_en": key}
            )
    return records


def command_of(record: dict[str, Any]) -> list[str]:
    """One record as a single recording command."""
    if record["type"] == "support.disbursed":
        return [
            "support",
            "disburse",
            record["aggregate_id"],
            "--amount",
            record["amount"],
            "--currency",
            record["currency"],
            "--effective",
            record["effective"],
            "--event-id",
            record["event_id"],
        ]
    return [
        "org",
        "register",
        record["key"],
        "--sector",
        "firm",
        "--name-en",
        record["name_en"],
        "--event-id",
        record["event_id"],
    ]


@dataclass
class Writer:
    number: int
    options: list[str]
    folder: Path
    sends: int = 0
    refusals: int = 0
    tracebacks: int = 0
    problems: list[str] = field(default_factory=list)

    def run(self, args: list[str]) -> bool:
        """Send one command until it succeeds (or SENDS times); whether it did."""
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("NETLEDGER_DB", "NETLEDGER_DATA"))}
        environment["NETLEDGER_ACTOR"] = f"writer-{self.number}"
        for _ in range(SENDS):
            self.sends += 1
            done = subprocess.run(
                [*NETLEDGER, *self.options, *args],
                capture_output=True,
                text=True,
                cwd=ROOT,
                env=environment,
                timeout=300,
                check=False,
            )
            if "Traceback" in done.stdout + done.stderr:
                self.tracebacks += 1
                self.problems.append(f"traceback: {done.stderr[-1500:]}")
                continue
            if done.returncode == 0:
                return True
            lines = done.stderr.splitlines()
            if done.returncode in (1, 2) and len(lines) == 1 and lines[0].startswith("Error: "):
                self.refusals += 1  # a clean refusal: sent again
            else:
                self.problems.append(f"exit {done.returncode}: {lines[-5:]}")
        self.problems.append(f"gave up after {SENDS} sends: {args[:3]}")
        return False

    def send(self, records: list[dict[str, Any]], start: threading.Barrier) -> None:
        rng = random.Random(f"concurrent:{self.number}")
        chunked, singles = records[:-2], records[-2:]
        start.wait(timeout=60)
        n = 0
        while n < len(chunked):
            size = rng.randint(5, 40)
            chunk = self.folder / f"w{self.number}-{n}.jsonl"
            chunk.write_text("".join(json.dumps(r) + "\n" for r in chunked[n : n + size]), encoding="utf-8")
            self.run(["append", str(chunk)])
            n += size
        for record in singles:
            self.run(command_of(record))


def test_four_cli_writers_lose_and_double_nothing(target: str, backend: str, tmp_path: Path, tally: Tally) -> None:
    options = ["--database-url", target] if backend == "postgresql" else ["--db", target]
    setup = tmp_path / "setup.jsonl"
    setup.write_text("".join(json.dumps(r) + "\n" for r in SETUP), encoding="utf-8")
    command = [*NETLEDGER, *options, "import", "--create", str(setup), "--format", "jsonl"]
    first = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert first.returncode == 0, first.stderr
    plans = [plan(w) for w in range(WRITERS)]
    writers = [Writer(w, options, tmp_path) for w in range(WRITERS)]
    start = threading.Barrier(WRITERS)
    threads = [threading.Thread(target=w.send, args=(p, start)) for w, p in zip(writers, plans, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not any(t.is_alive() for t in threads)

    sent = [r["event_id"] for p in plans for r in p]
    rows = read_rows(target)
    set_up = len(SETUP) + 1  # the set-up's records and its import.recorded
    recorded = Counter(r.event_id for r in rows[set_up:])
    missing = len(set(sent) - set(recorded))
    doubled = sum(n - 1 for n in recorded.values() if n > 1) + len(set(recorded) - set(sent))
    problems = [f"writer {w.number}: {p}" for w in writers for p in w.problems]
    if missing or doubled or len(rows) != set_up + WRITERS * PER_WRITER:
        problems.append(f"{len(rows) - set_up} new events for {len(sent)} sent: {missing} missing, {doubled} extra")

    lost_updates = 0
    with Ledger(target, actor="checker") as ledger:
        for s in range(SUPPORTS):
            to_it = [r for p in plans for r in p if r.get("aggregate_id") == support_id(s)]
            support = ledger.get(UUID(support_id(s)))
            assert isinstance(support, Support)
            got = (support.version, len(support.disbursed), support.total_disbursed)
            wanted = (1 + len(to_it), len(to_it), sum((Decimal(r["amount"]) for r in to_it), Decimal(0)))
            if got != wanted:
                lost_updates += abs(len(to_it) - len(support.disbursed)) or 1
                problems.append(f"support {s}: version, disbursements, total {got}, expected {wanted}")
    verify = subprocess.run([*NETLEDGER, *options, "verify"], capture_output=True, text=True, cwd=ROOT)
    if verify.returncode != 0:
        problems.append(f"verify: {verify.stderr.strip()}")

    tracebacks = sum(w.tracebacks for w in writers)
    refusals = sum(w.refusals for w in writers)
    sends = sum(w.sends for w in writers)
    tally.add(
        f"concurrent writers: {backend}",
        trials=len(sent),
        lost=missing + doubled + lost_updates,
        tracebacks=tracebacks,
        note=f"{sends} processes, {refusals} clean refusals sent again",
    )
    print(f"{backend}: {sends} processes, {refusals} clean refusals sent again")
    assert not problems, "\n".join(problems)
    assert (missing, doubled, lost_updates, tracebacks) == (0, 0, 0, 0)
