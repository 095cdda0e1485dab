"""A ``.qmd`` file read into an nbformat v4 notebook, the way Quarto reads it.

YAML front matter becomes notebook metadata, each ```` ```{python} ```` chunk a code cell
whose source keeps its ``#|`` option lines (Quarto strips them only when it executes the
cell), and the markdown between the chunks markdown cells. A chunk's ``tags`` option goes
into the cell's metadata too, where papermill looks for the ``parameters`` tag. Each cell
remembers the line of the ``.qmd`` it starts on, so that an error can point at it.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from ipsreport import yamltext
from ipsreport.errors import BriefError, shown
from ipsreport.kernels.kernel import KERNELSPEC, new_notebook

# Where the renderer keeps its own notes on a cell (the .qmd line the cell starts on).
META_KEY = "ipsreport"

_CHUNK_OPEN = re.compile(r"^(?P<fence>`{3,})\s*\{(?P<lang>[A-Za-z0-9_]+)(?P<rest>[^}]*)\}\s*$")
_FENCE_OPEN = re.compile(r"^(?P<fence>`{3,}|~{3,})")
_OPTION_LINE = re.compile(r"^#\s*\| ?")
# A brief is a few dozen kilobytes; anything this large is not one.
MAX_BRIEF_BYTES = 4 << 20
# An inline expression in a markdown cell: Quarto's pattern (its
# src/resources/jupyter/notebook.py), with the character before it kept as ``prefix`` so
# that a replacement can put it back. The executor evaluates ``expr``, the converter puts
# the result in its place: one pattern, so the two can never disagree on what is inline.
INLINE_EXPRESSION = re.compile(r"(?P<prefix>^|[^`])`\{python\}[ \t](?P<expr>[^`]+)`", re.MULTILINE)

def _new_cell(kind: str, source: str) -> NotebookNode:
    maker = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell: NotebookNode = maker(source)  # type: ignore[no-untyped-call]
    return cell


def read_qmd(path: Path) -> NotebookNode:
    """Parse the ``.qmd`` at ``path`` into a notebook (cells not executed)."""
    name = shown(str(path), 200, quote=False)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_BRIEF_BYTES + 1)
    except OSError as error:
        raise BriefError(f"{name}: cannot read the brief: {error.strerror}") from None
    if len(data) > MAX_BRIEF_BYTES:
        raise BriefError(f"{name}: larger than {MAX_BRIEF_BYTES:,} bytes; not a brief")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BriefError(f"{name}: not UTF-8 text (byte {error.start}); not a brief") from None
    if "\0" in text:
        raise BriefError(f"{name}: holds NUL characters; not a brief")
    return parse_qmd(text, name=name)


def parse_qmd(text: str, *, name: str = "<qmd>") -> NotebookNode:
    """Parse ``.qmd`` source text into a notebook; ``name`` is used in error messages."""
    lines = text.splitlines()
    front, body_start = _front_matter(lines, name)
    nb = new_notebook()
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["quarto"] = front

    markdown: list[str] = []
    markdown_start = body_start + 1
    index = body_start
    outer_fence: str | None = None  # an ordinary fenced block in the markdown

    def flush_markdown() -> None:
        source = "\n".join(markdown).strip("\n")
        if source.strip():
            cell = _new_cell("markdown", source)
            cell.metadata[META_KEY] = {"line": markdown_start}
            nb.cells.append(cell)
        markdown.clear()

    while index < len(lines):
        line = lines[index]
        if outer_fence is not None:
            markdown.append(line)  # never the first line: the fence opener came before
            if line.strip().startswith(outer_fence) and set(line.strip()) == {outer_fence[0]}:
                outer_fence = None
            index += 1
            continue
        chunk = _CHUNK_OPEN.match(line)
        if chunk and chunk.group("lang") in ("python", "python3"):
            flush_markdown()
            fence = chunk.group("fence")
            start = index + 1  # 1-based line of the opening fence
            body: list[str] = []
            index += 1
            while index < len(lines) and not _closes(lines[index], fence):
                body.append(lines[index])
                index += 1
            if index >= len(lines):
                raise BriefError(f"{name}:{start}: code chunk is not closed by {fence}")
            nb.cells.append(_code_cell("\n".join(body), start, name))
            index += 1
            continue
        opened = _FENCE_OPEN.match(line)
        if opened:
            outer_fence = opened.group("fence")
        if line.strip() and not any(seen.strip() for seen in markdown):
            markdown_start = index + 1
        markdown.append(line)
        index += 1
    flush_markdown()
    return nb


def cell_options(cell: NotebookNode) -> dict[str, Any]:
    """The ``#|`` options at the top of a code cell, parsed as YAML (Quarto's rule)."""
    option_lines = option_source_lines(str(cell.source))
    if not option_lines:
        return {}
    return copy.deepcopy(_parse_options("\n".join(option_lines)))


@functools.lru_cache(maxsize=1024)
def _parse_options(text: str) -> dict[str, Any]:
    """Options YAML, parsed once: a batch reads the same cells for every document. Callers
    get a deep copy, so the cached value never changes."""
    try:
        options = yamltext.load(text)
    except yamltext.YamlError:
        return {}
    return options if isinstance(options, dict) else {}


def option_source_lines(source: str) -> list[str]:
    """The YAML text of the leading ``#|`` lines of a cell's source."""
    found: list[str] = []
    for line in source.splitlines():
        match = _OPTION_LINE.match(line)
        if not match:
            break
        found.append(line[match.end() :])
    return found


def strip_options(source: str) -> str:
    """A cell's source without its leading ``#|`` option lines (what the kernel runs)."""
    lines = source.splitlines()
    count = len(option_source_lines(source))
    return "\n".join(lines[count:])


def cell_line(cell: NotebookNode) -> int | None:
    """The 1-based line of the ``.qmd`` on which this cell starts, if known."""
    line = cell.metadata.get(META_KEY, {}).get("line")
    return line if isinstance(line, int) else None


def _code_cell(source: str, line: int, name: str) -> NotebookNode:
    cell = _new_cell("code", source)
    cell.metadata[META_KEY] = {"line": line}
    option_lines = option_source_lines(source)
    if option_lines:
        try:
            options = yamltext.load("\n".join(option_lines))
        except yamltext.YamlError as error:
            raise BriefError(f"{name}:{line}: invalid #| cell options: {error}") from None
        if not isinstance(options, dict):
            raise BriefError(f"{name}:{line}: #| cell options must be 'key: value' lines")
        tags = options.get("tags")
        if isinstance(tags, str):
            tags = [tags]
        if isinstance(tags, list):
            cell.metadata["tags"] = [str(tag) for tag in tags]
    return cell


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence) and set(stripped) == {"`"}


def _front_matter(lines: list[str], name: str) -> tuple[dict[str, Any], int]:
    """The YAML front matter and the index of the first line after it."""
    if not lines or lines[0].strip() != "---":
        return {}, 0
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            try:
                front = yamltext.load("\n".join(lines[1:end])) or {}
            except yamltext.YamlError as error:
                raise BriefError(f"{name}: invalid YAML front matter: {error}") from None
            if not isinstance(front, Mapping):
                raise BriefError(f"{name}: YAML front matter must be a mapping")
            return dict(front), end + 1
    raise BriefError(f"{name}: YAML front matter is not closed by ---")
