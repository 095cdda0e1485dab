"""A brief's parameters: what it declares, checking what it is given, injecting them.

A brief declares its parameters the papermill way, as plain assignments in the cell tagged
``parameters``; their defaults give the allowed types. Given values are checked against
those declarations before anything runs, and then injected by papermill, whose translator
turns each value into a Python literal (never code) in a new cell after the defaults.
"""

from __future__ import annotations

import ast
import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml
from nbformat import NotebookNode
from papermill.parameterize import parameterize_notebook

from ipsreport.errors import ParameterError, RenderError

PARAMETERS_TAG = "parameters"
INJECTED_TAG = "injected-parameters"


@dataclass(frozen=True)
class Parameter:
    """One declared parameter: its name and default (whose type is the allowed type)."""

    name: str
    default: Any
    literal: bool = True  # False when the default is an expression we cannot evaluate

    @property
    def kind(self) -> str:
        """The allowed type, in words a user understands."""
        if not self.literal or self.default is None:
            return "any value"
        return _KIND_NAMES.get(type(self.default), type(self.default).__name__)


_KIND_NAMES: dict[type, str] = {
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    str: "text",
    list: "a list",
    dict: "a mapping",
}


def parameters_cell(nb: NotebookNode) -> NotebookNode | None:
    """The first cell tagged ``parameters`` (papermill's and Quarto's rule), if any."""
    for cell in nb.cells:
        if cell.cell_type == "code" and PARAMETERS_TAG in cell.metadata.get("tags", []):
            found: NotebookNode = cell
            return found
    return None


def declared_parameters(nb: NotebookNode, *, name: str = "<brief>") -> dict[str, Parameter]:
    """The parameters a notebook declares, by name, in the order they are assigned."""
    cell = parameters_cell(nb)
    if cell is None:
        return {}
    try:
        tree = ast.parse(str(cell.source))
    except SyntaxError as error:
        raise RenderError(f"{name}: the parameters cell is not valid Python: {error.msg}") from None
    found: dict[str, Parameter] = {}
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
            default = ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            found[target.id] = Parameter(target.id, None, literal=False)
        else:
            found[target.id] = Parameter(target.id, default)
    return found


def validate(
    given: Mapping[str, Any], declared: Mapping[str, Parameter], *, brief: str
) -> dict[str, Any]:
    """Check given values against the declarations and coerce them to the declared types.

    Values that come from a command line are strings and are converted to the type of the
    default (``"5"`` to ``5`` for an ``int``); values from YAML or Python must already have
    that type, except that a whole number is accepted for a ``float``.
    """
    checked: dict[str, Any] = {}
    for key, value in given.items():
        parameter = declared.get(key)
        if parameter is None:
            allowed = ", ".join(declared) if declared else "none (it has no parameters cell)"
            raise ParameterError(
                f"{brief}: unknown parameter {key!r} (given {_show(value)}); "
                f"allowed parameters: {allowed}"
            )
        checked[key] = coerce(parameter, value, brief=brief)
    return checked


def coerce(parameter: Parameter, value: Any, *, brief: str) -> Any:
    """``value`` as the declared type of ``parameter``, or a ParameterError saying why not."""
    if not parameter.literal or parameter.default is None:
        return parse_scalar(value) if isinstance(value, str) else value
    kind = type(parameter.default)
    result = _coerce_to(kind, value)
    if result is _INVALID:
        raise ParameterError(
            f"{brief}: parameter {parameter.name!r} got {_show(value)}, "
            f"but it takes {parameter.kind} (default {_show(parameter.default)})"
        )
    return result


def parse_scalar(text: str) -> Any:
    """A command-line value read as a YAML scalar, as ``quarto render -P name:value`` does."""
    try:
        return yaml.safe_load(text)
    except (yaml.YAMLError, ValueError):  # ValueError: a timestamp such as 2019-13-01
        return text


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


class _Invalid:
    pass


_INVALID: Any = _Invalid()

_TRUE = {"true", "yes", "on"}
_FALSE = {"false", "no", "off"}


def _to_bool(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    return _INVALID


def _to_int(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip(), 10)
        except ValueError:
            return _INVALID
    return _INVALID


def _to_float(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return _INVALID
    else:
        return _INVALID
    return number if math.isfinite(number) else _INVALID


def _to_str(value: Any) -> Any:
    return value if isinstance(value, str) else _INVALID


_COERCE: dict[type, Any] = {bool: _to_bool, int: _to_int, float: _to_float, str: _to_str}


def _coerce_to(kind: type, value: Any) -> Any:
    if kind in _COERCE:
        return _COERCE[kind](value)
    if kind in (list, dict):
        parsed = parse_scalar(value) if isinstance(value, str) else value
        return parsed if isinstance(parsed, kind) else _INVALID
    return value if isinstance(value, kind) else _INVALID


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
