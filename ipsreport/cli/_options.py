"""What several commands take, defined and checked once: ``--data-dir``, ``--output-dir``,
``--timeout``, and the environment a render depends on.

Every check here runs before any kernel starts or any file is written; a bad value is one
line naming the option or variable, the value (a short prefix of it) and what is allowed,
and exit status 2.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from ipsreport.errors import DataError, IpsreportError, shown
from ipsreport.paths import DATA_DIR_ENV

_Command = TypeVar("_Command", bound=Callable[..., Any])

# Where the command line keeps the kernel fork server it started early (ipsreport batch),
# in click's context meta.
FORK_SERVER_KEY = "ipsreport.fork_server"
# A cell's time limit: at least a second, and at most a week (asyncio refuses longer ones).
MIN_TIMEOUT, MAX_TIMEOUT = 1.0, 7 * 24 * 3600.0


def _use_data_dir(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    """Make ``--data-dir`` (or ``$IPSREPORT_DATA_DIR``) the data folder in force for the
    command: checked once, then put in the environment, where the data loader, the
    provenance and every kernel read it. The environment is restored when the command ends.
    """
    given = value if value is not None else os.environ.get(DATA_DIR_ENV) or None
    if given is None:
        return
    origin = "--data-dir" if value is not None else DATA_DIR_ENV
    folder = Path(given).expanduser().resolve()
    if not folder.is_dir():
        raise DataError(f"{origin}: {shown(str(given), 200)} is not a folder")
    previous = os.environ.get(DATA_DIR_ENV)
    os.environ[DATA_DIR_ENV] = str(folder)

    def restore() -> None:
        if previous is None:
            os.environ.pop(DATA_DIR_ENV, None)
        else:
            os.environ[DATA_DIR_ENV] = previous

    ctx.call_on_close(restore)


data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    expose_value=False,
    is_eager=True,
    callback=_use_data_dir,
    help=f"Data folder to use (default: ${DATA_DIR_ENV}, else the project's data/).",
)


def _checked_output_dir(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> Path | None:
    """``--output-dir`` as a folder that exists or can be made: not empty, not a file, and
    under a folder this process may write to. Nothing is created here."""
    if value is None:
        return None
    if not value.strip():
        raise IpsreportError("--output-dir: an empty name is not a folder")
    folder = Path(value).expanduser()
    if folder.exists() and not folder.is_dir():
        raise IpsreportError(f"--output-dir {shown(value, 200)}: exists and is not a folder")
    existing = folder.resolve()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise IpsreportError(
            f"--output-dir {shown(value, 200)}: cannot be made: {existing} is not a folder"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        read_only = os.statvfs(existing).f_flag & os.ST_RDONLY
        why = "a read-only file system" if read_only else "permission denied"
        raise IpsreportError(
            f"--output-dir {shown(value, 200)}: cannot write to {existing} ({why})"
        )
    return folder


def output_dir_option(help_text: str) -> Callable[[_Command], _Command]:
    return click.option(
        "--output-dir", type=str, default=None, callback=_checked_output_dir, help=help_text
    )


def _checked_timeout(_ctx: click.Context, _param: click.Parameter, value: float) -> float:
    if not (math.isfinite(value) and MIN_TIMEOUT <= value <= MAX_TIMEOUT):
        raise IpsreportError(
            f"--timeout: {shown(value)} is not allowed: give seconds from {MIN_TIMEOUT:g} to "
            f"{MAX_TIMEOUT:g} (a week)"
        )
    return value


def timeout_option(default: float) -> Callable[[_Command], _Command]:
    return click.option(
        "--timeout",
        type=float,
        default=default,
        show_default=True,
        callback=_checked_timeout,
        help="Seconds each cell may run.",
    )


to_option = click.option(
    "--to",
    "to",
    multiple=True,
    metavar="FORMAT",
    help="html, typst or pdf (typst = pdf), docx; repeat or comma-separate. Default: html "
    "and pdf.",
)
