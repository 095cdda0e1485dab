"""Each municipality's IPS target group: its new participants a year and the team they need.

No published count of the IPS target group per municipality is at hand (shared/FACTS.md).
So the number is ipsreport's estimate, an assumption that a municipality replaces with its
own: the same number of new participants a year per inhabitant in every municipality,
calibrated on one published point.

**The calibration point** is Copenhagen's 125 citizens in its 2019 budget proposal (seed
003, ``budget.citizens``) over Copenhagen's population (``population.101``), not the 50 new
participants a year of Socialstyrelsen's SØM example (seed 002). The SØM example is a
scenario that Socialstyrelsen *assumes* ("antages") for no municipality in particular, so it
has no population to give a rate per inhabitant; Copenhagen's figure is one municipality's
own count of the citizens in its IPS effort. The estimate reads the 125 as a year's new
participants (the proposal budgets one year, 2019, and does not say whether its 125 start
in that year or are in the effort at one time) and divides by Copenhagen's population on
1 January 2025, the population at hand. Which municipality a figure belongs to is its
``kommunekode`` attribute in ``data/``. Participants are computed as ``citizens x
population / population of the calibration municipality`` (multiplying first), so the
calibration municipality gets its own figure exactly.

**A municipality's own figure** replaces the estimate: the guide's parameter first, then its
row of ``data/kommuner.csv`` (:class:`Origin`).

**Teams.** A municipality whose active citizens do not fill one consultant's caseload (20,
IPS-25 item 1) is better served by a team shared with other municipalities of its region:
:func:`shared_team` gathers a region's small municipalities and how many of them together
fill one caseload.

Pure: figures come from the data object (``data.value(...)``, ``data[...]``) and results
are dataclasses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ipsreport.analyses import practice, som
from ipsreport.errors import DataError
from ipsreport.lineage import count, derived, plain, setting, total
from ipsreport.sources import SourceData
from ipsreport.sources.municipalities import Municipality
from ipsreport.sources.population import figure_id

CALIBRATION = "budget.citizens"  # Copenhagen's 125 citizens, seed 003
PER_INHABITANTS = setting("per_inhabitants", 100_000)  # the rate is shown per 100.000


class Origin(StrEnum):
    """Where a municipality's figure comes from."""

    ESTIMATE = "estimate"  # ipsreport's estimate from the population (an assumption)
    TABLE = "table"  # the municipality's own figure in data/kommuner.csv
    PARAMETER = "parameter"  # the municipality's own figure, given as the brief's parameter


@dataclass(frozen=True)
class Calibration:
    """The published point the estimate is calibrated on."""

    figure_id: str
    citizens: float
    kommunekode: int
    navn: str
    population: float

    @property
    def rate(self) -> float:
        """New participants a year per inhabitant."""
        return self.citizens / self.population

    @property
    def per_100k(self) -> float:
        """New participants a year per 100.000 inhabitants."""
        return self.citizens * PER_INHABITANTS / self.population

    def participants(self, population: float) -> float:
        """The estimate for a municipality of ``population`` inhabitants."""
        return self.citizens * population / self.population


def calibration(data: SourceData) -> Calibration:
    """Copenhagen's citizens over Copenhagen's population (see the module)."""
    figure = data[CALIBRATION]
    code = figure.attributes.get("kommunekode")
    if code is None or not code.isdigit():
        raise DataError(f"{data.directory}: figure '{CALIBRATION}' needs a kommunekode "
                        "attribute: the municipality whose figure it is")
    population = data[figure_id(int(code))]
    return Calibration(CALIBRATION, data.value(CALIBRATION), int(code),
                       population.label or code, data.value(population.id))


@dataclass(frozen=True)
class TargetGroup:
    """One municipality's target group as the guide and the overview use it."""

    municipality: Municipality
    population: float
    estimate: float  # new participants a year by the estimate, used or not
    participants_per_year: float  # the figure in force: the municipality's own, or the estimate
    origin: Origin
    team: practice.Team

    @property
    def own(self) -> bool:
        """Whether the participants are the municipality's own figure."""
        return self.origin is not Origin.ESTIMATE

    @property
    def fills_a_caseload(self) -> bool:
        return self.team.fills_a_caseload


def of(data: SourceData, municipality: Municipality, participants: int | None = None,
       calibrated: Calibration | None = None) -> TargetGroup:
    """``municipality``'s target group: ``participants`` (the brief's parameter) if given,
    else its own figure in the table, else the estimate from its population."""
    calibrated = calibrated or calibration(data)
    population = data.value(figure_id(municipality.kommunekode))
    estimate = calibrated.participants(population)
    own = municipality.own_participants()
    chosen: float
    if participants is not None:
        chosen, origin = participants, Origin.PARAMETER
    elif own is not None:
        chosen, origin = own, Origin.TABLE
    else:
        chosen, origin = estimate, Origin.ESTIMATE
    years_min = data.whole(som.SCENARIO_FIGURES["intervention_years_min"])
    years_max = data.whole(som.SCENARIO_FIGURES["intervention_years_max"])
    return TargetGroup(
        municipality=municipality,
        population=population,
        estimate=estimate,
        participants_per_year=chosen,
        origin=origin,
        team=practice.team(data, chosen, years_min, years_max),
    )


def everywhere(data: SourceData, replacing: TargetGroup | None = None,
               region: str | None = None) -> tuple[TargetGroup, ...]:
    """Every municipality's target group, in table order: its own figure in the table, or
    the estimate (no parameter: what its guide shows by default). ``replacing`` stands in
    for its municipality's (the guide's own, with its parameter); with ``region``, only
    that region's municipalities."""
    calibrated = calibration(data)
    return tuple(
        replacing if replacing is not None and m == replacing.municipality
        else of(data, m, calibrated=calibrated)
        for m in data.municipalities if region is None or m.region == region
    )


@dataclass(frozen=True)
class SharedTeam:
    """A region's municipalities that do not fill one consultant's caseload on their own."""

    region: str
    municipalities: int  # in the region
    small: tuple[TargetGroup, ...]  # largest first
    caseload_max: int

    @property
    def small_count(self) -> int:
        """How many municipalities ``small`` holds, as counted."""
        return count(self.small, "small_municipalities")

    @property
    def active_citizens(self) -> float:
        return total(group.team.active_citizens for group in self.small)

    @property
    def caseloads(self) -> float:
        """Their active citizens in full caseloads: consultants at the norm, as a fraction."""
        return total(group.team.caseloads for group in self.small)

    @property
    def fewest_to_fill(self) -> int | None:
        """The fewest of them whose active citizens together fill one caseload (taking the
        largest first); None when all of them together do not."""
        return _fewest(self.small, [], self.caseload_max)

    def fewest_with(self, group: TargetGroup) -> int | None:
        """The fewest of them that fill one caseload together with ``group`` (one of them),
        ``group`` counted, the others taken from the largest down; None if all do not."""
        others = [g for g in self.small if g.municipality != group.municipality]
        return _fewest(others, [group], self.caseload_max)


def _fewest(groups: Iterable[TargetGroup], counted: list[TargetGroup], caseload: int
            ) -> int | None:
    """How many groups fill ``caseload`` together, ``counted`` first and then ``groups`` in
    order; None if all of them do not."""
    taken = list(counted)
    remaining = list(groups)
    while round(sum(plain(g.team.active_citizens) for g in taken), 9) < caseload:
        if not remaining:
            return None
        taken.append(remaining.pop(0))
    return derived(len(taken), "fewest_to_fill",
                   [*(g.team.active_citizens for g in taken), caseload])


def shared_team(groups: Sequence[TargetGroup], region: str) -> SharedTeam:
    """``region``'s municipalities among ``groups`` that do not fill a caseload alone."""
    members = [g for g in groups if g.municipality.region == region]
    small = sorted((g for g in members if not g.fills_a_caseload),
                   key=lambda g: (-g.team.active_citizens, g.municipality.kommunekode))
    caseload = members[0].team.caseload_max if members else 0
    return SharedTeam(region=region, municipalities=count(members, "municipalities"),
                      small=tuple(small), caseload_max=caseload)


def regions(groups: Iterable[TargetGroup]) -> tuple[str, ...]:
    """The regions of ``groups`` in order of first appearance (the table's order)."""
    return tuple(dict.fromkeys(g.municipality.region for g in groups))

