"""One error hierarchy for everything the ledger refuses.

Every error names the field at fault and says how to fix it, in one line, and
carries the exit code the command line returns for it:

- ``InputError`` (exit 2): the input itself is malformed and can be judged
  without looking at the ledger (a bad date, an unknown sector, a missing
  field, an unreadable file).
- ``RuleViolation`` (exit 1): the input is well formed but the ledger refuses
  it given what it already holds (an unknown organisation, ending something
  already ended, retracting an unknown event).
- ``ConflictError`` (exit 1): concurrent writers kept changing the same
  aggregate and the retries ran out.

>>> str(InputError("effective", "invalid date '2019-02-30'", "use YYYY, YYYY-MM or YYYY-MM-DD"))
"effective: invalid date '2019-02-30' (use YYYY, YYYY-MM or YYYY-MM-DD)"
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base class: a one-line message naming the field and the fix."""

    exit_code = 1

    def __init__(self, field: str, problem: str, fix: str = "") -> None:
        self.field = field
        self.problem = problem
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"{self.field}: {self.problem}" if self.field else self.problem
        if self.fix:
            text += f" ({self.fix})"
        return " ".join(text.split())  # always one line

    def __str__(self) -> str:
        return self.message

    def at(self, where: str) -> LedgerError:
        """Return a copy whose field is prefixed by *where* (e.g. ``line 3``)."""
        return type(self)(f"{where}: {self.field}" if self.field else where, self.problem, self.fix)


class InputError(LedgerError):
    """Malformed input: exit code 2."""

    exit_code = 2


class RuleViolation(LedgerError):
    """Well-formed input that a ledger rule refuses: exit code 1."""

    exit_code = 1


class ConflictError(LedgerError):
    """Concurrent writers kept conflicting and retries ran out: exit code 1."""

    exit_code = 1


class StorageError(LedgerError):
    """The ledger's storage cannot be opened or read: exit code 2."""

    exit_code = 2
