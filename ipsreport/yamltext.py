"""Reading YAML, the one way ipsreport reads it: bounded, without aliases, typed or not.

Every YAML that reaches ipsreport goes through :func:`load`: the data files, a brief's front
matter and cell options, ``_quarto.yml``, a parameters file. A text that is too long, nested
too deeply, or that repeats a mapping or list through YAML's aliases (``&a`` / ``*a``, with
which 335 bytes can stand for billions of values) is refused with a short reason, in time
and memory proportional to the text. ``typed=False`` reads every scalar as the text it is
(YAML's core schema would read ``010`` as 8 and ``yes`` as true): a parameter's type comes
from its brief's declaration, never from YAML's guessing.
"""

from __future__ import annotations

from typing import Any

import yaml

from ipsreport.errors import shown

MAX_CHARACTERS = 1 << 20
# libyaml's C parser when PyYAML has it (the same rules, several times faster).
_TYPED = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_UNTYPED = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


class YamlError(ValueError):
    """A YAML text ipsreport will not read; the message says why, in one short line."""


def load(text: str, *, typed: bool = True, limit: int = MAX_CHARACTERS) -> Any:
    """The value of the YAML ``text``; :class:`YamlError` if it cannot or must not be read."""
    if len(text) > limit:
        raise YamlError(f"longer than {limit:,} characters")
    try:
        value = yaml.load(text, Loader=_TYPED if typed else _UNTYPED)
    except yaml.YAMLError as error:
        raise YamlError(shown(" ".join(str(error).split()), 200, quote=False)) from None
    except RecursionError:
        raise YamlError("nested too deeply") from None
    _refuse_shared(value)
    return value


def _refuse_shared(value: Any) -> None:
    """Refuse a value in which one mapping or list appears twice: the mark of an alias."""
    seen: set[int] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        if not isinstance(item, dict | list):
            continue
        if id(item) in seen:
            raise YamlError("uses aliases (&name and *name), which ipsreport does not read")
        seen.add(id(item))
        stack.extend(item.values() if isinstance(item, dict) else item)
