"""A finding is one thing wrong with the data, reported as `file:row: field: message`."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, order=True)
class Finding:
    """One failed check on one cell, row, file or the whole package.

    `row` counts lines as frictionless does: the header is row 1, the first data row is row 2.
    """

    file: str
    row: int | None
    field: str | None
    check: str  # name of the check, e.g. "type", "foreign-key", "range_high_not_below_low"
    layer: str  # "package", "table-schema", "row-rule" or "cross-table"
    message: str
    value: str | None = None

    def line(self) -> str:
        """The one-line form shown to users."""
        where = self.file if self.row is None else f"{self.file}:{self.row}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"

    def to_dict(self) -> dict:
        return asdict(self)
