"""Change one source figure in a copy of data/: every result that depends on it changes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from ipsreport import sources
from ipsreport.analyses import budget, health_economics, som, trial
from ipsreport.presentation import claims


def _results(directory: Path | None) -> dict[str, object]:
    data = sources.load(directory)
    t = trial.analyse(data)
    b = budget.analyse(data)
    s = som.run(som.Scenario.from_data(data))
    h = health_economics.analyse(data, participants=10)
    return {
        "pooled": t.pooled.share,
        "ipse_ci": t.arm("ipse").ci_low,
        "relative": t.headline.relative_increase_pct,
        "control_ci": t.arm("sau").ci_high,
        "som_npv": s.net_present_value,
        "som_cost": s.total_cost,
        "table1_total": b.table_total("table1"),
        "per_citizen": b.net_per_citizen,
        "extra_in_work": b.extra_in_work,
        "saving_total": h.of("ips").total,
        "claims": tuple(r.recomputed for r in claims.check(data)),
    }


@pytest.mark.parametrize(
    ("figure", "value", "dependents"),
    [
        ("trial.ipse.share_18m", 58.0, {"pooled", "ipse_ci", "claims"}),
        ("trial.published.control_share_18m", 45.0, {"relative", "claims"}),
        ("trial.sau.share_18m", 44.0, {"control_ci", "claims"}),
        ("som.example.net_cost_per_participant", 6000, {"som_npv", "som_cost", "claims"}),
        ("som.example.effect", 10.0, {"som_npv", "claims"}),  # shown precision follows it
        ("som.price.region", 20000, {"som_npv"}),
        ("budget.table1.ei", 2800, {"table1_total", "claims"}),
        ("budget.citizens", 100, {"per_citizen", "extra_in_work", "claims"}),
        ("trial.copenhagen.ips_share", 60.0, {"extra_in_work", "claims"}),
        ("healthecon.ips.saving_per_person", 70000, {"saving_total"}),
    ],
)
def test_changed_figure_changes_exactly_its_dependents(
    changed_data: Callable[..., Path], figure: str, value: float, dependents: set[str]
) -> None:
    before = _results(None)
    after = _results(changed_data({figure: value}))
    changed = {key for key in before if before[key] != after[key]}
    assert changed == dependents
