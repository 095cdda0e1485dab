"""What a brief's cells use: the data, text that is safe to show, and Danish tables.

Anything a brief shows that did not come from the brief's own prose (a parameter such as
a municipality's name, a label from a data file) goes through :func:`text` or
:func:`table`, which escape Markdown (:mod:`ipsreport.markup`), so it reads literally in
HTML and PDF under both Quarto and the built-in renderer. Both hand
``IPython.display.Markdown`` output to Pandoc as Markdown.

The data :func:`setup` hands a brief remembers which sources it read (each figure's
source, and each source looked up), so every brief ends with the same "Kilder" section,
:func:`sources_cited`, listing exactly those, cited in Danish style.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from IPython.display import Markdown, display
from pydantic import BaseModel

from ipsreport import keyfigures, markup, provenance, sources
from ipsreport.lineage import Parameter, traced
from ipsreport.presentation import charts, citations, origins
from ipsreport.sources import municipalities
from ipsreport.validation import validated

_Model = TypeVar("_Model", bound=BaseModel)


class _ReadSources(Mapping[str, sources.Source]):
    """The data's sources, noting the id of each one looked up."""

    def __init__(self, inner: Mapping[str, sources.Source], read: set[str]) -> None:
        self._inner, self._read = inner, read

    def __getitem__(self, key: str) -> sources.Source:
        source = self._inner[key]
        self._read.add(key)
        return source

    def __iter__(self) -> Iterator[str]:
        return iter(self._inner)

    def __len__(self) -> int:
        return len(self._inner)


@dataclass(frozen=True)
class BriefData(sources.SourceData):
    """A brief's data: the same figures, and the ids of the sources it has read so far
    (each figure's source, each source looked up), for its "Kilder" section."""

    read: set[str] = field(default_factory=set, compare=False)

    @classmethod
    def of(cls, data: sources.SourceData) -> BriefData:
        read: set[str] = set()
        values = {f.name: getattr(data, f.name) for f in fields(sources.SourceData)}
        values["sources"] = _ReadSources(data.sources, read)
        return cls(**values, read=read)

    def __getitem__(self, figure_id: str) -> sources.SourceFigure:
        figure = super().__getitem__(figure_id)
        self.read.add(figure.source)
        return figure

    def under(self, prefix: str) -> Iterator[sources.SourceFigure]:
        found = list(super().under(prefix))
        self.read.update(f.source for f in found)
        return iter(found)


def setup() -> BriefData:
    """Load the data in force (``$IPSREPORT_DATA_DIR`` or ``data/``) and the chart style,
    and begin the document's account of its numbers (:mod:`~.origins`)."""
    charts.use_house_style()
    data = BriefData.of(sources.load())
    origins.start(data)
    return data


def municipality(data: sources.SourceData, code: int) -> municipalities.Municipality:
    """A municipality from the municipality table, which the brief then cites."""
    found = municipalities.find_in(data.municipalities, code)
    _ = data.sources["kommuner"]  # looking it up is what cites it
    return found


def municipality_table(data: sources.SourceData) -> tuple[municipalities.Municipality, ...]:
    """Every municipality of the municipality table, which the brief then cites."""
    _ = data.sources["kommuner"]
    return data.municipalities


def key_figures(figures: Iterable[keyfigures.KeyFigure]) -> None:
    """Declare the brief's key figures (:mod:`ipsreport.keyfigures`): displayed for the
    renderer to record, never shown. The display also carries an empty Markdown text, which
    is what Quarto, which does not know the figures' type, shows: nothing."""
    display({keyfigures.MIME: keyfigures.encode(figures), "text/markdown": ""}, raw=True)


def sources_cited(data: sources.SourceData) -> Markdown:
    """The brief's "Kilder": every source it has read so far, cited in Danish style and
    ordered by author; call it last. The package's own assumptions are not a source: a
    brief that used one says that such figures are marked "antagelse". After it comes the
    appendix "Tal og kilder": every number the brief showed, with its account."""
    read = data.read if isinstance(data, BriefData) else set(data.sources)
    cited = citations.ordered(data.sources[key] for key in sorted(read))
    # Each citation a div that the short citations link to, not a list item holding a
    # bracketed span: Pandoc's Markdown reader takes two milliseconds for each such span of a
    # citation's length, and Typst cannot link to a label at the start of a list item.
    lines = [f"::: {{#{_source_anchor(source.id)} .{SOURCE_CLASS}}}\n"
             f"{escape(citations.full(source))}\n:::\n" for source in cited]
    if any(data.sources[key].kind == "assumption" for key in read):
        lines.append("")
        lines.append(escape("Tal mærket «antagelse» er ipsreports egne antagelser og har "
                            "ingen kilde; kommunen bør erstatte dem med egne tal."))
    appendix = origins.appendix()
    return Markdown("\n".join(lines) + (f"\n\n{appendix}" if appendix else ""))


def cite(data: sources.SourceData, source_id: str) -> markup.Made:
    """The source's short citation ("Beskæftigelsesministeren (2018)"), linking to its entry
    in "Kilder"."""
    return reference(data.sources[source_id].label, _source_anchor(source_id))


def _source_anchor(source_id: str) -> str:
    return f"kilde-{source_id}"


def parameters(model: type[_Model], namespace: Mapping[str, Any]) -> _Model:
    """Validate the brief's parameters with ``model`` (the one its front matter names) from
    the kernel's namespace, so a bad value stops ``quarto render`` as it stops ``ipsreport``.

    Under ``quarto render``, this also writes the document's provenance record into the
    cell's output (:func:`ipsreport.provenance.under_quarto`), so Quarto's outputs carry the
    record the built-in renderer writes into its own. And it traces each number parameter
    in the namespace (``ipsreport.lineage``), so that what the brief computes from it
    shows it as a parameter."""
    values = {key: namespace.get(key) for key in model.model_fields}
    checked = validated(model, values)
    record = provenance.under_quarto(values)
    if record is not None:
        display(Markdown(record))
    if isinstance(namespace, MutableMapping):
        # Each number parameter, in the brief's own namespace, now knows it is a parameter:
        # what is computed from it says so ("parameter: deltagere = 100").
        for key, value in values.items():
            if isinstance(value, int | float) and not isinstance(value, bool):
                namespace[key] = traced(value, Parameter(key, value))
    return checked


REFERENCE_CLASS = "henvisning"
DEFINITION_CLASS = "definition"
SOURCE_CLASS = "kilde"  # a citation in "Kilder"


def escape(value: object) -> str:
    """Text as Markdown that reads literally: punctuation escaped, line breaks as spaces;
    each number in it (a :class:`~.origins.Number`) a link to its account."""
    return origins.markdown(value)


def text(value: object) -> Markdown:
    """Inline text from outside the brief's prose, shown literally (its numbers linked)."""
    return Markdown(escape(value))


def markdown(text: str) -> str:
    """Markdown the brief writes itself (a cell with ``output: asis`` prints it), with the
    numbers formatted into it linked to their accounts; nothing else in it is escaped."""
    return origins.links(text)


def reference(label: object, anchor: str) -> markup.Made:
    """A cross-reference: ``label`` (escaped) linking to ``anchor`` in the same document, as
    a table's "Nr." links to the entry it numbers; a cell or text keeps it as it is."""
    text = markup.one_line(label)
    return markup.Made(f"[{markup.markdown_text(text)}](#{anchor}){{.{REFERENCE_CLASS}}}", text)


def definition(meaning: str) -> markup.Made:
    """A figure's meaning as its source defines it (``SourceFigure.meaning``), marked as
    such: a number in it ("1–18 måneder efter påbegyndt indsats") is part of a definition,
    not a figure of its own."""
    text = markup.one_line(meaning)
    return markup.Made(f"[{markup.markdown_text(text)}]{{.{DEFINITION_CLASS}}}", text)


def anchored(content: object, anchor: str) -> str:
    """``content`` (escaped, its numbers linked) as the place a :func:`reference` to
    ``anchor`` leads to: a span with that id (in Typst, a label on the content, which an
    empty span could not carry)."""
    return f"[{escape(content)}]{{#{anchor}}}"


sentence = origins.sentence


def typst_string(value: object) -> str:
    """A Typst string literal of ``value`` on one line: code mode shows it as text."""
    return markup.typst_string(markup.one_line(value))


def html_escape(value: object) -> str:
    """``value`` on one line, escaped for HTML."""
    return markup.html_text(markup.one_line(value))


def raw(typst: str, html_text: str) -> Markdown:
    """The same block for each format: raw Typst for the PDF, raw HTML for the web page.
    Callers build ``typst`` from :func:`typst_string` and ``html_text`` from :func:`html_escape`."""
    return Markdown(markup.raw_blocks(typst, html_text))


def subsection(title: object, *paragraphs: object) -> Markdown:
    """A level-3 heading and paragraphs of literal text, for a section only some readers
    get (a small municipality's advice to share a team)."""
    body = "\n\n".join(escape(paragraph) for paragraph in paragraphs if paragraph)
    return Markdown(f"### {escape(title)}\n\n{body}")


def paragraphs(*parts: object) -> Markdown:
    """Several blocks as one cell's output: texts shown literally, Markdown (a table, a
    subsection) as it is; empty parts left out. One cell instead of several costs the
    kernel fewer requests (docs/performance.md)."""
    blocks = [part.data if isinstance(part, Markdown) else escape(part)
              for part in parts if part]
    return Markdown("\n\n".join(str(block) for block in blocks if block))


def bullets(items: Iterable[object]) -> Markdown:
    """A bulleted list of literal items."""
    return Markdown("\n".join(f"- {escape(item)}" for item in items))


def table(
    rows: Sequence[Mapping[str, Any]],
    columns: Mapping[str, str],
    formats: Mapping[str, Callable[[Any], str]] | None = None,
    align: Sequence[str] | None = None,
) -> Markdown:
    """A Markdown pipe table: ``columns`` maps keys to Danish headers; ``formats`` turns
    values into text (e.g. :func:`ipsreport.presentation.danish.pct`); every cell is escaped."""
    formats = formats or {}
    shown = [[formats.get(key, _as_text)(row[key]) for key in columns] for row in rows]
    body = [[escape(cell) for cell in cells] for cells in shown]
    headers = [escape(header) for header in columns.values()]
    colalign = align or ["left"] + ["right"] * (len(columns) - 1)
    visible = [[origins.plain(cell) for cell in cells] for cells in shown]
    # The cells unpadded: the separator line alone sets the columns' widths, and a cell
    # with its number's account is long (padding every cell of its column to it would cost
    # Pandoc the spaces and the kernel their widths).
    lines = [_row(headers), _separator(headers, visible, colalign), *map(_row, body)]
    return Markdown("\n".join(lines))


def _row(cells: Sequence[str]) -> str:
    """A pipe table's line (its cells escaped: a "|" in one is ``\\|``)."""
    return "| " + " | ".join(cells) + " |"


def _as_text(value: Any) -> str:
    """A cell's value as text, a :class:`~.origins.Number` as itself."""
    return value if isinstance(value, str) else str(value)


def _separator(headers: list[str], body: list[list[str]], colalign: Sequence[str]) -> str:
    """The pipe table's separator line, whose dashes Pandoc turns into relative column
    widths once a row is wider than 72 characters. A column is as wide as its longest cell,
    capped for running text, or its header's longest word and a little more (a header is set
    in semibold, and its word must not run into the next column's): headers wrap, figures
    should not.
    """
    cells = []
    for index, (header, align) in enumerate(zip(headers, colalign, strict=True)):
        longest_cell = max((len(row[index]) for row in body), default=0)
        longest_word = max((len(word) for word in header.split()), default=1)
        dashes = "-" * max(min(longest_cell, 40) + 2, longest_word + 4)
        cells.append({"left": f":{dashes}", "right": f"{dashes}:",
                      "center": f":{dashes}:"}.get(align, dashes))
    return "|" + "|".join(cells) + "|"
