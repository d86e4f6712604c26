"""Reliability: files built to exhaust memory or confuse decoding are refused in one line, in bounded memory.

``hostile_files`` generates the attacks of issue 14 and their neighbours, for each reader
(``import --format 360giving|jsonl|csv`` and ``append``):

- **nesting**: arrays and objects nested 100,000 deep (24 GB for the unguarded 360Giving
  parser, a RecursionError for JSON Lines), nesting just past ``MAX_DEPTH``;
- **size**: a line of 48 MiB with no line break, a text of 16 MiB, a number of 1 MiB of
  digits, one grant of 8 MiB, a CSV cell of 16 MiB;
- **encoding**: bytes that are not UTF-8, UTF-16 with its BOM, an overlong UTF-8 form, a
  lone surrogate escape, NUL bytes.

Each file is read by ``netledger`` in a process of its own, its address space capped at
1 GiB (a regression dies there instead of eating the machine), started by a small
intermediate Python process that reports ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``:
the peak resident memory of that one child (measured from the small intermediate, so the
forking pytest's memory is not counted). The property: exit 2, one ``Error:`` line (the
last on stderr) and no traceback, the ledger unchanged, peak RSS under 200 MiB.
The tally's row ``hostile resources`` records the cases and the highest peak.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.limits import MAX_DEPTH
from tests.reliability.conftest import FULL

ROOT = Path(__file__).resolve().parents[2]
MIB = 1 << 20
#: The issue's bound on a hostile file's peak memory.
PEAK_LIMIT_MIB = 200
CAP = 1 << 30

GRANT = {
    "id": "360G-x-1",
    "title": "t",
    "description": "d",
    "currency": "KRW",
    "amountAwarded": 1,
    "awardDate": "2020-01-01",
    "fundingOrganization": [{"id": "KR-BRN-1234567890", "name": "F"}],
    "recipientOrganization": [{"id": "KR-BRN-0987654321", "name": "R"}],
}
ORG = '{"type":"organisation.registered","key":"a","sector":"firm","name_en":"%s"}\n'
CSV_HEAD = "type,key,sector,name_en\n"


@dataclass(frozen=True)
class Hostile:
    name: str
    attack: str  # nesting, size or encoding
    command: tuple[str, ...]  # after --db; FILE is replaced by the file's path
    data: bytes
    #: The exit code: 2 for a file that cannot be read, 1 for a readable file whose record the ledger refuses
    #: ("file rejected", all or nothing, each problem listed before the Error line).
    code: int = 2


def _grant_file(grant_json: bytes) -> bytes:
    return b'{"grants":[' + grant_json + b"]}"


def _grant(**changes: Any) -> bytes:
    return json.dumps({**GRANT, **changes}).encode()


def hostile_files(scale: int = 1) -> Iterator[Hostile]:
    """The hostile files, each with the command that reads it. *scale* multiplies the sizes (full run: 2)."""
    deep = 100_000
    g360 = ("import", "FILE", "--format", "360giving")
    jsonl = ("import", "FILE", "--format", "jsonl")
    csv = ("import", "FILE", "--format", "csv")
    append = ("append", "FILE")
    # -- nesting
    yield Hostile("360giving-arrays-100k-deep", "nesting", g360, _grant_file(b"[" * deep + b"]" * deep))
    yield Hostile("360giving-objects-100k-deep", "nesting", g360, _grant_file(b'{"a":' * deep + b"1" + b"}" * deep))
    nested = _grant()[:-1] + b', "extra": ' + b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1) + b"}"
    yield Hostile("360giving-just-past-max-depth", "nesting", g360, _grant_file(nested))
    for command in (jsonl, append):
        verb = command[0]
        yield Hostile(f"{verb}-arrays-100k-deep", "nesting", command, b"[" * deep + b"]" * deep + b"\n")
        yield Hostile(f"{verb}-objects-100k-deep", "nesting", command, b'{"a":' * deep + b"1" + b"}" * deep + b"\n")
        yield Hostile(f"{verb}-unclosed-100k-deep", "nesting", command, b"[" * deep + b"\n")
    # -- size
    big = 16 * MIB * scale
    for command in (jsonl, append):
        verb = command[0]
        yield Hostile(f"{verb}-line-of-48-mib", "size", command, b'{"name_en":"' + b"x" * (48 * MIB * scale))
        yield Hostile(f"{verb}-text-of-16-mib", "size", command, (ORG % ("x" * big)).encode())
    yield Hostile("360giving-text-of-16-mib", "size", g360, _grant_file(_grant(title="x" * big)))
    number = b"1" * (MIB * scale)
    yield Hostile("360giving-number-of-1-mib", "size", g360, _grant_file(_grant()[:-1] + b', "n": ' + number + b"}"))
    many = {f"f{i}": "y" * 100 for i in range(80_000 * scale)}  # 8 MiB of small fields in one grant
    yield Hostile("360giving-grant-of-8-mib", "size", g360, _grant_file(_grant(**many)))
    yield Hostile(
        "csv-cell-of-16-mib", "size", csv, (CSV_HEAD + "organisation.registered,a,firm," + "x" * big).encode()
    )
    yield Hostile("csv-line-of-48-mib", "size", csv, (CSV_HEAD + "x" * (48 * MIB * scale)).encode())
    # -- encoding
    yield Hostile("jsonl-not-utf8", "encoding", jsonl, (ORG % "ok").encode() + b'{"name_en":"\xff\xfe\xfd"}\n')
    yield Hostile("append-overlong-utf8", "encoding", append, b'{"type":"organisation.registered","key":"\xc0\xaf"}\n')
    yield Hostile("append-lone-surrogate", "encoding", append, (ORG % "\\ud800").encode())
    yield Hostile(
        "360giving-utf16-bom", "encoding", g360, b"\xff\xfe" + _grant_file(_grant()).decode().encode("utf-16-le")
    )
    yield Hostile("360giving-not-utf8", "encoding", g360, _grant_file(_grant(title="TITLE")).replace(b"TITLE", b"\xff"))
    nul = (CSV_HEAD + "organisation.registered,a,firm,A\x00B\n").encode()
    yield Hostile("csv-nul-bytes", "encoding", csv, nul, code=1)
    yield Hostile("csv-not-utf8", "encoding", csv, CSV_HEAD.encode() + b"organisation.registered,a,firm,\xff\xfe\n")


CHILD = (
    "import resource, sys\n"
    f"resource.setrlimit(resource.RLIMIT_AS, ({CAP}, {CAP}))\n"
    "from cli.main import main\n"
    "main(sys.argv[1:])\n"
)
PARENT = (
    "import json, resource, subprocess, sys\n"
    "done = subprocess.run([sys.executable, '-c', sys.argv[1], *sys.argv[2:]], capture_output=True, text=True,\n"
    "                      errors='replace')\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(json.dumps({'rc': done.returncode, 'stderr': done.stderr, 'peak_mib': peak}))\n"
)


def run_measured(args: list[str]) -> dict[str, Any]:
    """``netledger ARGS`` in a child of a small intermediate process; its exit code, stderr and peak RSS (MiB)."""
    done = subprocess.run(
        [sys.executable, "-c", PARENT, CHILD, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env={**os.environ, "NETLEDGER_ACTOR": "attacker"},
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def table_counts(db: Path) -> list[int]:
    with closing(sqlite3.connect(str(db))) as con:
        return [con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("stored_events", "event_chain")]


CASES = list(hostile_files())


def test_the_generator_covers_every_attack_and_reader() -> None:
    assert {c.attack for c in CASES} == {"nesting", "size", "encoding"}
    readers = {(c.command[0], c.command[-1]) for c in CASES}
    for reader in (("import", "360giving"), ("import", "jsonl"), ("import", "csv"), ("append", "FILE")):
        assert reader in readers, reader
    assert len({c.name for c in CASES}) == len(CASES)


def test_hostile_files_are_refused_in_one_line_in_bounded_memory(tmp_path: Path, tally: Any) -> None:
    db = tmp_path / "l.db"
    assert run_measured(["--db", str(db), "init"])["rc"] == 0
    before = table_counts(db)
    refused, tracebacks, peaks, failures = 0, 0, {}, []
    for case in hostile_files(2 if FULL else 1):
        path = tmp_path / f"{case.name}.in"
        path.write_bytes(case.data)
        args = ["--db", str(db), *(str(path) if a == "FILE" else a for a in case.command)]
        result = run_measured(args)
        path.unlink()
        lines = [line for line in result["stderr"].splitlines() if line.strip()]
        peaks[case.name] = result["peak_mib"]
        tracebacks += "Traceback" in result["stderr"]
        why = []
        if result["rc"] != case.code:
            why.append(f"exit {result['rc']}")
        if "Traceback" in result["stderr"] or not lines or not lines[-1].startswith("Error: "):
            why.append(f"stderr ends {lines[-3:]}")
        if case.command[0] == "append" and len(lines) != 1:
            why.append(f"{len(lines)} lines on stderr")
        if result["peak_mib"] >= PEAK_LIMIT_MIB:
            why.append(f"peak {result['peak_mib']:.0f} MiB")
        if table_counts(db) != before:
            why.append("the ledger changed")
        if why:
            failures.append(f"{case.name} ({case.attack}): {'; '.join(why)}")
        else:
            refused += 1
    worst = max(peaks, key=peaks.__getitem__)
    print(f"hostile resources: {len(peaks)} files, highest peak {peaks[worst]:.0f} MiB ({worst})")
    tally.add(
        "hostile resources",
        trials=len(peaks),
        detected=refused,
        tracebacks=tracebacks,
        peak_mib=round(peaks[worst], 1),
        note=f"highest peak: {worst}",
    )
    assert not failures, "\n".join(failures)


def test_the_measurement_sees_a_child_that_grows() -> None:
    """The peak is the child's own: a child holding 300 MiB reports at least that, a bare start far less."""
    grow = "x = bytearray(300 << 20)\nfor i in range(0, len(x), 4096): x[i] = 1"
    for code, low, high in ((grow, 300, 10_000), ("pass", 0, 50)):
        done = subprocess.run(
            [sys.executable, "-c", PARENT, code], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True
        )
        assert low <= json.loads(done.stdout)["peak_mib"] < high, code
