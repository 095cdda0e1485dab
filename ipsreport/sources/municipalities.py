"""The 98 municipalities (``data/kommuner.csv``): code, name, region and local overrides.

Each row may override the SØM scenario for that municipality: participants starting a
year and the yearly prices per extra citizen in work for kommune, region and stat. An
empty cell means "use the default" (the SØM example and its labelled assumptions).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ipsreport import validation
from ipsreport.errors import DataError, ParameterError
from ipsreport.paths import data_dir

FILE = "kommuner.csv"
REGIONS = ("Region Hovedstaden", "Region Sjælland", "Region Syddanmark", "Region Midtjylland",
           "Region Nordjylland")


class Municipality(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kommunekode: int = Field(ge=100, le=999)
    navn: str = Field(min_length=1)
    region: Literal[REGIONS]  # type: ignore[valid-type]
    participants_per_year: int | None = Field(default=None, ge=0, le=100_000)
    price_kommune: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    price_region: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    price_stat: float | None = Field(default=None, ge=0, allow_inf_nan=False)


def load(directory: Path | None = None) -> tuple[Municipality, ...]:
    """Every row of ``kommuner.csv``, validated; problems name the file, the line and the field."""
    path = (directory or data_dir()) / FILE
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise DataError(f"invalid data: {path.parent.name}/{FILE}: file is missing") from None
    problems: list[str] = []
    rows: list[Municipality] = []
    for index, raw in enumerate(frame.to_dict(orient="records")):
        where = f"invalid data: {path.parent.name}/{FILE}: line {index + 2}"
        values = {key: value.strip() or None for key, value in raw.items()}
        try:
            rows.append(Municipality.model_validate(values))
        except ValidationError as error:
            problems.extend(f"{where}: {line}" for line in validation.problems(error))
    codes = [row.kommunekode for row in rows]
    problems.extend(f"invalid data: {path.parent.name}/{FILE}: kommunekode {code} appears twice"
                    for code in sorted({c for c in codes if codes.count(c) > 1}))
    if problems:
        raise DataError("\n".join(problems))
    return tuple(rows)


def find(kommunekode: int, directory: Path | None = None) -> Municipality:
    """The municipality with this code; an unknown code is a :class:`ParameterError`."""
    rows = load(directory)
    for row in rows:
        if row.kommunekode == kommunekode:
            return row
    raise ParameterError(
        f"parameter kommunekode: {kommunekode!r} is not allowed: not a municipality code in "
        f"data/{FILE} ({len(rows)} codes from {rows[0].kommunekode} to {rows[-1].kommunekode}, "
        f"e.g. {rows[0].kommunekode} for {rows[0].navn})"
    )
