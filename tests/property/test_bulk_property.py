"""The bulk path stores exactly what the per-event path stores: byte for byte, hash for hash.

Hypothesis draws a history of JSON Lines records of every type (some of them refused
by a rule: an unknown party, ending twice, retracting a retraction, another currency,
a dissolved organisation, an event id reused with other content, ...). The same
records go

- one at a time through the per-event path: each record read by ``draft_of``, its
  handler run by ``Ledger.execute`` in a session of its own, saved by eventsourcing's
  event store (``app.events.put`` -> ``insert_events``);
- all at once through the bulk path: ``netledger import``'s pipeline
  (``jsonl_items``: batches validated by one ``validate_json``; ``run_import``: lean
  in-memory state, ``executemany`` per table), with ``skip_invalid``, in batches of a
  drawn size.

With the clock held still, both ledgers must hold the same stored rows (aggregate id,
version, topic, state bytes), the same chain and index rows, and the same refusals.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any
from unittest import mock
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import LedgerError
from domain.imports.jsonl import jsonl_items
from domain.imports.pipeline import run_import
from domain.ledger import Ledger
from domain.mapper import CompactJSON, encode
from domain.records import draft_of, event_type

KEYS = ("a", "b", "c", "d", "p")
DATES = ("2018", "2019-03", "2019-06-15", "2020", "2021-02", "2022-11-30")
NOW = datetime(2026, 5, 4, 3, 2, 1, 123456, tzinfo=UTC)
TEXT = st.sampled_from(["T", "협약", "x\ty", 'é/\\"q', "a\u2028b"])


def eid(n: int) -> str:
    return str(UUID(int=n + 1))


@st.composite
def histories(draw: st.DrawFn) -> list[dict[str, Any]]:
    """A list of records; ids of earlier records are reused as targets (and, now and then, as new ids)."""
    records: list[dict[str, Any]] = []
    relations: list[tuple[str, str]] = []  # (type kind, aggregate id)
    for n in range(draw(st.integers(3, 40))):
        event_id = eid(draw(st.integers(0, n))) if draw(st.integers(0, 19)) == 0 else eid(1000 + n)
        op = draw(
            st.sampled_from(
                ["register"] * 4
                + ["rename", "dissolve", "form", "form", "sign", "award", "award", "end", "amend_agreement"]
                + ["terminate", "amend_support", "disburse", "end_support", "withdraw", "retract"]
            )
        )
        key = draw(st.sampled_from(KEYS))
        date = draw(st.sampled_from(DATES))
        parties = [{"key": k, "role": draw(st.sampled_from([None, "lead", "member"]))} for k in
                   draw(st.lists(st.sampled_from(KEYS), min_size=2, max_size=3, unique=True))]  # fmt: skip
        target = draw(st.sampled_from(relations))[1] if relations else eid(999)
        record: dict[str, Any] = {"event_id": event_id}
        if op == "register":
            sector = "programme" if key == "p" else draw(st.sampled_from(["firm", "funder", "university"]))
            record |= {"type": "organisation.registered", "key": key, "sector": sector, "name_en": key.upper()}
            if draw(st.booleans()):
                record |= {"name_ko": draw(TEXT), "effective": date}
        elif op == "rename":
            record |= {"type": "organisation.renamed", "key": key, "name_en": draw(TEXT)}
        elif op == "dissolve":
            record |= {"type": "organisation.dissolved", "key": key, "effective": date}
        elif op == "form":
            record |= {"type": "partnership.formed", "parties": parties, "effective": date, "title": draw(TEXT)}
            relations.append(("partnership", event_id))
        elif op == "sign":
            record |= {"type": "agreement.signed", "parties": parties, "effective": date, "kind": "mou"}
            record["title"] = draw(TEXT)
            relations.append(("agreement", event_id))
        elif op == "award":
            funders, recipients = parties[:1], parties[1:]
            record |= {"type": "support.awarded", "kind": draw(st.sampled_from(["grant", "loan", "designation"]))}
            record |= {"funders": funders, "recipients": recipients, "effective": date}
            if record["kind"] != "designation":
                record |= {"amount": draw(st.sampled_from(["10", "1000.50", 7])), "currency": "KRW"}
            if draw(st.booleans()):
                record["programme"] = "p"
            relations.append(("support", event_id))
        elif op == "retract":
            retracted = draw(st.sampled_from(records))["event_id"] if records else eid(999)
            kind = draw(st.sampled_from(["organisation", "partnership", "agreement", "support"]))
            record |= {"type": f"{kind}.retracted", "retracted_event_id": retracted, "reason": "wrong"}
        else:
            kind, verb = {
                "end": ("partnership", "ended"),
                "amend_agreement": ("agreement", "amended"),
                "terminate": ("agreement", "terminated"),
                "amend_support": ("support", "amended"),
                "disburse": ("support", "disbursed"),
                "end_support": ("support", "ended"),
                "withdraw": ("support", "withdrawn"),
            }[op]
            record |= {"type": f"{kind}.{verb}", "aggregate_id": target, "effective": date}
            if verb == "amended":
                record["title"] = draw(TEXT)
            if op in ("disburse", "amend_support"):
                record |= {"amount": "5", "currency": draw(st.sampled_from(["KRW", "KRW", "USD"]))}
        records.append(record)
    return records


@contextmanager
def still_clock() -> Iterator[None]:
    with mock.patch("domain.ledger.utc_now", lambda: NOW), mock.patch("domain.records.utc_now", lambda: NOW):
        yield


def stored(ledger: Ledger) -> tuple[list[Any], list[Any], list[Any]]:
    events = [tuple(r) for r in ledger.recorder.select_raw_events()]
    chain = [tuple(r) for r in ledger.recorder.select_chain()]
    index = ledger.recorder._rows("SELECT * FROM event_index ORDER BY position")  # type: ignore[attr-defined]
    return events, chain, index


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(records=histories(), batch=st.integers(1, 12))
def test_bulk_and_per_event_paths_store_the_same_bytes(records: list[dict[str, Any]], batch: int) -> None:
    folder = Path(tempfile.mkdtemp())
    one, many = Ledger(folder / "one.db", actor="t", create=True), Ledger(folder / "many.db", actor="t", create=True)
    try:
        with still_clock():
            refused = []
            for number, record in enumerate(records, start=1):
                try:
                    one.execute(draft_of(record, one.meta_for))
                except LedgerError:
                    refused.append(number)
            lines = b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)
            report = run_import(many, jsonl_items(many, io.BytesIO(lines)), skip_invalid=True, batch_size=batch)
        assert sorted(item.number for item, _ in report.rejects) == refused
        assert stored(many) == stored(one)
        assert one.count() == len(records) - len(refused) - report.already
    finally:
        one.close()
        many.close()


@settings(max_examples=200, deadline=None)
@given(records=histories())
def test_the_rust_serialiser_writes_what_json_dumps_wrote(records: list[dict[str, Any]]) -> None:
    """``encode`` (pydantic's Rust serialiser) gives the bytes the mapper wrote before (``json.dumps``)."""
    for record in records:
        try:
            draft = draft_of(record, partial(Ledger.meta_for, _Actor()))  # type: ignore[arg-type]
        except LedgerError:
            continue
        event = draft.model_copy(update={"originator_version": 3})
        state = event.model_dump(mode="json", exclude={"originator_id", "originator_version"})
        if type(event).class_version > 1:
            state["class_version"] = type(event).class_version
        assert encode(event) == (encode(event)[0], CompactJSON().encode(state))
        assert event_type(record["type"]) is type(event)


class _Actor:
    """What ``Ledger.meta_for`` reads of its ledger: who records."""

    actor = "t"
