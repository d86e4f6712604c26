"""The mapper: compact, stable stored bytes, exact round trips, and upcasting of old payloads."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.errors import DamagedError, RuleViolation
from domain.events import LedgerEvent
from domain.integrity.chain import chain_rows
from domain.ledger import Ledger
from domain.mapper import CompactJSON, PydanticMapper, upcast
from domain.organisation import Organisation, organisation_id
from domain.partnership import Partnership
from domain.support import Support
from domain.values import Party

STAMP = datetime(2026, 1, 1, tzinfo=UTC)


def registered(**fields: Any) -> Organisation.Registered:
    values: dict[str, Any] = {
        "originator_id": organisation_id("postech"),
        "originator_version": 1,
        "event_id": UUID(int=2),
        "effective": "1986-12",
        "recorded_at": STAMP,
        "recorded_by": "kim",
        "key": "postech",
        "name_ko": "포항공과대학교",
        "name_en": "POSTECH",
        "sector": "university",
        "identifiers": ["kr-brn:5038200000"],
        "country": "kr",
        "locality": "포항",
    }
    return Organisation.Registered.model_validate({**values, **fields})


# -- stored bytes ----------------------------------------------------------------------------------------------


def test_stored_state_is_compact_utf8_json_in_declaration_order() -> None:
    stored = PydanticMapper().to_stored_event(registered())
    assert (
        stored.state
        == (
            '{"event_id":"00000000-0000-0000-0000-000000000002","effective":"1986-12",'
            '"recorded_at":"2026-01-01T00:00:00Z","recorded_by":"kim","source":null,"note":null,'
            '"key":"postech","name_ko":"포항공과대학교","name_en":"POSTECH","sector":"university","subtype":null,'
            '"identifiers":["KR-BRN:5038200000"],"country":"KR","locality":"포항","class_version":2}'
        ).encode()
    )
    assert stored.topic == "domain.organisation:Organisation.Registered"
    assert stored.originator_id == organisation_id("postech")
    assert stored.originator_version == 1


def test_korean_is_stored_unescaped() -> None:
    state = PydanticMapper().to_stored_event(registered()).state
    assert "포항공과대학교".encode() in state
    assert b"\\u" not in state
    state.decode("utf-8")  # valid UTF-8


def test_same_event_encodes_to_the_same_bytes_every_time() -> None:
    event = registered()
    first = PydanticMapper().to_stored_event(event).state
    second = PydanticMapper().to_stored_event(event).state
    again = PydanticMapper().to_stored_event(registered()).state
    assert first == second == again


def test_class_version_is_stored_only_above_version_1() -> None:
    ended = Partnership.Ended(
        originator_id=UUID(int=1),
        originator_version=2,
        event_id=UUID(int=3),
        effective="2020-03",
        recorded_at=STAMP,
        recorded_by="kim",
    )
    assert b"class_version" not in PydanticMapper().to_stored_event(ended).state
    assert PydanticMapper().to_stored_event(registered()).state.endswith(b',"class_version":2}')


def test_transcoder_refuses_non_finite_numbers() -> None:
    with pytest.raises(ValueError):
        CompactJSON().encode({"amount": float("nan")})


# -- round trips -----------------------------------------------------------------------------------------------


def sample_events() -> list[LedgerEvent]:
    sid = uuid4()
    return [
        registered(),
        registered(subtype="national university", identifiers=[], country=None, locality=None),
        Partnership.Formed(
            originator_id=UUID(int=5),
            originator_version=1,
            event_id=UUID(int=5),
            effective="2019-10",
            recorded_at=datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC),
            recorded_by="이",
            source="https://example.org/협약",
            note="line one\nline two",
            parties=[Party.parse("postech:lead"), Party.parse("rist")],
            title="포항 협력",
        ),
        Support.Awarded(
            originator_id=sid,
            originator_version=1,
            event_id=sid,
            effective="2019",
            recorded_at=STAMP,
            recorded_by="kim",
            kind="grant",
            funders=[Party.parse("msit")],
            recipients=[Party.parse("postech")],
            amount=Decimal("1000000.50"),
            currency="krw",
            planned_start="2019-03",
            planned_end="2021-02-28",
        ),
        Support.Disbursed(
            originator_id=sid,
            originator_version=2,
            event_id=uuid4(),
            effective="2019-12-31",
            recorded_at=STAMP,
            recorded_by="kim",
            amount=Decimal("1E+3"),
            currency="KRW",
        ),
        Support.Retracted(
            originator_id=sid,
            originator_version=3,
            event_id=uuid4(),
            recorded_at=STAMP,
            recorded_by="kim",
            retracted_event_id=uuid4(),
            reason="typo",
        ),
    ]


@pytest.mark.parametrize("event", sample_events(), ids=lambda e: e.type_name)
def test_round_trip_gives_an_equal_event_and_the_same_bytes(event: LedgerEvent) -> None:
    mapper = PydanticMapper()
    stored = mapper.to_stored_event(event)
    back = mapper.to_domain_event(stored)
    assert type(back) is type(event)
    assert back == event
    assert back.model_dump() == event.model_dump()
    assert mapper.to_stored_event(back).state == stored.state


def test_amounts_keep_their_exact_digits_through_storage() -> None:
    awarded = sample_events()[3]
    mapper = PydanticMapper()
    state = mapper.to_stored_event(awarded).state
    assert b'"amount":"1000000.5"' in state
    assert str(mapper.to_domain_event(mapper.to_stored_event(awarded)).amount) == "1000000.5"


def test_every_row_a_ledger_stored_re_encodes_to_the_same_bytes(
    ledger: Ledger, snapshot: Callable[[Ledger], list[Any]]
) -> None:
    ledger.register_organisation("postech", sector="university", name_ko="포항공과대학교", identifiers=["kr-brn:1"])
    ledger.register_organisation("msit", sector="government", name_en="MSIT", country="kr")
    ledger.rename_organisation("postech", name_en="POSTECH", effective="2020")
    sid = ledger.award_support(
        kind="grant", funders=["msit"], recipients=["postech"], amount="1000.50", currency="KRW", effective="2019"
    ).aggregate_id
    ledger.disburse_support(sid, amount=500, currency="KRW", effective="2019-12")
    out = ledger.end_support(sid, effective="2020")
    ledger.retract(out.event.event_id, reason="not ended yet")
    mapper = PydanticMapper()
    rows = snapshot(ledger)
    assert len(rows) == 7
    for row in rows:
        found = ledger.find(row.event_id)
        assert found is not None and found[0] == row.position
        assert found[1].type_name == row.type
        assert mapper.to_stored_event(found[1]).state == row.state


def test_unreadable_state_is_a_damaged_ledger() -> None:
    stored = StoredEvent(
        originator_id=UUID(int=1), originator_version=1, topic=get_topic(Partnership.Ended), state=b"{not json"
    )
    with pytest.raises(DamagedError, match="stored event 00000000-0000-0000-0000-000000000001 v1 cannot be read"):
        PydanticMapper().to_domain_event(stored)


@pytest.mark.parametrize(
    ("topic", "state", "reason"),
    [
        ("os:system", b"{}", "names no event class of the ledger"),
        ("domain.events:utc_now", b"{}", "names no event class of the ledger"),
        ("domain.nowhere:X", b"{}", "names no event class (TopicError)"),
        (get_topic(Partnership.Ended), b"[1, 2]", "not a JSON object"),
        (get_topic(Partnership.Ended), b'{"event_id": "x"}', "event_id: Input should be a valid UUID"),
    ],
)
def test_a_row_the_ledger_did_not_write_is_damage_and_imports_nothing(topic: str, state: bytes, reason: str) -> None:
    stored = StoredEvent(originator_id=UUID(int=1), originator_version=1, topic=topic, state=state)
    with pytest.raises(DamagedError, match=re.escape(reason)):
        PydanticMapper().decode(stored)


# -- upcasting a stored version 1 organisation.registered ------------------------------------------------------

V1_TOPIC = "domain.organisation:Organisation.Registered"


def v1_registration_state(key: str, event_id: UUID) -> bytes:
    """A payload as the first draft of the schema wrote it: no ``subtype``, no ``class_version``."""
    state = {
        "event_id": str(event_id),
        "effective": "1986-12",
        "recorded_at": "2020-01-01T00:00:00Z",
        "recorded_by": "kim",
        "source": None,
        "note": None,
        "key": key,
        "name_ko": "포항공과대학교",
        "name_en": "POSTECH",
        "sector": "university",
        "identifiers": ["KR-BRN:5038200000"],
        "country": "KR",
        "locality": "Pohang",
    }
    return json.dumps(state, ensure_ascii=False, separators=(",", ":")).encode()


def write_v1_row(path: Path, key: str, event_id: UUID) -> int:
    """Insert a literal v1 row, as a v1 writer stored it, with its index and chain rows; return its position."""
    originator = organisation_id(key).hex
    state = v1_registration_state(key, event_id)
    with closing(sqlite3.connect(str(path))) as con, con:
        cursor = con.execute(
            "INSERT INTO stored_events (originator_id, originator_version, topic, state) VALUES (?, ?, ?, ?)",
            (originator, 1, V1_TOPIC, state),
        )
        position = cursor.lastrowid
        assert position is not None
        con.execute("INSERT INTO event_index VALUES (?, ?, ?, ?)", (str(event_id), position, originator, 1))
        con.executemany(
            "INSERT INTO event_chain VALUES (?, ?, ?, ?)",
            list(chain_rows([(position, originator, 1, V1_TOPIC, state)], None)),
        )
    return position


@pytest.fixture
def v1_ledger(db_path: Path) -> tuple[Path, UUID, int]:
    """A ledger file holding one v1 ``organisation.registered`` row for ``postech``."""
    Ledger(db_path, actor="tester", create=True).close()
    event_id = uuid4()
    position = write_v1_row(db_path, "postech", event_id)
    return db_path, event_id, position


def test_registered_is_at_class_version_2() -> None:
    assert Organisation.Registered.class_version == 2
    assert "subtype" in Organisation.Registered.model_fields


def test_stored_v1_registration_is_upcast_on_read(v1_ledger: tuple[Path, UUID, int]) -> None:
    path, event_id, position = v1_ledger
    with Ledger(path, actor="tester") as ledger:
        org = ledger.organisation("postech")
        assert org is not None and org.exists
        assert org.registered is not None
        assert org.registered.subtype is None
        assert (org.key, org.name_ko, org.name_en, org.version) == ("postech", "포항공과대학교", "POSTECH", 1)
        assert org.registered.identifiers == ["KR-BRN:5038200000"]
        assert str(org.registered.effective) == "1986-12"
        found = ledger.find(event_id)
        assert found is not None and found[0] == position
        assert [(p, e.event_id) for p, e in ledger.events()] == [(position, event_id)]


def test_v1_row_is_never_rewritten_and_the_aggregate_goes_on(
    v1_ledger: tuple[Path, UUID, int], snapshot: Callable[[Path], list[Any]]
) -> None:
    path, event_id, _ = v1_ledger
    [v1_row] = snapshot(path)
    with Ledger(path, actor="tester") as ledger:
        out = ledger.rename_organisation("postech", name_en="POSTECH University", effective="2021")
        assert out.event.originator_version == 2
    rows = snapshot(path)
    assert rows[0] == v1_row
    assert [r.type for r in rows] == ["organisation.registered", "organisation.renamed"]
    with Ledger(path, actor="tester") as reopened:
        org = reopened.organisation("postech")
        assert org is not None and org.registered is not None
        assert (org.version, org.name_en, org.registered.subtype) == (2, "POSTECH University", None)
        assert [n.name_en for n in org.names] == ["POSTECH", "POSTECH University"]
        assert org.names[0].event_id == event_id


def test_registering_over_an_upcast_v1_organisation_is_refused(v1_ledger: tuple[Path, UUID, int]) -> None:
    path, _, _ = v1_ledger
    with Ledger(path, actor="tester") as ledger, pytest.raises(RuleViolation, match="already registered"):
        ledger.register_organisation("postech", sector="university", name_en="Other")


def test_resending_a_v1_registration_is_already_recorded(v1_ledger: tuple[Path, UUID, int]) -> None:
    path, event_id, position = v1_ledger
    with Ledger(path, actor="tester") as ledger:
        out = ledger.register_organisation(
            "postech",
            sector="university",
            name_ko="포항공과대학교",
            name_en="POSTECH",
            identifiers=["kr-brn:5038200000"],
            country="KR",
            locality="Pohang",
            effective="1986-12",
            event_id=event_id,
        )
        assert (out.status, out.position) == ("already recorded", position)
        assert ledger.count() == 1


def test_upcast_fills_subtype_in_a_v1_payload() -> None:
    state = json.loads(v1_registration_state("postech", UUID(int=9)))
    assert upcast(Organisation.Registered, state)["subtype"] is None
    stored = StoredEvent(
        originator_id=organisation_id("postech"),
        originator_version=1,
        topic=V1_TOPIC,
        state=v1_registration_state("postech", UUID(int=9)),
    )
    event = PydanticMapper().to_domain_event(stored)
    assert isinstance(event, Organisation.Registered)
    assert event.subtype is None
    assert PydanticMapper().to_stored_event(event).state.endswith(b',"class_version":2}')


# -- an upcast chain, on a test-local event class --------------------------------------------------------------

UPCASTS: list[str] = []


class Gadget(LedgerEvent):
    """v1 stored ``size`` (cm) and ``color``; v2 renamed them ``size_cm`` and ``colour``; v3 stores ``size_mm``."""

    class_version: ClassVar[int] = 3
    type_name: ClassVar[str] = "gadget.made"
    requires_effective: ClassVar[bool] = False

    colour: str
    size_mm: int

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        UPCASTS.append("v1->v2")
        state["colour"] = state.pop("color")
        state["size_cm"] = state.pop("size")

    @staticmethod
    def upcast_v2_v3(state: dict[str, Any]) -> None:
        UPCASTS.append("v2->v3")
        state["size_mm"] = state.pop("size_cm") * 10


def gadget_row(payload: dict[str, Any]) -> StoredEvent:
    envelope = {"event_id": str(UUID(int=7)), "recorded_at": "2020-01-01T00:00:00Z", "recorded_by": "kim"}
    return StoredEvent(
        originator_id=UUID(int=6),
        originator_version=1,
        topic=get_topic(Gadget),
        state=json.dumps({**envelope, **payload}).encode(),
    )


@pytest.fixture
def upcasts() -> list[str]:
    UPCASTS.clear()
    return UPCASTS


def test_v1_payload_runs_every_upcaster_in_order(upcasts: list[str]) -> None:
    event = PydanticMapper().to_domain_event(gadget_row({"color": "red", "size": 3}))
    assert upcasts == ["v1->v2", "v2->v3"]
    assert isinstance(event, Gadget)
    assert (event.colour, event.size_mm, event.originator_id, event.originator_version) == ("red", 30, UUID(int=6), 1)


def test_v2_payload_runs_only_the_later_upcaster(upcasts: list[str]) -> None:
    event = PydanticMapper().to_domain_event(gadget_row({"class_version": 2, "colour": "blue", "size_cm": 4}))
    assert upcasts == ["v2->v3"]
    assert (event.colour, event.size_mm) == ("blue", 40)


def test_current_payload_runs_no_upcaster_and_round_trips(upcasts: list[str]) -> None:
    gadget = Gadget(
        originator_id=UUID(int=6),
        originator_version=1,
        event_id=UUID(int=7),
        recorded_at=STAMP,
        recorded_by="kim",
        colour="green",
        size_mm=55,
    )
    stored = PydanticMapper().to_stored_event(gadget)
    assert stored.state.endswith(b',"colour":"green","size_mm":55,"class_version":3}')
    assert PydanticMapper().to_domain_event(stored) == gadget
    assert upcasts == []
