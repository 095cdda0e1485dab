"""The health-economic analysis of Projekt Inklusion: savings per person, scaled.

The analysis (CORE and DaCHE, 2020) found that IPS and IPSE cost society less than
usual jobcenter services over 18 months, about 72.000 and 55.000 kr. per person. The
register costs behind those figures are not at hand, so the package scales the
published savings; it does not rebuild them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ipsreport.errors import ParameterError
from ipsreport.sources import SourceData

INTERVENTIONS = ("ips", "ipse")


@dataclass(frozen=True)
class Savings:
    intervention: str
    per_person: float  # DKK over the horizon, against usual services
    participants: float  # may be an expected number (a small municipality's 1,0)
    total: float  # DKK
    horizon_months: int


@dataclass(frozen=True)
class HealthEconomicsResult:
    savings: tuple[Savings, ...]
    drivers: tuple[str, ...]  # where the savings come from, as the source says

    def of(self, intervention: str) -> Savings:
        return next(s for s in self.savings if s.intervention == intervention)


def analyse(data: SourceData, participants: float = 1) -> HealthEconomicsResult:
    """Savings for ``participants`` people in each intervention (an expected number of
    people may be a fraction)."""
    if (isinstance(participants, bool) or not isinstance(participants, int | float)
            or not math.isfinite(participants) or participants < 0):
        raise ParameterError(
            f"participants: {participants!r} is not allowed; give a number >= 0"
        )
    horizon = data.whole("healthecon.horizon_months")
    savings = tuple(
        Savings(
            intervention=name,
            per_person=(per_person := data.value(f"healthecon.{name}.saving_per_person")),
            participants=participants,
            total=per_person * participants,
            horizon_months=horizon,
        )
        for name in INTERVENTIONS
    )
    return HealthEconomicsResult(savings=savings, drivers=data["healthecon.saving_drivers"].names)
