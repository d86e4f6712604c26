"""``netledger support``: award, amend, disburse, end and withdraw support."""

from __future__ import annotations

import click

from cli.context import envelope_options, meta_kwargs, report, writes
from domain.ledger import Ledger
from domain.support import SUPPORT_KINDS


@click.group()
def support() -> None:
    """Grants, loans, guarantees, investment, in-kind help and designations."""


def _money(f):  # type: ignore[no-untyped-def]
    f = click.option("--currency", metavar="CODE", help="ISO 4217 currency, e.g. KRW (with --amount).")(f)
    return click.option("--amount", metavar="DECIMAL", help="Amount, e.g. 7200000000 (with --currency).")(f)


@support.command()
@click.option("--kind", required=True, type=click.Choice(SUPPORT_KINDS), help="Kind of support.")
@click.option("--funder", "funders", multiple=True, required=True, metavar="KEY[:ROLE]", help="Funder (repeatable).")
@click.option(
    "--recipient", "recipients", multiple=True, required=True, metavar="KEY[:ROLE]", help="Recipient (repeatable)."
)
@click.option("--programme", metavar="KEY", help="Programme it runs through (an organisation of sector programme).")
@_money
@click.option("--planned-start", metavar="DATE", help="Planned start.")
@click.option("--planned-end", metavar="DATE", help="Planned end.")
@click.option("--title", help="Title.")
@click.option("--description", help="Description.")
@click.option("--reference", help="External reference, e.g. a grant id.")
@envelope_options(effective_required=True)
@writes
def award(ledger: Ledger, **kwargs: object) -> None:
    """Record awarded support (--effective is the award date); prints its id."""
    meta = meta_kwargs(kwargs)
    report(ledger.award_support(**kwargs, **meta), print_id=True)  # type: ignore[arg-type]


@support.command()
@click.argument("support_id", metavar="ID")
@_money
@click.option("--planned-start", metavar="DATE", help="New planned start.")
@click.option("--planned-end", metavar="DATE", help="New planned end.")
@click.option("--title", help="New title.")
@click.option("--description", help="New description.")
@envelope_options(effective_required=True)
@writes
def amend(ledger: Ledger, support_id: str, **kwargs: object) -> None:
    """Record an amendment of support ID (only the options given change)."""
    meta = meta_kwargs(kwargs)
    report(ledger.amend_support(support_id, **kwargs, **meta))  # type: ignore[arg-type]


@support.command()
@click.argument("support_id", metavar="ID")
@click.option("--amount", required=True, metavar="DECIMAL", help="Amount paid out.")
@click.option("--currency", required=True, metavar="CODE", help="ISO 4217 currency.")
@envelope_options(effective_required=True)
@writes
def disburse(ledger: Ledger, support_id: str, amount: str, currency: str, **kwargs: object) -> None:
    """Record a payment made under support ID."""
    report(ledger.disburse_support(support_id, amount=amount, currency=currency, **meta_kwargs(kwargs)))


@support.command()
@click.argument("support_id", metavar="ID")
@envelope_options(effective_required=True)
@writes
def end(ledger: Ledger, support_id: str, **kwargs: object) -> None:
    """Record that support ID ran its course (expired, repaid)."""
    report(ledger.end_support(support_id, **meta_kwargs(kwargs)))


@support.command()
@click.argument("support_id", metavar="ID")
@envelope_options(effective_required=True)
@writes
def withdraw(ledger: Ledger, support_id: str, **kwargs: object) -> None:
    """Record that support ID was withdrawn (cancelled)."""
    report(ledger.withdraw_support(support_id, **meta_kwargs(kwargs)))


COMMANDS = [support]
