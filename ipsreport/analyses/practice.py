"""IPS practice: consultants needed at the caseload norm, and the IPS-25 fidelity bands."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ipsreport.errors import ParameterError
from ipsreport.sources import SourceData

BANDS = ("exemplary", "good", "fair")


@dataclass(frozen=True)
class FidelityBand:
    name: str  # "exemplary", "good", "fair", or "not_ips" below the fair band
    label: str | None  # as the data file names it; None for "not_ips"
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
    """The IPS-25 bands from the top down, ending with "not IPS" below the fair band."""
    items = data.whole("fidelity.items")
    top = items * data.whole("fidelity.item_max")
    bottom = items * data.whole("fidelity.item_min")
    bands = []
    high = top
    for name in BANDS:
        figure = data[f"fidelity.band.{name}"]
        low = data.whole(figure.id)
        bands.append(FidelityBand(name, figure.label, low, high))
        high = low - 1
    bands.append(FidelityBand("not_ips", None, bottom, high))
    return tuple(bands)


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
        caseload_max=data.whole("fidelity.caseload_max"),
        consultants=consultants_needed(data, math.ceil(active)),
    )
