"""``netledger org``: register, rename and dissolve organisations."""

from __future__ import annotations

import click

from cli.context import envelope_options, meta_kwargs, reads, report, writes
from cli.output import emit, format_option
from cli.when import as_of_option, count, day
from domain.ledger import Ledger
from domain.sectors import SECTORS


@click.group()
def org() -> None:
    """Organisations: register, rename, dissolve; list and search them."""


@org.command()
@click.argument("key")
@click.option("--name-ko", help="Korean name.")
@click.option("--name-en", help="English name (give at least one of the two names).")
@click.option("--sector", required=True, type=click.Choice(SECTORS), help="Sector of the organisation.")
@click.option("--subtype", help="Finer kind, free text (e.g. 'technopark foundation').")
@click.option(
    "--id", "identifiers", multiple=True, metavar="SCHEME:ID", help="Identifier, e.g. KR-BRN:4028224197 (repeatable)."
)
@click.option("--country", metavar="CC", help="ISO 3166-1 alpha-2 country code, e.g. KR.")
@click.option("--locality", help="City or region.")
@envelope_options()
@writes
def register(ledger: Ledger, key: str, **kwargs: object) -> None:
    """Register organisation KEY (a stable slug such as 'postech')."""
    meta = meta_kwargs(kwargs)
    report(ledger.register_organisation(key, **kwargs, **meta))  # type: ignore[arg-type]


@org.command()
@click.argument("key")
@click.option("--name-ko", help="New Korean name.")
@click.option("--name-en", help="New English name.")
@envelope_options()
@writes
def rename(ledger: Ledger, key: str, name_ko: str | None, name_en: str | None, **kwargs: object) -> None:
    """Record a new name for KEY; earlier names stay in its history."""
    report(ledger.rename_organisation(key, name_ko=name_ko, name_en=name_en, **meta_kwargs(kwargs)))


@org.command()
@click.argument("key")
@envelope_options()
@writes
def dissolve(ledger: Ledger, key: str, **kwargs: object) -> None:
    """Record that KEY ceased to exist; it can join no new relation."""
    report(ledger.dissolve_organisation(key, **meta_kwargs(kwargs)))


COMMANDS = [org]


@org.command(name="list")
@click.option("--sector", type=click.Choice(SECTORS), help="Only organisations of this sector.")
@as_of_option("Only the organisations that exist on DATE, with their names then (YYYY and YYYY-MM: the last day).")
@format_option()
@reads
def list_(ledger: Ledger, sector: str | None, as_of: str | None, fmt: str) -> None:
    """Every registered organisation, by key: names, sector, identifiers, registration and dissolution."""
    from projections.directory import COLUMNS, organisations
    from projections.store import load_network

    when = day(as_of) if as_of is not None else None
    emit(organisations(load_network(ledger), sector=sector, as_of=when), fmt, COLUMNS)


@org.command()
@click.argument("text")
@click.option("--top", default="10", show_default=True, metavar="N", help="At most N organisations.")
@format_option()
@reads
def search(ledger: Ledger, text: str, top: str, fmt: str) -> None:
    """Find organisations by key, English or Korean name, or identifier: exact, partial or close spellings."""
    from projections.directory import search as find
    from projections.store import load_network

    rows = find(load_network(ledger), text, top=count(top, "--top", minimum=1))
    emit(rows, fmt, ["key", "name_en", "name_ko", "sector", "score", "matched", "found"])
