"""Projekt Inklusion recomputed: figures a reader can check by hand against the sources."""

from __future__ import annotations

import math

import pytest

from ipsreport import sources
from ipsreport.analyses import trial


@pytest.fixture(scope="module")
def result() -> trial.TrialResult:
    return trial.analyse(sources.load())


def test_pooled_arms_reproduce_the_published_59_5(result: trial.TrialResult) -> None:
    # (59,9 x 243 + 59,1 x 238) / 481 = 59,504
    assert result.pooled.n == 481
    assert result.pooled.share == pytest.approx(59.504, abs=0.001)
    assert round(result.pooled.share, 1) == 59.5


def test_headline_comparison(result: trial.TrialResult) -> None:
    h = result.headline
    assert h.intervention == 59.5 and h.control == 46.5
    assert h.difference_pp == pytest.approx(13.0)
    assert h.relative_increase_pct == pytest.approx(27.96, abs=0.005)  # "knap 30 pct. mere"
    assert h.odds_ratio == pytest.approx((0.595 / 0.405) / (0.465 / 0.535))
    assert h.number_needed_to_treat == pytest.approx(100 / 13)
    assert math.ceil(h.number_needed_to_treat) == 8
    assert h.p_value is not None and h.p_value < 0.01
    low, high = h.difference_ci or (0, 0)
    assert 0 < low < 13.0 < high < 26


def test_arms_have_wilson_intervals_from_approximate_counts(result: trial.TrialResult) -> None:
    ips = result.arm("ips")
    assert (ips.n, ips.share, ips.events) == (243, 59.9, 146)  # 59,9 % of 243 = 145,6
    assert ips.counts_approximate
    assert ips.ci_low < 146 / 243 * 100 < ips.ci_high
    # Wilson 95 % for 146/243, computed by hand: centre (p + z^2/2n) / (1 + z^2/n)
    z = trial.Z_95
    p, n = 146 / 243, 243
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert ips.ci_low == pytest.approx(100 * (centre - half))
    assert ips.ci_high == pytest.approx(100 * (centre + half))


def test_copenhagen_site_has_no_interval_without_counts(result: trial.TrialResult) -> None:
    k = result.copenhagen
    assert k.difference_pp == pytest.approx(15.8)
    assert k.difference_ci is None and k.p_value is None


def test_followup_and_sites(result: trial.TrialResult) -> None:
    assert result.followup_30m.difference_pp == pytest.approx(12.0)
    assert result.followup_30m.weeks_worked == {"ips": 25, "ipse": 21, "sau": 17}
    assert result.sites == ("Silkeborg", "Odense", "Frederiksberg", "København")
    assert result.followup_months == 18
