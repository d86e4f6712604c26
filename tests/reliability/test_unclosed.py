"""A ledger nobody closed is closed by the garbage collector, quietly, on whatever thread it runs."""

from __future__ import annotations

import gc
import sys
import threading
from pathlib import Path

import pytest

from domain.ledger import Ledger


def test_an_unclosed_ledger_is_closed_when_collected(tmp_path: Path) -> None:
    led = Ledger(tmp_path / "l.db", create=True)
    closed: list[bool] = []
    factory_close = led.app.factory.close

    def close() -> None:
        closed.append(True)
        factory_close()

    led.app.factory.close = close  # type: ignore[method-assign]
    del led
    gc.collect()
    assert closed == [True]


def test_collection_on_the_pools_own_worker_thread_prints_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's pool refuses to join the thread that closes it: that case is not an error to report."""
    led = Ledger(tmp_path / "l.db", create=True)
    app = led.app
    led.close()

    def join_self() -> None:
        threading.current_thread().join()  # what psycopg_pool's close does on its own worker

    monkeypatch.setattr(app.factory, "close", join_self)
    reported: list[object] = []
    monkeypatch.setattr(sys, "unraisablehook", reported.append)
    worker = threading.Thread(target=app.__del__)
    worker.start()
    worker.join()
    assert reported == []
