"""Parameters and data are data, never code: hostile text renders literally and nothing runs."""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from ipsreport.cli import main
from ipsreport.paths import DATA_DIR_ENV
from tests.conftest import normalise
from tests.test_briefs import html_text, pdf_text

pytestmark = pytest.mark.render  # end to end: real kernels, Pandoc, Typst


def hostile_code(marker: Path) -> str:
    """A value that would run if it were pasted into the notebook as code."""
    return f"x'); import os; os.system('touch {marker}'); ('"


MARKUP = "*fed* _kursiv_ #overskrift $x$ {{< pagebreak >}} [link](http://x) @fig-a \\ `kode`"
SCRIPT = "<script>alert(1)</script> & <b>fed</b>"


@pytest.fixture(scope="module")
def letter(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    output = tmp_path_factory.mktemp("hostile")
    marker = output / "owned"
    result = CliRunner().invoke(main, [
        "render", "reports/minister-letter.qmd", "--output-dir", str(output),
        "-P", f"underskriver:{hostile_code(marker)}",
        "-P", f"afsender:{MARKUP}",
        "-P", f"modtager:{SCRIPT}",
        "-P", 'adresse:Gade "7" \\ 2. sal',
    ])
    assert result.exit_code == 0, result.output
    return output, marker


def test_code_in_a_parameter_does_not_run(letter: tuple[Path, Path]) -> None:
    output, marker = letter
    assert not marker.exists()
    (pdf,) = output.glob("*.pdf")
    (page,) = output.glob("*.html")
    expected = hostile_code(marker)
    assert expected in pdf_text(pdf)
    assert expected in html_text(page)


def test_markup_in_a_parameter_reads_literally(letter: tuple[Path, Path]) -> None:
    output, _ = letter
    (pdf,) = output.glob("*.pdf")
    (page,) = output.glob("*.html")
    for text in (pdf_text(pdf), html_text(page)):
        assert MARKUP in text
        assert SCRIPT in text
        assert 'Gade "7" \\ 2. sal' in text
    raw = page.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert "<b>fed</b>" not in raw


def test_hostile_municipality_name_in_the_data_reads_literally(
    tmp_path: Path, data_copy: Path
) -> None:
    marker = tmp_path / "owned"
    name = hostile_code(marker) + " # $ * <script>x</script> {{ }}\nny linje"
    table = data_copy / "kommuner.csv"
    rows = list(csv.DictReader(table.open(encoding="utf-8")))
    rows[0]["navn"] = name
    with table.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    # The population table names the municipalities as kommuner.csv does (the loader checks).
    population = data_copy / "folketal.csv"
    counts = list(csv.DictReader(population.open(encoding="utf-8")))
    counts[0]["navn"] = name
    with population.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(counts[0]))
        writer.writeheader()
        writer.writerows(counts)
    result = CliRunner().invoke(
        main, ["render", "reports/guide.qmd", "--output-dir", str(tmp_path / "out")],
        env={DATA_DIR_ENV: str(data_copy)},
    )
    assert result.exit_code == 0, result.output
    assert not marker.exists()
    # The PDF may wrap the long path anywhere, so compare without any whitespace.
    shown = "".join(name.split())
    assert shown in "".join(pdf_text(tmp_path / "out" / "guide.pdf").split())
    assert " ".join(name.split()) in html_text(tmp_path / "out" / "guide.html")
    assert "<script>x</script>" not in (tmp_path / "out" / "guide.html").read_text("utf-8")


@pytest.mark.parametrize("value", ["1; import os", "__import__('os')", "[1, 2]"])
def test_code_shaped_value_for_a_number_is_refused(tmp_path: Path, value: str) -> None:
    output = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", "reports/health-economics.qmd", "-P",
                                       f"deltagere:{value}", "--output-dir", str(output)])
    assert result.exit_code == 2
    assert re.search(r"parameter '?deltagere'?", result.output)
    assert not output.exists()


def test_hostile_meaning_of_a_figure_reads_literally_in_its_account(
    tmp_path: Path, data_copy: Path
) -> None:
    # A figure's meaning reaches the number's hover, its entry in "Tal og kilder" and the
    # JSON (in the HTML's script element and the PDF's attachment): literally, everywhere.
    meaning = f"{MARKUP} {SCRIPT} </script><script>alert(2)</script> \") #panic()"
    path = data_copy / "trial.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    figure = next(f for f in document["figures"] if f["id"] == "trial.ips.n")
    figure["meaning"] = meaning
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False),
                    encoding="utf-8")
    output = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", "reports/findings.qmd", "--output-dir",
                                       str(output)], env={DATA_DIR_ENV: str(data_copy)})
    assert result.exit_code == 0, result.output
    raw = (output / "findings.html").read_text(encoding="utf-8")
    assert "<script>alert" not in raw and "<b>fed</b>" not in raw
    assert " ".join(meaning.split()) in normalise(html.unescape(re.sub(r"<[^>]+>", " ", raw)))
    # the hover: the account in the number's link title, the meaning in it literally
    titles = [" ".join(html.unescape(t).split()) for t in re.findall(r'\stitle="([^"]*)"', raw)]
    assert any(f"243 personer: {' '.join(meaning.split())}" in t for t in titles)
    assert "".join(meaning.split()) in "".join(pdf_text(output / "findings.pdf").split())
    for name in ("findings.html", "findings.pdf"):
        traced = CliRunner().invoke(main, ["trace", str(output / name), "--json"])
        accounts = json.loads(traced.output)["numbers"]
        inputs = [i for n in accounts for i in n["inputs"] if i.get("id") == "trial.ips.n"]
        assert inputs and all(i["text"] == f"243 personer: {meaning}" for i in inputs)
