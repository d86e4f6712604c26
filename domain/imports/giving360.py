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
import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import IO, Any
from uuid import UUID, uuid5

from pydantic import BaseModel

from domain.errors import InputError, LedgerError, RuleViolation
from domain.events import utc_now
from domain.grantdata import TYPED, plain
from domain.imports.pipeline import Command, Item, Problem
from domain.imports.schema360 import grant_errors
from domain.ledger import Ledger
from domain.limits import JsonGuard
from domain.organisation import SECTORS, Organisation, organisation_id
from domain.records import draft
from domain.support import Support
from domain.values import PartialDate, countries

NAMESPACE = UUID("0b6f3c52-8d8e-4f7a-9c1e-360a1f1e2b77")
#: Sector of a recipient whose identifier scheme says nothing (``SCHEME_SECTORS``) and that no
#: sector map names: ``intermediary``, the ledger's word for "a body between funders and others".
DEFAULT_RECIPIENT_SECTOR = "intermediary"
#: A recipient's sector from the org-id.guide list of its identifier (docs/operator.md has the table).
SCHEME_SECTORS: dict[str, str] = {
    "GB-CHC": "civil_society",  # Charity Commission for England and Wales
    "GB-SC": "civil_society",  # Scottish Charity Regulator
    "GB-NIC": "civil_society",  # Charity Commission for Northern Ireland
    "GB-CIO": "civil_society",  # charitable incorporated organisations
    "GB-MPR": "civil_society",  # mutuals (FCA register)
    "GB-COH": "firm",  # Companies House
    "KR-BRN": "firm",  # Korean business registration number
    "GB-GOR": "government",  # UK government organisations register
    "GB-LAE": "government",  # local authorities, England
    "GB-LAS": "government",  # local authorities, Scotland
    "GB-LANI": "government",  # local authorities, Northern Ireland
    "GB-PLA": "government",  # principal local authorities, Wales
    "GB-NHS": "government",  # NHS organisations
    "GB-EDU": "university",  # schools, colleges and universities (Get Information About Schools)
    "GB-UKPRN": "university",  # UK Register of Learning Providers
}

_ORG_ID_GUIDE = re.compile(r"([A-Za-z]{2}-[A-Za-z0-9]+)-(\S.*)")
_KEY_BAD = re.compile(r"[^a-z0-9._-]+")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_PARTIAL = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


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


def _string(grant: dict[str, Any], name: str, problems: list[str]) -> str | None:
    """A required string member, any string (an empty title is the standard's, not the ledger's, business)."""
    value = grant.get(name)
    if value is None:
        problems.append(f"{name}: required field is missing")
        return None
    if not isinstance(value, str):
        problems.append(f"{name}: {value!r} is not a string")
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


def _planned_day(value: Any) -> str | None:
    """A planned date the ledger reads: ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or a date-time's day; else None."""
    if not isinstance(value, str):
        return None
    if _PARTIAL.fullmatch(value):
        try:
            PartialDate.parse(value)
        except ValueError:
            return None
        return value
    found: list[str] = []
    return _day(value, "", found) if len(value) > 10 else None


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
            return []  # a grant to an individual: flagged, no recipient organisation
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


#: Fields of the typed 360Giving objects that hold numbers, and that hold objects (``domain.grantdata``).
_NUMBERS = frozenset({"duration", "latitude", "longitude"})
_FIELDS = {name: frozenset(kind.__annotations__) for name, kind in TYPED.items()}
_LOCATION = _FIELDS["beneficiaryLocation"]


def _fits(value: Any, fields: frozenset[str]) -> bool:
    """Whether *value* is a list of objects that its typed form holds exactly (else it is kept verbatim)."""
    if not isinstance(value, list):
        return False
    for item in value:
        if not isinstance(item, dict) or not item.keys() <= fields:
            return False
        for k, v in item.items():
            if k in _NUMBERS:
                if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
                    return False
            elif k == "location":
                if not _fits(v, _LOCATION):
                    return False
            elif not isinstance(v, str) or "\x00" in v or not (v.isascii() or _utf8(v)):
                return False
    return True


#: Members ``support.awarded`` holds in its own fields (``giving360`` keeps ``awardDate`` as given).
_OWN = frozenset({"id", "currency", "amountAwarded", "awardDate"})
#: Texts the ledger types when they fit ``CleanShortText`` / ``CleanText`` (length, and the control
#: characters each refuses: any in a title, all but line breaks in a description); else kept in ``original``.
_TEXTS = {
    "title": (500, re.compile(r"[\x00-\x1f\x7f-\x9f]")),
    "description": (10_000, re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")),
}


def _fits_text(value: Any, rule: tuple[int, re.Pattern[str]]) -> bool:
    limit, control = rule
    return (
        isinstance(value, str)
        and 0 < len(value) <= limit
        and control.search(value) is None
        and (value.isascii() or _utf8(value))
    )


def _utf8(text: str) -> bool:
    """Whether *text* has UTF-8 bytes (a lone surrogate, read from a ``\\ud800`` escape, has none)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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
    #: Data-quality remarks: ``{"flag": ..., "field": ..., "message": ...}``.
    quality: list[dict[str, str]]

    @property
    def rounded(self) -> bool:
        return bool(self.amount != self.data["amountAwarded"])

    def giving360(self) -> dict[str, Any]:
        """The ``giving360`` member of its ``support.awarded``: typed members, and the rest verbatim."""
        out: dict[str, Any] = {"awardDate": self.data["awardDate"]}
        original: dict[str, Any] = {}
        for name, value in self.data.items():
            if name in _OWN:
                continue
            if name in _TEXTS:
                if not _fits_text(value, _TEXTS[name]):
                    original[name] = value
            elif name in _FIELDS and _fits(value, _FIELDS[name]):
                out[name] = value
            else:
                original[name] = plain(value)
        out["original"] = original
        return out


def check_grant(
    number: int, grant: Any, seen: dict[str, int], *, strict: bool = False
) -> tuple[_Grant | None, list[Problem]]:
    """Check one grant's form and its 360Giving schema; *seen* maps the grant ids read so far to their numbers.

    A schema error in a member the ledger reads (``schema360.USED``) refuses the grant; one in a
    member kept verbatim is a data-quality warning on it (a refusal too when *strict*).
    """
    if not isinstance(grant, dict):
        return None, [Problem(number, None, "grant", "is not a JSON object", "form", "grant")]
    found: list[str] = []
    gid = _text(grant, "id", found)
    if gid is not None and gid in seen:
        found.append(f"id: the same grant id is given as grant {seen[gid]}")
    elif gid is not None:
        seen[gid] = number
    _string(grant, "title", found)
    _string(grant, "description", found)
    _text(grant, "currency", found)
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
    quality: list[dict[str, str]] = []
    planned: dict[str, str] = {}
    dates = grant.get("plannedDates")
    if isinstance(dates, list) and dates and isinstance(dates[0], dict):
        for src, dst in (("startDate", "planned_start"), ("endDate", "planned_end")):
            if dates[0].get(src) is not None:
                day = _planned_day(dates[0][src])
                if day is None:
                    quality.append(_unread(f"plannedDates[0].{src}", dates[0][src]))
                else:
                    planned[dst] = day
        if len(planned) == 2 and PartialDate.parse(planned["planned_end"]).certainly_before(
            PartialDate.parse(planned["planned_start"])
        ):
            quality.append(_unread("plannedDates[0].endDate", dates[0]["endDate"], "is before startDate"))
            planned = {}
    funders = _orgs(grant, "fundingOrganization", found)
    recipients = _orgs(grant, "recipientOrganization", found)
    own = {message.partition(": ")[0].split("[", 1)[0].split(".", 1)[0] for message in found}
    for error in grant_errors(grant):
        if error.member == "grant" and found:  # the whole grant's shape: already told member by member
            continue
        if error.used or strict:
            if error.member not in own:
                found.append(str(error))
        else:
            quality.append({"flag": "schema", "field": error.field, "message": error.message})
    problems = []
    for message in found:
        name, _, text = message.partition(": ")
        problems.append(Problem(number, gid, name, text, "form", "grant"))
    if problems:
        return None, problems
    assert gid is not None and effective is not None
    if not recipients:
        quality.append({"flag": "individual_recipient", "field": "recipientIndividual"})
    if exact == 0:
        quality.append({"flag": "zero_amount", "field": "amountAwarded"})
    return _Grant(number, gid, grant, funders, recipients, effective, planned, exact, quality), []


def _unread(field: str, value: Any, why: str = "is not a date the ledger reads") -> dict[str, str]:
    return {"flag": "planned_dates_unread", "field": field, "message": f"{value!r} {why} (kept as given)"}


# -- the import ----------------------------------------------------------------------------
@dataclass
class _Imported:
    """A grant imported before: its award, and its terms now (the award's, then each amendment's, in order)."""

    award: Support.Awarded
    terms: dict[str, Any]
    open: bool = True


#: What a republished grant may change by ``support.amended`` (anything else needs a new award).
AMENDABLE = Support.Amended.payload_fields()
#: What it may not: the grant is refused, naming the field.
FIXED = ("kind", "funders", "recipients", "programme", "effective")


def _ledger_state(ledger: Ledger) -> tuple[dict[str, str], set[str], dict[str, _Imported]]:
    """identifier -> key of every registered organisation, the registered keys, and the imported grants by id."""
    by_identifier: dict[str, str] = {}
    keys: set[str] = set()
    imported: dict[str, _Imported] = {}
    by_support: dict[UUID, _Imported] = {}
    for _, event in ledger.events():
        if isinstance(event, Organisation.Registered):
            keys.add(event.key)
            for identifier in event.identifiers:
                by_identifier.setdefault(identifier, event.key)
        elif isinstance(event, Support.Awarded) and event.reference is not None and _imported_award(event):
            known = _Imported(event, {name: getattr(event, name) for name in AMENDABLE})
            imported[event.reference] = by_support[event.originator_id] = known
        elif isinstance(event, Support.Amended) and event.originator_id in by_support:
            terms = by_support[event.originator_id].terms
            terms.update((name, getattr(event, name)) for name in AMENDABLE if getattr(event, name) is not None)
        elif isinstance(event, (Support.Withdrawn, Support.Ended)) and event.originator_id in by_support:
            by_support[event.originator_id].open = False
    return by_identifier, keys, imported


def _imported_award(event: Support.Awarded) -> bool:
    """Whether the award came from a 360Giving import: it keeps the grant (``giving360``), or, imported
    before imports kept it, its id is the one the import derives from its grant id (a new import of the
    file then brings it up to date by an amendment, ``giving360`` included)."""
    return event.giving360 is not None or event.event_id == grant_event_id(event.reference or "")


def _same(a: Any, b: Any) -> bool:
    """Whether two field values say the same (models and lists of models compared as stored; no list is none)."""
    if (a is None or a == []) and (b is None or b == []):
        return True
    if isinstance(a, (BaseModel, list)) or isinstance(b, (BaseModel, list)):
        return bool(_dumped(a) == _dumped(b))
    return bool(a == b) and str(a) == str(b)


def _dumped(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_dumped(v) for v in value]
    return value


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


_SPACES = str.maketrans({"\r": " ", "\n": " ", "\t": " "})


def _short(value: Any) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def sector_of(org_id: str, sector_map: dict[str, str] | None = None, default: str = DEFAULT_RECIPIENT_SECTOR) -> str:
    """The sector of a recipient: *sector_map* by org id, then by scheme, then ``SCHEME_SECTORS``, else *default*.

    >>> sector_of("GB-CHC-1015890"), sector_of("GB-COH-01234567"), sector_of("360G-ALWF-ORG:A School")
    ('civil_society', 'firm', 'intermediary')
    >>> sector_of("GB-COH-01234567", {"GB-COH": "civil_society"})
    'civil_society'
    """
    scheme = identifier_of(org_id).partition(":")[0]
    if sector_map:
        found = sector_map.get(org_id) or sector_map.get(scheme)
        if found:
            return found
    return SCHEME_SECTORS.get(scheme, default)


def read_sector_map(data: Any) -> dict[str, str]:
    """A sector map from its JSON: ``{"GB-COH": "firm", "GB-CHC-1015890": "funder", ...}``, each sector checked."""
    if not isinstance(data, dict):
        raise InputError("sector-map", "must be a JSON object of scheme or org id -> sector", 'e.g. {"GB-COH": "firm"}')
    for name, sector in data.items():
        if sector not in SECTORS:
            raise InputError("sector-map", f"{name!r}: unknown sector {sector!r}", f"use one of {', '.join(SECTORS)}")
    return dict(data)


class Giving360:
    """The items of a 360Giving package for the import pipeline, and what the reading noticed.

    ``matched`` collects the keys of organisations found in the ledger by identifier;
    ``rounded`` the grant ids whose amount was read to the penny (see ``_penny``);
    ``quality`` counts the data-quality remarks recorded on the grants, by flag.
    """

    def __init__(
        self,
        ledger: Ledger,
        recipient_sector: str = DEFAULT_RECIPIENT_SECTOR,
        *,
        sector_map: dict[str, str] | None = None,
        strict: bool = False,
        withdraw_missing: bool = False,
    ) -> None:
        if recipient_sector not in SECTORS:
            raise InputError("recipient_sector", f"unknown sector {recipient_sector!r}", f"use one of {SECTORS}")
        self.ledger = ledger
        self.recipient_sector = recipient_sector
        self.sector_map = sector_map or {}
        self.strict = strict
        self.withdraw_missing = withdraw_missing
        #: Grants imported before from this file's funders that the file no longer has (by grant id).
        self.missing: list[str] = []
        self._funders: set[str] = set()
        #: The org ids of the file's funders, in order of first mention (its publisher, for provenance).
        self.funder_ids: list[str] = []
        self._imported: dict[str, _Imported] = {}
        self.matched: set[str] = set()
        self.rounded: list[str] = []
        self.quality: Counter[str] = Counter()
        #: org id -> its key and the draft of its registration, built from its first grant (name and address
        #: from there), or None when the ledger has it already.
        self._organisations: dict[str, tuple[str, Organisation.Registered | None]] = {}

    def items(self, stream: IO[bytes]) -> Iterator[Item]:
        """One ``Item`` per grant: its organisations' registrations (when new), then its award."""
        by_identifier, keys, self._imported = _ledger_state(self.ledger)
        seen: dict[str, int] = {}
        for number, data in enumerate(iter_grants(stream), start=1):
            grant, problems = check_grant(number, data, seen, strict=self.strict)
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
            self.quality.update(q["flag"] for q in grant.quality)
            yield Item(number, grant.grant_id, commands, raw=data, noun="grant", event_ids=ids)
        funders = self._funders
        self.missing = sorted(
            reference
            for reference, known in self._imported.items()
            if known.open and reference not in seen and {p.key for p in known.award.funders} & funders
        )
        if self.withdraw_missing:
            for n, reference in enumerate(self.missing, start=len(seen) + 1):
                yield self._withdrawal(n, self._imported[reference])

    def _withdrawal(self, number: int, known: _Imported) -> Item:
        """The withdrawal of an imported grant missing from the file, effective on the day of the import."""
        event_id = uuid5(NAMESPACE, f"360giving:withdrawn:{known.award.reference}")
        meta = self._envelope(event_id, effective=utc_now().date().isoformat())
        meta["note"] = "missing from a republished 360Giving file (--withdraw-missing)"
        command = Command(draft(Support.Withdrawn, meta, {}, known.award.originator_id))
        return Item(number, known.award.reference, [command], noun="grant", event_ids=(event_id,))

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
            {"key": organisation(o, self._sector(o, "funder"), f"fundingOrganization[{i}]"), "role": "funder"}
            for i, o in enumerate(grant.funders)
        ]
        recipients = [
            {
                "key": organisation(o, self._sector(o, None), f"recipientOrganization[{i}]"),
                "role": "recipient",
            }
            for i, o in enumerate(grant.recipients)
        ]
        quality = grant.quality
        funder_keys = {f["key"] for f in funders}
        if any(r["key"] in funder_keys for r in recipients):
            quality = [*quality, {"flag": "recipient_is_funder", "field": "recipientOrganization"}]
        g = grant.data
        event_id = grant_event_id(grant.grant_id)
        meta = self._envelope(event_id, effective=grant.effective, source=_short(g.get("dataSource")))
        fields: dict[str, Any] = dict(
            kind="grant",
            funders=funders,
            recipients=recipients,
            amount=grant.amount,
            currency=g["currency"],
            title=g["title"] if _fits_text(g["title"], _TEXTS["title"]) else None,
            description=g["description"] if _fits_text(g["description"], _TEXTS["description"]) else None,
            reference=grant.grant_id,
            giving360=grant.giving360(),
            data_quality=quality or None,
            **grant.planned,
        )
        award = draft(Support.Awarded, meta, fields, event_id)
        for o, f in zip(grant.funders, funders, strict=True):
            if f["key"] not in self._funders:
                self._funders.add(f["key"])
                self.funder_ids.append(o["id"])
        known = self._imported.get(grant.grant_id)
        if known is None or award.content() == known.award.content():
            commands.append(Command(award))  # new, or imported before exactly so ("already recorded")
            return commands, (*ids, event_id)
        amendment = self._amendment(grant, award, known)
        commands.append(Command(amendment or known.award))  # none: amended to this already
        return commands, (*ids, event_id, *([amendment.event_id] if amendment else []))

    def _amendment(self, grant: _Grant, award: Support.Awarded, known: _Imported) -> Support.Amended | None:
        """The ``support.amended`` that brings an imported grant to its republished version (None: nothing changed).

        Only the changed fields; ``giving360`` whole when anything in it changed. Effective on the
        grant's ``dateModified`` (its day; the award day if earlier), else on the day of the import.
        """
        for name in FIXED:
            if not _same(getattr(award, name), getattr(known.award, name)):
                raise RuleViolation(
                    name,
                    f"differs from grant {grant.grant_id} as imported before: a republished grant cannot change it",
                    "retract the imported award, then import the file again",
                    code="giving360.fixed_field",
                )
        changes = {
            name: getattr(award, name) for name in AMENDABLE if not _same(getattr(award, name), known.terms[name])
        }
        if not changes:
            return None
        if "amount" in changes or "currency" in changes:
            changes["amount"], changes["currency"] = award.amount, award.currency
        modified = _planned_day(grant.data.get("dateModified"))
        award_day = str(known.award.effective)
        effective = max(modified, award_day) if modified and len(modified) == 10 else utc_now().date().isoformat()
        digest = hashlib.sha1(json.dumps(_dumped(list(changes.items())), default=str).encode()).hexdigest()
        event_id = uuid5(NAMESPACE, f"360giving:amended:{grant.grant_id}:{digest}")
        meta = self._envelope(event_id, effective=effective, source=award.source)
        meta["note"] = f"republished 360Giving grant {grant.grant_id}: {', '.join(sorted(changes))} changed"
        fields = {k: _dumped(v) for k, v in changes.items()}
        if "data_quality" in fields and fields["data_quality"] is None:  # the new version has no remark left
            fields["data_quality"] = []
        return draft(Support.Amended, meta, fields, known.award.originator_id)

    def _sector(self, org: dict[str, Any], side: str | None) -> str:
        """A funder's sector (``funder`` unless the sector map names its id), or a recipient's (``sector_of``)."""
        org_id = org["id"].strip()
        if side is not None:
            return self.sector_map.get(org_id, side)
        return sector_of(org_id, self.sector_map, self.recipient_sector)

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
            name_en=org["name"] if _fits_text(org["name"], _TEXTS["title"]) else _one_line(org["name"]),
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


__all__ = [
    "DEFAULT_RECIPIENT_SECTOR",
    "SCHEME_SECTORS",
    "Giving360",
    "check_grant",
    "identifier_of",
    "iter_grants",
    "key_of",
    "read_sector_map",
    "sector_of",
]
