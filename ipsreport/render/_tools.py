"""The external tools: Pandoc (from pypandoc-binary) and Typst (the ``typst`` package)."""

from __future__ import annotations

import functools
import re
import subprocess
import warnings
from pathlib import Path
from typing import Any, cast

import pypandoc
import typst

from ipsreport.errors import RenderError
from ipsreport.paths import templates_dir

CROSSREF_FILTER = Path(__file__).with_name("crossref.lua")
PROVENANCE_FILTER = Path(__file__).with_name("provenance.lua")
LINKS_FILTER = Path(__file__).with_name("links.lua")
DOCX_FILTER = Path(__file__).with_name("docx.lua")
# The Lua filters every conversion runs, in order (Quarto runs the links, provenance and docx
# filters as project filters, _quarto.yml, and has its own cross-references). The links
# filter takes the identifiers of raw HTML blocks as targets, before the docx filter reads
# those blocks as HTML. What the first BODY_FILTERS of them do does not depend on the
# output format: the Pandoc server runs those once for all of a document's formats.
FILTERS = (LINKS_FILTER, PROVENANCE_FILTER, DOCX_FILTER, CROSSREF_FILTER)
BODY_FILTERS = 1
# A source line in Typst's diagnostic: "180 │ #let x = (1, 2".
_DIAGNOSTIC_SOURCE = re.compile(r"^\s*\d+\s*│\s?(?P<code>.*\S)")


@functools.cache
def pandoc_path() -> str:
    """The Pandoc executable that pypandoc-binary ships."""
    try:
        return str(pypandoc.get_pandoc_path())
    except OSError as error:
        raise RenderError(f"Pandoc is not available: {error}") from None


# Pandoc's Haskell runtime starts with a 64 MB heap (pypandoc-binary's build sets -H64m),
# and touching it costs more than converting a brief, so a small heap and an 8 MB
# allocation area make each conversion cheaper. -O64m lets the old generation grow before a
# major collection (Pandoc keeps a few MB live, and each major collection is costly). For
# the Pandoc server (_pandoc.py); used only where the runtime accepts them. The figures are
# in docs/performance.md.
_RTS_OPTIONS = ("+RTS", "-H1m", "-A8m", "-O64m", "-RTS")


@functools.cache
def pandoc_runtime_options() -> tuple[str, ...]:
    """``_RTS_OPTIONS`` if this Pandoc accepts runtime options (a Pandoc built without
    ``-rtsopts`` refuses them), else nothing."""
    try:
        probe = subprocess.run([pandoc_path(), *_RTS_OPTIONS, "--version"],
                               capture_output=True, check=False, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return ()
    return _RTS_OPTIONS if probe.returncode == 0 else ()


def fonts_dir() -> Path:
    return templates_dir() / "fonts"


def compile_typst(
    source: Path, *, root: Path, what: str, pdf_standard: str | None = None
) -> tuple[bytes, list[str]]:
    """Compile a Typst file to PDF bytes with the project's fonts only (no system fonts).

    Ignoring system fonts makes the PDF the same on every machine: it can only use the
    fonts in templates/fonts and those built into Typst. ``pdf_standard`` (Quarto's
    ``pdf-standard`` option, e.g. ``ua-1``) makes Typst validate the PDF against that
    standard and refuse to write one that fails, e.g. a figure without alt text.
    """
    font_paths = [str(fonts_dir())] if fonts_dir().is_dir() else []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = typst.compile_with_warnings(
                str(source),
                root=str(root),
                font_paths=font_paths,
                ignore_system_fonts=True,
                # A str from _quarto.yml; Typst itself refuses a standard it does not know.
                pdf_standards=cast(Any, pdf_standard),
            )
    except typst.TypstError as error:
        raise RenderError(f"{what}: typst failed: {typst_message(error)}") from None
    except RuntimeError as error:
        raise RenderError(f"{what}: typst failed: {' '.join(str(error).split())}") from None
    pdf, found = result
    if not isinstance(pdf, bytes):
        raise RenderError(f"{what}: typst returned no PDF")
    messages = [" ".join(str(getattr(w, "message", w)).split()) for w in found or []]
    return pdf, messages


def typst_message(error: typst.TypstError) -> str:
    """Typst's error in one line: the message, the offending line, any hints.

    The diagnostic's file name and line number point into the generated, temporary Typst
    file, which the user never sees; the offending line itself helps find the brief's text.
    """
    parts = [" ".join(str(error.message).split())]
    for line in str(getattr(error, "diagnostic", "") or "").splitlines():
        match = _DIAGNOSTIC_SOURCE.match(line)
        if match:
            parts.append(f"at `{match.group('code').strip()}`")
            break
    hints = [" ".join(str(hint).split()) for hint in getattr(error, "hints", None) or []]
    if hints:
        parts.append("hint: " + "; ".join(hints))
    return ", ".join(parts)
