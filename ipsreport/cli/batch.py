"""``ipsreport batch``: one brief rendered for every row of a table."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ipsreport.batch import default_jobs, run_batch
from ipsreport.cli._options import (
    FORK_SERVER_KEY,
    data_dir_option,
    output_dir_option,
    timeout_option,
    to_option,
)
from ipsreport.cli.render import preflight
from ipsreport.errors import RenderError
from ipsreport.render import DEFAULT_TIMEOUT, normalise_formats

EXIT_INTERRUPTED = 130


@click.command("batch")
@click.argument("report", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--table",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV table, one row per document; columns named like the brief's parameters "
    "are its parameters (an empty cell: the brief's default).",
)
@to_option
@output_dir_option("Where to write (default: _output/batch/<brief>, e.g. _output/batch/guide).")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help=f"Worker processes, each with its own warm kernel (default: the cores, here "
    f"{default_jobs()}).",
)
@click.option(
    "--only",
    multiple=True,
    metavar="ROWS",
    help="Render only these rows: keys of the first column, names or file names, "
    "comma-separated or repeated (e.g. --only 101,461 or --only odense).",
)
@timeout_option(DEFAULT_TIMEOUT)
@data_dir_option
def batch_command(
    report: Path,
    table: Path,
    to: tuple[str, ...],
    output_dir: Path | None,
    jobs: int | None,
    only: tuple[str, ...],
    timeout: float,
) -> None:
    """Render REPORT once per row of --table, in parallel on warm kernels.

    Outputs that are current (same brief, parameters, data, code, templates and tools as
    recorded in the folder's manifest.json) are reused; index.html links them all.
    """
    formats = normalise_formats(to)
    preflight()
    try:
        result = run_batch(
            report, table, formats=formats, output_dir=output_dir, jobs=jobs, only=only,
            timeout=timeout, fresh_process=True,
            fork_server=click.get_current_context().meta.get(FORK_SERVER_KEY),
        )
    except KeyboardInterrupt:
        click.echo("ipsreport: interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    click.echo(f"ipsreport: {result.summary}", err=True)
    click.echo(str(result.index))
    if result.interrupted:
        sys.exit(EXIT_INTERRUPTED)
    if result.failed:
        lines = [f"{len(result.failed)} of {len(result.outcomes)} rows failed:"]
        lines += [f"  {outcome.reason}" for outcome in result.failed]
        raise RenderError("\n".join(lines))
