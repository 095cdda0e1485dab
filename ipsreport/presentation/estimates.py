"""Danish wording of a municipality's figures: its target group, its team and its key figures.

What the guide and the national overview say about one municipality or a region, from
:mod:`ipsreport.analyses.target_group` and :mod:`ipsreport.analyses.business_case`: where
each figure comes from (the municipality's own, or ipsreport's estimate, an "antagelse"
whose derivation is shown), whether its citizens fill an IPS consultant's caseload, and
the advice to share a team with the region's other small municipalities. Estimated numbers
are shown with :func:`~ipsreport.presentation.danish.approx` and amounts with
:func:`~ipsreport.presentation.danish.money`, so that rounding never hides a small
municipality (0,3 participants a year reads "0,3", not "0").
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from ipsreport.analyses import target_group
from ipsreport.analyses.business_case import Case, Totals
from ipsreport.analyses.som import SECTORS, Assumption
from ipsreport.analyses.target_group import Calibration, Origin, SharedTeam, TargetGroup
from ipsreport.keyfigures import KeyFigure
from ipsreport.presentation import danish, labels
from ipsreport.sources import Source, SourceData

ORIGINS: Mapping[Origin, str] = MappingProxyType({
    Origin.ESTIMATE: "antagelse",
    Origin.TABLE: "kommunens eget tal (kommunetabellen)",
    Origin.PARAMETER: "kommunens eget tal (parameter)",
})
# The batch index's and the overview's column headers for the key figures.
KEY_FIGURE_LABELS: Mapping[str, str] = MappingProxyType({
    "participants": "Nye deltagere pr. år",
    "consultants": "IPS-konsulenter",
    "npv": "Nutidsværdi",
})


def rate(data: SourceData, calibration: Calibration) -> str:
    """The estimate's derivation: "18,7 nye deltagere om året pr. 100.000 indbyggere
    (beregnet), som i Københavns Kommune, budgetforslag 2019: 125 borgere og 667.099
    indbyggere i København"."""
    source = data.source_of(calibration.figure_id).label
    return (f"{danish.number(calibration.per_100k, 1)} nye deltagere om året pr. "
            f"{danish.number(target_group.PER_INHABITANTS)} indbyggere (beregnet), som i "
            f"{source}: {danish.number(calibration.citizens)} borgere og "
            f"{danish.number(calibration.population)} indbyggere i {calibration.navn}")


def participants_origin(group: TargetGroup) -> str:
    """How the guide names the source of a municipality's participants."""
    return ORIGINS[group.origin]


SECTOR_PRICES: Mapping[str, str] = MappingProxyType({
    "kommune": "prisen for kommunen", "region": "prisen for regionen", "stat": "prisen for staten",
})


def origins_text(case: Case) -> str:
    """Which of the guide's figures are the municipality's own, and which are ipsreport's."""
    own = []
    if case.group.own:
        own.append(f"nye deltagere om året ({_where(case.group.origin)})")
    for sector in SECTORS:
        origin = case.price_origins[sector]
        if origin is not None:
            own.append(f"{SECTOR_PRICES[sector]} pr. ekstra borger i job ({_where(origin)})")
    if not own:
        return ("Guiden har ingen af kommunens egne tal: antallet af nye deltagere er "
                "ipsreports skøn, og priserne pr. borger i job er ipsreports antagelser; begge "
                "er mærket «antagelse».")
    return (f"Kommunens egne tal i guiden er {danish.join(own)}. De øvrige tal er "
            "ipsreports skøn og antagelser, mærket «antagelse».")


def _where(origin: Origin) -> str:
    return "kommunetabellen" if origin is Origin.TABLE else "parameter"


def assumption_source(case: Case, assumption: Assumption, source: Source) -> str:
    """How the assumptions table names the source of a SØM input for this municipality:
    its own figure (and where it was given), "antagelse", or the source's citation."""
    if assumption.name == "participants_per_year":
        return participants_origin(case.group)
    sector = assumption.name.removeprefix("prices.")
    origin = case.price_origins.get(sector) if sector in SECTORS else None
    if origin is not None:
        return ORIGINS[origin]
    return labels.assumption_source(assumption.origin, source)


def participants_text(data: SourceData, group: TargetGroup, calibration: Calibration) -> str:
    """Where the municipality's new participants a year come from, with the numbers."""
    m = group.municipality
    date = danish.date(data["population.date"].date)
    people = f"{danish.number(group.population)} indbyggere den {date}"
    if group.origin is Origin.ESTIMATE:
        text = (f"For {m.navn} med {people} giver det "
                f"{danish.approx(group.participants_per_year)} nye deltagere om året "
                "(antagelse).")
        if m.kommunekode == calibration.kommunekode:
            text += (f" For {m.navn} er skønnet altså kommunens eget tal fra budgetforslaget, "
                     "regnet om til folketallet i dag.")
        return text
    how = "i kommunetabellen" if group.origin is Origin.TABLE else "som parameter"
    return (f"{m.navn} har selv opgivet {danish.approx(group.participants_per_year)} nye "
            f"deltagere om året ({how}), og guiden regner med det tal i stedet for skønnet. "
            f"Skønnet ud fra folketallet, {people}, ville have været "
            f"{danish.approx(group.estimate)} nye deltagere om året.")


def consultants(count: int) -> str:
    """Whole IPS consultants in running text: "én IPS-konsulent", "tre IPS-konsulenter"."""
    return "én IPS-konsulent" if count == 1 else f"{danish.count(count)} IPS-konsulenter"


def team_text(group: TargetGroup) -> str:
    """The team the municipality's citizens need, in words."""
    team = group.team
    text = (f"Med {danish.approx(team.participants_per_year)} nye deltagere om året "
            f"({participants_origin(group)}), der i gennemsnit er "
            f"{danish.number(team.mean_years_in_intervention, 1)} år i indsatsen, er der omkring "
            f"{danish.approx(team.active_citizens)} aktive borgere ad gangen (beregnet).")
    if team.participants_per_year == 0:
        return text + " Så er der ikke brug for et IPS-team."
    if group.fills_a_caseload:
        return text + (
            f" Ved højst {danish.number(team.caseload_max)} borgere pr. konsulent kræver det "
            f"{consultants(team.consultants)} og "
            f"en teamleder ({danish.approx(team.caseloads)} konsulenter, hvis hver havde "
            f"præcis {danish.number(team.caseload_max)} borgere)."
        )
    return text + (
        f" Det fylder ikke én IPS-konsulents sagsstamme: de "
        f"{danish.approx(team.active_citizens)} borgere er "
        f"{danish.pct(100 * team.caseloads)} af de {danish.number(team.caseload_max)}, en "
        "konsulent højst må "
        f"have. Et team alene ville være én IPS-konsulent med "
        f"{danish.approx(team.active_citizens)} borgere ad gangen."
    )


def shared_team_text(group: TargetGroup, shared: SharedTeam) -> str:
    """The advice to a municipality too small for a team of its own: a team shared with the
    region's other small municipalities, and how many of them together fill one caseload."""
    m = group.municipality
    text = (f"Guiden anbefaler derfor, at {m.navn} går sammen med andre kommuner i {m.region} "
            "om et fælles IPS-team med én teamleder. "
            f"I regionen kan {danish.count(shared.small_count)} af de "
            f"{danish.count(shared.municipalities)} kommuner ikke fylde én sagsstamme alene; "
            f"tilsammen har de {danish.approx(shared.active_citizens)} aktive borgere, hvad der "
            f"svarer til {danish.approx(shared.caseloads)} IPS-konsulenter med "
            f"{danish.number(shared.caseload_max)} borgere hver (beregnet).")
    fewest = shared.fewest_with(group)
    if fewest is None:
        return text + (" Selv alle regionens små kommuner fylder tilsammen ikke én "
                       "sagsstamme, så et fælles team må også omfatte en større kommune.")
    return text + (f" Mindst {danish.count(fewest)} af regionens små kommuner, {m.navn} "
                   "medregnet og de andre taget fra de største, fylder tilsammen én "
                   "konsulents sagsstamme.")


def host_text(group: TargetGroup, shared: SharedTeam) -> str:
    """For a municipality that fills a caseload: its region's small municipalities."""
    if not shared.small:
        return ""
    return (f"I {group.municipality.region} kan {danish.count(shared.small_count)} af de "
            f"{danish.count(shared.municipalities)} kommuner ikke fylde én IPS-konsulents "
            "sagsstamme alene. Guiden anbefaler dem et fælles team med andre kommuner i "
            f"regionen, og det kan også omfatte {group.municipality.navn}.")


def key_figures(case: Case) -> tuple[KeyFigure, ...]:
    """A municipality's key figures, as its guide declares them for the batch index and as
    the overview's table shows them: participants a year, consultants, net present value."""
    team = case.group.team
    return (
        KeyFigure(KEY_FIGURE_LABELS["participants"],
                  danish.approx(case.group.participants_per_year),
                  case.group.participants_per_year),
        KeyFigure(KEY_FIGURE_LABELS["consultants"], danish.approx(team.caseloads),
                  team.caseloads),
        KeyFigure(KEY_FIGURE_LABELS["npv"], danish.money(case.net_present_value),
                  case.net_present_value),
    )


def totals_cells(totals: Totals) -> dict[str, str]:
    """A region's or the country's sums as table cells."""
    return {
        "kommuner": danish.number(totals.municipalities),
        "folketal": danish.number(totals.population),
        "deltagere": danish.approx(totals.participants_per_year),
        "aktive": danish.approx(totals.active_citizens),
        "konsulenter": danish.approx(totals.caseloads),
        "omkostning": danish.money(totals.total_cost),
        "npv": danish.money(totals.net_present_value),
    }


def case_cells(case: Case) -> dict[str, str]:
    """One municipality's figures as the overview's table cells."""
    group = case.group
    name = group.municipality.navn
    return {
        "kommune": f"{name} (eget tal)" if group.own else name,
        "folketal": danish.number(group.population),
        "deltagere": danish.approx(group.participants_per_year),
        "konsulenter": danish.approx(group.team.caseloads),
        "omkostning": danish.money(case.total_cost),
        "npv": danish.money(case.net_present_value),
        "team": "ja" if group.fills_a_caseload else "nej",
    }
