"""Exceptions a user can cause.

Every error that bad input, bad data or a failing brief can produce is an
:class:`IpsreportError`. The CLI turns these into a one-line message and exit
status 2 (input the user can fix) or 1 (a render that failed), never a traceback.
"""

from __future__ import annotations

import reprlib

_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 200
_SHORT_REPR.maxlevel = 3


class IpsreportError(Exception):
    """Base class: a problem the user can act on, with a message that says what."""

    exit_status = 2


class DataError(IpsreportError):
    """A data file in ``data/`` is missing, malformed or holds an impossible figure."""


class BriefError(IpsreportError):
    """A brief (or its project's ``_quarto.yml``) cannot be read: not a readable file, not
    UTF-8 text, too large, or not well-formed (front matter, chunks, cell options)."""


class ParameterError(IpsreportError):
    """A parameter (of a model, a brief or a batch row) is unknown or out of range."""


class RenderError(IpsreportError):
    """A brief could not be rendered: a cell raised, a tool failed, a kernel died."""

    exit_status = 1


def shown(value: object, limit: int = 60, *, quote: bool = True) -> str:
    """``value`` as an error message quotes it: its repr (or, with ``quote=False``, its text)
    cut to ``limit`` characters, so a megabyte-long value gives a short message. The repr is
    built by :mod:`reprlib`, which stops early, so even a huge nested value costs little."""
    text = _SHORT_REPR.repr(value) if quote else str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."
