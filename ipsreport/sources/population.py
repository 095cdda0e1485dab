"""Each municipality's population (``data/folketal.csv``), as source figures.

Danmarks Statistik's table FOLK1A gives the population of each of the 98 municipalities on
1 January 2025. The table is data, not a YAML figure list: ``folketal.csv`` holds the counts
(``kommunekode``, ``navn``, ``folketal``), and its sidecar ``folketal.yaml`` says what they
are: unit, meaning, date, status and the source in ``sources.yaml``. The loader makes each
row a :class:`~ipsreport.sources.SourceFigure` ``population.<kommunekode>`` with that
provenance, and the date one of its own, ``population.date``, so a brief reads and cites a
population like any other figure (``data.value("population.461")``).

It refuses, one line per problem naming the file, the line and the field: a municipality of
``kommuner.csv`` without a row, a row twice, a code or a name that ``kommuner.csv`` does not
have, and a count that is empty, negative or not a whole number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ipsreport import validation, yamltext
from ipsreport.errors import shown
from ipsreport.sources.figures import (
    POPULATION_SIDECAR,
    SourceFigure,
    Status,
    Unit,
    number_problem,
)
from ipsreport.sources.municipalities import FILE as MUNICIPALITIES_FILE
from ipsreport.sources.municipalities import Municipality

SIDECAR = POPULATION_SIDECAR
PREFIX = "population"
DATE_FIGURE = f"{PREFIX}.date"
COLUMNS = ("kommunekode", "navn", "folketal")


def figure_id(kommunekode: int) -> str:
    """The id of a municipality's population figure: ``population.461``."""
    return f"{PREFIX}.{kommunekode}"


class TableProvenance(BaseModel):
    """The sidecar's ``table``: which CSV, and what its counts are."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str = Field(pattern=r"^[A-Za-z0-9_.-]+\.csv$")
    unit: Literal[Unit.PERSONS]
    meaning: str = Field(min_length=1)
    date: dt.date
    source: str
    status: Status = Status.PUBLISHED
    note: str | None = None


def read(
    directory: Path,
    municipalities: tuple[Municipality, ...] | None,
    known_sources: Mapping[str, object],
    problems: list[str],
) -> list[SourceFigure]:
    """The population figures, one per municipality, and the date; problems noted.

    ``municipalities`` are the rows of ``kommuner.csv`` that every row must match; None
    when that table could not be read (then each row is checked on its own, and no figure
    is made)."""
    provenance = _provenance(directory, known_sources, problems)
    if provenance is None:
        return []
    counts = _counts(directory / provenance.file, municipalities, problems)
    if counts is None or municipalities is None:
        return []
    figures = [
        SourceFigure(
            id=DATE_FIGURE, value=provenance.date, unit=Unit.DATE,
            meaning=f"Opgørelsesdato for {provenance.file}: {provenance.meaning}",
            source=provenance.source, status=provenance.status, note=provenance.note,
        )
    ]
    for row in municipalities:
        if row.kommunekode not in counts:
            continue  # noted as missing
        figures.append(SourceFigure(
            id=figure_id(row.kommunekode), value=counts[row.kommunekode], unit=provenance.unit,
            meaning=f"{provenance.meaning}: {row.navn}", source=provenance.source,
            label=row.navn, attributes={"kommunekode": str(row.kommunekode)},
            status=provenance.status, note=provenance.note,
        ))
    return figures


def _provenance(
    directory: Path, known_sources: Mapping[str, object], problems: list[str]
) -> TableProvenance | None:
    path = directory / SIDECAR
    try:
        document = yamltext.load(path.read_text(encoding="utf-8"), limit=1 << 20)
    except FileNotFoundError:
        problems.append(f"{SIDECAR}: file is missing")
        return None
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"{SIDECAR}: cannot be read as UTF-8 text ({error})")
        return None
    except yamltext.YamlError as error:
        problems.append(f"{SIDECAR}: not valid YAML ({error})")
        return None
    table = document.get("table") if isinstance(document, dict) else None
    if not isinstance(table, dict):
        problems.append(f"{SIDECAR}: needs a top-level 'table' mapping")
        return None
    try:
        provenance = TableProvenance.model_validate(table)
    except ValidationError as error:
        problems.extend(f"{SIDECAR}: table: {line}" for line in validation.problems(error))
        return None
    if provenance.source not in known_sources:
        problems.append(f"{SIDECAR}: table: unknown source '{provenance.source}' "
                        "(not in sources.yaml)")
    if provenance.status is not Status.PUBLISHED and not provenance.note:
        problems.append(f"{SIDECAR}: table: a table with status '{provenance.status}' needs a "
                        "note saying why")
    return provenance


def _counts(
    path: Path, municipalities: tuple[Municipality, ...] | None, problems: list[str]
) -> dict[int, float] | None:
    """Each row's count by code, every row checked against ``kommuner.csv`` (when it
    could be read: ``municipalities`` is not None)."""
    records = _records(path, problems)
    if records is None:
        return None
    known = {row.kommunekode: row for row in municipalities or ()}
    counts: dict[int, float] = {}
    lines: dict[int, int] = {}
    for line, (code_text, navn, count_text) in records:
        where = f"{path.name}: line {line}"
        code = _whole(code_text, "kommunekode", where, problems)
        count = _whole(count_text, "folketal", where, problems)
        if code is None:
            continue
        if municipalities is not None and not _matches(code, navn, known, lines, where,
                                                       problems):
            continue
        lines.setdefault(code, line)
        problem = None if count is None else number_problem(Unit.PERSONS, count)
        if problem is not None:
            problems.append(f"{where}: folketal: {problem}")
        elif count is not None:
            counts[code] = float(count)
    problems.extend(f"{path.name}: kommunekode {row.kommunekode} ({row.navn}) of "
                    f"{MUNICIPALITIES_FILE} has no row"
                    for row in municipalities or () if row.kommunekode not in lines)
    return counts


def _records(path: Path, problems: list[str]) -> list[tuple[int, tuple[str, ...]]] | None:
    """The CSV's rows after its header, each with its line and its three cells stripped."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        problems.append(f"{path.name}: file is missing (named in {SIDECAR})")
        return None
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"{path.name}: cannot be read as UTF-8 text ({error})")
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = tuple(cell.strip() for cell in next(reader, []))
    if header != COLUMNS:
        problems.append(f"{path.name}: line 1: the columns must be {', '.join(COLUMNS)}, "
                        f"not {', '.join(header) or 'none'}")
        return None
    records = []
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(COLUMNS):
            problems.append(f"{path.name}: line {reader.line_num}: {len(record)} cells, "
                            f"expected {len(COLUMNS)}")
            continue
        records.append((reader.line_num, tuple(cell.strip() for cell in record)))
    return records


def _matches(code: int, navn: str, known: Mapping[int, Municipality], lines: Mapping[int, int],
             where: str, problems: list[str]) -> bool:
    """Whether a row's code is a municipality of ``kommuner.csv`` not seen before (its name
    is checked too, and a wrong one noted, but the row still counts)."""
    row = known.get(code)
    if row is None:
        problems.append(f"{where}: kommunekode: {code} is not a municipality in "
                        f"{MUNICIPALITIES_FILE}")
        return False
    if code in lines:
        problems.append(f"{where}: kommunekode: {code} ({row.navn}) already on line "
                        f"{lines[code]}")
        return False
    if navn != row.navn:
        problems.append(f"{where}: navn: {shown(navn)} is not the name "
                        f"{MUNICIPALITIES_FILE} gives kommunekode {code} ({row.navn!r})")
    return True


def _whole(text: str, column: str, where: str, problems: list[str]) -> int | None:
    """A cell as a whole number, by the rule every parameter follows; None after noting why not."""
    try:
        value: int | None = validation.from_text(int, text) if text else None
    except ValueError:
        value = None
    if value is None:
        given = f"{shown(text)} is not allowed: " if text else ""
        problems.append(f"{where}: {column}: {given}it takes "
                        f"{validation.kind_of(int)}" + ("" if text else " (the cell is empty)"))
    return value
