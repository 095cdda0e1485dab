"""Source figures: load ``data/``, validate it, and hand out immutable records.

Every number the briefs show starts here. A figure carries its value, unit, exact
meaning and the source it comes from (a seed file in ``shared/seeds/`` or a citation
from ``shared/FACTS.md``); approximations, assumptions and unconfirmed figures say so.
The figures are those of ``data/*.yaml`` and, one per municipality, the population table
``data/folketal.csv`` (:mod:`ipsreport.sources.population`); the municipality table
``data/kommuner.csv`` comes with them. A broken file is refused with one line per problem
naming the file, the figure or line and what is wrong, before any analysis runs.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from typing import Any, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ipsreport import validation, yamltext
from ipsreport.digest import folder_digest
from ipsreport.errors import DataError, shown
from ipsreport.lineage import Figure, traced
from ipsreport.paths import data_dir
from ipsreport.sources import municipalities as municipality_table

SOURCES_FILE = "sources.yaml"
CLAIMS_FILE = "claims.yaml"
# The provenance of data/folketal.csv (ipsreport.sources.population), not a figure list.
POPULATION_SIDECAR = "folketal.yaml"

_Model = TypeVar("_Model", bound=BaseModel)
# The data files are tens of kilobytes; a much larger one is not a data file.
_MAX_FILE = 16 << 20


class Unit(StrEnum):
    """What a figure's value counts. Ranges are enforced per unit."""

    PERSONS = "persons"
    COUNT = "count"
    PCT = "pct"  # a share or rate in percent, 0-100
    PP = "pp"  # percentage points, -100 to 100
    DKK = "dkk"
    DKK_THOUSAND = "dkk_thousand"
    DKK_MILLION = "dkk_million"
    EUR = "eur"
    YEAR = "year"  # a calendar year
    YEARS = "years"
    MONTHS = "months"
    WEEKS = "weeks"
    RATIO = "ratio"
    PROBABILITY = "probability"
    SCORE = "score"
    QALY = "qaly"
    NAMES = "names"  # a list of names, e.g. the trial's sites
    TEXT = "text"  # a piece of text, e.g. the ministry's address in a letter
    DATE = "date"  # an ISO date, e.g. a letter's date


_WHOLE_UNITS = {Unit.PERSONS, Unit.COUNT, Unit.YEAR, Unit.YEARS, Unit.MONTHS, Unit.SCORE}
_NON_NEGATIVE_UNITS = _WHOLE_UNITS | {
    Unit.DKK_THOUSAND,
    Unit.DKK_MILLION,
    Unit.WEEKS,
    Unit.RATIO,
    Unit.QALY,
    Unit.EUR,
    Unit.PCT,
    Unit.PROBABILITY,
}


class Status(StrEnum):
    """How far a figure can be trusted as it stands."""

    PUBLISHED = "published"
    APPROXIMATION = "approximation"
    ASSUMPTION = "assumption"  # Danish: "antagelse"; the user may override it
    UNCONFIRMED = "unconfirmed"  # usable only as a labelled assumption


class Source(BaseModel):
    """A seed document or a published work that figures cite, with the parts of its
    citation (the presentation layer words it in Danish style)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: str = Field(pattern="^(seed|citation|assumption)$")
    title: str
    file: str | None = None
    date: dt.date | None = None
    short: str | None = None  # how a reader sees it cited in a sentence or a table cell
    author: str | None = None  # authors, or the issuing body of a seed
    container: str | None = None  # the journal, or the kind of document
    year: int | None = None
    details: str | None = None  # volume, issue, pages or article number
    doi: str | None = None

    @property
    def label(self) -> str:
        """How a reader sees the source cited: its short citation, else its title."""
        return self.short or self.title


class SourceFigure(BaseModel):
    """One figure from one source, exactly as the source states it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    value: float | tuple[str, ...] | dt.date | str
    unit: Unit
    meaning: str = Field(min_length=1)
    source: str
    also_in: tuple[str, ...] = ()
    label: str | None = None
    attributes: Mapping[str, str] = Field(default_factory=dict)
    price_year: int | None = None
    status: Status = Status.PUBLISHED
    note: str | None = None

    @model_validator(mode="after")
    def _value_fits_unit(self) -> Self:
        problem = _unit_problem(self.unit, self.value)
        if problem is not None:
            raise ValueError(problem)
        if self.status is not Status.PUBLISHED and not self.note:
            raise ValueError(f"a figure with status '{self.status}' needs a note saying why")
        return self

    @property
    def number(self) -> float:
        """The value as a number (refuses names, texts and dates)."""
        if not isinstance(self.value, float):
            raise DataError(f"figure '{self.id}' is not a number")
        return self.value

    @property
    def text(self) -> str:
        if not isinstance(self.value, str):
            raise DataError(f"figure '{self.id}' is not a text")
        return self.value

    @property
    def date(self) -> dt.date:
        if not isinstance(self.value, dt.date):
            raise DataError(f"figure '{self.id}' is not a date")
        return self.value

    @property
    def names(self) -> tuple[str, ...]:
        if not isinstance(self.value, tuple):
            raise DataError(f"figure '{self.id}' is a number, not a list of names")
        return self.value


def _unit_problem(unit: Unit, value: float | tuple[str, ...] | dt.date | str) -> str | None:
    """Why ``value`` cannot be a figure in ``unit``, or None if it can."""
    if unit is Unit.TEXT:
        ok = isinstance(value, str) and bool(value.strip())
        return None if ok else "a figure in unit 'text' must be a non-empty text"
    if unit is Unit.DATE:
        ok = isinstance(value, dt.date)
        return None if ok else "a figure in unit 'date' must be a date written YYYY-MM-DD"
    if isinstance(value, (str, dt.date)):
        return f"a figure in unit '{unit}' must be a number, not {value!r}"
    if unit is Unit.NAMES:
        ok = isinstance(value, tuple) and bool(value)
        return None if ok else "a figure in unit 'names' must be a non-empty list of names"
    if isinstance(value, tuple):
        return f"a figure in unit '{unit}' must be a number, not a list"
    return number_problem(unit, value)


def number_problem(unit: Unit, value: float) -> str | None:
    """Why the number ``value`` is out of range for ``unit``, or None if it is not."""
    if not math.isfinite(value):
        return f"value {value} is not a finite number"
    if unit in _NON_NEGATIVE_UNITS and value < 0:
        return f"value {value:g} is negative; unit '{unit}' must be >= 0"
    if unit in _WHOLE_UNITS and value != int(value):
        return f"value {value:g} must be a whole number in unit '{unit}'"
    if unit is Unit.PCT and value > 100:
        return f"value {value:g} pct is above 100 pct"
    if unit is Unit.PP and not -100 <= value <= 100:
        return f"value {value:g} percentage points is outside -100 to 100"
    if unit is Unit.PROBABILITY and value > 1:
        return f"value {value:g} is a probability above 1"
    return None


class Claim(BaseModel):
    """A figure or comparison that a seed document states, to be held against the data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_-]+$")
    source: str
    quote: str = Field(min_length=1)
    figure: str
    check: str
    qualifier: str = Field(
        default="exact", pattern="^(exact|about|just_under|more_than|consistent)$"
    )
    explanation: str | None = None  # why a disagreement is expected (a different measure)
    inconsistency: str | None = None  # what inside the source does not fit, and why it stays open
    reason: str | None = None  # why the claim cannot be verified from what is at hand


@dataclass(frozen=True)
class SourceData:
    """Every source, figure, claim and municipality in one ``data/`` folder, validated and
    read-only."""

    directory: Path
    sources: Mapping[str, Source]
    figures: Mapping[str, SourceFigure]
    claims: tuple[Claim, ...]
    municipalities: tuple[municipality_table.Municipality, ...]
    digest: str

    def __getitem__(self, figure_id: str) -> SourceFigure:
        try:
            return self.figures[figure_id]
        except KeyError:
            raise DataError(
                f"{self.directory}: no figure '{figure_id}' in the data files"
            ) from None

    def value(self, figure_id: str) -> float:
        """The numeric value of one figure, carrying its lineage (``ipsreport.lineage``):
        an int for a figure in a whole unit (persons, counts, years), else a float."""
        figure = self[figure_id]
        number = figure.number
        whole = figure.unit in _WHOLE_UNITS and number == int(number)
        return traced(int(number) if whole else number,
                      Figure(figure.id, number, str(figure.unit), figure.source))

    def whole(self, figure_id: str) -> int:
        """The value of a figure that is a whole number (a count, a number of months), as
        an int carrying its lineage."""
        value = self.value(figure_id)
        if not isinstance(value, int):
            raise DataError(f"figure '{figure_id}' is not a whole number")
        return value

    def source_of(self, figure_id: str) -> Source:
        return self.sources[self[figure_id].source]

    def under(self, prefix: str) -> Iterator[SourceFigure]:
        """The figures whose id starts with ``prefix.``, in file order."""
        return (f for key, f in self.figures.items() if key.startswith(prefix + "."))


# The folder loaded last, with its digest: a batch's warm kernel loads the same data for
# every document, and reading it again gives the very same records (they are immutable).
_last: tuple[Path, str, SourceData] | None = None


def load(directory: Path | None = None) -> SourceData:
    """Load and validate every data file; raise :class:`DataError` listing each problem.

    The folder's digest is taken first: when it is the digest of the folder loaded last,
    that load's records are returned, as they would be read again."""
    global _last
    directory = (directory or data_dir()).resolve()
    if not directory.is_dir():
        raise DataError(f"data folder {directory} does not exist")
    digest = folder_digest(directory)
    if _last is not None and _last[:2] == (directory, digest):
        return _last[2]
    data = _load(directory, digest)
    # Kept only if no file changed while it was read.
    _last = (directory, digest, data) if folder_digest(directory) == digest else None
    return data


def _load(directory: Path, digest: str) -> SourceData:
    # The population table's rows become figures; its module builds on this one's records.
    from ipsreport.sources import population

    problems: list[str] = []
    sources = _load_sources(directory, problems)
    figures = _load_figures(directory, sources, problems)
    before = len(problems)
    municipalities = municipality_table.read(directory, problems)
    # A broken kommuner.csv is reported as it is: the population rows are then checked on
    # their own, not against a table that lacks the rows it could not read.
    table_read = len(problems) == before
    for figure in population.read(directory, municipalities if table_read else None, sources,
                                  problems):
        figures[figure.id] = figure
    claims = _load_claims(directory, sources, figures, problems)
    if problems:
        raise DataError("\n".join(f"invalid data: {directory.name}/{p}" for p in problems))
    return SourceData(
        directory=directory,
        sources=MappingProxyType(sources),
        figures=MappingProxyType(figures),
        claims=tuple(claims),
        municipalities=municipalities,
        digest=digest,
    )


def _load_sources(directory: Path, problems: list[str]) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    for key, raw in _section(directory / SOURCES_FILE, "sources", dict, problems).items():
        model = _validate(Source, {"id": key, **_mapping(raw)}, f"{SOURCES_FILE}: source '{key}'",
                          problems)
        if model is not None:
            sources[key] = model
    return sources


def _load_figures(
    directory: Path, sources: Mapping[str, Source], problems: list[str]
) -> dict[str, SourceFigure]:
    """Every figure of every YAML file but the sources, the claims and the population
    table's sidecar, in file order."""
    figures: dict[str, SourceFigure] = {}
    reserved = {SOURCES_FILE, CLAIMS_FILE, POPULATION_SIDECAR}
    for path in sorted(p for p in directory.glob("*.yaml") if p.name not in reserved):
        for index, raw in enumerate(_section(path, "figures", list, problems)):
            raw = _mapping(raw)
            where = f"{path.name}: figure '{raw.get('id', f'#{index + 1}')}'"
            figure = _validate(SourceFigure, raw, where, problems)
            if figure is None:
                continue
            if figure.id in figures:
                problems.append(f"{where}: the id is used twice")
            for cited in (figure.source, *figure.also_in):
                if cited not in sources:
                    problems.append(f"{where}: unknown source '{cited}' (not in {SOURCES_FILE})")
            figures[figure.id] = figure
    return figures


def _load_claims(
    directory: Path,
    sources: Mapping[str, Source],
    figures: Mapping[str, SourceFigure],
    problems: list[str],
) -> list[Claim]:
    claims: list[Claim] = []
    for index, raw in enumerate(_section(directory / CLAIMS_FILE, "claims", list, problems)):
        raw = _mapping(raw)
        where = f"{CLAIMS_FILE}: claim '{raw.get('id', f'#{index + 1}')}'"
        claim = _validate(Claim, raw, where, problems)
        if claim is None:
            continue
        if claim.figure not in figures:
            problems.append(f"{where}: unknown figure '{claim.figure}'")
        if claim.source not in sources:
            problems.append(f"{where}: unknown source '{claim.source}'")
        for text in (claim.explanation, claim.inconsistency, claim.reason):
            problems.extend(f"{where}: {problem}" for problem in _reader_text(text, figures))
        claims.append(claim)
    return claims


# A figure named in a claim's reader text: "{evidence.brinchmann.relative_risk}".
FIGURE_REFERENCE = re.compile(r"\{([A-Za-z0-9_.-]+)\}")
# What else may carry a digit in reader text: a table's or a figure's number ("Tabel 1").
_NUMBERED_PART = re.compile(r"\b(?:Tabel|Figur)\s+\d+")
_TYPED_NUMBER = re.compile(r"\S*\d\S*")


def _reader_text(text: str | None, figures: Mapping[str, SourceFigure]) -> list[str]:
    """What is wrong with a claim's reader text: a figure it names that is not in the data,
    or a number typed into it (a figure is named, so that the brief prints it from the data)."""
    if text is None:
        return []
    problems = [f"the text names an unknown figure '{{{name}}}'"
                for name in FIGURE_REFERENCE.findall(text) if name not in figures]
    typed = _TYPED_NUMBER.search(_NUMBERED_PART.sub("", FIGURE_REFERENCE.sub("", text)))
    if typed:
        problems.append(f"the text types the number {shown(typed.group())}; name the figure "
                        "as {figure.id} instead, and the brief prints it from the data")
    return problems


def _section(path: Path, key: str, kind: type, problems: list[str]) -> Any:
    """The top-level ``key`` of a YAML file, or an empty ``kind`` after noting the problem."""
    try:
        document = yamltext.load(path.read_text(encoding="utf-8"), limit=_MAX_FILE)
    except FileNotFoundError:
        problems.append(f"{path.name}: file is missing")
        return kind()
    except (OSError, UnicodeDecodeError) as error:
        problems.append(f"{path.name}: cannot be read as UTF-8 text ({error})")
        return kind()
    except yamltext.YamlError as error:
        problems.append(f"{path.name}: not valid YAML ({error})")
        return kind()
    section = document.get(key) if isinstance(document, dict) else None
    if not isinstance(section, kind):
        problems.append(f"{path.name}: needs a top-level '{key}' {kind.__name__}")
        return kind()
    return section


def _mapping(raw: object) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else {"_": raw}


def _validate(
    model: type[_Model], raw: dict[str, Any], where: str, problems: list[str]
) -> _Model | None:
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        problems.extend(f"{where}: {line}" for line in validation.problems(error))
        return None
