"""IPS practice: consultants needed at the caseload norm, and the IPS-25 fidelity bands."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ipsreport.errors import ParameterError
from ipsreport.sources import SourceData

BANDS = ("exemplary", "good", "fair")


@dataclass(frozen=True)
class FidelityBand:
    label: str  # Danish, as the guide prints it
    low: int
    high: int


def consultants_needed(data: SourceData, active_citizens: int) -> int:
    """Whole IPS consultants needed so that none has more than the caseload norm (20)."""
    if isinstance(active_citizens, bool) or active_citizens < 0:
        raise ParameterError(
            f"active_citizens: {active_citizens!r} is not allowed; give a whole number >= 0"
        )
    return math.ceil(active_citizens / data.value("fidelity.caseload_max"))


def fidelity_bands(data: SourceData) -> tuple[FidelityBand, ...]:
    """The IPS-25 bands from the top down, ending with "Ikke IPS" below the fair band."""
    items = data.value("fidelity.items")
    top = int(items * data.value("fidelity.item_max"))
    bottom = int(items * data.value("fidelity.item_min"))
    bands = []
    high = top
    for name in BANDS:
        figure = data[f"fidelity.band.{name}"]
        bands.append(FidelityBand(str(figure.label), int(figure.number), high))
        high = int(figure.number) - 1
    bands.append(FidelityBand("Ikke IPS", bottom, high))
    return tuple(bands)


def fidelity_band(data: SourceData, score: int) -> FidelityBand:
    """The band an IPS-25 total score falls in."""
    bands = fidelity_bands(data)
    for band in bands:
        if band.low <= score <= band.high:
            return band
    raise ParameterError(
        f"score: {score!r} is not allowed; an IPS-25 total is {bands[-1].low}-{bands[0].high}"
    )


@dataclass(frozen=True)
class Team:
    """An IPS team sized for a steady intake."""

    participants_per_year: int
    mean_years_in_intervention: float
    active_citizens: float  # in the intervention at any time, once intake is steady
    caseload_max: int
    consultants: int


def team(data: SourceData, participants_per_year: int, years_min: int, years_max: int) -> Team:
    """Consultants needed when ``participants_per_year`` start and stay ``years_min`` to
    ``years_max`` years (on average the midpoint): active citizens / caseload norm, rounded up."""
    mean_years = (years_min + years_max) / 2
    active = participants_per_year * mean_years
    return Team(
        participants_per_year=participants_per_year,
        mean_years_in_intervention=mean_years,
        active_citizens=active,
        caseload_max=int(data.value("fidelity.caseload_max")),
        consultants=consultants_needed(data, math.ceil(active)),
    )
