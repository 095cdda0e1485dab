"""``ipsreport som``: run the SØM model from the command line, with any input changed."""

from __future__ import annotations

import json
from pathlib import Path

import click
import yaml
from tabulate import tabulate

from ipsreport import danish, som, sources
from ipsreport.errors import ParameterError


def _assignments(values: tuple[str, ...]) -> dict[str, object]:
    """``name=value`` pairs; values parsed as YAML scalars (``5``, ``3.5``, ``kommune``)."""
    parsed: dict[str, object] = {}
    prices: dict[str, object] = {}
    for item in values:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            raise ParameterError(f"--set {item!r}: expected NAME=VALUE")
        value = yaml.safe_load(raw)
        if name.startswith("prices."):
            prices[name.removeprefix("prices.")] = value
        else:
            parsed[name] = value
    if prices:
        parsed["prices"] = prices
    return parsed


@click.command("som")
@click.option("--set", "settings", multiple=True, metavar="NAME=VALUE",
              help="Change a scenario input, e.g. participants_per_year=80 or prices.kommune=1e5.")
@click.option("--json", "as_json", is_flag=True, help="Print the yearly results as JSON.")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None)
def som_command(settings: tuple[str, ...], as_json: bool, data_dir: Path | None) -> None:
    """Run the SØM investment model: cost, consequences and net per year."""
    scenario = som.Scenario.from_data(sources.load(data_dir), **_assignments(settings))
    result = som.run(scenario)
    if as_json:
        click.echo(json.dumps({
            "scenario": scenario.model_dump(),
            "net_present_value": result.net_present_value,
            "payback_year": result.payback_year,
            "by_year": result.by_year.to_dict(orient="records"),
        }, indent=2))
        return
    table = [[int(r.year), danish.kr(r.cost), danish.kr(r.consequences), danish.kr(r.net),
              danish.kr(r.accumulated_net)] for r in result.by_year.itertuples()]
    click.echo(tabulate(table, ["År", "Omkostning", "Konsekvenser", "Netto", "Akkumuleret"],
                        colalign=("right",) * 5))
    payback = result.payback_year or "aldrig"
    click.echo(f"Nutidsværdi: {danish.kr(result.net_present_value)}; tilbagebetalt i år {payback}")
