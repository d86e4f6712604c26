"""Generate a synthetic ledger: N organisations across the 8 sectors, M events of every type over ten years.

Events follow the ledger's rules (parties registered and not dissolved, ends after
starts, nothing closed twice, retractions of events that exist and still count),
so the ledger could have been written through the commands. They are built as
pydantic events (validated) and saved through ``Ledger.run`` sessions of about
``--batch`` events per transaction, bypassing only the per-command look-ups.

Usage::

    .venv/bin/python benchmarks/generate.py --events 100000 --orgs 2000 --path /tmp/l.db
    .venv/bin/python benchmarks/generate.py            # 1,000,000 events into benchmarks/.data/

Most relations are bilateral: partnerships have 2, 3 or 4 parties (65/25/10 %),
agreements 2 to 5 (75/15/6/4 %), support 1 or 2 funders (90/10 %) and 1 to 3
recipients (75/15/10 %). The mix (weights per 100 events after the registrations): partnership.formed 20,
agreement.signed 13, support.awarded 22, support.disbursed 8, agreement.amended 3,
support.amended 3, partnership.ended 6, agreement.terminated 4, support.ended 4,
support.withdrawn 2, organisation.renamed 2, organisation.registered 1,
organisation.dissolved 0.5, retractions 3.5 (of any earlier event that still counts).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.agreement import AGREEMENT_KINDS, Agreement  # noqa: E402
from domain.events import LedgerEvent, utc_now  # noqa: E402
from domain.ledger import Ledger  # noqa: E402
from domain.organisation import SECTORS, Organisation, organisation_id  # noqa: E402
from domain.partnership import Partnership  # noqa: E402
from domain.session import Session  # noqa: E402
from domain.support import SUPPORT_KINDS, UNPRICED, Support  # noqa: E402

DATA = Path(__file__).resolve().parent / ".data"
FIRST = date(2015, 1, 1)
DAYS = (date(2024, 12, 31) - FIRST).days
ROLES = ("lead", "partner", "member", "host", None)
#: How many parties relations have, (sizes, weights): most are bilateral.
PARTNERSHIP_SIZES = ((2, 3, 4), (65, 25, 10))
AGREEMENT_SIZES = ((2, 3, 4, 5), (75, 15, 6, 4))
FUNDERS = ((1, 2), (90, 10))
RECIPIENTS = ((1, 2, 3), (75, 15, 10))
MIX = {
    "formed": 20,
    "signed": 13,
    "awarded": 22,
    "disbursed": 8,
    "amend_agreement": 3,
    "amend_support": 3,
    "ended": 6,
    "terminated": 4,
    "support_ended": 4,
    "withdrawn": 2,
    "renamed": 2,
    "registered": 1,
    "dissolved": 0.5,
    "retracted": 3.5,
}


def default_path(events: int, orgs: int, seed: int) -> Path:
    return DATA / f"ledger-{events}-{orgs}-{seed}.db"


@dataclass
class Relation:
    """What the generator remembers of one relation aggregate."""

    kind: str  # partnership | agreement | support
    start: date
    open: bool = True
    exists: bool = True
    priced: bool = False
    currency: str | None = None


@dataclass
class Generator:
    rng: random.Random
    actor: str = "bench"
    versions: dict[UUID, int] = field(default_factory=dict)
    keys: list[str] = field(default_factory=list)
    active: set[str] = field(default_factory=set)  # registered, not dissolved: may join relations
    unregistered: set[str] = field(default_factory=set)  # registration retracted
    registered_on: dict[str, date | None] = field(default_factory=dict)
    renames: int = 0
    relations: dict[UUID, Relation] = field(default_factory=dict)
    open_ids: dict[str, list[UUID]] = field(default_factory=lambda: {"partnership": [], "agreement": [], "support": []})
    programmes: list[str] = field(default_factory=list)
    # events that may be retracted: (aggregate id, event id, class, extra)
    retractable: list[tuple[UUID, UUID, type[LedgerEvent], Any]] = field(default_factory=list)
    retracted: set[UUID] = field(default_factory=set)

    # -- helpers ---------------------------------------------------------------------
    def event(self, cls: type[LedgerEvent], aggregate_id: UUID, event_id: UUID | None = None, **fields: Any) -> Any:
        version = self.versions.get(aggregate_id, 0) + 1
        self.versions[aggregate_id] = version
        return cls(
            originator_id=aggregate_id,
            originator_version=version,
            event_id=event_id or UUID(int=self.rng.getrandbits(128), version=4),
            recorded_at=utc_now(),
            recorded_by=self.actor,
            **{k: v for k, v in fields.items() if v is not None},
        )

    def day(self, after: date | None = None) -> date:
        if after is None:
            return FIRST + timedelta(days=self.rng.randrange(DAYS))
        return after + timedelta(days=self.rng.randrange(1, 1500))

    def text(self, d: date) -> str:
        r = self.rng.random()
        if r < 0.7:
            return d.isoformat()
        if r < 0.9:
            return d.isoformat()[:7]
        return d.isoformat()[:4]

    def end_text(self, start: date) -> str:
        end = self.day(start + timedelta(days=400))  # a year later at least: any precision stays after the start
        return self.text(end)

    def size(self, sizes: tuple[int, ...], weights: tuple[int, ...]) -> int:
        return self.rng.choices(sizes, weights)[0]

    def parties(self, count: int) -> list[dict[str, Any]]:
        count = min(count, len(self.active))
        chosen: list[str] = []
        while len(chosen) < count:
            key = self.keys[self.rng.randrange(len(self.keys))]
            if key in self.active and key not in chosen:
                chosen.append(key)
        return [{"key": k, "role": self.rng.choice(ROLES)} for k in chosen]

    def pick_open(self, kind: str) -> UUID | None:
        ids = self.open_ids[kind]
        while ids:
            i = self.rng.randrange(len(ids))
            rid = ids[i]
            rel = self.relations[rid]
            if rel.open and rel.exists:
                return rid
            ids[i] = ids[-1]  # stale: closed or retracted since
            ids.pop()
        return None

    def remember(self, aggregate_id: UUID, event: LedgerEvent, extra: Any = None) -> LedgerEvent:
        self.retractable.append((aggregate_id, event.event_id, type(event), extra))
        return event

    # -- events ------------------------------------------------------------------------
    def register(self, n: int) -> LedgerEvent:
        key = f"org{n:06d}"
        sector = SECTORS[n % len(SECTORS)]
        on = self.day() if self.rng.random() < 0.8 else None
        event = self.event(
            Organisation.Registered,
            organisation_id(key),
            key=key,
            sector=sector,
            name_en=f"Organisation {n}",
            name_ko=f"기관 {n}" if n % 3 == 0 else None,
            subtype="public" if n % 5 == 0 else None,
            identifiers=[f"KR-BRN:{1000000000 + n}"] if n % 4 == 0 else [],
            country="KR",
            effective=self.text(on) if on else None,
        )
        self.keys.append(key)
        self.active.add(key)
        self.registered_on[key] = on
        if sector == "programme":
            self.programmes.append(key)
        return self.remember(organisation_id(key), event, key)

    def formed(self) -> LedgerEvent:
        start = self.day()
        rid = UUID(int=self.rng.getrandbits(128), version=4)
        event = self.event(
            Partnership.Formed,
            rid,
            event_id=rid,
            parties=self.parties(self.size(*PARTNERSHIP_SIZES)),
            title=f"Partnership {len(self.relations)}" if self.rng.random() < 0.5 else None,
            effective=self.text(start),
        )
        self.relations[rid] = Relation("partnership", start)
        self.open_ids["partnership"].append(rid)
        return self.remember(rid, event)

    def signed(self) -> LedgerEvent:
        start = self.day()
        rid = UUID(int=self.rng.getrandbits(128), version=4)
        event = self.event(
            Agreement.Signed,
            rid,
            event_id=rid,
            kind=self.rng.choice(AGREEMENT_KINDS),
            title=f"Agreement {len(self.relations)}",
            parties=self.parties(self.size(*AGREEMENT_SIZES)),
            term_end=self.end_text(start) if self.rng.random() < 0.4 else None,
            effective=self.text(start),
        )
        self.relations[rid] = Relation("agreement", start)
        self.open_ids["agreement"].append(rid)
        return self.remember(rid, event)

    def awarded(self) -> LedgerEvent:
        start = self.day()
        rid = UUID(int=self.rng.getrandbits(128), version=4)
        kind = self.rng.choice(SUPPORT_KINDS)
        priced = kind not in UNPRICED
        cut = self.size(*FUNDERS)
        sides = self.parties(cut + self.size(*RECIPIENTS))
        programme = self.rng.choice(self.programmes) if self.programmes and self.rng.random() < 0.3 else None
        if programme is not None and programme not in self.active:
            programme = None
        event = self.event(
            Support.Awarded,
            rid,
            event_id=rid,
            kind=kind,
            funders=sides[:cut],
            recipients=sides[cut:],
            programme=programme,
            amount=str(self.rng.randrange(1, 500) * 10_000_000) if priced else None,
            currency="KRW" if priced else None,
            title=f"Support {len(self.relations)}" if self.rng.random() < 0.7 else None,
            effective=self.text(start),
        )
        self.relations[rid] = Relation("support", start, priced=priced, currency="KRW" if priced else None)
        self.open_ids["support"].append(rid)
        return self.remember(rid, event)

    def close(self, kind: str, cls: type[LedgerEvent]) -> LedgerEvent | None:
        rid = self.pick_open(kind)
        if rid is None:
            return None
        rel = self.relations[rid]
        rel.open = False
        return self.remember(rid, self.event(cls, rid, effective=self.end_text(rel.start)))

    def amend_agreement(self) -> LedgerEvent | None:
        rid = self.pick_open("agreement")
        if rid is None:
            return None
        rel = self.relations[rid]
        r = self.rng.random()
        fields: dict[str, Any] = {"effective": self.text(self.day(rel.start + timedelta(days=400)))}
        if r < 0.4:
            fields["title"] = f"Agreement {rid.hex[:6]} (amended)"
        elif r < 0.7:
            fields["term_end"] = self.end_text(rel.start)
        else:
            fields["parties"] = self.parties(self.size(*AGREEMENT_SIZES))
        return self.remember(rid, self.event(Agreement.Amended, rid, **fields))

    def amend_support(self) -> LedgerEvent | None:
        rid = self.pick_open("support")
        if rid is None:
            return None
        rel = self.relations[rid]
        fields: dict[str, Any] = {"effective": self.text(self.day(rel.start + timedelta(days=400)))}
        if rel.priced and self.rng.random() < 0.6:
            fields["amount"] = str(self.rng.randrange(1, 500) * 10_000_000)
        elif self.rng.random() < 0.5:
            fields["title"] = f"Support {rid.hex[:6]} (amended)"
        else:
            fields["description"] = "Revised plan"
        return self.remember(rid, self.event(Support.Amended, rid, **fields))

    def disbursed(self) -> LedgerEvent | None:
        for _ in range(5):
            rid = self.pick_open("support")
            if rid is None:
                return None
            rel = self.relations[rid]
            if rel.priced:
                return self.remember(
                    rid,
                    self.event(
                        Support.Disbursed,
                        rid,
                        amount=str(self.rng.randrange(1, 100) * 1_000_000),
                        currency=rel.currency,
                        effective=self.text(self.day(rel.start + timedelta(days=400))),
                    ),
                )
        return None

    def renamed(self) -> LedgerEvent | None:
        key = self.keys[self.rng.randrange(len(self.keys))]
        if key not in self.active:
            return None
        self.renames += 1
        event = self.event(
            Organisation.Renamed, organisation_id(key), key=key, name_en=f"Organisation {key} r{self.renames}"
        )
        return self.remember(organisation_id(key), event, key)

    def dissolved(self) -> LedgerEvent | None:
        key = self.keys[self.rng.randrange(len(self.keys))]
        if key not in self.active or len(self.active) < 20:
            return None
        on = self.registered_on[key]
        when = self.text(self.day(on + timedelta(days=400) if on else None)) if self.rng.random() < 0.9 else None
        self.active.discard(key)
        event = self.event(Organisation.Dissolved, organisation_id(key), key=key, effective=when)
        return self.remember(organisation_id(key), event, key)

    def retract(self) -> LedgerEvent | None:
        for _ in range(5):
            if not self.retractable:
                return None
            i = self.rng.randrange(len(self.retractable))
            aggregate_id, event_id, cls, extra = self.retractable[i]
            self.retractable[i] = self.retractable[-1]
            self.retractable.pop()
            if event_id in self.retracted:
                continue
            if cls is Organisation.Registered and len(self.active) < 20:
                continue
            self.retracted.add(event_id)
            self._undo(aggregate_id, cls, extra)
            aggregate_cls = cls.aggregate_class
            fields: dict[str, Any] = {"key": extra} if aggregate_cls is Organisation else {}
            return self.event(
                aggregate_cls.Retracted,
                aggregate_id,
                retracted_event_id=event_id,
                reason="synthetic correction",
                **fields,
            )
        return None

    def _undo(self, aggregate_id: UUID, cls: type[LedgerEvent], key: Any) -> None:
        """Keep the generator's view in step with the retraction (what may be used or closed next)."""
        if cls is Organisation.Registered:
            self.active.discard(key)
            self.unregistered.add(key)
        elif cls is Organisation.Dissolved and key not in self.unregistered:
            self.active.add(key)
        elif cls in (Partnership.Formed, Agreement.Signed, Support.Awarded):
            self.relations[aggregate_id].exists = False
        elif cls in (Partnership.Ended, Agreement.Terminated, Support.Ended, Support.Withdrawn):
            rel = self.relations[aggregate_id]
            if rel.exists:
                rel.open = True
                self.open_ids[rel.kind].append(aggregate_id)

    def next(self) -> LedgerEvent | None:
        choice = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        if choice == "registered":
            return self.register(len(self.keys))
        if choice == "ended":
            return self.close("partnership", Partnership.Ended)
        if choice == "terminated":
            return self.close("agreement", Agreement.Terminated)
        if choice == "support_ended":
            return self.close("support", Support.Ended)
        if choice == "withdrawn":
            return self.close("support", Support.Withdrawn)
        if choice == "retracted":
            return self.retract()
        method: Any = getattr(self, choice)
        event: LedgerEvent | None = method()
        return event


def generate(
    path: Path, events: int, orgs: int, seed: int = 1, batch: int = 1000, quiet: bool = False
) -> dict[str, Any]:
    """Write a synthetic ledger of *events* events (the first *orgs* register organisations) to *path*."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", ".graph"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    ledger = Ledger(path, actor="bench", create=True, name=path.stem)
    try:
        report = fill(ledger, events, orgs, seed, batch, quiet)
    finally:
        ledger.close()
    return {"path": str(path), **report}


def fill(
    ledger: Ledger, events: int, orgs: int, seed: int = 1, batch: int = 1000, quiet: bool = False
) -> dict[str, Any]:
    """Write the synthetic events into *ledger* (empty, open: a file or a PostgreSQL URL), as ``generate`` does."""
    gen = Generator(random.Random(seed))
    started = time.perf_counter()
    written = 0
    counts: dict[str, int] = {}
    pending: list[LedgerEvent] = []
    while written + len(pending) < events:
        n = written + len(pending)
        event = gen.register(n) if n < orgs else gen.next()
        if event is None:
            continue
        counts[event.type_name] = counts.get(event.type_name, 0) + 1
        pending.append(event)
        if len(pending) >= batch:
            _save(ledger, pending)
            written += len(pending)
            pending = []
            if not quiet and written % 100_000 == 0:
                rate = written / (time.perf_counter() - started)
                print(f"  {written:>9,} events  {rate:,.0f}/s", file=sys.stderr)
    if pending:
        _save(ledger, pending)
        written += len(pending)
    seconds = time.perf_counter() - started
    return {"events": written, "head": ledger.head(), "seconds": seconds, "types": counts}


def _save(ledger: Ledger, events: list[LedgerEvent]) -> None:
    def work(session: Session) -> None:
        for event in events:
            session.record(event)

    ledger.run(work)


def ensure(events: int, orgs: int, seed: int = 1, path: Path | None = None, quiet: bool = False) -> Path:
    """The cached ledger for these arguments, generated if missing, migrated if written by an older netledger."""
    path = path or default_path(events, orgs, seed)
    if not path.exists():
        if not quiet:
            print(f"generating {events:,} events into {path} ...", file=sys.stderr)
        generate(path, events, orgs, seed, quiet=quiet)
        return path
    from domain.integrity.migrate import migrate

    with Ledger(path) as ledger:
        if ledger.needs_migration:  # e.g. cached before the meta rows were sealed (schema 3)
            if not quiet:
                print(f"migrating the cached {path} to the current schema ...", file=sys.stderr)
            migrate(ledger)
    return path


def default_jsonl_path(events: int, orgs: int, seed: int) -> Path:
    return DATA / f"events-{events}-{orgs}-{seed}.jsonl"


def generate_jsonl(path: Path, events: int, orgs: int, seed: int = 1) -> dict[str, Any]:
    """Write the same synthetic events as ``generate`` as JSON Lines (``netledger log --format jsonl``).

    One record per line (``domain.records.to_record``), positions 1..*events*; no
    ledger is touched, so the file can be imported (``netledger import --format jsonl``)
    into an empty one. Written to a temporary name, then renamed.
    """
    import json

    from domain.records import to_record

    path.parent.mkdir(parents=True, exist_ok=True)
    gen = Generator(random.Random(seed))
    started = time.perf_counter()
    counts: dict[str, int] = {}
    partial = path.with_name(path.name + ".partial")
    written = 0
    with partial.open("w", encoding="utf-8") as out:
        while written < events:
            event = gen.register(written) if written < orgs else gen.next()
            if event is None:
                continue
            written += 1
            counts[event.type_name] = counts.get(event.type_name, 0) + 1
            out.write(json.dumps(to_record(written, event), ensure_ascii=False) + "\n")
    partial.replace(path)
    return {"path": str(path), "events": written, "seconds": time.perf_counter() - started, "types": counts}


def ensure_jsonl(events: int, orgs: int, seed: int = 1, quiet: bool = False) -> Path:
    """The cached JSON Lines file of these synthetic events, generated if missing."""
    path = default_jsonl_path(events, orgs, seed)
    if not path.exists():
        if not quiet:
            print(f"generating {events:,} events into {path} ...", file=sys.stderr)
        generate_jsonl(path, events, orgs, seed)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events in all (M)")
    parser.add_argument("--orgs", type=int, default=None, help="organisations registered first (N; default M/100)")
    parser.add_argument("--path", type=Path, default=None, help="ledger file (default benchmarks/.data/...)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=1000, help="events per transaction")
    args = parser.parse_args()
    orgs = args.orgs if args.orgs is not None else max(50, args.events // 100)
    path = args.path or default_path(args.events, orgs, args.seed)
    report = generate(path, args.events, orgs, args.seed, args.batch)
    print(f"{'ledger':<28}{report['path']}")
    print(f"{'events':<28}{report['events']:>12,}")
    print(f"{'seconds':<28}{report['seconds']:>12.1f}")
    print(f"{'events/s':<28}{report['events'] / report['seconds']:>12,.0f}")
    for name, count in sorted(report["types"].items()):
        print(f"  {name:<26}{count:>12,}")


if __name__ == "__main__":
    main()
