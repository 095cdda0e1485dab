"""Texts a brief computes rather than types: chart readings, the SØM modelling choices and
the Danish citations. Each changes when the data that decide it change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ipsreport import sources
from ipsreport.analyses import health_economics, som, trial
from ipsreport.presentation import brief, charts, citations, labels


def test_som_reading_and_modelling_choices_follow_the_scenario() -> None:
    scenario = som.Scenario.from_data(sources.load())
    reading = charts.som_years_reading(som.run(scenario))
    # 150 participants, 1-2 years: costs in years 1-4; effect 3 years from the finish year.
    assert reading.startswith("Diagrammet viser omkostninger i år 1–4 og konsekvenser i år 1–6")
    assert "9,2 mio. kr. i år 6 og ændrer sig ikke derefter" in reading
    later = scenario.replace(effect_start="year_after_finish")
    assert "konsekvenser i år 2–7" in charts.som_years_reading(som.run(later))
    choices = labels.som_modelling_choices(scenario)
    assert "fra og med det år, deltageren afslutter indsatsen" in choices[1]
    assert "først fra året efter" in labels.som_modelling_choices(later)[1]
    assert "13,4 procentpoint for 50 deltagere tæller som 6,7 personår" in choices[2]
    # Whether the example pays back in its first year is this choice, not a given.
    assert som.run(scenario).payback_year == 1
    assert som.run(later).payback_year == 2


def test_tornado_reading_names_the_widest_and_narrowest_bar() -> None:
    scenario = som.Scenario.from_data(sources.load())
    reading = charts.tornado_reading(som.sensitivity(scenario))
    assert reading.startswith("Nutidsværdien flytter mest med effektens varighed (2,4–16,6")
    assert "mindst med nettoomkostning pr. deltager (8,0–8,8 mio. kr.)" in reading
    # With the effect lasting a single year, duration can only move it one way, and less.
    short = scenario.replace(effect_duration_years=1)
    assert "mest med effektens varighed" not in charts.tornado_reading(som.sensitivity(short))


def test_trial_and_savings_readings_follow_the_data(changed_data: Callable[..., Path]) -> None:
    data = sources.load()
    assert "Ingen af IPS-gruppernes konfidensintervaller overlapper kontrolgruppens." in (
        charts.trial_shares_reading(trial.analyse(data)))
    close = sources.load(changed_data({"trial.sau.share_18m": 55.0,
                                       "healthecon.ipse.saving_per_person": 80000}))
    assert "Alle IPS-gruppernes konfidensintervaller overlapper kontrolgruppens." in (
        charts.trial_shares_reading(trial.analyse(close)))
    assert charts.savings_reading(health_economics.analyse(data)) == (
        "Diagrammet viser besparelsen pr. person: 72.000 kr. for IPS og 55.000 kr. for IPSE.")
    assert charts.savings_reading(health_economics.analyse(close)).endswith(
        "80.000 kr. for IPSE og 72.000 kr. for IPS.")


def test_significance_is_computed_at_the_stated_level(changed_data: Callable[..., Path]) -> None:
    headline = trial.headline(sources.load())
    assert headline.p_value is not None and headline.p_value < trial.SIGNIFICANCE_LEVEL
    assert trial.significant(headline) is True
    close = trial.headline(sources.load(changed_data({"trial.sau.share_18m": 55.0})))
    assert trial.significant(close) is False


def test_citations_in_danish_style() -> None:
    data = sources.load()
    assert citations.full(data.sources["seed-004"]) == (
        "Beskæftigelsesministeren: Nye resultater for borgere med svære psykiske lidelser. "
        "Brev til Folketingets Beskæftigelsesudvalg, 20. december 2018.")
    assert citations.full(data.sources["jama2019"]).endswith(
        "JAMA Psychiatry 2019;76(12):1232–1240. doi:10.1001/jamapsychiatry.2019.2291")
    assert citations.full(data.sources["seed-001"]).endswith("Hjemmeside, u.å.")
    ordered = [s.id for s in citations.ordered(data.sources.values())]
    assert "ipsreport" not in ordered  # the package's assumptions are not a source
    assert ordered.index("seed-004") < ordered.index("jama2019")  # B before C


def test_kilder_lists_the_sources_a_brief_read_and_only_those() -> None:
    data = brief.BriefData.of(sources.load())
    assert "Kilder" not in brief.sources_cited(data).data and data.read == set()
    data.value("trial.ips.n")
    data["som.price.kommune"]
    text = brief.sources_cited(data).data
    assert "JAMA Psychiatry 2019" in text
    assert "ipsreports egne antagelser" in text  # an assumption was used
    assert "Socialstyrelsen" not in text
    brief.municipality(data, 461)
    assert "Danmarks 98 kommuner" in brief.sources_cited(data).data
