"""Print the table of a reliability run: ``python -m tests.reliability.summary REPORT``.

Rows of the same suite are summed (``peak MiB``: the highest peak resident memory a suite
measured). Exit 1 if anything was lost, crashed with a traceback, or went undetected.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def main(path: str) -> int:
    rows: dict[str, dict[str, int | None]] = defaultdict(
        lambda: {"trials": 0, "detected": None, "lost": 0, "tracebacks": 0}
    )
    peaks: dict[str, float] = {}
    lines = Path(path).read_text(encoding="utf-8").splitlines() if Path(path).exists() else []
    for line in lines:
        r = json.loads(line)
        row = rows[r["suite"]]
        row["trials"] = int(row["trials"] or 0) + r["trials"]
        if r["detected"] is not None:
            row["detected"] = int(row["detected"] or 0) + r["detected"]
        row["lost"] = int(row["lost"] or 0) + r["lost"]
        row["tracebacks"] = int(row["tracebacks"] or 0) + r["tracebacks"]
        if r.get("peak_mib") is not None:
            peaks[r["suite"]] = max(peaks.get(r["suite"], 0.0), float(r["peak_mib"]))
    header = ("suite", "trials", "detected", "lost", "tracebacks", "peak MiB")
    table = [header] + [
        (
            suite,
            str(r["trials"]),
            "-" if r["detected"] is None else str(r["detected"]),
            str(r["lost"]),
            str(r["tracebacks"]),
            f"{peaks[suite]:.0f}" if suite in peaks else "-",
        )
        for suite, r in sorted(rows.items())
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    for n, row in enumerate(table):
        print(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if n == 0:
            print("  ".join("-" * w for w in widths))
    bad = [
        s
        for s, r in rows.items()
        if r["lost"] or r["tracebacks"] or (r["detected"] is not None and r["detected"] != r["trials"])
    ]
    if not rows:
        print("no results recorded")
        return 1
    if bad:
        print(f"FAILED: {', '.join(sorted(bad))}")
        return 1
    detected = " every damage detected;" if any(r["detected"] is not None for r in rows.values()) else ""
    print(f"all recorded trials passed:{detected} nothing lost, no traceback")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
