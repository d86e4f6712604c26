"""The funding report on about 100,000 grants, side by side with plain aggregations of the same stored rows.

Usage::

    .venv/bin/python benchmarks/funding.py                      # 440,000 events, about 100,000 supports
    .venv/bin/python benchmarks/funding.py --events 44000       # a quick run

The ledger is ``generate.py``'s synthetic one (every event type over ten years:
awards, back-dated amendments, payments, withdrawals, ends, retractions), cached in
``benchmarks/.data/``. In one process, interleaved rounds, medians:

- **report**: ``projections.funding.funding(ledger, by=("funder", "year"), as_of=...)``:
  the pydantic events read through ``Ledger.events``, folded per support by
  ``projections.terms`` (``known``, ``relation_on``), added up in ``Decimal``;
- **plain Python**: ``sqlite3`` and ``json.loads`` over the same stored rows, the
  same rules written directly on dicts (retractions, amendments in date order,
  payments by the day, the earliest close); its answer must equal the report's,
  row for row and to the penny (the run stops otherwise);
- **SQL floor**: one ``SELECT ... json_extract ... GROUP BY`` of the award amounts
  per funder and year: what a naive query costs, ignoring amendments, payments,
  withdrawals and retractions (so its figures differ, and are not compared);
- **CLI**: ``netledger report funding --by funder,year --format csv`` as a child
  process, start-up included (wall time, one run per round).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import ensure  # noqa: E402

from domain.ledger import Ledger  # noqa: E402
from projections.funding import funding  # noqa: E402

AS_OF = "2024-12-31"
Rows = dict[tuple[str, str, str], list[Any]]


def first_day(text: str | None) -> str | None:
    if text is None:
        return None
    return text + "-01-01" if len(text) == 4 else text + "-01" if len(text) == 7 else text


def plain(path: Path, day: str) -> Rows:
    """The report by funder and year, from the stored rows with sqlite3 and json only."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute("SELECT rowid, originator_id, topic, state FROM stored_events ORDER BY rowid").fetchall()
    finally:
        con.close()
    retracted: set[str] = set()
    supports: dict[str, list[tuple[int, str, dict[str, Any]]]] = {}
    for position, originator, topic, state in rows:
        if not topic.startswith("domain.support:"):
            if topic.endswith(".Retracted"):
                retracted.add(json.loads(state)["retracted_event_id"])
            continue
        data = json.loads(state)
        verb = topic.rsplit(".", 1)[1]
        if verb == "Retracted":
            retracted.add(data["retracted_event_id"])
        else:
            supports.setdefault(originator, []).append((position, verb, data))
    found: Rows = {}
    for history in supports.values():
        live = [(p, v, d) for p, v, d in history if d["event_id"] not in retracted]
        award = next((d for _, v, d in live if v == "Awarded"), None)
        if award is None:
            continue
        start = first_day(award["effective"])
        if start is not None and start > day:
            continue
        amount = Decimal(award["amount"]) if award["amount"] is not None else None
        currency = award["currency"]
        changes = sorted(
            (first_day(d["effective"]) or "", p, d)
            for p, v, d in live
            if v == "Amended" and (first_day(d["effective"]) or "") <= day
        )
        for _, _, d in changes:
            if d["amount"] is not None:
                amount = Decimal(d["amount"])
            currency = d["currency"] or currency
        payments = [d for _, v, d in live if v == "Disbursed"]
        if currency is None and payments:
            currency = payments[0]["currency"]
        if currency is None:
            continue
        in_force = amount if amount is not None else Decimal(0)
        paid = sum((Decimal(d["amount"]) for d in payments if (first_day(d["effective"]) or "") <= day), Decimal(0))
        closings = [
            (first_day(d["effective"]), v) for _, v, d in live if v in ("Ended", "Withdrawn") and d["effective"]
        ]
        earliest = min(closings, key=lambda c: c[0] or "", default=None)
        withdrawn = Decimal(0)
        if earliest is not None and earliest[1] == "Withdrawn" and (earliest[0] or "") <= day:
            withdrawn = max(in_force - paid, Decimal(0))
        awarded = Decimal(award["amount"]) if award["amount"] is not None else Decimal(0)
        year = start[:4] if start else "undated"
        figures = [1, awarded, in_force - awarded, paid, withdrawn, in_force - paid - withdrawn]
        for funder in dict.fromkeys(f["key"] for f in award["funders"]):
            row = found.setdefault((funder, year, currency), [0] + [Decimal(0)] * 5)
            for i, value in enumerate(figures):
                row[i] += value
    return found


def sql_floor(path: Path) -> int:
    """Award amounts per funder and year in one SQL query (a naive answer: no amendments, payments or retractions)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = con.execute(
            """
            SELECT json_extract(f.value, '$.key'), substr(json_extract(e.state, '$.effective'), 1, 4),
                   json_extract(e.state, '$.currency'), count(*), sum(json_extract(e.state, '$.amount'))
            FROM stored_events e, json_each(json_extract(e.state, '$.funders')) f
            WHERE e.topic = 'domain.support:Support.Awarded' AND json_extract(e.state, '$.amount') IS NOT NULL
            GROUP BY 1, 2, 3
            """
        ).fetchall()
    finally:
        con.close()
    return len(rows)


def report(path: Path, day: str) -> Rows:
    with Ledger(path) as ledger:
        rows = funding(ledger, by=("funder", "year"), as_of=day)
    return {
        (r.keys["funder"], r.keys["year"], r.keys["currency"]): [
            r.count,
            r.awarded,
            r.amended_net,
            r.disbursed,
            r.withdrawn,
            r.outstanding,
        ]
        for r in rows
    }


def cli(path: Path, day: str) -> int:
    out = subprocess.run(
        [
            str(Path(sys.executable).with_name("netledger")),
            "--db",
            str(path),
            "report",
            "funding",
            "--by",
            "funder,year",
            "--as-of",
            day,
            "--format",
            "csv",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.count("\n") - 1


def timed(f: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = f()
    return time.perf_counter() - started, value


def main() -> None:
    from bytecode import cache_bytecode  # benchmarks/bytecode.py

    cache_bytecode()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=440_000, help="events in the synthetic ledger")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    path = ensure(args.events, max(50, args.events // 100), args.seed)
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    counts = dict(con.execute("SELECT topic, count(*) FROM stored_events GROUP BY topic").fetchall())
    con.close()
    supports = counts.get("domain.support:Support.Awarded", 0)
    print(f"ledger {path.name}: {sum(counts.values()):,} events, {supports:,} supports awarded")
    times: dict[str, list[float]] = {"report": [], "plain Python": [], "SQL floor": [], "CLI": []}
    for _ in range(args.rounds):
        seconds, ours = timed(lambda: report(path, AS_OF))
        times["report"].append(seconds)
        seconds, theirs = timed(lambda: plain(path, AS_OF))
        times["plain Python"].append(seconds)
        if ours != theirs:
            differ = sorted(set(ours) ^ set(theirs))[:3] or [k for k in ours if ours[k] != theirs.get(k)][:3]
            sys.exit(f"the report and the plain aggregation differ, e.g. at {differ}")
        times["SQL floor"].append(timed(lambda: sql_floor(path))[0])
        seconds, lines = timed(lambda: cli(path, AS_OF))
        times["CLI"].append(seconds)
        if lines != len(ours):
            sys.exit(f"the CLI printed {lines} rows, the library {len(ours)}")
    print(f"{len(ours):,} rows (funder, year, currency); the report equals the plain aggregation, to the penny")
    base = statistics.median(times["plain Python"])
    print(f"{'measurement':<16}{'median s':>10}{'vs plain':>10}   rounds")
    for name, values in times.items():
        median = statistics.median(values)
        rounds = " ".join(f"{v:.2f}" for v in values)
        print(f"{name:<16}{median:>10.3f}{median / base:>9.2f}x   {rounds}")


if __name__ == "__main__":
    main()
