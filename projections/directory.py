"""Finding organisations: list them, search them by name or identifier, and resolve what a user typed.

The directory is the ledger's network (``projections.store.load_network``): every
registered organisation with its latest names, sector and identifiers. A user may
type an organisation's key (``postech``), one of its names in any case (``POSTECH``,
``포항공과대학교``), or one of its identifiers (``KR-BRN:5038200179``): ``resolve``
accepts any of them when it names exactly one organisation, and otherwise says which
keys come closest.

Search ranks by how well the text matches a key, a name or an identifier: exactly
(1.0), as the start of one (0.9), inside one (0.8), or, failing those, by the
similarity of the two spellings (``difflib``'s ratio, at least 0.6). Case, spaces and
punctuation are ignored; Korean is compared as written.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> g.add_node("postech", key="postech", name_en="POSTECH", name_ko="포스텍", sector="university",
...            identifiers=["KR-BRN:5038200179"], registered=True)
>>> g.add_node("rist", key="rist", name_en="RIST", sector="research_institute", identifiers=[], registered=True)
>>> resolve(g, "POSTECH"), resolve(g, "포스텍"), resolve(g, "kr-brn:5038200179")
('postech', 'postech', 'postech')
>>> resolve(g, "postec")
Traceback (most recent call last):
...
domain.errors.RuleViolation: key: no organisation 'postec' in the ledger (did you mean postech?)
>>> [(r["key"], r["score"], r["matched"]) for r in search(g, "pos")]
[('postech', 0.9, 'key')]
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from typing import Any

import networkx as nx

from domain.errors import RuleViolation
from domain.sectors import SECTORS
from projections.engines import When, check_choice, network_on

#: Columns of ``organisations`` rows.
COLUMNS: tuple[str, ...] = ("key", "name_en", "name_ko", "sector", "subtype", "identifiers", "country",
                            "locality", "start", "dissolved")  # fmt: skip
#: The least similarity (difflib ratio) a fuzzy match needs.
FUZZY = 0.6


def _plain(text: str) -> str:
    """*text* without case, spaces or punctuation: what a search compares."""
    return re.sub(r"[\W_]+", "", text.casefold())


def organisations(
    graph: nx.MultiDiGraph, *, sector: str | None = None, as_of: When | None = None
) -> list[dict[str, Any]]:
    """Every registered organisation (on *as_of* when given: those that exist then), by key.

    Each row has ``COLUMNS``: the latest names (or those on *as_of*), the sector, the
    identifiers, the registration date (``start``) and the dissolution (``dissolved``).
    """
    if sector is not None:
        check_choice(sector, SECTORS, "sector")
    nodes = network_on(graph, as_of).nodes(data=True) if as_of is not None else graph.nodes(data=True)
    rows = []
    for key, attrs in nodes:
        if attrs.get("registered") is False or (sector is not None and attrs.get("sector") != sector):
            continue
        rows.append({name: attrs.get(name) if name != "key" else key for name in COLUMNS})
    return sorted(rows, key=lambda r: r["key"])


def _labels(key: str, attrs: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """``(field, text)`` of everything an organisation may be found by."""
    yield "key", key
    for name in ("name_en", "name_ko"):
        if attrs.get(name):
            yield name, attrs[name]
    for identifier in attrs.get("identifiers") or ():
        yield "identifier", identifier


def search(graph: nx.MultiDiGraph, text: str, *, top: int | None = 10) -> list[dict[str, Any]]:
    """Registered organisations matching *text*, best first: ``key``, ``name_en``, ``name_ko``,
    ``sector``, ``score`` (see the module docstring), ``matched`` (the field) and ``found`` (its text).
    """
    wanted = _plain(text)
    found = []
    for key, attrs in graph.nodes(data=True):
        if attrs.get("registered") is False:
            continue
        best = (0.0, "", "")
        for field, label in _labels(key, attrs):
            plain = _plain(label)
            if not plain or not wanted:
                continue
            if plain == wanted:
                score = 1.0
            elif plain.startswith(wanted):
                score = 0.9
            elif wanted in plain:
                score = 0.8
            else:
                ratio = difflib.SequenceMatcher(None, wanted, plain).ratio()
                score = round(ratio * 0.7, 4) if ratio >= FUZZY else 0.0
            if score > best[0]:
                best = (score, field, label)
        if best[0] > 0:
            score, matched, text_found = best
            names = {"name_en": attrs.get("name_en"), "name_ko": attrs.get("name_ko"), "sector": attrs.get("sector")}
            found.append({"key": key, **names, "score": score, "matched": matched, "found": text_found})
    found.sort(key=lambda r: (-r["score"], r["key"]))
    return found[:top] if top is not None else found


def closest(graph: nx.MultiDiGraph, text: str, n: int = 3) -> list[str]:
    """The keys of the organisations whose key, name or identifier comes closest to *text*."""
    return [r["key"] for r in search(graph, text, top=n)]


def resolve(graph: nx.MultiDiGraph, text: str, field: str = "key") -> str:
    """The key of the one organisation *text* names: its key, a name (any case) or an identifier.

    ``RuleViolation`` naming *field* when it names none or several, with the closest keys.
    """
    if text in graph and graph.nodes[text].get("registered") is not False:
        return text
    wanted = _plain(text)
    named = sorted(
        {key for key, attrs in graph.nodes(data=True) for _, label in _labels(key, attrs) if _plain(label) == wanted}
    )
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        raise RuleViolation(field, f"{text!r} names {len(named)} organisations: {', '.join(named)}", "give a key")
    if text in graph:  # a party whose registration is not (or no longer) in the ledger
        return text
    hint = closest(graph, text)
    raise RuleViolation(
        field,
        f"no organisation {text!r} in the ledger",
        f"did you mean {' or '.join(hint)}?" if hint else "see 'netledger org list' for the keys",
    )


def resolve_all(graph: nx.MultiDiGraph, texts: Iterable[str], field: str) -> list[str]:
    """``resolve`` of each of *texts*."""
    return [resolve(graph, text, field) for text in texts]
