"""What an output was built from, reduced to one digest anyone can recompute.

An output depends on: the brief's source (and the project's ``_quarto.yml``), its
parameters, the data files, the package's code, the templates, and the versions of
Pandoc and Typst. :func:`of` gathers those into a :class:`Provenance`; its
:meth:`~Provenance.digest` changes when, and only when, one of them changes. The batch
uses it to skip outputs that are current; ``ipsreport verify`` uses it to say whether a
file is current or stale; the renderer writes :meth:`~Provenance.fields` into each PDF's
and HTML's metadata. The names of those fields are defined here, once (:class:`Field`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pypandoc

from ipsreport import __version__
from ipsreport.digest import bytes_digest, files_digest, folder_digest
from ipsreport.paths import PROJECT_ROOT, data_dir, templates_dir

PACKAGE_DIR = Path(__file__).resolve().parent.parent
_CODE_SUFFIXES = {".py", ".lua", ".typ", ".html", ".css"}


class Field(StrEnum):
    """The provenance fields an output records, as they are named in its metadata."""

    VERSION = "ipsreport-version"
    BUILD = "ipsreport-build-sha256"
    BRIEF_DIGEST = "ipsreport-brief-sha256"
    DATA = "ipsreport-data-sha256"
    CODE = "ipsreport-code-sha256"
    TEMPLATES = "ipsreport-templates-sha256"
    TOOLS = "ipsreport-tools"
    BRIEF = "ipsreport-brief"
    PARAMS = "ipsreport-params"


# How a PDF carries the fields: its Keywords hold these as ``name=value`` joined by ", ",
# the brief last (the one value that may contain ", "), and its Subject holds the
# parameters as ``ipsreport-params=<canonical JSON>``.
KEYWORD_FIELDS: tuple[Field, ...] = (
    Field.VERSION,
    Field.BUILD,
    Field.BRIEF_DIGEST,
    Field.DATA,
    Field.CODE,
    Field.TEMPLATES,
    Field.TOOLS,
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


@lru_cache(maxsize=1)
def tool_versions() -> Mapping[str, str]:
    """The versions that change the bytes of an output: Pandoc, Typst, the package."""
    return {
        "ipsreport": __version__,
        "pandoc": pypandoc.get_pandoc_version(),
        "typst": version("typst"),
    }


def canonical(values: Mapping[str, Any]) -> str:
    """Parameters as canonical JSON: sorted keys, no spaces, dates as ISO text."""
    return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


@dataclass(frozen=True)
class Provenance:
    brief: str  # the brief's path relative to the project, e.g. reports/guide.qmd
    brief_digest: str  # the .qmd and _quarto.yml
    params: Mapping[str, Any]
    data_digest: str | None
    code_digest: str
    templates_digest: str
    tools: Mapping[str, str] = field(default_factory=dict)

    def digest(self) -> str:
        """One SHA-256 over everything the output was built from."""
        record = asdict(self)
        record["params"] = canonical(self.params)
        return hashlib.sha256(canonical(record).encode()).hexdigest()

    def fields(self) -> dict[str, str]:
        """Every field an output records, as short text for a PDF's or a page's metadata."""
        return {
            Field.VERSION: self.tools.get("ipsreport", __version__),
            Field.BRIEF: self.brief,
            Field.BRIEF_DIGEST: self.brief_digest,
            Field.PARAMS: canonical(self.params),
            Field.DATA: self.data_digest or "",
            Field.BUILD: self.digest(),
            Field.CODE: self.code_digest,
            Field.TEMPLATES: self.templates_digest,
            Field.TOOLS: canonical(self.tools),
        }


def tree_fields(data: Path | None = None) -> dict[str, str]:
    """The fields that do not depend on a brief, for today's tree: data, code, templates,
    tools (what ``verify`` can still compare when a file's brief is gone)."""
    return {
        Field.DATA: data_digest(data) or "",
        Field.CODE: code_digest(),
        Field.TEMPLATES: templates_digest(),
        Field.TOOLS: canonical(tool_versions()),
    }


def brief_digest(brief_path: Path, project_root: Path = PROJECT_ROOT) -> str:
    """The brief's file and the project's ``_quarto.yml``, by file name."""
    files = [(brief_path.name, brief_path.resolve())]
    config = project_root / "_quarto.yml"
    if config.exists():
        files.append((config.name, config.resolve()))
    return files_digest(files)


def of(brief_path: Path, params: Mapping[str, Any], *, data: Path | None = None,
       project_root: Path = PROJECT_ROOT) -> Provenance:
    """The provenance of rendering ``brief_path`` with ``params`` against the current tree."""
    brief_path = brief_path.resolve()
    try:
        name = brief_path.relative_to(project_root).as_posix()
    except ValueError:
        name = brief_path.name
    return Provenance(
        brief=name,
        brief_digest=brief_digest(brief_path, project_root),
        params=dict(params),
        data_digest=data_digest(data),
        code_digest=code_digest(),
        templates_digest=templates_digest(),
        tools=dict(tool_versions()),
    )


def manifest_fields(record: Provenance, brief_path: Path, *, engine: str) -> dict[str, Any]:
    """What a manifest entry records of an output's provenance."""
    return {
        "engine": engine,
        "ipsreport_version": __version__,
        "report_sha256": bytes_digest(brief_path.read_bytes()),
        "data_sha256": record.data_digest,
        "build_sha256": record.digest(),
    }
