"""Time netledger as users run it: with Python's cache of compiled modules (``__pycache__``).

An environment with ``PYTHONDONTWRITEBYTECODE`` set (some containers and CI images set it) makes
every child process compile netledger's own sources again, about 40 ms a process, which no user
pays after the first run. Each benchmark that times whole processes calls ``cache_bytecode()``
before it starts them; its warm-up run then writes the cache.

>>> import os
>>> os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
>>> cache_bytecode()
note: PYTHONDONTWRITEBYTECODE was set; unset for the timed processes (see benchmarks/bytecode.py)
>>> "PYTHONDONTWRITEBYTECODE" in os.environ
False
"""

from __future__ import annotations

import os


def cache_bytecode() -> None:
    """Let the child processes this benchmark starts write and read ``__pycache__``, as Python does by default."""
    if os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None:
        print("note: PYTHONDONTWRITEBYTECODE was set; unset for the timed processes (see benchmarks/bytecode.py)")
