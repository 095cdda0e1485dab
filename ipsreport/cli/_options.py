"""The option every command takes: ``--data-dir``."""

from __future__ import annotations

import os
from pathlib import Path

import click

from ipsreport.errors import DataError
from ipsreport.paths import DATA_DIR_ENV

# Where the command line keeps the kernel fork server it started early (ipsreport batch),
# in click's context meta.
FORK_SERVER_KEY = "ipsreport.fork_server"

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
        raise DataError(f"{origin}: {str(given)[:200]!r} is not a folder")
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
