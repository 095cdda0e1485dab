"""Loading and validating data/: every figure has a source; broken files are refused."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ipsreport import sources
from ipsreport.cli import main
from ipsreport.errors import DataError


def test_shipped_data_loads_with_provenance() -> None:
    data = sources.load()
    assert len(data.figures) > 60
    for figure in data.figures.values():
        assert figure.source in data.sources
        if figure.status is not sources.Status.PUBLISHED:
            assert figure.note, figure.id
    # Seeds are cited by their file name, which must exist in shared/seeds/ when present.
    seeds = [s for s in data.sources.values() if s.kind == "seed"]
    assert {s.file for s in seeds} == {
        "000_75aed160b50a7c8a.txt", "001_09416bcc4f365e90.txt", "002_5eced46100308757.txt",
        "003_711c4d6f3b5e6683.txt", "004_b3f348c63759e292.txt",
    }
    assert data["trial.sites"].names == ("Silkeborg", "Odense", "Frederiksberg", "København")
    # The SØM prices are assumptions and say so.
    assert data["som.price.kommune"].status is sources.Status.ASSUMPTION


def test_digest_changes_with_any_byte(data_copy: Path) -> None:
    before = sources.load(data_copy).digest
    path = data_copy / "trial.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# comment\n", encoding="utf-8")
    assert sources.load(data_copy).digest != before


def _edit(directory: Path, file: str, figure_id: str, **changes: object) -> None:
    path = directory / file
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    for figure in document["figures"]:
        if figure["id"] == figure_id:
            for key, value in changes.items():
                if value is None:
                    figure.pop(key)
                else:
                    figure[key] = value
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "figure_id", "changes", "expected"),
    [
        ("trial.yaml", "trial.ips.n", {"meaning": None}, "meaning: Field required"),
        ("trial.yaml", "trial.ips.share_18m", {"value": 120}, "120 pct is above 100 pct"),
        ("trial.yaml", "trial.sau.n", {"value": -3}, "value -3 is negative"),
        ("trial.yaml", "trial.sau.n", {"value": 2.5}, "must be a whole number"),
        ("trial.yaml", "trial.ips.n", {"unit": "furlongs"}, "unit: 'furlongs' is not allowed"),
        ("som.yaml", "som.example.effect", {"source": "seed-999"}, "unknown source 'seed-999'"),
        ("som.yaml", "som.price.stat", {"note": None}, "needs a note"),
    ],
)
def test_broken_figure_is_refused_naming_file_figure_and_problem(
    data_copy: Path, file: str, figure_id: str, changes: dict[str, object], expected: str
) -> None:
    _edit(data_copy, file, figure_id, **changes)
    with pytest.raises(DataError) as error:
        sources.load(data_copy)
    message = str(error.value)
    assert f"data/{file}: figure '{figure_id}'" in message
    assert expected in message


def test_cli_refuses_broken_data_with_one_line_and_exit_2(data_copy: Path) -> None:
    _edit(data_copy, "trial.yaml", "trial.sau.n", value=-3)
    result = CliRunner().invoke(main, ["check", "--data-dir", str(data_copy)])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "ipsreport: invalid data: data/trial.yaml: figure 'trial.sau.n': "
        "value -3 is negative; unit 'persons' must be >= 0"
    ]
    assert "Traceback" not in result.output


def test_malformed_yaml_is_refused(data_copy: Path) -> None:
    (data_copy / "som.yaml").write_text("figures: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"data/som.yaml: not valid YAML"):
        sources.load(data_copy)
