"""A finding is one thing wrong with the data, reported as `file:row: field: message`."""

from __future__ import annotations

from dataclasses import asdict, dataclass

# The one-line form writes the characters a terminal does not show, acts on, or shows as a line
# break as escapes (a BOM before an id, a NUL, an ESC or a line break inside a cell would hide the
# cause of a finding, rewrite the screen, or break it over several lines; U+009B is a terminal's
# one-character CSI). The JSON form keeps the text as it is.
from aideals.errors import visible as _visible


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
        message = _visible(self.message)
        return f"{where}: {self.field}: {message}" if self.field else f"{where}: {message}"

    def to_dict(self) -> dict:
        return asdict(self)
