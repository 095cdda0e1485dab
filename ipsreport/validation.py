"""One way to turn pydantic's validation report into messages a user can act on."""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ipsreport.errors import ParameterError

Model = TypeVar("Model", bound=BaseModel)


def problems(error: ValidationError) -> list[str]:
    """'<field>: <value> is not allowed: <rule>' for each problem pydantic found."""
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"] if not isinstance(part, int))
        value = item.get("input")
        shown = "" if isinstance(value, dict) or item["type"] == "missing" else (
            f" {value!r} is not allowed:"
        )
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"{field}:{shown} {message}" if field else message)
    return lines


def validated(model: type[Model], values: dict[str, Any], what: str = "parameter") -> Model:
    """Validate ``values``; raise one :class:`ParameterError` with a line per problem."""
    try:
        return model.model_validate(values)
    except ValidationError as error:
        raise ParameterError("\n".join(f"{what} {line}" for line in problems(error))) from None
