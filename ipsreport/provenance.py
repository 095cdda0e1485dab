"""What an output was built from, reduced to one digest anyone can recompute.

An output depends on: the brief's source (and the project's ``_quarto.yml``), its
parameters, the data files, the package's code, the templates, and the versions of
Pandoc and Typst. :func:`of` gathers those into a :class:`Provenance`; its
:meth:`~Provenance.digest` changes when, and only when, one of them changes. The batch
uses it to skip outputs that are current; ``ipsreport verify`` uses it to say whether a
file is current or stale; the renderer writes it into each PDF's and HTML's metadata.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pypandoc

from ipsreport import __version__
from ipsreport.paths import PROJECT_ROOT, data_dir, templates_dir
from ipsreport.sources import data_digest

PACKAGE_DIR = Path(__file__).resolve().parent
_CODE_SUFFIXES = {".py", ".lua", ".typ", ".html", ".css"}


def files_digest(paths: Iterable[Path], root: Path) -> str:
    """SHA-256 over the files' paths (relative to ``root``) and bytes, in sorted order."""
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def code_digest() -> str:
    """The package's own code (Python, Lua filters), not its caches."""
    files = (p for p in PACKAGE_DIR.rglob("*")
             if p.is_file() and p.suffix in _CODE_SUFFIXES and "__pycache__" not in p.parts)
    return files_digest(files, PACKAGE_DIR)


def templates_digest(directory: Path | None = None) -> str:
    """Every file under ``templates/``: Typst partials, HTML template, CSS, fonts."""
    root = directory or templates_dir()
    return files_digest((p for p in root.rglob("*") if p.is_file()), root)


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
    data_digest: str
    code_digest: str
    templates_digest: str
    tools: Mapping[str, str] = field(default_factory=dict)

    def digest(self) -> str:
        """One SHA-256 over everything the output was built from."""
        record = asdict(self)
        record["params"] = canonical(self.params)
        return hashlib.sha256(canonical(record).encode()).hexdigest()

    def as_metadata(self) -> dict[str, str]:
        """Short text fields for a PDF's or an HTML page's metadata."""
        return {
            "ipsreport-version": self.tools.get("ipsreport", __version__),
            "ipsreport-brief": self.brief,
            "ipsreport-brief-sha256": self.brief_digest,
            "ipsreport-params": canonical(self.params),
            "ipsreport-data-sha256": self.data_digest,
            "ipsreport-build-sha256": self.digest(),
        }


def brief_digest(brief_path: Path, project_root: Path = PROJECT_ROOT) -> str:
    files = [brief_path.resolve()]
    config = project_root / "_quarto.yml"
    if config.exists():
        files.append(config.resolve())
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


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
        data_digest=data_digest(data or data_dir()),
        code_digest=code_digest(),
        templates_digest=templates_digest(),
        tools=dict(tool_versions()),
    )
