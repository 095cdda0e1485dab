"""Values a user gives, typed by what the receiving model declares, and pydantic's report as
messages a user can act on.

A value typed on a command line, in a parameters file or in a batch table's cell is text.
:func:`from_text` turns it into the type a model's field declares, by one rule for every
entry point: a text field receives exactly the characters given; a whole number is plain
decimal digits with an optional sign; a decimal number is plain decimal notation
(``3.5``, ``-2``, ``1e5``); a truth value is ``true`` or ``false``; a date is
``YYYY-MM-DD``. Octal, hexadecimal, sexagesimal, ``.inf``, ``.nan``, ``yes`` and the other
shapes YAML would guess at are refused, never converted.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ipsreport.errors import ParameterError, shown

Model = TypeVar("Model", bound=BaseModel)

_WHOLE = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TRUTH = {"true": True, "false": False}
# What each type accepts, in words for a message.
KIND_NAMES: Mapping[type, str] = {
    bool: "true or false",
    int: "a whole number (decimal digits, with an optional sign)",
    float: "a decimal number such as 3.5 or 1e5",
    str: "text",
    dt.date: "a date written YYYY-MM-DD",
}


def problems(error: ValidationError) -> list[str]:
    """'<field>: <value> is not allowed: <rule>' for each problem pydantic found."""
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"] if not isinstance(part, int))
        value = item.get("input")
        given = "" if isinstance(value, dict) or item["type"] == "missing" else (
            f" {shown(value)} is not allowed:"
        )
        message = shown(item["msg"].removeprefix("Value error, "), 300, quote=False)
        lines.append(f"{field}:{given} {message}" if field else message)
    return lines


def validated(model: type[Model], values: dict[str, Any], what: str = "parameter") -> Model:
    """Validate ``values``; raise one :class:`ParameterError` with a line per problem."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise ParameterError("\n".join(f"{what} {line}" for line in problems(error))) from None


def field_type(model: type[BaseModel], name: str) -> Any:
    """The annotation of ``model``'s field ``name``; a dotted name looks into a nested model
    (``prices.kommune``). KeyError when there is no such field."""
    head, _, rest = name.partition(".")
    annotation = model.model_fields[head].annotation
    if not rest:
        return annotation
    inner, _optional = _unwrap(annotation)
    if not (isinstance(inner, type) and issubclass(inner, BaseModel)):
        raise KeyError(name)
    return field_type(inner, rest)


def kind_of(annotation: Any) -> str:
    """What a field of this annotation takes, in words (for a message)."""
    inner, optional = _unwrap(annotation)
    words = KIND_NAMES.get(inner, "a value") if isinstance(inner, type) else "a value"
    return f"{words}, or nothing" if optional and inner is not str else words


def from_text(annotation: Any, value: Any) -> Any:
    """``value`` as a field of ``annotation`` takes it (see the module); ValueError if it
    cannot be, with the reason when there is more to say than the type. Text is read by the
    rule above; a value that is not text (from Python) must already be of the type, a whole
    number standing for a decimal one."""
    inner, optional = _unwrap(annotation)
    if value is None:
        if optional:
            return None
        raise ValueError("it is required")
    if not isinstance(value, str):
        return _typed(inner, value)
    if inner is str or inner is Any or not isinstance(inner, type):
        return value
    text = value.strip()
    if optional and not text:
        return None
    parse = _PARSERS.get(inner)
    if parse is None:
        raise ValueError("it cannot be given as text")
    return parse(text)


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """``X | None`` -> (X, True); ``X`` -> (X, False)."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        members = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        optional = len(members) < len(typing.get_args(annotation))
        return (members[0] if len(members) == 1 else Any), optional
    return annotation, False


def _parse_whole(text: str) -> int:
    if not _WHOLE.fullmatch(text):
        raise ValueError
    return int(text, 10)


def _parse_decimal(text: str) -> float:
    if not _DECIMAL.fullmatch(text):
        raise ValueError
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("it is too large")
    return number


def _parse_truth(text: str) -> bool:
    if text.lower() not in _TRUTH:
        raise ValueError
    return _TRUTH[text.lower()]


def _parse_date(text: str) -> dt.date:
    if not _DATE.fullmatch(text):
        raise ValueError
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError("there is no such day") from None


_PARSERS: Mapping[type, Any] = {
    int: _parse_whole,
    float: _parse_decimal,
    bool: _parse_truth,
    dt.date: _parse_date,
}


def _typed(inner: Any, value: Any) -> Any:
    """A value from Python, checked against the type (no conversion but int -> float)."""
    if inner is Any or not isinstance(inner, type):
        return value
    if inner is float and isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):
            raise ValueError("it is not a finite number")
        return float(value)
    if inner is int and isinstance(value, bool):
        raise ValueError
    if isinstance(value, inner):
        return value
    raise ValueError
