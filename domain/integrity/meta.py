"""The seal of ``ledger_meta``: the ledger's own rows (name, id, schema version, migration marks) are covered too.

``ledger_meta`` holds what the ledger says about itself. Its rows are not events,
so the hash chain does not cover them; instead every write of them also writes
``meta_seal``, a SHA-256 over all the other rows in a canonical form, in the same
transaction. ``verify`` recomputes it: a row edited, added or deleted outside the
ledger (the schema version set back to launder an edit through ``migrate``, a
migration mark deleted, a ledger id changed) no longer gives the seal.

The seal is not a secret: someone who can write the file can recompute it, as
they can recompute the chain. What a signed checkpoint adds is ``identity``: a
digest of the rows that never change after creation and that export and restore
carry (``ledger_id``, ``name``, ``require_signatures``: ``domain.integrity.signatures``), signed in
the checkpoint as its ``meta`` line, so even a consistent rewrite of them is found against it.

>>> meta = {"name": "demo", "ledger_id": "5f0c", "schema_version": "3"}
>>> sealed = {**meta, SEAL: seal(meta)}
>>> broken(sealed) is None, broken({**sealed, "schema_version": "1"}) is not None
(True, True)
"""

from __future__ import annotations

import hashlib
import json

#: The row that holds the seal.
SEAL = "meta_seal"
#: The rows a checkpoint's ``meta`` line covers: set at creation, carried by export and restore.
IDENTITY = ("ledger_id", "name", "require_signatures")


def seal(meta: dict[str, str]) -> str:
    """The seal of *meta*: SHA-256 (hex) over every row but the seal itself, sorted by key."""
    rows = sorted((k, v) for k, v in meta.items() if k != SEAL)
    body = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"netledger-meta-v1\n{body}".encode()).hexdigest()


def broken(meta: dict[str, str]) -> str | None:
    """Why *meta* is not as the ledger wrote it, or None."""
    stored = meta.get(SEAL)
    if stored is None:
        return "the meta rows carry no seal (a ledger at this schema always has one): they were rewritten"
    if stored != seal(meta):
        return (
            "the meta rows (name, ledger id, schema version, migration marks) no longer give their seal: "
            "one was edited, added or deleted outside the ledger"
        )
    return None


def identity(meta: dict[str, str]) -> str:
    """The digest (hex) a checkpoint signs as its ``meta`` line: the identity rows, absent ones as empty."""
    rows = [(k, meta.get(k, "")) for k in IDENTITY]
    body = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(f"netledger-identity-v1\n{body}".encode()).hexdigest()


def set_back(meta: dict[str, str]) -> str | None:
    """Why a ledger whose ``schema_version`` is below the current one is not really that old, or None.

    A sealed ledger, or one created at a later schema, whose version was set back: the way to
    launder an edited event through ``migrate``'s fresh hash chain.
    """
    if SEAL in meta:
        return broken(meta) or "the ledger is sealed, which only a ledger at the current schema is"
    created, says = meta.get("created_schema"), meta.get("schema_version", "0")
    if created is not None and (not created.isdigit() or not says.isdigit() or int(created) > int(says)):
        return f"was created at schema {created}"
    return None
