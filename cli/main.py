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
URL_HELP = (
    "A PostgreSQL ledger instead of --db: postgresql://USER@HOST:PORT/DBNAME; the password from the URL, "
    "PGPASSWORD or ~/.pgpass. Env: NETLEDGER_DATABASE_URL."
)
ACTOR_HELP = "Who records the events. Env: NETLEDGER_ACTOR; default: the OS user."


class LedgerGroup(click.Group):
    """A click group that turns ledger errors into one line and an exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LedgerError as exc:
            click.echo(f"Error: {_redact(str(exc))}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:  # e.g. `netledger log | head`: the reader left, nothing went wrong
            sys.stdout = None
            ctx.exit(0)
        except (PersistenceError, sqlite3.Error) as exc:
            message = _redact(" ".join(str(exc).split()))
            click.echo(f"Error: db: the ledger storage failed: {message}", err=True)
            ctx.exit(2)


def _redact(text: str) -> str:
    """Keep PostgreSQL passwords out of messages (only loaded when a URL was read)."""
    postgres = sys.modules.get("domain.postgres")
    return postgres.redact(text) if postgres is not None else text


@click.group(cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db", envvar="NETLEDGER_DB", default="netledger.db", show_default=True, metavar="PATH", help=DB_HELP)
@click.option("--database-url", envvar="NETLEDGER_DATABASE_URL", metavar="URL", help=URL_HELP)
@click.option("--actor", envvar="NETLEDGER_ACTOR", metavar="NAME", help=ACTOR_HELP)
@click.version_option(package_name="netledger")
@click.pass_context
def cli(ctx: click.Context, db: str, database_url: str | None, actor: str | None) -> None:
    """netledger: an event-sourced ledger of a collaboration network.

    Record organisations, partnerships, agreements and support as events that
    are never edited; read them back as a timeline.
    """
    ctx.obj = Settings(db=db, actor=actor, database_url=database_url or None)


@cli.command()
@click.option("--name", help="Name of the ledger (default: the file or database name).")
@click.option(
    "--grant-writer",
    "writers",
    multiple=True,
    metavar="ROLE",
    help="PostgreSQL only: give ROLE the least privileges to use the ledger (SELECT and INSERT; "
    "no UPDATE, DELETE or TRUNCATE). Repeatable; run as the tables' owner.",
)
@click.pass_obj
def init(settings: Settings, name: str | None, writers: tuple[str, ...]) -> None:
    """Create an empty ledger (does nothing to an existing one).

    On PostgreSQL this creates the tables and the triggers that refuse UPDATE,
    DELETE and TRUNCATE on the event, index and chain tables, even for their owner.
    """
    from domain.errors import InputError
    from domain.ledger import Ledger

    if writers and settings.database_url is None:
        raise InputError("grant-writer", "roles exist only on PostgreSQL", "give --database-url, or drop the option")
    with Ledger(settings.target, actor=settings.actor, create=True, name=name) as ledger:
        if not ledger.created:
            click.echo(f"ledger '{ledger.name}' already exists at {ledger.location} ({ledger.count()} events)")
        else:
            click.echo(f"created ledger '{ledger.name}' at {ledger.location}")
        for role in writers:
            ledger.grant_writer(role)
            click.echo(f"granted SELECT, INSERT (no UPDATE, DELETE, TRUNCATE) to role {role}")


def _register() -> None:
    from cli import agreement, audit, demo, imports, log, network, org, partnership, support, write

    for module in (org, partnership, agreement, support, write, imports, log, demo, network, audit):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()

main = cli
