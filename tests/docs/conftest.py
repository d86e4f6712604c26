"""Fixtures of the documentation tests (the helpers they share are in ``helpers.py``).

- ``venv_bin``: the directory of the running interpreter, put first on ``PATH`` so the
  pages' ``netledger`` and ``python3`` are this checkout's.
"""

from __future__ import annotations

import os
import sys

import pytest


@pytest.fixture(scope="session")
def venv_bin() -> str:
    return os.path.dirname(sys.executable)
