"""A brief's parameters: what it declares, checking what it is given, injecting them.

A brief declares its parameters the papermill way, as plain assignments in the cell tagged
``parameters``. Each one's type is the one its brief's parameter model declares for it (or,
in a brief without a model, the type of its default). Given values are typed by that
declaration (:func:`ipsreport.validation.from_text`: text is never read as YAML) before
anything runs, and then injected by papermill, whose translator turns each value into a
Python literal (never code) in a new cell after the defaults.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nbformat import NotebookNode
from papermill.parameterize import parameterize_notebook
from pydantic import BaseModel

from ipsreport.errors import BriefError, ParameterError, shown
from ipsreport.validation import field_type, from_text, kind_of

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"


@dataclass(frozen=True)
class Parameter:
    """One declared parameter: its name, its default, and the type it takes (from the
    brief's parameter model, else from the default; ``Any`` for a default of None)."""

    name: str
    default: Any
    annotation: Any = Any

    @property
    def kind(self) -> str:
        """The allowed type, in words a user understands."""
        return kind_of(self.annotation)


def parameters_cell(nb: NotebookNode) -> NotebookNode | None:
    """The first cell tagged ``parameters`` (papermill's and Quarto's rule), if any."""
    for cell in nb.cells:
        if cell.cell_type == "code" and PARAMETERS_TAG in cell.metadata.get("tags", []):
            found: NotebookNode = cell
            return found
    return None


def declared_parameters(
    nb: NotebookNode, *, name: str = "<brief>", model: type[BaseModel] | None = None
) -> dict[str, Parameter]:
    """The parameters a notebook declares, by name, in the order they are assigned, typed by
    ``model`` when the brief names one (which must declare exactly these parameters)."""
    cell = parameters_cell(nb)
    if cell is None:
        return {}
    try:
        tree = ast.parse(str(cell.source))
    except SyntaxError as error:
        raise BriefError(f"{name}: the parameters cell is not valid Python: {error.msg}") from None
    defaults: dict[str, Any] = {}
    for node in tree.body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        if not isinstance(target, ast.Name) or value is None:
            continue
        try:
            defaults[target.id] = ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            defaults[target.id] = None
    if model is None:
        return {key: Parameter(key, default, Any if default is None else type(default))
                for key, default in defaults.items()}
    if set(defaults) != set(model.model_fields):
        missing = sorted(set(model.model_fields) - set(defaults))
        extra = sorted(set(defaults) - set(model.model_fields))
        raise BriefError(
            f"{name}: the parameters cell and {model.__name__} disagree"
            + (f"; not in the cell: {', '.join(missing)}" if missing else "")
            + (f"; not in the model: {', '.join(extra)}" if extra else "")
        )
    return {key: Parameter(key, default, field_type(model, key))
            for key, default in defaults.items()}


def validate(
    given: Mapping[str, Any], declared: Mapping[str, Parameter], *, brief: str
) -> dict[str, Any]:
    """The given values, each typed by its declaration (see the module); a ParameterError
    naming the parameter, the value (a short prefix of it) and what it takes, if one is
    unknown or cannot be read as its type."""
    checked: dict[str, Any] = {}
    for key, value in given.items():
        parameter = declared.get(key)
        if parameter is None:
            allowed = ", ".join(declared) if declared else "none (it has no parameters cell)"
            raise ParameterError(
                f"{brief}: unknown parameter {shown(key)} (given {shown(value)}); "
                f"allowed parameters: {allowed}"
            )
        checked[key] = coerce(parameter, value, brief=brief)
    return checked


def coerce(parameter: Parameter, value: Any, *, brief: str) -> Any:
    """``value`` as the declared type of ``parameter``, or a ParameterError saying why not."""
    try:
        return from_text(parameter.annotation, value)
    except ValueError as reason:
        why = f" ({reason})" if str(reason) else ""
        raise ParameterError(
            f"{brief}: parameter {parameter.name!r} got {shown(value)}, but it takes "
            f"{parameter.kind}{why}"
        ) from None


def parameterize(nb: NotebookNode, params: Mapping[str, Any]) -> NotebookNode:
    """A copy of ``nb`` with an ``injected-parameters`` cell after its parameters cell."""
    nb = copy.deepcopy(nb)
    if not params:
        return nb
    nb.metadata.setdefault("papermill", {})
    for cell in nb.cells:  # papermill expects every cell to have a tags list
        cell.metadata.setdefault("tags", [])
    injected: NotebookNode = parameterize_notebook(
        nb, dict(params), comment="Injected parameters", kernel_name="python3", language="python"
    )
    for cell in injected.cells:
        if INJECTED_TAG in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"  # a fixed id: the same inputs give the same notebook
    return injected
