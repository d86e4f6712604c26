"""The reliability suites: fast variants in ``make test``, full ones in ``make reliability``.

- ``FULL`` is true when ``NETLEDGER_RELIABILITY=full`` (set by ``make reliability``).
- ``trials(fast, full)`` picks the number of trials for the run.
- ``tally``: each suite records its counts with ``tally.add(suite, trials=..., detected=...,
  lost=..., tracebacks=...)``; when ``NETLEDGER_RELIABILITY_REPORT`` names a file, the counts are
  appended to it as JSON lines, and ``python -m tests.reliability.summary FILE`` prints the table.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import pytest

FULL = os.environ.get("NETLEDGER_RELIABILITY") == "full"
REPORT = os.environ.get("NETLEDGER_RELIABILITY_REPORT")


def trials(fast: int, full: int) -> int:
    """How many trials this run makes: *full* under ``make reliability``, else *fast*."""
    return full if FULL else fast


@dataclass
class Row:
    suite: str
    trials: int
    detected: int | None = None
    lost: int = 0
    tracebacks: int = 0
    note: str = ""
    #: The highest peak resident memory of a trial, when the suite measures it.
    peak_mib: float | None = None


class Tally:
    """Counts of one run, written to the report file (if any) as they come."""

    def add(
        self,
        suite: str,
        *,
        trials: int,
        detected: int | None = None,
        lost: int = 0,
        tracebacks: int = 0,
        note: str = "",
        peak_mib: float | None = None,
    ) -> Row:
        row = Row(suite, trials, detected, lost, tracebacks, note, peak_mib)
        if REPORT:
            with Path(REPORT).open("a", encoding="utf-8") as out:
                out.write(json.dumps(asdict(row)) + "\n")
        return row


@pytest.fixture(scope="session")
def tally() -> Tally:
    return Tally()
