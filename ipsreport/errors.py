"""Exceptions a user can cause.

Every error that bad input, bad data or a failing brief can produce is an
:class:`IpsreportError`. The CLI turns these into a one-line message and exit
status 2 (input the user can fix) or 1 (a render that failed), never a traceback.
"""

from __future__ import annotations


class IpsreportError(Exception):
    """Base class: a problem the user can act on, with a message that says what."""

    exit_status = 2


class DataError(IpsreportError):
    """A data file in ``data/`` is missing, malformed or holds an impossible figure."""


class ParameterError(IpsreportError):
    """A parameter (of a model, a brief or a batch row) is unknown or out of range."""


class RenderError(IpsreportError):
    """A brief could not be rendered: a cell raised, a tool failed, a kernel died."""

    exit_status = 1
