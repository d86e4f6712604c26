"""The sectors an organisation belongs to: a constant the read path needs without the models.

>>> "university" in SECTORS, len(SECTORS)
(True, 8)
"""

from __future__ import annotations

from typing import Literal

Sector = Literal[
    "government",
    "university",
    "research_institute",
    "firm",
    "civil_society",
    "funder",
    "intermediary",
    "programme",
]
#: The sectors. University, firm (industry), government and civil_society (charities, foundations,
#: associations, NGOs) are the four strands of the quadruple helix; the others are roles between them.
SECTORS: tuple[str, ...] = Sector.__args__  # type: ignore[attr-defined]
