"""``netledger demo``: build the Pohang demo ledger and say what it holds."""

from __future__ import annotations

from collections import Counter

import click

from cli.context import Settings
from cli.output import render_table


@click.command()
@click.option("--db", "db", metavar="PATH", help="Ledger file to build (default: the global --db).")
@click.pass_obj
def demo(settings: Settings, db: str | None) -> None:
    """Build the Pohang network of 2019-08-22 into an empty ledger and print it."""
    from domain.demo import build_demo
    from domain.ledger import Ledger

    target = db or settings.target
    with Ledger(target, actor=settings.actor, create=True, name="pohang-demo", sign_key=settings.sign_key) as ledger:
        report = build_demo(ledger)
        path = ledger.location
        again = f"--db {path}" if ledger.path is not None else "--database-url URL"
        click.echo(f"Pohang demo ledger: {path} ({report.event_count} events)\n")
        sectors = Counter(o["sector"] for o in report.organisations)
        named = sum(1 for o in report.organisations if o["in_seed_article"] == "yes")
        click.echo(
            f"{len(report.organisations)} organisations ({named} named by the 2019-08-22 seed article): "
            + ", ".join(f"{n} {s}" for s, n in sorted(sectors.items()))
        )
        rows = [
            {
                "row": row["event_id"],
                "effective": row["date"],
                "recorded as": outcome.event.type_name
                + (f" ({getattr(outcome.event, 'kind', '')})" if hasattr(outcome.event, "kind") else ""),
                "subject": row["subject"],
                "object": row["object"],
                "amount": f"{row['amount']} {row['currency']}" if row["amount"] else "",
            }
            for row, outcome in report.relations
        ]
        click.echo(f"\n{len(rows)} relations, with sources (see 'netledger {again} log'):")
        click.echo(render_table(rows, ["row", "effective", "recorded as", "subject", "object", "amount"]))

        from projections.centrality import centrality
        from projections.store import load_network

        graph = load_network(ledger)
        for day in ("2019-08-01", "2019-12-31"):
            top = centrality(graph, "betweenness", as_of=day, top=3)
            ranked = ", ".join(f"{key} {score:.3f}" for key, score in top.items())
            click.echo(f"\nBrokers (betweenness) as of {day}: {ranked}")
        click.echo(f"\nNext: netledger {again} network summary --as-of 2019-12-31 (see docs/planner.md)")


COMMANDS = [demo]
