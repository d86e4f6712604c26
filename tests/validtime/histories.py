"""Random ledger histories for the valid-time property test: a hypothesis strategy and the driver that records them.

A history is a list of ``Step`` s (one ledger command each, with its arguments). The driver resolves a
step's references when it runs (``rel=3`` is the 4th relation of that type recorded so far, modulo their
number; ``target=5`` the 6th retractable event of the asked kind), so any list of steps is a valid
history: a command the ledger refuses (``RuleViolation``, ``InputError``) writes nothing and is skipped.

The dates come from a small pool in all three precisions, with several spellings of the same first day
(``2020``, ``2020-01``, ``2020-01-01``), so same-day changes, back-dated amendments (dated before
amendments recorded earlier) and partial closings before a start all happen. Every event gets an explicit
``recorded_at``: the clock advances one second every second command, so two events may share a stamp and
a ``known_at`` cut is not always a position cut.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import strategies as st

from domain.errors import InputError, RuleViolation
from domain.ledger import Ledger
from domain.session import Outcome
from domain.values import PartialDate

KEYS = ("a", "b", "c", "d", "e", "f", "g")
SECTORS = ("university", "firm", "funder", "government", "research_institute", "programme")
#: Effective dates: the three precisions, equal first days spelled three ways, and a far future year.
DATES = (
    "2018",
    "2019",
    "2019-03",
    "2019-06-15",
    "2019-07",
    "2020",
    "2020-01",
    "2020-01-01",
    "2020-06-30",
    "2021-02",
    "2021-02-01",
    "2022",
    "2022-11-30",
    "2030",
)
AMOUNTS = ("1000", "2500.50", "0.1", "7", "1e3", "120000")
PAID = ("0.1", "0.2", "1.25", "5", "2.50")
BASE = datetime(2026, 1, 1, tzinfo=UTC)

dates = st.sampled_from(DATES)
maybe_dates = st.none() | dates
#: Up-front registrations: mostly undated or early (so that ties count), some partial, some in the future.
registration_dates = st.sampled_from((None, None, None, "2018", "2019-03", "2019-06-15", "2030"))
orgs = st.integers(0, len(KEYS) - 1)
refs = st.integers(0, 7)
titles = st.sampled_from(("T1", "T2", "T3"))
roles = st.none() | st.sampled_from(("lead", "member"))


@dataclass(frozen=True)
class Step:
    """One command: its name and arguments (references are resolved by the driver)."""

    op: str
    args: tuple[tuple[str, Any], ...] = ()

    def __repr__(self) -> str:
        return f"{self.op}({', '.join(f'{k}={v!r}' for k, v in self.args)})"

    def get(self, name: str) -> Any:
        return dict(self.args).get(name)


def step(op: str, **args: st.SearchStrategy[Any]) -> st.SearchStrategy[Step]:
    """A strategy of ``Step(op, ...)`` with each argument drawn from its strategy (None-valued ones left out)."""
    return st.fixed_dictionaries(args).map(lambda a: Step(op, tuple((k, v) for k, v in a.items() if v is not None)))


def step_with_some(
    op: str, fixed: dict[str, st.SearchStrategy[Any]], optional: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[Step]:
    """Like ``step``, with at least one of the *optional* arguments given (an amendment must change something)."""

    @st.composite
    def build(draw: st.DrawFn) -> Step:
        chosen = draw(st.sets(st.sampled_from(list(optional)), min_size=1))
        args = {k: draw(v) for k, v in fixed.items()}
        args.update({k: draw(v) for k, v in optional.items() if k in chosen})
        return Step(op, tuple(args.items()))

    return build()


party_lists = st.lists(st.tuples(orgs, roles), min_size=2, max_size=4, unique_by=lambda p: p[0])

FORM = step("form", parties=party_lists, title=st.none() | titles, effective=dates)
SIGN = step(
    "sign",
    parties=party_lists,
    kind=st.sampled_from(("mou", "contract", "consortium")),
    title=titles,
    term_end=maybe_dates,
    effective=dates,
)
AWARD = step(
    "award",
    parties=party_lists,
    split=st.integers(1, 3),
    kind=st.sampled_from(("grant", "loan", "investment", "designation", "in_kind")),
    programme=st.booleans(),
    amount=st.none() | st.sampled_from(AMOUNTS),
    currency=st.sampled_from(("KRW", "USD")),
    planned_start=maybe_dates,
    planned_end=maybe_dates,
    title=st.none() | titles,
    description=st.none() | st.just("D0"),
    reference=st.none() | st.just("REF"),
    effective=dates,
)
CREATIONS = st.one_of(FORM, SIGN, AWARD)
AMEND_AGREEMENT = step_with_some(
    "amend_agreement",
    {"rel": refs, "at": refs},
    {"title": titles, "parties": party_lists, "term_end": dates},
)
AMEND_SUPPORT = step_with_some(
    "amend_support",
    {"rel": refs, "at": refs, "with_currency": st.booleans()},
    {
        "amount": st.sampled_from(AMOUNTS),
        "planned_start": dates,
        "planned_end": dates,
        "title": titles,
        "description": st.sampled_from(("D1", "D2")),
    },
)
RETRACT = step(
    "retract",
    what=st.sampled_from(("amendment", "creation", "close", "registration", "rename", "any")),
    target=refs,
)
RENAME = step_with_some(
    "rename",
    {"org": orgs, "effective": maybe_dates},
    {"name_en": st.sampled_from(("N1", "N2", "N3")), "name_ko": st.sampled_from(("이름1", "이름2"))},
)
#: Any command; the repeated ones are drawn more often. ``noop`` comes first: hypothesis shrinks the steps a
#: failure does not need to it (the list keeps its minimum length).
STEPS: st.SearchStrategy[Step] = st.one_of(
    st.just(Step("noop")),
    AMEND_AGREEMENT,
    AMEND_SUPPORT,
    RETRACT,
    AMEND_AGREEMENT,
    AMEND_SUPPORT,
    RETRACT,
    step("disburse", rel=refs, amount=st.sampled_from(PAID), at=refs),
    CREATIONS,
    RENAME,
    RENAME,
    step("end", rel=refs, at=refs),
    step("terminate", rel=refs, at=refs),
    step("close_support", rel=refs, withdraw=st.booleans(), at=refs),
    step("dissolve", org=orgs, effective=maybe_dates),
    step("register", org=orgs, sector=st.sampled_from(SECTORS), effective=maybe_dates),
)


@dataclass(frozen=True)
class History:
    """How many organisations, those registered up front (one step each), the first relations, the other steps."""

    organisations: int
    registrations: tuple[Step, ...]
    creations: tuple[Step, ...]
    steps: tuple[Step, ...]

    @property
    def all_steps(self) -> tuple[Step, ...]:
        return self.registrations + self.creations + self.steps


@st.composite
def histories(draw: st.DrawFn, min_steps: int = 15, max_steps: int = 60) -> History:
    """5-7 organisations (all or all but one registered up front: dated, undated or in 2030), one relation
    of each type and up to 3 more, then random commands."""
    n = draw(st.integers(5, 7))
    upfront = draw(st.integers(n - 1, n))
    registrations = tuple(
        Step(
            "register",
            (
                ("org", i),
                ("sector", draw(st.sampled_from(SECTORS))),
                *((("effective", when),) if (when := draw(registration_dates)) is not None else ()),
            ),
        )
        for i in range(upfront)
    )
    creations = [draw(FORM), draw(SIGN), draw(AWARD), *draw(st.lists(CREATIONS, max_size=3))]
    steps = draw(st.lists(STEPS, min_size=min_steps, max_size=max_steps))
    return History(n, registrations, tuple(_within(s, n) for s in creations), tuple(_within(s, n) for s in steps))


def _within(s: Step, n: int) -> Step:
    """Map organisation indices onto the first *n* keys."""
    args = []
    for k, v in s.args:
        if k == "org":
            v = v % n
        elif k == "parties":
            seen: dict[int, Any] = {}
            for i, role in v:
                seen.setdefault(i % n, role)
            v = tuple(seen.items())
        args.append((k, v))
    return Step(s.op, tuple(args))


@dataclass
class Driver:
    """Runs steps against a ledger, remembering what it needs to resolve later references."""

    ledger: Ledger
    #: How many organisations the history uses (the first keys of ``KEYS``).
    organisations: int = len(KEYS)
    relations: dict[str, list[UUID]] = field(
        default_factory=lambda: {"partnership": [], "agreement": [], "support": []}
    )
    starts: dict[UUID, PartialDate] = field(default_factory=dict)
    currency: dict[UUID, str | None] = field(default_factory=dict)
    sectors: dict[str, str] = field(default_factory=dict)
    #: Key -> the event id of its standing registration.
    registered: dict[str, UUID] = field(default_factory=dict)
    #: Relations closed (by the event id of the closing event), retracted, or designations / in kind.
    closed: dict[UUID, UUID] = field(default_factory=dict)
    gone: set[UUID] = field(default_factory=set)
    unpriced: set[UUID] = field(default_factory=set)
    #: Retractable events recorded so far: (what, event id); retracted ones are removed.
    targets: list[tuple[str, UUID]] = field(default_factory=list)
    commands: int = 0
    recorded: int = 0

    def stamp(self) -> datetime:
        self.commands += 1
        return BASE + timedelta(seconds=self.commands // 2)

    def run(self, s: Step) -> None:
        """Run one step; a refused command writes nothing and is skipped."""
        with suppress(RuleViolation, InputError):
            out = self._run(s)
            if out is not None:
                self.recorded += 1

    def _pick(self, kind: str, s: Step, *, priced: bool = False) -> UUID | None:
        """The relation a step names: among the open ones of its kind (priced supports for money) if any."""
        ids = [r for r in self.relations[kind] if not priced or r not in self.unpriced]
        still_open = [r for r in ids if r not in self.closed and r not in self.gone]
        ids = still_open or ids
        return ids[s.get("rel") % len(ids)] if ids else None

    def _after(self, rel: UUID, s: Step) -> str:
        """A date from the pool not certainly before the relation's start (the ledger refuses those)."""
        start = self.starts[rel]
        fitting = [d for d in DATES if not PartialDate.parse(d).certainly_before(start)]
        return fitting[s.get("at") % len(fitting)]

    def _run(self, s: Step) -> Outcome | None:
        led, op, a = self.ledger, s.op, dict(s.args)
        if op == "noop":
            return None
        meta: dict[str, Any] = {"recorded_at": self.stamp()}
        if op == "register":  # the first organisation from the drawn one on that has no registration
            keys = KEYS[: self.organisations]
            order = keys[a["org"] :] + keys[: a["org"]]
            key = next((k for k in order if k not in self.registered), None)
            if key is None:
                return None
            out = led.register_organisation(
                key, sector=a["sector"], name_en=key.upper(), effective=a.get("effective"), **meta
            )
            self.sectors[key] = a["sector"]
            self.registered[key] = out.event.event_id
            return self._remember(out, "registration")
        if op == "rename":
            if "name_en" not in a and "name_ko" not in a:
                return None
            key = KEYS[a["org"]]
            out = led.rename_organisation(
                key, name_en=a.get("name_en"), name_ko=a.get("name_ko"), effective=a.get("effective"), **meta
            )
            return self._remember(out, "rename")
        if op == "dissolve":
            out = led.dissolve_organisation(KEYS[a["org"]], effective=a.get("effective"), **meta)
            return self._remember(out, "dissolution")
        if op in ("form", "sign"):
            parties = [f"{KEYS[i]}:{role}" if role else KEYS[i] for i, role in a["parties"]]
            if op == "form":
                out = led.form_partnership(parties, title=a.get("title"), effective=a["effective"], **meta)
            else:
                out = led.sign_agreement(
                    parties,
                    kind=a["kind"],
                    title=a["title"],
                    term_end=a.get("term_end"),
                    effective=a["effective"],
                    **meta,
                )
            return self._created(out, "partnership" if op == "form" else "agreement")
        if op == "award":
            parties = [f"{KEYS[i]}:{role}" if role else KEYS[i] for i, role in a["parties"]]
            split = min(a["split"], len(parties) - 1)
            priced = a["kind"] not in ("designation", "in_kind")
            amount = a.get("amount") if priced else None
            programme = next((k for k, sector in self.sectors.items() if sector == "programme"), None)
            out = led.award_support(
                kind=a["kind"],
                funders=parties[:split],
                recipients=parties[split:],
                programme=programme if a["programme"] else None,
                amount=amount,
                currency=a["currency"] if amount is not None else None,
                planned_start=a.get("planned_start"),
                planned_end=a.get("planned_end"),
                title=a.get("title"),
                description=a.get("description"),
                reference=a.get("reference"),
                effective=a["effective"],
                **meta,
            )
            self.currency[out.aggregate_id] = out.event.currency  # type: ignore[attr-defined]
            if not priced:
                self.unpriced.add(out.aggregate_id)
            return self._created(out, "support")
        if op == "amend_agreement" and (rel := self._pick("agreement", s)):
            new_parties: list[str] | None = None
            if "parties" in a:
                new_parties = [f"{KEYS[i]}:{role}" if role else KEYS[i] for i, role in a["parties"]]
            if new_parties is None and "title" not in a and "term_end" not in a:
                return None
            out = led.amend_agreement(
                rel,
                title=a.get("title"),
                parties=new_parties,
                term_end=a.get("term_end"),
                effective=self._after(rel, s),
                **meta,
            )
            return self._remember(out, "amendment")
        if op == "amend_support" and (rel := self._pick("support", s, priced="amount" in a)):
            fields: dict[str, Any] = {
                k: a[k] for k in ("amount", "planned_start", "planned_end", "title", "description") if k in a
            }
            if rel in self.unpriced:
                fields.pop("amount", None)
            if not fields:
                return None
            if "amount" in fields and a["with_currency"]:
                fields["currency"] = self.currency.get(rel) or "KRW"
            out = led.amend_support(rel, effective=self._after(rel, s), **fields, **meta)
            self.currency[rel] = self.currency.get(rel) or out.event.currency  # type: ignore[attr-defined]
            return self._remember(out, "amendment")
        if op == "disburse" and (rel := self._pick("support", s, priced=True)):
            currency = self.currency.get(rel) or "KRW"
            out = led.disburse_support(
                rel, amount=a["amount"], currency=currency, effective=self._after(rel, s), **meta
            )
            self.currency[rel] = currency
            return self._remember(out, "disbursement")
        if op == "end" and (rel := self._pick("partnership", s)):
            return self._closed(rel, led.end_partnership(rel, effective=self._after(rel, s), **meta))
        if op == "terminate" and (rel := self._pick("agreement", s)):
            return self._closed(rel, led.terminate_agreement(rel, effective=self._after(rel, s), **meta))
        if op == "close_support" and (rel := self._pick("support", s)):
            close = led.withdraw_support if a["withdraw"] else led.end_support
            return self._closed(rel, close(rel, effective=self._after(rel, s), **meta))
        if op == "retract":
            found = [t for t in self.targets if a["what"] in ("any", t[0])]
            if not found:
                return None
            what, event_id = found[a["target"] % len(found)]
            out = led.retract(event_id, reason="wrong", **meta)
            self.targets.remove((what, event_id))
            self.registered = {k: e for k, e in self.registered.items() if e != event_id}
            self.closed = {r: e for r, e in self.closed.items() if e != event_id}
            self.gone.add(event_id)  # a relation's id is its creation's event id
            return out
        return None

    def _remember(self, out: Outcome, what: str) -> Outcome:
        self.targets.append((what, out.event.event_id))
        return out

    def _closed(self, rel: UUID, out: Outcome) -> Outcome:
        self.closed[rel] = out.event.event_id
        return self._remember(out, "close")

    def _created(self, out: Outcome, kind: str) -> Outcome:
        self.relations[kind].append(out.aggregate_id)
        assert out.event.effective is not None
        self.starts[out.aggregate_id] = out.event.effective
        return self._remember(out, "creation")


def record(ledger: Ledger, history: History, *, bulk: bool = True) -> Driver:
    """Record *history* into *ledger* (in one bulk transaction unless told otherwise)."""
    driver = Driver(ledger, history.organisations)
    if bulk:
        with ledger.bulk():
            for s in history.all_steps:
                driver.run(s)
    else:
        for s in history.all_steps:
            driver.run(s)
    return driver
