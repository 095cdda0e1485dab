"""Copenhagen's budget proposal 2019, BI3 "Tværgående beskæftigelses- og sundhedsindsats: IPS".

The proposal states a gross budget need (3,6 mio. kr. in EI and 1,1 mio. kr. in service),
takes off a conservative estimate for activation that IPS makes unnecessary, and proposes
the net (2,7 + 0,9 = 3,6 mio. kr.), which its Table 1 and Table 2 show in 1.000 kr.
This module rebuilds both tables from their line items, the offset from gross and net,
the cost per citizen, and the expected effect with Copenhagen's own trial result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ipsreport.analyses.trial import compare
from ipsreport.lineage import derived
from ipsreport.sources import SourceData

AREAS = ("service", "ei")  # Table order: service first, then transfers (EI)


@dataclass(frozen=True)
class BudgetResult:
    year: int
    citizens: int
    table1: pd.DataFrame  # aktivitet, styringsomraade, beloeb (1.000 kr.); last row the total
    table2: pd.DataFrame  # omraade, udvalg, bevilling, indtaegt_udgift, beloeb; total last
    stated_totals: dict[str, float]  # the totals as the source prints them (1.000 kr.)
    gross: dict[str, float]  # DKK, per area
    net: dict[str, float]  # DKK, per area
    offset: dict[str, float]  # DKK, per area: gross - net
    earlier_funding: pd.DataFrame  # year, beloeb (1.000 kr.), stated_total
    extra_in_work: float  # citizens, using the Copenhagen effect
    copenhagen_difference_pp: float

    @property
    def gross_total(self) -> float:
        return sum(self.gross.values())

    @property
    def net_total(self) -> float:
        return sum(self.net.values())

    @property
    def offset_total(self) -> float:
        return sum(self.offset.values())

    @property
    def gross_per_citizen(self) -> float:
        return self.gross_total / self.citizens

    @property
    def net_per_citizen(self) -> float:
        return self.net_total / self.citizens

    def rows(self, table: str) -> list[dict[str, Any]]:
        """The rows of ``table1``, ``table2`` or ``earlier_funding`` as dicts whose amounts
        keep their lineage (``DataFrame.to_dict`` would make plain floats of them)."""
        frame: pd.DataFrame = getattr(self, table)
        return [dict(zip(frame.columns, values, strict=True))
                for values in frame.itertuples(index=False, name=None)]

    def table_total(self, table: str) -> float:
        """The recomputed total (1.000 kr.) of ``table1`` or ``table2``: the sum of its lines."""
        frame: pd.DataFrame = getattr(self, table)
        total: float = frame["beloeb"].iloc[:-1].sum()
        return total

    @property
    def tables_add_up(self) -> bool:
        """Both tables' printed totals equal the sum of their lines, and the two agree."""
        recomputed = {t: self.table_total(t) for t in ("table1", "table2")}
        return recomputed == self.stated_totals and len(set(recomputed.values())) == 1


def analyse(data: SourceData) -> BudgetResult:
    """Rebuild the proposal's tables and derived figures from the source data."""
    # Amounts are kept as the objects they are (object columns), so that each keeps its
    # lineage (ipsreport.lineage) into the brief's tables (read them with rows()).
    lines1: list[dict[str, Any]] = [
        {"aktivitet": f.label, "styringsomraade": f.attributes["styringsomraade"],
         "beloeb": data.value(f.id)}
        for f in (data[f"budget.table1.{a}"] for a in AREAS)
    ]
    lines1.append({"aktivitet": data["budget.table1.total"].label, "styringsomraade": "",
                   "beloeb": sum(line["beloeb"] for line in lines1)})
    table1 = pd.DataFrame(lines1, dtype=object)
    lines2: list[dict[str, Any]] = [
        {"omraade": f.label, "udvalg": f.attributes["udvalg"],
         "bevilling": f.attributes["bevilling"],
         "indtaegt_udgift": f.attributes["indtaegt_udgift"], "beloeb": data.value(f.id)}
        for f in (data[f"budget.table2.{a}"] for a in AREAS)
    ]
    lines2.append({"omraade": data["budget.table2.total"].label, "udvalg": "", "bevilling": "",
                   "indtaegt_udgift": "", "beloeb": sum(line["beloeb"] for line in lines2)})
    table2 = pd.DataFrame(lines2, dtype=object)
    gross = {a: data.value(f"budget.gross_need.{a}") * 1e6 for a in AREAS}
    net = {a: data.value(f"budget.net_proposal.{a}") * 1e6 for a in AREAS}
    earlier = pd.DataFrame(
        [
            {"year": derived(int(f.attributes["year"]), "year_of", (data.value(f.id),)),
             "beloeb": data.value(f.id),
             "stated_total": data.value(f"budget.earlier.total.{f.attributes['year']}")}
            for f in data.under("budget.earlier")
            if not f.id.startswith("budget.earlier.total.")
        ],
        dtype=object,
    )
    citizens = data.whole("budget.citizens")
    copenhagen = compare(data.value("trial.copenhagen.ips_share"),
                         data.value("trial.copenhagen.control_share"))
    return BudgetResult(
        year=data.whole("budget.year"),
        citizens=citizens,
        table1=table1,
        table2=table2,
        stated_totals={"table1": data.value("budget.table1.total"),
                       "table2": data.value("budget.table2.total")},
        gross=gross,
        net=net,
        offset={a: gross[a] - net[a] for a in AREAS},
        earlier_funding=earlier,
        extra_in_work=citizens * copenhagen.difference_pp / 100,
        copenhagen_difference_pp=copenhagen.difference_pp,
    )
