"""Every number in a brief shows where it comes from.

Numbers read from data/ and computed from them carry their lineage (ipsreport.lineage); the
Danish formatting keeps it; each number a brief shows links to its entry in "Tal og kilder"
and, in HTML, has its account on hover and focus; the same accounts travel in the file as
JSON, which ``ipsreport trace`` reads.

What is not traced, and why (the documented list this file's scan allows):
- the title block (the front matter's title and subtitle, static text);
- table and figure numbers ("Tabel 1", "Figur 2");
- dates ("20. december 2018", "ultimo december 2018", "januar 2021", "1. kvartal 2019",
  "foråret 2021");
- numbers inside quoted source text (between « and »);
- names that contain a number: "IPS-25", "BI3", "FOLK1A", "Overførselssagen 2016-17",
  "budgetforslag 2019", a budget account "35.10", the unit "1.000 kr." and "95
  pct.-interval", the method's name;
- identifiers: a municipality's code ("kommunekode 461") and the agreement's paragraphs
  ("§ 3");
- the "Kilder" section: its citations' years, volumes and pages; and a short citation's year
  elsewhere ("Christensen m.fl. (2019)");
- a figure's meaning as its source defines it (class "definition"): "1–18 måneder efter
  påbegyndt indsats" is part of what the effect measures;
- cross-references (class "henvisning"): a table's "Nr." that leads to its entry, a short
  citation that leads to its source in "Kilder";
- identifiers in the letter's letterhead (address, telephone, CVR number);
- page numbers (in the PDF).
"""

from __future__ import annotations

import html.parser
import json
import re

import pytest

from ipsreport import lineage, sources
from ipsreport.analyses import som, trial
from ipsreport.cli import trace
from ipsreport.presentation import danish, origins

MONTHS = ("januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|"
          "december")
EXEMPT = re.compile(
    r"(?:Tabel|Figur|tabel|figur)\s+\d+"  # table and figure numbers
    rf"|\d{{1,2}}\.\s+(?:{MONTHS})\s+\d{{4}}"  # dates
    rf"|(?:{MONTHS})\s+\d{{4}}|\d\.\s+kvartal\s+\d{{4}}"
    r"|\(\d{4}\)"  # a short citation's year: Christensen m.fl. (2019)
    r"|\b\d{4}-\d{2}\b"  # a budget season (2016-17)
    r"|\b[A-ZÆØÅ]{2,}-?\d+[A-Z]*\b"  # names with a number: BI3, IPS-25, FOLK1A
    r"|budgetforslag\s+\d{4}"  # a document's name that holds its year
    r"|(?:foråret|efteråret|sommeren|vinteren)\s+\d{4}"  # a season of a year
    r"|kommunekode\s+\d{3}"  # a municipality's official code: an identifier
    r"|§\s*\d+"  # a paragraph of the agreement
    r"|95\s+pct\.-(?:konfidens)?intervall?e?r?"  # the method's name
    r"|1\.000\s+kr\."  # the unit of a budget table: "1.000 kr."
    r"|\b\d{1,2}\.\d{2}\b"  # a budget account (bevilling 35.10): no Danish number
)
DIGITS = re.compile(r"\d[\d.,]*")
# The letterhead, a cross-reference, a figure's definition; and a traced number (a link to
# its entry in "Tal og kilder" whose title is its account), which the scan marks so.
TRACED = "traced number"
EXEMPT_CLASSES = {TRACED, "letterhead", "henvisning", "definition"}


class _Untraced(html.parser.HTMLParser):
    """The numbers in a page's body that carry no lineage, with some context each."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, set[str], str | None]] = []
        self.found: list[str] = []
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("meta", "br", "img", "link", "hr", "input", "col"):
            return
        values = dict(attrs)
        classes = set((values.get("class") or "").split())
        if tag == "a" and (values.get("href") or "").startswith("#tal-") and values.get("title"):
            classes.add(TRACED)
        self.stack.append((tag, classes, values.get("id")))
        if values.get("id") in ("kilder", "tal-og-kilder"):
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        while self.stack and self.stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        skipped = {"head", "script", "style", "title", "header"}
        if self.done or any(tag in skipped for tag, _, _ in self.stack):
            return
        if any(classes & EXEMPT_CLASSES for _, classes, _ in self.stack):
            return
        text = EXEMPT.sub(" ", re.sub(r"«[^»]*»", " ", data))
        self.found += [text[max(0, m.start() - 30): m.end() + 20].strip()
                       for m in DIGITS.finditer(text)]


def untraced(page: str) -> list[str]:
    scan = _Untraced()
    scan.feed(page)
    return scan.found


# -- the mechanism, without a render ------------------------------------------------------


def test_arithmetic_on_source_figures_keeps_their_lineage() -> None:
    data = sources.load()
    pooled = trial.pooled_share(data)
    assert isinstance(pooled, lineage.TracedFloat)
    ids = [leaf.id for leaf in lineage.leaves(pooled.node) if isinstance(leaf, lineage.Figure)]
    assert ids == ["trial.ips.share_18m", "trial.ips.n", "trial.ipse.share_18m", "trial.ipse.n"]
    shown = danish.pct(pooled)
    assert isinstance(shown, origins.Number) and shown == "59,5 pct."
    said = origins.short(shown.node, data)
    assert "(59,9 × 243 + 59,1 × 238) / (243 + 238)" in said
    assert "Christensen" in said


def test_plain_numbers_stay_plain_text() -> None:
    assert type(danish.pct(59.5)) is str
    assert danish.pct(59.5) == "59,5 pct."


def test_a_parameter_shows_as_a_parameter() -> None:
    deltagere = lineage.traced(100, lineage.Parameter("deltagere", 100))
    data = sources.load()
    total = data.value("healthecon.ips.saving_per_person") * deltagere
    said = origins.short(danish.kr(total).node, data)  # type: ignore[attr-defined]
    assert "deltagere = 100" in said and "72.000 kr." in said


def test_the_scan_finds_a_number_without_lineage() -> None:
    page = ('<html><head><title>2</title></head><body><p>Tabel 1 viser '
            '<a href="#tal-1" title="Beregnet: 59,9 og 59,1">59,5 pct.</a> og 46,5 pct. '
            '«13 pct.» 20. december 2018 IPS-25 og <a href="#tal-2">7</a>.</p></body></html>')
    # a link to an entry without its account is no traced number
    assert [found.split()[0] for found in untraced(page)] == ["og", "7"]


@pytest.fixture
def document(monkeypatch: pytest.MonkeyPatch) -> sources.SourceData:
    """A document under way, as ``brief.setup`` starts one (and none after the test)."""
    monkeypatch.setattr(origins, "_document", None)
    data = sources.load()
    origins.start(data)
    return data


def test_text_keeps_its_spaces_beside_a_linked_number(document: sources.SourceData) -> None:
    shown = danish.number(document.value("trial.ips.n"))
    text = origins.markdown(f"i alt {shown} deltagere.")
    # the link only: the links filter gives it its title, from the appendix's JSON
    assert text == "i alt [243](#tal-1) deltagere\\."


def test_a_models_results_share_one_entry_with_every_input(
    document: sources.SourceData,
) -> None:
    scenario = som.Scenario.from_data(document)
    result = som.run(scenario)
    rows = som.sensitivity(scenario)
    origins.markdown(f"{danish.mio_kr(result.net_present_value)} og "
                     f"{danish.thousands(result.by_year['cost'].iloc[0] / 1000)} og "
                     f"{danish.mio_kr(rows[0].low_npv)}")
    record = trace.numbers_of(origins.appendix().encode())
    assert record is not None
    [entry] = record["numbers"]
    assert entry["text"] == "Tal fra ipsreports illustration efter SØM's metode"
    names = {item.get("id") or item.get("name") for item in entry["inputs"]}
    # the scenario's figures, and the setting by which the sensitivity case moved one
    assert {"som.example.effect", "som.price.kommune", "som_sensitivity_wide"} <= names


def test_an_assumption_is_called_ours_not_stated(document: sources.SourceData) -> None:
    price = document.value("som.price.kommune")
    told = origins.account(danish.kr(price), price.node, document)  # type: ignore[attr-defined]
    assert told["how"] == "ipsreports antagelse, ikke et tal fra kilderne"
    assert told["inputs"][0]["cited"] is None
    stated = document.value("trial.ips.n")
    told = origins.account("243", stated.node, document)  # type: ignore[attr-defined]
    assert told["how"] == "angivet i kilden"


def test_many_figures_from_one_source_read_as_one_line_and_the_json_lists_each(
    document: sources.SourceData,
) -> None:
    codes = [m.kommunekode for m in document.municipalities][:7]
    populations = [document.value(f"population.{code}") for code in codes]
    origins.markdown(f"{danish.number(lineage.total(populations))}")
    text = origins.appendix()
    said = "beregnet: summen af 7 tal. Indgår: 7 tal: Folketal den 1. januar 2025"
    assert said in text
    record = trace.numbers_of(text.encode())
    assert record is not None
    [entry] = record["numbers"]
    assert [item["id"] for item in entry["inputs"]] == [f"population.{c}" for c in codes]
    assert [item["value"] for item in entry["inputs"]] == [float(p) for p in populations]
    assert {item["source"] for item in entry["inputs"]} <= set(record["sources"])
    # The file carries each figure once, and the sum names them by id.
    carried = json.loads(re.search(r'id="ipsreport-tal">(.*?)</script>', text,
                                   flags=re.S).group(1))  # type: ignore[union-attr]
    assert sorted(carried["figures"]) == sorted(f"population.{c}" for c in codes)
    assert carried["numbers"][0]["inputs"][0] == {"kind": "figure", "id": f"population.{codes[0]}"}
