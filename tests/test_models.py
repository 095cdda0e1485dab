"""SØM, health economics, the Copenhagen budget and IPS practice, checked by hand."""

from __future__ import annotations

import pytest

from ipsreport import sources
from ipsreport.analyses import budget, health_economics, practice, som
from ipsreport.errors import ParameterError
from ipsreport.presentation import labels


@pytest.fixture(scope="module")
def data() -> sources.SourceData:
    return sources.load()


def test_som_reproduces_the_published_example(data: sources.SourceData) -> None:
    scenario = som.Scenario.from_data(data)
    assert scenario.participants == 150  # 50 a year for three years
    assert scenario.net_cost_per_participant == 5300
    assert scenario.effect_pp == 13.4
    result = som.run(scenario)
    assert result.total_cost == pytest.approx(150 * 5300)
    # Year 1: 50 starters, half in for one year (5.300 kr.), half for two (2.650 kr. a year).
    assert result.by_year.loc[0, "cost"] == pytest.approx(50 * (0.5 * 5300 + 0.5 * 2650))
    # Horizon: 10 years from the last finishing year (year 4) -> year 13.
    assert result.by_year["year"].tolist() == list(range(1, 14))
    # Effect: 13,4 % of 150 people for 3 years each.
    assert result.extra_person_years == pytest.approx(150 * 0.134 * 3)
    assert set(result.by_sector["sector"]) == {"kommune", "region", "stat"}
    by_year = result.by_year
    assert (by_year["net"] == by_year["consequences"] - by_year["cost"]).all()
    assert by_year["accumulated_net"].iloc[-1] == pytest.approx(by_year["net"].sum())


def test_som_discounting_and_payback(data: sources.SourceData) -> None:
    undiscounted = som.run(som.Scenario.from_data(data, discount_rate_pct=0))
    assert undiscounted.net_present_value == pytest.approx(undiscounted.by_year["net"].sum())
    discounted = som.run(som.Scenario.from_data(data))
    assert discounted.net_present_value < undiscounted.net_present_value
    never = som.run(som.Scenario.from_data(data, prices={"kommune": 0, "region": 0, "stat": 0}))
    assert never.payback_year is None
    late = som.run(som.Scenario.from_data(data, prices={"kommune": 1000, "region": 0, "stat": 0}))
    assert late.payback_year is None or late.payback_year > discounted.payback_year


def test_som_municipality_changes_any_input(data: sources.SourceData) -> None:
    base = som.run(som.Scenario.from_data(data))
    more = som.run(som.Scenario.from_data(data, participants_per_year=80))
    assert more.total_cost == pytest.approx(240 * 5300)
    assert more.net_present_value > base.net_present_value
    zero = som.run(som.Scenario.from_data(data, effect_pp=0))
    assert zero.total_consequences == 0


def test_som_sensitivity_moves_the_result(data: sources.SourceData) -> None:
    rows = {s.parameter: s for s in som.sensitivity(som.Scenario.from_data(data))}
    assert set(rows) == {"effect_pp", "prices", "effect_duration_years",
                         "net_cost_per_participant"}
    assert rows["effect_pp"].low_npv < rows["effect_pp"].base_npv < rows["effect_pp"].high_npv
    cost = rows["net_cost_per_participant"]
    assert cost.low_npv > cost.base_npv > cost.high_npv


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"participants_per_year": -5}, "parameter participants_per_year: -5 is not allowed"),
        ({"effect_pp": 150}, "parameter effect_pp: 150 is not allowed"),
        ({"discount_rate_pct": -50}, "parameter discount_rate_pct: -50 is not allowed"),
        ({"years_in_operation": 2}, "years_in_operation (2) is too short"),
        ({"colour": "red"}, "parameter colour: 'red' is not allowed: Extra inputs"),
    ],
)
def test_som_refuses_bad_parameters(data: sources.SourceData, change: dict[str, object],
                                    expected: str) -> None:
    with pytest.raises(ParameterError) as error:
        som.Scenario.from_data(data, **change)
    assert expected in str(error.value)
    assert len(str(error.value).splitlines()) == 1


def test_health_economics_scales_savings(data: sources.SourceData) -> None:
    result = health_economics.analyse(data, participants=125)
    assert result.of("ips").total == 72_000 * 125
    assert result.of("ipse").total == 55_000 * 125
    assert result.of("ips").horizon_months == 18
    assert len(result.drivers) == 4
    with pytest.raises(ParameterError, match="participants: -1"):
        health_economics.analyse(data, participants=-1)


def test_copenhagen_budget_rebuilt(data: sources.SourceData) -> None:
    b = budget.analyse(data)
    assert b.table1["beloeb"].tolist() == [900, 2700, 3600]
    assert b.table2["bevilling"].tolist()[:2] == ["35.10", "35.30"]
    assert b.table_total("table1") == b.table_total("table2") == 3600
    assert b.tables_add_up
    assert b.gross_total == pytest.approx(4_700_000)  # 3,6 + 1,1 mio. kr.
    assert b.net_total == pytest.approx(3_600_000)  # 2,7 + 0,9 mio. kr.
    assert b.offset["ei"] == pytest.approx(900_000)
    assert b.offset["service"] == pytest.approx(200_000)
    assert b.net_per_citizen == pytest.approx(28_800)
    assert b.gross_per_citizen == pytest.approx(37_600)
    assert b.extra_in_work == pytest.approx(125 * 0.158)  # (62,4 - 46,6) % of 125
    assert b.earlier_funding.set_index("year")["beloeb"].to_dict() == {2017: 2750, 2018: 3500}


def test_tables_that_do_not_add_up_are_found(changed_data) -> None:  # type: ignore[no-untyped-def]
    b = budget.analyse(sources.load(changed_data({"budget.table1.total": 3700})))
    assert not b.tables_add_up


def test_practice_caseload_and_fidelity(data: sources.SourceData) -> None:
    assert practice.consultants_needed(data, 125) == 7  # 125 / 20 = 6,25
    assert practice.consultants_needed(data, 20) == 1
    bands = practice.fidelity_bands(data)
    assert [(b.low, b.high) for b in bands] == [(115, 125), (100, 114), (74, 99), (25, 73)]
    assert [labels.fidelity_band(b) for b in bands] == [
        "Eksemplarisk IPS", "God IPS", "Rimelig IPS", "Ikke IPS"
    ]


def test_som_from_brief_reads_empty_parameters_as_the_example(data: sources.SourceData) -> None:
    example = som.Scenario.from_data(data)
    assert som.Scenario.from_brief(data, effect_pp=None, prices={"stat": None}) == example
    local = som.Scenario.from_brief(data, participants_per_year=80, prices={"kommune": 1.0})
    assert local.participants_per_year == 80
    assert (local.prices.kommune, local.prices.stat) == (1.0, example.prices.stat)
