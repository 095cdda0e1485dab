"""The batch table: one row per document, its columns the brief's parameters and labels.

A column named like a parameter the brief declares is that parameter; an empty cell means
"not given", so the brief's own default applies. The first column is the row's key: it must
be filled in and unique, it names the output and ``--only`` picks rows by it. A ``navn`` (or
``name``) column adds a readable name to the file name and the index, and a ``region`` (or
``gruppe``/``group``) column groups the index. Any other column is left to the brief (the
municipality table's local overrides are read by the guide itself from ``data/``).
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from ipsreport.errors import IpsreportError, shown
from ipsreport.render._output import slugify

NAME_COLUMNS = ("navn", "name")
GROUP_COLUMNS = ("region", "gruppe", "group")
# Names the batch writes itself; a row must not be named like them.
_RESERVED_STEMS = frozenset({"index", "manifest"})


class TableError(IpsreportError):
    """The table cannot be used at all: missing, unreadable, no key, no parameter column."""


@dataclass(frozen=True)
class Row:
    """One row: where it is, its key, every cell, and the parameters it gives."""

    line: int  # the row's line in the file (the header is line 1)
    key: str
    name: str | None
    group: str | None
    stem: str  # output file name without extension, e.g. "461-odense"
    cells: Mapping[str, str] = field(repr=False)
    params: Mapping[str, str] = field(repr=False)  # non-empty parameter cells, as text

    @property
    def label(self) -> str:
        """How the row is shown: ``461 Odense``."""
        return f"{self.key} {self.name}" if self.name else self.key


@dataclass(frozen=True)
class Table:
    path: Path
    columns: tuple[str, ...]
    key_column: str
    parameter_columns: tuple[str, ...]
    name_column: str | None
    group_column: str | None
    rows: tuple[Row, ...]

    @property
    def display_name(self) -> str:
        """The path as given on the command line, for messages."""
        return self.path.as_posix()

    def where(self, row: Row) -> str:
        """``data/kommuner.csv: line 62 (461 Odense)``: how a message points at a row."""
        return f"{self.display_name}: line {row.line} ({row.label})"

    def select(self, only: Iterable[str]) -> tuple[Row, ...]:
        """The rows that ``--only`` names, in table order; all rows when it is not given.

        Each value (comma-separated values allowed) matches a row's key (``461``), its name
        however it is spelled (``odense``, ``Høje-Taastrup``) or its file name stem
        (``461-odense``). A value that matches no row is an error, and so is an ``--only``
        that names nothing (``--only ""``): a typo must not quietly render nothing, or all.
        """
        only = tuple(only)
        if not only:
            return self.rows
        wanted = [part.strip() for value in only for part in str(value).split(",")]
        wanted = [value for value in wanted if value]
        if not wanted:
            raise TableError(f"--only {shown(','.join(map(str, only)))}: names no row")
        chosen: set[int] = set()
        unknown: list[str] = []
        for value in wanted:
            slug = slugify(value)
            found = [
                index
                for index, row in enumerate(self.rows)
                if value == row.key
                or (slug and (slug == row.stem or (row.name and slug == slugify(row.name))))
            ]
            if not found:
                unknown.append(value)
            chosen.update(found)
        if unknown:
            by = self.key_column + (f" or {self.name_column}" if self.name_column else "")
            raise TableError(
                f"--only: no row of {self.display_name} has {by} "
                + ", ".join(shown(value) for value in unknown)
            )
        return tuple(row for index, row in enumerate(self.rows) if index in chosen)


def read_table(path: Path, parameters: Iterable[str]) -> Table:
    """Read a CSV table (UTF-8, a header line) for a brief that declares ``parameters``.

    Raises :class:`TableError` naming the file and line when the table as a whole cannot
    be used; the values in the cells are not checked here (that is the brief's parameter
    model's job, row by row).
    """
    path = Path(path)
    records, lines = _read_records(path)
    header = tuple(cell.strip() for cell in records[0])
    problems = _header_problems(path, header)
    declared = tuple(parameters)
    parameter_columns = tuple(column for column in header if column in declared)
    if not parameter_columns and not problems:
        problems.append(
            f"{path}: line 1: no column names a parameter of the brief "
            f"(columns: {', '.join(header)}; parameters: {', '.join(declared) or 'none'})"
        )
    name_column = next((c for c in NAME_COLUMNS if c in header), None)
    group_column = next((c for c in GROUP_COLUMNS if c in header), None)
    rows = _rows(path, header, parameter_columns, name_column, group_column,
                 zip(records[1:], lines[1:], strict=True), problems)
    if not rows and not problems:
        problems.append(f"{path}: the table has a header but no rows")
    if problems:
        raise TableError("\n".join(problems))
    return Table(
        path=path,
        columns=header,
        key_column=header[0],
        parameter_columns=parameter_columns,
        name_column=name_column,
        group_column=group_column,
        rows=_with_stems(rows),
    )


def _read_records(path: Path) -> tuple[list[list[str]], list[int]]:
    """The table's CSV records and the line each starts on; a header line is required."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise TableError(f"{path}: table not found") from None
    except UnicodeDecodeError as error:
        raise TableError(f"{path}: not UTF-8 text (byte {error.start})") from None
    except OSError as error:
        raise TableError(f"{path}: cannot read the table: {error.strerror}") from None
    try:
        records = list(csv.reader(text.splitlines(keepends=True)))
        lines = _record_lines(text)
    except csv.Error as error:
        raise TableError(f"{path}: not a CSV table: {error}") from None
    if not records or not any(cell.strip() for cell in records[0]):
        raise TableError(f"{path}: the table is empty (expected a header line)")
    return records, lines


def _rows(
    path: Path,
    header: tuple[str, ...],
    parameter_columns: tuple[str, ...],
    name_column: str | None,
    group_column: str | None,
    records: Iterable[tuple[list[str], int]],
    problems: list[str],
) -> list[Row]:
    """A row for each record with a key, in table order; problems noted, not raised."""
    key_column = header[0]
    rows: list[Row] = []
    seen: dict[str, int] = {}
    for record, line in records:
        if not any(cell.strip() for cell in record):
            continue  # a blank line
        if len(record) > len(header):
            problems.append(
                f"{path}: line {line}: {len(record)} cells but the header has {len(header)}"
            )
            continue
        cells = {column: (record[i].strip() if i < len(record) else "")
                 for i, column in enumerate(header)}
        key = cells[key_column]
        if not key:
            problems.append(f"{path}: line {line}: the first column ({key_column}) is empty")
            continue
        if key in seen:
            problems.append(
                f"{path}: line {line}: {key_column} {key!r} already on line {seen[key]}"
            )
            continue
        seen[key] = line
        rows.append(
            Row(
                line=line,
                key=key,
                name=(cells[name_column] or None) if name_column else None,
                group=(cells[group_column] or None) if group_column else None,
                stem="",
                cells=MappingProxyType(cells),
                params=MappingProxyType(
                    {column: cells[column] for column in parameter_columns if cells[column]}
                ),
            )
        )
    return rows


def _header_problems(path: Path, header: Sequence[str]) -> list[str]:
    problems = []
    if not header[0]:
        problems.append(f"{path}: line 1: the first column has no name")
    duplicates = sorted({column for column in header if column and header.count(column) > 1})
    if duplicates:
        problems.append(f"{path}: line 1: column names appear twice: {', '.join(duplicates)}")
    return problems


def _record_lines(text: str) -> list[int]:
    """The line on which each CSV record starts (a quoted cell may span lines)."""
    reader = csv.reader(text.splitlines(keepends=True))
    starts = []
    previous_end = 0
    for _ in reader:
        starts.append(previous_end + 1)
        previous_end = reader.line_num
    return starts


def _with_stems(rows: list[Row]) -> tuple[Row, ...]:
    """Give every row its file name: ``<key>-<name>`` slugified, unique over the table.

    A row whose name is its own keeps it. Rows whose names would be alike (``a`` and ``A``
    slug alike), a key that slugs to nothing, or a name the batch uses itself get a suffix:
    the first characters of their key's SHA-256, as many as it takes for the name to be
    taken by no other row (``a-ca978112`` may be another row's own name). So two rows never
    share a file, and the same table gives the same names on every run.
    """
    def base(row: Row) -> str:
        parts = [slugify(row.key)] + ([slugify(row.name)] if row.name else [])
        return "-".join(part for part in parts if part)

    bases = [base(row) for row in rows]
    counts = Counter(bases)
    own = {stem for stem in bases if stem and counts[stem] == 1 and stem not in _RESERVED_STEMS}
    taken = set(own)
    named = []
    for row, stem in zip(rows, bases, strict=True):
        if stem not in own:
            digest = hashlib.sha256(row.key.encode("utf-8")).hexdigest()
            prefix = stem or "row"
            stem = next(
                (candidate for size in range(8, len(digest) + 1, 4)
                 if (candidate := f"{prefix}-{digest[:size]}") not in taken),
                "",
            )
            if not stem:  # not in this universe: 64 hex digits of SHA-256 clash
                raise TableError(f"line {row.line}: no file name of its own for {row.label}")
            taken.add(stem)
        named.append(replace(row, stem=stem))
    return tuple(named)
