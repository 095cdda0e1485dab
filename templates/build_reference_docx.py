"""Build ``templates/reference.docx``: the house style of every Word document ipsreport writes.

Pandoc's docx writer (the built-in renderer's, and Quarto's ``docx`` format through
``_quarto.yml``'s ``reference-doc``) takes the styles, the page and the footer of a document
from this reference document and the text from the brief. The look follows the PDF's
(``typst-template.typ``): IBM Plex Sans (Word falls back to Arial where it is not
installed), 10,5 pt text, navy headings, A4 with the PDF's margins, "Side N af M" in the
footer, and Danish (da-DK) as the language of every style, so Word's spelling and
hyphenation are Danish.

It starts from Pandoc's own reference document (which has every style Pandoc's writer
uses) and changes it with python-docx (a test dependency). Run it again after changing
it, with the package installed, and commit the result::

    python3 templates/build_reference_docx.py

The file it writes is reproducible (fixed member order, times and compression).
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import docx
import pypandoc
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from ipsreport import ooxml

TARGET = Path(__file__).with_name("reference.docx")
FONT = "IBM Plex Sans"
FALLBACK = "Arial"
LANGUAGE = "da-DK"
NAVY = RGBColor(0x00, 0x2B, 0x45)
TEXT = RGBColor(0x14, 0x14, 0x14)
MUTED = RGBColor(0x5A, 0x5A, 0x5A)

# Styles for the blocks a brief marks with a class (ipsreport/render/docx.lua gives a div
# of class C the style C when it is one of these): the letter's sender block and note.
CLASS_STYLES = {
    "recipient": "Modtager i brev",
    "sender": "Afsender i brev",
    "letter-note": "Note i brev",
}


def pandoc_reference() -> bytes:
    pandoc = pypandoc.get_pandoc_path()
    return subprocess.run([pandoc, "--print-default-data-file", "reference.docx"],
                          capture_output=True, check=True).stdout


def _fonts(element: object, name: str) -> None:
    """Every script of a run's fonts set to ``name`` (python-docx sets two of four)."""
    r_pr = element.get_or_add_rPr()  # type: ignore[attr-defined]
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), name)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:cstheme", "w:eastAsiaTheme"):
        fonts.attrib.pop(qn(attribute), None)


def _language(document: docx.document.Document) -> None:
    """da-DK in the document defaults (every style inherits it) and in the settings."""
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    r_pr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = r_pr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        r_pr.append(lang)
    for attribute in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attribute), LANGUAGE)
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for attribute in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attribute), FONT)
    for attribute in list(fonts.attrib):
        if attribute.endswith("Theme"):
            del fonts.attrib[attribute]
    settings = document.settings.element
    theme_lang = settings.find(qn("w:themeFontLang"))
    if theme_lang is None:
        theme_lang = OxmlElement("w:themeFontLang")
        settings.append(theme_lang)
    theme_lang.set(qn("w:val"), LANGUAGE)


def _style(document: docx.document.Document, name: str, *, size: float | None = None,
           color: RGBColor | None = None, bold: bool | None = None,
           before: float | None = None, after: float | None = None) -> None:
    style = document.styles[name]
    font = style.font
    _fonts(style.element, FONT)
    if size is not None:
        font.size = Pt(size)
    if color is not None:
        font.color.rgb = color
    if bold is not None:
        font.bold = bold
    paragraph = getattr(style, "paragraph_format", None)
    if paragraph is not None:
        if before is not None:
            paragraph.space_before = Pt(before)
        if after is not None:
            paragraph.space_after = Pt(after)


def _class_styles(document: docx.document.Document) -> None:
    from docx.enum.style import WD_STYLE_TYPE

    for name in CLASS_STYLES.values():
        style = document.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = document.styles["Body Text"]
        style.quick_style = True
    recipient = document.styles[CLASS_STYLES["recipient"]]
    recipient.paragraph_format.space_after = Pt(18)
    sender = document.styles[CLASS_STYLES["sender"]]
    sender.font.size = Pt(8.5)
    sender.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    sender.paragraph_format.space_after = Pt(6)
    note = document.styles[CLASS_STYLES["letter-note"]]
    note.font.size = Pt(8.5)
    note.paragraph_format.space_before = Pt(14)


def _page(document: docx.document.Document) -> None:
    """A4 portrait with the PDF's margins, and "Side N af M" in the footer."""
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(24)
    section.top_margin, section.bottom_margin = Mm(26), Mm(24)
    section.footer_distance = Mm(10)
    footer = section.footer
    footer.is_linked_to_previous = False
    paragraph = footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for text, field in (("Side ", "PAGE"), (" af ", "NUMPAGES")):
        run = paragraph.add_run(text)
        run.font.size, run.font.color.rgb = Pt(8), MUTED
        simple = OxmlElement("w:fldSimple")
        simple.set(qn("w:instr"), f" {field} ")
        field_run = OxmlElement("w:r")
        r_pr = OxmlElement("w:rPr")
        size = OxmlElement("w:sz")
        size.set(qn("w:val"), "16")
        r_pr.append(size)
        field_run.append(r_pr)
        text_element = OxmlElement("w:t")
        text_element.text = "1"
        field_run.append(text_element)
        simple.append(field_run)
        paragraph._p.append(simple)


def _font_table(data: bytes) -> bytes:
    """IBM Plex Sans in the font table, as a sans-serif that Word may replace by Arial."""
    members = dict(ooxml.members(data))
    table = members["word/fontTable.xml"].decode("utf-8")
    if f'w:name="{FONT}"' not in table:
        entry = (f'<w:font w:name="{FONT}"><w:altName w:val="{FALLBACK}"/>'
                 '<w:panose1 w:val="020B0503050203000203"/><w:charset w:val="00"/>'
                 '<w:family w:val="swiss"/><w:pitch w:val="variable"/></w:font>')
        table = table.replace("</w:fonts>", entry + "</w:fonts>")
    members["word/fontTable.xml"] = table.encode("utf-8")
    return ooxml.write(list(members.items()))


def build() -> bytes:
    document = docx.Document(io.BytesIO(pandoc_reference()))
    _language(document)
    _style(document, "Normal", size=10.5, color=TEXT)
    _style(document, "Body Text", before=0, after=7)
    _style(document, "First Paragraph", before=0, after=7)
    _style(document, "Compact", before=0, after=2)
    _style(document, "Title", size=20, color=NAVY, bold=True, after=4)
    _style(document, "Subtitle", size=13, color=MUTED, bold=False)
    for name in ("Title", "Subtitle"):  # left, as the PDF's title block
        document.styles[name].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _style(document, "Author", size=9, color=MUTED)
    _style(document, "Date", size=9, color=MUTED)
    for level, size in ((1, 12), (2, 12), (3, 10.5), (4, 10.5)):
        _style(document, f"Heading {level}", size=size, color=NAVY, bold=True,
               before=16, after=7)
    _style(document, "Table Caption", size=9.5, color=TEXT)
    _style(document, "Image Caption", size=9.5, color=TEXT)
    _style(document, "Hyperlink", color=NAVY)
    _class_styles(document)
    _page(document)
    # Pandoc's placeholder text stays in the body: its writer takes only the styles, the
    # section (page, footer) and the parts they refer to.
    document.core_properties.title = "ipsreport"
    document.core_properties.language = LANGUAGE
    buffer = io.BytesIO()
    document.save(buffer)
    return _font_table(ooxml.normalised(buffer.getvalue()))


if __name__ == "__main__":
    TARGET.write_bytes(build())
    print(f"wrote {TARGET}")
