"""Danish names for the things the analyses compute, as the briefs and charts show them."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ipsreport.analyses.practice import FidelityBand
from ipsreport.analyses.som import Scenario
from ipsreport.presentation import danish
from ipsreport.sources import Source

ARMS: Mapping[str, str] = MappingProxyType({
    "ips": "IPS",
    "ipse": "IPSE",
    "sau": "Kontrolgruppe (sædvanlig jobcenterindsats)",
    "pooled": "IPS og IPSE samlet",
})

# What each sensitivity case moves (ipsreport.analyses.som.sensitivity), for the tornado.
SENSITIVITY: Mapping[str, str] = MappingProxyType({
    "effect_pp": "Effekt (procentpoint)",
    "prices": "Priser pr. borger i job (faktor)",
    "effect_duration_years": "Effektens varighed (år)",
    "net_cost_per_participant": "Nettoomkostning pr. deltager (kr.)",
})

# How many decimals a sensitivity setting is shown with: none on years or whole kroner.
SENSITIVITY_DECIMALS: Mapping[str, int] = MappingProxyType({
    "effect_pp": 1,
    "prices": 2,
    "effect_duration_years": 0,
    "net_cost_per_participant": 0,
})

# Where an input of the SØM scenario comes from (ipsreport.analyses.som.Assumption.origin).
ORIGINS: Mapping[str, str] = MappingProxyType({"local": "lokalt tal", "assumption": "antagelse"})


def assumption_source(origin: str, source: Source) -> str:
    """How the assumptions table names an input's source: "lokalt tal", "antagelse" or the
    source's short citation (the brief's "Kilder" gives it in full)."""
    return ORIGINS.get(origin, source.label)


def fidelity_band(band: FidelityBand) -> str:
    return band.label or "Ikke IPS"


def _person_years(value: float) -> str:
    """Person-years with one decimal ("6,7"), or as many as keep a small one from reading as
    none ("0,043")."""
    return danish.number(value, 1) if abs(value) >= 0.095 or value == 0 else danish.approx(value)


SECTOR_NAMES: Mapping[str, str] = MappingProxyType(
    {"kommune": "kommunen", "region": "regionen", "stat": "staten"})


def som_modelling_choices(scenario: Scenario) -> list[str]:
    """The choices ipsreport's SØM model makes where Socialstyrelsen's example does not say
    how it counts, in Danish, from the scenario in force (ipsreport.analyses.som)."""
    years = scenario.intervention_years
    spread = (
        f"Deltagerne fordeles ligeligt på {danish.join([danish.count(y) for y in years])} år "
        "i indsatsen" if len(years) > 1
        else f"Alle deltagere er i indsatsen i {danish.count(years[0])} år"
    )
    start = (
        "Effekten tæller fra og med det år, deltageren afslutter indsatsen, og for hele det år"
        if scenario.effect_start == "finish_year"
        else "Effekten tæller først fra året efter, at deltageren har afsluttet indsatsen"
    )
    people = scenario.participants_per_year
    person_years = people * scenario.effect_pp / 100
    return [
        f"{spread}, og nettoomkostningen pr. deltager fordeles ligeligt over deltagerens år "
        f"i indsatsen. Hele omkostningen falder på {SECTOR_NAMES[scenario.cost_sector]}.",
        f"{start}.",
        "Socialstyrelsens effekt er en andel af deltagerne, der er kommet i beskæftigelse eller "
        "uddannelse inden for en periode efter start. Her regnes den om til personår: en "
        f"effekt på {danish.points(scenario.effect_pp)} for {danish.approx(people)} deltagere "
        f"tæller som {_person_years(person_years)} personår i job eller uddannelse i hvert "
        "år, effekten holder, og hvert personår giver hver sektor sin årlige pris.",
        "Nutidsværdien regnes med det første år som basisår: beløb i det første år "
        "diskonteres ikke, og beløb i hvert af de følgende år diskonteres med "
        "diskonteringsrenten én gang mere end året før.",
    ]
