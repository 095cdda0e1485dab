"""Writing a converted brief: Pandoc to HTML, to Typst and to Word (docx), Typst to PDF,
files in place.

Everything is built in a temporary folder first; only when every requested format has
been built are the files written to the output folder, all or nothing (see ``_output``),
so a failing brief, a full disk or a folder that cannot be written leaves no partial
output behind.

Reproducible bytes: the same brief, parameters, data, code and tools give the same HTML,
PDF and docx, in any output folder and at any time. Nothing in an output depends on the
clock unless ``SOURCE_DATE_EPOCH`` is set (then it is the PDF's and the docx's date and
what ``date: today`` means), nor on a temporary path; images are normalised by the
converter, and a docx's zip by ``_docx``.

Provenance: each output carries the fields of its :class:`~ipsreport.provenance.Provenance`,
which ``ipsreport verify`` reads back: the record's Markdown (:func:`ipsreport.provenance.
markdown`) goes before the brief's body, the project's filter ``provenance.lua`` puts it in
the page's head, the PDF's Keywords and Subject and the docx's custom properties, as under
Quarto, and each finished file is sealed with its content digest
(:func:`ipsreport.provenance.seal`).

A docx takes its look from the reference document, ``templates/reference.docx`` (or the
``reference-doc`` of the docx format in ``_quarto.yml`` or the brief), as Quarto's does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from babel.dates import format_date

from ipsreport import provenance
from ipsreport.errors import IpsreportError, ParameterError, RenderError, shown
from ipsreport.markup import typst_string_body
from ipsreport.paths import templates_dir
from ipsreport.render._convert import Document
from ipsreport.render._docx import reproducible
from ipsreport.render._files import os_reason
from ipsreport.render._output import Output, output_stem, publish
from ipsreport.render._pandoc import PandocOutput, PandocServer
from ipsreport.render._tools import compile_typst

log = logging.getLogger("ipsreport.render")

# What a render writes unless told otherwise, and what it can write.
FORMATS = ("html", "pdf")
ALL_FORMATS = ("html", "pdf", "docx")
# The Quarto format whose options apply to each output.
QUARTO_FORMAT = {"html": "html", "pdf": "typst", "docx": "docx"}
DEFAULT_REFERENCE_DOC = "reference.docx"
SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"
_LAST_SOURCE_DATE = 253402300799  # 9999-12-31 23:59:59 UTC: a PDF date has four digits


def normalise_formats(formats: Iterable[str]) -> tuple[str, ...]:
    """``html``/``pdf``/``docx`` from user spellings (``typst`` means PDF, ``word`` docx),
    deduplicated, in order; none given means :data:`FORMATS`."""
    chosen: list[str] = []
    for item in formats:
        for name in str(item).split(","):
            name = name.strip().lower()
            if not name:
                continue
            name = {"typst": "pdf", "word": "docx"}.get(name, name)
            if name not in ALL_FORMATS:
                raise ParameterError(
                    f"--to: unknown format {shown(name)}; choose from html, typst (pdf), docx"
                )
            if name not in chosen:
                chosen.append(name)
    return tuple(chosen) or FORMATS


def write(
    document: Document,
    output_dir: Path,
    formats: Iterable[str] = FORMATS,
    *,
    stem: str | None = None,
    commit: bool = True,
    pandoc: PandocServer | None = None,
) -> list[Output]:
    """Build the requested formats of ``document`` and write them to ``output_dir``.

    Files are named ``<stem>.html`` / ``<stem>.pdf`` / ``<stem>.docx``, the stem derived
    from the brief's name and parameters unless given. Returns what was written;
    ``manifest.json`` is updated. With ``commit=False`` the files are only staged (see
    ``_output.publish``).
    ``pandoc`` is a running Pandoc server to convert with (a batch worker keeps one);
    without it, one is started for this document.
    """
    chosen = normalise_formats(formats)
    brief = document.brief
    output_dir = Path(output_dir)
    stem = stem or output_stem(brief.stem, document.params)
    record = provenance.of(brief.path, document.values, project_root=brief.project.root)
    body = provenance.markdown(record.fields()) + "\n" + document.markdown
    try:
        with tempfile.TemporaryDirectory(prefix="ipsreport-build-") as folder:
            build = Path(folder)
            (build / "body.md").write_text(body, encoding="utf-8")
            for name, payload in document.media.items():
                target = build / name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(payload)
            with PandocServer() if pandoc is None else contextlib.nullcontext(pandoc) as server:
                built = _build(document, build, chosen, server)
    except OSError as error:  # the temporary folder's disk is full, or it cannot be made
        raise RenderError(
            f"{brief.display_name}: could not build in a temporary folder under "
            f"{tempfile.gettempdir()}: {os_reason(error)} (nothing was written)"
        ) from None

    recorded = provenance.manifest_fields(record, brief.path)
    return publish(brief.display_name, output_dir, stem, built,
                   params=document.params, provenance=recorded, commit=commit)


def source_date() -> dt.datetime | None:
    """``SOURCE_DATE_EPOCH`` as a UTC time, or None when it is not set.

    The reproducible-builds convention: a build that must show a date shows this one.
    """
    value = os.environ.get(SOURCE_DATE_EPOCH, "").strip()
    if not value:
        return None
    seconds = int(value) if value.isascii() and value.isdigit() else -1
    if not 0 <= seconds <= _LAST_SOURCE_DATE:
        raise IpsreportError(
            f"{SOURCE_DATE_EPOCH} must be a whole number of seconds since 1970 (at most "
            f"{_LAST_SOURCE_DATE}, the end of year 9999), got {shown(value)}"
        )
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def pandoc_metadata(document: Document, fmt: str) -> dict[str, Any]:
    """The metadata Pandoc gets for one output: the brief's, with Quarto's date keywords."""
    brief = document.brief
    metadata = brief.metadata(QUARTO_FORMAT[fmt])
    metadata.setdefault("lang", "da")
    date = metadata.get("date")
    if isinstance(date, str) and date in ("today", "now", "last-modified"):
        fixed = source_date()
        day = fixed.date() if fixed else dt.date.today()
        if date == "last-modified":
            modified = dt.datetime.fromtimestamp(brief.path.stat().st_mtime, tz=dt.UTC)
            day = min(modified, fixed).date() if fixed else modified.astimezone().date()
        metadata["date"] = format_date(day, format="long", locale=_locale(metadata["lang"]))
    elif isinstance(date, dt.date):
        metadata["date"] = format_date(date, format="long", locale=_locale(metadata["lang"]))
    if not metadata.get("title"):
        metadata.setdefault("pagetitle", brief.stem)
    return metadata


# Per output format: Pandoc's writer, our template in templates/ and the file it writes.
_PANDOC_WRITER = {"html": "html5", "pdf": "typst", "docx": "docx"}
_TEMPLATE = {"html": "html.html", "pdf": "typst-main.typ"}
_PANDOC_OUTPUT = {"html": "out.html", "pdf": "out.typ", "docx": "out.docx"}


def _build(
    document: Document, build: Path, formats: tuple[str, ...], pandoc: PandocServer
) -> dict[str, bytes]:
    """Each format's sealed bytes: one Pandoc conversion for all of them, then Typst's PDF
    and the docx's reproducible zip."""
    what = document.brief.display_name
    outputs = [_pandoc_output(document, build, fmt) for fmt in formats]
    _report(document, pandoc.convert(build / "body.md", outputs, what=what))
    built: dict[str, bytes] = {}
    for fmt in formats:
        if fmt == "html":
            data = (build / _PANDOC_OUTPUT[fmt]).read_bytes()
        elif fmt == "docx":
            data = reproducible((build / _PANDOC_OUTPUT[fmt]).read_bytes(), source_date())
        else:
            standard = document.brief.format_option("typst", "pdf-standard")
            data, messages = compile_typst(
                build / _PANDOC_OUTPUT[fmt], root=build, what=f"{what} (pdf)",
                pdf_standard=str(standard) if standard else None,
            )
            _report(document, messages)
        try:
            built[fmt] = provenance.seal(data)
        except ValueError:  # a template that drops the record: a bug, not the brief's
            raise RenderError(f"{what} ({fmt}): the output lost its provenance record") from None
    return built


def _pandoc_output(document: Document, build: Path, fmt: str) -> PandocOutput:
    """What Pandoc writes for ``fmt``: the brief's metadata, our template and its
    variables (a docx: the reference document) and, for HTML, the images embedded."""
    metadata = pandoc_metadata(document, fmt)
    reference_doc: str | None = None
    variables: dict[str, Any] = {}
    if fmt == "html":
        sheets = _as_list(document.brief.format_option("html", "css"))
        css = [_project_path(document, sheet).read_text(encoding="utf-8") for sheet in sheets]
        variables = html_variables(css)
    elif fmt == "docx":
        given = document.brief.format_option("docx", "reference-doc")
        reference = (_project_path(document, given) if given
                     else templates_dir() / DEFAULT_REFERENCE_DOC)
        reference_doc = str(reference)
    else:
        variables = typst_variables(metadata, source_date())
    template = _TEMPLATE.get(fmt)
    return PandocOutput(
        name=fmt,
        to=_PANDOC_WRITER[fmt],
        template=str(templates_dir() / template) if template else None,
        metadata=yaml.safe_dump(dict(metadata), allow_unicode=True, sort_keys=True),
        variables=variables,
        embed_images=fmt == "html",
        output=str(build / _PANDOC_OUTPUT[fmt]),
        reference_doc=reference_doc,
    )


def html_variables(css: Iterable[str] = ()) -> dict[str, Any]:
    """Template variables for templates/html.html: the text of each style sheet (the HTML
    embeds them, as Pandoc's --embed-resources)."""
    return {"ipsreport-css": list(css)}


def typst_variables(metadata: Mapping[str, Any], date: dt.datetime | None) -> dict[str, Any]:
    """Template variables for templates/typst-main.typ's ``set document(...)``.

    Strings are given as the inside of Typst string literals (the template adds the
    quotes); the date as a Typst ``datetime(...)`` expression, or not at all.
    """
    variables: dict[str, Any] = {}
    authors = plain_authors(metadata.get("author"))
    if authors:
        variables["ipsreport-authors"] = [typst_string_body(author) for author in authors]
    if date is not None:
        variables["ipsreport-date"] = (
            f"datetime(year: {date.year}, month: {date.month}, day: {date.day}, "
            f"hour: {date.hour}, minute: {date.minute}, second: {date.second})"
        )
    return variables


def plain_authors(value: Any) -> list[str]:
    """A brief's ``author`` (a name, a list of names, Quarto's ``name:`` mappings) as text."""
    authors: list[str] = []
    for item in _as_list(value):
        name: Any = item.get("name") if isinstance(item, Mapping) else item
        if isinstance(name, Mapping):
            name = name.get("literal") or " ".join(
                str(name[part]) for part in ("given", "family") if name.get(part)
            )
        text = " ".join(str(name or "").split())
        if text:
            authors.append(text)
    return authors


def _report(document: Document, messages: list[str]) -> None:
    """Tool warnings are worth seeing but not worth failing for: log them."""
    for message in messages:
        log.warning("%s: %s", document.brief.display_name, message)


def _project_path(document: Document, value: object) -> Path:
    path = Path(str(value))
    if path.is_absolute():
        return path
    for base in (document.brief.path.parent, document.brief.project.root):
        if (base / path).exists():
            return base / path
    raise RenderError(f"{document.brief.display_name}: file not found: {value}")


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _locale(lang: object) -> str:
    return str(lang).replace("-", "_") or "da"
