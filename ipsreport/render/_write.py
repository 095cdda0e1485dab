"""Writing a converted brief: Pandoc to HTML and to Typst, Typst to PDF, files in place.

Everything is built in a temporary folder first; only when every requested format has
been built are the files moved into the output folder (each atomically), so a failing
brief leaves no partial output behind.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from babel.dates import format_date

from ipsreport import __version__
from ipsreport.errors import RenderError
from ipsreport.paths import templates_dir
from ipsreport.render._convert import Document
from ipsreport.render._output import (
    Output,
    atomic_write,
    data_sha256,
    output_stem,
    sha256_bytes,
    update_manifest,
)
from ipsreport.render._tools import CROSSREF_FILTER, compile_typst, run_pandoc

log = logging.getLogger("ipsreport.render")

FORMATS = ("html", "pdf")
# The Quarto format whose options apply to each output.
QUARTO_FORMAT = {"html": "html", "pdf": "typst"}
_READER = "markdown"


def normalise_formats(formats: Iterable[str]) -> tuple[str, ...]:
    """``html``/``pdf`` from user spellings (``typst`` means PDF), deduplicated, in order."""
    chosen: list[str] = []
    for item in formats:
        for name in str(item).split(","):
            name = name.strip().lower()
            if not name:
                continue
            if name == "typst":
                name = "pdf"
            if name not in FORMATS:
                raise RenderError(f"unknown format {name!r}; choose from html, typst (pdf)")
            if name not in chosen:
                chosen.append(name)
    return tuple(chosen) or FORMATS


def write(
    document: Document,
    output_dir: Path,
    formats: Iterable[str] = FORMATS,
    *,
    stem: str | None = None,
    manifest: bool = True,
) -> list[Output]:
    """Build the requested formats of ``document`` and write them to ``output_dir``.

    Files are named ``<stem>.html`` / ``<stem>.pdf``, the stem derived from the brief's name
    and parameters unless given. Returns what was written; ``manifest.json`` is updated.
    """
    chosen = normalise_formats(formats)
    brief = document.brief
    output_dir = Path(output_dir)
    stem = stem or output_stem(brief.stem, document.params)
    built: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="ipsreport-build-") as folder:
        build = Path(folder)
        (build / "body.md").write_text(document.markdown, encoding="utf-8")
        for name, payload in document.media.items():
            target = build / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(payload)
        for fmt in chosen:
            built[fmt] = _BUILDERS[fmt](document, build)

    provenance = _provenance(document)
    outputs: list[Output] = []
    for fmt in chosen:
        path = output_dir / f"{stem}.{fmt}"
        atomic_write(path, built[fmt])
        outputs.append(
            Output(
                report=brief.display_name,
                format=fmt,
                path=path,
                params=dict(document.params),
                sha256=sha256_bytes(built[fmt]),
                provenance=provenance,
            )
        )
    if manifest:
        update_manifest(output_dir, outputs)
    return outputs


def pandoc_metadata(document: Document, fmt: str) -> dict[str, Any]:
    """The metadata Pandoc gets for one output: the brief's, with Quarto's date keywords."""
    brief = document.brief
    metadata = brief.metadata(QUARTO_FORMAT[fmt])
    metadata.setdefault("lang", "da")
    date = metadata.get("date")
    if isinstance(date, str) and date in ("today", "now", "last-modified"):
        day = dt.date.today()
        if date == "last-modified":
            day = dt.date.fromtimestamp(brief.path.stat().st_mtime)
        metadata["date"] = format_date(day, format="long", locale=_locale(metadata["lang"]))
    elif isinstance(date, dt.date):
        metadata["date"] = format_date(date, format="long", locale=_locale(metadata["lang"]))
    if not metadata.get("title"):
        metadata.setdefault("pagetitle", brief.stem)
    return metadata


def _build_html(document: Document, build: Path) -> bytes:
    meta = build / "meta-html.yml"
    _dump(meta, pandoc_metadata(document, "html"))
    css = document.brief.format_option("html", "css")
    args = [
        "body.md",
        "--from",
        _READER,
        "--to",
        "html5",
        "--standalone",
        "--embed-resources",
        "--template",
        str(templates_dir() / "html.html"),
        "--metadata-file",
        meta.name,
        "--lua-filter",
        str(CROSSREF_FILTER),
        "--resource-path",
        str(build),
        "--output",
        "out.html",
    ]
    for sheet in _as_list(css):
        args += ["--css", str(_project_path(document, sheet))]
    _report(document, run_pandoc(args, cwd=build, what=f"{document.brief.display_name} (html)"))
    return (build / "out.html").read_bytes()


def _build_pdf(document: Document, build: Path) -> bytes:
    meta = build / "meta-typst.yml"
    _dump(meta, pandoc_metadata(document, "pdf"))
    what = f"{document.brief.display_name} (pdf)"
    args = [
        "body.md",
        "--from",
        _READER,
        "--to",
        "typst",
        "--standalone",
        "--template",
        str(templates_dir() / "typst-main.typ"),
        "--metadata-file",
        meta.name,
        "--lua-filter",
        str(CROSSREF_FILTER),
        "--output",
        "out.typ",
    ]
    _report(document, run_pandoc(args, cwd=build, what=what))
    pdf, messages = compile_typst(build / "out.typ", root=build, what=what)
    _report(document, messages)
    return pdf


_BUILDERS = {"html": _build_html, "pdf": _build_pdf}


def _provenance(document: Document) -> dict[str, Any]:
    brief = document.brief
    return {
        "engine": "builtin",
        "ipsreport_version": __version__,
        "report_sha256": sha256_bytes(brief.path.read_bytes()),
        "data_sha256": data_sha256(),
    }


def _report(document: Document, messages: list[str]) -> None:
    """Tool warnings are worth seeing but not worth failing for: log them."""
    for message in messages:
        log.warning("%s: %s", document.brief.display_name, message)


def _dump(path: Path, metadata: Mapping[str, Any]) -> None:
    text = yaml.safe_dump(dict(metadata), allow_unicode=True, sort_keys=True)
    path.write_text(text, encoding="utf-8")


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
