"""Writing files the user names: one home for every output of every command.

``Output.of(path)`` checks where an output goes before any work is done, and
``Output.open()`` writes it:

- ``-`` is standard output;
- a regular file (or a new path) is written beside the target, synced, then renamed
  over it: a refused, failed or killed command leaves the old file or the complete
  new one, never half of one;
- a special file (``/dev/null``, a FIFO, a terminal) is written directly: renaming
  over it would replace the device with a regular file (Linux ``rename(2)`` does);
- a symbolic link is refused unless ``force`` (then its target is written as above);
- a folder, or a path in a folder that does not exist, is refused.

``create_new`` writes a file that must not exist yet (a key), with a fixed mode
whatever the umask, never through a symbolic link.

>>> import tempfile, os
>>> folder = tempfile.mkdtemp()
>>> target = Output.of(os.path.join(folder, "out.txt"))
>>> with target.open() as out:
...     _ = out.write("hello")
>>> Path(folder, "out.txt").read_text()
'hello'
>>> Output.of(folder)  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
domain.errors.InputError: --out: ... is a folder (give a file path)
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from domain.errors import InputError, StorageError

#: What a user types for standard output.
STDOUT = "-"


@dataclass(frozen=True)
class Output:
    """Where one output goes, checked: ``kind`` is ``stdout``, ``special`` or ``regular``."""

    path: Path
    kind: str
    field: str = "--out"

    @classmethod
    def of(cls, path: str | os.PathLike[str], *, field: str = "--out", force: bool = False) -> Output:
        """Check *path* as an output (see the module docstring); an ``InputError`` naming *field* if refused."""
        if str(path) == STDOUT:
            return cls(Path(STDOUT), "stdout", field)
        target = Path(path)
        try:
            found = os.lstat(target)
        except FileNotFoundError:
            found = None
        except OSError as exc:
            raise InputError(field, f"cannot use {target}: {exc.strerror}", "give another path") from None
        if found is not None and stat.S_ISLNK(found.st_mode):
            if not force:
                raise InputError(
                    field,
                    f"{target} is a symbolic link",
                    "give the path it points to, or --force to write through it",
                )
            target = Path(os.path.realpath(target))
            try:
                found = os.stat(target)
            except FileNotFoundError:
                found = None
        if found is not None and stat.S_ISDIR(found.st_mode):
            raise InputError(field, f"{target} is a folder", "give a file path")
        if found is not None and not stat.S_ISREG(found.st_mode):
            return cls(target, "special", field)
        if not target.parent.is_dir():
            raise InputError(field, f"folder {target.parent} does not exist", "create it first")
        return cls(target, "regular", field)

    @property
    def is_stdout(self) -> bool:
        return self.kind == "stdout"

    def __str__(self) -> str:
        return "standard output" if self.is_stdout else str(self.path)

    @contextmanager
    def open(self, *, binary: bool = False, errors: str = "strict") -> Iterator[IO[Any]]:
        """A file to write the whole output to; it lands at the target when the block ends without error."""
        mode = "wb" if binary else "w"
        text: dict[str, Any] = {} if binary else {"encoding": "utf-8", "errors": errors}
        if self.is_stdout:
            stream: IO[Any] = sys.stdout.buffer if binary else sys.stdout
            yield stream
            stream.flush()
            return
        try:
            if self.kind == "special":
                with open(self.path, mode, **text) as out:
                    yield out
                return
            # One fixed name beside the target: a killed command's partial file is overwritten by the next run.
            partial = self.path.with_name(f".{self.path.name}.partial")
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o666)
            try:
                with os.fdopen(fd, mode, **text) as out:
                    yield out
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(partial, self.path)
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise written_error(exc, self.path, self.field) from None

    def write(self, data: str | bytes) -> None:
        """Write *data* (text or bytes) as the whole output."""
        with self.open(binary=isinstance(data, bytes)) as out:
            out.write(data)


def written_error(exc: OSError, path: Path | str, field: str) -> StorageError:
    """The one-line error of a failed write to *path*: a full disk says so, naming the file."""
    from errno import EDQUOT, EFBIG, ENOSPC

    if exc.errno in (ENOSPC, EDQUOT, EFBIG):
        return StorageError(field, f"cannot write {path}: the disk is full ({exc.strerror})", "free some space")
    return StorageError(field, f"cannot write {path}: {exc.strerror or exc}", "")


def create_new(path: str | os.PathLike[str], data: bytes, mode: int, *, field: str = "--out") -> Path:
    """Write *data* to a new file at *path* with exactly *mode* (not touched by the umask).

    Refuses a path that exists, even as a dangling symbolic link, and never follows one.
    """
    target = Path(path)
    if os.path.lexists(target):
        what = "is a symbolic link" if target.is_symlink() else "already exists"
        raise InputError(field, f"{target} {what}", "choose another path; keys are never overwritten")
    if not target.parent.is_dir():
        raise InputError(field, f"folder {target.parent} does not exist", "create it first")
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    except FileExistsError:
        raise InputError(field, f"{target} appeared while writing", "choose another path") from None
    except OSError as exc:
        raise written_error(exc, target, field) from None
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        target.unlink(missing_ok=True)
        raise written_error(exc, target, field) from None
    return target
