"""Every brief in reports/ rendered for real (kernel, Pandoc, Typst) and read back.

The HTML outputs (and a batch index page) also go through two real accessibility
checkers, the Nu Html Checker (npm vnu-jar, on Java) and axe-core (npm @axe-core/cli, in
Debian's headless chromium), optional tooling that ``.ci/install-checkers`` puts in
``.ci/checkers/``; where one is missing, its test skips and says what is missing.

The figures asserted are the ones a reader can check in the seed documents; the
dependence tests change a source figure in a copy of data/ and find the new value in the
PDF's text, which proves the number is computed, not typed into the prose.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from ipsreport.batch._index import index_html
from ipsreport.batch._table import Row, read_table
from ipsreport.cli import main, trace
from ipsreport.paths import DATA_DIR_ENV, PROJECT_ROOT
from tests.conftest import normalise
from tests.test_lineage import untraced

pytestmark = pytest.mark.render  # end to end: real kernels, Pandoc, Typst

BRIEFS = ("claims", "copenhagen-budget", "findings", "guide", "health-economics",
          "minister-letter", "overview", "som")


def render(output_dir: Path, *args: str, env: dict[str, str] | None = None) -> None:
    result = CliRunner().invoke(main, ["render", *args, "--output-dir", str(output_dir)],
                                env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output


def pdf_text(path: Path) -> str:
    return normalise(" ".join(page.extract_text() for page in PdfReader(path).pages))


def html_text(path: Path) -> str:
    """The page's text as a reader reads it (the numbers' accounts are links' titles, shown
    only on hover or focus)."""
    body = path.read_text(encoding="utf-8")
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    # An inline element joins its text to what is beside it ("5 pct.-niveau"); any other
    # tag separates.
    body = re.sub(r"</?(?:a|span|em|strong|code|sup|sub)\b[^>]*>", "", body)
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
                 "Figur 1", "5,3–20,6 procentpoint",
                 "Forskellen er statistisk signifikant på 5 pct.-niveau: en chi-i-anden-test",
                 "p = 0,0009, under 0,05", "Forskellen er ikke statistisk signifikant."],
    "minister-letter": ["20. december 2018", "59,5 pct.", "46,5 pct.", "knap 30 pct. mere",
                        "CVR 10172748", "fire indsatssteder",
                        "Silkeborg, Odense, Frederiksberg og København",
                        "stemmer med den."],
    "som": ["5.300 kr.", "13,4 procentpoint", "i alt 150 deltagere", "795.000 kr.",
            "antagelse", "ipsreports egen illustration", "ikke Socialstyrelsens resultat",
            "i drift i fire år", "1–2 år", "positivt fra år 1", "positivt fra år 2",
            "særligt hvad angår borgernes forventede motivation for at få et job"],
    "copenhagen-budget": ["3.600", "2.700", "900", "28.800 kr.", "37.600 kr.", "3,6 mio. kr.",
                          "1,1 mio. kr.", "2,7 mio. kr.", "0,9 mio. kr.", "2.750", "3.500",
                          "tabellerne går op", "1,1 mio. kr. (beregnet: 4,7 − 3,6 mio. kr.)",
                          "Om det er et sammenfald, eller om beløbet er mærket forkert, kan "
                          "ikke afgøres ud fra forslaget"],
    "health-economics": ["72.000 kr.", "55.000 kr.", "7,2 mio. kr.",
                         "«synes at være “omkostningseffektive”"],
    "claims": ["27,96 pct.", "stemmer ikke (forklaret)", "kan ikke efterprøves",
               "bekræftet af anden kilde", "slået op igen", "uoverensstemmelse i kilden",
               "Alle afvigelser er forklaret i datafilerne."],
    "guide": ["København", "Region Hovedstaden", "59,5 pct.", "IPS-konsulenter",
              "otte principper", "ipsreports illustration", "115–125",
              "kan hverken lægges sammen eller sammenlignes direkte",
              # København's estimate is its own 125 citizens of 2019, over its population
              "18,7 nye deltagere om året pr. 100.000 indbyggere (beregnet), som i Københavns "
              "Kommune, budgetforslag 2019: 125 borgere og 667.099 indbyggere i København.",
              "Uddannelse og kompetencer for IPS-konsulenter", "Det siger kilderne ikke",
              "Bilag: Standardaftale om samarbejde om IPS", "§ 7. Finansiering, varighed og "
              "opsigelse", "Kommunen: København (kommunekode 101), ved jobcentret",
              "Regionen: Region Hovedstaden, ved psykiatrien"],
    "overview": ["Hele landet: 98 kommuner, 5.992.644 indbyggere den 1. januar 2025",
                 "Region Nordjylland", "Læsø", "0,3", "Hele landet", "antagelse",
                 "ipsreports illustration", "Kommuner for små til et team alene",
                 "Regionernes og landets tal er summen af kommunernes tal",
                 "Ingen kommune har givet sit eget tal for nye deltagere"],
}

# Words a brief must not use: a raw source id, a seed's file name, or a conclusion that
# only its source could draw (issue 17).
NEVER = ["bilag215", "jama2019", "seed-00", "fm-discount", "_75aed160b50a7c8a", ".txt",
         "SØM-modellen", "IPS betaler sig", "som afrundet er de",
         "Besparelsen fordeler sig på kommune, region og stat", "Effekten holder altså"]


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
    for phrase in NEVER:
        assert phrase not in pdf and phrase not in page, f"{phrase!r} in {stem}"


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
             "Efter 18 måneder er 59,5 pct.", "Venlig hilsen", "Troels Lund Poulsen",
             "Note fra ipsreport", "Kilder"]
    positions = [text.index(part) for part in order]
    assert positions == sorted(positions)


SEED_004 = PROJECT_ROOT.parent / "shared" / "seeds" / "004_b3f348c63759e292.txt"


def _plain(text: str) -> str:
    """Text compared letter for letter: quotes straightened, no whitespace at all (a line
    break in the PDF may fall anywhere, also after a hyphen)."""
    for curly, straight in (("‘", "'"), ("’", "'"), ("“", '"'), ("”", '"')):
        text = text.replace(curly, straight)
    return "".join(text.split())


def seed_letter_sentences() -> list[str]:
    """Every sentence of the letter's body in seed 004, from the salutation to the
    signature, as the seed writes it (Markdown emphasis removed)."""
    lines = SEED_004.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Kære "))
    body = [line.replace("**", "").strip() for line in lines[start:] if line.strip()]
    sentences: list[str] = []
    for paragraph in body:
        sentences.extend(part for part in re.split(r"(?<=[.!?])\s+(?=[A-ZÆØÅ])", paragraph)
                         if part)
    return sentences


@pytest.mark.skipif(not SEED_004.exists(), reason=f"seed 004 not at {SEED_004}")
def test_letter_reproduces_every_sentence_of_seed_004(rendered: Path) -> None:
    sentences = seed_letter_sentences()
    assert len(sentences) >= 25  # the whole body, not a part of it
    for path in (rendered / "minister-letter.pdf", rendered / "minister-letter.html"):
        text = _plain(pdf_text(path) if path.suffix == ".pdf" else html_text(path))
        missing = [sentence for sentence in sentences if _plain(sentence) not in text]
        assert missing == [], f"{path.name} lacks: {missing}"


# Sources each brief must cite in its "Kilder", by a part of the Danish citation, and
# sources it must not cite because it uses none of their figures.
CITED = {
    "minister-letter": (["Brev til Folketingets Beskæftigelsesudvalg, 20. december 2018.",
                         "JAMA Psychiatry 2019;76(12):1232–1240."],
                        ["Socialstyrelsen", "Budgetforslag 2019"]),
    "findings": (["JAMA Psychiatry 2019;76(12):1232–1240.", "Budgetforslag 2019, u.å.",
                  "Depression Research and Treatment 2023, artikel 2789891."],
                 ["Nyhed om den sundhedsøkonomiske analyse"]),
    "health-economics": (["Nyhed om den sundhedsøkonomiske analyse af Projekt Inklusion, "
                          "16. februar 2021.", "JAMA Psychiatry 2019"],
                         ["Budgetforslag 2019", "Depression Research"]),
    "som": (["Socialstyrelsen: Eksempelberegning af IPS. SØM-beregning, 24. september 2021.",
             "Finansministeriet. Diskonteringsrente"], ["JAMA Psychiatry"]),
    "copenhagen-budget": (["Københavns Kommune, Beskæftigelses- og Integrationsforvaltningen: "
                           "BI3"], ["JAMA Psychiatry", "Socialstyrelsen"]),
    "guide": (["Socialstyrelsen: Eksempelberegning af IPS.", "IPS-25 Supported Employment",
               "Brinchmann B, et al.", "Rundspørge om jobcentrenes arbejde med IPS",
               "Danmarks 98 kommuner med officiel kommunekode og region.",
               # the population, and Copenhagen's 125 citizens that calibrate the estimate
               "Danmarks Statistik. Befolkningen den 1. i kvartalet. Statistikbanken, tabel "
               "FOLK1A, 1. kvartal 2025 (1. januar 2025).", "Budgetforslag 2019, u.å.",
               "Brev til Folketingets Beskæftigelsesudvalg, 20. december 2018."],
              ["Depression Research", "Sekundær oversigt"]),
    "claims": (["BEU Alm.del 2020-21, bilag 215, 2021.", "IPSCenter Danmark: Evidens for "
                "IPS-metoden. Hjemmeside, u.å."], []),
    "overview": (["Danmarks Statistik. Befolkningen den 1. i kvartalet.",
                  "Danmarks 98 kommuner med officiel kommunekode og region.",
                  "Socialstyrelsen: Eksempelberegning af IPS.", "Budgetforslag 2019, u.å.",
                  "IPS-25 Supported Employment Fidelity Scale."],
                 ["JAMA Psychiatry", "Brev til Folketingets Beskæftigelsesudvalg"]),
}


@pytest.mark.parametrize("stem", BRIEFS)
def test_every_brief_ends_with_the_sources_it_used(rendered: Path, stem: str) -> None:
    cited, not_cited = CITED[stem]
    for text in (pdf_text(rendered / f"{stem}.pdf"), html_text(rendered / f"{stem}.html")):
        main_part = text.split("Tal og kilder Hvert tal i teksten")[0]
        sources_part = _plain(main_part[main_part.rindex("Kilder"):])
        for phrase in cited:
            assert _plain(phrase) in sources_part, f"{stem}: {phrase!r} not in its Kilder"
        for phrase in not_cited:
            assert _plain(phrase) not in sources_part, f"{stem}: cites {phrase!r} unused"
    # "Kilder" is the last section but the appendix of the numbers' accounts.
    page = (rendered / f"{stem}.html").read_text(encoding="utf-8")
    headings = re.findall(r"<h[1-6][^>]*>(.*?)</h[1-6]>", page, flags=re.S)
    assert [re.sub(r"<[^>]+>", "", h).strip() for h in headings[-2:]] == [
        "Kilder", "Tal og kilder"]


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
    assert "18,0 mio. kr." in pdf_text(output)  # 72.000 kr. x 250
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert any(e["params"] == {"deltagere": 250} for e in manifest["outputs"].values())


@pytest.mark.parametrize(
    ("brief", "figure", "value", "before", "after"),
    [
        # The paper's IPSE arm: the arm's row and the pooled share both follow.
        ("findings", "trial.ipse.share_18m", 55.0, "59,1 pct.", "55,0 pct."),
        ("copenhagen-budget", "budget.table1.ei", 2800, "Summen af linjerne er 3.600",
         "Summen af linjerne er 3.700"),
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
        assert ("57,48 pct. (beregnet). De danske kilder angiver 59,5 pct.: de to tal stemmer "
                "ikke overens") in text


def test_readme_starts_with_the_two_commands() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("```")[1].strip().splitlines()
    assert block == ["sh", "python3 -m pip install -e '.[test]' && ipsreport render",
                     "python3 -m pytest -n 2"]
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert block[2] in ci


# -- conclusions computed from the data: change what decides them, and they change ---------


def test_findings_conclusions_follow_the_data(
    tmp_path: Path, changed_data: Callable[..., Path]
) -> None:
    # A control group at 55,0 pct. leaves the difference inside chance at the 5 pct. level
    # (p about 0,3 on the rebuilt counts), its interval overlapping IPS's; IPSE at 45,0 pct.
    # is then significantly below IPS alone.
    directory = changed_data({"trial.sau.share_18m": 55.0, "trial.published.control_share_18m":
                              55.0, "trial.ipse.share_18m": 45.0})
    render(tmp_path, "reports/findings.qmd", "--to", "pdf", env={DATA_DIR_ENV: str(directory)})
    text = pdf_text(tmp_path / "findings.pdf")
    assert "Forskellen er ikke statistisk signifikant på 5 pct.-niveau: en chi" in text
    assert "ikke under 0,05" in text
    assert "Forskellen er statistisk signifikant på 5 pct.-niveau: en chi" not in text
    assert "IPSE (IPS med kognitiv træning og social færdighedstræning) gav 45,0 pct." in text
    assert ("Forskellen er statistisk signifikant på 5 pct.-niveau." in
            text.split("IPSE (IPS med kognitiv")[1])
    assert "Ingen af IPS-gruppernes konfidensintervaller overlapper" not in text


def test_letter_keeps_its_words_and_notes_a_recomputation_that_differs(
    tmp_path: Path, changed_data: Callable[..., Path]
) -> None:
    # If the paper's IPSE arm were 55,0 pct., the pooled share would be 57,48 pct.
    directory = changed_data({"trial.ipse.share_18m": 55.0})
    render(tmp_path, "reports/minister-letter.qmd", "--to", "pdf",
           env={DATA_DIR_ENV: str(directory)})
    text = pdf_text(tmp_path / "minister-letter.pdf")
    assert "Efter 18 måneder er 59,5 pct. af deltagerne i Projekt Inklusion" in text
    note = text[text.index("Note fra ipsreport"):]
    assert "står brevets ord" in note and "Genberegnet: 57,48 pct." in note
    assert "stemmer med den." not in note


def test_copenhagen_reports_the_unclear_amount_only_while_it_is_unclear(
    tmp_path: Path, changed_data: Callable[..., Path]
) -> None:
    directory = changed_data({"budget.gross_need.ei": 3.5})
    render(tmp_path, "reports/copenhagen-budget.qmd", "--to", "pdf",
           env={DATA_DIR_ENV: str(directory)})
    text = pdf_text(tmp_path / "copenhagen-budget.pdf")
    assert "Uklart i forslaget" not in text
    assert "1,0 mio. kr. (beregnet: 4,6 − 3,6 mio. kr.)" in text


def test_som_payback_follows_the_prices(
    tmp_path: Path, changed_data: Callable[..., Path]
) -> None:
    # At 10.000 kr. a year for the municipality alone, year 1's consequences (25 finishers
    # x 13,4 procentpoint x 10.000 kr.) no longer cover its cost.
    directory = changed_data({"som.price.kommune": 10000, "som.price.region": 0,
                              "som.price.stat": 0})
    render(tmp_path, "reports/som.qmd", "--to", "pdf", env={DATA_DIR_ENV: str(directory)})
    text = pdf_text(tmp_path / "som.pdf")
    assert "positivt fra år 1" not in text
    assert "ikke inden for beregningens horisont" in text or re.search(
        r"positivt fra år ([2-9]|1\d)", text)


# -- accessibility: the Nu Html Checker and axe-core on every HTML output ------------------


CHECKERS = PROJECT_ROOT / ".ci" / "checkers" / "node_modules"
VNU_JAR = CHECKERS / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE = CHECKERS / ".bin" / "axe"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
JAVA = shutil.which("java")

needs_vnu = pytest.mark.skipif(
    not (VNU_JAR.exists() and JAVA),
    reason=f"Nu Html Checker not installed ({VNU_JAR} and java; run .ci/install-checkers)",
)
needs_axe = pytest.mark.skipif(
    not (AXE.exists() and CHROMIUM and CHROMEDRIVER),
    reason=f"axe-core not installed ({AXE}, chromium and chromedriver; run .ci/install-checkers)",
)


@pytest.fixture(scope="module")
def pages(rendered: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every brief's HTML (the module's render), and a batch index page with two rows."""
    output = tmp_path_factory.mktemp("index")
    table = output / "rows.csv"
    table.write_text("kommunekode,navn,region\n101,København,Region Hovedstaden\n"
                     "461,Odense,Region Syddanmark\n", encoding="utf-8")
    rows = read_table(table, ("kommunekode",)).rows
    figures = [{"label": "Nye deltagere pr. år", "text": "125", "value": 125.0},
               {"label": "Nutidsværdi", "text": "20,9 mio. kr.", "value": 20.9e6}]
    companion = Row(line=0, key="overview", name="IPS i landets kommuner", group=None,
                    stem="overview", cells={}, params={})
    index = output / "index.html"
    index.write_text(index_html(title="IPS i kommunen", source="reports/guide.qmd",
                                table="rows.csv", rows=rows,
                                entries={f"{rows[0].stem}.pdf": {"key_figures": figures},
                                         "overview.pdf": {}},
                                formats=("pdf", "html"), companions=[companion],
                                row_label="Kommune"),
                     encoding="utf-8")
    return [rendered / f"{stem}.html" for stem in BRIEFS] + [index]


@needs_vnu
def test_nu_html_checker_finds_no_errors(pages: list[Path]) -> None:
    assert JAVA is not None
    result = subprocess.run(
        [JAVA, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, pages)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [f"{Path(m.get('url', '')).name}: {m.get('message')}" for m in messages
              if m.get("type") == "error"]
    assert errors == []
    assert result.returncode == 0


@needs_axe
def test_axe_core_finds_no_violations(pages: list[Path]) -> None:
    assert CHROMIUM is not None and CHROMEDRIVER is not None
    result = subprocess.run(
        [str(AXE), *(page.as_uri() for page in pages), "--stdout",
         "--chromedriver-path", CHROMEDRIVER, "--chrome-path", CHROMIUM,
         "--chrome-options", "no-sandbox,headless,disable-gpu,disable-dev-shm-usage"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    reports = json.loads(result.stdout)
    assert len(reports) == len(pages)  # every page was audited
    found = {
        Path(report["url"]).name: [f"{v['id']} ({len(v['nodes'])})" for v in report["violations"]]
        for report in reports
    }
    assert found == {page.name: [] for page in pages}
    assert all(report["passes"] for report in reports)  # the rules ran


# -- every number carries its lineage (tests/test_lineage.py) ----------------------------


@pytest.mark.render
@pytest.mark.parametrize("stem", BRIEFS)
def test_every_number_in_every_brief_carries_its_lineage(rendered: Path, stem: str) -> None:
    page = (rendered / f"{stem}.html").read_text(encoding="utf-8")
    assert untraced(page) == []
    assert "\ue000" not in page  # no number's marker left in the text


@pytest.mark.render
def test_the_pooled_share_names_both_arms_their_n_and_the_paper(rendered: Path) -> None:
    page = (rendered / "findings.html").read_text(encoding="utf-8")
    record = _json(page)
    pooled = next(n for n in record["numbers"] if n["text"] == "59,5 pct."
                  and "243" in n["how"])
    assert "(59,9 × 243 + 59,1 × 238) / (243 + 238)" in pooled["how"]
    figures = {item["id"]: item for item in pooled["inputs"]}
    assert set(figures) == {"trial.ips.share_18m", "trial.ips.n", "trial.ipse.share_18m",
                            "trial.ipse.n"}
    sources = record["sources"]
    assert isinstance(sources, dict)
    assert all("JAMA Psychiatry" in sources[item["source"]] for item in figures.values())
    # and on the page: the number's account on hover (its link's title), its entry in the
    # appendix
    tip = re.search(r'href="#(tal-\d+)"\s+title="([^"]+)">59,5\s+pct\.', page)
    assert tip is not None
    said = html.unescape(tip.group(2))
    assert "(59,9 × 243 + 59,1 × 238) / (243 + 238)" in said and "Christensen" in said
    assert f'id="{tip.group(1)}"' in page


def _json(page: str) -> dict[str, Any]:
    """The page's accounts as ``ipsreport trace`` reads them (each figure written out)."""
    record = trace.numbers_of(page.encode("utf-8"))
    assert record is not None
    return record


@pytest.mark.render
def test_trace_lists_the_same_numbers_from_the_pdf_as_from_the_html(rendered: Path) -> None:
    for stem in ("findings", "som"):
        runs = [CliRunner().invoke(main, ["trace", str(rendered / f"{stem}.{fmt}"), "--json"])
                for fmt in ("html", "pdf")]
        assert [run.exit_code for run in runs] == [0, 0], [run.output for run in runs]
        from_html, from_pdf = (json.loads(run.output) for run in runs)
        assert from_html == from_pdf
        assert len(from_html["numbers"]) > 10
    text = CliRunner().invoke(main, ["trace", str(rendered / "findings.pdf")]).output
    assert "59,5 pct." in text and "Christensen" in text


@pytest.mark.render
def test_a_changed_source_figure_changes_the_number_and_its_account(
    tmp_path: Path, changed_data: Callable[..., Path]
) -> None:
    # IPS at 70,0 pct. pools with IPSE's 59,1 pct. (n 243 and 238) to 64,6 pct.
    directory = changed_data({"trial.ips.share_18m": 70.0})
    render(tmp_path, "reports/findings.qmd", "--to", "html", env={DATA_DIR_ENV: str(directory)})
    record = _json((tmp_path / "findings.html").read_text(encoding="utf-8"))
    numbers = record["numbers"]
    assert isinstance(numbers, list)
    pooled = next(n for n in numbers if n["text"] == "64,6 pct.")
    assert "(70 × 243 + 59,1 × 238) / (243 + 238)" in pooled["how"]
    assert not any("59,9" in n["how"] for n in numbers)  # the old IPS share is gone
    stated = next(item for item in pooled["inputs"] if item["id"] == "trial.ips.share_18m")
    assert stated["value"] == 70.0 and stated["text"].startswith("70 pct.: Andel i job")
