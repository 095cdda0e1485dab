"""The claims check: every figure the seed documents state, held against the recomputed value.

Each claim in ``data/claims.yaml`` names the stated figure, how the source words it
(the qualifier) and a check from :data:`CHECKS`. A check says how it got its value
(:class:`Method`), and the verdict says it too:

* ``stemmer``: recomputed from *other* figures (the pooled share from the two arms, a
  table's total from its lines), and it agrees.
* ``bekræftet af ...``: the same figure found again in a second source, or in another
  place of the same source (the text's 2,7 mio. kr. in the proposal's Table 1), and
  consistent with it; confirmed, not recomputed.
* ``slået op igen``: the check could only read the stated figure back (the model takes
  it as an input); it shows the figure is used as stated, nothing more.
* ``stemmer ikke``: the recomputation disagrees; ``(forklaret)`` when the data file says
  why (usually two figures that look alike measure different things).
* ``uoverensstemmelse i kilden``: something inside the source does not fit, and what is
  at hand cannot say which reading is right.
* ``kan ikke efterprøves``: not verifiable from what is at hand, with the reason.

Whether a value agrees, by the qualifier:

* ``exact``: the recomputed value, rounded to the digits the source prints, is the stated
  value (within half a unit of its last digit).
* ``about`` ("ca.", "omkring"): within :data:`ABOUT_TOLERANCE` (5 %) of the stated value.
* ``just_under`` ("knap", "næsten"): from :data:`JUST_UNDER_TOLERANCE` (10 %) below the
  stated value up to it.
* ``more_than`` ("mere end"): the recomputed value is larger.
* ``consistent``: a statement without a number; agrees when the check holds.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from ipsreport.analyses import budget, health_economics, som, trial
from ipsreport.analyses.trial import Comparison
from ipsreport.errors import DataError
from ipsreport.lineage import derived, setting
from ipsreport.presentation import danish
from ipsreport.sources import FIGURE_REFERENCE, Claim, SourceData, SourceFigure, Unit

# How far (pct.) a figure worded "ca." may lie from the recomputed value, and how far below
# it one worded "knap": choices of this check, not figures of the sources.
ABOUT_TOLERANCE = setting("claims_about_tolerance", 5)
JUST_UNDER_TOLERANCE = setting("claims_just_under_tolerance", 10)


class Verdict(StrEnum):
    AGREES = "agrees"  # recomputed from other figures
    CORROBORATED = "corroborated"  # found again elsewhere, consistent
    LOOKED_UP = "looked_up"  # only read back
    DISAGREES = "disagrees"
    INCONSISTENT = "inconsistent"  # inside the source
    NOT_VERIFIABLE = "not_verifiable"


VERDICT_LABELS = {
    Verdict.AGREES: "stemmer",
    Verdict.CORROBORATED: "bekræftet",
    Verdict.LOOKED_UP: "slået op igen",
    Verdict.DISAGREES: "stemmer ikke",
    Verdict.INCONSISTENT: "uoverensstemmelse i kilden",
    Verdict.NOT_VERIFIABLE: "kan ikke efterprøves",
}


class Method(StrEnum):
    """How a check got its value."""

    RECOMPUTED = "recomputed"  # from other figures
    CORROBORATED = "corroborated"  # the same figure in a second source or place
    LOOKED_UP = "looked_up"  # the stated figure read back


_VERDICT_OF_METHOD = {
    Method.RECOMPUTED: Verdict.AGREES,
    Method.CORROBORATED: Verdict.CORROBORATED,
    Method.LOOKED_UP: Verdict.LOOKED_UP,
}


@dataclass(frozen=True)
class Recomputed:
    """A check's value in the stated figure's unit, how it was got, and how (Danish)."""

    value: float | None
    unit: Unit
    basis: str
    method: Method = Method.RECOMPUTED
    holds: bool | None = None  # for 'consistent' claims without a number
    decimals: int | None = None  # shown precision; None: one more than the stated figure
    corroborated_by: str = "anden kilde"  # Danish: what confirmed it ("kildens Tabel 1")


@dataclass(frozen=True)
class ClaimResult:
    claim: Claim
    source_file: str  # the seed's file name, or the source id (for machines, not readers)
    source_citation: str  # how a reader sees the source cited
    stated: str  # Danish, as the figure reads
    stated_value: float
    stated_unit: Unit
    recomputed: str  # Danish, or "–"
    recomputed_value: float | None
    recomputed_unit: Unit | None
    method: Method | None
    basis: str
    verdict: Verdict
    reason: str
    explained: bool = False
    corroborated_by: str = ""

    @property
    def verdict_label(self) -> str:
        label = VERDICT_LABELS[self.verdict]
        if self.verdict is Verdict.CORROBORATED:
            return f"{label} af {self.corroborated_by}"
        return f"{label} (forklaret)" if self.explained else label


class _Context:
    """The analyses the checks draw on, each computed once and only when a check needs it
    (so a brief that checks one source's claims reads only the figures those need)."""

    def __init__(self, data: SourceData) -> None:
        self.data = data

    @cached_property
    def trial(self) -> trial.TrialResult:
        return trial.analyse(self.data)

    @cached_property
    def budget(self) -> budget.BudgetResult:
        return budget.analyse(self.data)

    @cached_property
    def som(self) -> som.SomResult:
        return som.run(som.Scenario.from_data(self.data))

    @cached_property
    def health(self) -> health_economics.HealthEconomicsResult:
        return health_economics.analyse(self.data)

    @cached_property
    def published(self) -> Comparison:
        """The shares as the Danish sources publish them, compared (no arm sizes needed)."""
        return trial.compare(self.data.value("trial.published.ips_share_18m"),
                             self.data.value("trial.published.control_share_18m"))


def _check_pooled(c: _Context, _claim: Claim) -> Recomputed:
    n = {a: c.data.value(f"trial.{a}.n") for a in ("ips", "ipse")}
    s = {a: c.data.value(f"trial.{a}.share_18m") for a in ("ips", "ipse")}
    basis = (
        f"IPS og IPSE vægtet med gruppernes størrelse: ({danish.number(s['ips'], 1)} × "
        f"{danish.number(n['ips'])} + {danish.number(s['ipse'], 1)} × "
        f"{danish.number(n['ipse'])}) / {danish.number(sum(n.values()))}"
    )
    return Recomputed(trial.pooled_share(c.data), Unit.PCT, basis)


def _check_control(c: _Context, _claim: Claim) -> Recomputed:
    source = c.data.source_of("trial.sau.share_18m")
    return Recomputed(c.data.value("trial.sau.share_18m"), Unit.PCT,
                      f"Kontrolgruppens andel i den videnskabelige artikel, {source.label}",
                      method=Method.CORROBORATED, corroborated_by="anden kilde")


def _check_relative_increase(c: _Context, _claim: Claim) -> Recomputed:
    h = c.published
    return Recomputed(
        h.relative_increase_pct, Unit.PCT,
        f"({danish.number(h.intervention, 1)} − {danish.number(h.control, 1)}) / "
        f"{danish.number(h.control, 1)}",
        decimals=2,
    )


def _check_published_difference(c: _Context, _claim: Claim) -> Recomputed:
    h = c.published
    return Recomputed(h.difference_pp, Unit.PP,
                      f"{danish.number(h.intervention, 1)} − {danish.number(h.control, 1)}")


def _check_copenhagen(c: _Context, _claim: Claim) -> Recomputed:
    k = c.trial.copenhagen
    return Recomputed(k.intervention, Unit.PCT,
                      f"Forskel {danish.points(k.difference_pp)} "
                      f"({danish.number(k.intervention, 1)} − {danish.number(k.control, 1)})")


def _check_cheaper_and_better(c: _Context, _claim: Claim) -> Recomputed:
    savings = [s.per_person for s in c.health.savings]
    arms = {a.arm: a.share for a in c.trial.arms}
    holds = bool(all(s > 0 for s in savings) and arms["ips"] > arms["sau"]
                 and arms["ipse"] > arms["sau"])
    basis = (
        f"Billigere: analysens egne besparelser på "
        f"{danish.join([danish.kr(s) for s in savings])} pr. person (ikke genberegnet); "
        f"bedre: i forsøgsartiklen {danish.pct(arms['ips'])} (IPS) og "
        f"{danish.pct(arms['ipse'])} (IPSE) i job eller uddannelse mod "
        f"{danish.pct(arms['sau'])} i kontrolgruppen. Analysens egne effektmål "
        "(helbredsrelateret livskvalitet og timer i arbejde eller uddannelse) er ikke til rådighed"
    )
    return Recomputed(None, Unit.DKK, basis, holds=holds, method=Method.CORROBORATED,
                      corroborated_by="anden kilde")


def _check_som_operation(c: _Context, _claim: Claim) -> Recomputed:
    s = c.som.scenario
    last = s.intake_years + s.intervention_years_max - 1
    return Recomputed(last, Unit.YEARS,
                      f"Sidste optag i år {danish.number(s.intake_years)} er i indsatsen op til "
                      f"{danish.count(s.intervention_years_max)} år, til og med år "
                      f"{danish.number(last)}")


def _check_som_participants(c: _Context, _claim: Claim) -> Recomputed:
    s = c.som.scenario
    return Recomputed(s.participants / s.intake_years, Unit.PERSONS,
                      f"Modellens {danish.number(s.participants)} deltagere fordelt på "
                      f"{danish.count(s.intake_years)} optagelsesår; modellen tager tallet "
                      "som input", method=Method.LOOKED_UP)


def _check_som_total_cost(c: _Context, _claim: Claim) -> Recomputed:
    s = c.som.scenario
    return Recomputed(c.som.total_cost / s.participants, Unit.DKK,
                      f"Modellens samlede omkostning {danish.kr(c.som.total_cost)} / "
                      f"{danish.number(s.participants)} deltagere")


def _check_cost_per_citizen(c: _Context, _claim: Claim) -> Recomputed:
    b = c.budget
    return Recomputed(b.citizens, Unit.PERSONS,
                      f"Nettoudgift pr. borger {danish.kr(b.net_per_citizen)}, brutto "
                      f"{danish.kr(b.gross_per_citizen)}")


def _check_table1_area(area: str) -> Callable[[_Context, Claim], Recomputed]:
    def check(c: _Context, _claim: Claim) -> Recomputed:
        line = c.data.value(f"budget.table1.{area}")
        return Recomputed(line / 1000, Unit.DKK_MILLION,
                          f"Forslagets Tabel 1, linjen for "
                          f"{'indsats (EI)' if area == 'ei' else area}: "
                          f"{danish.thousands(line)} (1.000 kr.)",
                          method=Method.CORROBORATED, corroborated_by="forslagets Tabel 1")
    return check


def _check_table_total(table: str) -> Callable[[_Context, Claim], Recomputed]:
    def check(c: _Context, _claim: Claim) -> Recomputed:
        frame = getattr(c.budget, table)
        # Formatted into text (f"{...}"), a number keeps its lineage; "".join would drop it.
        parts = " + ".join(f"{danish.thousands(v)}" for v in frame["beloeb"].iloc[:-1])
        return Recomputed(c.budget.table_total(table), Unit.DKK_THOUSAND,
                          f"Summen af tabellens linjer: {parts}")
    return check


def _check_earlier_total(c: _Context, claim: Claim) -> Recomputed:
    rows = c.budget.earlier_funding[
        c.budget.earlier_funding["year"] == int(c.data[claim.figure].attributes["year"])]
    year = rows["year"].iloc[0]  # as the table has it, with its lineage
    if len(rows) == 1:  # a sum of one line is that line: confirmed, not recomputed
        return Recomputed(rows["beloeb"].iloc[0], Unit.DKK_THOUSAND,
                          f"Tabellens eneste bevilling i {danish.quantity(year, Unit.YEAR)}",
                          method=Method.CORROBORATED, corroborated_by="tabellens linje")
    return Recomputed(sum(rows["beloeb"]), Unit.DKK_THOUSAND,
                      f"Summen af bevillingerne i {danish.quantity(year, Unit.YEAR)}")


def _check_international_trials(c: _Context, _claim: Claim) -> Recomputed:
    source = c.data.source_of("evidence.brinchmann.trials")
    return Recomputed(c.data.value("evidence.brinchmann.trials"), Unit.COUNT,
                      f"Randomiserede forsøg i metaanalysen, {source.label}",
                      method=Method.CORROBORATED, corroborated_by="anden kilde")


def _check_ipscenter_vs_control(c: _Context, _claim: Claim) -> Recomputed:
    own = c.data.value("evidence.ipscenter.share")
    control = c.trial.arm("sau").share
    return Recomputed(own / control, Unit.RATIO,
                      f"Over for kontrolgruppen i Projekt Inklusion: {danish.number(own)} / "
                      f"{danish.number(control, 1)}")


def _check_competitive_job_ratio(c: _Context, _claim: Claim) -> Recomputed:
    rr = c.data.value("evidence.brinchmann.relative_risk")
    bond = c.data.value("evidence.bond.ips_share") / c.data.value("evidence.bond.control_share")
    return Recomputed(rr, Unit.RATIO,
                      f"Relativ risiko {danish.ratio(rr)} (metaanalyse); Bond m.fl.: "
                      f"{danish.ratio(bond)}")


CHECKS: dict[str, Callable[[_Context, Claim], Recomputed] | None] = {
    "none": None,
    "pooled_ips_share": _check_pooled,
    "control_share": _check_control,
    "relative_increase": _check_relative_increase,
    "published_difference": _check_published_difference,
    "copenhagen_difference": _check_copenhagen,
    "cheaper_and_better": _check_cheaper_and_better,
    "som_operation_years": _check_som_operation,
    "som_participants_per_year": _check_som_participants,
    "som_total_cost": _check_som_total_cost,
    "budget_cost_per_citizen": _check_cost_per_citizen,
    "budget_table1_ei": _check_table1_area("ei"),
    "budget_table1_service": _check_table1_area("service"),
    "budget_table1_total": _check_table_total("table1"),
    "budget_table2_total": _check_table_total("table2"),
    "budget_earlier_total": _check_earlier_total,
    "international_trials": _check_international_trials,
    "ipscenter_vs_control": _check_ipscenter_vs_control,
    "competitive_job_ratio": _check_competitive_job_ratio,
}


def stated_decimals(value: float) -> int:
    """How many decimals a stated figure is printed with (59.5 -> 1, 2700 -> 0)."""
    text = repr(float(value))
    return 0 if text.endswith(".0") else len(text.split(".")[1])


def _holds(claim: Claim, stated: float, recomputed: float) -> bool:
    if claim.qualifier == "exact":
        tolerance = 0.5 * 10.0 ** -stated_decimals(stated)
        return abs(recomputed - stated) <= tolerance + 1e-9
    if claim.qualifier == "about":
        return math.isclose(recomputed, stated, rel_tol=ABOUT_TOLERANCE / 100)
    if claim.qualifier == "just_under":
        return bool((1 - JUST_UNDER_TOLERANCE / 100) * stated <= recomputed <= stated)
    if claim.qualifier == "more_than":
        return recomputed > stated
    raise DataError(f"claims.yaml: claim '{claim.id}': qualifier '{claim.qualifier}' needs a "
                    "recomputation that says whether it holds")


def tolerance(qualifier: str) -> str:
    """The tolerance of ``about`` or ``just_under`` as a reader sees it ("5 pct.")."""
    return danish.pct(ABOUT_TOLERANCE if qualifier == "about" else JUST_UNDER_TOLERANCE, 0)


def _agreement_rule(qualifier: str) -> str:
    return {
        "exact": "Genberegnet og afrundet til kildens præcision giver det angivne tal.",
        "about": f"Genberegnet ligger inden for {tolerance('about')} af det angivne («ca.», "
                 "«omkring»).",
        "just_under": "Genberegnet ligger lidt under det angivne, som kilden siger («knap», "
                      "«næsten»).",
        "more_than": "Genberegnet er større end det angivne, som kilden siger («mere end»).",
        "consistent": "Genberegningen bekræfter udsagnet.",
    }[qualifier]


def _judge(claim: Claim, figure: SourceFigure, result: Recomputed | None) -> tuple[Verdict, str]:
    if claim.inconsistency:
        return Verdict.INCONSISTENT, claim.inconsistency
    if claim.reason:
        return Verdict.NOT_VERIFIABLE, claim.reason
    if result is None:
        raise DataError(f"claims.yaml: claim '{claim.id}' has neither a recomputation nor a "
                        "reason why it cannot be verified")
    if result.holds is not None:
        agrees = result.holds
    else:
        assert result.value is not None
        agrees = _holds(claim, figure.number, result.value)
    if agrees:
        return _VERDICT_OF_METHOD[result.method], _agreement(claim, result)
    if claim.explanation:
        return Verdict.DISAGREES, claim.explanation
    return Verdict.DISAGREES, (
        "Genberegnet afviger fra det angivne, og datafilerne forklarer ikke hvorfor."
    )


def _agreement(claim: Claim, result: Recomputed) -> str:
    if result.method is Method.LOOKED_UP:
        return ("Tallet kunne kun slås op igen, ikke genberegnes fra andre tal: det viser, at "
                "det bruges som angivet, ikke at det er rigtigt.")
    if result.method is Method.CORROBORATED:
        return (f"Samme tal findes i {result.corroborated_by} og passer med det angivne "
                f"({_qualifier_rule(claim.qualifier)}); det er bekræftet, ikke genberegnet.")
    return _agreement_rule(claim.qualifier)


def _qualifier_rule(qualifier: str) -> str:
    return {
        "exact": "afrundet til kildens præcision",
        "about": f"inden for {tolerance('about')}, «ca.»",
        "just_under": "lidt under, «knap»",
        "more_than": "større end, «mere end»",
        "consistent": "udsagnet holder",
    }[qualifier]


def _shown_decimals(result: Recomputed, stated: int) -> int | None:
    """Show a recomputed share one digit finer than the source, so rounding is visible."""
    if result.decimals is not None:
        return result.decimals
    if result.unit is Unit.RATIO:
        return max(stated + 1, 2)
    return stated + 1 if result.unit in (Unit.PCT, Unit.PP) else None


def _worded(text: str, data: SourceData) -> str:
    """A claim's reader text with each figure it names (``{figure.id}``) as a reader sees
    it, at the precision the data gives it."""
    def figure(match: re.Match[str]) -> str:
        named = data[match.group(1)]
        shown = danish.quantity(data.value(named.id), named.unit, stated_decimals(named.number))
        return f"{shown}"  # formatted, so that it keeps its lineage in the text
    return FIGURE_REFERENCE.sub(figure, text)


def tally(results: tuple[ClaimResult, ...]) -> dict[Verdict | None, int]:
    """How many claims there are (key None) and how many have each verdict, as counts that
    say in 'Tal og kilder' that ipsreport counted them."""
    counts = Counter(r.verdict for r in results)
    tallied: dict[Verdict | None, int] = {None: derived(len(results), "claims_count", ())}
    tallied.update({v: derived(counts[v], "claims_count", ()) for v in Verdict})
    return tallied


def check(data: SourceData, source: str | None = None) -> tuple[ClaimResult, ...]:
    """Hold every claim in the data (or only those of ``source``) against its check."""
    context = _Context(data)
    results = []
    for claim in data.claims:
        if source is not None and claim.source != source:
            continue
        if claim.check not in CHECKS:
            raise DataError(f"claims.yaml: claim '{claim.id}': unknown check '{claim.check}' "
                            f"(known: {', '.join(sorted(CHECKS))})")
        recompute = CHECKS[claim.check]
        result = recompute(context, claim) if recompute else None
        figure = data[claim.figure]
        verdict, reason = _judge(claim, figure, result)
        reason = _worded(reason, data)
        decimals = stated_decimals(figure.number)
        if result is None:
            shown = "–"
        elif result.value is None:
            shown = "holder" if result.holds else "holder ikke"
        else:
            shown = danish.quantity(result.value, result.unit, _shown_decimals(result, decimals))
        cited = data.sources[claim.source]
        results.append(
            ClaimResult(
                claim=claim,
                source_file=cited.file or cited.id,
                source_citation=cited.label,
                stated=danish.quantity(data.value(figure.id), figure.unit, decimals),
                stated_value=figure.number,
                stated_unit=figure.unit,
                recomputed=shown,
                recomputed_value=None if result is None else result.value,
                recomputed_unit=None if result is None or result.value is None else result.unit,
                method=None if result is None else result.method,
                basis="" if result is None else result.basis,
                verdict=verdict,
                reason=reason,
                explained=verdict is Verdict.DISAGREES and bool(claim.explanation),
                corroborated_by="" if result is None else result.corroborated_by,
            )
        )
    return tuple(results)


def all_explained(results: tuple[ClaimResult, ...]) -> bool:
    """True when every disagreement is one the data files explain."""
    return all(r.explained for r in results if r.verdict is Verdict.DISAGREES)


def as_json(results: tuple[ClaimResult, ...]) -> list[dict[str, Any]]:
    """Plain JSON-ready records, one per claim: values as numbers with their unit (a
    :class:`~ipsreport.sources.Unit`), besides the Danish text a reader sees."""
    return [
        {
            "id": r.claim.id,
            "quote": r.claim.quote,
            "source": r.claim.source,
            "source_file": r.source_file,
            "source_citation": r.source_citation,
            "figure": r.claim.figure,
            "qualifier": r.claim.qualifier,
            "stated": r.stated,
            "stated_value": r.stated_value,
            "stated_unit": str(r.stated_unit),
            "recomputed": r.recomputed,
            "recomputed_value": r.recomputed_value,
            "recomputed_unit": None if r.recomputed_unit is None else str(r.recomputed_unit),
            "method": None if r.method is None else str(r.method),
            "basis": r.basis,
            "verdict": str(r.verdict),
            "verdict_label": r.verdict_label,
            "explained": r.explained,
            "reason": r.reason,
        }
        for r in results
    ]
