"""A Word document from Pandoc's docx writer, made reproducible.

Pandoc stamps a docx with the time of the run twice: in every zip member's header and in the
core properties (``dcterms:created``, ``dcterms:modified`` in ``docProps/core.xml``). Its
other contents are already the same on every run (image names are digests of the images,
bookmark ids are counted). :func:`reproducible` takes the dates out, or puts in
``SOURCE_DATE_EPOCH``'s when it is set, as for the PDF, and writes the zip again with fixed
member order, times and compression (:mod:`ipsreport.ooxml`), so two renders in different
folders at different times give the same bytes. Both engines' docx go through it (Quarto's
in its post-render step).
"""

from __future__ import annotations

import datetime as dt
import re

from ipsreport import ooxml

CORE_PART = "docProps/core.xml"
_DATES = re.compile(rb"<dcterms:(created|modified)\b[^>]*>[^<]*</dcterms:\1>")
_DATE_ELEMENT = (b'<dcterms:%s xsi:type="dcterms:W3CDTF">%s</dcterms:%s>')


def reproducible(data: bytes, date: dt.datetime | None) -> bytes:
    """The docx ``data`` with its core properties dated ``date`` (UTC), or not dated at all
    when it is None, in a reproducible zip. ``ooxml.PackageError`` if it is no zip."""
    members = []
    for name, content in ooxml.members(data):
        if name == CORE_PART:
            content = core_dates(content, date)
        members.append((name, content))
    return ooxml.write(members)


def core_dates(core: bytes, date: dt.datetime | None) -> bytes:
    """``docProps/core.xml`` with its creation and modification dates set to ``date``, or
    removed (both are optional in the core properties)."""
    if date is None:
        return _DATES.sub(b"", core)
    stamp = date.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ").encode("ascii")

    def dated(match: re.Match[bytes]) -> bytes:
        kind = match.group(1)
        return _DATE_ELEMENT % (kind, stamp, kind)

    return _DATES.sub(dated, core)
