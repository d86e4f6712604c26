"""RFC 9162 Merkle trees: the implementation against a naive recursive transcription of the RFC.

``naive_mth``, ``naive_path`` and ``naive_proof`` follow RFC 9162 sections
2.1.1, 2.1.3.1 and 2.1.4.1 word for word (recursion on the split point k, the
largest power of two smaller than n). Every size, every index and every pair
of sizes up to 24 leaves is compared, every proof verifies, and every
damaged proof (an element changed, dropped or added, a wrong size, index or
root) is refused.

The last tests do the same on a real ledger, with the leaves recomputed in the
test from the raw SQLite rows.
"""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from domain.integrity.checkpoint import Checkpoint
from domain.integrity.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from domain.integrity.proofs import checkpoint_of
from domain.integrity.verify import verify_log
from domain.ledger import Ledger

MAX = 24


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth(d: list[bytes]) -> bytes:
    """MTH over leaf hashes (the leaves are already SHA-256(0x00 || entry))."""
    if not d:
        return sha(b"")
    if len(d) == 1:
        return d[0]
    k = split(len(d))
    return sha(b"\x01" + naive_mth(d[:k]) + naive_mth(d[k:]))


def naive_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = split(len(d))
    if m < k:
        return [*naive_path(m, d[:k]), naive_mth(d[k:])]
    return [*naive_path(m - k, d[k:]), naive_mth(d[:k])]


def naive_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [naive_mth(d)]
    k = split(n)
    if m <= k:
        return [*naive_subproof(m, d[:k], b), naive_mth(d[k:])]
    return [*naive_subproof(m - k, d[k:], False), naive_mth(d[:k])]


def naive_proof(m: int, d: list[bytes]) -> list[bytes]:
    return naive_subproof(m, d, True)


LEAVES = [sha(b"\x00" + f"entry {i}".encode()) for i in range(64)]
PAIRS = [(m, n) for n in range(1, MAX + 1) for m in range(1, n + 1)]


def flipped(h: bytes) -> bytes:
    return bytes([h[0] ^ 0x01]) + h[1:]


def test_split_is_the_largest_power_of_two_below_n():
    assert [split(n) for n in range(2, 10)] == [1, 2, 2, 4, 4, 4, 4, 8]


@pytest.mark.parametrize("n", range(65))
def test_tree_root_is_the_naive_mth(n):
    assert tree_root(LEAVES[:n]) == naive_mth(LEAVES[:n])


def test_the_empty_tree_hashes_the_empty_string():
    assert tree_root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


@pytest.mark.parametrize("n", range(1, MAX + 1))
def test_every_inclusion_proof_is_the_naive_path_and_verifies(n):
    d = LEAVES[:n]
    root = naive_mth(d)
    for i in range(n):
        path = inclusion_proof(d, i)
        assert path == naive_path(i, d), (i, n)
        assert verify_inclusion(d[i], i, n, path, root)


@pytest.mark.parametrize("n", range(1, MAX + 1))
def test_damaged_inclusion_proofs_fail(n):
    d = LEAVES[:n]
    root = naive_mth(d)
    for i in range(n):
        path = inclusion_proof(d, i)
        assert not verify_inclusion(flipped(d[i]), i, n, path, root)
        assert not verify_inclusion(d[i], i, n, path, flipped(root))
        assert not verify_inclusion(d[i], i, n, [*path, LEAVES[63]], root)
        assert not verify_inclusion(d[i], -1, n, path, root)
        assert not verify_inclusion(d[i], n, n, path, root)
        for j in range(len(path)):
            assert not verify_inclusion(d[i], i, n, [*path[:j], flipped(path[j]), *path[j + 1 :]], root)
            assert not verify_inclusion(d[i], i, n, path[:j] + path[j + 1 :], root)
        for j in range(n):  # the leaf of another index, with its own path, at this index
            if j != i:
                assert not verify_inclusion(d[j], i, n, path, root)
                assert not verify_inclusion(d[i], j, n, path, root)


def test_inclusion_proof_refuses_an_index_outside_the_tree():
    with pytest.raises(ValueError):
        inclusion_proof(LEAVES[:3], 3)
    with pytest.raises(ValueError):
        inclusion_proof([], 0)


@pytest.mark.parametrize(("m", "n"), PAIRS, ids=[f"{m}-{n}" for m, n in PAIRS])
def test_every_consistency_proof_is_the_naive_proof_and_verifies(m, n):
    d = LEAVES[:n]
    proof = consistency_proof(d, m)
    assert proof == naive_proof(m, d)
    assert verify_consistency(m, n, proof, naive_mth(d[:m]), naive_mth(d))


@pytest.mark.parametrize("n", range(1, MAX + 1))
def test_damaged_consistency_proofs_fail(n):
    d = LEAVES[:n]
    new_root = naive_mth(d)
    for m in range(1, n + 1):
        proof = consistency_proof(d, m)
        old_root = naive_mth(d[:m])
        assert not verify_consistency(m, n, proof, flipped(old_root), new_root)
        assert not verify_consistency(m, n, proof, old_root, flipped(new_root))
        assert not verify_consistency(m, n, [*proof, LEAVES[63]], old_root, new_root)
        assert not verify_consistency(0, n, proof, old_root, new_root)
        assert not verify_consistency(n + 1, n, proof, old_root, new_root)
        if m > 1:  # another old size with this old root
            assert not verify_consistency(m - 1, n, proof, old_root, new_root)
        if m < n:  # the old root of another size
            assert not verify_consistency(m, n, proof, naive_mth(d[: m + 1]), new_root)
        for j in range(len(proof)):
            assert not verify_consistency(m, n, [*proof[:j], flipped(proof[j]), *proof[j + 1 :]], old_root, new_root)
            assert not verify_consistency(m, n, proof[:j] + proof[j + 1 :], old_root, new_root)
        if len(proof) > 1:
            assert not verify_consistency(m, n, proof[::-1], old_root, new_root) or proof == proof[::-1]


def test_consistency_proof_refuses_sizes_outside_the_tree():
    with pytest.raises(ValueError):
        consistency_proof(LEAVES[:4], 0)
    with pytest.raises(ValueError):
        consistency_proof(LEAVES[:4], 5)


def test_a_fork_is_not_consistent_with_the_old_tree():
    """Two logs that share 7 leaves and then differ: no proof links the old root to the forked tree."""
    old = LEAVES[:8]
    forked = [*LEAVES[:7], flipped(LEAVES[7]), *LEAVES[8:16]]
    for proof in (consistency_proof(forked, 8), consistency_proof(LEAVES[:16], 8)):
        assert not verify_consistency(8, 16, proof, naive_mth(old), naive_mth(forked))


# -- the same on a real ledger, leaves recomputed from the raw rows ---------------------------


def independent_leaves(path: Path) -> list[bytes]:
    """RFC 9162 leaf hashes of the stored events, computed here from the raw rows."""
    with closing(sqlite3.connect(str(path))) as con:
        rows = con.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events ORDER BY rowid"
        ).fetchall()
    return [
        sha(b"\x00" + f"netledger-event-v1\n{p}\n{oid}\n{version}\n{topic}\n".encode() + bytes(state))
        for p, oid, version, topic, state in rows
    ]


@pytest.fixture(scope="module")
def merkle_ledger(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("merkle") / "small.db"
    with Ledger(path, actor="merkle", create=True) as ledger:
        for i in range(MAX):  # one transaction each: positions 1..24
            ledger.register_organisation(f"org{i}", sector="firm", name_en=f"Org {i}")
    return path


def test_the_ledger_root_and_head_match_an_independent_recomputation(merkle_ledger):
    leaves = independent_leaves(merkle_ledger)
    head = bytes(32)
    for leaf in leaves:
        head = sha(head + leaf)
    with Ledger(merkle_ledger) as ledger:
        checkpoint = checkpoint_of(ledger)
        stored = [leaf for _, _, leaf, _ in ledger.recorder.select_chain()]
    assert stored == leaves
    assert (checkpoint.size, checkpoint.root, checkpoint.head) == (MAX, naive_mth(leaves), head)


def test_the_ledger_extends_a_checkpoint_of_every_earlier_size(merkle_ledger):
    leaves = independent_leaves(merkle_ledger)
    with Ledger(merkle_ledger) as ledger:
        ledger_id = ledger.meta["ledger_id"]

        def at(size: int, root: bytes) -> Checkpoint:
            return Checkpoint("small", ledger_id, size, root, bytes(32), "2026-01-01T00:00:00Z")

        for m in range(MAX + 1):
            report = verify_log(ledger, at(m, naive_mth(leaves[:m])))
            assert report.ok, (m, report.problem)
        for m in range(1, MAX):
            problem = verify_log(ledger, at(m, naive_mth(leaves[: m + 1]))).problem
            assert problem is not None and problem.kind == "rewritten", m
        problem = verify_log(ledger, at(MAX + 1, naive_mth(leaves))).problem
        assert problem is not None and (problem.kind, problem.position) == ("truncated", MAX + 1)
