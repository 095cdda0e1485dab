"""An executed brief turned into Pandoc markdown plus the images it shows.

The rules are Quarto's: ``echo``, ``output`` (``false``, ``true``, ``asis``), ``include``,
``warning`` and ``eval`` decide what of a cell appears; ``text/markdown`` output is markdown,
images become figures (numbered when the cell's label starts with ``fig-`` and it has a
``fig-cap``), a ``tbl-`` label with ``tbl-cap`` captions the table the cell prints, and
``fig-alt`` is the image's alternative text. Numbers and cross-references are added later
by Pandoc (``crossref.lua``) so that the HTML and the PDF get the very same ones.

Text that comes from the kernel never becomes markup by accident: plain-text output goes
into fenced code blocks whose fence is longer than any run of backticks in it, and plain
inline results are backslash-escaped. Only output that a brief declares to be markdown
(``text/markdown``, ``output: asis``) is taken as markdown.

Images are made reproducible here: the same figure gives the same bytes whenever it is
drawn. PNG text and time chunks (matplotlib's "Software", any "Creation Time") are dropped;
an SVG loses its ``<metadata>`` block (matplotlib puts the current date there) and the
random ids matplotlib gives markers and clip paths are renumbered in document order.
"""

from __future__ import annotations

import ast
import base64
import logging
import re
import struct
import subprocess
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from nbformat import NotebookNode

from ipsreport import keyfigures, markup
from ipsreport.errors import RenderError
from ipsreport.render._brief import Brief
from ipsreport.render._execute import ExecutedNotebook
from ipsreport.render._params import INJECTED_TAG
from ipsreport.render._qmd import INLINE_EXPRESSION, cell_options, strip_options
from ipsreport.render._tools import pandoc_path

log = logging.getLogger("ipsreport.render")

MEDIA_DIR = "media"

_IMAGE_TYPES = {"image/svg+xml": "svg", "image/png": "png", "image/jpeg": "jpg"}
# Preference among a display's representations (format-neutral: the same markdown feeds
# the HTML and the Typst output). HTML is used only for tables, converted by Pandoc.
_PRIORITY = ("text/markdown", "image/svg+xml", "image/png", "image/jpeg", "text/html", "text/plain")

_HTML_TABLE = re.compile(r"<table[\s>]", re.IGNORECASE)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_-]+")
_STYLE = re.compile(r"<style.*?</style>", re.IGNORECASE | re.DOTALL)
# Markdown without any way to carry raw HTML or attributes through: only the table's text.
# PNG chunks that carry text or a time stamp rather than pixels.
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_VOLATILE = frozenset({b"tEXt", b"zTXt", b"iTXt", b"tIME"})
_SVG_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
# matplotlib's SVG ids, salted with a uuid4 unless rcParams["svg.hashsalt"] is set: a
# kind and ten hex digits (hatches "h…", clip paths "p…", markers "m…", images "image…",
# path collections "C0_1_…"); see backend_svg.RendererSVG._make_id.
_SVG_RANDOM_ID = re.compile(
    r'\bid="((?:[hpm]|image|Im_image|C[0-9a-f]+_[0-9a-f]+_)[0-9a-f]{10})"'
)
_HEX_TAIL = 10
_PLAIN_MARKDOWN = (
    "markdown-raw_html-raw_attribute-native_divs-native_spans-fenced_divs"
    "-bracketed_spans-header_attributes-link_attributes-inline_code_attributes"
)


@dataclass(frozen=True)
class Document:
    """A brief as Pandoc markdown (without front matter) and the media files it links."""

    brief: Brief
    params: Mapping[str, Any]  # the values given (they name the output)
    markdown: str
    media: Mapping[str, bytes] = field(default_factory=dict, repr=False)
    values: Mapping[str, Any] = field(default_factory=dict)  # every parameter's value
    # What the brief declared about itself (ipsreport.keyfigures): never shown, recorded.
    key_figures: tuple[keyfigures.KeyFigure, ...] = ()


def convert(executed: ExecutedNotebook) -> Document:
    """Turn an executed brief into Pandoc markdown; images go into ``Document.media``."""
    brief = executed.prepared.brief
    defaults = dict(brief.execute_options)
    blocks: list[str] = []
    media: dict[str, bytes] = {}
    declared: list[keyfigures.KeyFigure] = []
    for index, cell in enumerate(executed.notebook.cells):
        if cell.cell_type == "markdown":
            blocks.append(substitute_inline(cell, brief))
        elif cell.cell_type == "code":
            if INJECTED_TAG in cell.metadata.get("tags", []):
                continue
            options = {**defaults, **cell_options(cell)}
            declared.extend(_key_figures(cell, options, brief))
            blocks.extend(_code_cell(cell, index, options, media, brief))
    markdown = "\n\n".join(block.strip("\n") for block in blocks if block.strip()) + "\n"
    return Document(
        brief=brief,
        params=executed.prepared.params,
        markdown=markdown,
        media=MappingProxyType(media),
        values=executed.prepared.values,
        key_figures=tuple(declared),
    )


def _key_figures(
    cell: NotebookNode, options: Mapping[str, Any], brief: Brief
) -> list[keyfigures.KeyFigure]:
    """The key figures a cell declares (ipsreport.keyfigures), whether or not its output
    is shown: they are recorded, never shown."""
    found: list[keyfigures.KeyFigure] = []
    for output in cell.get("outputs", []):
        data = output.get("data", {}) if output.get("output_type") in (
            "display_data", "execute_result") else {}
        if keyfigures.MIME not in data:
            continue
        try:
            found.extend(keyfigures.decode(data[keyfigures.MIME]))
        except ValueError as error:
            label = options.get("label")
            where = f"cell {str(label)!r}" if label else "a cell"
            raise RenderError(f"{brief.display_name}: {where} declares key figures that "
                              f"cannot be read: {error}") from None
    return found


def substitute_inline(cell: NotebookNode, brief: Brief) -> str:
    """A markdown cell's source with each `` `{python} expr` `` replaced by its result."""
    results = {
        str(entry.get("expression", "")): entry.get("result", {})
        for entry in cell.metadata.get("user_expressions", [])
    }

    def replace(match: re.Match[str]) -> str:
        expression = match.group("expr").strip()
        result = results.get(expression)
        if result is None:
            return match.group(0)
        return match.group("prefix") + inline_markdown(result, expression, brief)

    return INLINE_EXPRESSION.sub(replace, str(cell.source))


def inline_markdown(result: Mapping[str, Any], expression: str, brief: Brief) -> str:
    """Markdown for one inline result (Quarto's rules, with real escaping).

    ``text/markdown`` is used as it is. ``text/plain`` is escaped; a Python string's repr
    loses its quotes, as in Quarto. Quarto does not undo the repr's backslash escapes, so a
    string holding e.g. a no-break space would print as ``\\xa0`` there: warn about it.
    """
    data = result.get("data", {})
    if "text/markdown" in data:
        return _text(data["text/markdown"]).strip()
    text = _text(data.get("text/plain", ""))
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            value = text[1:-1]
        if "\\" in text:
            log.warning(
                "%s: inline expression `%s` is a string whose repr has backslash escapes "
                "(%s); Quarto would print them literally. Use plain characters or return "
                "IPython.display.Markdown.",
                brief.display_name,
                expression,
                text[:40],
            )
        text = str(value)
    return markup.markdown_text(text)


def fenced(text: str, attributes: str = "") -> str:
    """A fenced code block that no content can close early."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    opener = f"{fence} {attributes}" if attributes else fence
    return f"{opener}\n{text.rstrip(chr(10))}\n{fence}"


def _code_cell(
    cell: NotebookNode,
    index: int,
    options: Mapping[str, Any],
    media: dict[str, bytes],
    brief: Brief,
) -> list[str]:
    if options.get("include") is False:
        return []
    blocks: list[str] = []
    if options.get("echo") in (True, "fenced"):
        blocks.append(fenced(strip_options(str(cell.source)), "{.python .cell-code}"))
    output = options.get("output", True)
    if output is False or options.get("eval") is False:
        return blocks
    outputs = _CellOutputs(index, options, media, brief)
    for output_node in cell.get("outputs", []):
        block = outputs.block(output_node)
        if block is not None:
            blocks.append(block)
    if outputs.label.startswith("tbl-"):
        caption = str(options.get("tbl-cap") or "").strip()
        blocks.append(f": {caption} {{#{outputs.label}}}")
    return blocks


class _CellOutputs:
    """Turns one code cell's outputs into Markdown blocks, one output at a time."""

    def __init__(
        self, index: int, options: Mapping[str, Any], media: dict[str, bytes], brief: Brief
    ) -> None:
        self.index = index
        self.options = options
        self.media = media
        self.brief = brief
        self.label = str(options.get("label", "")) if options.get("label") else ""
        self.asis = options.get("output", True) == "asis"
        self.show_warnings = options.get("warning", True) is not False
        self.images = 0

    def block(self, output: Mapping[str, Any]) -> str | None:
        kind = output.get("output_type")
        if kind == "stream":
            if output.get("name") == "stderr" and not self.show_warnings:
                return None
            text = _text(output.get("text", ""))
            return text if self.asis else fenced(text)
        if kind in ("display_data", "execute_result"):
            return self._display(output.get("data", {}))
        if kind == "error":  # only with `error: true`
            return fenced(f"{output.get('ename', '')}: {output.get('evalue', '')}")
        return None

    def _display(self, data: Mapping[str, Any]) -> str | None:
        mime = next((m for m in _PRIORITY if m in data and _usable(m, data[m])), None)
        if mime is None:
            return None
        if mime == "text/markdown" or (self.asis and mime == "text/plain"):
            return _text(data[mime])
        if mime in _IMAGE_TYPES:
            self.images += 1
            return _image(data[mime], mime, self.label, self.images - 1, self.index,
                          self.options, self.media)
        if mime == "text/html":
            return _html_table(_text(data[mime]), self.brief)
        return fenced(_text(data[mime]))


def _image(
    payload: Any,
    mime: str,
    label: str,
    number: int,
    index: int,
    options: Mapping[str, Any],
    media: dict[str, bytes],
) -> str:
    extension = _IMAGE_TYPES[mime]
    stem = _SAFE_NAME.sub("-", label) if label else f"cell-{index + 1}"
    name = f"{MEDIA_DIR}/{stem}-{number + 1}.{extension}"
    if mime == "image/svg+xml":
        media[name] = normalise_svg(_text(payload)).encode("utf-8")
    elif mime == "image/png":
        media[name] = normalise_png(base64.b64decode(_text(payload)))
    else:
        media[name] = base64.b64decode(_text(payload))
    first = number == 0
    caption = str(options.get("fig-cap") or "").strip() if first else ""
    attributes: list[str] = []
    if first and label.startswith("fig-"):
        attributes.append(f"#{label}")
    alt = options.get("fig-alt")
    if alt:
        attributes.append('fig-alt="' + str(alt).replace("\\", "\\\\").replace('"', '\\"') + '"')
    attribute_text = "{" + " ".join(attributes) + "}" if attributes else ""
    return f"![{caption}]({name}){attribute_text}"


def normalise_png(data: bytes) -> bytes:
    """The PNG without text and time chunks: the same pixels give the same bytes.

    Anything that is not a well-formed PNG is returned unchanged.
    """
    if not data.startswith(_PNG_SIGNATURE):
        return data
    kept = [_PNG_SIGNATURE]
    offset = len(_PNG_SIGNATURE)
    while offset < len(data):
        if offset + 12 > len(data):
            return data
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        end = offset + 12 + length
        kind = data[offset + 4 : offset + 8]
        chunk = data[offset:end]
        if end > len(data) or struct.unpack(">I", chunk[-4:])[0] != zlib.crc32(chunk[4:-4]):
            return data
        if kind not in _PNG_VOLATILE:
            kept.append(chunk)
        offset = end
    return b"".join(kept)


def normalise_svg(text: str) -> str:
    """The SVG without its metadata (a date) and with matplotlib's random ids renumbered."""
    text = _SVG_METADATA.sub("", text, count=1)
    for number, old in enumerate(dict.fromkeys(_SVG_RANDOM_ID.findall(text)), start=1):
        new = f"{old[:-_HEX_TAIL]}{number:0{_HEX_TAIL}d}"
        text = re.sub(rf"(?<=[\"#]){re.escape(old)}(?=[\")])", new, text)
    return text


def _html_table(html: str, brief: Brief) -> str:
    """An HTML table (a pandas DataFrame's repr) as a Pandoc markdown table."""
    result = subprocess.run(
        [pandoc_path(), "--from", "html", "--to", _PLAIN_MARKDOWN],
        input=_STYLE.sub("", html),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RenderError(
            f"{brief.display_name}: pandoc could not read an HTML table: "
            + " ".join(result.stderr.split())
        )
    return result.stdout


def _usable(mime: str, payload: Any) -> bool:
    return mime != "text/html" or bool(_HTML_TABLE.search(_text(payload)))


def _text(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return str(value)
