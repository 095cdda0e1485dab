"""Danish names for the things the analyses compute, as the briefs and charts show them."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ipsreport.analyses.practice import FidelityBand

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

# Where an input of the SØM scenario comes from (ipsreport.analyses.som.Assumption.origin).
ORIGINS: Mapping[str, str] = MappingProxyType({"local": "lokalt tal", "assumption": "antagelse"})


def assumption_source(origin: str, source: str) -> str:
    """How the assumptions table names an input's source: "lokalt tal", "antagelse" or the
    source's title."""
    return ORIGINS.get(origin, source)


def fidelity_band(band: FidelityBand) -> str:
    return band.label or "Ikke IPS"
