"""A 360Giving grant as its funder published it: the ``giving360`` member of ``support.awarded``.

An imported grant keeps everything its file said. The members the ledger reads or
types are value objects named exactly as in the 360Giving Data Standard 1.4.3
(``plannedDates``, ``grantProgramme``, ``beneficiaryLocation``, ``classifications``,
the organisations as written on *this* grant, the ``awardDate`` text with its time
and zone); every other member of the grant is kept verbatim, as JSON, in
``original``. Strings are kept as given (no trimming). Numbers in the typed members
are exact decimals (stored as text, like amounts); numbers in ``original`` are JSON
numbers.

A member whose value does not fit its typed form (an object with a field the standard
does not define, a value of another type) is kept whole in ``original`` instead, so
nothing is ever dropped. ``DataQuality`` names what the standard allows but the ledger
would otherwise refuse, and the schema errors found in members kept verbatim.

>>> g = Grant360.model_validate({"awardDate": "2020-11-03T00:00:00+00:00",
...     "plannedDates": [{"duration": Decimal("36")}], "original": {"amountAppliedFor": 15000}})
>>> g.model_dump(mode="json", exclude_none=True)["plannedDates"], published(g.plannedDates)
([{'duration': '36'}], [{'duration': 36}])
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from typing_extensions import TypedDict

#: Text as given: any string the ledger can store (no NUL; a lone surrogate is refused too), not trimmed.
#: A pattern, not a Python validator: pydantic-core checks it (a grant holds dozens of these).
Given = Annotated[str, Field(pattern=r"^[^\x00]*$")]

# The 360Giving objects are typed dicts: validated and serialised by pydantic-core alone, and only the
# fields the file gave are stored (an absent field is not written as null). No other field is allowed:
# an object with one goes whole to ``original``.
_STRICT = ConfigDict(extra="forbid")


class Period(TypedDict, total=False):
    """One of ``plannedDates`` (the standard's ``Event``)."""

    __pydantic_config__ = _STRICT  # type: ignore[misc]
    title: Given
    startDate: Given
    endDate: Given
    duration: Decimal
    description: Given
    dateModified: Given


class Location(TypedDict, total=False):
    """One of ``beneficiaryLocation``, or of an organisation's ``location``."""

    __pydantic_config__ = _STRICT  # type: ignore[misc]
    id: Given
    name: Given
    countryCode: Given
    latitude: Decimal
    longitude: Decimal
    description: Given
    geoCode: Given
    geoCodeType: Given
    dateModified: Given


class Classification(TypedDict, total=False):
    """One of ``classifications``."""

    __pydantic_config__ = _STRICT  # type: ignore[misc]
    vocabulary: Given
    code: Given
    title: Given
    description: Given
    url: Given
    dateModified: Given


class Programme(TypedDict, total=False):
    """One of ``grantProgramme``."""

    __pydantic_config__ = _STRICT  # type: ignore[misc]
    code: Given
    title: Given
    description: Given
    url: Given
    dateModified: Given


class OrganisationAsGiven(TypedDict, total=False):
    """A funding or recipient organisation exactly as this grant writes it (its name here, its address here)."""

    __pydantic_config__ = _STRICT  # type: ignore[misc]
    id: Given
    name: Given
    department: Given
    contactName: Given
    charityNumber: Given
    companyNumber: Given
    streetAddress: Given
    addressLocality: Given
    addressRegion: Given
    addressCountry: Given
    postalCode: Given
    telephone: Given
    alternateName: Given
    email: Given
    description: Given
    organisationType: Given
    url: Given
    location: list[Location]
    dateModified: Given


#: The typed members of ``Grant360`` (besides ``awardDate``), by 360Giving name.
TYPED: dict[str, Any] = {
    "plannedDates": Period,
    "fundingOrganization": OrganisationAsGiven,
    "recipientOrganization": OrganisationAsGiven,
    "grantProgramme": Programme,
    "beneficiaryLocation": Location,
    "classifications": Classification,
}


class Grant360(BaseModel):
    """What a 360Giving file said about one grant, beyond the fields ``support.awarded`` has of its own.

    ``support.awarded`` holds ``reference`` (the grant's ``id``), ``title``, ``description``,
    ``currency``, ``amount`` (``amountAwarded``), ``effective`` (the day of ``awardDate``),
    ``planned_start`` / ``planned_end`` (from ``plannedDates[0]``); ``source`` is ``dataSource``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    #: ``awardDate`` as given, time and zone included.
    awardDate: Given
    plannedDates: list[Period] | None = None
    fundingOrganization: list[OrganisationAsGiven] | None = None
    recipientOrganization: list[OrganisationAsGiven] | None = None
    grantProgramme: list[Programme] | None = None
    beneficiaryLocation: list[Location] | None = None
    classifications: list[Classification] | None = None
    #: Every other member of the grant, verbatim (``amountAppliedFor``, ``dateModified``, ``fromOpenCall``, ...).
    original: dict[str, JsonValue] = Field(default_factory=dict)


#: Data-quality flags: what the standard allows and the ledger records, marked.
FLAGS = {
    "recipient_is_funder": "a recipient has a funder's identifier (no tie is drawn between an organisation and itself)",
    "individual_recipient": "the recipient is an individual (recipientIndividual): no recipient organisation, no tie",
    "zero_amount": "amountAwarded is 0",
}


class DataQuality(BaseModel):
    """One data-quality remark on an imported event: a flag of ``FLAGS``, or ``schema`` with the error."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    flag: str
    field: str | None = None
    message: str | None = None

    def __str__(self) -> str:
        if self.flag == "schema":
            return f"schema: {self.field}: {self.message}"
        return self.flag


def plain(value: Any) -> Any:
    """*value* with every ``Decimal`` made a JSON number (``int`` when written without a point, else ``float``).

    >>> plain({"a": [Decimal("15000"), Decimal("1.50")]})
    {'a': [15000, 1.5]}
    """
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and "." not in str(value) else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def number(value: Decimal) -> int | float:
    """The JSON number of an exact decimal: ``int`` when integral, else the nearest ``float``.

    >>> number(Decimal("36")), number(Decimal("51.5074"))
    (36, 51.5074)
    """
    return int(value) if value == value.to_integral_value() else float(value)


def published(member: Any) -> Any:
    """A typed member back in its 360Giving form: decimals as JSON numbers."""
    if isinstance(member, list):
        return [published(m) for m in member]
    if isinstance(member, dict):
        return {k: published(v) for k, v in member.items()}
    if isinstance(member, Decimal):
        return number(member)
    return member


__all__ = [
    "FLAGS",
    "TYPED",
    "Classification",
    "DataQuality",
    "Grant360",
    "Location",
    "OrganisationAsGiven",
    "Period",
    "Programme",
    "number",
    "plain",
    "published",
]
