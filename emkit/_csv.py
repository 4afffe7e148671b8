"""CSV files for the ``emkit`` command: numbers, an optional header, empty cells missing."""

from __future__ import annotations

import csv
import io
import math
import sys
from dataclasses import dataclass

import numpy as np


class CSVError(ValueError):
    """A file the command cannot read; the message names the file and the cell."""


@dataclass(frozen=True)
class Table:
    names: list[str] | None  # from the header row, if there is one
    cells: list[list[str]]  # the data rows, as text
    # The first column is a row index, as pandas' ``DataFrame.to_csv`` writes it: its header
    # cell is empty and the others are not.
    index_column: bool = False

    @property
    def n_columns(self) -> int:
        return len(self.cells[0])

    def column(self, key: str, path: str) -> int:
        """The index of a column given by its header name or its 0-based number."""
        if self.names is not None and key in self.names:
            return self.names.index(key)
        if key.isdigit() and int(key) < self.n_columns:
            return int(key)
        known = f"names {self.names}" if self.names else f"numbers 0 to {self.n_columns - 1}"
        raise CSVError(f"{path}: no column {key!r} (columns have {known}).")

    def numbers(self, columns: list[int], path: str) -> np.ndarray:
        """The given columns as floats; empty cells are NaN."""
        out = np.empty((len(self.cells), len(columns)))
        for i, row in enumerate(self.cells):
            for j, c in enumerate(columns):
                out[i, j] = _number(row[c], path, i, c, self)
        return out


# Cells that mark a missing value (compared in lower case, without spaces).
MISSING = ("", "nan", "na")


def _number(text: str, path: str, row: int, column: int, table: Table) -> float:
    text = text.strip()
    if text.lower() in MISSING:
        return math.nan
    try:  # float() also reads "1_000" and non-ASCII digits: a CSV cell may not hold those
        value = float(text) if text.isascii() and "_" not in text else None
    except ValueError:
        value = None
    if value is not None and math.isfinite(value):
        return value
    line = row + 1 + (table.names is not None)
    name = f" ({table.names[column]!r})" if table.names else ""
    hint = next(
        (f" (cells separated by {d!r}? use --delimiter)" for d in ";\t| " if d in text), ""
    )
    what = "not a number" if value is None else "not finite"
    raise CSVError(f"{path}: line {line}, column {column}{name}: {text!r} is {what}{hint}.")


def _is_number(text: str) -> bool:
    text = text.strip()
    if text.lower() in MISSING:
        return True
    try:
        float(text)
    except ValueError:
        return False
    return text.isascii() and "_" not in text


def read(path: str, delimiter: str = ",") -> Table:
    """Read a CSV file; the first row is a header if any of its cells is not a number."""
    try:
        if path == "-":
            text = sys.stdin.read()
        else:
            with open(path, encoding="utf-8-sig", newline="") as file:
                text = file.read()
    except (OSError, UnicodeDecodeError) as error:
        raise CSVError(f"{path}: cannot read the file ({error}).") from None
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    while rows and not rows[-1]:  # blank lines at the end
        rows.pop()
    while rows and not rows[0]:
        rows.pop(0)
    if not rows:
        raise CSVError(f"{path}: the file has no rows.")
    names = None
    if not all(_is_number(cell) for cell in rows[0]):
        names, rows = [cell.strip() for cell in rows[0]], rows[1:]
    if not rows:
        raise CSVError(f"{path}: the file has a header but no data rows.")
    index_column = names is not None and len(names) > 1 and names[0] == "" and all(names[1:])
    width = len(names) if names is not None else len(rows[0])
    # A blank line is an empty cell in a file of one column, else a gap between rows.
    rows = [row or [""] for row in rows] if width == 1 else [row for row in rows if row]
    for i, row in enumerate(rows):
        if len(row) != width:
            line = i + 1 + (names is not None)
            raise CSVError(
                f"{path}: line {line} has {len(row)} cells, expected {width} "
                f"(delimiter {delimiter!r}; change it with --delimiter)."
            )
    return Table(names, rows, index_column)


def write(path: str | None, names: list[str], values: np.ndarray) -> None:
    """Write a header and rows of numbers (labels as they are) to ``path`` or stdout."""
    if path is None:
        _write_rows(sys.stdout, names, values)
        return
    try:
        with open(path, "w", encoding="utf-8", newline="") as file:
            _write_rows(file, names, values)
    except OSError as error:
        raise CSVError(f"{path}: cannot write the file ({error.strerror}).") from None


def _write_rows(file, names: list[str], values: np.ndarray) -> None:
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(names)
    for row in np.asarray(values, dtype=object).reshape(len(values), -1):
        writer.writerow(_text(v) for v in row)


def _text(value) -> str:
    if isinstance(value, (float, np.floating)):
        return "" if math.isnan(value) else repr(float(value))
    return str(value)
