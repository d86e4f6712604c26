"""The grants as 360Giving data (the network's GraphML and GEXF files are ``projections.graphfiles``).

360Giving
---------
``grants_360giving`` builds a 360Giving Data Standard 1.4.3 package of the grants in
the ledger; ``skipped_360giving`` lists the supports it left out and why;
``export_360giving`` returns both from one pass. The rules are in
``export_360giving``'s docstring.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from os import PathLike
from typing import IO, Any, TypedDict
from uuid import UUID

from domain.dates import PartialDate
from domain.grantdata import Grant360, published
from domain.ledger import Ledger
from domain.organisation import organisation_id
from domain.support import Support
from projections.terms import Positioned, RelationOn, known, organisation_on, relation_on
from projections.timeaxes import query_day

PathOrFile = str | PathLike[str] | IO[bytes]

#: How an exported grant that was imported from 360Giving may differ from its source file; nothing else does.
NORMALISATIONS = (
    "amountAwarded: a binary-float artefact such as 44337.130000000005 is read, and written, to the penny (44337.13)",
    "numbers are written in their shortest JSON form (1500.50 as 1500.5, 1e3 as 1000); their values are equal",
    "members of an object come in the standard's order, not the file's",
)

#: Value types NetworkX's GraphML and GEXF writers accept as they are.
_SCALARS = (str, int, float, bool)


# -- 360Giving -------------------------------------------------------------------------------
class SkippedSupport(TypedDict):
    """A support left out of the 360Giving export, and why."""

    support_id: str
    kind: str | None
    title: str | None
    reason: str


#: Organisation identifier schemes shaped like org-id.guide list codes (``KR-BRN``, ``GB-CHC``, ``XI-GRID``).
_ORG_ID_SCHEME = re.compile(r"[A-Z]{2}-[A-Z0-9]+")
#: Per-list clean-up of the identifier part (org-id.guide writes KR-BRN as its 10 digits).
_ORG_ID_CLEAN = {"KR-BRN": lambda value: re.sub(r"[^0-9]", "", value)}


def org_id(identifiers: list[str] | tuple[str, ...], key: str, *, publisher_prefix: str = "360G-netledger") -> str:
    """The 360Giving organisation id of an organisation.

    The first identifier whose scheme has the shape of an org-id.guide list code
    (two letters, a hyphen, the list: ``KR-BRN``, ``GB-CHC``, ``XI-GRID``) in
    org-id.guide form, ``SCHEME-ID`` (KR-BRN keeps only the 10 digits, other lists
    lose their spaces); else ``<publisher_prefix>-org-<key>``.

    >>> org_id(["KR-BRN:402-82-24197"], "postech")
    'KR-BRN-4028224197'
    >>> org_id(["WIKIDATA:Q1", "GB-CHC:1234 56"], "x")
    'GB-CHC-123456'
    >>> org_id([], "pohang-city")
    '360G-netledger-org-pohang-city'
    """
    for identifier in identifiers:
        scheme, _, value = identifier.partition(":")
        if _ORG_ID_SCHEME.fullmatch(scheme):
            clean = _ORG_ID_CLEAN.get(scheme, lambda v: re.sub(r"\s+", "", v))(value)
            if clean:
                return f"{scheme}-{clean}"
    return f"{publisher_prefix}-org-{key}"


def amount_number(amount: Decimal) -> int | float | None:
    """The JSON number 360Giving's ``amountAwarded`` (type ``number``) gets for *amount*, or None.

    An integral amount becomes an ``int`` (exact at any size). Otherwise a ``float``,
    but only when the float prints back as exactly the same decimal (so the JSON text
    equals the ledger's amount); None when it does not, and the grant is skipped rather
    than published with a rounded amount.

    >>> amount_number(Decimal("7200000000")), amount_number(Decimal("1000.5"))
    (7200000000, 1000.5)
    >>> amount_number(Decimal("123456789012345.123456")) is None
    True
    """
    if amount == amount.to_integral_value():
        return int(amount)
    number = float(amount)
    return number if Decimal(repr(number)) == amount else None


def _organisation(events: list[Positioned], key: str, day: str, prefix: str) -> dict[str, Any] | None:
    """The 360Giving organisation of *key* (its names on *day*), or None when its registration does not count."""
    org = organisation_on(events, day)
    registered = org.registration
    if registered is None:
        return None
    entry: dict[str, Any] = {
        "id": org_id(registered.identifiers, key, publisher_prefix=prefix),
        "name": org.name_en or org.name_ko or key,
    }
    if org.name_en and org.name_ko:
        entry["alternateName"] = org.name_ko
    if registered.locality:
        entry["addressLocality"] = registered.locality
    if registered.country:
        entry["addressCountry"] = registered.country
    return entry


def _grant_id(reference: str | None, support_id: str, prefix: str, used: set[str]) -> str:
    if reference and reference.startswith(f"{prefix}-") and not re.search(r"\s", reference) and reference not in used:
        return reference
    return f"{prefix}-{support_id}"


def export_360giving(
    ledger: Ledger,
    *,
    publisher_prefix: str = "360G-netledger",
    as_of: date | str | PartialDate | None = None,
    position: int | None = None,
    known_at: datetime | None = None,
) -> tuple[dict[str, Any], list[SkippedSupport]]:
    """The ledger's grants as a 360Giving 1.4.3 package, and the supports left out.

    Every grant is exported as it stood on *as_of* (default today; ``"2019"`` is
    2019-12-31), as known at the cut (*position*, *known_at*; default everything
    recorded): its terms in force then (amendments apply from their own date), its
    payments made by then, and the names its organisations had then (docs/time.md).

    What is exported: one grant per support of kind ``grant`` that, on that day, has

    - an amount and a currency (a support without an amount is never published as a
      zero-amount grant; an amount recorded as 0 is published as 0);
    - an award date known to the day (``effective`` of ``support.awarded``): 360Giving's
      ``awardDate`` must be ``YYYY-MM-DD``, and inventing a day would publish a false fact;
    - exactly one recipient: the ledger records one amount for the whole support, and
      360Giving's grant is one award to one recipient, so a grant with several
      recipients cannot be split without inventing how the amount was shared;
    - funders and recipient registered (360Giving needs each one's name);
    - an amount that JSON can carry exactly (see ``amount_number``).

    Every other support is skipped, with the reason: other kinds (loans, guarantees,
    investment, in-kind help and designations are not grants), supports awarded after
    the day, supports withdrawn by then (the grant was cancelled), and supports whose
    award was retracted (the ledger no longer holds that it happened). A support that
    ended (ran its course) is still a grant. Partnerships and agreements are never
    exported and not listed as skipped.

    A grant imported from 360Giving (its award has ``giving360``) is written as its file
    published it (``_as_published``): its own grant id, its organisations as written on it,
    every member kept, with the terms in force on the day (amended amount, title,
    description, planned dates; ``amountDisbursed`` from the payments recorded), so that
    importing the export into the same ledger writes nothing. It differs from its source
    only by ``NORMALISATIONS``. The rules below are those of a grant recorded by hand.

    The grant:

    - ``id``: the support's ``reference`` when it already starts with
      ``<publisher_prefix>-`` (and no other grant uses it), else
      ``<publisher_prefix>-<support id>``;
    - ``title``: the title in force, else ``Grant from <funders> to <recipient>``;
      ``description``: the description in force, else the title;
    - ``currency``, ``amountAwarded`` (a JSON number, exact), ``awardDate``;
      ``amountDisbursed`` when money was paid out by the day;
    - ``plannedDates`` when a planned start or end is known, written with its own
      precision (360Giving's planned dates accept ``YYYY``, ``YYYY-MM`` and ``YYYY-MM-DD``);
    - ``fundingOrganization`` (every funder) and ``recipientOrganization`` (the one
      recipient): ``id`` from ``org_id``, ``name`` the English name else the Korean one,
      ``alternateName`` the Korean name when both are known, ``addressLocality`` and
      ``addressCountry`` (the ISO 3166 code) when registered;
    - ``grantProgramme`` when the support names a programme (``code`` its key, ``title`` its name).

    Parameters
    ----------
    ledger : Ledger
    publisher_prefix : str
        The publisher's 360Giving prefix (it starts with ``360G-``).
    as_of : date or date text, optional
        The day (``projections.timeaxes.query_day``).
    position, known_at : optional
        The knowledge cut: only the events recorded at or before them.

    Returns
    -------
    package : dict
        ``{"grants": [...]}``, JSON-ready. The package schema wants at least one grant:
        a ledger with none gives ``{"grants": []}``, which does not validate.
    skipped : list of SkippedSupport
        ``support_id``, ``kind``, ``title`` and ``reason`` of each support left out, in
        the order they were awarded.

    Raises
    ------
    ValueError
        If *publisher_prefix* does not start with ``360G-`` or contains spaces.
    """
    if not re.fullmatch(r"360G-\S+", publisher_prefix):
        raise ValueError(f"publisher_prefix {publisher_prefix!r} is not a 360Giving prefix (e.g. 360G-netledger)")
    day = query_day(as_of)
    events: dict[UUID, list[Positioned]] = {}
    supports: list[UUID] = []
    for p, e in ledger.events(upto=position):
        if known_at is not None and e.recorded_at > known_at:
            continue
        events.setdefault(e.originator_id, []).append((p, e))
        if isinstance(e, Support.Awarded):
            supports.append(e.originator_id)
    live = {uid: known(found)[0] for uid, found in events.items()}
    grants: list[dict[str, Any]] = []
    skipped: list[SkippedSupport] = []
    used: set[str] = set()
    for uid in supports:
        support = relation_on(live[uid], day)
        outcome = _grant(live, str(uid), support, day, publisher_prefix, used)
        if isinstance(outcome, str):
            award = next(e for _, e in events[uid] if isinstance(e, Support.Awarded))
            title = support.terms.get("title", award.title)
            skipped.append({"support_id": str(uid), "kind": award.kind, "title": title, "reason": outcome})
        else:
            used.add(outcome["id"])
            grants.append(outcome)
    return {"grants": grants}, skipped


def _grant(
    live: dict[UUID, list[Positioned]], support_id: str, support: RelationOn, day: str, prefix: str, used: set[str]
) -> dict[str, Any] | str:
    """The 360Giving grant of *support* (as it stood on *day*), or why there is none."""
    award = support.created
    if award is None:
        return "its award was retracted"
    assert isinstance(award, Support.Awarded)
    terms = support.terms
    if support.status.startswith("not yet"):
        return f"awarded on {award.effective}, after {day}"
    if award.kind != "grant":
        return f"kind {award.kind!r} is not a grant"
    if support.status == "withdrawn" and support.closed is not None:
        return f"withdrawn on {support.closed.effective}"
    amount, currency = terms["amount"], terms["currency"]
    if amount is None or currency is None:
        return "no amount: a grant is published only with its amount and currency"
    given = terms.get("giving360")
    if given is not None and award.reference is not None and award.reference not in used:
        return _as_published(award, given, support, terms, amount, currency)
    award_date = award.effective
    if award_date is None or award_date.precision != "day":
        return f"award date {award_date} is not known to the day (360Giving needs YYYY-MM-DD)"
    if len(award.recipients) != 1:
        return f"{len(award.recipients)} recipients share one amount: it cannot be split among them"
    number = amount_number(amount)
    if number is None:
        return f"amount {amount} cannot be written exactly as a JSON number"
    funders: list[dict[str, Any]] = []
    missing: list[str] = []
    for party in award.funders:
        funder = _organisation(live.get(organisation_id(party.key), []), party.key, day, prefix)
        if funder is None:
            missing.append(party.key)
        else:
            funders.append(funder)
    key = award.recipients[0].key
    recipient = _organisation(live.get(organisation_id(key), []), key, day, prefix)
    if recipient is None:
        missing.append(key)
    if missing or recipient is None:
        return f"not a registered organisation: {', '.join(missing)}"
    title = terms["title"] or f"Grant from {' and '.join(f['name'] for f in funders)} to {recipient['name']}"
    grant: dict[str, Any] = {
        "id": _grant_id(award.reference, support_id, prefix, used),
        "title": title,
        "description": terms["description"] or title,
        "currency": currency,
        "amountAwarded": number,
        "awardDate": award_date.first_day.isoformat(),
    }
    if support.disbursed is not None:
        disbursed = amount_number(support.disbursed)
        if disbursed is not None:
            grant["amountDisbursed"] = disbursed
    planned = {
        name: str(value)
        for name, value in (("startDate", terms["planned_start"]), ("endDate", terms["planned_end"]))
        if value is not None
    }
    if planned:
        grant["plannedDates"] = [planned]
    grant["fundingOrganization"] = funders
    grant["recipientOrganization"] = [recipient]
    if award.programme is not None:
        programme = organisation_on(live.get(organisation_id(award.programme), []), day)
        name = (programme.name_en or programme.name_ko) if programme.registration is not None else None
        grant["grantProgramme"] = [{"code": award.programme, "title": name or award.programme}]
    return grant


def _as_published(
    award: Support.Awarded, given: Grant360, support: RelationOn, terms: dict[str, Any], amount: Decimal, currency: str
) -> dict[str, Any] | str:
    """An imported grant as its file published it, with the terms in force (amendments, payments) on the day.

    Every member comes back as given (``giving360``: the typed members, then ``original``
    verbatim), except the normalisations listed in docs/operator.md.
    """
    number = amount_number(amount)
    if number is None:
        return f"amount {amount} cannot be written exactly as a JSON number"
    original = given.original
    grant: dict[str, Any] = {
        "id": award.reference,
        "title": terms["title"] if terms["title"] is not None else original.get("title"),
        "description": terms["description"] if terms["description"] is not None else original.get("description"),
        "currency": currency,
        "amountAwarded": number,
        "awardDate": given.awardDate,
    }
    for name in ("plannedDates", "recipientOrganization", "fundingOrganization", "grantProgramme"):
        value = getattr(given, name)
        if value is not None:
            grant[name] = published(value)
    for name in ("beneficiaryLocation", "classifications"):
        value = getattr(given, name)
        if value is not None:
            grant[name] = published(value)
    for name, value in original.items():
        grant.setdefault(name, value)
    planned = grant.get("plannedDates")
    for field, member in (("planned_start", "startDate"), ("planned_end", "endDate")):
        now = terms[field]
        if now is not None and str(now) != str(getattr(award, field)):  # amended since: the term in force
            if not isinstance(planned, list) or not planned or not isinstance(planned[0], dict):
                planned = grant["plannedDates"] = [{}]
            planned[0][member] = str(now)
    if support.disbursed is not None:
        disbursed = amount_number(support.disbursed)
        if disbursed is not None:
            grant["amountDisbursed"] = disbursed
    return grant


def grants_360giving(
    ledger: Ledger, *, publisher_prefix: str = "360G-netledger", as_of: date | str | PartialDate | None = None
) -> dict[str, Any]:
    """The ledger's grants as a 360Giving 1.4.3 package ``{"grants": [...]}``.

    Which supports become grants, and how, is described in ``export_360giving``;
    ``skipped_360giving`` lists the others with the reason.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = tempfile.TemporaryDirectory()
    >>> ledger = Ledger(pathlib.Path(folder.name) / "g.db", actor="doc", create=True)
    >>> _ = ledger.register_organisation("nrf", sector="funder", name_en="NRF", identifiers=["KR-BRN:3148212345"])
    >>> _ = ledger.register_organisation("postech", sector="university", name_ko="포스텍", country="KR")
    >>> sid = ledger.award_support(kind="grant", funders=["nrf"], recipients=["postech"],
    ...                            amount="50000000", currency="KRW", effective="2020-03-02").aggregate_id
    >>> grant = grants_360giving(ledger)["grants"][0]
    >>> grant["id"] == f"360G-netledger-{sid}", grant["title"], grant["amountAwarded"], grant["awardDate"]
    (True, 'Grant from NRF to 포스텍', 50000000, '2020-03-02')
    >>> grant["fundingOrganization"], grant["recipientOrganization"][0]["addressCountry"]
    ([{'id': 'KR-BRN-3148212345', 'name': 'NRF'}], 'KR')
    >>> ledger.close(); folder.cleanup()
    """
    return export_360giving(ledger, publisher_prefix=publisher_prefix, as_of=as_of)[0]


def skipped_360giving(
    ledger: Ledger, *, publisher_prefix: str = "360G-netledger", as_of: date | str | PartialDate | None = None
) -> list[SkippedSupport]:
    """The supports ``grants_360giving`` leaves out, each with ``support_id``, ``kind``, ``title`` and ``reason``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = tempfile.TemporaryDirectory()
    >>> ledger = Ledger(pathlib.Path(folder.name) / "s.db", actor="doc", create=True)
    >>> _ = ledger.register_organisation("kosme", sector="funder", name_en="KOSME")
    >>> _ = ledger.register_organisation("firm", sector="firm", name_en="A firm")
    >>> _ = ledger.award_support(kind="loan", funders=["kosme"], recipients=["firm"],
    ...                          amount="100000000", currency="KRW", effective="2019-08-22")
    >>> _ = ledger.award_support(kind="grant", funders=["kosme"], recipients=["firm"],
    ...                          amount="5000000", currency="KRW", effective="2019-08")
    >>> [s["reason"] for s in skipped_360giving(ledger)]
    ["kind 'loan' is not a grant", 'award date 2019-08 is not known to the day (360Giving needs YYYY-MM-DD)']
    >>> ledger.close(); folder.cleanup()
    """
    return export_360giving(ledger, publisher_prefix=publisher_prefix, as_of=as_of)[1]


__all__ = [
    "NORMALISATIONS",
    "SkippedSupport",
    "amount_number",
    "export_360giving",
    "grants_360giving",
    "org_id",
    "skipped_360giving",
]
