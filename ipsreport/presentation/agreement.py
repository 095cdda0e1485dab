"""The standard collaboration agreement on IPS between a municipality and its region.

Seed 004 announces STAR's material for the municipalities with "standardkontrakter til
kommunernes samarbejde med regionerne om IPS". The sources at hand hold no such contract,
so this is ipsreport's fill-in template, built from the guide's checklist: each point of
the checklist is a clause, and what the parties must decide is a blank. The guide shows the
checklist (:func:`checklist`) and the template as its appendix (:func:`template`), so the two
cannot drift apart; a separate Word document can be made from the same :func:`template`.

Danish reader text; every text from outside (the municipality's and the region's names)
is escaped by the brief's helpers.
"""

from __future__ import annotations

from dataclasses import dataclass

from IPython.display import Markdown

from ipsreport.presentation import brief

# Where the parties write what they agree on.
BLANK = "_______________"


@dataclass(frozen=True)
class Clause:
    """One point of the checklist and the clause it becomes: its heading, the question the
    checklist asks, and the clause's sentences, with :data:`BLANK` where the parties decide."""

    title: str
    checklist: str
    sentences: tuple[str, ...]


CLAUSES: tuple[Clause, ...] = (
    Clause(
        "Målgruppe og henvisning",
        "Målgruppe og henvisning: hvem kan henvises, og hvordan.",
        (f"Målgruppen for IPS efter denne aftale er: {BLANK}.",
         f"Borgere henvises af {BLANK} til {BLANK} på denne måde: {BLANK}."),
    ),
    Clause(
        "IPS-konsulenternes placering og deltagelse i behandlingsteamets møder",
        "IPS-konsulenternes fysiske placering og deltagelse i behandlingsteamets møder.",
        (f"IPS-konsulenterne har arbejdsplads {BLANK}.",
         f"De deltager i behandlingsteamets møder {BLANK} (hvor ofte og hvilke møder)."),
    ),
    Clause(
        "Deling af oplysninger",
        "Deling af oplysninger med borgerens samtykke.",
        ("Oplysninger om borgeren deles mellem parterne kun med borgerens samtykke.",
         f"Samtykket indhentes af {BLANK} og omfatter {BLANK}."),
    ),
    Clause(
        "Teamleder og faglig ledelse",
        "Teamleder og faglig ledelse af IPS-konsulenterne.",
        (f"Teamlederen er ansat i {BLANK} og leder IPS-konsulenterne fagligt.",
         f"Psykiatriens kontaktperson for teamet er {BLANK}."),
    ),
    Clause(
        "Måling af troskab",
        "Måling af troskab med IPS-25 mindst én gang om året.",
        ("Troskaben mod IPS-metoden måles med IPS-25-skalaen mindst én gang om året.",
         f"Målingen foretages af {BLANK}, og parterne drøfter den {BLANK}."),
    ),
    Clause(
        "Opfølgning på resultater",
        "Opfølgning på resultater: andel i job eller uddannelse og tid i indsatsen.",
        ("Parterne følger op på andelen af borgere i job eller uddannelse og på tiden i "
         "indsatsen.",
         f"Opfølgningen sker {BLANK} (hvor ofte) og forelægges {BLANK}."),
    ),
    Clause(
        "Finansiering, varighed og opsigelse",
        "Finansiering, varighed og opsigelse.",
        (f"Indsatsen finansieres således: {BLANK}.",
         f"Aftalen gælder fra {BLANK} til {BLANK} og kan opsiges af hver part med "
         f"{BLANK} varsel."),
    ),
)


def checklist() -> list[str]:
    """The checklist for the agreement with the region, one point per clause."""
    return [clause.checklist for clause in CLAUSES]


def template(navn: str, kommunekode: int, region: str, *, shared: bool) -> Markdown:
    """The agreement as Markdown, for ``navn``'s municipality and ``region``: parties,
    purpose, one numbered clause per checklist point, and signatures. ``shared``: the
    municipality is advised to share a team, so the parties may be several municipalities."""
    municipality = brief.escape(f"{navn} (kommunekode {kommunekode}), ved jobcentret")
    lines = [
        brief.escape("Skabelon til udfyldning. Aftalens punkter er guidens tjekliste; hvor "
                     "der står en streg, skriver parterne det, de aftaler."),
        "",
        "**Parter**",
        "",
        f"- Kommunen: {municipality}",
    ]
    if shared:
        lines.append(f"- Øvrige kommuner i det fælles IPS-team: {brief.escape(BLANK)}")
    lines += [
        f"- Regionen: {brief.escape(f'{region}, ved psykiatrien')}",
        "",
        "**Formål**",
        "",
        brief.escape("Parterne samarbejder om IPS (Individuelt planlagt job med støtte) for "
                     "borgere med svær psykisk sygdom, efter IPS-metodens principper og med "
                     "beskæftigelsesindsatsen koordineret med borgerens behandling i "
                     "psykiatrien."),
    ]
    for number, clause in enumerate(CLAUSES, start=1):
        lines += ["", f"**§ {number}. {brief.escape(clause.title)}**", "",
                  brief.escape(" ".join(clause.sentences))]
    lines += [
        "",
        "**Underskrifter**",
        "",
        f"- For kommunen: {brief.escape(BLANK)} Dato: {brief.escape(BLANK)}",
    ]
    if shared:
        lines.append(f"- For de øvrige kommuner: {brief.escape(BLANK)} "
                     f"Dato: {brief.escape(BLANK)}")
    lines.append(f"- For regionen: {brief.escape(BLANK)} Dato: {brief.escape(BLANK)}")
    return Markdown("\n".join(lines))
