"""``ipsreport som``: run the SØM model from the command line, with any input changed."""

from __future__ import annotations

import json

import click
import yaml
from tabulate import tabulate

from ipsreport import sources
from ipsreport.analyses import som
from ipsreport.cli._options import data_dir_option
from ipsreport.errors import ParameterError
from ipsreport.presentation import danish


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
@data_dir_option
def som_command(settings: tuple[str, ...], as_json: bool) -> None:
    """Run the SØM investment model: cost, consequences and net per year."""
    scenario = som.Scenario.from_data(sources.load(), **_assignments(settings))
    result = som.run(scenario)
    if as_json:
        click.echo(json.dumps({
            "scenario": scenario.model_dump(),
            "net_present_value": result.net_present_value,
            "payback_year": result.payback_year,
            "by_year": result.by_year.to_dict(orient="records"),
        }, indent=2))
        return
    columns = ("cost", "consequences", "net", "accumulated_net")
    table = [[int(row["year"]), *(danish.kr(row[column]) for column in columns)]
             for row in result.by_year.to_dict(orient="records")]
    click.echo(tabulate(table, ["År", "Omkostning", "Konsekvenser", "Netto", "Akkumuleret"],
                        colalign=("right",) * 5))
    payback = result.payback_year or "aldrig"
    click.echo(f"Nutidsværdi: {danish.kr(result.net_present_value)}; tilbagebetalt i år {payback}")
