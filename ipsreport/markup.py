"""Escaping text for the three languages a brief is written in: Markdown, Typst and HTML.

Anything a brief shows that did not come from its own prose (a municipality's name, a label
from a data file, a parameter, a kernel's output) passes through here on its way into
Markdown or a template, so that it reads literally and no markup in it can act. One rule per
language, used by the cell helpers and the renderer alike.
"""

from __future__ import annotations

import html
import re

# Pandoc lets any ASCII punctuation be escaped with a backslash; escaping all of it is the
# one rule that cannot miss a construct (emphasis, links, raw HTML, math, shortcodes).
_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# What a Typst string cannot hold as it is: the quote and the backslash (escaped with
# str.replace), and control characters (these three by name, the others by code point).
_TYPST_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_TYPST_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class Made(str):
    """Markdown the package has built itself (a cross-reference), and the text a reader sees
    of it: escaping leaves it as it is. Nothing from outside the package may be made one."""

    visible: str

    def __new__(cls, markdown: str, visible: str) -> Made:
        self = super().__new__(cls, markdown)
        self.visible = visible
        return self

    def __reduce__(self) -> tuple[object, ...]:
        return (Made, (str(self), self.visible))


def one_line(value: object) -> str:
    """``value`` as text on one line: every run of whitespace a single space."""
    return " ".join(str(value).split())


def markdown_text(value: object) -> str:
    """Text as inline Pandoc Markdown that reads literally: on one line, every ASCII
    punctuation mark escaped."""
    return markdown_punctuation(one_line(value))


def markdown_punctuation(text: str) -> str:
    """``text`` with every ASCII punctuation mark escaped, its spaces as they are (for a
    part of a line that :func:`one_line` has made)."""
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)


def typst_string_body(text: str) -> str:
    """``text`` escaped for the inside of a Typst string literal ``"…"``: exactly these
    characters, control characters included.

    The backslash and the quote by ``str.replace``: a number's account has a few, but the
    JSON a PDF carries has thousands, and a regular expression's callback for each took
    three times as long."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return _TYPST_CONTROL.sub(_typst_escape, escaped)


def _typst_escape(match: re.Match[str]) -> str:
    char = match.group()
    return _TYPST_ESCAPES.get(char) or f"\\u{{{ord(char):x}}}"


def typst_string(text: str) -> str:
    """A Typst string literal: code mode shows it as text, so no markup in it can act."""
    return f'"{typst_string_body(text)}"'


def html_text(value: object) -> str:
    """Text for an HTML element or a quoted attribute value."""
    return html.escape(str(value), quote=True)


def html_script_json(text: str) -> str:
    """JSON ``text`` for the inside of an HTML ``<script type="application/json">``: no "<"
    at all, nor ">" and "&", but JSON's own escapes for them, as Django's ``json_script``
    does, so no text in it can end the element or open another (str.replace; a
    ``str.translate`` table took 25 times as long on a guide's JSON)."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def raw_blocks(typst: str, html_text: str) -> str:
    """The same block for each format, as Markdown: raw Typst for the PDF, raw HTML for the
    web page (each writer keeps its own and drops the other). Each fence is longer than any
    run of backticks inside, so that no line of the content can end it."""
    return f"{_raw_block('typst', typst)}\n\n{_raw_block('html', html_text)}"


def _raw_block(format_name: str, content: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{{={format_name}}}\n{content}\n{fence}"
