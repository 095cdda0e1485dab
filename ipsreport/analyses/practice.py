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
    """An IPS team sized for a steady intake. ``participants_per_year`` may be an expected
    number (an estimate of 0,3 a year), so the active citizens may be a fraction too."""

    participants_per_year: float
    mean_years_in_intervention: float
    active_citizens: float  # in the intervention at any time, once intake is steady
    caseload_max: int
    consultants: int  # whole consultants, none with more than caseload_max citizens

    @property
    def caseloads(self) -> float:
        """The active citizens in full caseloads: the consultants they need at the norm, as a
        fraction (0,02 of a consultant), which adds up over municipalities as whole
        consultants do not."""
        return self.active_citizens / self.caseload_max

    @property
    def fills_a_caseload(self) -> bool:
        """Whether the active citizens fill at least one consultant's caseload."""
        return _rounded(self.active_citizens) >= self.caseload_max


def team(data: SourceData, participants_per_year: float, years_min: int, years_max: int) -> Team:
    """Consultants needed when ``participants_per_year`` start and stay ``years_min`` to
    ``years_max`` years (on average the midpoint): active citizens / caseload norm, rounded up."""
    if (isinstance(participants_per_year, bool) or not math.isfinite(participants_per_year)
            or participants_per_year < 0):
        raise ParameterError(f"participants_per_year: {participants_per_year!r} is not allowed; "
                             "give a number >= 0")
    mean_years = (years_min + years_max) / 2
    active = participants_per_year * mean_years
    caseload = data.whole("fidelity.caseload_max")
    return Team(
        participants_per_year=participants_per_year,
        mean_years_in_intervention=mean_years,
        active_citizens=active,
        caseload_max=caseload,
        consultants=math.ceil(_rounded(active / caseload)),
    )


def _rounded(value: float) -> float:
    """``value`` without the last bits of floating-point noise, so that 20 citizens computed
    as 13,333... x 1,5 count as a full caseload and need one consultant, not two."""
    return round(value, 9)
