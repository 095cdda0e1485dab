"""Every brief in reports/ rendered for real (kernel, Pandoc, Typst) and read back.

The figures asserted are the ones a reader can check in the seed documents; the
dependence tests change a source figure in a copy of data/ and find the new value in the
PDF's text, which proves the number is computed, not typed into the prose.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from ipsreport.cli import main
from ipsreport.paths import DATA_DIR_ENV, PROJECT_ROOT
from tests.conftest import normalise

pytestmark = pytest.mark.render  # end to end: real kernels, Pandoc, Typst

BRIEFS = ("claims", "copenhagen-budget", "findings", "guide", "health-economics",
          "minister-letter", "som")


def render(output_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
    result = CliRunner().invoke(main, ["render", *args, "--output-dir", str(output_dir)],
                                env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def pdf_text(path: Path) -> str:
    return normalise(" ".join(page.extract_text() for page in PdfReader(path).pages))


def html_text(path: Path) -> str:
    body = path.read_text(encoding="utf-8")
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    return normalise(html.unescape(re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All briefs, as the README's main command renders them (default parameters)."""
    output = tmp_path_factory.mktemp("briefs")
    render(output)
    return output


def test_every_brief_has_html_and_pdf_in_the_manifest(rendered: Path) -> None:
    for stem in BRIEFS:
        assert (rendered / f"{stem}.html").stat().st_size > 0
        assert (rendered / f"{stem}.pdf").stat().st_size > 0
    manifest = json.loads((rendered / "manifest.json").read_text(encoding="utf-8"))
    reports = {(e["report"], e["format"]) for e in manifest["outputs"].values()}
    assert {(f"reports/{s}.qmd", f) for s in BRIEFS for f in ("html", "pdf")} <= reports


EXPECTED = {
    "findings": ["59,5 pct.", "46,5 pct.", "13,0 procentpoint", "27,96 pct.",
                 "Silkeborg, Odense, Frederiksberg og København", "62,4 pct.", "Tabel 1",
                 "Figur 1"],
    "minister-letter": ["20. december 2018", "59,5 pct.", "46,5 pct.", "knap 30 pct. mere",
                        "CVR 10172748", "Silkeborg, Odense, Frederiksberg og København"],
    "som": ["5.300 kr.", "13,4 procentpoint", "i alt 150 deltagere", "795.000 kr.",
            "antagelse"],
    "copenhagen-budget": ["3.600", "2.700", "900", "28.800 kr.", "37.600 kr.", "3,6 mio. kr.",
                          "1,1 mio. kr.", "2,7 mio. kr.", "0,9 mio. kr.", "2.750", "3.500",
                          "tabellerne går op", "på 3,6 mio. kr., selv om beløbene er ens."],
    "health-economics": ["72.000 kr.", "55.000 kr.", "7.200.000 kr."],
    "claims": ["27,96 pct.", "stemmer ikke (forklaret)", "kan ikke efterprøves",
               "Alle afvigelser er forklaret i datafilerne."],
    "guide": ["København", "Region Hovedstaden", "59,5 pct.", "IPS-konsulenter"],
}


@pytest.mark.parametrize("stem", BRIEFS)
def test_pdf_and_html_hold_the_computed_danish_figures(rendered: Path, stem: str) -> None:
    pdf, page = pdf_text(rendered / f"{stem}.pdf"), html_text(rendered / f"{stem}.html")
    for phrase in EXPECTED[stem]:
        assert phrase in pdf, f"{phrase!r} missing from {stem}.pdf"
        assert phrase in page, f"{phrase!r} missing from {stem}.html"
    # An amount that ends a sentence must not print its own full stop twice, and a number
    # must never be split inside a thousands group ("5.30 0 kr.").
    assert not re.search(r"(kr|pct)\.\.", pdf)
    assert not re.search(r"\d\.\d{1,2} \d", pdf)
    # Every inline expression was evaluated: none reaches the reader as code.
    assert "python" not in pdf.lower() and "python" not in page.lower()


@pytest.mark.parametrize("stem", BRIEFS)
def test_pdfs_embed_their_fonts_and_html_is_danish(rendered: Path, stem: str) -> None:
    for page in PdfReader(rendered / f"{stem}.pdf").pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (descendants[0].get_object() if descendants else font)["/FontDescriptor"]
            assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor.get_object())
    assert re.search(r'<html[^>]*\blang="da"', (rendered / f"{stem}.html").read_text("utf-8"))


def test_every_figure_has_alt_text(rendered: Path) -> None:
    for stem in BRIEFS:
        page = (rendered / f"{stem}.html").read_text(encoding="utf-8")
        for image in re.findall(r"<img\b[^>]*>", page):
            alt = re.search(r'\balt="([^"]*)"', image)
            assert alt and alt.group(1).strip(), f"{stem}: image without alt text"


def test_letter_fits_two_pages_and_reads_in_order(rendered: Path) -> None:
    pdf = rendered / "minister-letter.pdf"
    assert len(PdfReader(pdf).pages) <= 2
    text = pdf_text(pdf)
    order = ["Beskæftigelsesministeren", "Ved Stranden 8", "20. december 2018",
             "Nye resultater for borgere med svære psykiske lidelser", "Kære Beskæftigelsesudvalg",
             "Efter 18 måneder er 59,5 pct.", "Venlig hilsen", "Troels Lund Poulsen"]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)


def test_guide_renders_for_a_chosen_municipality(tmp_path: Path) -> None:
    render(tmp_path, "reports/guide.qmd", "-P", "kommunekode:461", "--to", "pdf")
    text = pdf_text(tmp_path / "guide-kommunekode-461.pdf")
    assert "Odense (kommunekode 461) · Region Syddanmark" in text
    assert "København" not in text.split("Hvad er IPS?")[0]


def test_guide_refuses_an_unknown_municipality_and_writes_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["render", "reports/guide.qmd", "-P", "kommunekode:999",
                                       "--output-dir", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "kommunekode: 999 is not allowed: not a municipality code" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_parameter_changes_what_the_brief_says(tmp_path: Path) -> None:
    render(tmp_path, "reports/health-economics.qmd", "-P", "deltagere:250", "--to", "pdf")
    (output,) = tmp_path.glob("health-economics-*.pdf")
    assert "18.000.000 kr." in pdf_text(output)  # 72.000 kr. x 250
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert any(e["params"] == {"deltagere": 250} for e in manifest["outputs"].values())


@pytest.mark.parametrize(
    ("brief", "figure", "value", "before", "after"),
    [
        # The paper's IPSE arm: the arm's row and the pooled share both follow.
        ("findings", "trial.ipse.share_18m", 55.0, "59,1 pct.", "55,0 pct."),
        ("copenhagen-budget", "budget.table1.ei", 2800, "Tabel 1 giver 3.600",
         "Tabel 1 giver 3.700"),
    ],
)
def test_changed_source_figure_reaches_the_pdf(
    tmp_path: Path, changed_data: Callable[..., Path], brief: str, figure: str, value: float,
    before: str, after: str,
) -> None:
    directory = changed_data({figure: value})
    render(tmp_path, f"reports/{brief}.qmd", "--to", "pdf", env={DATA_DIR_ENV: str(directory)})
    text = pdf_text(tmp_path / f"{brief}.pdf")
    assert after in text
    assert before not in text
    if brief == "findings":  # (59,9 x 243 + 55,0 x 238) / 481, and the prose says so
        assert "57,48 pct., mens kilderne citerer 59,5 pct.: de to tal stemmer ikke overens" in text


def test_readme_starts_with_the_two_commands() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```")[1].strip().splitlines()
    assert block == ["sh", "python3 -m pip install -e '.[test]' && ipsreport render",
                     "python3 -m pytest -n 2"]
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert block[2] in ci
