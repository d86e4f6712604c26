"""The ``netledger`` command: a thin click layer over ``domain`` and ``projections``.

Exit codes: 0 ok; 1 refused by a ledger rule; 2 bad usage or unreadable input.
Expected errors print one line on stderr, never a traceback.
"""

from __future__ import annotations

import atexit
import os
import sqlite3
import sys
import threading
from importlib import import_module
from typing import Any, NoReturn

import click
from eventsourcing.persistence import PersistenceError

from cli.context import Settings
from cli.errors import for_cli
from domain.errors import LedgerError, RuleViolation

DB_HELP = "Ledger file (SQLite). Env: NETLEDGER_DB."
URL_HELP = (
    "A PostgreSQL ledger instead of --db: postgresql://USER@HOST:PORT/DBNAME; the password from the URL, "
    "PGPASSWORD or ~/.pgpass. Env: NETLEDGER_DATABASE_URL."
)
ACTOR_HELP = "Who records the events. Env: NETLEDGER_ACTOR; default: the OS user."
SIGN_KEY_HELP = "Sign every event written with this private key from keygen. Env: NETLEDGER_SIGN_KEY."


#: Every command but ``init``, and where it is defined: a command's module is imported only when it runs
#: (click's lazy-loading group; ``--help`` imports them all to list them).
LAZY_COMMANDS = {
    "org": "cli.org:org",
    "partnership": "cli.partnership:partnership",
    "agreement": "cli.agreement:agreement",
    "support": "cli.support:support",
    "retract": "cli.write:retract",
    "append": "cli.write:append",
    "import": "cli.imports:import_",
    "log": "cli.log:log",
    "show": "cli.log:show",
    "demo": "cli.demo:demo",
    "network": "cli.network:network",
    "report": "cli.report:report",
    "verify": "cli.audit:verify",
    "keygen": "cli.audit:keygen",
    "checkpoint": "cli.audit:checkpoint",
    "prove": "cli.audit:prove",
    "verify-proof": "cli.audit:verify_proof",
    "replay": "cli.audit:replay",
    "export": "cli.audit:export",
    "restore": "cli.audit:restore",
    "migrate": "cli.audit:migrate",
}


class LedgerGroup(click.Group):
    """A click group that loads its commands lazily and turns ledger errors into one line and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY_COMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in LAZY_COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, _, name = LAZY_COMMANDS[cmd_name].partition(":")
        command = getattr(import_module(module), name)
        assert isinstance(command, click.Command) and command.name == cmd_name, cmd_name
        return command

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.BadOptionUsage as exc:  # e.g. ``--db`` last, without its value
            if exc.ctx is not None:
                raise
            _bad_option(exc, ctx)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LedgerError as exc:
            click.echo(f"Error: {_shown(str(_with_suggestions(for_cli(exc), ctx)))}", err=True)
            ctx.exit(exc.exit_code)
        except click.BadOptionUsage as exc:  # e.g. ``org rename a --effective``
            if exc.ctx is not None:
                raise
            _bad_option(exc, ctx)
        except BrokenPipeError:  # e.g. `netledger log | head`: the reader left, nothing went wrong
            sys.stdout = None
            ctx.exit(0)
        except (PersistenceError, sqlite3.Error) as exc:
            message = _shown(" ".join(str(exc).split()))
            click.echo(f"Error: db: the ledger storage failed: {message}", err=True)
            ctx.exit(2)


def _bad_option(exc: click.BadOptionUsage, ctx: click.Context) -> NoReturn:
    """An option given without its value, said as every other input error is: one line naming the option, exit 2.

    click 8.5 raises "Option '--effective' requires an argument." with no context, so it would print
    no usage line either: the line alone, naming no field.
    """
    click.echo(f"Error: {exc.option_name}: {exc.format_message()} (see --help)", err=True)
    ctx.exit(2)


def _shown(text: str) -> str:
    """An error message as the terminal gets it: passwords redacted, control characters escaped."""
    from cli.output import terminal  # only on the error path: a command that succeeds never loads it

    return terminal(_redact(text))


def _with_suggestions(error: LedgerError, ctx: click.Context) -> LedgerError:
    """An unknown organisation's error, with the closest keys of the ledger when there are any.

    Only on this error's path: the ledger is opened again and its directory read
    (``projections.directory``); if anything fails, the error stays as it was.
    """
    if error.code != "organisation.unknown" or not error.subject or not isinstance(ctx.obj, Settings):
        return error
    try:
        from domain.ledger import Ledger
        from projections.directory import closest
        from projections.store import load_network

        with Ledger(ctx.obj.target) as ledger:
            hint = [key for key in closest(load_network(ledger), error.subject) if key != error.subject]
    except Exception:  # a missing or unreadable ledger: no suggestion
        return error
    if not hint:
        return error
    return error.with_fix(f"did you mean {' or '.join(hint)}? or {error.fix}")


def _redact(text: str) -> str:
    """Keep PostgreSQL passwords out of messages (only loaded when a URL was read)."""
    postgres = sys.modules.get("domain.storage.postgres")
    return postgres.redact(text) if postgres is not None else text


@click.group(cls=LedgerGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--db", envvar="NETLEDGER_DB", default="netledger.db", show_default=True, metavar="PATH", help=DB_HELP)
@click.option("--database-url", envvar="NETLEDGER_DATABASE_URL", metavar="URL", help=URL_HELP)
@click.option("--actor", envvar="NETLEDGER_ACTOR", metavar="NAME", help=ACTOR_HELP)
@click.option("--sign-key", envvar="NETLEDGER_SIGN_KEY", metavar="KEY", help=SIGN_KEY_HELP)
@click.version_option(package_name="netledger")
@click.pass_context
def cli(ctx: click.Context, db: str, database_url: str | None, actor: str | None, sign_key: str | None) -> None:
    """netledger: an event-sourced ledger of a collaboration network.

    Record organisations, partnerships, agreements and support as events that
    are never edited; read them back as a timeline.
    """
    ctx.obj = Settings(db=db, actor=actor, database_url=database_url or None, sign_key=sign_key or None)


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
@click.option(
    "--require-signatures",
    is_flag=True,
    help="Every event must be signed (--sign-key): unsigned writes are refused and verify fails on an unsigned event.",
)
@click.pass_obj
def init(settings: Settings, name: str | None, writers: tuple[str, ...], require_signatures: bool) -> None:
    """Create an empty ledger (does nothing to an existing one).

    On PostgreSQL this creates the tables and the triggers that refuse UPDATE,
    DELETE and TRUNCATE on the event, index and chain tables, even for their owner.
    """
    from domain.errors import InputError
    from domain.ledger import Ledger

    if writers and settings.database_url is None:
        raise InputError("grant-writer", "roles exist only on PostgreSQL", "give --database-url, or drop the option")
    with Ledger(
        settings.target, actor=settings.actor, create=True, name=name, require_signatures=require_signatures
    ) as ledger:
        from cli.output import terminal

        if not ledger.created:
            shown = f"ledger '{ledger.name}' already exists at {ledger.location} ({ledger.count()} events)"
            click.echo(terminal(shown))
            if require_signatures and ledger.meta.get("require_signatures") != "yes":
                raise RuleViolation(
                    "require-signatures", "an existing ledger keeps the signature policy it was made with", ""
                )
        else:
            click.echo(terminal(f"created ledger '{ledger.name}' at {ledger.location}"))
        for role in writers:
            ledger.grant_writer(role)
            click.echo(f"granted SELECT, INSERT (no UPDATE, DELETE, TRUNCATE) to role {role}")


def main(args: list[str] | None = None, prog_name: str = "netledger", **extra: Any) -> None:
    """The ``netledger`` console script: run one command, then leave without tearing the interpreter down.

    Tearing down (freeing every module and object one by one) costs ~50 ms after the work is
    done, a fifth of a small write. Skipping it with ``os._exit`` is safe only once nothing is
    left to finish, which is checked here: the command succeeded (a refusal may leave a
    half-opened connection whose finaliser removes SQLite's ``-wal`` file: it takes the normal
    exit), every ledger opened is closed (its transaction committed or rolled back, its
    connections closed, so the database holds exactly what the command reported), stdout and
    stderr are flushed (a failed flush takes the normal exit, which reports it), no other thread
    runs and no ``atexit`` handler is registered. The objects left own nothing outside the
    process. Otherwise the interpreter exits normally.
    """
    try:
        cli.main(args=args, prog_name=prog_name, **extra)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else None
        if code is not None and _nothing_left(code):
            os._exit(code)
        raise


def _nothing_left(code: int) -> bool:
    if code != 0:
        return False
    ledger = sys.modules.get("domain.ledger")
    if ledger is not None and ledger.Ledger.open_count:
        return False
    if threading.active_count() != 1 or atexit._ncallbacks():
        return False
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        return False
    return True
