"""Refused rows: where each is (table, row, column), which field, the cell and why.

Why: an analyst fixing an export needs the spreadsheet cell, not a stack trace; a host
needs the field path to match on. Every refusal of the door carries both.
"""

from __future__ import annotations

import attrs

from leadpipeline.errors import ValidationError

__all__ = ["RowRefusal", "RowsRefusedError"]


@attrs.frozen(kw_only=True)
class RowRefusal:
    """One refused row: where (table, row, column), which field, the cell and why.

    `row` counts records from 1 (a CSV's header is not a record, so row 1 is the line
    after it). `table` is ``"leads"`` or ``"touches"`` (the long table of touches).

    Example:
        >>> print(RowRefusal(row=3, column="Employees", field="company.employees",
        ...                  value="lots", message="expected a whole number"))
        leads row 3, column 'Employees' (company.employees): expected a whole number, got 'lots'
    """

    row: int
    column: str
    field: str
    message: str
    value: str | None = None
    table: str = "leads"

    def __str__(self) -> str:
        where = f"{self.table} row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        got = f", got {self.value!r}" if self.value is not None else ""
        return f"{where} ({self.field}): {self.message}{got}"


class RowsRefusedError(ValidationError):
    """A read asked to stop at a refused row found some; nothing was imported.

    `refusals` holds every refused row found in the batch; `problems` names each as
    ``("leads row 3, column 'Employees'", message)`` with the field path in the message.
    """

    def __init__(self, refusals: tuple[RowRefusal, ...]) -> None:
        self.refusals = refusals
        super().__init__(
            (
                f"{r.table} row {r.row}" + (f", column {r.column!r}" if r.column else ""),
                f"{r.field}: {r.message}" + (f", got {r.value!r}" if r.value is not None else ""),
            )
            for r in refusals
        )
