"""``WrittenIds``, the filter a bulk on an empty ledger asks before the database: never a false "no"."""

from __future__ import annotations

import random
from uuid import UUID, uuid4, uuid5

from domain.bulk import WrittenIds


def test_every_written_id_is_found_and_few_others_are() -> None:
    written = WrittenIds()
    ids = [uuid4().int for _ in range(50_000)] + [uuid5(UUID(int=7), str(n)).int for n in range(50_000)]
    written.update(ids)
    assert all(key in written for key in ids)
    others = [uuid4().int for _ in range(20_000)]
    wrongly = sum(key in written for key in others)
    assert wrongly < 200  # about 0.01% expected at 100,000 ids


def test_ids_that_are_not_random_are_still_always_found() -> None:
    written = WrittenIds()
    ids = [UUID(int=n).int for n in range(1, 30_000)] + [random.getrandbits(64) for _ in range(1000)]
    written.update(ids)
    assert all(key in written for key in ids)
