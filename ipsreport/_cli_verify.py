"""``ipsreport verify``: one line on whether a rendered PDF or HTML is still current."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ipsreport.verify import verify


@click.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Data folder to compare with (default: $IPSREPORT_DATA_DIR or data/).")
def verify_command(file: Path, data_dir: Path | None) -> None:
    """Say whether FILE, a PDF or HTML made by ipsreport, is current.

    Recomputes the build digest of FILE's brief and parameters from the current data, code,
    templates and tools and prints one line: "current" (exit status 0), "stale: " and what
    changed, of brief, data, code, templates, tools (exit status 1), or "not made by
    ipsreport" (exit status 3).
    """
    verdict = verify(file, data=data_dir.resolve() if data_dir else None)
    click.echo(verdict.line)
    sys.exit(verdict.exit_status)
