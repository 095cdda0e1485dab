"""Each municipality's own figures: the population table, the estimate of its target group,
its team, its business case and the national sums; pure (no kernel).

Expected values are computed here from the data files themselves (data/folketal.csv and
data/kommuner.csv read with the csv module, Copenhagen's 125 citizens from the budget's
YAML), not by the package's code, and checked against shared/FACTS.md where it states them.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from ipsreport import keyfigures, sources
from ipsreport.analyses import business_case, som, target_group
from ipsreport.batch._index import index_html
from ipsreport.batch._table import Row, read_table
from ipsreport.errors import DataError, ParameterError
from ipsreport.presentation import agreement, danish, estimates, parameters
from ipsreport.sources import municipalities
from ipsreport.validation import validated
from tests.conftest import DATA

CASELOAD = 20  # IPS-25 item 1, shared/FACTS.md
MEAN_YEARS = 1.5  # SØM's 1-2 years in the intervention, on average


def population(directory: Path = DATA) -> dict[int, int]:
    with (directory / "folketal.csv").open(encoding="utf-8", newline="") as stream:
        return {int(row["kommunekode"]): int(row["folketal"]) for row in csv.DictReader(stream)}


def regions(directory: Path = DATA) -> dict[int, str]:
    with (directory / "kommuner.csv").open(encoding="utf-8", newline="") as stream:
        return {int(row["kommunekode"]): row["region"] for row in csv.DictReader(stream)}


def copenhagen_citizens(directory: Path = DATA) -> float:
    budget = yaml.safe_load((directory / "copenhagen_budget.yaml").read_text(encoding="utf-8"))
    return next(f["value"] for f in budget["figures"] if f["id"] == "budget.citizens")


def expected_participants(directory: Path = DATA) -> dict[int, float]:
    """New participants a year by the estimate: Copenhagen's share of its population."""
    counts = population(directory)
    return {code: copenhagen_citizens(directory) * count / counts[101]
            for code, count in counts.items()}


@pytest.fixture(scope="module")
def data() -> sources.SourceData:
    return sources.load()


# -- the population table -------------------------------------------------------------------


def test_population_is_loaded_as_figures_with_its_provenance(data: sources.SourceData) -> None:
    # shared/FACTS.md: København 667,099; Læsø 1,719; all 98 together 5,992,644
    assert data.value("population.101") == 667_099
    assert data.value("population.825") == 1_719
    figures = [f for f in data.under("population") if f.id != "population.date"]
    assert len(figures) == 98
    assert sum(f.number for f in figures) == 5_992_644
    laesoe = data["population.825"]
    assert (laesoe.unit, laesoe.source, laesoe.label) == ("persons", "dst-folk1a", "Læsø")
    assert laesoe.meaning.startswith("Folketal den 1. januar 2025")
    assert data["population.date"].date.isoformat() == "2025-01-01"
    assert data.sources["dst-folk1a"].short == "Danmarks Statistik, FOLK1A, 1. januar 2025"
    assert {f.attributes["kommunekode"] for f in figures} == {
        str(m.kommunekode) for m in data.municipalities}


def _edit_population(directory: Path, edit: Callable[[list[list[str]]], None]) -> None:
    path = directory / "folketal.csv"
    with path.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.reader(stream))
    edit(rows)
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream).writerows(rows)


def _line(rows: list[list[str]], code: str) -> int:
    return next(i for i, row in enumerate(rows) if row[0] == code)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda rows: rows.pop(_line(rows, "825")),
         "folketal.csv: kommunekode 825 (Læsø) of kommuner.csv has no row"),
        (lambda rows: rows.append(["999", "Atlantis", "10"]),
         "folketal.csv: line 100: kommunekode: 999 is not a municipality in kommuner.csv"),
        (lambda rows: rows.append(["461", "Odense", "10"]),
         "folketal.csv: line 100: kommunekode: 461 (Odense) already on line "),
        (lambda rows: rows[_line(rows, "825")].__setitem__(2, "-5"),
         "folketal.csv: line 94: folketal: value -5 is negative; unit 'persons' must be >= 0"),
        (lambda rows: rows[_line(rows, "825")].__setitem__(2, "1719.5"),
         "folketal.csv: line 94: folketal: '1719.5' is not allowed: it takes a whole number"),
        (lambda rows: rows[_line(rows, "825")].__setitem__(2, ""),
         "folketal.csv: line 94: folketal: it takes a whole number"),
        (lambda rows: rows[_line(rows, "825")].__setitem__(1, "Laesoe"),
         "folketal.csv: line 94: navn: 'Laesoe' is not the name kommuner.csv gives kommunekode "
         "825 ('Læsø')"),
        (lambda rows: rows[0].__setitem__(2, "indbyggere"),
         "folketal.csv: line 1: the columns must be kommunekode, navn, folketal"),
    ],
    ids=["missing", "extra", "twice", "negative", "not-whole", "empty", "name", "header"],
)
def test_population_table_refuses_what_is_wrong_naming_file_line_and_field(
    data_copy: Path, edit: Callable[[list[list[str]]], None], expected: str
) -> None:
    _edit_population(data_copy, edit)
    with pytest.raises(DataError) as error:
        sources.load(data_copy)
    assert f"invalid data: data/{expected}" in str(error.value)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"source": "dst-nowhere"}, "folketal.yaml: table: unknown source 'dst-nowhere'"),
        ({"unit": "pct"}, "folketal.yaml: table: unit: 'pct' is not allowed"),
        ({"meaning": None}, "folketal.yaml: table: meaning: Field required"),
        ({"date": None}, "folketal.yaml: table: date: Field required"),
        ({"file": "elsewhere.csv"}, "elsewhere.csv: file is missing (named in folketal.yaml)"),
    ],
)
def test_population_provenance_is_required(data_copy: Path, change: dict[str, object],
                                           expected: str) -> None:
    path = data_copy / "folketal.yaml"
    sidecar = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in change.items():
        if value is None:
            sidecar["table"].pop(key)
        else:
            sidecar["table"][key] = value
    path.write_text(yaml.safe_dump(sidecar, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataError, match="invalid data: data/") as error:
        sources.load(data_copy)
    assert expected in str(error.value)


def test_a_municipalitys_own_figures_are_typed_and_refused_like_parameters(
    data_copy: Path,
) -> None:
    path = data_copy / "kommuner.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("461,Odense,Region Syddanmark,,,,",
                                 "461,Odense,Region Syddanmark,0x10,-5,,")
                    .replace("825,Læsø,Region Nordjylland,,,,",
                             "825,Læsø,Region Nordjylland,4.0,,,"), encoding="utf-8")
    with pytest.raises(DataError) as error:
        sources.load(data_copy)
    lines = str(error.value).splitlines()
    assert ("invalid data: data/kommuner.csv: line 53: participants_per_year: '0x10' is not "
            "allowed: it takes a whole number (decimal digits, with an optional sign), or "
            "nothing") in lines
    assert ("invalid data: data/kommuner.csv: line 94: participants_per_year: '4.0' is not "
            "allowed: it takes a whole number (decimal digits, with an optional sign), or "
            "nothing") in lines


# -- the estimate, its calibration and a municipality's own figure --------------------------


def test_the_estimate_is_copenhagens_share_of_its_population(data: sources.SourceData) -> None:
    calibration = target_group.calibration(data)
    assert (calibration.citizens, calibration.kommunekode, calibration.navn) == (125, 101,
                                                                                 "København")
    assert danish.number(calibration.per_100k, 1) == "18,7"  # 125 / 667.099 x 100.000
    expected = expected_participants()
    groups = {g.municipality.kommunekode: g for g in target_group.everywhere(data)}
    assert groups[101].participants_per_year == 125  # the calibration point itself, exactly
    for code, participants in expected.items():
        assert groups[code].participants_per_year == pytest.approx(participants, rel=1e-12)
        assert groups[code].origin is target_group.Origin.ESTIMATE
    laesoe = groups[825]
    assert danish.approx(laesoe.participants_per_year) == "0,3"  # 125 x 1.719 / 667.099
    assert laesoe.team.active_citizens == pytest.approx(expected[825] * MEAN_YEARS)
    assert not laesoe.fills_a_caseload and laesoe.team.consultants == 1
    assert danish.approx(laesoe.team.caseloads) == "0,024"
    copenhagen = groups[101]
    assert copenhagen.team.active_citizens == 187.5  # 125 x 1,5
    assert copenhagen.team.consultants == 10  # 187,5 / 20 rounded up
    assert copenhagen.fills_a_caseload


def test_own_figures_replace_the_estimate_parameter_first(data_copy: Path) -> None:
    path = data_copy / "kommuner.csv"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "461,Odense,Region Syddanmark,,,,", "461,Odense,Region Syddanmark,40,50000,,"),
        encoding="utf-8")
    data = sources.load(data_copy)
    odense = next(m for m in data.municipalities if m.kommunekode == 461)
    own = target_group.of(data, odense)
    assert (own.participants_per_year, own.origin) == (40, target_group.Origin.TABLE)
    assert own.estimate == pytest.approx(expected_participants(data_copy)[461])
    assert own.team.consultants == 3  # 40 x 1,5 = 60 citizens, 20 each
    given = target_group.of(data, odense, participants=12)
    assert (given.participants_per_year, given.origin) == (12, target_group.Origin.PARAMETER)
    case = business_case.of(data, own, prices={"region": 1000.0})
    assert (case.scenario.prices.kommune, case.scenario.prices.region) == (50000, 1000)
    assert case.price_origins == {"kommune": target_group.Origin.TABLE,
                                  "region": target_group.Origin.PARAMETER, "stat": None}
    assert estimates.participants_origin(own) == "kommunens eget tal (kommunetabellen)"
    text = estimates.participants_text(data, own, target_group.calibration(data))
    assert text.startswith("Odense har selv opgivet 40 nye deltagere om året (i kommunetabellen)")
    assert f"ville have været {danish.approx(own.estimate)} nye deltagere" in text


# -- teams shared in a region ---------------------------------------------------------------


def test_a_small_municipality_is_told_how_many_fill_a_caseload(data: sources.SourceData) -> None:
    groups = target_group.everywhere(data)
    shared = target_group.shared_team(groups, "Region Nordjylland")
    # the guide asks for its region's groups only, and gets the same team
    assert target_group.shared_team(
        target_group.everywhere(data, region="Region Nordjylland"), "Region Nordjylland"
    ) == shared
    # Computed here: Nordjylland's municipalities whose active citizens stay under 20.
    expected = expected_participants()
    nordjylland = [code for code, region in regions().items() if region == "Region Nordjylland"]
    small = sorted((c for c in nordjylland if expected[c] * MEAN_YEARS < CASELOAD),
                   key=lambda c: -expected[c])
    assert [g.municipality.kommunekode for g in shared.small] == small
    assert shared.municipalities == len(nordjylland)
    total = sum(expected[c] * MEAN_YEARS for c in small)
    assert shared.active_citizens == pytest.approx(total)
    assert shared.caseloads == pytest.approx(total / CASELOAD)
    # Læsø and the largest of the others, until 20 active citizens are reached
    active, fewest = expected[825] * MEAN_YEARS, 1
    for code in (c for c in small if c != 825):
        if active >= CASELOAD:
            break
        active, fewest = active + expected[code] * MEAN_YEARS, fewest + 1
    laesoe = next(g for g in groups if g.municipality.kommunekode == 825)
    assert shared.fewest_with(laesoe) == fewest
    text = estimates.shared_team_text(laesoe, shared)
    assert "Guiden anbefaler derfor, at Læsø går sammen med andre kommuner i Region " in text
    assert f"Mindst {danish.count(fewest)} af regionens små kommuner, Læsø medregnet" in text
    assert f"kan {danish.count(len(small))} af de {danish.count(len(nordjylland))} kommuner" in (
        text)


def test_rounding_never_hides_a_small_municipality() -> None:
    assert [danish.approx(v) for v in (0.322, 0.0241, 0.48, 9.4, 39.04, 187.5, 0)] == [
        "0,3", "0,024", "0,5", "9,4", "39", "188", "0"]
    assert [danish.money(v) for v in (54_123, 5_124, 512.3, 949_999, 950_001, 20_940_000)] == [
        "54.100 kr.", "5.120 kr.", "512 kr.", "950.000 kr.", "1,0 mio. kr.", "20,9 mio. kr."]
    assert danish.money(400_000, like=9_200_000) == "0,4 mio. kr."  # one unit in a sentence


# -- the national overview: sums of the municipalities' own figures -------------------------


def test_national_totals_are_the_sums_of_the_municipalities(data: sources.SourceData) -> None:
    overview = business_case.national(data)
    expected = expected_participants()
    by_region = regions()
    assert [c.group.municipality.kommunekode for c in overview.cases] == list(by_region)
    for totals in (*overview.regions, overview.country):
        codes = [c for c, r in by_region.items() if totals.name in (None, r)]
        assert totals.municipalities == len(codes)
        assert totals.population == sum(population()[c] for c in codes)
        assert totals.participants_per_year == pytest.approx(sum(expected[c] for c in codes))
        assert totals.caseloads == pytest.approx(
            sum(expected[c] * MEAN_YEARS / CASELOAD for c in codes))
        assert totals.small == sum(expected[c] * MEAN_YEARS < CASELOAD for c in codes)
        # The SØM illustration is linear in the participants when the prices are the same:
        # the sum of the municipalities' results is the result for all their participants.
        together = som.run(som.Scenario.from_data(
            data, participants_per_year=sum(expected[c] for c in codes)))
        assert totals.net_present_value == pytest.approx(together.net_present_value)
        assert totals.total_cost == pytest.approx(together.total_cost)
    assert overview.country.population == 5_992_644
    assert sum(t.participants_per_year for t in overview.regions) == pytest.approx(
        overview.country.participants_per_year)


def test_the_overview_of_one_region(data: sources.SourceData) -> None:
    overview = business_case.national(data, region="Region Nordjylland")
    assert {c.group.municipality.region for c in overview.cases} == {"Region Nordjylland"}
    assert [t.name for t in overview.regions] == ["Region Nordjylland"]
    assert overview.country.participants_per_year == overview.regions[0].participants_per_year
    with pytest.raises(ParameterError, match="region 'Region Fyn' is not one of the five"):
        validated(parameters.OverviewParameters, {"region": "Region Fyn"})


def test_key_figures_are_the_overviews_figures(data: sources.SourceData) -> None:
    overview = business_case.national(data)
    case = overview.case(825)
    figures = estimates.key_figures(case)
    cells = estimates.case_cells(case)
    assert [f.text for f in figures] == [cells["deltagere"], cells["konsulenter"], cells["npv"]]
    assert figures[0].value == pytest.approx(expected_participants()[825])
    assert keyfigures.decode(keyfigures.encode(figures)) == figures
    with pytest.raises(ValueError, match="key figure 1 needs a label"):
        keyfigures.decode([{"label": "", "text": "1"}])


def test_the_index_shows_each_rows_key_figures_beside_its_links(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("kommunekode,navn,region\n101,København,Region Hovedstaden\n"
                     "825,Læsø,Region Nordjylland\n", encoding="utf-8")
    rows = read_table(table, ("kommunekode",)).rows
    figures = [{"label": "Nye deltagere pr. år", "text": "125", "value": 125.0},
               {"label": "Nutidsværdi", "text": "<b>20,9</b>"}]
    companion = Row(line=0, key="overview", name="IPS i landets kommuner", group=None,
                    stem="overview", cells={}, params={})
    page = index_html(title="IPS i kommunen", source="reports/guide.qmd", table="t.csv",
                      rows=rows, entries={"101-koebenhavn.pdf": {"key_figures": figures},
                                          "overview.html": {}},
                      formats=("pdf", "html"), companions=[companion], row_label="Kommune")
    assert '<li>IPS i landets kommuner: <a href="overview.html">HTML</a></li>' in page
    assert ('<tr><th scope="col">Kommune</th><th scope="col" class="tal">Nye deltagere pr. '
            'år</th><th scope="col" class="tal">Nutidsværdi</th><th scope="col">Dokumenter'
            '</th></tr>') in page
    assert ('<th scope="row">101 København</th><td class="tal">125</td><td>&lt;b&gt;20,9'
            '&lt;/b&gt;</td><td><a href="101-koebenhavn.pdf">PDF</a></td>') in page
    # Læsø's document is not made: empty figures, and the page says so
    assert ('<th scope="row">825 Læsø</th><td></td><td></td><td><span class="mangler">ikke '
            'dannet</span></td>') in page


def test_the_agreement_has_the_checklists_points_and_the_parties_names() -> None:
    def literal(markdown: object) -> str:  # the Markdown with its escapes undone
        return re.sub(r"\\(.)", r"\1", str(markdown))

    text = literal(agreement.template("Læsø", 825, "Region Nordjylland", shared=True).data)
    assert "- Kommunen: Læsø (kommunekode 825), ved jobcentret" in text
    assert "- Regionen: Region Nordjylland, ved psykiatrien" in text
    assert f"- Øvrige kommuner i det fælles IPS-team: {agreement.BLANK}" in text
    for number, clause in enumerate(agreement.CLAUSES, start=1):
        assert f"**§ {number}. {clause.title}**" in text
    assert len(agreement.checklist()) == len(agreement.CLAUSES) == 7
    assert text.count(agreement.BLANK) >= len(agreement.CLAUSES) + 4
    alone = literal(agreement.template("København", 101, "Region Hovedstaden", shared=False).data)
    assert "Øvrige kommuner" not in alone


def test_a_loaded_folder_is_read_again_when_a_file_changes(data_copy: Path) -> None:
    first = sources.load(data_copy)
    assert sources.load(data_copy) is first  # unchanged: the same records
    _edit_population(data_copy, lambda rows: rows[_line(rows, "825")].__setitem__(2, "3438"))
    changed = sources.load(data_copy)
    assert changed.value("population.825") == 3_438
    assert changed.digest != first.digest
    assert math.isclose(
        target_group.of(changed, next(m for m in changed.municipalities
                                      if m.kommunekode == 825)).participants_per_year,
        2 * expected_participants()[825])


def test_the_table_is_parsed_again_when_its_bytes_change(data_copy: Path) -> None:
    first = municipalities.load(data_copy)
    assert municipalities.load(data_copy) is first  # unchanged bytes: the rows read last
    path = data_copy / municipalities.FILE
    path.write_text(path.read_text(encoding="utf-8").replace("Læsø", "Læsø Ø", 1),
                    encoding="utf-8")
    changed = municipalities.load(data_copy)
    assert next(m.navn for m in changed if m.kommunekode == 825) == "Læsø Ø"
    path.write_text(path.read_text(encoding="utf-8").replace("Læsø Ø,", "Læsø,x,", 1),
                    encoding="utf-8")
    with pytest.raises(DataError, match=r"kommuner\.csv: line \d+"):
        municipalities.load(data_copy)  # a broken table is refused, not the last one returned
