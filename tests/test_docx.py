"""Word documents (``--to docx``): what a municipality opens in Word, read back with
python-docx; its date; the provenance record and its seal, which ``ipsreport verify``
reads; the batch's manifest and incremental reuse. (The same bytes from two renders in two
folders and processes: tests/test_reproducible.py.)

The session's batch of the guide (HTML, PDF and docx; conftest's ``guide_batch``) is read.
"""

from __future__ import annotations

import html.parser
import io
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import docx
import pypandoc
import pytest
from click.testing import CliRunner
from docx.oxml.ns import qn
from docx.shared import Mm

from ipsreport import ooxml, provenance
from ipsreport.batch import run_batch
from ipsreport.cli import main
from ipsreport.errors import ParameterError
from ipsreport.paths import PROJECT_ROOT
from ipsreport.presentation import origins
from ipsreport.render import Document, Kernel, normalise_formats, read_brief, render, write
from ipsreport.render._docx import CORE_PART
from ipsreport.render._manifest import Manifest
from ipsreport.render._verify import read_record

pytestmark = pytest.mark.render  # end to end: real kernels, Pandoc, Typst

GUIDE = PROJECT_ROOT / "reports" / "guide.qmd"
LETTER = PROJECT_ROOT / "reports" / "minister-letter.qmd"
FINDINGS = PROJECT_ROOT / "reports" / "findings.qmd"
KOMMUNER = PROJECT_ROOT / "data" / "kommuner.csv"
TINY = Path(__file__).parent / "fixtures" / "trust" / "tiny.qmd"
DOCX_FILTER = PROJECT_ROOT / "ipsreport" / "render" / "docx.lua"
REFERENCE = PROJECT_ROOT / "templates" / "reference.docx"
CLI = [sys.executable, "-c", "from ipsreport.cli import main; main()"]


@pytest.fixture(scope="module")
def kernel() -> Iterator[Kernel]:
    """One kernel for the module's single renders (the batch has its own)."""
    with Kernel() as started:
        yield started


@pytest.fixture(scope="module")
def batch(guide_batch: Path) -> Path:
    """The session's batch of the guide (conftest): read only."""
    return guide_batch


def _source_lines(pattern: str) -> list[str]:
    """What the guide's source says, for the values a reader checks the docx against."""
    return re.findall(pattern, GUIDE.read_text(encoding="utf-8"), flags=re.MULTILINE)


class _Tables(html.parser.HTMLParser):
    """Each <table>'s rows of cell texts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, _attrs: Any) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _html_tables(path: Path) -> list[list[list[str]]]:
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.tables


def _docx_text(cell_or_paragraph: Any) -> str:
    """The text, whitespace normalised, with Pandoc's typographic apostrophe as typed."""
    text = cell_or_paragraph.text.replace("\u00a0", " ").replace("\u2019", "'")
    return " ".join(text.split())


# -- the guide in Word ---------------------------------------------------------------------


def test_the_guide_has_its_title_headings_and_captions(batch: Path) -> None:
    document = docx.Document(str(batch / "461-odense.docx"))
    paragraphs = [(p.style.name, _docx_text(p)) for p in document.paragraphs if p.text.strip()]
    assert paragraphs[0] == ("Title", read_brief(GUIDE).options["title"])
    assert [text for style, text in paragraphs if style == "Heading 2"] == \
        [*_source_lines(r"^## (.+)$"), origins.APPENDIX_TITLE]  # "Tal og kilder" comes last
    assert any(text.startswith("Odense (kommunekode 461)") for _, text in paragraphs)
    captions = [text for style, text in paragraphs if style == "Table Caption"]
    table_captions = _source_lines(r'^#\| tbl-cap: "(.+)"$')
    assert captions == [f"Tabel {n}: {cap}" for n, cap in enumerate(table_captions, 1)]
    figure_captions = [text for style, text in paragraphs if style == "Image Caption"]
    [figure_caption] = _source_lines(r'^#\| fig-cap: "(.+)"$')
    assert figure_captions == [f"Figur 1: {figure_caption}"]


def test_the_guide_tables_hold_what_the_page_shows(batch: Path) -> None:
    document = docx.Document(str(batch / "461-odense.docx"))
    in_word = [[[_docx_text(cell) for cell in row.cells] for row in table.rows]
               for table in document.tables]
    on_the_page = _html_tables(batch / "461-odense.html")
    assert len(in_word) == len(_source_lines(r"^#\| tbl-cap: ")) == 4
    assert in_word == on_the_page
    assert in_word[0][0] == ["Dimensionering", "Antal"]


def test_the_figure_has_its_alt_text(batch: Path) -> None:
    document = docx.Document(str(batch / "461-odense.docx"))
    [shape] = document.inline_shapes
    [alt] = _source_lines(r'^#\| fig-alt: "(.+)"$')
    assert shape._inline.docPr.get("descr") == alt


def test_the_guide_is_danish_a4_with_page_numbers(batch: Path) -> None:
    document = docx.Document(str(batch / "461-odense.docx"))
    assert document.core_properties.language == "da-DK"
    defaults = document.styles.element.find(qn("w:docDefaults"))
    lang = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    assert lang.get(qn("w:val")) == "da-DK"
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.5)
    assert abs(section.page_height - Mm(297)) < Mm(0.5)
    footer = section.footer._element.xml
    assert 'w:instr=" PAGE "' in footer and 'w:instr=" NUMPAGES "' in footer
    assert "Side " in footer and " af " in footer
    assert document.styles["Normal"].font.name == "IBM Plex Sans"


def test_the_letter_keeps_its_letterhead_and_note(tmp_path: Path, kernel: Kernel) -> None:
    [output] = render(LETTER, formats=("docx",), output_dir=tmp_path, kernel=kernel)
    document = docx.Document(str(output.path))
    styled = [(p.style.name, _docx_text(p)) for p in document.paragraphs if p.text.strip()]
    # Word has no blocks side by side outside a table: the sender block, right-aligned,
    # comes first, then the recipient, then the heading, as they stand on the PDF's page
    assert styled[0][0] == "Afsender i brev"
    assert styled[0][1].startswith("Beskæftigelsesministeren") and "CVR" in styled[0][1]
    assert styled[1] == ("Modtager i brev", "Beskæftigelsesudvalget")
    assert styled[2] == ("Heading 1", "Nye resultater for borgere med svære psykiske lidelser")
    assert document.styles["Afsender i brev"].paragraph_format.alignment == 2  # right
    notes = [text for style, text in styled if style == "Note i brev"]
    assert len(notes) == 1 and notes[0].startswith("Note fra ipsreport.")
    headings = [text for style, text in styled if style == "Heading 2"]
    assert headings[-2:] == ["Kilder", origins.APPENDIX_TITLE]


# -- its date -------------------------------------------------------------------------------


def test_source_date_epoch_dates_the_docx(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    document = Document(brief=read_brief(TINY), params={}, markdown="Dateret.\n")
    [output] = write(document, tmp_path, ("docx",))
    core = dict(ooxml.members(output.path.read_bytes()))[CORE_PART].decode("utf-8")
    assert '<dcterms:created xsi:type="dcterms:W3CDTF">2023-11-14T22:13:20Z</dcterms:created>' \
        in core
    assert '<dcterms:modified xsi:type="dcterms:W3CDTF">2023-11-14T22:13:20Z</dcterms:modified>'\
        in core


# -- provenance and verify -----------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_docx(tmp_path_factory: pytest.TempPathFactory, kernel: Kernel) -> Path:
    folder = tmp_path_factory.mktemp("tiny")
    [output] = render(TINY, {"navn": 'Ring "Ø" <b>&\nny'}, formats=("docx",), output_dir=folder,
                      kernel=kernel)
    return output.path


def _verify(path: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["verify", str(path)])
    return result.exit_code, result.output


def test_the_record_is_in_the_custom_properties(tiny_docx: Path) -> None:
    record = read_record(tiny_docx)
    assert record is not None
    expected = provenance.of(TINY, {"navn": 'Ring "Ø" <b>&\nny'}).fields()
    content = record.pop("ipsreport-content-sha256")
    assert record == {k: v for k, v in expected.items() if k != "ipsreport-content-sha256"}
    assert content != provenance.PLACEHOLDER and len(content) == 64
    assert _verify(tiny_docx) == (0, "current\n")
    assert docx.Document(str(tiny_docx)).core_properties.title == "Lille brief"


def _rezip(data: bytes, change: Any = None, *, stored: bool = True) -> bytes:
    buffer = io.BytesIO()
    members = ooxml.members(data)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) \
            as archive:
        for name, content in reversed(members):
            archive.writestr(name, change(name, content) if change else content)
    return buffer.getvalue()


def test_the_seal_survives_zipping_again_but_not_an_edit(tiny_docx: Path, tmp_path: Path) -> None:
    data = tiny_docx.read_bytes()
    rezipped = tmp_path / "rezipped.docx"
    rezipped.write_bytes(_rezip(data))  # other order, no compression, other times
    assert rezipped.read_bytes() != data
    assert _verify(rezipped) == (0, "current\n")

    def edit(name: str, content: bytes) -> bytes:
        return content.replace(b"pct.", b"procent") if name == "word/document.xml" \
            else content

    edited = tmp_path / "edited.docx"
    edited.write_bytes(_rezip(data, edit, stored=False))
    assert _verify(edited) == (4, "modified: its bytes are not those ipsreport wrote with its "
                                  "record\n")
    added = tmp_path / "added.docx"
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(added, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("word/extra.xml", b"<x/>")
    assert _verify(added)[0] == 4


def test_a_docx_from_elsewhere_is_not_made_by_ipsreport(tmp_path: Path) -> None:
    other = tmp_path / "other.docx"
    docx.Document().save(str(other))
    assert _verify(other) == (3, "not made by ipsreport\n")
    junk = tmp_path / "junk.docx"
    junk.write_bytes(b"PK\x03\x04 not a zip at all")
    assert _verify(junk) == (3, "not made by ipsreport\n")


# -- the batch: manifest, reuse, index -----------------------------------------------------


def test_the_batch_records_each_docx_and_reuses_it(batch: Path, tmp_path: Path) -> None:
    batch = Path(shutil.copytree(batch, tmp_path / "guide"))
    manifest = Manifest(batch)
    entry = manifest.entry("461-odense.docx")
    assert entry is not None and entry["format"] == "docx"
    assert entry["sha256"] == provenance.bytes_digest((batch / "461-odense.docx").read_bytes())
    assert entry["row"]["key"] == "461"
    again = run_batch(GUIDE, KOMMUNER, formats=("docx",), only=["101", "461", "751"],
                      output_dir=batch, progress=False)
    assert [outcome.status for outcome in again.outcomes] == ["reused from cache"] * 3
    page = (batch / "index.html").read_text(encoding="utf-8")
    assert '<a href="461-odense.docx">Word</a>' in page


# -- --to ----------------------------------------------------------------------------------


def test_to_takes_docx_and_refuses_what_it_does_not_know(tmp_path: Path) -> None:
    assert normalise_formats(["docx"]) == ("docx",)
    assert normalise_formats(["html,typst", "word"]) == ("html", "pdf", "docx")
    assert normalise_formats([]) == ("html", "pdf")  # the default stays HTML and PDF
    with pytest.raises(ParameterError, match=r"unknown format 'rtf'"):
        normalise_formats(["docx,rtf"])
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", str(TINY), "--to", "docx,rtf",
                                       "--output-dir", str(out)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [
        "ipsreport: --to: unknown format 'rtf'; choose from html, typst (pdf), docx"
    ]
    assert not out.exists()


# -- the docx filter and the reference document --------------------------------------------

_MARKDOWN = """\
---
lang: da
---

```{=html}
<div class="letterhead"><div class="recipient">Udvalget</div>
<div class="sender"><strong>Ministeren</strong><br>Vej 8</div></div>
```

```{=typst}
#grid(columns: 2)[Udvalget][Ministeren]
```

::: {.letter-note}
En note.
:::

## Tal og kilder

::: {#tal-1 .tal-kilde}
**59,5 pct.**: beregnet af 286 af 481.
:::

```{=html}
<script type="application/json" id="tal">{"numbers": [{"id": "tal-1"}]}</script>
```
"""


def _pandoc(to: str, *filters: Path) -> bytes:
    command = [pypandoc.get_pandoc_path(), "--from", "markdown", "--to", to,
               *[f"--lua-filter={f}" for f in filters]]
    if to == "docx":
        command += ["--reference-doc", str(REFERENCE), "--output", "-"]
    return subprocess.run(command, input=_MARKDOWN.encode(), capture_output=True,
                          check=True).stdout


def test_the_docx_filter_changes_nothing_but_the_docx() -> None:
    for to in ("html5", "typst"):
        assert _pandoc(to, DOCX_FILTER) == _pandoc(to)
    with_filter = dict(ooxml.members(_pandoc("docx", DOCX_FILTER)))["word/document.xml"]
    without = dict(ooxml.members(_pandoc("docx")))["word/document.xml"]
    assert b"Ministeren" not in without  # raw HTML: dropped by the docx writer
    text = with_filter.decode("utf-8")
    assert text.index("Afsenderibrev") < text.index("Ministeren") < text.index("Modtageribrev")
    assert text.index("Modtageribrev") < text.index("Udvalget") < text.index("Noteibrev")
    assert "#grid" not in text  # raw Typst is not for Word
    # an appendix of traced numbers comes through; the JSON that HTML carries for tools
    # (a script element) does not
    assert "Tal og kilder" in text and "beregnet af 286 af 481." in text
    assert '"numbers"' not in text


def test_the_reference_document_has_every_style_the_filter_gives() -> None:
    styles = re.findall(r'^\s*\["?[\w-]+"?\] = "([^"]+)",$', DOCX_FILTER.read_text("utf-8"),
                        flags=re.MULTILINE)
    assert styles == ["Modtager i brev", "Afsender i brev", "Note i brev"]
    reference = docx.Document(str(REFERENCE))
    names = {style.name for style in reference.styles}
    assert set(styles) <= names
    assert {"Title", "Heading 1", "Heading 2", "Table Caption", "Image Caption"} <= names
