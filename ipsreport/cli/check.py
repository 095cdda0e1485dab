"""``ipsreport check``: the claims table on the terminal, or as JSON."""

from __future__ import annotations

import json
import sys

import click
from tabulate import tabulate

from ipsreport import sources
from ipsreport.cli._options import data_dir_option
from ipsreport.presentation import claims


@click.command("check")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@data_dir_option
def check_command(as_json: bool) -> None:
    """Hold every figure the seed documents state against the recomputed value.

    Exit status 0 when every disagreement is one the data files explain, 1 otherwise.
    """
    results = claims.check(sources.load())
    if as_json:
        click.echo(json.dumps(claims.as_json(results), ensure_ascii=False, indent=2))
    else:
        rows = [
            [f"{r.claim.id}\n«{r.claim.quote}»", r.source_citation, r.stated, r.recomputed,
             r.verdict_label, f"{r.reason}\n{r.basis}".strip()]
            for r in results
        ]
        headers = ["Påstand", "Kilde", "Angivet", "Genberegnet", "Vurdering", "Begrundelse"]
        click.echo(tabulate(rows, headers, tablefmt="grid", maxcolwidths=[40, 24, 12, 12, 24, 50]))
        counts = {v: sum(r.verdict is v for r in results) for v in claims.Verdict}
        click.echo(", ".join(f"{n} {claims.VERDICT_LABELS[v]}" for v, n in counts.items()))
    if not claims.all_explained(results):
        unexplained = [r.claim.id for r in results
                       if r.verdict is claims.Verdict.DISAGREES and not r.explained]
        click.echo(f"ipsreport: unexplained disagreements: {', '.join(unexplained)}", err=True)
        sys.exit(1)
