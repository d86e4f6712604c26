"""What every command shares: opening the ledger, envelope options, reporting outcomes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from domain.errors import InputError
from domain.ledger import Ledger

if TYPE_CHECKING:
    from domain.session import Outcome


@dataclass
class Settings:
    """Global options of the ``netledger`` group."""

    db: str
    actor: str | None
    database_url: str | None = None
    #: The writer's signing key (``--sign-key``), loaded only by commands that write.
    sign_key: str | None = None

    @property
    def target(self) -> str:
        """The PostgreSQL URL when given, else the SQLite file."""
        return self.database_url or self.db

    def open(self, *, create: bool = False, missing: str = "", write: bool = False) -> Ledger:
        """The ledger at ``target``; *missing*: the fix of the error when there is none (and not *create*);
        *write*: with the signing key, if one was given."""
        sign_key = self.sign_key if write else None
        return Ledger(self.target, actor=self.actor, create=create, missing=missing, sign_key=sign_key)


pass_settings = click.make_pass_decorator(Settings)


def envelope_options(*, effective_required: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options every recording command takes: --effective, --source, --note, --event-id."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(
            [
                click.option(
                    "--effective",
                    required=effective_required,
                    metavar="DATE",
                    help="When it happened in the world: YYYY, YYYY-MM or YYYY-MM-DD.",
                ),
                click.option("--source", metavar="URL|REF", help="Where the fact comes from."),
                click.option("--note", help="Free-text note."),
                click.option(
                    "--event-id",
                    metavar="UUID",
                    help="Id for the new event (default: a new UUID); re-sending an id is a no-op.",
                ),
            ]
        ):
            f = option(f)
        return f

    return decorate


def meta_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Pop the envelope options out of a command's keyword arguments."""
    return {k: kwargs.pop(k) for k in ("effective", "source", "note", "event_id")}


def report(outcome: Outcome, *, print_id: bool = False) -> None:
    """Say what happened on stderr; print the new aggregate id on stdout when asked."""
    event = outcome.event
    where = f" at position {outcome.position}" if outcome.position else ""
    if outcome.status == "already recorded":
        click.echo(f"already recorded: {event.type_name} {event.event_id}{where}", err=True)
    else:
        click.echo(f"recorded {event.type_name} {event.event_id}{where}", err=True)
    if print_id:
        click.echo(str(outcome.aggregate_id))


#: ``--create``: the writing commands that may make a new ledger (``import``, ``append``).
create_option = click.option(
    "--create", is_flag=True, help="Create the ledger if there is none at --db/--database-url (else refused)."
)


def writes(f: Callable[..., Outcome | None]) -> Callable[..., None]:
    """Decorator: open an existing ledger, run the command, close it.

    A ledger that does not exist is refused (exit 2), so a mistyped ``--db`` never makes a
    new, empty ledger; a command with ``--create`` (``create_option``) makes one when given it.
    A new file that the command leaves empty (a refusal, a dry run) is removed again.
    """

    @wraps(f)
    def wrapper(settings: Settings, *args: Any, **kwargs: Any) -> None:
        create = bool(kwargs.pop("create", False))
        path = Path(settings.db)
        is_new = create and settings.database_url is None and not path.exists()
        try:
            with settings.open(create=create, missing=MISSING_FIX, write=True) as ledger:
                f(ledger, *args, **kwargs)
                wrote_nothing = ledger.head() == 0  # O(1), unlike counting the events
            if is_new and wrote_nothing:  # e.g. a dry run: a command that wrote nothing leaves no file
                _remove(path)
        except BaseException:
            if is_new:  # a refused first command leaves no empty ledger behind
                _remove(path)
            raise

    return pass_settings(wrapper)


MISSING_FIX = "run 'netledger init' first or check the path; import and append take --create"


def _remove(path: Path) -> None:
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)


def reads(f: Callable[..., Any]) -> Callable[..., None]:
    """Decorator: open an existing ledger, run the command, close it."""

    @wraps(f)
    def wrapper(settings: Settings, *args: Any, **kwargs: Any) -> None:
        with settings.open() as ledger:
            f(ledger, *args, **kwargs)

    return pass_settings(wrapper)


def currency_code(value: str | None, field: str = "--currency") -> str | None:
    """An ISO 4217 code as given (``KRW``), or an ``InputError`` naming *field*; None stays None."""
    if value is None:
        return None
    from domain.values import currencies

    if value not in currencies():
        raise InputError(field, f"{value!r} is not an ISO 4217 currency code", "give one such as KRW, USD or GBP")
    return value
