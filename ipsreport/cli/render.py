"""``ipsreport render``: briefs to HTML and PDF (and docx), with Quarto's command-line
conventions."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import click

from ipsreport import sources, yamltext
from ipsreport.cli._options import data_dir_option, output_dir_option, timeout_option, to_option
from ipsreport.errors import ParameterError, shown
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
    source_date,
)
from ipsreport.yamltext import MAX_CHARACTERS


def preflight(engine: str = "builtin") -> str:
    """What a render depends on besides its options, checked before anything runs: the
    engine (Quarto on PATH when asked for), ``SOURCE_DATE_EPOCH``, and the data folder in
    force (a folder whose files load). Returns the engine to use."""
    chosen = choose_engine(engine)
    source_date()
    sources.load()
    return chosen


@click.command("render")
@click.argument("files", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@to_option
@click.option(
    "-P",
    "--execute-param",
    "param_items",
    multiple=True,
    metavar="NAME:VALUE",
    help="Set a parameter; VALUE is typed by the brief's declaration. Repeatable.",
)
@click.option(
    "--execute-params",
    "params_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML file of parameter values (-P wins over it).",
)
@output_dir_option("Where to write (default: the project's output-dir, _output).")
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default="auto",
    show_default=True,
    envvar="IPSREPORT_ENGINE",
    help="auto uses Quarto when it is on PATH, else the built-in renderer (also "
         "IPSREPORT_ENGINE).",
)
@timeout_option(DEFAULT_TIMEOUT)
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
    """Render briefs (default: every reports/*.qmd not starting with _) to HTML and PDF,
    or the formats of --to (docx too)."""
    _log_warnings_to_stderr()
    formats = normalise_formats(to)
    chosen = preflight(engine)
    params = {**read_params_file(params_file), **_parse_param_items(param_items)}
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
    """``name:value`` as Quarto's ``-P`` takes it. The value stays the text given: its type
    comes from the brief's declaration (``validation.from_text``), never from YAML."""
    name, separator, value = item.partition(":")
    if not separator or not name.strip():
        raise ParameterError(f"-P {shown(item)}: expected NAME:VALUE")
    return name.strip(), value


def _parse_param_items(items: tuple[str, ...]) -> dict[str, Any]:
    return dict(parse_param_item(item) for item in items)


def read_params_file(path: Path | None) -> Mapping[str, str]:
    """A parameters file (``--execute-params``): a YAML mapping of name: value, every value
    read as the text it is (its type comes from the brief's declaration)."""
    if path is None:
        return {}
    where = f"--execute-params {shown(str(path), 200, quote=False)}"
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_CHARACTERS + 1)
        text = data.decode("utf-8-sig")
        loaded = yamltext.load(text, typed=False)
    except OSError as error:
        raise ParameterError(f"{where}: cannot read it: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise ParameterError(f"{where}: not UTF-8 text (byte {error.start})") from None
    except yamltext.YamlError as error:
        raise ParameterError(f"{where}: not a parameters file: {error}") from None
    if loaded in (None, ""):
        return {}
    if not isinstance(loaded, dict):
        raise ParameterError(f"{where}: expected a mapping of name: value")
    values: dict[str, str] = {}
    for name, value in loaded.items():
        if not isinstance(value, str):
            raise ParameterError(
                f"{where}: parameter {shown(name)}: a {type(value).__name__} is not a value "
                "(give one text, number, true/false or date)"
            )
        values[str(name)] = value
    return values


def _log_warnings_to_stderr() -> None:
    logger = logging.getLogger("ipsreport.render")
    if not any(getattr(h, "_ipsreport", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("ipsreport: warning: %(message)s"))
        handler._ipsreport = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(logging.WARNING)
