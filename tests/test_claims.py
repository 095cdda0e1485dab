"""The claims check: the seeds' figures against the recomputed values, and its CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from ipsreport import sources
from ipsreport.cli import main
from ipsreport.presentation import claims
from tests.conftest import normalise


@pytest.fixture(scope="module")
def results() -> dict[str, claims.ClaimResult]:
    return {r.claim.id: r for r in claims.check(sources.load())}


def test_at_least_fifteen_claims_from_every_seed(results: dict[str, claims.ClaimResult]) -> None:
    assert len(results) >= 15
    files = {r.source_file for r in results.values()}
    assert {f"00{i}" for i in range(5)} <= {f[:3] for f in files}


@pytest.mark.parametrize(
    ("claim_id", "verdict", "recomputed"),
    [
        ("inklusion-ips-004", "agrees", "59,50 pct."),
        ("inklusion-control-004", "agrees", "46,50 pct."),
        ("relative-increase-004", "agrees", "27,96 pct."),  # "knap 30 pct. mere"
        ("relative-increase-001", "agrees", "27,96 pct."),  # "næsten 30 procent mere"
        ("copenhagen-site-003", "not_verifiable", "62,40 pct."),
        ("saving-ips-000", "not_verifiable", "–"),
        ("saving-ipse-000", "not_verifiable", "–"),
        ("cost-effective-000", "agrees", "holder"),
        ("som-participants-002", "agrees", "50 personer"),
        ("som-net-cost-002", "not_verifiable", "5.300 kr."),
        ("som-effect-002", "disagrees", "13,00 procentpoint"),  # 13,4 is another measure
        ("budget-citizens-003", "not_verifiable", "125 personer"),
        ("budget-gross-ei-003", "disagrees", "2,7 mio. kr."),
        ("budget-gross-service-003", "disagrees", "0,9 mio. kr."),
        ("budget-net-ei-003", "agrees", "2,7 mio. kr."),
        ("budget-net-service-003", "agrees", "0,9 mio. kr."),
        ("budget-table1-total-003", "agrees", "3.600 (1.000 kr.)"),
        ("budget-table2-total-003", "agrees", "3.600 (1.000 kr.)"),
        ("ipscenter-double-001", "not_verifiable", "1,29"),  # 60 / 46,5
        ("three-times-001", "not_verifiable", "2,07"),
        ("want-job-001", "not_verifiable", "–"),
    ],
)
def test_verdicts(results: dict[str, claims.ClaimResult], claim_id: str, verdict: str,
                  recomputed: str) -> None:
    result = results[claim_id]
    assert str(result.verdict) == verdict
    assert normalise(result.recomputed) == recomputed
    assert result.reason


def test_every_disagreement_is_explained(results: dict[str, claims.ClaimResult]) -> None:
    disagreements = [r for r in results.values() if r.verdict is claims.Verdict.DISAGREES]
    assert disagreements and all(r.explained for r in disagreements)
    assert "Et andet effektmål" in results["som-effect-002"].reason


def test_cli_prints_the_table_and_exits_0() -> None:
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.output
    text = normalise(result.output)
    for phrase in ("004_b3f348c63759e292.txt", "27,96 pct.", "stemmer ikke (forklaret)",
                   "kan ikke efterprøves", "relative-increase-004"):
        assert phrase in text


def test_cli_json_has_one_record_per_claim() -> None:
    result = CliRunner().invoke(main, ["check", "--json"])
    assert result.exit_code == 0
    records = json.loads(result.output)
    assert len(records) == len(sources.load().claims)
    first = records[0]
    assert set(first) >= {"id", "quote", "source_file", "stated", "recomputed", "verdict",
                          "reason"}


def test_unexplained_disagreement_exits_1(changed_data: Callable[..., Path]) -> None:
    # If the paper's IPSE arm were 55,0 %, the pooled share would no longer be 59,5 %.
    directory = changed_data({"trial.ipse.share_18m": 55.0})
    result = CliRunner().invoke(main, ["check", "--data-dir", str(directory)])
    assert result.exit_code == 1
    assert "unexplained disagreements: inklusion-ips-004, inklusion-ips-001" in result.output
