"""Import a 360Giving JSON package (``{"grants": [...]}``) into the ledger, all or nothing.

Each grant becomes one ``support.awarded`` event and each funding or recipient
organisation not yet in the ledger one ``organisation.registered`` event, written
through the ledger's own commands (``cmd_register``, ``cmd_award``) in **one**
session, so every ledger rule and the hash chain apply.

Mapping (the reverse of ``projections.exports.org_id``):

- An organisation id shaped like an org-id.guide list code, two dash-separated parts
  of which the first is two letters (``GB-CHC-1015890``, ``US-EIN-11-3372980``), gives
  the identifier ``SCHEME:ID`` with the first two parts as the scheme
  (``GB-CHC:1015890``, ``US-EIN:11-3372980``). Any other id (a publisher's own,
  ``360G-ALWF-ORG:Some_School``) is kept whole under the scheme ``X-360G``
  (``X-360G:360G-ALWF-ORG:Some_School``).
- The organisation's key is the id lower-cased (``gb-chc-1015890``); characters a key
  cannot hold become ``-``, and when anything was changed that way (or the id is
  longer than 70 characters) ``-`` and 8 hex digits of the id's SHA-1 are appended so
  two ids never share a key.
- An organisation whose identifier is already registered in the ledger is reused
  (matched), not registered again. Otherwise it is registered with ``name_en`` = its
  ``name``, ``locality`` = ``addressLocality``, ``country`` = ``addressCountry`` when
  that is an ISO 3166-1 code (``UK`` is read as ``GB``; anything else is left out),
  sector ``funder`` for funding organisations and *recipient_sector* (default
  ``firm``, see ``DEFAULT_RECIPIENT_SECTOR``) for recipients. Its name and address
  are taken from its first grant in the file.
- A grant gives ``support.awarded`` with kind ``grant``, ``funders`` (role ``funder``)
  and ``recipients`` (role ``recipient``), ``amount`` (the exact decimal written in the
  file, except that a binary-float artefact such as ``44337.130000000005`` is read as
  ``44337.13``: see ``_penny``) and ``currency``, ``effective`` = the day of ``awardDate``, ``planned_start`` /
  ``planned_end`` from ``plannedDates[0]`` ``startDate`` / ``endDate`` when given,
  ``title``, ``description``, ``reference`` = the grant id and ``source`` = its
  ``dataSource`` when given. ``grantProgramme`` is not imported.
- Event ids are ``uuid5`` of a fixed namespace and the grant id (the organisation id
  for a registration), so importing a file again writes nothing, and importing a
  file that overlaps an earlier one writes only the new grants.

Validation is strict and done for the whole file before anything is written: every
problem is listed with its grant number (1-based position in ``grants``), grant id
and field. A file that is not a 360Giving JSON package, or any grant that breaks the
standard's form (a missing required field, a date that is not ISO 8601 such as
``05/06/2014``, an amount that is not a number), is an input error (exit 2); a file
that is well formed but refused by a ledger rule (an organisation key already
registered under another identifier, a grant id already imported with other content) is a
rule violation (exit 1). Values the
ledger refuses on their own (an unknown currency, a negative amount, a title over
500 characters) are input errors too.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID, uuid5

from domain.errors import InputError, LedgerError, RuleViolation
from domain.ledger import Ledger, Outcome, Session, cmd_award, cmd_register
from domain.organisation import SECTORS, Organisation
from domain.values import Party, countries

NAMESPACE = UUID("0b6f3c52-8d8e-4f7a-9c1e-360a1f1e2b77")
#: Sector given to recipient organisations unless told otherwise. 360Giving recipients are
#: mostly charities, schools and companies: independent, non-governmental bodies that
#: receive the money themselves. Of the ledger's sectors (government, university,
#: research_institute, firm, funder, intermediary, programme), ``firm`` (a non-state
#: organisation) is the closest; ``intermediary`` would claim they pass the money on.
DEFAULT_RECIPIENT_SECTOR = "firm"
#: How many problems are listed before the rest are only counted.
SHOWN_PROBLEMS = 20

_ORG_ID_GUIDE = re.compile(r"([A-Za-z]{2}-[A-Za-z0-9]+)-(\S.*)")
_KEY_BAD = re.compile(r"[^a-z0-9._-]+")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Problem:
    """One reason a grant cannot be imported."""

    number: int
    grant_id: str | None
    field: str
    message: str
    rule: bool = False

    def __str__(self) -> str:
        gid = f" ({self.grant_id})" if self.grant_id else ""
        return f"grant {self.number}{gid}: {self.field}: {self.message}"


class ImportRejected(LedgerError):
    """The file was refused as a whole; ``problems`` lists why. Exit 2, or 1 for rules only."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        self.exit_code = 1 if all(p.rule for p in problems) else 2
        grants = len({p.number for p in problems if p.number})
        super().__init__(
            "",
            f"file rejected: {len(problems)} problem(s) in {grants} grant(s); nothing written",
            "fix them and import the file again",
        )

    def listing(self, limit: int = SHOWN_PROBLEMS) -> list[str]:
        lines = [str(p) for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"... and {len(self.problems) - limit} more problem(s)")
        return lines


@dataclass
class ImportReport:
    """What an import wrote (or, in a dry run, would write)."""

    outcomes: list[Outcome] = field(default_factory=list)
    matched: set[str] = field(default_factory=set)
    #: Grant ids whose amount was read to the penny (see ``_penny``).
    rounded: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def written(self) -> Counter[str]:
        return Counter(o.event.type_name for o in self.outcomes if o.status == "recorded")

    @property
    def already(self) -> int:
        return sum(1 for o in self.outcomes if o.status == "already recorded")


def load_package(data: bytes) -> list[Any]:
    """The ``grants`` of a 360Giving JSON package, numbers as exact ``Decimal``."""
    try:
        package = json.loads(data.decode("utf-8-sig"), parse_float=Decimal, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise InputError("file", "is not valid UTF-8", "save the file as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise InputError("file", f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})", "") from None
    except ValueError as exc:
        raise InputError("file", str(exc), "") from None
    if not isinstance(package, dict) or not isinstance(package.get("grants"), list):
        raise InputError("file", 'is not a 360Giving package: expected {"grants": [...]}', "")
    return package["grants"]


def _no_constant(text: str) -> Any:
    raise ValueError(f"{text} is not a number (amounts must be finite)")


def identifier_of(org_id: str) -> str:
    """The ledger identifier of a 360Giving organisation id.

    >>> identifier_of("GB-CHC-1015890"), identifier_of("US-EIN-11-3372980")
    ('GB-CHC:1015890', 'US-EIN:11-3372980')
    >>> identifier_of("360G-ALWF-ORG:Some_School")
    'X-360G:360G-ALWF-ORG:Some_School'
    """
    m = _ORG_ID_GUIDE.fullmatch(org_id)
    if m:
        return f"{m.group(1).upper()}:{m.group(2)}"
    return f"X-360G:{org_id}"


def key_of(org_id: str) -> str:
    """The ledger key of a 360Giving organisation id.

    >>> key_of("GB-CHC-1015890")
    'gb-chc-1015890'
    >>> key_of("360G-ALWF-ORG:Some_School")
    '360g-alwf-org-some_school-ff0be4e2'
    """
    lower = org_id.strip().lower()
    slug = _KEY_BAD.sub("-", lower).strip("-._")
    if slug != lower or len(slug) > 70:
        digest = hashlib.sha1(org_id.encode("utf-8")).hexdigest()[:8]
        slug = f"{slug[:70].rstrip('-._')}-{digest}".lstrip("-")
    return slug


def grant_event_id(grant_id: str) -> UUID:
    return uuid5(NAMESPACE, f"360giving:grant:{grant_id}")


def organisation_event_id(org_id: str) -> UUID:
    return uuid5(NAMESPACE, f"360giving:organisation:{org_id}")


# -- form checks ---------------------------------------------------------------------------
def _text(grant: dict[str, Any], name: str, problems: list[str], required: bool = True) -> str | None:
    value = grant.get(name)
    if value is None:
        if required:
            problems.append(f"{name}: required field is missing")
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(f"{name}: {value!r} is not a non-empty string")
        return None
    return value


def _day(value: Any, name: str, problems: list[str]) -> str | None:
    """The ISO day of an ISO 8601 date or date-time; anything else is a problem."""
    if not isinstance(value, str) or not _DAY.match(value):
        problems.append(f"{name}: {value!r} is not an ISO 8601 date (YYYY-MM-DD or YYYY-MM-DDThh:mm:ss)")
        return None
    try:
        if len(value) == 10:
            return date.fromisoformat(value).isoformat()
        if value[10] not in "Tt ":
            raise ValueError
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date().isoformat()
    except ValueError:
        problems.append(f"{name}: {value!r} is not a valid ISO 8601 date")
        return None


def _penny(amount: Decimal) -> Decimal:
    """*amount*, rounded to 2 places when it only differs from that by a binary-float artefact.

    Spreadsheet exports write ``44337.13`` as ``44337.130000000005``; the ledger keeps at
    most 6 decimal places, so an amount with more that lies within 0.000001 of a whole
    penny (cent, ...) is read as that; any other amount is kept as written.

    >>> _penny(Decimal("44337.130000000005")), _penny(Decimal("1.5"))
    (Decimal('44337.13'), Decimal('1.5'))
    """
    if amount.is_finite() and amount.as_tuple().exponent < -6:  # type: ignore[operator]
        penny = amount.quantize(Decimal("0.01"))
        if abs(penny - amount) < Decimal("0.000001"):
            return penny
    return amount


def _orgs(grant: dict[str, Any], name: str, problems: list[str]) -> list[dict[str, Any]]:
    value = grant.get(name)
    if value is None:
        if name == "recipientOrganization" and grant.get("recipientIndividual") is not None:
            problems.append(f"{name}: grants to individuals (recipientIndividual) are not imported")
        else:
            problems.append(f"{name}: required field is missing")
        return []
    if not isinstance(value, list) or not value:
        problems.append(f"{name}: must be a non-empty list of organisations")
        return []
    good = []
    for i, org in enumerate(value):
        where = f"{name}[{i}]"
        if not isinstance(org, dict):
            problems.append(f"{where}: is not an object")
            continue
        before = len(problems)
        sub: list[str] = []
        _text(org, "id", sub)
        _text(org, "name", sub)
        problems.extend(f"{where}.{p}" for p in sub)
        if len(problems) == before:
            good.append(org)
    return good


@dataclass
class _Grant:
    number: int
    grant_id: str
    data: dict[str, Any]
    funders: list[dict[str, Any]]
    recipients: list[dict[str, Any]]
    effective: str
    planned: dict[str, str]
    amount: Decimal

    @property
    def rounded(self) -> bool:
        return self.amount != self.data["amountAwarded"]


def check_form(grants: list[Any]) -> tuple[list[_Grant], list[Problem]]:
    """Check every grant's form; return the grants and the problems found."""
    checked: list[_Grant] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for number, grant in enumerate(grants, start=1):
        if not isinstance(grant, dict):
            problems.append(Problem(number, None, "grant", "is not a JSON object"))
            continue
        found: list[str] = []
        gid = _text(grant, "id", found)
        if gid is not None and gid in seen:
            found.append(f"id: the same grant id is given as grant {seen[gid]}")
        elif gid is not None:
            seen[gid] = number
        for name in ("title", "description", "currency"):
            _text(grant, name, found)
        amount = grant.get("amountAwarded")
        exact = Decimal(0)
        if amount is None:
            found.append("amountAwarded: required field is missing")
        elif isinstance(amount, bool) or not isinstance(amount, (int, Decimal)):
            found.append(f"amountAwarded: {amount!r} is not a number")
        else:
            exact = _penny(Decimal(amount))
        effective = None
        if grant.get("awardDate") is None:
            found.append("awardDate: required field is missing")
        else:
            effective = _day(grant["awardDate"], "awardDate", found)
        planned: dict[str, str] = {}
        dates = grant.get("plannedDates")
        if dates is not None:
            if not isinstance(dates, list) or (dates and not isinstance(dates[0], dict)):
                found.append("plannedDates: must be a list of objects")
            elif dates:
                for src, dst in (("startDate", "planned_start"), ("endDate", "planned_end")):
                    if dates[0].get(src) is not None:
                        day = _day(dates[0][src], f"plannedDates[0].{src}", found)
                        if day:
                            planned[dst] = day
        funders = _orgs(grant, "fundingOrganization", found)
        recipients = _orgs(grant, "recipientOrganization", found)
        for message in found:
            name, _, text = message.partition(": ")
            problems.append(Problem(number, gid, name, text))
        if not found:
            assert gid is not None and effective is not None
            checked.append(_Grant(number, gid, grant, funders, recipients, effective, planned, exact))
    return checked, problems


# -- the import ----------------------------------------------------------------------------
def _known_identifiers(ledger: Ledger) -> tuple[dict[str, str], set[str]]:
    """identifier -> key of every registered organisation, and the registered keys."""
    by_identifier: dict[str, str] = {}
    keys: set[str] = set()
    for _, event in ledger.events():
        if isinstance(event, Organisation.Registered):
            keys.add(event.key)
            for identifier in event.identifiers:
                by_identifier.setdefault(identifier, event.key)
    return by_identifier, keys


def _country(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    code = {"UK": "GB"}.get(code, code)
    return code if code in countries() else None


def _short(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def import_360giving(
    ledger: Ledger,
    data: bytes,
    *,
    recipient_sector: str = DEFAULT_RECIPIENT_SECTOR,
    dry_run: bool = False,
) -> ImportReport:
    """Import the 360Giving package *data* (bytes of JSON), all or nothing."""
    if recipient_sector not in SECTORS:
        raise InputError("recipient_sector", f"unknown sector {recipient_sector!r}", f"use one of {SECTORS}")
    ledger.require_current_schema()
    grants, problems = check_form(load_package(data))
    if problems:
        raise ImportRejected(problems)
    by_identifier, keys = _known_identifiers(ledger)
    report = ImportReport(dry_run=dry_run, rounded=[g.grant_id for g in grants if g.rounded])

    def work(s: Session) -> list[Outcome]:
        outcomes: list[Outcome] = []
        found: list[Problem] = []
        resolved: dict[str, str] = {}  # 360Giving org id -> key, for this import
        report.matched = set()

        def organisation(org: dict[str, Any], sector: str) -> str:
            org_id = org["id"].strip()
            if org_id in resolved:
                return resolved[org_id]
            identifier = identifier_of(org_id)
            if identifier in by_identifier:
                resolved[org_id] = by_identifier[identifier]
                report.matched.add(by_identifier[identifier])
                return resolved[org_id]
            key = key_of(org_id)
            if key in keys:
                raise RuleViolation(
                    "key", f"organisation {key!r} is already registered without identifier {identifier}", ""
                )
            fields = dict(
                key=key,
                name_en=org["name"].strip(),
                sector=sector,
                identifiers=[identifier],
                locality=_short(org.get("addressLocality")),
                country=_country(org.get("addressCountry")),
            )
            outcomes.append(cmd_register(s, ledger.meta_for(event_id=organisation_event_id(org_id)), fields))
            resolved[org_id] = key
            return key

        for grant in grants:
            g = grant.data
            where = ""
            try:
                where = "fundingOrganization"
                funders = [Party(key=organisation(o, "funder"), role="funder") for o in grant.funders]
                where = "recipientOrganization"
                recipients = [Party(key=organisation(o, recipient_sector), role="recipient") for o in grant.recipients]
                where = ""
                meta = ledger.meta_for(
                    event_id=grant_event_id(grant.grant_id),
                    effective=grant.effective,
                    source=_short(g.get("dataSource")),
                )
                fields: dict[str, Any] = dict(
                    kind="grant",
                    funders=funders,
                    recipients=recipients,
                    amount=grant.amount,
                    currency=g["currency"],
                    title=g["title"].strip(),
                    description=g["description"].strip(),
                    reference=grant.grant_id,
                    **grant.planned,
                )
                outcomes.append(cmd_award(s, meta, fields))
            except LedgerError as exc:
                name = f"{where}.{exc.field}" if where and exc.field else (where or exc.field or "grant")
                text = f"{exc.problem} ({exc.fix})" if exc.fix else exc.problem
                found.append(Problem(grant.number, grant.grant_id, name, text, rule=exc.exit_code == 1))
        if found:
            raise ImportRejected(found)
        return outcomes

    if dry_run:
        report.outcomes = work(Session(ledger))
    else:
        report.outcomes = ledger.run(work)
    return report


__all__ = [
    "DEFAULT_RECIPIENT_SECTOR",
    "ImportRejected",
    "ImportReport",
    "Problem",
    "check_form",
    "identifier_of",
    "import_360giving",
    "key_of",
    "load_package",
]
