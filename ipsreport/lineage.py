"""Numbers that know where they come from.

A source figure read from ``data/`` (:meth:`ipsreport.sources.SourceData.value`) is a
:class:`TracedFloat` or :class:`TracedInt`: a plain ``float`` or ``int`` for every purpose
(arithmetic, comparisons, pandas, pydantic), that also carries its :class:`Node`, a
:class:`Figure` leaf naming the figure. Arithmetic on traced numbers gives traced numbers
whose node is the :class:`Operation` that made them, so a result computed the ordinary way
(``(share_ips * n_ips + share_ipse * n_ipse) / (n_ips + n_ipse)``) knows the figures it was
computed from and how. A brief's parameters are traced the same way (:class:`Parameter`
leaves), and a number made by a method that arithmetic cannot see (a confidence interval
from scipy, a year-by-year model in pandas) is traced by :func:`derived`, which names the
method and its inputs.

A pydantic model that derives from :class:`KeepsLineage` keeps the lineage of the numbers it
is given. This module is pure and knows no reader: how a lineage reads in Danish is the
presentation layer's (``ipsreport/presentation/origins.py``). Plain numbers mixed in
(``100 * difference``) appear as :class:`Literal` leaves.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, SupportsFloat, TypeAlias, overload

from pydantic import BaseModel, ValidatorFunctionWrapHandler, model_validator


@dataclass(frozen=True)
class Figure:
    """A source figure: its id in ``data/``, value, unit, and the id of its source (and, for
    a figure that is not in ``data/``'s figure files, e.g. a municipality's own figure in its
    table, what it means)."""

    id: str
    value: float
    unit: str
    source: str
    meaning: str = ""


@dataclass(frozen=True)
class Parameter:
    """A brief's parameter, as the brief runs with it."""

    name: str
    value: Any


@dataclass(frozen=True)
class Setting:
    """A choice of method the package makes (a significance level): a named constant."""

    name: str
    value: float


@dataclass(frozen=True)
class Literal:
    """A plain number in a computation (``100`` in a percentage)."""

    value: float


@dataclass(frozen=True)
class Operation:
    """``op`` applied to ``args``: an arithmetic operator (``+ - * / neg abs round ceil
    floor``) or a named method (``method``; e.g. "wilson_low", "som_npv"), which the
    presentation layer words."""

    op: str
    args: tuple[Node, ...]
    method: str | None = None
    value: float | None = None  # what it gave


Node: TypeAlias = Figure | Parameter | Setting | Literal | Operation


def node_of(value: object) -> Node:
    """The lineage of ``value``: its node if traced, else a literal."""
    node = getattr(value, "node", None)
    if node is not None:
        return node  # type: ignore[no-any-return]
    return Literal(float(value))  # type: ignore[arg-type]


@overload
def traced(value: int, node: Node) -> TracedInt: ...
@overload
def traced(value: SupportsFloat, node: Node) -> TracedFloat | TracedInt: ...
def traced(value: SupportsFloat, node: Node) -> TracedFloat | TracedInt:
    """``value`` carrying ``node``: a TracedInt for a whole number (not a bool), else a
    TracedFloat."""
    if isinstance(value, int) and not isinstance(value, bool):
        return TracedInt(value, node)
    return TracedFloat(float(value), node)


def is_traced(value: object) -> bool:
    return isinstance(value, TracedFloat | TracedInt)


@overload
def derived(value: int, method: str, inputs: Iterable[object]) -> TracedInt: ...
@overload
def derived(value: SupportsFloat, method: str, inputs: Iterable[object]) -> TracedFloat | TracedInt:
    ...
def derived(value: SupportsFloat, method: str, inputs: Iterable[object]) -> TracedFloat | TracedInt:
    """``value``, made by ``method`` (a key the presentation layer words) from ``inputs``
    (traced or not), as a traced number."""
    return derivation(method, inputs)(value)


def derivation(method: str, inputs: Iterable[object]
               ) -> Callable[[SupportsFloat], TracedFloat | TracedInt]:
    """:func:`derived` for many values made by ``method`` from the same ``inputs``, whose
    lineage is read once (a model's hundred results from its dozen inputs)."""
    args = tuple(node_of(i) for i in inputs)

    def made(value: SupportsFloat) -> TracedFloat | TracedInt:
        return traced(value, Operation("method", args, method, float(value)))

    return made


def total(values: Iterable[float]) -> float:
    """The sum of ``values``, traced as one sum of them all (not a chain of additions)."""
    items = list(values)
    added: float = sum(plain(v) for v in items)
    return derived(added, "sum", items)


def count(items: Iterable[object], method: str, inputs: Iterable[object] = ()) -> TracedInt:
    """How many ``items`` there are, traced as counted by ``method`` from ``inputs``."""
    return derived(sum(1 for _ in items), method, inputs)


def setting(name: str, value: SupportsFloat) -> TracedFloat | TracedInt:
    """A method setting of the package, traced as such."""
    return traced(value, Setting(name, float(value)))


def leaves(node: Node) -> Iterator[Figure | Parameter | Setting]:
    """The figures, parameters and settings under ``node``, each once, in the order first
    met."""
    seen: set[Figure | Parameter | Setting] = set()
    stack = [node]
    found: list[Figure | Parameter | Setting] = []
    while stack:
        item = stack.pop()
        if isinstance(item, Operation):
            stack.extend(reversed(item.args))
        elif isinstance(item, Figure | Parameter | Setting) and item not in seen:
            seen.add(item)
            found.append(item)
    return iter(found)


def _binary(op: str, function: Callable[[Any, Any], Any], *, reflected: bool = False) -> Any:
    def method(self: Any, other: Any) -> Any:
        if not isinstance(other, int | float) or isinstance(other, bool):
            return NotImplemented
        left, right = (other, self) if reflected else (self, other)
        result = function(plain(left), plain(right))
        if not isinstance(result, int | float):
            return result
        return traced(result, _combine(op, node_of(left), node_of(right), result))
    return method


def _combine(op: str, left: Node, right: Node, value: float) -> Node:
    """``left op right``, leaving out what changes nothing (``0 + x`` from ``sum``)."""
    if op == "+" and isinstance(left, Literal) and left.value == 0:
        return right
    if op == "+" and isinstance(right, Literal) and right.value == 0:
        return left
    return Operation(op, (left, right), value=float(value))


def _unary(op: str, function: Callable[..., Any]) -> Any:
    def method(self: Any, *args: Any) -> Any:
        result = function(plain(self), *args)
        return traced(result, Operation(op, (self.node,), value=float(result)))
    return method


def plain(value: Any) -> Any:
    """``value`` without its lineage: a plain int or float (anything else as it is)."""
    if isinstance(value, TracedInt):
        return int.__int__(value)
    if isinstance(value, TracedFloat):
        return float.__float__(value)
    return value


class _Traced:
    """The operators both traced types share."""

    node: Node

    __add__ = _binary("+", operator.add)
    __radd__ = _binary("+", operator.add, reflected=True)
    __sub__ = _binary("-", operator.sub)
    __rsub__ = _binary("-", operator.sub, reflected=True)
    __mul__ = _binary("*", operator.mul)
    __rmul__ = _binary("*", operator.mul, reflected=True)
    __truediv__ = _binary("/", operator.truediv)
    __rtruediv__ = _binary("/", operator.truediv, reflected=True)
    __floordiv__ = _binary("//", operator.floordiv)
    __rfloordiv__ = _binary("//", operator.floordiv, reflected=True)
    __pow__ = _binary("**", operator.pow)
    __neg__ = _unary("neg", operator.neg)
    __abs__ = _unary("abs", abs)
    __round__ = _unary("round", round)
    __ceil__ = _unary("ceil", math.ceil)
    __floor__ = _unary("floor", math.floor)


class TracedFloat(_Traced, float):
    """A float that carries its lineage (see the module)."""

    def __new__(cls, value: SupportsFloat, node: Node) -> TracedFloat:
        self = super().__new__(cls, value)
        self.node = node
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (TracedFloat, (float(self), self.node))

    __hash__ = float.__hash__


class TracedInt(_Traced, int):
    """An int that carries its lineage (see the module)."""

    def __new__(cls, value: int, node: Node) -> TracedInt:
        self = super().__new__(cls, value)
        self.node = node
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (TracedInt, (int(self), self.node))

    __hash__ = int.__hash__


class KeepsLineage(BaseModel):
    """A pydantic model whose number fields keep the lineage of the values they were given
    (validation alone would make plain numbers of them)."""

    @model_validator(mode="wrap")
    @classmethod
    def _keep_lineage(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        model = handler(data)
        if isinstance(data, Mapping) and isinstance(model, BaseModel):
            for name, value in data.items():
                kept = model.__dict__.get(name)
                if (name in type(model).model_fields and is_traced(value)
                        and isinstance(kept, int | float) and not isinstance(kept, bool)
                        and kept == value):
                    model.__dict__[name] = traced(kept, value.node)
        return model
