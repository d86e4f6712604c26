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

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    SerializerFunctionWrapHandler,
    model_serializer,
)

from domain.values import _no_nul

#: Text as given: any string the ledger can store (no NUL, no lone surrogate), not trimmed.
Given = Annotated[str, AfterValidator(_no_nul)]


class _Member(BaseModel):
    """A 360Giving object: frozen, only the standard's fields (anything else goes to ``original``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True, strict=False)

    @model_serializer(mode="wrap")
    def _given_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Only the fields the file gave (a stored grant does not spell out every absent one)."""
        return {k: v for k, v in handler(self).items() if v is not None}


class Period(_Member):
    """One of ``plannedDates`` (the standard's ``Event``)."""

    title: Given | None = None
    startDate: Given | None = None
    endDate: Given | None = None
    duration: Decimal | None = None
    description: Given | None = None
    dateModified: Given | None = None


class Location(_Member):
    """One of ``beneficiaryLocation``, or of an organisation's ``location``."""

    id: Given | None = None
    name: Given | None = None
    countryCode: Given | None = None
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    description: Given | None = None
    geoCode: Given | None = None
    geoCodeType: Given | None = None
    dateModified: Given | None = None


class Classification(_Member):
    """One of ``classifications``."""

    vocabulary: Given | None = None
    code: Given | None = None
    title: Given | None = None
    description: Given | None = None
    url: Given | None = None
    dateModified: Given | None = None


class Programme(_Member):
    """One of ``grantProgramme``."""

    code: Given | None = None
    title: Given | None = None
    description: Given | None = None
    url: Given | None = None
    dateModified: Given | None = None


class OrganisationAsGiven(_Member):
    """A funding or recipient organisation exactly as this grant writes it (its name here, its address here)."""

    id: Given
    name: Given | None = None
    department: Given | None = None
    contactName: Given | None = None
    charityNumber: Given | None = None
    companyNumber: Given | None = None
    streetAddress: Given | None = None
    addressLocality: Given | None = None
    addressRegion: Given | None = None
    addressCountry: Given | None = None
    postalCode: Given | None = None
    telephone: Given | None = None
    alternateName: Given | None = None
    email: Given | None = None
    description: Given | None = None
    organisationType: Given | None = None
    url: Given | None = None
    location: list[Location] | None = None
    dateModified: Given | None = None


#: The typed members of ``Grant360`` (besides ``awardDate``), by 360Giving name.
TYPED: dict[str, type[_Member]] = {
    "plannedDates": Period,
    "fundingOrganization": OrganisationAsGiven,
    "recipientOrganization": OrganisationAsGiven,
    "grantProgramme": Programme,
    "beneficiaryLocation": Location,
    "classifications": Classification,
}


class Grant360(_Member):
    """What a 360Giving file said about one grant, beyond the fields ``support.awarded`` has of its own.

    ``support.awarded`` holds ``reference`` (the grant's ``id``), ``title``, ``description``,
    ``currency``, ``amount`` (``amountAwarded``), ``effective`` (the day of ``awardDate``),
    ``planned_start`` / ``planned_end`` (from ``plannedDates[0]``); ``source`` is ``dataSource``.
    """

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
    """A typed member back in its 360Giving form: only the fields given, decimals as JSON numbers."""
    if isinstance(member, list):
        return [published(m) for m in member]
    if isinstance(member, BaseModel):
        return {k: published(v) for k, v in member if v is not None}
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
