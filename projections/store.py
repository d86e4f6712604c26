"""The persisted network projection, with catch-up; ``load_network`` is the entry point queries use.

The fold's state (``NetworkFold.state()``: the graph's adjacency dicts and the
compact per-aggregate histories) is saved beside the ledger, in the file
``<ledger file>.graph``, with the last folded position. ``load_network(ledger)``
loads it, folds only the events recorded after that position, and returns the
graph; when enough new events were folded it saves the state back.

Only ``load_network(ledger)`` (everything recorded so far) uses the file. With
``position`` or ``known_at`` the network is folded from the log alone, so that a
report at given recorded-time coordinates (say, a signed checkpoint's position)
never depends on the file: its checksum detects corruption, but anyone able to
write the folder could recompute it.

The file is never trusted. It is rebuilt from the log, automatically, when it is

- **missing** or unreadable;
- **corrupt**: its SHA-256 (over the header and the payload) does not match, or
  it is truncated;
- **stale**: it belongs to another ledger (``ledger_id`` from the ledger's meta),
  its position is beyond the ledger's head, or the event stored at its position
  is not the one it folded last (``event_id``), or it was written by another
  version of the fold or of the format.

Layout: ``MAGIC`` (8 bytes), the header length (8 bytes, big-endian), the header
(UTF-8 JSON), the SHA-256 digest of header + payload (32 bytes), the payload: a
pickle of plain data only (dicts, lists, tuples, strings, integers, None). The
checksum is checked before anything is unpickled, and the unpickler refuses every
global (no class, no function can be named), so even a forged file cannot run code.

The store only uses what ``Ledger`` exposes (``path``, ``meta``, ``name``,
``head()`` and ``recorder.select_notifications``).
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

import networkx as nx

from domain.collector import paused_gc
from domain.ledger import Ledger
from projections.graph import FOLD_VERSION, NetworkFold
from projections.records import UNREADABLE, first_damage

MAGIC = b"NLGRAPH\x00"
#: Version of the file layout (the fold's own version is ``FOLD_VERSION``).
FORMAT = 1
#: Rows read per ``select_notifications`` call.
PAGE = 10_000
#: Catch-up saves the state back once it folded at least this many events...
SAVE_AFTER = 1_000
#: ... and at least this share of the events already in the store (a save rewrites the whole file).
SAVE_SHARE = 0.02


class StoreError(Exception):
    """Why a persisted projection cannot be used (it is then rebuilt)."""


@dataclass
class LoadInfo:
    """What one ``NetworkStore.load`` did.

    ``source`` is ``store`` (the saved state, caught up), ``rebuilt`` (the saved state
    was missing or unusable: folded from the start and saved) or ``scratch`` (a
    *position* or *known_at* was given: folded from the log alone, not saved).
    ``reason`` says why the saved state was not used, ``folded`` counts the events
    folded by this call.
    """

    source: str = "store"
    reason: str = ""
    folded: int = 0
    position: int = 0
    saved: bool = False
    seconds: float = 0.0


@dataclass(frozen=True)
class Header:
    """What the store says about itself, checked against the ledger before use."""

    ledger_id: str
    ledger: str
    position: int
    event_id: str | None
    events: int
    recorded_upto: str | None
    fold: int
    format: int


class _PlainUnpickler(pickle.Unpickler):
    """Unpickles plain data only: any reference to a class or function is refused."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refused global {module}.{name}: a network store holds plain data only")


class _HashingWriter:
    """A binary file wrapper that hashes what it writes."""

    def __init__(self, file: BinaryIO, hash: Any) -> None:
        self.file = file
        self.hash = hash

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        return self.file.write(data)


def store_path(ledger: Ledger) -> Path:
    """Where the projection of *ledger* is kept.

    Beside an SQLite ledger: ``<ledger file>.graph``. For a PostgreSQL ledger, a
    per-machine cache: ``$NETLEDGER_CACHE_DIR`` (default ``$XDG_CACHE_HOME/netledger``,
    else ``~/.cache/netledger``), file ``<ledger id>.graph``. It is only a cache:
    checked against the log and caught up or rebuilt from it when needed.
    """
    if ledger.path is not None:
        return Path(f"{ledger.path}.graph")
    folder = os.environ.get("NETLEDGER_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "netledger"
    )
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder) / f"{ledger.meta['ledger_id']}.graph"


class NetworkStore:
    """The persisted projection of one ledger.

    *save_after* overrides how many newly folded events make catch-up save the state back.
    """

    def __init__(self, ledger: Ledger, path: Path | None = None, *, save_after: int | None = None) -> None:
        self.ledger = ledger
        self.path = path if path is not None else store_path(ledger)
        self.save_after = save_after

    # -- the log ---------------------------------------------------------------------------
    def _event_id_at(self, position: int) -> str | None:
        if position <= 0:
            return None
        rows = self.ledger.recorder.select_notifications(position, 1, stop=position, inclusive_of_start=True)
        if not rows or rows[0].id != position:
            return None
        try:
            return str(json.loads(rows[0].state)["event_id"])
        except UNREADABLE:  # a damaged row: the cache is not used, and folding the log names the damage
            return None

    def _fold_log(self, fold: NetworkFold, upto: int, known_at: datetime | None = None) -> tuple[int, bool]:
        """Fold the rows after ``fold.position`` up to *upto*; returns (events folded, whether any was skipped)."""
        folded = skipped = 0
        start = fold.position
        recorder = self.ledger.recorder
        with paused_gc():  # reading too: a collection in there would walk the whole fold, again and again
            while start < upto:
                rows = recorder.select_notifications(start, PAGE, stop=upto, inclusive_of_start=False)
                if not rows:
                    break
                try:
                    n = fold.apply_rows(rows, known_at=known_at)
                except UNREADABLE as exc:
                    raise first_damage(rows, exc) from None
                folded += n
                skipped += len(rows) - n
                start = rows[-1].id
                if len(rows) < PAGE:
                    break
        return folded, skipped > 0

    # -- reading and writing the file --------------------------------------------------------
    def read(self) -> NetworkFold:
        """The saved fold, checked against the ledger; ``StoreError`` says why it cannot be used."""
        try:
            f = self.path.open("rb")
        except FileNotFoundError:
            raise StoreError("missing") from None
        except OSError as exc:
            raise StoreError(f"unreadable ({exc})") from None
        # Writers only ever rename a complete new file over this one: the open file cannot change under us.
        with f:
            try:
                return self._read(f)
            except OSError as exc:
                raise StoreError(f"unreadable ({exc})") from None

    def _read(self, f: BinaryIO) -> NetworkFold:
        if f.read(8) != MAGIC:
            raise StoreError("corrupt: not a network store")
        size = int.from_bytes(f.read(8), "big")
        if size > 1 << 20:
            raise StoreError("corrupt: bad header length")
        header_bytes = f.read(size)
        digest = f.read(32)
        if len(header_bytes) != size or len(digest) != 32:
            raise StoreError("corrupt: truncated")
        body = f.tell()
        check = hashlib.sha256(header_bytes)
        while chunk := f.read(1 << 20):  # hashed in chunks: the file is never held in memory whole
            check.update(chunk)
        if check.digest() != digest:
            raise StoreError("corrupt: checksum mismatch")
        try:
            header = Header(**json.loads(header_bytes))
        except (ValueError, TypeError) as exc:
            raise StoreError(f"corrupt: bad header ({exc})") from None
        self._check(header)
        f.seek(body)
        try:
            with paused_gc():
                state = _PlainUnpickler(f).load()
            fold = NetworkFold.from_state(state)
        except Exception as exc:
            raise StoreError(f"corrupt: {exc}") from None
        if fold.position != header.position:
            raise StoreError("corrupt: header and state disagree")
        return fold

    def _check(self, header: Header) -> None:
        if header.format != FORMAT or header.fold != FOLD_VERSION:
            raise StoreError(f"stale: written by another version (format {header.format}, fold {header.fold})")
        if header.ledger_id != self.ledger.meta.get("ledger_id"):
            raise StoreError(f"stale: belongs to another ledger ({header.ledger!r}, id {header.ledger_id})")
        head = self.ledger.head()
        if header.position > head:
            raise StoreError(f"stale: its position {header.position} is beyond the ledger's head {head}")
        if self._event_id_at(header.position) != header.event_id:
            raise StoreError(f"stale: the event at position {header.position} is not the one it folded")

    def write(self, fold: NetworkFold) -> None:
        """Save *fold* atomically (a temporary file renamed over the old one)."""
        header = Header(
            ledger_id=self.ledger.meta["ledger_id"],
            ledger=self.ledger.name,
            position=fold.position,
            event_id=self._event_id_at(fold.position),
            events=fold.events,
            recorded_upto=fold.recorded_upto.isoformat() if fold.recorded_upto else None,
            fold=FOLD_VERSION,
            format=FORMAT,
        )
        header_bytes = json.dumps(header.__dict__, sort_keys=True).encode()
        fd, tmp = tempfile.mkstemp(prefix=self.path.name + ".", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC + len(header_bytes).to_bytes(8, "big") + header_bytes)
                digest_at = f.tell()
                f.write(bytes(32))
                out = _HashingWriter(f, hashlib.sha256(header_bytes))
                with paused_gc():
                    pickle.Pickler(out, protocol=5).dump(fold.state())  # streamed: no second copy in memory
                f.seek(digest_at)
                f.write(out.hash.digest())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _save(self, fold: NetworkFold, info: LoadInfo) -> None:
        try:
            self.write(fold)
        except OSError:
            return  # a read-only folder: still answer, from the log
        info.saved = True

    def _worth_saving(self, folded: int, stored: int) -> bool:
        if folded == 0:
            return False
        if self.save_after is not None:
            return folded >= self.save_after
        return folded >= max(SAVE_AFTER, SAVE_SHARE * stored)

    # -- the two entry points --------------------------------------------------------------------
    def load(
        self, *, position: int | None = None, known_at: datetime | None = None
    ) -> tuple[nx.MultiDiGraph, LoadInfo]:
        """The network up to *position* and/or as known at *known_at*, and what loading it did.

        Only the default question (everything recorded so far) is served from the saved
        state. With *position* or *known_at* the answer comes from the log alone: such
        reports are audit reports (e.g. at a signed checkpoint's position), and the saved
        file is a cache whose checksum anyone able to write the folder could recompute.
        """
        started = time.perf_counter()
        info = LoadInfo()
        if known_at is not None and known_at.tzinfo is None:
            known_at = known_at.replace(tzinfo=UTC)  # naive means UTC
        if position is not None or known_at is not None:
            fold = NetworkFold()
            info.source, info.reason = "scratch", "a position or known_at is answered from the log alone"
            head = self.ledger.head()
            target = head if position is None else max(0, min(position, head))
            info.folded, _ = self._fold_log(fold, target, known_at)
        else:
            try:
                stored: NetworkFold | None = self.read()
            except StoreError as exc:
                stored, info.reason = None, str(exc)
            fold = stored if stored is not None else NetworkFold()
            info.source = "store" if stored is not None else "rebuilt"
            before = fold.events
            # the head after reading: a state saved meanwhile by another process is not "ahead" of it
            info.folded, _ = self._fold_log(fold, self.ledger.head())
            if stored is None or self._worth_saving(info.folded, before):
                self._save(fold, info)
        info.position = fold.position
        info.seconds = time.perf_counter() - started
        graph = fold.graph
        graph.graph["position"] = fold.position
        graph.graph["ledger"] = self.ledger.name
        return graph, info

    def rebuild(self) -> dict[str, Any]:
        """Fold the whole log from the start and save it; a report for ``netledger network rebuild``."""
        started = time.perf_counter()
        fold = NetworkFold()
        self._fold_log(fold, self.ledger.head())
        folded = time.perf_counter() - started
        self.write(fold)
        return {
            "events": fold.events,
            "position": fold.position,
            "seconds": round(time.perf_counter() - started, 3),
            "fold_seconds": round(folded, 3),
            "nodes": fold.graph.number_of_nodes(),
            "ties": fold.graph.number_of_edges(),
            "path": str(self.path),
        }


def load_network(ledger: Ledger, *, position: int | None = None, known_at: datetime | None = None) -> nx.MultiDiGraph:
    """The network as recorded up to *position*, and/or as known at *known_at* (default: everything).

    ``graph.graph["position"]`` is the last log position folded in, ``graph.graph["ledger"]``
    the ledger's name. Without *position* and *known_at* it is served from the persisted
    projection, caught up with the events recorded since it was saved; with either, it is
    folded from the log alone (see the module docstring).
    """
    return NetworkStore(ledger).load(position=position, known_at=known_at)[0]


def rebuild(ledger: Ledger) -> dict[str, Any]:
    """Rebuild the persisted projection of *ledger* from its whole log (``netledger network rebuild``).

    Returns ``events`` (folded), ``position`` (the last one), ``seconds``, and ``nodes``,
    ``ties`` and ``path`` of the saved projection.
    """
    return NetworkStore(ledger).rebuild()
