"""Sources cited in Danish style, from the parts ``data/sources.yaml`` gives.

A published work: authors, title, journal, year, volume and pages, doi ("Christensen TN,
Wallstrøm IG, Stenager E, et al. Effects of .... JAMA Psychiatry 2019;76(12):1232–1240.
doi:10.1001/jamapsychiatry.2019.2291"). A seed document: the issuing body, the title, what
kind of document it is and its date ("Beskæftigelsesministeren: Nye resultater for borgere
med svære psykiske lidelser. Brev til Folketingets Beskæftigelsesudvalg, 20. december
2018."). A part the source does not give is left out; a seed without a date says "u.å."
(uden år). Nothing here reads a raw source id to the reader.
"""

from __future__ import annotations

from collections.abc import Iterable

from ipsreport.presentation import danish, origins
from ipsreport.sources import Source

NO_DATE = "u.å."


def full(source: Source) -> str:
    """The source's full citation in Danish style, as plain text."""
    if source.kind == "seed":
        return _seed(source)
    parts = []
    if source.author:
        parts.append(origins.sentence(source.author))
    parts.append(origins.sentence(source.title))
    # A journal is followed by its year ("JAMA Psychiatry 2019") and volume and pages after
    # a semicolon ("2019;76(12):1232–1240"); other parts are separated by commas.
    journal = bool(source.container and (source.doi or source.details))
    where = ", ".join(part for part in (source.container,) if part)
    if source.year is not None:
        where = f"{where} {source.year}" if journal else ", ".join(
            part for part in (where, str(source.year)) if part)
    if source.details:
        pages = journal and ":" in source.details
        where = f"{where};{source.details}" if pages else ", ".join(
            part for part in (where, source.details) if part)
    if where:
        parts.append(origins.sentence(where))
    if source.doi:
        parts.append(f"doi:{source.doi}")
    return " ".join(parts)


def _seed(source: Source) -> str:
    head = f"{source.author}: {source.title}" if source.author else source.title
    when = danish.date(source.date) if source.date else (
        str(source.year) if source.year else NO_DATE)
    tail = f"{source.container}, {when}" if source.container else when
    return f"{origins.sentence(head)} {origins.sentence(tail)}"


def sort_key(source: Source) -> tuple[str, str]:
    """Alphabetical by first author (or title where there is none), as a list of sources
    is ordered; a bracketed descriptive title sorts by its first word."""
    first = (source.author or source.title).lstrip("[").casefold()
    return first, source.title.casefold()


def ordered(sources: Iterable[Source]) -> list[Source]:
    """The cited sources in the order a list of sources shows them; assumptions (the
    package's own figures) are not sources and are left out."""
    return sorted((s for s in sources if s.kind != "assumption"), key=sort_key)
