"""Fixtures of the picture tests: the Pohang demo ledger, built once, and its network."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from domain.demo import build_demo
from domain.ledger import Ledger
from projections.store import load_network


@pytest.fixture(scope="session")
def pohang_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Pohang demo ledger (read-only: the tests only read it)."""
    path = tmp_path_factory.mktemp("pictures") / "pohang.db"
    with Ledger(path, actor="pictures", create=True, name="pohang-demo") as ledger:
        build_demo(ledger)
    return path


@pytest.fixture(scope="session")
def pohang(pohang_db: Path) -> nx.MultiDiGraph:
    """The demo's network as the commands load it."""
    with Ledger(pohang_db) as ledger:
        return load_network(ledger)
