"""The 98 municipalities (``data/kommuner.csv``): code, name, region and their own figures.

Each row may give the municipality's own figures, which replace ipsreport's estimate and
assumptions in its guide and in the national overview: participants starting a year and
the yearly prices per extra citizen in work for kommune, region and stat. An empty cell
means "not given" (the estimate from the population, and the SØM example's labelled
assumptions).

A cell is typed by the field it fills, by the rule every parameter follows
(:func:`ipsreport.validation.from_text`): ``40`` is a whole number, ``1e5`` a decimal one,
``0x10`` or ``4.0`` for a whole number is refused, never guessed at.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ipsreport import validation
from ipsreport.errors import DataError, ParameterError, shown
from ipsreport.lineage import Figure, traced
from ipsreport.paths import data_dir

FILE = "kommuner.csv"
REGIONS = ("Region Hovedstaden", "Region Sjælland", "Region Syddanmark", "Region Midtjylland",
           "Region Nordjylland")
SOURCE = "kommuner"  # the table's source in data/sources.yaml
_SECTOR_NAMES = {"kommune": "kommunen", "region": "regionen", "stat": "staten"}
# The columns a municipality fills in with its own figures (empty: not given).
OWN_FIGURES = ("participants_per_year", "price_kommune", "price_region", "price_stat")


class Municipality(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kommunekode: int = Field(ge=100, le=999)
    navn: str = Field(min_length=1)
    region: Literal[REGIONS]  # type: ignore[valid-type]
    participants_per_year: int | None = Field(default=None, ge=0, le=100_000)
    price_kommune: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    price_region: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    price_stat: float | None = Field(default=None, ge=0, allow_inf_nan=False)

    def price(self, sector: str) -> float | None:
        """The municipality's own yearly price for ``sector`` (kommune, region, stat), if
        given, traced as the table's figure."""
        value: float | None = getattr(self, f"price_{sector}")
        return None if value is None else self._own(
            f"pris_{sector}", value, "dkk",
            f"kommunens egen årlige pris for {_SECTOR_NAMES[sector]} pr. ekstra borger i job "
            "eller uddannelse")

    def own_participants(self) -> int | None:
        """The municipality's own new participants a year, if given, traced as the table's
        figure."""
        value = self.participants_per_year
        return None if value is None else self._own("deltagere_pr_aar", value, "persons",
                                                    "kommunens eget tal for nye deltagere i "
                                                    "IPS om året")

    def _own(self, column: str, value: float, unit: str, meaning: str) -> Any:
        return traced(value, Figure(f"{FILE}:{self.kommunekode}:{column}", value, unit,
                                    SOURCE, f"{meaning} ({self.navn}, {FILE})"))


def read(directory: Path, problems: list[str]) -> tuple[Municipality, ...]:
    """Every valid row of ``kommuner.csv``; each problem is noted as ``kommuner.csv: line N:
    field: ...`` (the file, the line and the field)."""
    content = _content(directory, problems)
    return () if content is None else _parsed(content, problems)


def _content(directory: Path, problems: list[str]) -> bytes | None:
    """The table's bytes, or None with the reason noted."""
    try:
        return (directory / FILE).read_bytes()
    except FileNotFoundError:
        problems.append(f"{FILE}: file is missing")
    except OSError as error:
        problems.append(f"{FILE}: cannot be read ({error})")
    return None


def _parsed(content: bytes, problems: list[str]) -> tuple[Municipality, ...]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        problems.append(f"{FILE}: cannot be read as UTF-8 text ({error})")
        return ()
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[Municipality] = []
    for raw in reader:
        where = f"{FILE}: line {reader.line_num}"
        values, typing_problems = _typed(raw)
        problems.extend(f"{where}: {line}" for line in typing_problems)
        if typing_problems:
            continue
        try:
            rows.append(Municipality.model_validate(values))
        except ValidationError as error:
            problems.extend(f"{where}: {line}" for line in validation.problems(error))
    codes = [row.kommunekode for row in rows]
    problems.extend(f"{FILE}: kommunekode {code} appears twice"
                    for code in sorted({c for c in codes if codes.count(c) > 1}))
    return tuple(rows)


def _typed(raw: dict[str | Any, str | Any]) -> tuple[dict[str, Any], list[str]]:
    """A row's cells as the fields they fill declare (an empty cell: not given)."""
    values: dict[str, Any] = {}
    problems: list[str] = []
    for key, cell in raw.items():
        if key is None or not isinstance(cell, str):
            problems.append("more cells than the header has columns")
            continue
        text = cell.strip()
        try:
            annotation = validation.field_type(Municipality, key)
        except KeyError:
            values[key] = text  # the model names the unknown column
            continue
        try:
            values[key] = validation.from_text(annotation, text) if text else None
        except ValueError as reason:
            why = f" ({reason})" if str(reason) else ""
            problems.append(f"{key}: {shown(text)} is not allowed: it takes "
                            f"{validation.kind_of(annotation)}{why}")
    return values, problems


# The table read last, by its bytes: a batch validates each row's parameters against the
# table, in the worker and again in the kernel, so it is parsed once while it is unchanged.
_last: tuple[bytes, tuple[Municipality, ...]] | None = None


def load(directory: Path | None = None) -> tuple[Municipality, ...]:
    """Every row of ``kommuner.csv``, validated; problems name the file, the line and the field."""
    global _last
    directory = directory or data_dir()
    problems: list[str] = []
    content = _content(directory, problems)
    if content is not None and _last is not None and _last[0] == content:
        return _last[1]
    rows = () if content is None else _parsed(content, problems)
    if problems or content is None:
        raise DataError("\n".join(f"invalid data: {directory.name}/{p}" for p in problems))
    _last = (content, rows)
    return rows


def find(kommunekode: int, directory: Path | None = None) -> Municipality:
    """The municipality with this code; an unknown code is a :class:`ParameterError`."""
    return find_in(load(directory), kommunekode)


def find_in(rows: tuple[Municipality, ...], kommunekode: int) -> Municipality:
    """The row of ``rows`` with this code; an unknown code is a :class:`ParameterError`."""
    for row in rows:
        if row.kommunekode == kommunekode:
            return row
    raise ParameterError(
        f"parameter kommunekode: {kommunekode!r} is not allowed: not a municipality code in "
        f"data/{FILE} ({len(rows)} codes from {rows[0].kommunekode} to {rows[-1].kommunekode}, "
        f"e.g. {rows[0].kommunekode} for {rows[0].navn})"
    )
