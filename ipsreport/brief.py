"""What a brief's cells use: the data, text that is safe to show, and Danish tables.

Anything a brief shows that did not come from the brief's own prose (a parameter such as
a municipality's name, a label from a data file) goes through :func:`text` or
:func:`table`, which escape Markdown, so it reads literally in HTML and PDF under both
Quarto and the built-in renderer. Both hand ``IPython.display.Markdown`` output to Pandoc
as Markdown.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from IPython.display import Markdown
from tabulate import tabulate

from ipsreport import charts, sources

# Pandoc lets any ASCII punctuation be escaped with a backslash; escaping all of it is
# the one rule that cannot miss a construct (emphasis, links, raw HTML, math, shortcodes).
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def setup() -> sources.SourceData:
    """Load the data in force (``$IPSREPORT_DATA_DIR`` or ``data/``) and the chart style."""
    charts.use_house_style()
    return sources.load()


def escape(value: object) -> str:
    """Text as Markdown that reads literally: punctuation escaped, line breaks as spaces."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(str(value).split()))


def text(value: object) -> Markdown:
    """Inline text from outside the brief's prose, shown literally."""
    return Markdown(escape(value))


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
    values into text (e.g. :func:`ipsreport.danish.pct`); every cell is escaped."""
    formats = formats or {}
    body = [
        [escape(formats.get(key, str)(row[key])) for key in columns]
        for row in rows
    ]
    headers = [escape(header) for header in columns.values()]
    colalign = align or ["left"] + ["right"] * (len(columns) - 1)
    return Markdown(tabulate(body, headers, tablefmt="pipe", colalign=colalign,
                             disable_numparse=True))
