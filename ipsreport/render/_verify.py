"""Is an output still what its brief, parameters, data, code and tools give today?

Every PDF, HTML and Word document that ipsreport writes, under either engine, records how
it was built
(the fields of :class:`ipsreport.provenance.Field`; a docx in its custom properties): the
brief, its parameters, the engine,
digests of the brief, the data, the code and the templates, the tool versions, the build
digest over all of them, and the digest of the file's own content (its seal).
:func:`verify` reads that record back, checks the seal against the file's bytes,
recomputes the provenance of the same brief and parameters against the current tree, and
says one of four things:

- ``current`` (exit status 0): the file is the one ipsreport wrote, and its build digest
  is today's, so rendering again would give the same inputs to the same tools;
- ``stale: data, code`` (exit status 1): naming each recorded input that differs now
  (``brief``, ``data``, ``code``, ``templates``, ``tools``);
- ``not made by ipsreport`` (exit status 3): no readable ipsreport record in the file
  (another program's PDF or HTML, a file that is neither);
- ``modified`` (exit status 4): the file has a record, but its bytes are not those that
  ipsreport wrote with it (a number edited, a byte flipped, a record copied into another
  file): whatever it says, it is not what was rendered.

Status 2 stays what it is for every ``ipsreport`` command: a usage error (no such file).
"""

from __future__ import annotations

import html.parser
import io
import json
import logging
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ipsreport import ooxml, provenance
from ipsreport.paths import PROJECT_ROOT
from ipsreport.provenance import COMPONENTS, KEYWORD_FIELDS, SUBJECT_FIELD, Field

CURRENT, STALE, FOREIGN, MODIFIED = "current", "stale", "not made by ipsreport", "modified"
EXIT_STATUS = {CURRENT: 0, STALE: 1, FOREIGN: 3, MODIFIED: 4}

_REQUIRED = (Field.BUILD, Field.BRIEF, Field.PARAMS, Field.CONTENT, Field.ENGINE)
_LAST_KEYWORD = f", {KEYWORD_FIELDS[-1]}="
_CUSTOM_PROPERTIES = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
_PROPERTY_TYPES = "{http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes}"


@dataclass(frozen=True)
class Verdict:
    """The answer for one file: its status and, when stale, what changed."""

    status: str
    changed: tuple[str, ...] = ()

    @property
    def line(self) -> str:
        if self.status == STALE:
            return f"{STALE}: {', '.join(self.changed)}"
        if self.status == MODIFIED:
            return f"{MODIFIED}: its bytes are not those ipsreport wrote with its record"
        return self.status

    @property
    def exit_status(self) -> int:
        return EXIT_STATUS[self.status]


def verify(path: Path, *, data: Path | None = None, project_root: Path = PROJECT_ROOT) -> Verdict:
    """Compare the record in the output ``path`` with the current tree (see the module)."""
    content = Path(path).read_bytes()
    recorded = record_of(content)
    if recorded is None:
        return Verdict(FOREIGN)
    if not provenance.sealed(content, recorded[Field.CONTENT]):
        return Verdict(MODIFIED)
    params = json.loads(recorded[Field.PARAMS])
    brief = project_root / recorded[Field.BRIEF]
    engine = recorded[Field.ENGINE]
    now: Mapping[str, str]
    if brief.is_file():
        current = provenance.of(brief, params, data=data, project_root=project_root,
                                engine=engine)
        if current.digest() == recorded[Field.BUILD]:
            return Verdict(CURRENT)
        now = current.fields()
    else:  # the brief is gone or renamed: compare what can still be computed
        now = provenance.tree_fields(data, engine)
    changed = tuple(name for name, key in COMPONENTS if recorded.get(key) != now.get(key))
    return Verdict(STALE, changed or ("inputs the file does not record",))


def read_record(path: Path) -> dict[str, str] | None:
    """The ipsreport fields embedded in a PDF, an HTML file or a docx, or None if there are
    none."""
    return record_of(path.read_bytes())


def record_of(content: bytes) -> dict[str, str] | None:
    """The ipsreport fields embedded in a PDF's, an HTML page's or a docx's bytes, or None."""
    if content.lstrip()[:5] == b"%PDF-":
        fields = pdf_record(content)
    elif ooxml.is_package(content):
        fields = docx_record(content)
    else:
        try:
            text = content.decode("utf-8")
        except UnicodeDecodeError:
            return None
        fields = html_record(text)
    if fields is None or any(not fields.get(name) for name in _REQUIRED):
        return None
    try:
        params = json.loads(fields[Field.PARAMS])
    except json.JSONDecodeError:
        return None
    known = isinstance(params, dict) and fields[Field.ENGINE] in provenance.ENGINES
    return fields if known else None


def pdf_record(content: bytes) -> dict[str, str] | None:
    """The fields from a PDF's Keywords (``name=value, …``, the brief last) and Subject."""
    import pypdf  # only verify needs it; keep the import off the renderer's path
    from pypdf.errors import PyPdfError

    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)  # a foreign PDF may be untidy: not worth a warning here
    try:
        info: Mapping[str, Any] = pypdf.PdfReader(io.BytesIO(content)).metadata or {}
        keywords = str(info.get("/Keywords") or "")
        subject = str(info.get("/Subject") or "")
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        return None
    finally:
        logger.setLevel(level)
    head, found, brief = keywords.partition(_LAST_KEYWORD)
    if not found:
        return None
    fields: dict[str, str] = {}
    for item in head.split(", "):
        name, equals, value = item.partition("=")
        if equals and name.startswith("ipsreport-"):
            fields[name] = value
    fields[KEYWORD_FIELDS[-1]] = brief
    prefix = f"{SUBJECT_FIELD}="
    if subject.startswith(prefix):
        fields[SUBJECT_FIELD] = subject[len(prefix) :]
    return fields


def docx_record(content: bytes) -> dict[str, str] | None:
    """The fields from a docx's custom properties (``docProps/custom.xml``): each property
    named ``ipsreport-…`` whose value is a string."""
    try:
        part = dict(ooxml.members(content)).get(provenance.DOCX_RECORD_PART)
        root = ElementTree.fromstring(part) if part is not None else None
    except (ooxml.PackageError, ElementTree.ParseError):
        return None
    if root is None or root.tag != f"{_CUSTOM_PROPERTIES}Properties":
        return None
    fields: dict[str, str] = {}
    for item in root.findall(f"{_CUSTOM_PROPERTIES}property"):
        name = item.get("name") or ""
        value = item.find(f"{_PROPERTY_TYPES}lpwstr")
        if name.startswith("ipsreport-") and value is not None:
            fields.setdefault(name, value.text or "")
    return fields or None


def html_record(text: str) -> dict[str, str] | None:
    """The fields from an HTML page's ``<meta name="ipsreport-…" content="…">`` tags."""
    parser = _MetaParser()
    try:
        parser.feed(text)
        parser.close()
    except (AssertionError, ValueError):  # html.parser gives up on some malformed input
        return None
    return parser.fields or None


class _MetaParser(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "meta":
            return
        attributes: Mapping[str, Any] = dict(attrs)
        name, content = attributes.get("name"), attributes.get("content")
        if isinstance(name, str) and name.startswith("ipsreport-") and content is not None:
            self.fields.setdefault(name, str(content))
