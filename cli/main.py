"""The ``netledger`` command: a thin click layer over ``domain`` and ``projections``.

Exit codes: 0 ok; 1 refused by a ledger rule; 2 bad usage or unreadable input.
Expected errors print one line on stderr, never a traceback.
"""

from __future__ import annotations

import sqlite3
import sys
from typing import Any

import click
from eventsourcing.persistence import PersistenceError

from cli.context import Settings
from domain.errors import LedgerError

DB_HELP = "Ledger file (SQLite). Env: NETLEDGER_DB."
ACTOR_HELP = "Who records the events. Env: NETLEDGER_ACTOR; default: the OS user."


class LedgerGroup(click.Group):
    """A click group that turns ledger errors into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LedgerError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:  # e.g. `netledger log | head`: the reader left, nothing went wrong
            sys.stdout = None
            ctx.exit(0)
        except (PersistenceError, sqlite3.Error) as exc:
            message = " ".join(str(exc).split())
            click.echo(f"Error: db: the ledger storage failed: {message}", err=True)
            ctx.exit(2)


@click.group(cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db", envvar="NETLEDGER_DB", default="netledger.db", show_default=True, metavar="PATH", help=DB_HELP)
@click.option("--actor", envvar="NETLEDGER_ACTOR", metavar="NAME", help=ACTOR_HELP)
@click.version_option(package_name="netledger")
@click.pass_context
def cli(ctx: click.Context, db: str, actor: str | None) -> None:
    """netledger: an event-sourced ledger of a collaboration network.

    Record organisations, partnerships, agreements and support as events that
    are never edited; read them back as a timeline.
    """
    ctx.obj = Settings(db=db, actor=actor)


@cli.command()
@click.option("--name", help="Name of the ledger (default: the file name).")
@click.pass_obj
def init(settings: Settings, name: str | None) -> None:
    """Create an empty ledger (does nothing to an existing one)."""
    from pathlib import Path

    from domain.ledger import Ledger

    existed = Path(settings.db).exists() and Path(settings.db).stat().st_size > 0
    with Ledger(settings.db, actor=settings.actor, create=True, name=name) as ledger:
        if existed:
            click.echo(f"ledger '{ledger.name}' already exists at {settings.db} ({ledger.count()} events)")
        else:
            click.echo(f"created ledger '{ledger.name}' at {settings.db}")


def _register() -> None:
    from cli import agreement, audit, demo, imports, log, network, org, partnership, support, write

    for module in (org, partnership, agreement, support, write, imports, log, demo, network, audit):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()

main = cli
