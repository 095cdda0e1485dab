"""``ipsreport som``: run the SØM model from the command line, with any input changed."""

from __future__ import annotations

import json

import click
from tabulate import tabulate

from ipsreport import sources
from ipsreport.analyses import som
from ipsreport.cli._options import data_dir_option
from ipsreport.errors import ParameterError, shown
from ipsreport.presentation import danish
from ipsreport.validation import field_type, from_text, kind_of


def _inputs() -> list[str]:
    """The scenario's inputs that --set can change, prices by sector (``prices.kommune``)."""
    names = [name for name in som.Scenario.model_fields if name != "prices"]
    return names + [f"prices.{sector}" for sector in som.Prices.model_fields]


def _assignments(values: tuple[str, ...]) -> dict[str, object]:
    """``name=value`` pairs, each value typed by the scenario's field (``validation.from_text``:
    ``80``, ``3.5``, ``1e5``, ``kommune``; never read as YAML)."""
    parsed: dict[str, object] = {}
    prices: dict[str, object] = {}
    for item in values:
        name, sep, raw = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(f"--set {shown(item)}: expected NAME=VALUE")
        if name not in _inputs():
            inputs = ", ".join(_inputs())
            raise ParameterError(f"--set {shown(name)}: not an input of the scenario ({inputs})")
        try:
            value = from_text(field_type(som.Scenario, name), raw)
        except ValueError as reason:
            kind = kind_of(field_type(som.Scenario, name))
            why = f" ({reason})" if str(reason) else ""
            raise ParameterError(
                f"--set {name}: {shown(raw)} is not allowed: it takes {kind}{why}"
            ) from None
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
