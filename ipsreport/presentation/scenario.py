"""The lineage of ipsreport's SØM illustration: its inputs, and the results it computes.

The SØM model (:mod:`ipsreport.analyses.som`) validates its scenario with pydantic and
computes year by year in pandas, which keep the numbers but not their lineage. So a brief
traces them here: each input of the scenario in force as the source figure it comes from,
or as the brief's parameter that replaced it; each result as computed by the
illustration from all of them (``lineage.derived``, method "som", which the account of a
number words in Danish and lists once in "Tal og kilder" for every result it made).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ipsreport.analyses import som
from ipsreport.lineage import Figure, Parameter, TracedFloat, TracedInt, derived, traced
from ipsreport.sources import SourceData

# The briefs' parameter for each scenario input (som.qmd and guide.qmd name them alike).
PARAMETERS: Mapping[str, str] = MappingProxyType({
    "participants_per_year": "deltagere_pr_aar",
    "effect_pp": "effekt_procentpoint",
    "net_cost_per_participant": "nettoomkostning_pr_deltager",
    "effect_duration_years": "effekt_varighed_aar",
    "discount_rate_pct": "diskonteringsrente_pct",
    "prices.kommune": "pris_kommune",
    "prices.region": "pris_region",
    "prices.stat": "pris_stat",
})


def inputs(data: SourceData, scenario: som.Scenario) -> dict[str, TracedFloat | TracedInt]:
    """Each input of ``scenario`` by its name (``prices.kommune`` for a price), traced to
    the figure in ``data/`` it comes from or, where it differs, to the brief's parameter."""
    traced_inputs: dict[str, TracedFloat | TracedInt] = {}
    for item in som.assumptions(data, scenario):
        value = int(item.value) if item.value == int(item.value) else item.value
        if item.origin == "local":
            node: Figure | Parameter = Parameter(PARAMETERS.get(item.name, item.name), value)
        else:
            node = Figure(item.figure_id, data[item.figure_id].number, item.unit, item.source)
        traced_inputs[item.name] = traced(value, node)
    return traced_inputs


def result(value: float, used: Mapping[str, float]) -> TracedFloat | TracedInt:
    """``value``, a result of the illustration with the inputs ``used``."""
    return derived(value, "som", used.values())
