"""What the notebook API returns: the projections' plain answers, each with ``to_pandas()``.

Three shapes cover every query: ``Scores`` (organisation -> score, highest first; a
``dict``), ``Table`` (rows; a ``list`` of ``dict``) and ``Report`` (named parts; a
``dict``). Each is the very value the projection function returned, so it prints,
compares and serialises as before; ``to_pandas()`` turns it into a DataFrame (or, for
a report's scalar entries, a Series). pandas is optional (``pip install
'netledger[pandas]'``) and only imported by ``to_pandas``.

>>> s = Scores({"hub": 1.0, "a": 0.0}, name="betweenness")
>>> s["hub"], list(s)
(1.0, ['hub', 'a'])
>>> t = Table([{"key": "a", "degree": 2}, {"key": "b", "degree": 1}])
>>> t.columns
['key', 'degree']
>>> r = Report({"organisations": 3, "ties_by_type": {"support": 2}, "movers": [{"key": "a"}]})
>>> r.parts, r.scalars()
(['movers'], {'organisations': 3, 'ties_by_type.support': 2})
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

PANDAS_FIX = "install it: pip install 'netledger[pandas]'"


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError(f"to_pandas needs pandas, which is not installed: {PANDAS_FIX}") from None
    return pandas


class Scores(dict[str, Any]):
    """Organisation key -> score, in the projection's order (highest first, then key).

    ``to_pandas()``: a DataFrame indexed by ``key`` with one column named after the metric.
    """

    def __init__(self, scores: dict[str, Any], *, name: str = "score") -> None:
        super().__init__(scores)
        #: The metric the scores are of (the DataFrame's column).
        self.name = name

    def to_pandas(self) -> Any:
        pd = _pandas()
        frame = pd.DataFrame({self.name: list(self.values())}, index=pd.Index(list(self.keys()), name="key"))
        return frame


class Table(list[dict[str, Any]]):
    """Rows, each a dict; ``to_pandas()`` gives one DataFrame row per row, columns in first-seen order."""

    def __init__(self, rows: Iterable[dict[str, Any]] = ()) -> None:
        super().__init__(rows)

    @property
    def columns(self) -> list[str]:
        """Every key of any row, in the order first seen."""
        seen: dict[str, None] = {}
        for row in self:
            seen.update(dict.fromkeys(row))
        return list(seen)

    def to_pandas(self) -> Any:
        return _pandas().DataFrame(list(self), columns=self.columns)


def _is_part(value: Any) -> bool:
    """A list, or a dict of dicts (a matrix): what a report holds as a table of its own."""
    if isinstance(value, list):
        return True
    return isinstance(value, dict) and bool(value) and all(isinstance(v, dict) for v in value.values())


class Report(dict[str, Any]):
    """A report of named entries: scalars (counts, shares, nested counts) and parts (tables).

    ``scalars()`` flattens the scalar entries (nested dicts with dotted keys:
    ``ties_by_type.support``); ``parts`` names the tables (lists, and dicts of dicts
    such as a mixing matrix). ``to_pandas()`` is a Series of the scalars;
    ``to_pandas(part)`` a DataFrame of one part.
    """

    @property
    def parts(self) -> list[str]:
        return [name for name, value in self.items() if _is_part(value)]

    def scalars(self) -> dict[str, Any]:
        flat: dict[str, Any] = {}

        def add(prefix: str, value: Any) -> None:
            if isinstance(value, dict):
                for k, v in value.items():
                    add(f"{prefix}.{k}", v)
            else:
                flat[prefix] = value

        for name, value in self.items():
            if not _is_part(value):
                add(name, value)
        return flat

    def to_pandas(self, part: str | None = None) -> Any:
        pd = _pandas()
        if part is None:
            return pd.Series(self.scalars(), dtype=object)
        if part not in self.parts:
            raise KeyError(f"{part!r} is not a table of this report; its tables: {', '.join(self.parts) or 'none'}")
        value = self[part]
        if isinstance(value, dict):  # a matrix: rows are the outer keys
            return pd.DataFrame.from_dict(value, orient="index")
        if all(isinstance(item, dict) for item in value):
            return Table(value).to_pandas()
        return pd.DataFrame({part: value})
