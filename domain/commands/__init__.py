"""Commands: the unit of the write side, one typed handler per event type, registered by event class.

A command is a *draft*: the event to record, validated once (by
``domain.commands.drafts``, or in batches by ``domain.records``), whose
``originator_version`` is not known yet (the draft says 1). Its handler loads the
aggregates it needs through the ``Session`` and calls the aggregate's typed
method, which checks every rule of that event, creation included, and records it.

Handlers live beside each other by aggregate (``domain/commands/organisation.py``,
``partnership.py``, ``agreement.py``, ``support.py``, and ``retraction.py`` for
every aggregate's ``Retracted``). ``handler_for`` imports a module only when one
of its event types is first asked for, so a write loads the models it needs and
no others. The CLI's commands, ``append``, every importer, the demo and the bulk
all look handlers up here.

>>> from domain.partnership import Partnership
>>> handler_for(Partnership.Ended).__name__
'end_partnership'
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from domain.events import LedgerEvent
    from domain.session import Outcome, Session

#: A handler: record the draft's event through the session (or find it already recorded).
Handler = Callable[["Session", Any], "Outcome"]
THandler = TypeVar("THandler", bound=Handler)

_HANDLERS: dict[type[LedgerEvent], Handler] = {}
#: Where each aggregate's handlers are, by ``Aggregate.kind``.
MODULES = {
    "organisation": "domain.commands.organisation",
    "partnership": "domain.commands.partnership",
    "agreement": "domain.commands.agreement",
    "support": "domain.commands.support",
    "import": "domain.commands.provenance",
}


def handles(*classes: type[LedgerEvent]) -> Callable[[THandler], THandler]:
    """Decorator: register the function as the handler of *classes*."""

    def register(handler: THandler) -> THandler:
        for cls in classes:
            _HANDLERS[cls] = handler
        return handler

    return register


def handler_for(cls: type[LedgerEvent]) -> Handler:
    """The handler of event class *cls* (importing its aggregate's handlers on first use)."""
    found = _HANDLERS.get(cls)
    if found is None:
        import_module(MODULES[cls.aggregate_class.kind])
        found = _HANDLERS[cls]
    return found


def execute(session: Session, draft: LedgerEvent) -> Outcome:
    """Run the handler of *draft*'s class on it."""
    return handler_for(type(draft))(session, draft)


def registered() -> dict[type[LedgerEvent], Handler]:
    """Every handler, all modules imported (for the tests and the docs)."""
    for module in MODULES.values():
        import_module(module)
    return dict(_HANDLERS)
