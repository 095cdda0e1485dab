"""``ipsreport verify``: one line on whether a rendered PDF or HTML is still current."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ipsreport.cli._options import data_dir_option
from ipsreport.render import verify


@click.command("verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@data_dir_option
def verify_command(file: Path) -> None:
    """Say whether FILE, a PDF or HTML made by ipsreport, is current.

    Recomputes the build digest of FILE's brief and parameters from the current data, code,
    templates and tools and prints one line: "current" (exit status 0), "stale: " and what
    changed, of brief, data, code, templates, tools (exit status 1), or "not made by
    ipsreport" (exit status 3).
    """
    verdict = verify(file)
    click.echo(verdict.line)
    sys.exit(verdict.exit_status)
