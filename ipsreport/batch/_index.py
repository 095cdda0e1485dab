"""``index.html``: every document of a batch folder, grouped by region, with links.

A plain Danish page that a municipality or a colleague can open from the folder or from a
CI artifact, from the Jinja2 template ``templates/batch-index.html.j2`` with autoescape on,
so every text from the table or the brief is escaped; links are URL-quoted. Nothing depends
on the time of the run, so the same folder gives the same page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any
from urllib.parse import quote

import jinja2

from ipsreport.batch._table import Row
from ipsreport.paths import templates_dir

FORMAT_NAMES = {"pdf": "PDF", "html": "HTML"}
TEMPLATE = "batch-index.html.j2"
_NO_GROUP = "Øvrige"


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
) -> str:
    """The page for ``rows`` in table order, groups in order of first appearance.

    ``entries`` are the manifest's entries by file name; a row links each of its files
    that the manifest lists, and says so when it has none yet (a failed or skipped row).
    """
    groups: dict[str, list[dict[str, Any]]] = {}
    count = 0
    for row in rows:
        links = [
            {"href": quote(name), "name": FORMAT_NAMES.get(fmt, fmt)}
            for fmt in formats
            if (name := f"{row.stem}.{fmt}") in entries
        ]
        count += len(links)
        groups.setdefault(row.group or _NO_GROUP, []).append({"label": row.label, "links": links})
    return _template().render(
        title=title,
        source=source,
        table=table,
        count=count,
        groups=[{"name": name, "rows": members} for name, members in groups.items()],
    )
