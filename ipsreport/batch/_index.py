"""``index.html``: every document of a batch folder, grouped by region, with its key figures.

A plain Danish page that a municipality or a colleague can open from the folder or from a
CI artifact, from the Jinja2 template ``templates/batch-index.html.j2`` with autoescape on,
so every text from the table or the brief is escaped; links are URL-quoted. Nothing depends
on the time of the run, so the same folder gives the same page.

First the brief's companions (one document for all rows, such as a national overview),
then one table per group: a row per document, with the key figures the document declared
about itself (:mod:`ipsreport.keyfigures`, recorded in its manifest entry) beside its links.
The page shows the figures as the documents wrote them and knows nothing of what they mean;
a row whose document declared none, or is not made yet, has empty cells.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any
from urllib.parse import quote

import jinja2

from ipsreport import keyfigures
from ipsreport.batch._table import Row
from ipsreport.paths import templates_dir

FORMAT_NAMES = {"pdf": "PDF", "html": "HTML", "docx": "Word"}
TEMPLATE = "batch-index.html.j2"
_NO_GROUP = "Øvrige"
_ROW_LABEL = "Række"


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir()),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    return environment.get_template(TEMPLATE)


def index_html(
    *,
    title: str,
    source: str,
    table: str,
    rows: Sequence[Row],
    entries: Mapping[str, Mapping[str, Any]],
    formats: Sequence[str],
    companions: Sequence[Row] = (),
    row_label: str | None = None,
    newest: Sequence[str] = (),
) -> str:
    """The page for ``rows`` in table order, groups in order of first appearance.

    ``entries`` are the manifest's entries by file name; a row links each of its files
    that the manifest lists, and says so when it has none yet (a failed or skipped row). Its
    key figures are those its files' entries record, the ``newest`` formats' first (the
    formats the run rendered, when an older file of another format is still listed).
    ``companions`` are linked before the groups; ``row_label`` heads the rows' column.
    """
    def links(row: Row) -> list[dict[str, str]]:
        return [
            {"href": quote(name), "name": FORMAT_NAMES.get(fmt, fmt)}
            for fmt in formats
            if (name := f"{row.stem}.{fmt}") in entries
        ]

    order = tuple(dict.fromkeys((*newest, *formats)))
    figures = {row.key: _figures(row, entries, order) for row in rows}
    labels = list(dict.fromkeys(f.label for found in figures.values() for f in found))
    groups: dict[str, list[dict[str, Any]]] = {}
    count = 0  # the rows' documents (the companions are counted apart)
    for row in rows:
        by_label = {f.label: f for f in figures[row.key]}
        found = links(row)
        count += len(found)
        groups.setdefault(row.group or _NO_GROUP, []).append({
            "label": row.label,
            "links": found,
            "figures": [{"text": by_label[label].text if label in by_label else "",
                         "number": label in by_label and by_label[label].value is not None}
                        for label in labels],
        })
    shown_companions = [{"label": row.name or row.key, "links": links(row)}
                        for row in companions]
    return _template().render(
        title=title,
        source=source,
        table=table,
        count=count,
        companions=shown_companions,
        row_label=row_label or _ROW_LABEL,
        labels=labels,
        groups=[{"name": name, "rows": members} for name, members in groups.items()],
    )


def _figures(row: Row, entries: Mapping[str, Mapping[str, Any]],
             formats: Sequence[str]) -> tuple[keyfigures.KeyFigure, ...]:
    """The key figures a row's document declared, from the first of its files' entries that
    records them; none if the entry's record cannot be read (an older or edited manifest)."""
    for fmt in formats:
        entry = entries.get(f"{row.stem}.{fmt}")
        if entry and keyfigures.MANIFEST_KEY in entry:
            try:
                return keyfigures.decode(entry[keyfigures.MANIFEST_KEY])
            except ValueError:
                return ()
    return ()
