"""What an output was built from, reduced to one digest anyone can recompute, and bound to
the output's bytes.

An output depends on: the brief's source (and the project's ``_quarto.yml``), its
parameters, the data files, the package's code, the templates, and the engine and tools
that wrote it (ipsreport's own Pandoc and Typst, or Quarto). :func:`of` gathers those into
a :class:`Provenance`; its :meth:`~Provenance.digest` changes when, and only when, one of
them changes. The batch uses it to skip outputs that are current; ``ipsreport verify``
uses it to say whether a file is current or stale.

**The record.** Every output carries :meth:`Provenance.fields`, whose names are defined
here, once (:class:`Field`). :func:`markdown` puts them into a brief's Markdown as three raw
blocks, one of HTML ``<meta>`` tags, one Typst ``set document(keywords: ...)`` and one of
the fields as JSON; the project's Lua filter ``ipsreport/render/provenance.lua`` moves each
to where its format wants it (the page's head; the PDF's Keywords and Subject; a Word
document's custom properties, ``docProps/custom.xml``, one property per field). The
built-in renderer adds the blocks itself; under ``quarto render``, the brief's first cell
does (:func:`under_quarto`, called by ``presentation.brief.parameters``), so both engines'
outputs carry the same record.

**The seal.** The record's ``ipsreport-content-sha256`` is written as a placeholder and then
replaced by the SHA-256 of the finished file as it was with the placeholder
(:func:`seal`; Quarto's post-render step ``ipsreport/render/quarto_post_render.py`` does it
for Quarto's outputs). So a file whose bytes changed after rendering (a number edited, a
byte flipped, a record copied into another file) no longer matches its own record
(:func:`sealed`).

A Word document is a zip whose members are compressed, so the placeholder is not in its
bytes. For it the rule is the same over what the document says rather than over how it is
zipped: the content digest is the SHA-256 of :func:`ipsreport.ooxml.content` of its
members (every member's name and uncompressed bytes, in canonical order) with the
placeholder in place; sealing puts the digest in place of the placeholder in the members
(in ``docProps/custom.xml``) and writes the zip again, reproducibly (:func:`ipsreport.ooxml.
write`). A docx that was opened and saved, or had a member changed, added or removed, is
no longer sealed; one that was only zipped again is.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ipsreport import __version__, ooxml
from ipsreport.digest import bytes_digest, files_digest, folder_digest
from ipsreport.markup import html_text, typst_string
from ipsreport.paths import PROJECT_ROOT, data_dir, templates_dir

PACKAGE_DIR = Path(__file__).resolve().parent
_CODE_SUFFIXES = {".py", ".lua", ".typ", ".html", ".css"}
ENGINES = ("builtin", "quarto")


class Field(StrEnum):
    """The provenance fields an output records, as they are named in its metadata."""

    VERSION = "ipsreport-version"
    ENGINE = "ipsreport-engine"
    BUILD = "ipsreport-build-sha256"
    BRIEF_DIGEST = "ipsreport-brief-sha256"
    DATA = "ipsreport-data-sha256"
    CODE = "ipsreport-code-sha256"
    TEMPLATES = "ipsreport-templates-sha256"
    TOOLS = "ipsreport-tools"
    CONTENT = "ipsreport-content-sha256"
    BRIEF = "ipsreport-brief"
    PARAMS = "ipsreport-params"


# How a PDF carries the fields: its Keywords hold these as ``name=value`` joined by ", ",
# the brief last (the one value that may contain ", "), and its Subject holds the
# parameters as ``ipsreport-params=<canonical JSON>``.
KEYWORD_FIELDS: tuple[Field, ...] = (
    Field.VERSION,
    Field.ENGINE,
    Field.BUILD,
    Field.BRIEF_DIGEST,
    Field.DATA,
    Field.CODE,
    Field.TEMPLATES,
    Field.TOOLS,
    Field.CONTENT,
    Field.BRIEF,
)
SUBJECT_FIELD = Field.PARAMS

# What can have changed since an output was built, in the order a reader cares about, and
# the field that records it.
COMPONENTS: tuple[tuple[str, Field], ...] = (
    ("brief", Field.BRIEF_DIGEST),
    ("data", Field.DATA),
    ("code", Field.CODE),
    ("templates", Field.TEMPLATES),
    ("tools", Field.TOOLS),
)

# The raw formats of the blocks :func:`markdown` writes (see provenance.lua).
HTML_HEAD_FORMAT = "ipsreport-html-head"
TYPST_HEAD_FORMAT = "ipsreport-typst-head"
FIELDS_FORMAT = "ipsreport-fields"
# Where a Word document keeps the record: its custom properties.
DOCX_RECORD_PART = "docProps/custom.xml"
# Stands for the content digest until the file is sealed: 64 hex digits, like a digest.
PLACEHOLDER = hashlib.sha256(b"ipsreport: the content digest goes here").hexdigest()


def code_digest() -> str:
    """The package's own code (Python, Lua filters), not its caches."""
    return folder_digest(
        PACKAGE_DIR, lambda p: p.suffix in _CODE_SUFFIXES and "__pycache__" not in p.parts
    )


def templates_digest(directory: Path | None = None) -> str:
    """Every file under ``templates/``: Typst partials, HTML template, CSS, fonts."""
    return folder_digest(directory or templates_dir())


def data_digest(directory: Path | None = None) -> str | None:
    """The data folder in force (or ``directory``); None when there is no such folder."""
    folder = directory or data_dir()
    return folder_digest(folder) if folder.is_dir() else None


@lru_cache(maxsize=2)
def tool_versions(engine: str = "builtin") -> Mapping[str, str]:
    """The versions that change the bytes of an output: the package, and Pandoc and Typst
    (the built-in engine) or Quarto (which brings its own)."""
    if engine == "quarto":
        return {"ipsreport": __version__, "quarto": quarto_version()}
    import pypandoc  # only the built-in engine's Pandoc: not needed in a Quarto kernel

    return {
        "ipsreport": __version__,
        "pandoc": pypandoc.get_pandoc_version(),
        "typst": version("typst"),
    }


def quarto_version() -> str:
    """The Quarto in use: the one running this kernel (``QUARTO_SHARE_PATH/version``), else
    the one on PATH; "none" without one."""
    share = os.environ.get("QUARTO_SHARE_PATH")
    if share and (Path(share) / "version").is_file():
        return (Path(share) / "version").read_text(encoding="utf-8").strip()
    quarto = shutil.which("quarto")
    if quarto is None:
        return "none"
    try:
        result = subprocess.run([quarto, "--version"], capture_output=True, text=True,
                                timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "none"
    return result.stdout.strip() or "none"


def canonical(values: Mapping[str, Any]) -> str:
    """Parameters as canonical JSON: sorted keys, no spaces, dates as ISO text."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


@dataclass(frozen=True)
class Provenance:
    brief: str  # the brief's path relative to the project, e.g. reports/guide.qmd
    brief_digest: str  # the .qmd and _quarto.yml
    params: Mapping[str, Any]  # every declared parameter's value, given or default
    data_digest: str | None
    code_digest: str
    templates_digest: str
    engine: str = "builtin"
    tools: Mapping[str, str] = field(default_factory=dict)

    def digest(self) -> str:
        """One SHA-256 over everything the output was built from."""
        record = asdict(self)
        record["params"] = canonical(self.params)
        return hashlib.sha256(canonical(record).encode()).hexdigest()

    def fields(self) -> dict[str, str]:
        """Every field an output records, as short text for a PDF's or a page's metadata;
        the content digest is the placeholder that :func:`seal` replaces."""
        return {
            Field.VERSION: self.tools.get("ipsreport", __version__),
            Field.ENGINE: self.engine,
            Field.BRIEF: self.brief,
            Field.BRIEF_DIGEST: self.brief_digest,
            Field.PARAMS: canonical(self.params),
            Field.DATA: self.data_digest or "",
            Field.BUILD: self.digest(),
            Field.CODE: self.code_digest,
            Field.TEMPLATES: self.templates_digest,
            Field.TOOLS: canonical(self.tools),
            Field.CONTENT: PLACEHOLDER,
        }


def tree_fields(data: Path | None = None, engine: str = "builtin") -> dict[str, str]:
    """The fields that do not depend on a brief, for today's tree: data, code, templates,
    tools (what ``verify`` can still compare when a file's brief is gone)."""
    return {
        Field.DATA: data_digest(data) or "",
        Field.CODE: code_digest(),
        Field.TEMPLATES: templates_digest(),
        Field.TOOLS: canonical(tool_versions(engine)),
    }


def brief_digest(brief_path: Path, project_root: Path = PROJECT_ROOT) -> str:
    """The brief's file and the project's ``_quarto.yml``, by file name."""
    files = [(brief_path.name, brief_path.resolve())]
    config = project_root / "_quarto.yml"
    if config.exists():
        files.append((config.name, config.resolve()))
    return files_digest(files)


def of(brief_path: Path, params: Mapping[str, Any], *, data: Path | None = None,
       project_root: Path = PROJECT_ROOT, engine: str = "builtin") -> Provenance:
    """The provenance of rendering ``brief_path`` with ``params`` (every declared parameter)
    against the current tree, with ``engine``."""
    brief_path = brief_path.resolve()
    try:
        name = brief_path.relative_to(project_root.resolve()).as_posix()
    except ValueError:
        name = brief_path.name
    return Provenance(
        brief=name,
        brief_digest=brief_digest(brief_path, project_root),
        params=dict(params),
        data_digest=data_digest(data),
        code_digest=code_digest(),
        templates_digest=templates_digest(),
        engine=engine,
        tools=dict(tool_versions(engine)),
    )


def manifest_fields(record: Provenance, brief_path: Path) -> dict[str, Any]:
    """What a manifest entry records of an output's provenance."""
    return {
        "engine": record.engine,
        "ipsreport_version": __version__,
        "report_sha256": bytes_digest(brief_path.read_bytes()),
        "data_sha256": record.data_digest,
        "build_sha256": record.digest(),
    }


# -- the record in a document --------------------------------------------------------------


def markdown(fields: Mapping[str, str]) -> str:
    """The record as three raw Markdown blocks (see the module): HTML meta tags, a Typst
    ``set document`` with the Keywords and Subject, every value escaped for its language,
    and the fields as JSON on one line (ASCII, so no line of it can close the block)."""
    meta = "\n".join(
        f'<meta name="{html_text(name)}" content="{html_text(value)}">'
        for name, value in fields.items()
    )
    keywords = ", ".join(
        typst_string(f"{name}={fields[name]}") for name in KEYWORD_FIELDS if name in fields
    )
    typst = f"#set document(keywords: ({keywords},)"
    if SUBJECT_FIELD in fields:
        typst += f", description: {typst_string(f'{SUBJECT_FIELD}={fields[SUBJECT_FIELD]}')}"
    typst += ")"
    as_json = json.dumps(dict(fields), ensure_ascii=True, separators=(",", ":"))
    return (
        f"```{{={HTML_HEAD_FORMAT}}}\n{meta}\n```\n\n"
        f"```{{={TYPST_HEAD_FORMAT}}}\n{typst}\n```\n\n"
        f"```{{={FIELDS_FORMAT}}}\n{as_json}\n```\n"
    )


def under_quarto(params: Mapping[str, Any]) -> str | None:
    """In a kernel that ``quarto render`` runs: the record's Markdown for the document it is
    rendering (Quarto tells the kernel which, in ``QUARTO_DOCUMENT_PATH`` and
    ``QUARTO_DOCUMENT_FILE``), with ``params``, every declared parameter's value. None
    anywhere else: the built-in renderer adds the record itself."""
    folder = os.environ.get("QUARTO_DOCUMENT_PATH")
    name = os.environ.get("QUARTO_DOCUMENT_FILE")
    if not folder or not name:
        return None
    root = Path(os.environ.get("QUARTO_PROJECT_ROOT") or folder)
    record = of(Path(folder) / name, params, project_root=root, engine="quarto")
    return markdown(record.fields())


# -- the seal ----------------------------------------------------------------------------


def _encodings(digest: str) -> list[bytes]:
    """How 64 hex digits appear in the files ipsreport writes: as ASCII (HTML, XMP, a PDF's
    literal strings) and as the hex of UTF-16BE (a PDF string that holds other letters)."""
    return [digest.encode("ascii"), digest.encode("utf-16-be").hex().upper().encode("ascii")]


def _replace(data: bytes, old: str, new: str) -> tuple[bytes, int]:
    count = 0
    for before, after in zip(_encodings(old), _encodings(new), strict=True):
        count += data.count(before)
        data = data.replace(before, after)
    return data, count


def seal(data: bytes) -> bytes:
    """``data`` (a finished output holding the placeholder) with the placeholder replaced by
    its content digest: the SHA-256 of ``data`` as it is, or for a Word document of what it
    says (see the module). ValueError if there is none."""
    if ooxml.is_package(data):
        return _seal_package(data)
    sealed, count = _replace(data, PLACEHOLDER, bytes_digest(data))
    if count == 0:
        raise ValueError("the output holds no content digest to seal")
    return sealed


def sealed(data: bytes, digest: str) -> bool:
    """Whether ``data`` is exactly the file that :func:`seal` made with ``digest`` (for a
    Word document: has exactly the members it made, however zipped)."""
    if len(digest) != 64 or digest == PLACEHOLDER:
        return False
    if ooxml.is_package(data):
        return _package_sealed(data, digest)
    unsealed, count = _replace(data, digest, PLACEHOLDER)
    return count > 0 and bytes_digest(unsealed) == digest


def _replace_in_members(
    members: list[tuple[str, bytes]], old: str, new: str
) -> tuple[list[tuple[str, bytes]], int]:
    replaced: list[tuple[str, bytes]] = []
    count = 0
    for name, data in members:
        changed, found = _replace(data, old, new)
        replaced.append((name, changed))
        count += found
    return replaced, count


def _seal_package(data: bytes) -> bytes:
    try:
        members = ooxml.members(data)
    except ooxml.PackageError as error:
        raise ValueError(f"the output is not a readable package: {error}") from None
    digest = bytes_digest(ooxml.content(members))
    sealed_members, count = _replace_in_members(members, PLACEHOLDER, digest)
    if count == 0:
        raise ValueError("the output holds no content digest to seal")
    return ooxml.write(sealed_members)


def _package_sealed(data: bytes, digest: str) -> bool:
    try:
        members = ooxml.members(data)
    except ooxml.PackageError:
        return False
    unsealed, count = _replace_in_members(members, digest, PLACEHOLDER)
    return count > 0 and bytes_digest(ooxml.content(unsealed)) == digest
