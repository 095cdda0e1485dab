"""What each brief's parameters may be: types, ranges and checks against the data.

A brief names its model in its front matter as ``module:Class``
(``ipsreport-parameters: ipsreport.presentation.parameters:GuideParameters``). The built-in
renderer and the batch validate a run's parameters against it before any kernel starts or
any file is written; the brief's own first cell validates the same model
(:func:`ipsreport.presentation.brief.parameters`), so ``quarto render`` refuses bad values
too. Field defaults are not repeated here: they live in the brief's ``parameters`` cell.
"""

from __future__ import annotations

import datetime as dt
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ipsreport.sources import municipalities

_Count = Field(ge=0, le=1_000_000)
_Price = Field(ge=0, le=10_000_000, allow_inf_nan=False)
_Text = Field(min_length=1, max_length=200)


class BriefParameters(BaseModel):
    """Base: every field is required (the brief's cell gives defaults); nothing unknown."""

    model_config = ConfigDict(frozen=True, extra="forbid", strict=False)


class FindingsParameters(BriefParameters):
    vis_opfoelgning: bool


class HealthEconomicsParameters(BriefParameters):
    deltagere: int = _Count


class SomParameters(BriefParameters):
    deltagere_pr_aar: int | None = _Count
    effekt_procentpoint: float | None = Field(ge=-100, le=100, allow_inf_nan=False)
    nettoomkostning_pr_deltager: float | None = _Price
    effekt_varighed_aar: int | None = Field(ge=0, le=50)
    diskonteringsrente_pct: float | None = Field(ge=0, lt=100, allow_inf_nan=False)
    pris_kommune: float | None = _Price
    pris_region: float | None = _Price
    pris_stat: float | None = _Price


class BudgetParameters(BriefParameters):
    borgere: int | None = Field(ge=1, le=1_000_000)


class ClaimsParameters(BriefParameters):
    kun_afvigelser: bool


class LetterParameters(BriefParameters):
    afsender: str | None = _Text
    adresse: str | None = _Text
    postnummer_by: str | None = _Text
    telefon: str | None = _Text
    email: str | None = _Text
    web: str | None = _Text
    cvr: str | None = Field(pattern=r"^\d{8}$")
    dato: dt.date | None
    modtager: str | None = _Text
    hilsen: str | None = _Text
    underskriver: str | None = _Text


class OverviewParameters(BriefParameters):
    # One region's municipalities and sums (e.g. "Region Nordjylland"); None: the whole country.
    region: str | None

    @model_validator(mode="after")
    def _known_region(self) -> Self:
        if self.region is not None and self.region not in municipalities.REGIONS:
            raise ValueError(f"region {self.region!r} is not one of the five regions: "
                             + ", ".join(municipalities.REGIONS))
        return self


class GuideParameters(BriefParameters):
    kommunekode: int
    deltagere_pr_aar: int | None = _Count
    pris_kommune: float | None = _Price
    pris_region: float | None = _Price
    pris_stat: float | None = _Price

    @model_validator(mode="after")
    def _known_municipality(self) -> Self:
        municipalities.find(self.kommunekode)  # raises ParameterError naming the code
        return self
