"""netledger for notebooks and scripts: ``netledger.open(path)`` and the whole library under one name.

``netledger.domain``, ``netledger.projections`` and ``netledger.cli`` are the project's
three packages (``domain/``, ``projections/``, ``cli/``) under the ``netledger`` name:
``import netledger.projections.centrality`` gives the very module
``projections.centrality`` (one module object, so classes and caches are shared). The
facade is ``projections.notebook`` (docs/notebook.md).

>>> import netledger, netledger.projections.centrality
>>> import projections.centrality
>>> netledger.projections.centrality is projections.centrality
True
>>> netledger.open is netledger.projections.notebook.open_ledger
True
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType
from typing import Any

#: The packages served under ``netledger.``.
PACKAGES = ("domain", "projections", "cli")


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves ``netledger.<package>[.<module>]`` as the module ``<package>[.<module>]`` itself."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        prefix, _, rest = fullname.partition(".")
        if prefix != __name__ or rest.split(".")[0] not in PACKAGES:
            return None
        real = importlib.import_module(rest)
        return importlib.machinery.ModuleSpec(fullname, self, is_package=hasattr(real, "__path__"))

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        real = sys.modules[spec.name.partition(".")[2]]
        spec.loader_state = real.__spec__  # the import system is about to replace it with the alias's
        return real

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run (the module ran once, under its own name): give it back its own spec."""
        assert module.__spec__ is not None
        module.__spec__ = module.__spec__.loader_state


if not any(isinstance(finder, _Alias) for finder in sys.meta_path):
    sys.meta_path.insert(0, _Alias())  # before the path finder, which would load a second copy

from projections.notebook import OpenLedger, open_ledger  # noqa: E402
from projections.results import Report, Scores, Table  # noqa: E402

#: ``netledger.open(path)``: open a ledger for questions (``projections.notebook.open_ledger``).
open = open_ledger

#: ``netledger.domain`` and ``netledger.projections``, there without an import of their own.
domain = importlib.import_module(f"{__name__}.domain")
projections = importlib.import_module(f"{__name__}.projections")

__all__ = ["OpenLedger", "Report", "Scores", "Table", "domain", "open", "projections"]
