"""``netledger agreement``: sign, amend and terminate agreements (MOUs, contracts, consortia)."""

from __future__ import annotations

import click

from cli.context import envelope_options, meta_kwargs, report, writes
from cli.partnership import PARTY_HELP
from domain.agreement import AGREEMENT_KINDS
from domain.ledger import Ledger


@click.group()
def agreement() -> None:
    """Agreements signed by two or more parties."""


@agreement.command()
@click.option("--kind", required=True, type=click.Choice(AGREEMENT_KINDS), help="Kind of agreement.")
@click.option("--title", required=True, help="Title of the agreement.")
@click.option("--party", "parties", multiple=True, required=True, metavar="KEY[:ROLE]", help=PARTY_HELP)
@click.option("--term-end", metavar="DATE", help="Date the agreement was meant to run until.")
@envelope_options(effective_required=True)
@writes
def sign(
    ledger: Ledger, kind: str, title: str, parties: tuple[str, ...], term_end: str | None, **kwargs: object
) -> None:
    """Record a signed agreement (--effective is the signing date); prints its id."""
    outcome = ledger.sign_agreement(parties, kind=kind, title=title, term_end=term_end, **meta_kwargs(kwargs))
    report(outcome, print_id=True)


@agreement.command()
@click.argument("agreement_id", metavar="ID")
@click.option("--title", help="New title.")
@click.option("--party", "parties", multiple=True, metavar="KEY[:ROLE]", help="Replace the parties (repeat).")
@click.option("--term-end", metavar="DATE", help="New end of term.")
@envelope_options(effective_required=True)
@writes
def amend(
    ledger: Ledger,
    agreement_id: str,
    title: str | None,
    parties: tuple[str, ...],
    term_end: str | None,
    **kwargs: object,
) -> None:
    """Record an amendment of agreement ID (only the options given change)."""
    outcome = ledger.amend_agreement(
        agreement_id, title=title, parties=parties or None, term_end=term_end, **meta_kwargs(kwargs)
    )
    report(outcome)


@agreement.command()
@click.argument("agreement_id", metavar="ID")
@envelope_options(effective_required=True)
@writes
def terminate(ledger: Ledger, agreement_id: str, **kwargs: object) -> None:
    """Record that agreement ID was terminated."""
    report(ledger.terminate_agreement(agreement_id, **meta_kwargs(kwargs)))


COMMANDS = [agreement]
