"""Every municipality its own guide, and one national overview, rendered for real.

The guides for København, Odense and Læsø and the national overview are rendered as the
batch renders them (a table of three rows; the overview is the guide's companion). Every
expected value is computed here from the data files (tests/test_municipalities.py reads
them with the csv module), never taken from the package's own results, and then written
with the package's Danish formatting, which the reader sees.
"""

from __future__ import annotations

import csv
import html
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from ipsreport import sources
from ipsreport.analyses import som
from ipsreport.batch import run_batch
from ipsreport.cli import main
from ipsreport.paths import DATA_DIR_ENV, PROJECT_ROOT
from ipsreport.presentation import danish
from tests.test_briefs import html_text, pdf_text
from tests.test_municipalities import (
    CASELOAD,
    MEAN_YEARS,
    copenhagen_citizens,
    expected_participants,
    population,
    regions,
)

pytestmark = pytest.mark.render  # end to end: real kernels, Pandoc, Typst

GUIDE = PROJECT_ROOT / "reports" / "guide.qmd"
STEMS = {101: "101-koebenhavn", 461: "461-odense", 825: "825-laesoe"}


def batch(folder: Path, codes: tuple[int, ...], data: Path | None = None) -> Path:
    """The guide for ``codes`` and the overview, rendered by a batch into ``folder``."""
    with (PROJECT_ROOT / "data" / "kommuner.csv").open(encoding="utf-8") as stream:
        rows = [row for row in csv.DictReader(stream) if int(row["kommunekode"]) in codes]
    table = folder / "rows.csv"
    with table.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=["kommunekode", "navn", "region"],
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    with pytest.MonkeyPatch.context() as patch:
        if data is not None:
            patch.setenv(DATA_DIR_ENV, str(data))
        result = run_batch(GUIDE, table, output_dir=folder / "out", jobs=2, progress=False)
    assert not result.failed, [outcome.reason for outcome in result.failed]
    return folder / "out"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return batch(tmp_path_factory.mktemp("guides"), (101, 461, 825))


# A PDF page's footer and the next page's running head, which its text has mid-sentence.
_PAGE_BREAK = re.compile(r" ?Side \d+ af \d+ IPS i (?:kommunen|landets kommuner) ?")


def texts(folder: Path, stem: str) -> tuple[str, str]:
    """A document's PDF text (without page footers and running heads, and with a word
    broken after its hyphen at the end of a line whole again) and HTML text."""
    pdf = re.sub(r"(?<=\w)- (?=\w)", "-", _PAGE_BREAK.sub(" ", pdf_text(folder / f"{stem}.pdf")))
    return pdf, html_text(folder / f"{stem}.html")


def amount(text: str) -> float:
    """A Danish amount as a number: "20,9 mio. kr." or "54.100 kr." in kroner."""
    number = float(text.split()[0].replace(".", "").replace(",", "."))
    return number * 1e6 if "mio." in text else number


def summary(text: str) -> dict[str, str]:
    """The figures of a guide's "Kort fortalt" as the reader sees them."""
    found = re.search(r"Guiden regner med (\S+) nye deltagere i IPS om året .*? omkring (\S+) "
                      r"aktive borgere .*? nutidsværdien af nettoresultatet for den offentlige "
                      r"sektor er (\S+(?: mio\.)? kr\.)", text)
    assert found is not None, text[:1500]
    consultants = re.search(r"IPS-konsulenter med 20 borgere hver \(beregnet\) (\S+)", text)
    assert consultants is not None
    return {"participants": found.group(1), "active": found.group(2), "npv": found.group(3),
            "consultants": consultants.group(1)}


def test_each_guide_has_its_own_figures_in_proportion_to_its_population(
    rendered: Path,
) -> None:
    expected = expected_participants()
    counts = population()
    shown = {code: summary(texts(rendered, stem)[0]) for code, stem in STEMS.items()}
    for code, figures in shown.items():
        assert figures["participants"] == danish.approx(expected[code])
        assert figures["active"] == danish.approx(expected[code] * MEAN_YEARS)
        assert figures["consultants"] == danish.approx(expected[code] * MEAN_YEARS / CASELOAD)
    copenhagen, laesoe = shown[101], shown[825]
    assert (copenhagen["participants"], laesoe["participants"]) == ("125", "0,3")
    assert copenhagen["consultants"] != laesoe["consultants"]
    assert copenhagen["npv"] != laesoe["npv"]
    # The SØM illustration is linear in the participants: the net present values are in
    # proportion to the populations, within the rounding the reader sees (3 digits).
    ratio = amount(copenhagen["npv"]) / amount(laesoe["npv"])
    assert ratio == pytest.approx(counts[101] / counts[825], rel=0.01)
    # and the guide's NPV is the illustration's for its participants
    data = sources.load()
    npv = som.run(som.Scenario.from_data(data, participants_per_year=expected[825]))
    assert laesoe["npv"] == danish.money(npv.net_present_value)
    for text in texts(rendered, STEMS[825]):  # rounding never hides a small municipality
        assert "Guiden regner med 0,3 nye deltagere i IPS om året" in text
        assert "0,5 aktive borgere ad gangen" in text


def test_laesoe_is_advised_to_share_a_team_and_koebenhavn_is_not(rendered: Path) -> None:
    expected = expected_participants()
    nordjylland = [c for c, r in regions().items() if r == "Region Nordjylland"]
    small = sorted((c for c in nordjylland if expected[c] * MEAN_YEARS < CASELOAD),
                   key=lambda c: -expected[c])
    active, fewest = expected[825] * MEAN_YEARS, 1
    for code in (c for c in small if c != 825):
        if active >= CASELOAD:
            break
        active, fewest = active + expected[code] * MEAN_YEARS, fewest + 1
    for text in texts(rendered, STEMS[825]):
        assert "Et fælles team med andre kommuner" in text
        assert ("Det fylder ikke én IPS-konsulents sagsstamme: de 0,5 borgere er 2,4 pct. af de "
                "20, en konsulent højst må have.") in text
        assert ("Guiden anbefaler derfor, at Læsø går sammen med andre kommuner i Region "
                "Nordjylland om et fælles IPS-team med én teamleder.") in text
        assert (f"Mindst {danish.count(fewest)} af regionens små kommuner, Læsø medregnet og de "
                "andre taget fra de største, fylder tilsammen én konsulents sagsstamme") in text
        of_region = f"{danish.count(len(small))} af de {danish.count(len(nordjylland))} kommuner"
        assert f"I regionen kan {of_region} ikke fylde én sagsstamme alene" in text
        assert "Øvrige kommuner i det fælles IPS-team:" in text  # in the agreement too
    for text in texts(rendered, STEMS[101]):
        assert "Et fælles team med andre kommuner" not in text
        assert "kræver det ti IPS-konsulenter og en teamleder" in text  # 187,5 / 20, rounded up
        assert "Øvrige kommuner i det fælles IPS-team" not in text


def test_the_guide_has_training_and_the_agreement_as_appendix(rendered: Path) -> None:
    for text in texts(rendered, STEMS[825]):
        order = ["Målgruppen i kommunen", "Sådan organiseres et IPS-team",
                 "Uddannelse og kompetencer for IPS-konsulenter", "Det skal IPS-konsulenten kunne",
                 "Teamet og teamlederen", "Troskab mod metoden", "Det siger kilderne ikke",
                 "Business case", "Tjekliste til samarbejdsaftalen med regionen",
                 "Bilag: Standardaftale om samarbejde om IPS", "Kommunen: Læsø (kommunekode 825), "
                 "ved jobcentret", "Regionen: Region Nordjylland, ved psykiatrien",
                 "§ 1. Målgruppe og henvisning", "§ 7. Finansiering, varighed og opsigelse",
                 "Underskrifter"]
        positions = [text.index(part) for part in order]
        assert positions == sorted(positions)
        assert text.rindex("Kilder") > positions[-1]  # the last section
        # the sources' own words, with attribution, and what they do not say
        assert ("«Mentorstøtten er baseret på psykiatrisk viden og indbefatter koordinering af "
                "borgerens sagsforløb på tværs af systemer") in text
        assert "(Beskæftigelsesministeren (2018))" in text
        assert "Kilderne beskriver ikke et uddannelsesforløb for IPS-konsulenter" in text
        assert "Skalaens første punkt er sagsstammen: en IPS-konsulent med højst 20 aktive" in text
    # the appendix starts a page of its own (the page's running head comes first)
    pages = [page.extract_text() for page in PdfReader(rendered / f"{STEMS[825]}.pdf").pages]
    appendix = next(page for page in pages if "Bilag: Standardaftale" in page)
    assert appendix.lstrip().splitlines()[1].startswith("Bilag: Standardaftale")


def _region_rows(page: str) -> dict[str, list[str]]:
    """The cells of each row of the overview's HTML tables, by the row's first cell."""
    rows: dict[str, list[str]] = {}
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S):
        cells = [" ".join(html.unescape(re.sub(r"<[^>]+>", "", c)).split())
                 for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        if cells:
            rows.setdefault(cells[0], cells[1:])
    return rows


def test_the_overviews_totals_are_the_sums_of_the_municipalities(rendered: Path) -> None:
    page = (rendered / "overview.html").read_text(encoding="utf-8")
    rows = _region_rows(page)
    expected = expected_participants()
    counts = population()
    data = sources.load()
    by_region = regions()
    for name in (*dict.fromkeys(by_region.values()), None):
        codes = [c for c, r in by_region.items() if name in (None, r)]
        participants = sum(expected[c] for c in codes)
        npv = som.run(som.Scenario.from_data(data, participants_per_year=participants))
        # Regions table: Kommuner, Folketal, Deltagere pr. år, Konsulenter, Omkostning,
        # Nutidsværdi; the sum of the municipalities' NPVs is the NPV of all of their
        # participants (the illustration is linear in them, with the same prices).
        assert rows[name or "Hele landet"] == [
            danish.number(len(codes)), danish.number(sum(counts[c] for c in codes)),
            danish.approx(participants), danish.approx(participants * MEAN_YEARS / CASELOAD),
            danish.money(npv.total_cost), danish.money(npv.net_present_value)]
    # every municipality's own row, in the big table
    for code in (101, 461, 825):
        name = next(m.navn for m in data.municipalities if m.kommunekode == code)
        assert rows[name][:3] == [danish.number(counts[code]), danish.approx(expected[code]),
                                  danish.approx(expected[code] * MEAN_YEARS / CASELOAD)]
    assert "Hele landet: 98 kommuner, 5.992.644 indbyggere den 1. januar 2025" in (
        pdf_text(rendered / "overview.pdf"))


def test_one_municipalitys_population_changes_its_guide_and_the_totals_only(
    rendered: Path, tmp_path: Path, data_copy: Path
) -> None:
    path = data_copy / "folketal.csv"
    text = path.read_text(encoding="utf-8")
    assert "825,Læsø,1719" in text
    path.write_text(text.replace("825,Læsø,1719", "825,Læsø,17190"), encoding="utf-8")
    changed = batch(tmp_path, (461, 825), data=data_copy)
    # Læsø's guide: ten times the citizens
    assert summary(texts(changed, STEMS[825])[0])["participants"] == danish.approx(
        10 * expected_participants()[825])
    assert texts(changed, STEMS[825]) != texts(rendered, STEMS[825])
    # Odense's guide, in another region, reads exactly as before
    assert texts(changed, STEMS[461]) == texts(rendered, STEMS[461])
    # the overview: Læsø's row, Nordjylland's sums and the country's, and nothing else
    before = _region_rows((rendered / "overview.html").read_text(encoding="utf-8"))
    after = _region_rows((changed / "overview.html").read_text(encoding="utf-8"))
    assert before.keys() == after.keys()
    differ = {name for name in before if before[name] != after[name]}
    assert differ == {"Læsø", "Region Nordjylland", "I alt, Region Nordjylland",
                      "Hele landet"}


def test_a_municipalitys_own_figure_in_the_table_replaces_the_estimate(
    tmp_path: Path, data_copy: Path
) -> None:
    path = data_copy / "kommuner.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "461,Odense,Region Syddanmark,,,,", "461,Odense,Region Syddanmark,40,50000,,"),
        encoding="utf-8")
    out = batch(tmp_path, (461,), data=data_copy)
    estimate = danish.approx(expected_participants()[461])
    for text in texts(out, STEMS[461]):
        assert ("Odense har selv opgivet 40 nye deltagere om året (i kommunetabellen), og "
                "guiden regner med det tal i stedet for skønnet.") in text
        assert f"ville have været {estimate} nye deltagere om året" in text
        assert "kræver det tre IPS-konsulenter og en teamleder" in text  # 40 x 1,5 / 20
        # which figures are the municipality's own, and which are estimates and assumptions
        assert ("Kommunens egne tal i guiden er nye deltagere om året (kommunetabellen) og "
                "prisen for kommunen pr. ekstra borger i job (kommunetabellen). De øvrige tal er "
                "ipsreports skøn og antagelser, mærket «antagelse».") in text
    page = _region_rows((out / f"{STEMS[461]}.html").read_text(encoding="utf-8"))
    data = sources.load(data_copy)
    meaning = {key: " ".join(data[figure].meaning.split()) for key, figure in (
        ("participants", "som.example.participants_per_year"), ("kommune", "som.price.kommune"),
        ("region", "som.price.region"))}
    assert page[meaning["participants"]] == ["40", "kommunens eget tal (kommunetabellen)"]
    assert page[meaning["kommune"]] == ["50.000 kr.", "kommunens eget tal (kommunetabellen)"]
    assert page[meaning["region"]] == ["15.000 kr.", "antagelse"]
    assert page["Nye deltagere pr. år (kommunens eget tal (kommunetabellen))"] == ["40"]
    overview = (out / "overview.html").read_text(encoding="utf-8")
    rows = _region_rows(overview)
    assert rows["Odense (eget tal)"][1:3] == ["40", danish.approx(40 * MEAN_YEARS / CASELOAD)]
    assert "Én kommune har givet sit eget tal for nye deltagere: Odense." in html_text(
        out / "overview.html")
    expected = expected_participants()
    syddanmark = sum(40 if c == 461 else expected[c] for c, r in regions().items()
                     if r == "Region Syddanmark")
    assert rows["Region Syddanmark"][2] == danish.approx(syddanmark)


def test_the_readmes_parameter_file_gives_the_municipality_its_guide(tmp_path: Path) -> None:
    example = PROJECT_ROOT / "docs" / "examples" / "egne-tal.yml"
    assert f"--execute-params docs/examples/{example.name}" in (
        PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    result = CliRunner().invoke(main, ["render", str(GUIDE), "--execute-params", str(example),
                                       "--to", "pdf", "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    (pdf,) = tmp_path.glob("guide-*.pdf")
    text = pdf_text(pdf)
    assert "Odense (kommunekode 461) · Region Syddanmark" in text
    assert "Odense har selv opgivet 60 nye deltagere om året (som parameter)" in text
    assert "kommunens eget tal (parameter)" in text
    assert "kræver det fem IPS-konsulenter og en teamleder" in text  # 60 x 1,5 / 20 = 4,5
    # a bad local figure is refused like any parameter: one line, nothing written
    bad = tmp_path / "bad.yml"
    bad.write_text(example.read_text(encoding="utf-8").replace("deltagere_pr_aar: 60",
                                                                "deltagere_pr_aar: -60"))
    refused = CliRunner().invoke(main, ["render", str(GUIDE), "--execute-params", str(bad),
                                        "--output-dir", str(tmp_path / "refused")])
    assert refused.exit_code == 2
    assert "deltagere_pr_aar: -60 is not allowed" in refused.output
    assert not (tmp_path / "refused").exists()


def test_a_guides_participants_name_their_population_figure_and_calibration(
    rendered: Path,
) -> None:
    # Odense's estimate: Copenhagen's citizens (the calibration point, seed 003) times
    # Odense's population over Copenhagen's, each named with its value and source.
    traced = CliRunner().invoke(main, ["trace", str(rendered / f"{STEMS[461]}.pdf"), "--json"])
    assert traced.exit_code == 0, traced.output
    counts = population()
    shown = danish.approx(expected_participants()[461])
    record = json.loads(traced.output)
    participants = next(n for n in record["numbers"] if n["text"] == shown)
    inputs = {item["id"]: item for item in participants["inputs"]}
    assert set(inputs) == {"budget.citizens", "population.461", "population.101"}
    assert participants["how"] == (f"beregnet: {danish.number(copenhagen_citizens())} × "
                                   f"{danish.number(counts[461])} / {danish.number(counts[101])}")
    assert "Odense" in inputs["population.461"]["text"]
    assert "FOLK1A" in record["sources"][inputs["population.461"]["source"]]
    assert "Budgetforslag 2019" in record["sources"][inputs["budget.citizens"]["source"]]
