"""The Quarto project settings that the built-in renderer honours.

``_quarto.yml`` is Quarto's file; the built-in renderer reads the part of it that shapes a
brief (``lang``, ``execute``, the figure size, per-format options) so that both renderers
start from the same settings. A brief's own front matter wins over the project, as in Quarto.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipsreport import yamltext
from ipsreport.errors import BriefError
from ipsreport.paths import PROJECT_ROOT

CONFIG_NAME = "_quarto.yml"

# Quarto options that configure a tool rather than describe the document: they are never
# handed to Pandoc as metadata (the built-in renderer applies them itself where it can).
_TOOL_KEYS = frozenset(
    {
        "project",
        "filters",
        "format",
        "execute",
        "jupyter",
        "engine",
        "params",
        "embed-resources",
        "self-contained",
        "css",
        "template",
        "template-partials",
        "reference-doc",
        "format-links",
        "font-paths",
        "keep-typ",
        "keep-md",
        "keep-ipynb",
        "fig-width",
        "fig-height",
        "fig-dpi",
        "fig-format",
        "output-file",
    }
)


@dataclass(frozen=True)
class Project:
    """A Quarto project folder and its parsed ``_quarto.yml`` (empty if there is none)."""

    root: Path
    config: Mapping[str, Any] = field(default_factory=dict)

    @property
    def output_dir(self) -> Path:
        project = self.config.get("project") or {}
        return self.root / str(project.get("output-dir", "_output"))


def load_project(root: Path | None = None) -> Project:
    """Read ``_quarto.yml`` in ``root`` (the ipsreport project by default)."""
    root = (root or PROJECT_ROOT).resolve()
    path = root / CONFIG_NAME
    if not path.is_file():
        return Project(root=root)
    try:
        config = yamltext.load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as error:
        raise BriefError(f"{path}: cannot read the project's settings: {error}") from None
    except yamltext.YamlError as error:
        raise BriefError(f"{path}: invalid YAML: {error}") from None
    if not isinstance(config, dict):
        raise BriefError(f"{path}: expected a mapping at the top level")
    return Project(root=root, config=config)


def find_project(path: Path) -> Project:
    """The project a brief belongs to: the nearest folder above it with ``_quarto.yml``."""
    for folder in path.resolve().parents:
        if (folder / CONFIG_NAME).is_file():
            return load_project(folder)
    return Project(root=path.resolve().parent)


def merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Deep-merge two option mappings; ``override`` wins, nested mappings merge."""
    merged: dict[str, Any] = dict(base)
    for key, value in override.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = merge(old, value)
        else:
            merged[key] = value
    return merged


def format_options(options: Mapping[str, Any], fmt: str) -> dict[str, Any]:
    """Options for one Quarto format (``html``, ``typst``) from a project or front matter."""
    formats = options.get("format")
    if isinstance(formats, Mapping):
        chosen = formats.get(fmt)
        if isinstance(chosen, Mapping):
            return dict(chosen)
    return {}


# Front matter keys that configure ipsreport (``ipsreport-parameters``, ``ipsreport-batch``)
# start with this: they are not the document's metadata either.
_OWN_PREFIX = "ipsreport-"


def document_metadata(options: Mapping[str, Any]) -> dict[str, Any]:
    """The part of a set of options that describes the document (title, lang, date ...)."""
    return {key: value for key, value in options.items()
            if key not in _TOOL_KEYS and not key.startswith(_OWN_PREFIX)}
