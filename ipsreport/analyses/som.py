"""The SØM investment model (Den Socialøkonomiske Investeringsmodel) for IPS.

SØM sets an intervention's cost against the public budget consequences of its effect,
year by year and per sector (kommune, region, stat). Socialstyrelsen's IPS example
(24 September 2021) publishes the scenario and two inputs, not its prices or results
table, so this module reproduces the method with the published inputs and takes
every price as a named, overridable assumption.

How the model counts (all stated so a reader can follow it by hand):

* ``participants_per_year`` citizens start in each of the first ``intake_years``
  years (an expected number, which may be a fraction: a small municipality's 0,3 a
  year). Their time in the intervention is spread evenly over the whole years from
  ``intervention_years_min`` to ``intervention_years_max`` (for "1-2 years": half
  finish after one year, half after two).
* Each participant's net cost is spread evenly over their years in the intervention
  and falls on ``cost_sector`` (the municipality, which runs IPS).
* The effect, ``effect_pp`` percentage points more in work or education, holds for
  ``effect_duration_years`` years. By default (``effect_start="finish_year"``) it counts
  for the whole of the year a participant finishes; ``"year_after_finish"`` counts it from
  the next year. The choice decides whether the example pays back in its first year.
* A share in work or education (Socialstyrelsen's effect is measured 1-18 months after
  the start) is counted as that share of a person-year in work or education in each year
  the effect holds: 13,4 percentage points of 50 people are 6,7 person-years a year.
  Each such person-year brings each sector its yearly price.
* Budget consequences count for ``horizon_years`` years from the year participants
  finish. Net = consequences - cost (positive: the consequences outweigh the cost).
* Present values discount year ``t`` by ``(1 + r) ** (t - 1)``: year 1 is the base year.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

import pandas as pd
from pydantic import ConfigDict, Field, model_validator

from ipsreport.lineage import KeepsLineage, derivation, derived, is_traced, plain, setting
from ipsreport.sources import SourceData, Status
from ipsreport.validation import validated

SECTORS = ("kommune", "region", "stat")


# Where each scenario input's default comes from in data/som.yaml.
SCENARIO_FIGURES = {
    "years_in_operation": "som.example.years_in_operation",
    "participants_per_year": "som.example.participants_per_year",
    "intake_years": "som.example.intake_years",
    "intervention_years_min": "som.example.intervention_years_min",
    "intervention_years_max": "som.example.intervention_years_max",
    "net_cost_per_participant": "som.example.net_cost_per_participant",
    "effect_pp": "som.example.effect",
    "horizon_years": "som.example.horizon_years",
    "effect_duration_years": "som.effect_duration_years",
    "discount_rate_pct": "som.discount_rate",
}


class Prices(KeepsLineage):
    """Yearly budget consequence per extra citizen in work or education, per sector (DKK)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kommune: float = Field(ge=0, allow_inf_nan=False)
    region: float = Field(ge=0, allow_inf_nan=False)
    stat: float = Field(ge=0, allow_inf_nan=False)

    def scaled(self, factor: float) -> Prices:
        return Prices(**{s: getattr(self, s) * factor for s in SECTORS})


class Scenario(KeepsLineage):
    """Everything the model needs; defaults come from ``data/som.yaml`` via :meth:`from_data`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    years_in_operation: int = Field(ge=1, le=50)
    # An expected number, not a count: a municipality's estimate may be 0,3 a year.
    participants_per_year: float = Field(ge=0, le=1_000_000, allow_inf_nan=False)
    intake_years: int = Field(ge=1, le=50)
    intervention_years_min: int = Field(ge=1, le=10)
    intervention_years_max: int = Field(ge=1, le=10)
    net_cost_per_participant: float = Field(ge=0, allow_inf_nan=False)
    effect_pp: float = Field(ge=-100, le=100, allow_inf_nan=False)
    horizon_years: int = Field(ge=1, le=50)
    effect_duration_years: int = Field(ge=0, le=50)
    prices: Prices
    price_year: int = Field(ge=1990, le=2100)
    discount_rate_pct: float = Field(ge=0, lt=100, allow_inf_nan=False)
    cost_sector: str = Field(default="kommune", pattern="^(kommune|region|stat)$")
    effect_start: str = Field(default="finish_year", pattern="^(finish_year|year_after_finish)$")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.intervention_years_max < self.intervention_years_min:
            raise ValueError(
                f"intervention_years_max ({self.intervention_years_max}) is below "
                f"intervention_years_min ({self.intervention_years_min})"
            )
        last_year = self.intake_years + self.intervention_years_max - 1
        if last_year > self.years_in_operation:
            raise ValueError(
                f"years_in_operation ({self.years_in_operation}) is too short: the last intake "
                f"(year {self.intake_years}) stays up to {self.intervention_years_max} years, "
                f"until year {last_year}"
            )
        return self

    @classmethod
    def from_data(cls, data: SourceData, **overrides: Any) -> Scenario:
        """The published example, with any field overridden; bad values raise ParameterError."""
        defaults: dict[str, Any] = {
            name: data.value(figure_id) for name, figure_id in SCENARIO_FIGURES.items()
        }
        defaults["prices"] = {s: data.value(f"som.price.{s}") for s in SECTORS}
        defaults["price_year"] = data["som.price.kommune"].price_year
        prices = overrides.pop("prices", None)
        if prices is not None:
            defaults["prices"] = {**defaults["prices"], **dict(prices)}
        return validated(cls, {**defaults, **overrides})

    @classmethod
    def from_brief(cls, data: SourceData, **parameters: Any) -> Scenario:
        """:meth:`from_data` for a brief's parameters, where None (an empty parameter)
        means "the example's figure", for a price too."""
        prices = {k: v for k, v in dict(parameters.pop("prices", None) or {}).items()
                  if v is not None}
        given = {k: v for k, v in parameters.items() if v is not None}
        return cls.from_data(data, **given, prices=prices)

    def inputs(self) -> list[float]:
        """The numbers the scenario holds that have a lineage (a source figure, a brief's
        parameter), prices included: what the illustration's results are computed from."""
        numbers = [getattr(self, name) for name in type(self).model_fields if name != "prices"]
        numbers += [getattr(self.prices, sector) for sector in SECTORS]
        # A number without lineage (the prices' year, an attribute of the price figures) has
        # nothing to say in an account.
        return [n for n in numbers if is_traced(n)]

    def replace(self, **changes: Any) -> Scenario:
        """A copy with some fields changed, validated like the original."""
        return validated(type(self), {**self.model_dump(), **changes})

    @property
    def participants(self) -> float:
        return self.participants_per_year * self.intake_years

    @property
    def last_year(self) -> int:
        """The last year with budget consequences."""
        return self.intake_years + self.intervention_years_max - 1 + self.horizon_years - 1

    @property
    def intervention_years(self) -> tuple[int, ...]:
        """The whole years a participant may stay, each taken by an equal share of them."""
        return tuple(range(self.intervention_years_min, self.intervention_years_max + 1))


@dataclass(frozen=True)
class SomResult:
    # The frames' amounts are object columns of traced numbers (ipsreport.lineage), each the
    # illustration's result from the scenario's inputs.
    scenario: Scenario
    by_sector: pd.DataFrame  # year, sector, cost, consequences, net (DKK)
    by_year: pd.DataFrame  # year, cost, consequences, net, accumulated_net, present_value
    net_present_value: float
    payback_year: int | None  # first year the accumulated net is >= 0, None if never
    extra_person_years: float  # citizen-years in work or education gained
    total_cost: float  # over all years
    total_consequences: float


def run(scenario: Scenario) -> SomResult:
    """Run the model year by year; pure, no I/O."""
    # The arithmetic on plain numbers: every result is traced to all the inputs below, so
    # tracing each step of the year-by-year sums would only cost time.
    last_year, intake_years = plain(scenario.last_year), plain(scenario.intake_years)
    durations = [plain(duration) for duration in scenario.intervention_years]
    horizon_years = plain(scenario.horizon_years)
    effect_years = plain(scenario.effect_duration_years)
    participants = plain(scenario.participants_per_year)
    net_cost = plain(scenario.net_cost_per_participant)
    effect_pp = plain(scenario.effect_pp)
    years = range(1, last_year + 1)
    weight = 1 / len(durations)
    cost = dict.fromkeys(years, 0.0)
    extra = dict.fromkeys(years, 0.0)  # extra citizens in work or education, per year
    for start in range(1, intake_years + 1):
        for duration in durations:
            people = participants * weight
            finish = start + duration - 1
            for year in range(start, finish + 1):
                cost[year] += people * net_cost / duration
            horizon_end = finish + horizon_years - 1
            first = finish + (scenario.effect_start == "year_after_finish")
            effect_end = min(first + effect_years - 1, horizon_end)
            for year in range(first, effect_end + 1):
                extra[year] += people * effect_pp / 100

    rows = [
        {
            "year": year,
            "sector": sector,
            "cost": cost[year] if sector == scenario.cost_sector else 0.0,
            "consequences": extra[year] * plain(getattr(scenario.prices, sector)),
        }
        for year in years
        for sector in SECTORS
    ]
    by_sector = pd.DataFrame(rows)
    by_sector["net"] = by_sector["consequences"] - by_sector["cost"]
    by_year = by_sector.groupby("year", as_index=False)[["cost", "consequences", "net"]].sum()
    by_year["accumulated_net"] = by_year["net"].cumsum()
    rate = plain(scenario.discount_rate_pct) / 100
    by_year["present_value"] = by_year["net"] / (1 + rate) ** (by_year["year"] - 1)
    paid_back = by_year[(by_year["accumulated_net"] >= 0) & (by_year["cost"].cumsum() > 0)]
    # Every result is the illustration's, computed from all the scenario's inputs: traced so
    # (one account for all, not the arithmetic of each cell).
    inputs = scenario.inputs()
    result = derivation("som", inputs)
    for frame in (by_sector, by_year):
        # The years too: which years have costs and consequences is the scenario's doing.
        frame["year"] = pd.Series([result(int(y)) for y in frame["year"]], dtype=object)
        for column in ("cost", "consequences", "net", "accumulated_net", "present_value"):
            if column in frame:
                frame[column] = pd.Series([result(v) for v in frame[column]], dtype=object)
    return SomResult(
        scenario=scenario,
        by_sector=by_sector,
        by_year=by_year,
        net_present_value=result(by_year["present_value"].sum()),
        payback_year=(derived(int(paid_back["year"].iloc[0]), "som", inputs)
                      if len(paid_back) else None),
        extra_person_years=result(sum(extra.values())),
        total_cost=result(plain(by_year["cost"].sum())),
        total_consequences=result(plain(by_year["consequences"].sum())),
    )


@dataclass(frozen=True)
class Assumption:
    """One input of a scenario as a brief lists it: what, value, and where it comes from."""

    name: str
    figure_id: str
    meaning: str
    value: float
    unit: str
    origin: str  # "local" (overridden), "assumption" (the package's own), or "source"
    source: str  # the id of the figure's source (data/sources.yaml)


def assumptions(data: SourceData, scenario: Scenario) -> tuple[Assumption, ...]:
    """Every input in force, with its source; a value that differs from the data is local."""
    fields = {**SCENARIO_FIGURES, **{f"prices.{s}": f"som.price.{s}" for s in SECTORS}}
    rows = []
    for name, figure_id in fields.items():
        figure = data[figure_id]
        value = (getattr(scenario.prices, name.removeprefix("prices."))
                 if name.startswith("prices.") else getattr(scenario, name))
        if value != figure.number:
            origin = "local"
        elif figure.status in (Status.ASSUMPTION, Status.UNCONFIRMED):
            origin = "assumption"
        else:
            origin = "source"
        rows.append(Assumption(name, figure_id, figure.meaning, value, figure.unit,
                               origin, figure.source))
    return tuple(rows)


@dataclass(frozen=True)
class Sensitivity:
    """The net present value when one input moves down and up, the others held."""

    parameter: str  # the scenario input moved ("prices": all three prices by a factor)
    low_setting: float
    high_setting: float
    low_npv: float
    high_npv: float
    base_npv: float


# How far the sensitivity analysis moves an input: choices of the package, not source figures.
SENSITIVITY_WIDE = setting("som_sensitivity_wide", 0.5)  # effect and net cost: +/- 50 %
SENSITIVITY_PRICES = setting("som_sensitivity_prices", 0.25)  # the prices: +/- 25 %
SENSITIVITY_SHORTEST = setting("som_sensitivity_shortest", 1)  # the effect's shortest (years)


def sensitivity(scenario: Scenario) -> tuple[Sensitivity, ...]:
    """Effect and net cost +/- :data:`SENSITIVITY_WIDE` (50 %), prices +/-
    :data:`SENSITIVITY_PRICES` (25 %), effect duration :data:`SENSITIVITY_SHORTEST` (1 year)
    to double (within the horizon)."""
    base = run(scenario).net_present_value
    duration = scenario.effect_duration_years
    wide, prices = SENSITIVITY_WIDE, SENSITIVITY_PRICES
    cases: list[tuple[str, Any, Any, dict[str, Any], dict[str, Any]]] = [
        ("effect_pp", scenario.effect_pp * (1 - wide), scenario.effect_pp * (1 + wide), {}, {}),
        ("prices", 1 - prices, 1 + prices,
         {"prices": scenario.prices.scaled(1 - prices)},
         {"prices": scenario.prices.scaled(1 + prices)}),
        ("effect_duration_years", SENSITIVITY_SHORTEST,
         min(2 * duration, scenario.horizon_years), {}, {}),
        ("net_cost_per_participant", scenario.net_cost_per_participant * (1 - wide),
         scenario.net_cost_per_participant * (1 + wide), {}, {}),
    ]
    results = []
    for name, low, high, low_change, high_change in cases:
        low_scenario = scenario.replace(**(low_change or {name: low}))
        high_scenario = scenario.replace(**(high_change or {name: high}))
        results.append(
            Sensitivity(
                parameter=name,
                low_setting=low,
                high_setting=high,
                low_npv=run(low_scenario).net_present_value,
                high_npv=run(high_scenario).net_present_value,
                base_npv=base,
            )
        )
    return tuple(results)
