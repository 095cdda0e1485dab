"""Property tests over the analyses' parameter space (hypothesis).

No valid input crashes; totals equal the sum of their parts; zero effect gives zero
consequences; more participants never lowers the total cost; a changed effect or price
moves the result the right way.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ipsreport import sources
from ipsreport.analyses import budget, health_economics, practice, som
from ipsreport.errors import ParameterError
from ipsreport.presentation import danish

DATA = sources.load()
PROFILE = settings(max_examples=60, deadline=None,
                   suppress_health_check=[HealthCheck.too_slow])

scenarios = st.fixed_dictionaries(
    {
        "participants_per_year": st.integers(0, 500),
        "intake_years": st.integers(1, 5),
        "intervention_years_min": st.integers(1, 3),
        "extra_years": st.integers(0, 2),
        "net_cost_per_participant": st.floats(0, 200_000, allow_nan=False),
        "effect_pp": st.floats(-100, 100, allow_nan=False),
        "horizon_years": st.integers(1, 15),
        "effect_duration_years": st.integers(0, 15),
        "discount_rate_pct": st.floats(0, 20, allow_nan=False),
        "prices": st.fixed_dictionaries(
            {s: st.floats(0, 500_000, allow_nan=False) for s in som.SECTORS}
        ),
    }
)


def build(values: dict[str, Any]) -> som.Scenario:
    """A valid scenario: the longest stay decides how many years the intervention runs."""
    values = dict(values)
    longest = values["intervention_years_min"] + values.pop("extra_years")
    values["intervention_years_max"] = longest
    values["years_in_operation"] = values["intake_years"] + longest - 1
    return som.Scenario.from_data(DATA, **values)


@PROFILE
@given(scenarios)
def test_som_totals_are_sums_of_their_parts(values: dict[str, Any]) -> None:
    scenario = build(values)
    result = som.run(scenario)
    sector = result.by_sector.groupby("year")[["cost", "consequences", "net"]].sum()
    for column in ("cost", "consequences", "net"):
        # Object columns: each cell a traced number (ipsreport.lineage); compared as floats.
        assert sector[column].to_numpy(float) == pytest.approx(
            result.by_year[column].to_numpy(float), abs=1e-6)
    assert result.total_cost == pytest.approx(
        scenario.participants * scenario.net_cost_per_participant, rel=1e-9, abs=1e-6)
    assert result.by_year["accumulated_net"].iloc[-1] == pytest.approx(
        result.by_year["net"].sum(), abs=1e-3)
    assert math.isfinite(result.net_present_value)


@PROFILE
@given(scenarios)
def test_zero_effect_gives_zero_consequences(values: dict[str, Any]) -> None:
    result = som.run(build({**values, "effect_pp": 0.0}))
    assert result.total_consequences == 0
    assert result.extra_person_years == 0


@PROFILE
@given(scenarios, st.integers(1, 200))
def test_more_participants_never_lower_total_cost(values: dict[str, Any], more: int) -> None:
    base = build(values)
    bigger = base.replace(participants_per_year=base.participants_per_year + more)
    assert som.run(bigger).total_cost >= som.run(base).total_cost


@PROFILE
@given(scenarios, st.floats(0.01, 50, allow_nan=False))
def test_larger_effect_and_prices_never_lower_the_result(values: dict[str, Any],
                                                         step: float) -> None:
    base = build({**values, "effect_pp": min(abs(values["effect_pp"]), 50.0)})
    stronger = base.replace(effect_pp=base.effect_pp + step)
    assert som.run(stronger).net_present_value >= som.run(base).net_present_value - 1e-6
    dearer = base.replace(prices=base.prices.scaled(1.5))
    assert som.run(dearer).net_present_value >= som.run(base).net_present_value - 1e-6


@PROFILE
@given(st.integers(-10**6, 10**6), st.integers(-100, 200).map(float))
def test_bad_scenarios_are_refused_never_crash(participants: int, effect: float) -> None:
    try:
        scenario = som.Scenario.from_data(DATA, participants_per_year=participants,
                                          effect_pp=effect)
    except ParameterError as error:
        assert participants < 0 or participants > 1_000_000 or abs(effect) > 100
        assert str(error).startswith("parameter ")
    else:
        assert som.run(scenario).total_cost >= 0


@PROFILE
@given(st.integers(0, 10**6))
def test_health_economics_scales_linearly(participants: int) -> None:
    result = health_economics.analyse(DATA, participants=participants)
    for saving in result.savings:
        assert saving.total == pytest.approx(saving.per_person * participants)


@PROFILE
@given(st.integers(0, 100_000))
def test_consultants_cover_every_citizen_at_the_caseload_norm(active: int) -> None:
    consultants = practice.consultants_needed(DATA, active)
    norm = DATA.value("fidelity.caseload_max")
    assert consultants * norm >= active
    assert (consultants - 1) * norm < active or consultants == 0


@PROFILE
@given(st.integers(25, 125))
def test_every_fidelity_score_has_exactly_one_band(score: int) -> None:
    bands = practice.fidelity_bands(DATA)
    assert sum(b.low <= score <= b.high for b in bands) == 1


@PROFILE
@given(st.floats(-1e12, 1e12, allow_nan=False), st.integers(0, 4))
def test_danish_numbers_round_half_away_from_zero_and_parse_back(value: float,
                                                                 decimals: int) -> None:
    text = danish.number(value, decimals)
    assert text.count(",") == (1 if decimals else 0)
    parsed = Decimal(text.replace(".", "").replace(",", "."))
    expected = Decimal(repr(value)).quantize(Decimal(10) ** -decimals, rounding=ROUND_HALF_UP)
    assert parsed == expected or (parsed == 0 and expected == 0)


def test_budget_tables_add_up_for_any_line_items(changed_data) -> None:  # type: ignore[no-untyped-def]
    @settings(max_examples=15, deadline=None)
    @given(st.integers(0, 100_000), st.integers(0, 100_000))
    def check(service: int, ei: int) -> None:
        assume(service + ei > 0)
        directory = changed_data({"budget.table1.service": service, "budget.table1.ei": ei,
                                  "budget.table1.total": service + ei,
                                  "budget.table2.service": service, "budget.table2.ei": ei,
                                  "budget.table2.total": service + ei})
        result = budget.analyse(sources.load(directory))
        assert result.table_total("table1") == service + ei
        assert result.tables_add_up

    check()
