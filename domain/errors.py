"""One error hierarchy for everything the ledger refuses.

Every error names the field at fault, says what is wrong (``problem``), carries
a stable ``code`` a caller can act on, and may say how to fix it in the
ledger's own terms (``fix``); it prints as one line. The domain never names a
command-line flag: the CLI maps fields to its flags and codes to its own fix
text (``cli/errors.py``). Each class carries the exit code the command line
returns for it:

- ``InputError`` (exit 2): the input itself is malformed and can be judged
  without looking at the ledger (a bad date, an unknown sector, a missing
  field, an unreadable file).
- ``RuleViolation`` (exit 1): the input is well formed but the ledger refuses
  it given what it already holds (an unknown organisation, ending something
  already ended, retracting an unknown event).
- ``ConflictError`` (exit 1): concurrent writers kept changing the same
  aggregate and the retries ran out.
- ``StorageError`` (exit 2): the ledger's storage cannot be opened or read.
- ``DamagedError`` (exit 1): the storage holds what the ledger did not write, or
  cannot read back what it holds (an event that does not decode, an index row
  that names another event): the error names the first bad position.

>>> error = InputError("effective", "invalid date '2019-02-30'", "use YYYY, YYYY-MM or YYYY-MM-DD")
>>> str(error)
"effective: invalid date '2019-02-30' (use YYYY, YYYY-MM or YYYY-MM-DD)"
>>> error.code, RuleViolation("currency", "this support has no currency yet", code="support.no_currency").code
('input', 'support.no_currency')
"""

from __future__ import annotations


class LedgerError(Exception):
    """Base class: a one-line message naming the field, the problem and the fix; and a stable code."""

    exit_code = 1
    #: The code of errors of this class that give none of their own.
    default_code = "ledger"

    def __init__(self, field: str, problem: str, fix: str = "", *, code: str = "", subject: str = "") -> None:
        self.field = field
        self.problem = problem
        self.fix = fix
        self.code = code or self.default_code
        #: What the error is about, for a caller's own fix text (an organisation's key, an aggregate's kind).
        self.subject = subject
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return one_line(self.field, self.problem, self.fix)

    def __str__(self) -> str:
        return self.message

    def at(self, where: str) -> LedgerError:
        """Return a copy whose field is prefixed by *where* (e.g. ``line 3``)."""
        field = f"{where}: {self.field}" if self.field else where
        return type(self)(field, self.problem, self.fix, code=self.code, subject=self.subject)

    def with_fix(self, fix: str) -> LedgerError:
        """The same error with another fix text (the CLI's, naming its flags)."""
        return type(self)(self.field, self.problem, fix, code=self.code, subject=self.subject)


def one_line(field: str, problem: str, fix: str = "") -> str:
    """``field: problem (fix)``, always on one line.

    >>> one_line("name", "too\\nlong", "shorten it")
    'name: too long (shorten it)'
    """
    text = f"{field}: {problem}" if field else problem
    if fix:
        text += f" ({fix})"
    return " ".join(text.split())


class InputError(LedgerError):
    """Malformed input: exit code 2."""

    exit_code = 2
    default_code = "input"


class RuleViolation(LedgerError):
    """Well-formed input that a ledger rule refuses: exit code 1."""

    exit_code = 1
    default_code = "rule"


class ConflictError(LedgerError):
    """Concurrent writers kept conflicting and retries ran out: exit code 1."""

    exit_code = 1
    default_code = "conflict"


class StorageError(LedgerError):
    """The ledger's storage cannot be opened or read: exit code 2."""

    exit_code = 2
    default_code = "storage"


class DamagedError(LedgerError):
    """The storage holds something the ledger cannot trust or read back: exit code 1."""

    exit_code = 1
    default_code = "ledger.damaged"
