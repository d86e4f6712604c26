"""Import a 360Giving JSON package (``{"grants": [...]}``) into the ledger, all or nothing.

Each grant becomes one ``support.awarded`` event and each funding or recipient
organisation not yet in the ledger one ``organisation.registered`` event, written
through the ledger's own command handlers (``domain.commands``) by the import
pipeline (``domain.imports.pipeline``: batches in one transaction, all or
nothing), so every ledger rule and the hash chain apply. The file is read as a
stream (``ijson``), one grant at a time.

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
  ``dataSource`` when given. ``grantProgramme`` is not imported. In names and titles line
  ends and tabs become spaces; in a description ``\\r\\n`` and ``\\r`` become ``\\n`` and
  tabs spaces (the ledger refuses other control characters: ``domain.values``).
- Event ids are ``uuid5`` of a fixed namespace and the grant id (the organisation id
  for a registration), so importing a file again writes nothing, and importing a
  file that overlaps an earlier one writes only the new grants.

Validation is strict: every problem is listed with its grant number (1-based
position in ``grants``), grant id and field, and any problem rejects the whole
file (exit 1), nothing written. A grant that breaks the standard's form (a
missing required field, a date that is not ISO 8601 such as ``05/06/2014``, an
amount that is not a number), a value the ledger refuses on its own (an unknown
currency, a negative amount) and a ledger rule (an organisation key already
registered under another identifier, a grant id already imported with other
content) are all such problems. A file that is not JSON, or not a 360Giving
package, is unreadable (exit 2).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import IO, Any
from uuid import UUID, uuid5

from domain.errors import InputError, LedgerError, RuleViolation
from domain.events import utc_now
from domain.imports.pipeline import Command, Item, Problem
from domain.ledger import Ledger
from domain.limits import JsonGuard
from domain.organisation import SECTORS, Organisation, organisation_id
from domain.records import draft
from domain.support import Support
from domain.values import countries

NAMESPACE = UUID("0b6f3c52-8d8e-4f7a-9c1e-360a1f1e2b77")
#: Sector given to recipient organisations unless told otherwise. 360Giving recipients are
#: mostly charities, schools and companies: independent, non-governmental bodies that
#: receive the money themselves. Of the ledger's sectors (government, university,
#: research_institute, firm, funder, intermediary, programme), ``firm`` (a non-state
#: organisation) is the closest; ``intermediary`` would claim they pass the money on.
DEFAULT_RECIPIENT_SECTOR = "firm"

_ORG_ID_GUIDE = re.compile(r"([A-Za-z]{2}-[A-Za-z0-9]+)-(\S.*)")
_KEY_BAD = re.compile(r"[^a-z0-9._-]+")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def iter_grants(stream: IO[bytes]) -> Iterator[Any]:
    """The ``grants`` of a 360Giving JSON package, one at a time, numbers as exact ``Decimal``.

    >>> import io
    >>> [g["id"] for g in iter_grants(io.BytesIO(b'\\xef\\xbb\\xbf{"grants": [{"id": "G-1"}, {"id": "G-2"}]}'))]
    ['G-1', 'G-2']
    """
    import ijson  # type: ignore[import-untyped]

    head = stream.read(3)
    # A UTF-8 BOM is allowed; the guard refuses nesting, texts, numbers and grants past ``domain.limits``
    # before ijson parses them (its memory grows with the square of the depth).
    prefixed = _Prefixed(b"" if head == b"\xef\xbb\xbf" else head, stream)
    source = JsonGuard(prefixed, where="file", record_depth=3, record_noun="grant")
    found = False
    try:
        for grant in ijson.items(source, "grants.item", use_float=False):
            found = True
            yield grant
    except ijson.JSONError as exc:
        raise InputError("file", f"is not valid JSON ({exc})", "check the file is a whole 360Giving package") from None
    except UnicodeDecodeError:
        raise InputError("file", "is not valid UTF-8", "save the file as UTF-8") from None
    if not found:
        raise InputError("file", 'is not a 360Giving package with grants: expected {"grants": [...]}', "")


class _Prefixed:
    """A binary stream that first returns *head*, then the rest of *stream*."""

    def __init__(self, head: bytes, stream: IO[bytes]) -> None:
        self.head = head
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        if self.head and size != 0:  # ijson probes with read(0)
            data, self.head = self.head, b""
            return data
        return self.stream.read(size)


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


@lru_cache(maxsize=65_536)  # asked for every grant of the organisation
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
        return bool(self.amount != self.data["amountAwarded"])


def check_grant(number: int, grant: Any, seen: dict[str, int]) -> tuple[_Grant | None, list[Problem]]:
    """Check one grant's form; *seen* maps the grant ids read so far to their numbers."""
    if not isinstance(grant, dict):
        return None, [Problem(number, None, "grant", "is not a JSON object", "form", "grant")]
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
    problems = []
    for message in found:
        name, _, text = message.partition(": ")
        problems.append(Problem(number, gid, name, text, "form", "grant"))
    if problems:
        return None, problems
    assert gid is not None and effective is not None
    return _Grant(number, gid, grant, funders, recipients, effective, planned, exact), []


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


def _one_line(text: str) -> str:
    r"""A name or title: its line ends and tabs read as spaces (the ledger refuses them in short texts).

    >>> _one_line(" Grant to\r\nExample\tTrust ")
    'Grant to Example Trust'
    """
    return text.replace("\r\n", " ").translate(_SPACES).strip()


def _lines(text: str) -> str:
    r"""A description: Windows and old Mac line ends read as ``\n``, tabs as spaces.

    >>> _lines("First\r\nsecond\rthird\tend")
    'First\nsecond\nthird end'
    """
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ").strip()


_SPACES = str.maketrans({"\r": " ", "\n": " ", "\t": " "})


def _short(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


class Giving360:
    """The items of a 360Giving package for the import pipeline, and what the reading noticed.

    ``matched`` collects the keys of organisations found in the ledger by identifier;
    ``rounded`` the grant ids whose amount was read to the penny (see ``_penny``).
    """

    def __init__(self, ledger: Ledger, recipient_sector: str = DEFAULT_RECIPIENT_SECTOR) -> None:
        if recipient_sector not in SECTORS:
            raise InputError("recipient_sector", f"unknown sector {recipient_sector!r}", f"use one of {SECTORS}")
        self.ledger = ledger
        self.recipient_sector = recipient_sector
        self.matched: set[str] = set()
        self.rounded: list[str] = []
        #: org id -> its key and the draft of its registration, built from its first grant (name and address
        #: from there), or None when the ledger has it already.
        self._organisations: dict[str, tuple[str, Organisation.Registered | None]] = {}

    def items(self, stream: IO[bytes]) -> Iterator[Item]:
        """One ``Item`` per grant: its organisations' registrations (when new), then its award."""
        by_identifier, keys = _known_identifiers(self.ledger)
        seen: dict[str, int] = {}
        for number, data in enumerate(iter_grants(stream), start=1):
            grant, problems = check_grant(number, data, seen)
            if grant is None:
                yield Item(number, problems[0].label, problems=problems, raw=data, noun="grant")
                continue
            if grant.rounded:
                self.rounded.append(grant.grant_id)
            try:
                commands, ids = self._commands(grant, by_identifier, keys)
            except LedgerError as exc:
                problem = Problem.of(exc, number, grant.grant_id, "grant")
                yield Item(number, grant.grant_id, problems=[problem], raw=data, noun="grant")
                continue
            yield Item(number, grant.grant_id, commands, raw=data, noun="grant", event_ids=ids)

    def _commands(
        self, grant: _Grant, by_identifier: dict[str, str], keys: set[str]
    ) -> tuple[list[Command], tuple[UUID, ...]]:
        """The grant's commands, and the ids of the events they look up (its registrations', its own)."""
        commands: list[Command] = []
        ids: list[UUID] = []

        def organisation(org: dict[str, Any], sector: str, where: str) -> str:
            org_id = org["id"].strip()
            known = self._organisations.get(org_id)
            if known is None:  # its first mention in the file
                known = self._organisation(org_id, org, sector, where, by_identifier, keys)
                self._organisations[org_id] = known
            key, registration = known
            if registration is not None:
                # Every grant carries its organisations' registration; the id is a function of the
                # org id, so all but the first find it "already recorded" (in the ledger or this import).
                commands.append(Command(registration, where, once=True))
                ids.append(registration.event_id)
            return key

        # Parties as plain values: the draft validates them with everything else, in one call.
        funders = [
            {"key": organisation(o, "funder", f"fundingOrganization[{i}]"), "role": "funder"}
            for i, o in enumerate(grant.funders)
        ]
        recipients = [
            {"key": organisation(o, self.recipient_sector, f"recipientOrganization[{i}]"), "role": "recipient"}
            for i, o in enumerate(grant.recipients)
        ]
        g = grant.data
        event_id = grant_event_id(grant.grant_id)
        meta = self._envelope(event_id, effective=grant.effective, source=_short(g.get("dataSource")))
        fields: dict[str, Any] = dict(
            kind="grant",
            funders=funders,
            recipients=recipients,
            amount=grant.amount,
            currency=g["currency"],
            title=_one_line(g["title"]),
            description=_lines(g["description"]),
            reference=grant.grant_id,
            **grant.planned,
        )
        commands.append(Command(draft(Support.Awarded, meta, fields, event_id)))
        return commands, (*ids, event_id)

    def _organisation(
        self,
        org_id: str,
        org: dict[str, Any],
        sector: str,
        where: str,
        by_identifier: dict[str, str],
        keys: set[str],
    ) -> tuple[str, Organisation.Registered | None]:
        """The key of the organisation *org_id* and its registration's draft (None if it is in the ledger).

        Its name and address are taken from *org*, its first mention in the file.
        """
        identifier = identifier_of(org_id)
        if identifier in by_identifier:
            self.matched.add(by_identifier[identifier])
            return by_identifier[identifier], None
        key = key_of(org_id)
        if key in keys:
            raise RuleViolation(
                f"{where}.key", f"organisation {key!r} is already registered without identifier {identifier}", ""
            )
        fields = dict(
            key=key,
            name_en=_one_line(org["name"]),
            sector=sector,
            identifiers=[identifier],
            locality=_short(org.get("addressLocality")),
            country=_country(org.get("addressCountry")),
        )
        meta = self._envelope(organisation_event_id(org_id))
        try:
            registration = draft(Organisation.Registered, meta, fields, organisation_id(key))
        except LedgerError as exc:
            raise exc.at(where) from None
        # Only organisations not in the ledger when the import started get here (the others are
        # matched by identifier), and every grant of the file carries the same registration, so
        # an event with this id can only be that registration: it is not compared again.
        return key, registration

    def _envelope(self, event_id: UUID, **given: Any) -> dict[str, Any]:
        """The envelope of a new event, validated with the event's own fields (``records.draft``)."""
        return {"event_id": event_id, "recorded_at": utc_now(), "recorded_by": self.ledger.actor, **given}


__all__ = ["DEFAULT_RECIPIENT_SECTOR", "Giving360", "check_grant", "identifier_of", "iter_grants", "key_of"]
