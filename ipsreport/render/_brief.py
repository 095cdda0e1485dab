"""A brief read from disk and a brief prepared for one run with its parameters.

Both are immutable: a batch reads a brief once and prepares it for each municipality.
Preparing validates the parameters first, so a bad value stops a render before any kernel
starts or any file is written.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from nbformat import NotebookNode
from pydantic import BaseModel

from ipsreport.errors import BriefError, ParameterError, shown
from ipsreport.render._params import Parameter, declared_parameters, parameterize, validate
from ipsreport.render._project import (
    Project,
    document_metadata,
    find_project,
    format_options,
    merge,
)
from ipsreport.render._qmd import read_qmd
from ipsreport.validation import validated

# The front matter key naming a brief's parameter model, as ``module:Class``.
PARAMETER_MODEL_KEY = "ipsreport-parameters"
# Quarto's defaults where neither _quarto.yml nor the brief says otherwise.
FIGURE_DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {"fig-width": 7.0, "fig-height": 5.0, "fig-dpi": 96, "fig-format": "png"}
)


@dataclass(frozen=True)
class Brief:
    """A ``.qmd`` brief: its notebook (not executed), settings and declared parameters."""

    path: Path
    project: Project
    notebook: NotebookNode = field(repr=False)
    options: Mapping[str, Any] = field(repr=False)
    parameters: Mapping[str, Parameter]
    # The pydantic model the front matter names (``ipsreport-parameters:
    # package.module:Class``), or None when it names none.
    parameter_model: type[BaseModel] | None = None

    @property
    def stem(self) -> str:
        return self.path.stem

    @property
    def display_name(self) -> str:
        """The brief's path relative to its project (``reports/guide.qmd``) for messages."""
        try:
            return self.path.relative_to(self.project.root).as_posix()
        except ValueError:
            return self.path.as_posix()

    @property
    def defaults(self) -> dict[str, Any]:
        """Every declared parameter's default, by name."""
        return {name: parameter.default for name, parameter in self.parameters.items()}

    @property
    def execute_options(self) -> Mapping[str, Any]:
        execute = self.options.get("execute")
        return execute if isinstance(execute, Mapping) else {}

    @property
    def figure_options(self) -> Mapping[str, Any]:
        """Figure size and format for matplotlib, from the project, the brief or Quarto."""
        merged = dict(FIGURE_DEFAULTS)
        for key in FIGURE_DEFAULTS:
            if key in self.options:
                merged[key] = self.options[key]
        return merged

    def metadata(self, fmt: str) -> dict[str, Any]:
        """Pandoc metadata for one Quarto format (``html`` or ``typst``)."""
        options = merge(self.options, format_options(self.options, fmt))
        return document_metadata(options)

    def format_option(self, fmt: str, key: str, default: Any = None) -> Any:
        """One option of a format, the brief's own ``format:`` block winning."""
        options = merge(self.options, format_options(self.options, fmt))
        return options.get(key, default)


@dataclass(frozen=True)
class PreparedNotebook:
    """A brief with validated parameters injected: ready to execute. ``params`` are the
    values given (they name the output), ``values`` every declared parameter's value, given
    or default (what the brief runs with, and what its provenance records)."""

    brief: Brief
    params: Mapping[str, Any]
    notebook: NotebookNode = field(repr=False)
    values: Mapping[str, Any] = field(default_factory=dict)


def read_brief(path: Path | str, *, project: Project | None = None) -> Brief:
    """Read a ``.qmd`` brief and the settings of the Quarto project it belongs to."""
    path = Path(path).resolve()
    project = project or find_project(path)
    notebook = read_qmd(path)
    front: Mapping[str, Any] = notebook.metadata.get("quarto", {})
    options = merge(_project_options(project), front)
    name = _display_name(path, project)
    spec = options.get(PARAMETER_MODEL_KEY)
    model = None if spec is None else load_model(str(spec), where=name, root=project.root)
    return Brief(
        path=path,
        project=project,
        notebook=notebook,
        options=options,
        parameters=declared_parameters(notebook, name=name, model=model),
        parameter_model=model,
    )


def prepare(brief: Brief, params: Mapping[str, Any] | None = None) -> PreparedNotebook:
    """Validate ``params`` against the brief's declarations and inject them (papermill).

    Raises :class:`~ipsreport.errors.ParameterError` for an unknown parameter or a value
    that is not of its declared type (text is read by ``validation.from_text``'s rule) or
    that the brief's model refuses.
    """
    checked = validate(params or {}, brief.parameters, brief=brief.display_name)
    values = {**brief.defaults, **checked}
    _validate_with_model(brief, values)
    notebook = parameterize(brief.notebook, checked)
    return PreparedNotebook(brief=brief, params=MappingProxyType(checked), notebook=notebook,
                            values=MappingProxyType(values))


def _validate_with_model(brief: Brief, values: Mapping[str, Any]) -> None:
    """Check types, ranges and data lookups (a known ``kommunekode``) with the pydantic model
    the brief names in its front matter, before any kernel starts."""
    model = brief.parameter_model
    if model is None:
        return
    try:
        validated(model, dict(values))
    except ParameterError as error:
        lines = str(error).splitlines()
        raise ParameterError("\n".join(f"{brief.display_name}: {line}" for line in lines)) from None


def load_model(spec: str, *, where: str, root: Path | None = None) -> type[BaseModel]:
    """The pydantic model that ``spec`` (``package.module:Class``) names, imported from the
    installed packages or from the project's folder ``root``."""
    module_name, colon, attribute = spec.partition(":")
    if not colon or not module_name or not attribute:
        raise BriefError(f"{where}: {PARAMETER_MODEL_KEY}: {shown(spec)} is not 'module:Class'")
    if root is not None and str(root) not in sys.path:
        sys.path.append(str(root))
    try:
        model = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        problem = f"cannot import {shown(spec)}: {shown(str(error), 200, quote=False)}"
        raise BriefError(f"{where}: {PARAMETER_MODEL_KEY}: {problem}") from None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise BriefError(f"{where}: {PARAMETER_MODEL_KEY}: {shown(spec)} is not a pydantic model")
    return model


def _project_options(project: Project) -> dict[str, Any]:
    return {key: value for key, value in project.config.items() if key != "project"}


def _display_name(path: Path, project: Project) -> str:
    try:
        return path.relative_to(project.root).as_posix()
    except ValueError:
        return path.as_posix()
