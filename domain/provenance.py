"""Provenance: which import wrote which events (``import.recorded``).

An import that writes anything ends with one ``import.recorded`` event, in the same
transaction: the file's name and the SHA-256 of its bytes, its format, its publisher
(a 360Giving file's funders), what it wrote by event type, the records it read, and
the positions of the events it wrote, ``first_position`` .. ``last_position``. An
import writes its events at consecutive positions inside one transaction that no
other writer can enter (``Ledger.bulk``), so that range is exactly its events, and
the record itself comes right after them: every event an import wrote points at its
record by position, and the hash chain makes the range tamper-evident. The event's
``recorded_by`` is who ran the import. An import that finds everything recorded writes
nothing at all, this event included.

>>> ImportRecord.Recorded.type_name
'import.recorded'
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, model_validator

from domain.events import Aggregate, LedgerEvent
from domain.values import CleanShortText

ImportFormat = Literal["360giving", "jsonl", "csv"]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class ImportRecord(Aggregate):
    """One import that wrote events: its aggregate id is its ``import.recorded`` event's id."""

    kind = "import"

    class Recorded(LedgerEvent):
        """An import wrote the events at positions ``first_position`` .. ``last_position``."""

        type_name: ClassVar[str] = "import.recorded"
        requires_effective: ClassVar[bool] = False

        file_name: CleanShortText | None = None
        sha256: Sha256
        format: ImportFormat
        publisher: CleanShortText | None = None
        #: Events written, by type.
        written: dict[str, Annotated[int, Field(ge=1)]] = Field(max_length=100)
        #: Records read, records found already recorded, records rejected (with ``--skip-invalid``).
        records: int = Field(ge=0)
        already: int = Field(ge=0)
        rejected: int = Field(ge=0)
        first_position: int = Field(ge=1)
        last_position: int = Field(ge=1)

        @model_validator(mode="after")
        def _range(self) -> ImportRecord.Recorded:
            if self.last_position < self.first_position:
                raise ValueError("last_position: before first_position")
            if sum(self.written.values()) != self.last_position - self.first_position + 1:
                raise ValueError("written: the counts do not add up to the positions written")
            return self

    __slots__ = ("recorded",)

    def _reset(self) -> None:
        super()._reset()
        self.recorded: ImportRecord.Recorded | None = None

    def _apply(self, event: LedgerEvent) -> None:
        if isinstance(event, ImportRecord.Recorded):
            self.exists = True
            if not self.lean:
                self.recorded = event

    def record(self, draft: ImportRecord.Recorded) -> ImportRecord.Recorded:
        """The import is recorded (its draft carries every field; nothing in the ledger can refuse it)."""
        return self._record(self._new(ImportRecord.Recorded, draft))


__all__ = ["ImportFormat", "ImportRecord"]
