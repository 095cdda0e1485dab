"""``ipsreport render``: briefs to HTML and PDF, with Quarto's command-line conventions."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click
import yaml

from ipsreport.cli._options import data_dir_option
from ipsreport.errors import ParameterError
from ipsreport.paths import reports_dir
from ipsreport.render import (
    DEFAULT_TIMEOUT,
    ENGINES,
    Brief,
    choose_engine,
    normalise_formats,
    prepare,
    read_brief,
    render,
)

# Options that ``ipsreport batch`` takes the same way.
to_option = click.option(
    "--to",
    "to",
    multiple=True,
    metavar="FORMAT",
    help="html, typst or pdf (typst = pdf); repeat or comma-separate. Default: both.",
)
timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds each cell may run.",
)


@click.command("render")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@to_option
@click.option(
    "-P",
    "--execute-param",
    "param_items",
    multiple=True,
    metavar="NAME:VALUE",
    help="Set a parameter; VALUE is read as a YAML scalar. Repeatable.",
)
@click.option(
    "--execute-params",
    "params_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML file of parameter values (-P wins over it).",
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write (default: the project's output-dir, _output).",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="auto",
    show_default=True,
    help="auto uses Quarto when it is on PATH, else the built-in renderer.",
)
@timeout_option
@data_dir_option
def render_command(
    files: tuple[Path, ...],
    to: tuple[str, ...],
    param_items: tuple[str, ...],
    params_file: Path | None,
    output_dir: Path | None,
    engine: str,
    timeout: float,
) -> None:
    """Render briefs (default: every reports/*.qmd not starting with _) to HTML and PDF."""
    _log_warnings_to_stderr()
    formats = normalise_formats(to)
    params = {**_read_params_file(params_file), **_parse_param_items(param_items)}
    paths = list(files) or sorted(
        path for path in reports_dir().glob("*.qmd") if not path.name.startswith("_")
    )
    if not paths:
        click.echo("ipsreport: no briefs to render", err=True)
        return
    # Read every brief and check the parameters against each before anything runs.
    briefs: list[Brief] = [read_brief(path) for path in paths]
    for brief in briefs:
        prepare(brief, params)
    chosen = choose_engine(engine)
    for brief in briefs:
        outputs = render(
            brief,
            params,
            formats=formats,
            output_dir=output_dir,
            timeout=timeout,
            engine=chosen,
        )
        for output in outputs:
            click.echo(str(output.path))


def parse_param_item(item: str) -> tuple[str, str]:
    """``name:value`` as Quarto's ``-P`` takes it (the value stays text until validation)."""
    name, separator, value = item.partition(":")
    if not separator or not name.strip():
        raise ParameterError(f"-P {item!r}: expected NAME:VALUE")
    return name.strip(), value


def _parse_param_items(items: tuple[str, ...]) -> dict[str, Any]:
    return dict(parse_param_item(item) for item in items)


def _read_params_file(path: Path | None) -> Mapping[str, Any]:
    if path is None:
        return {}
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        message = " ".join(str(error).split())
        raise ParameterError(f"{path}: cannot read parameters: {message}") from None
    if not isinstance(loaded, dict):
        raise ParameterError(f"{path}: parameters must be a YAML mapping of name: value")
    return {str(key): value for key, value in loaded.items()}


def _log_warnings_to_stderr() -> None:
    logger = logging.getLogger("ipsreport.render")
    if not any(getattr(h, "_ipsreport", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("ipsreport: warning: %(message)s"))
        handler._ipsreport = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
