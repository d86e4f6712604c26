"""Signed checkpoints: a small text note, signed with Ed25519, meant to be published.

A checkpoint states the ledger's name and id, its size, the Merkle root over
the leaf hashes (RFC 9162), the head chain hash, the digest of the ledger's
identity rows (``domain.integrity.meta.identity``) and the time. Anyone holding
the public key can later check that the ledger still extends it.

    netledger checkpoint v2
    ledger: pohang-demo
    ledger-id: 5f0c...
    size: 43
    root: 9c1e...
    head: 71aa...
    meta: 3b7d...
    time: 2026-11-26T15:00:00Z

    signature: ed25519 <key id> <base64 signature over the lines above, blank line included>

A v1 checkpoint (written before issue 14) has no ``meta`` line and still verifies.

Checkpoints remember (``Memory``): ``checkpoint --key KEY`` keeps every checkpoint it
signs in ``KEY.checkpoints`` beside the key, and refuses to sign a log that is not a
consistent extension of the last one it signed for that ledger.
"""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from domain.errors import InputError, RuleViolation
from domain.files import create_new

HEADER = "netledger checkpoint v2"
#: The header of a checkpoint written before the ``meta`` line.
HEADER_V1 = "netledger checkpoint v1"


def _crypto() -> tuple[Any, Any, Any, Any]:
    # Imported on use: the write path never pays for the cryptography package.
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

    return InvalidSignature, serialization, Ed25519PrivateKey, Ed25519PublicKey


def keygen(out: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Write a new Ed25519 private key to *out* (mode 0600) and its public key to *out*.pub (0644).

    The modes are set exactly, whatever the umask; neither file may exist yet, not even as a
    symbolic link (``domain.files.create_new``).
    """
    _, serialization, private_cls, _ = _crypto()
    key = private_cls.generate()
    private_path, public_path = Path(out), Path(f"{out}.pub")
    for path in (private_path, public_path):
        if os.path.lexists(path):
            what = "is a symbolic link" if path.is_symlink() else "already exists"
            raise InputError("--out", f"{path} {what}", "choose another path; keys are never overwritten")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    create_new(private_path, pem, 0o600)
    try:
        create_new(public_path, public, 0o644)
    except BaseException:
        private_path.unlink(missing_ok=True)
        raise
    return private_path, public_path


def _read_key(path: str | os.PathLike[str], *, private: bool) -> object:
    _, serialization, private_cls, public_cls = _crypto()
    option = "--key" if private else "--public-key"
    try:
        with open(path, "rb") as f:
            mode = stat.S_IMODE(os.fstat(f.fileno()).st_mode)
            data = f.read(64 << 10)
    except OSError as exc:
        raise InputError(option, f"cannot read {path}: {exc.strerror}", "give the key file keygen wrote") from None
    if private and mode & 0o077:
        raise InputError(
            option,
            f"{path} can be read by others (mode {mode:04o})",
            f"a private key must be readable by its owner only: chmod 600 {path}",
        )
    try:
        key = (
            serialization.load_pem_private_key(data, password=None)
            if private
            else serialization.load_pem_public_key(data)
        )
    except (ValueError, TypeError):
        raise InputError(option, f"{path} is not a PEM Ed25519 key", "give the file keygen wrote") from None
    if not isinstance(key, private_cls if private else public_cls):
        raise InputError(option, f"{path} is not an Ed25519 key", "give the file keygen wrote")
    return key


def key_id(public_key: object) -> str:
    """First 8 bytes (hex) of SHA-256 over the raw public key."""
    _, serialization, _, _ = _crypto()
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)  # type: ignore[attr-defined]
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class Checkpoint:
    """The signed statement of one moment of the ledger."""

    ledger: str
    ledger_id: str
    size: int
    root: bytes
    head: bytes
    time: str
    key_id: str = ""
    signature: bytes = b""
    #: The digest of the ledger's identity rows (empty in a v1 checkpoint).
    meta: str = ""

    def body(self) -> str:
        header, meta = (HEADER, f"meta: {self.meta}\n") if self.meta else (HEADER_V1, "")
        return (
            f"{header}\nledger: {self.ledger}\nledger-id: {self.ledger_id}\nsize: {self.size}\n"
            f"root: {self.root.hex()}\nhead: {self.head.hex()}\n{meta}time: {self.time}\n\n"
        )

    def text(self) -> str:
        return self.body() + f"signature: ed25519 {self.key_id} {base64.b64encode(self.signature).decode()}\n"


def sign(checkpoint: Checkpoint, private_key_path: str | os.PathLike[str]) -> Checkpoint:
    key = _read_key(private_key_path, private=True)
    signature = key.sign(checkpoint.body().encode())  # type: ignore[attr-defined]
    return Checkpoint(**{**checkpoint.__dict__, "key_id": key_id(key.public_key()), "signature": signature})  # type: ignore[attr-defined]


def parse(text: str, source: str = "checkpoint") -> Checkpoint:
    """Read a checkpoint note; refuse anything not in the exact format."""
    field = "--checkpoint"
    body, sep, tail = text.partition("\n\n")
    lines = body.split("\n")
    if not sep or not lines or lines[0] not in (HEADER, HEADER_V1):
        raise InputError(
            field, f"{source} is not a netledger checkpoint", "give a file written by 'netledger checkpoint'"
        )
    values: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(": ")
        if not colon or name in values:
            raise InputError(field, f"{source}: malformed line {line!r}", "do not edit checkpoint files")
        values[name] = value
    sig = tail.strip().split(" ")
    try:
        wanted = {"ledger", "ledger-id", "size", "root", "head", "time"} | ({"meta"} if lines[0] == HEADER else set())
        if set(values) != wanted:
            raise ValueError("unexpected fields")
        if len(sig) != 4 or sig[0] != "signature:" or sig[1] != "ed25519":
            raise ValueError("no ed25519 signature line")
        checkpoint = Checkpoint(
            ledger=values["ledger"],
            ledger_id=values["ledger-id"],
            size=int(values["size"]),
            root=bytes.fromhex(values["root"]),
            head=bytes.fromhex(values["head"]),
            time=values["time"],
            key_id=sig[2],
            signature=base64.b64decode(sig[3], validate=True),
            meta=values.get("meta", ""),
        )
    except ValueError as exc:
        raise InputError(field, f"{source} is malformed ({exc})", "do not edit checkpoint files") from None
    if lines[0] == HEADER and (len(checkpoint.meta) != 64 or set(checkpoint.meta) - set("0123456789abcdef")):
        raise InputError(field, f"{source} is malformed (meta)", "do not edit checkpoint files")
    if checkpoint.size < 0 or len(checkpoint.root) != 32 or len(checkpoint.head) != 32:
        raise InputError(field, f"{source} is malformed (size or hash lengths)", "do not edit checkpoint files")
    if checkpoint.body() != body + "\n\n":
        raise InputError(field, f"{source} is not in canonical form", "do not edit checkpoint files")
    return checkpoint


def load(path: str | os.PathLike[str]) -> Checkpoint:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("--checkpoint", f"cannot read {path}: {exc}", "") from None
    return parse(text, str(path))


def check_signature(checkpoint: Checkpoint, public_key_path: str | os.PathLike[str]) -> None:
    """Refuse a checkpoint not signed by the holder of this public key (RuleViolation, exit 1)."""
    invalid, _, _, _ = _crypto()
    key = _read_key(public_key_path, private=False)
    try:
        key.verify(checkpoint.signature, checkpoint.body().encode())  # type: ignore[attr-defined]
    except invalid:
        raise RuleViolation(
            "--checkpoint",
            f"the signature does not verify with {public_key_path} "
            f"(key {key_id(key)}, checkpoint says {checkpoint.key_id})",
            "the checkpoint was altered or signed by another key",
        ) from None


# -- memory: the checkpoints a key signed -----------------------------------------------------
#: The file beside a private key that keeps every checkpoint it signed.
MEMORY_SUFFIX = ".checkpoints"


def memory_path(private_key_path: str | os.PathLike[str]) -> Path:
    return Path(f"{private_key_path}{MEMORY_SUFFIX}")


def remembered(private_key_path: str | os.PathLike[str], ledger_id: str) -> Checkpoint | None:
    """The last checkpoint of *ledger_id* this key signed (from ``KEY.checkpoints``), or None.

    Every checkpoint in the file must carry this key's valid signature: a file edited to forget
    or alter one is refused (RuleViolation).
    """
    path = memory_path(private_key_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("--key", f"cannot read {path}: {exc}", "") from None
    public = _read_key(private_key_path, private=True).public_key()  # type: ignore[attr-defined]
    last = None
    for number, note in enumerate(_notes(text), start=1):
        checkpoint = parse(note, f"{path} (checkpoint {number})")
        try:
            public.verify(checkpoint.signature, checkpoint.body().encode())
        except _crypto()[0]:
            raise RuleViolation(
                "--key",
                f"{path}: checkpoint {number} is not signed by this key",
                "the file of remembered checkpoints was altered: find out why before signing",
            ) from None
        if checkpoint.ledger_id == ledger_id:
            last = checkpoint
    return last


def _notes(text: str) -> list[str]:
    notes: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.startswith("netledger checkpoint v") or not notes:
            notes.append("")
        notes[-1] += line
    return [n for n in notes if n.strip()]


def remember(private_key_path: str | os.PathLike[str], checkpoint: Checkpoint) -> Path:
    """Add *checkpoint* to ``KEY.checkpoints`` (the whole file rewritten atomically)."""
    from domain.files import Output

    path = memory_path(private_key_path)
    try:
        before = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        before = ""
    Output.of(path, field="--key").write(before + checkpoint.text())
    return path
