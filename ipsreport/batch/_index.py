"""``index.html``: every document of a batch folder, grouped by region, with links.

A plain Danish page that a municipality or a colleague can open from the folder or from a
CI artifact. All text from the table or the brief is escaped (``html.escape``), links are
URL-quoted, and nothing depends on the time of the run, so the same folder gives the same
page.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from ipsreport.batch._table import Row

FORMAT_NAMES = {"pdf": "PDF", "html": "HTML"}
_NO_GROUP = "Øvrige"

_STYLE = """\
body { font-family: "IBM Plex Sans", "Helvetica Neue", Arial, sans-serif; max-width: 46rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.45; color: #1a1a1a; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.15rem; margin-top: 1.8rem; border-bottom: 1px solid #ccc; }
ul { list-style: none; padding-left: 0; }
li { padding: 0.15rem 0; }
.mangler { color: #8a1c1c; }
.note { color: #555; }"""


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
    esc = html.escape
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.group or _NO_GROUP, []).append(row)
    count = sum(1 for row in rows for fmt in formats if f"{row.stem}.{fmt}" in entries)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="da">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{esc(title)}: alle dokumenter</title>",
        f"<style>\n{_STYLE}\n</style>",
        "</head>",
        "<body>",
        f"<h1>{esc(title)}</h1>",
        f'<p class="note">{count} dokumenter bygget fra {esc(source)} med én række pr. '
        f"dokument fra {esc(table)}.</p>",
    ]
    for group, members in groups.items():
        parts.append(f"<h2>{esc(group)}</h2>")
        parts.append("<ul>")
        for row in members:
            links = [
                f'<a href="{esc(quote(name), quote=True)}">{esc(FORMAT_NAMES.get(fmt, fmt))}</a>'
                for fmt in formats
                if (name := f"{row.stem}.{fmt}") in entries
            ]
            shown = " · ".join(links) if links else '<span class="mangler">ikke dannet</span>'
            parts.append(f"<li>{esc(row.label)}: {shown}</li>")
        parts.append("</ul>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)
