"""How the command line says what the ledger refused: its flags, its own fix text.

The domain's errors name the field at fault and carry a stable code; they never
name a flag. Here each code that has a command-line fix gets it, with the flag
of the field when the fix needs one (``currency`` -> ``--currency``). Errors
without such a code keep the domain's own fix.

>>> from domain.errors import RuleViolation
>>> str(for_cli(RuleViolation("currency", "this support has no currency yet", "give its currency",
...     code="support.no_currency")))
'currency: this support has no currency yet (give --currency)'
"""

from __future__ import annotations

from domain.errors import LedgerError

#: The flag (or argument) of each field a command takes.
FLAGS = {
    "currency": "--currency",
    "amount": "--amount",
    "effective": "--effective",
    "event_id": "--event-id",
    "source": "--source",
    "note": "--note",
    "key": "KEY",
    "programme": "--programme",
    "planned_start": "--planned-start",
    "planned_end": "--planned-end",
    "term_end": "--term-end",
}

#: The command line's fix text of each code that has one ({flag}: the field's flag; {subject}: what it is about).
FIXES = {
    "support.no_currency": "give {flag}",
    "weight.several_currencies": "give {flag} with one of them; every edge carries its amounts per currency anyway",
    "organisation.unknown": "register it first: netledger org register {subject} ...",
    "organisation.already_registered": "use 'org rename' to change its names, or choose another key",
    "aggregate.unknown": "check the id with 'netledger log --type {subject}'",
    "input.uuid": "copy the id from 'netledger log'",
    "retract.unknown": "check the id with 'netledger log'",
    "chain.broken": "run 'netledger verify' to see why",
}


def flag(field: str) -> str:
    """The command-line name of *field* (``parties[1]`` -> ``--party``)."""
    base = field.rsplit(": ", 1)[-1].split("[", 1)[0]
    return FLAGS.get(base, f"--{base.replace('_', '-')}")


def for_cli(error: LedgerError) -> LedgerError:
    """*error* with the command line's fix text, when its code has one."""
    template = FIXES.get(error.code)
    if template is None:
        return error
    return error.with_fix(template.format(flag=flag(error.field), subject=error.subject))
