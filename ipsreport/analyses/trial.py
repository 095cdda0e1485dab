"""Projekt Inklusion: the randomised trial of IPS, recomputed from its published figures.

The paper (JAMA Psychiatry 2019) gives each arm's size and the share in employment or
education at some point within 18 months. The Danish sources quote the two IPS arms
pooled (59,5 pct.) against the control group (46,5 pct.). This module rebuilds the
pooled share from the arms, and computes the comparison a reader of the sources meets:
risk difference, relative increase, odds ratio, a significance test and the number
needed to treat.

Counts are not published; they are rebuilt from percentages and sizes (59,9 pct. of 243
is 145,6 people), rounded to whole people and always labelled approximate. Intervals
and the test use those approximate counts; the point estimates use the published shares.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from ipsreport.lineage import derived, setting
from ipsreport.sources import SourceData

ARMS = ("ips", "ipse", "sau")  # and "pooled": IPS and IPSE together
Z_95 = float(stats.norm.ppf(0.975))
# The conventional level a difference is called statistically significant at; a brief
# that says "statistisk signifikant" shows it with the test and the p-value.
SIGNIFICANCE_LEVEL = setting("significance_level", 0.05)


@dataclass(frozen=True)
class Share:
    """A share of an arm in percent, with its Wilson 95 % interval."""

    arm: str
    n: int
    share: float  # percent, as published (or pooled from published shares)
    events: int  # approximate: rebuilt from share and n
    ci_low: float
    ci_high: float
    counts_approximate: bool = True


@dataclass(frozen=True)
class Comparison:
    """Intervention against control: the measures the sources state or imply."""

    intervention: float  # percent
    control: float  # percent
    difference_pp: float
    difference_ci: tuple[float, float] | None  # Newcombe hybrid score, approximate counts
    relative_increase_pct: float
    odds_ratio: float
    p_value: float | None  # chi-square test without continuity correction
    number_needed_to_treat: float


@dataclass(frozen=True)
class FollowUp:
    """The 30-month register follow-up: shares and weeks worked per arm."""

    months: int
    shares: dict[str, float]
    weeks_worked: dict[str, float]
    p_value: float
    difference_pp: float  # IPS arms (equal shares) against control


@dataclass(frozen=True)
class TrialResult:
    arms: tuple[Share, ...]
    pooled: Share
    headline: Comparison  # the published 59,5 pct. against 46,5 pct.
    copenhagen: Comparison  # 62,4 pct. against 46,6 pct., no counts: no interval or test
    followup_30m: FollowUp
    followup_months: int
    sites: tuple[str, ...]

    def arm(self, name: str) -> Share:
        return next(a for a in (*self.arms, self.pooled) if a.arm == name)


def wilson_interval(events: int, n: int) -> tuple[float, float]:
    """Wilson score 95 % interval for ``events`` of ``n``, in percent (traced: the method
    and the counts it is computed from)."""
    ci = stats.binomtest(int(events), int(n)).proportion_ci(confidence_level=0.95,
                                                            method="wilson")
    return (derived(100 * float(ci.low), "wilson_low", (events, n)),
            derived(100 * float(ci.high), "wilson_high", (events, n)))


def newcombe_interval(a: Share, b: Share) -> tuple[float, float]:
    """Newcombe's hybrid score interval for the difference ``a - b``, in percentage points.

    Built from each share's Wilson interval (Newcombe 1998, method 10); scipy has no
    ready-made version.
    """
    d = a.share - b.share
    low = d - math.hypot(a.share - a.ci_low, b.ci_high - b.share)
    high = d + math.hypot(a.ci_high - a.share, b.share - b.ci_low)
    return (derived(low, "newcombe_low", (a.share, b.share, a.n, b.n)),
            derived(high, "newcombe_high", (a.share, b.share, a.n, b.n)))


def _share(arm: str, n: int, share: float) -> Share:
    events = round(share / 100 * n)
    low, high = wilson_interval(events, n)
    return Share(arm, n, share, events, low, high)


def compare(intervention: float, control: float, *, a: Share | None = None,
            b: Share | None = None) -> Comparison:
    """Compare two shares in percent; with arm sizes, add an interval and a test."""
    difference = intervention - control
    p_i, p_c = intervention / 100, control / 100
    odds_ratio = (p_i / (1 - p_i)) / (p_c / (1 - p_c))
    ci = p_value = None
    if a is not None and b is not None:
        ci = newcombe_interval(a, b)
        table = [[int(a.events), int(a.n - a.events)], [int(b.events), int(b.n - b.events)]]
        p_value = derived(float(stats.chi2_contingency(table, correction=False).pvalue),
                          "chi2_p", (a.events, a.n, b.events, b.n))
    return Comparison(
        intervention=intervention,
        control=control,
        difference_pp=difference,
        difference_ci=ci,
        relative_increase_pct=100 * difference / control,
        odds_ratio=odds_ratio,
        p_value=p_value,
        number_needed_to_treat=100 / difference if difference else math.inf,
    )


def compare_arms(a: Share, b: Share) -> Comparison:
    """Arm ``a`` against arm ``b`` (e.g. IPSE against IPS): difference, interval and test."""
    return compare(a.share, b.share, a=a, b=b)


def significant(comparison: Comparison, level: float = SIGNIFICANCE_LEVEL) -> bool | None:
    """Whether the difference is significant at ``level``: its p-value is below it (None
    where there is no test, as for Copenhagen's shares without counts)."""
    return None if comparison.p_value is None else comparison.p_value < level


def pooled_share(data: SourceData) -> float:
    """The two IPS arms pooled by their sizes: (59,9 x 243 + 59,1 x 238) / 481."""
    n = {arm: data.value(f"trial.{arm}.n") for arm in ("ips", "ipse")}
    shares = {arm: data.value(f"trial.{arm}.share_18m") for arm in ("ips", "ipse")}
    return sum(shares[arm] * n[arm] for arm in n) / sum(n.values())


def _arms(data: SourceData) -> tuple[tuple[Share, ...], Share]:
    """Each arm from the paper, and the two IPS arms pooled."""
    arms = tuple(
        _share(arm, data.whole(f"trial.{arm}.n"), data.value(f"trial.{arm}.share_18m"))
        for arm in ARMS
    )
    return arms, _share("pooled", arms[0].n + arms[1].n, pooled_share(data))


def headline(data: SourceData) -> Comparison:
    """The shares as the Danish sources publish them (59,5 against 46,5 pct.), with the
    interval and the test from the arm sizes behind them; reads only those figures."""
    arms, pooled = _arms(data)
    return compare(
        data.value("trial.published.ips_share_18m"),
        data.value("trial.published.control_share_18m"),
        a=pooled,
        b=arms[2],
    )


def analyse(data: SourceData) -> TrialResult:
    """Recompute every trial figure from the source data."""
    arms, pooled = _arms(data)
    n_pooled = pooled.n
    headline_ = headline(data)
    copenhagen = compare(
        data.value("trial.copenhagen.ips_share"), data.value("trial.copenhagen.control_share")
    )
    shares_30 = {arm: data.value(f"trial.followup_30m.{arm}.share") for arm in ARMS}
    followup = FollowUp(
        months=data.whole("trial.followup_30m.months"),
        shares=shares_30,
        weeks_worked={arm: data.value(f"trial.followup_30m.{arm}.weeks_worked") for arm in ARMS},
        p_value=data.value("trial.followup_30m.p_value"),
        difference_pp=(shares_30["ips"] * arms[0].n + shares_30["ipse"] * arms[1].n) / n_pooled
        - shares_30["sau"],
    )
    return TrialResult(
        arms=arms,
        pooled=pooled,
        headline=headline_,
        copenhagen=copenhagen,
        followup_30m=followup,
        followup_months=data.whole("trial.followup_months"),
        sites=data["trial.sites"].names,
    )
