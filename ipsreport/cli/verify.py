"""``ipsreport verify``: one line on whether a rendered PDF, HTML or docx is still current."""

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
    """Say whether FILE, a PDF, HTML or docx made by ipsreport, is current.

    Recomputes the build digest of FILE's brief and parameters from the current data, code,
    templates and tools and prints one line: "current" (exit status 0), "stale: " and what
    changed, of brief, data, code, templates, tools (exit status 1), "not made by
    ipsreport" (exit status 3), or "modified" when its bytes (a docx: its content) are not
    those it was sealed with (exit status 4).
    """
    verdict = verify(file)
    click.echo(verdict.line)
    sys.exit(verdict.exit_status)
