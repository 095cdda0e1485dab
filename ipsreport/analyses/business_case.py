"""Each municipality's business case, and the country's as the sum of the municipalities'.

A municipality's business case is ipsreport's illustration of the SØM method
(:mod:`ipsreport.analyses.som`, as issue 17 left it) run with that municipality's figures:
its new participants a year (:mod:`ipsreport.analyses.target_group`: its own figure or the
estimate from its population) and its prices (the guide's parameter, else its own figure in
``data/kommuner.csv``, else the labelled assumption in ``data/som.yaml``). Everything else is
Socialstyrelsen's example.

:func:`national` runs :func:`of` once for every municipality, and the regions' and the
country's figures are the sums of those municipalities' figures (:class:`Totals`), never a
calculation of their own: the guide, the national overview and the batch index all show
the figures of this one computation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ipsreport.analyses import som, target_group
from ipsreport.analyses.target_group import Origin, SharedTeam, TargetGroup
from ipsreport.lineage import count, total
from ipsreport.sources import SourceData


@dataclass(frozen=True)
class Case:
    """One municipality's target group, team and SØM illustration."""

    group: TargetGroup
    scenario: som.Scenario
    result: som.SomResult
    price_origins: Mapping[str, Origin | None]  # by sector; None: ipsreport's assumption

    @property
    def total_cost(self) -> float:
        return self.result.total_cost

    @property
    def net_present_value(self) -> float:
        return self.result.net_present_value

    @property
    def own_prices(self) -> tuple[str, ...]:
        """The sectors whose price is the municipality's own figure."""
        return tuple(sector for sector, origin in self.price_origins.items() if origin)


def of(data: SourceData, group: TargetGroup,
       prices: Mapping[str, float | None] | None = None) -> Case:
    """The business case for ``group``: ``prices`` by sector (the brief's parameters; None
    for a sector not given) win over the municipality's own prices in the table, which win
    over the assumptions."""
    given = dict(prices or {})
    chosen: dict[str, float | None] = {}
    origins: dict[str, Origin | None] = {}
    for sector in som.SECTORS:
        parameter, own = given.get(sector), group.municipality.price(sector)
        if parameter is not None:
            chosen[sector], origins[sector] = parameter, Origin.PARAMETER
        elif own is not None:
            chosen[sector], origins[sector] = own, Origin.TABLE
        else:
            chosen[sector], origins[sector] = None, None
    scenario = som.Scenario.from_brief(data, participants_per_year=group.participants_per_year,
                                       prices=chosen)
    return Case(group=group, scenario=scenario, result=som.run(scenario),
                price_origins=origins)


@dataclass(frozen=True)
class Totals:
    """The sums of some municipalities' figures: a region's, or the country's."""

    name: str | None  # the region, or None for the whole country
    municipalities: int
    population: float
    participants_per_year: float
    active_citizens: float
    caseloads: float  # consultants at the caseload norm, as a fraction: additive
    total_cost: float
    net_present_value: float
    small: int  # municipalities that do not fill one caseload on their own
    own_figures: int  # municipalities whose participants are their own figure

    @classmethod
    def of(cls, name: str | None, cases: Sequence[Case]) -> Totals:
        # Each sum is traced as one sum of the municipalities' figures, and each count as
        # counted (ipsreport.lineage), so the overview's accounts say what they add up.
        return cls(
            name=name,
            municipalities=count(cases, "municipalities"),
            population=total(c.group.population for c in cases),
            participants_per_year=total(c.group.participants_per_year for c in cases),
            active_citizens=total(c.group.team.active_citizens for c in cases),
            caseloads=total(c.group.team.caseloads for c in cases),
            total_cost=total(c.total_cost for c in cases),
            net_present_value=total(c.net_present_value for c in cases),
            small=count((c for c in cases if not c.group.fills_a_caseload),
                        "small_municipalities"),
            own_figures=count((c for c in cases if c.group.own), "own_figures"),
        )


@dataclass(frozen=True)
class Overview:
    """Every municipality's case in table order, with the regions' and the country's sums
    and each region's municipalities too small for a team of their own."""

    cases: tuple[Case, ...]
    regions: tuple[Totals, ...]
    country: Totals
    shared: tuple[SharedTeam, ...]

    def in_region(self, region: str) -> tuple[Case, ...]:
        return tuple(c for c in self.cases if c.group.municipality.region == region)

    def case(self, kommunekode: int) -> Case:
        return next(c for c in self.cases if c.group.municipality.kommunekode == kommunekode)


def national(data: SourceData, region: str | None = None) -> Overview:
    """Every municipality's business case (its guide's default: own figures from the table,
    else the estimate and the assumptions), and the sums; ``region`` keeps only its own."""
    groups = target_group.everywhere(data)
    if region is not None:
        groups = tuple(g for g in groups if g.municipality.region == region)
    cases = tuple(of(data, group) for group in groups)
    names = target_group.regions(groups)
    regions = tuple(
        Totals.of(name, [c for c in cases if c.group.municipality.region == name])
        for name in names
    )
    return Overview(
        cases=cases,
        regions=regions,
        country=Totals.of(None, cases),
        shared=tuple(target_group.shared_team(groups, name) for name in names),
    )
