"""Where the 360Giving import's time goes, stage by stage, against issue 16's budget, in one run.

Issue 16 asks the import of 100,000 grants to run at >= 1.3x "eventsourcing direct" (the
same records saved through eventsourcing by a minimal aggregate, no validation: see
``benchmarks/imports.py``). This script measures, in one run on the ALWF package repeated to
G grants (``imports.giving_file``), all per event written (grants and organisations):

- whole processes, timed from outside (wall clock), as ``benchmarks/imports.py`` times them:
  ``netledger import`` into a new SQLite ledger, eventsourcing direct, and the checked floor
  (the three-table floor reading the package as a stream behind the input guard and checking
  each grant against the official schema: what issue 13 asks of any 360Giving import);
- the import's reading stages, in this process, with the garbage collector paused as the
  import pauses it: the stream behind the guard (``iter_grants``); that and the schema check
  (``schema360.grant_errors``); the import's whole check of a grant (``check_grant``: the
  standard's form and the schema); the whole reading half (``Giving360.items``: checks, the
  lossless ``giving360`` member, the validated drafts of every event), which is what runs
  before the rules and the write, and the part of it pydantic takes to validate the drafts
  (timed again from their plain values); and that half again with what a writing process
  needs of its items (the drafts, each organisation's registration once; where their
  problems come from; the ids to look up) pickled and unpickled in batches of 2,000, what
  handing them to a second process would add.

It prints the budget (eventsourcing direct's time per event / 1.3) beside each stage, and:

- the checked floor plus the drafts' validation: the least one process built on the ledger's
  event models can take (no rules, no lossless member, no form checks of its own);
- the reading half and the rest of the import (its time less its reading half), each against
  the budget: a pipeline of a reading process and a writing process can be no faster than its
  slower stage, before the hand-over the pickling measures;
- the import's own CPU time divided by the machine's cores: what any split of its present
  work could reach at best, were the hand-over free.

Usage::

    .venv/bin/python benchmarks/giving360_stages.py                  # 100,000 grants
    .venv/bin/python benchmarks/giving360_stages.py --grants 10000
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import pickle
import shutil
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from imports import NETLEDGER, giving_file, measure, spawn, sqlite_backend  # noqa: E402  (benchmarks/imports.py)

from domain.collector import paused_gc  # noqa: E402

#: Issue 16's target: the import at least this many times as fast as eventsourcing direct.
TARGET = 1.3
#: Items per batch, as the import pipeline's (``domain.imports.pipeline.BATCH_SIZE``).
BATCH = 2000


def whole_processes(path: Path, events: int, folder: Path) -> tuple[dict[str, float], float]:
    """Wall seconds of the import, eventsourcing direct and the checked floor, each a whole process
    (``imports.measure``, which also checks the ledger's count); and the import's CPU seconds."""
    done = measure(sqlite_backend(folder), folder, "stages", path, "360giving", events + 1, raw=False)
    if done["rc"] or done["count"] != events + 1:  # + its import.recorded
        raise SystemExit(f"the import failed (exit {done['rc']}, {done['count']:,} events): {done['said']}")
    seconds = {
        "netledger import (process)": done["seconds"],
        "eventsourcing direct (process)": done["esdirect"]["seconds"],
        "checked floor (process)": done["checked"]["seconds"],
    }
    return seconds, done["cpu"]


def timed(work: Callable[[], Iterable[Any]]) -> float:
    """Seconds to run *work* through, the garbage collector paused as the import pauses it."""
    gc.collect()
    with paused_gc():
        started = time.perf_counter()
        deque(work(), maxlen=0)
        return time.perf_counter() - started


def reading_stages(path: Path, folder: Path) -> dict[str, float]:
    """Seconds of each reading stage over the whole file, in this process."""
    from domain.imports.giving360 import Giving360, check_grant, iter_grants
    from domain.imports.schema360 import grant_errors
    from domain.ledger import Ledger

    def stream() -> Iterable[Any]:
        with path.open("rb") as f:
            yield from iter_grants(f)

    def schema() -> Iterable[Any]:
        for grant in stream():
            yield list(grant_errors(grant))

    def checked() -> Iterable[Any]:
        seen: dict[str, int] = {}
        for number, grant in enumerate(stream(), start=1):
            yield check_grant(number, grant, seen)

    db = folder / "stages.db"
    if spawn([*NETLEDGER, "--db", str(db), "--actor", "bench", "init"], folder)["rc"]:
        raise SystemExit("netledger init failed")
    with Ledger(str(db), actor="bench") as ledger:

        def items() -> Iterable[Any]:
            with path.open("rb") as f:
                yield from Giving360(ledger).items(f)

        def handed_over() -> Iterable[Any]:
            # Only what a writing process needs, at its cheapest: the commands' drafts (an organisation's
            # registration, carried by each of its grants, only the first time: its id after that), where their
            # problems come from, the ids to look up; the grant as read only for a rejected one (its rejects line).
            batch: list[Any] = []
            sent: set[Any] = set()
            for item in items():
                commands = []
                for c in item.commands:
                    event_id = c.draft.event_id
                    commands.append((event_id if c.once and event_id in sent else c.draft, c.where, c.once))
                    if c.once:
                        sent.add(event_id)
                rejected = item.raw if item.problems else None
                batch.append((item.number, item.label, commands, item.event_ids, item.problems, rejected))
                if len(batch) == BATCH:
                    yield pickle.loads(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))
                    batch = []
            yield pickle.loads(pickle.dumps(batch, protocol=pickle.HIGHEST_PROTOCOL))

        def validation() -> float:
            """Seconds pydantic takes to validate each event's draft again, from its plain values (``model_dump``)."""
            spent, batch, seen = 0.0, [], set()

            def validate() -> float:
                started = time.perf_counter()
                for cls, values in batch:
                    cls.model_validate(values)
                return time.perf_counter() - started

            gc.collect()
            with paused_gc():
                for item in items():
                    for command in item.commands:
                        if command.draft.event_id not in seen:  # a registration: once, as it is written once
                            seen.add(command.draft.event_id)
                            batch.append((type(command.draft), command.draft.model_dump()))
                    if len(batch) >= BATCH:
                        spent += validate()
                        batch = []
                return spent + validate()

        drafts = validation()
        return {
            "stream behind the guard (iter_grants)": timed(stream),
            "  + schema check (grant_errors)": timed(schema),
            "  + the import's form checks (check_grant)": timed(checked),
            "reading half (Giving360.items: + member, drafts)": timed(items),
            "  of which the drafts' validation (pydantic)": drafts,
            "  + pickled and unpickled (to a 2nd process)": timed(handed_over),
        }


def main() -> None:
    from bytecode import cache_bytecode  # benchmarks/bytecode.py

    cache_bytecode()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--grants", type=int, default=100_000, help="grants in the 360giving file")
    args = parser.parse_args()
    path, events = giving_file(args.grants)
    folder = Path(tempfile.mkdtemp(prefix="netledger-stages-"))
    try:
        print(
            f"360Giving import by stage: {args.grants:,} grants ({events:,} events), Python {sys.version.split()[0]}, "
            f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
        )
        seconds, cpu = whole_processes(path, events, folder)
        seconds.update(reading_stages(path, folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    direct = seconds["eventsourcing direct (process)"] / events * 1e6
    budget = direct / TARGET
    print(f"\n{'':<52}{'µs/event':>10}{'/ budget':>10}")
    for name, s in seconds.items():
        per = s / events * 1e6
        print(f"{name:<52}{per:>10.1f}{per / budget:>9.2f}x")
    print(f"{'budget: eventsourcing direct / ' + str(TARGET):<52}{budget:>10.1f}")
    reading = seconds["reading half (Giving360.items: + member, drafts)"] / events * 1e6
    rest = seconds["netledger import (process)"] / events * 1e6 - reading
    handover = seconds["  + pickled and unpickled (to a 2nd process)"] / events * 1e6 - reading
    print(
        f"\nA reading process feeding a writing process is no faster than its slower stage: the reading half "
        f"{reading:.1f} µs/event ({reading / budget:.2f}x the budget), the rest of the import (rules, serialising, "
        f"writing, start-up: the import less its reading half) {rest:.1f} ({rest / budget:.2f}x), before handing "
        f"the drafts over, which adds {handover:.1f} µs/event ({handover / budget:.2f}x)."
    )
    alone = (
        (seconds["checked floor (process)"] + seconds["  of which the drafts' validation (pydantic)"]) / events * 1e6
    )
    print(
        f"One process that streams, checks the schema, validates each event with the ledger's models and writes the "
        f"three tables, and does nothing else (the checked floor + the drafts' validation): {alone:.1f} µs/event, "
        f"{alone / budget:.2f}x the budget."
    )
    cores = os.cpu_count() or 1
    spread = cpu / events * 1e6 / cores
    print(
        f"The import's own CPU time, {cpu / events * 1e6:.1f} µs/event, spread perfectly over {cores} cores: "
        f"{spread:.1f} µs/event, {spread / budget:.2f}x the budget."
    )
    print(json.dumps({name: round(s / events * 1e6, 2) for name, s in seconds.items()}))
    print(f"load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
