"""Reproducible bytes: the same brief, parameters and data give the same PDF, HTML and docx, in
any output folder and at any time; with SOURCE_DATE_EPOCH set, that is the PDF's date.

``reports/findings.qmd`` (tables and a matplotlib figure) is rendered twice through the
command line, each in a process of its own with a different PYTHONHASHSEED (so set and
dict order in the renderer cannot leak into the output), into two different folders, more
than a second apart, each on a kernel of its own.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import matplotlib
import pypdf
import pytest

from ipsreport import ooxml
from ipsreport.paths import PROJECT_ROOT
from ipsreport.render import Document, read_brief, write
from ipsreport.render._convert import normalise_png, normalise_svg
from ipsreport.render._write import pandoc_metadata

matplotlib.use("agg")
import matplotlib.pyplot as plt

pytestmark = pytest.mark.render  # end to end: real kernels, Pandoc, Typst

FINDINGS = PROJECT_ROOT / "reports" / "findings.qmd"
TINY = Path(__file__).parent / "fixtures" / "trust" / "tiny.qmd"
EPOCH = 1_700_000_000  # 2023-11-14 22:13:20 UTC


def _cli_render(output_dir: Path, seed: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "SOURCE_DATE_EPOCH"}
    env["PYTHONHASHSEED"] = seed
    return subprocess.run(
        [sys.executable, "-c", "from ipsreport.cli import main; main()", "render",
         str(FINDINGS), "--to", "html,pdf,docx", "--output-dir", str(output_dir)],
        capture_output=True, text=True, check=False, cwd=PROJECT_ROOT, env=env,
    )


@pytest.fixture(scope="module")
def two_renders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    first = tmp_path_factory.mktemp("first")
    second = tmp_path_factory.mktemp("second") / "elsewhere" / "deeper"
    for folder, seed in ((first, "1"), (second, "2")):
        result = _cli_render(folder, seed)
        assert result.returncode == 0, result.stderr
        time.sleep(1.1)  # a second later: any clock in the output would show
    return first, second


@pytest.mark.parametrize("name", ["findings.html", "findings.pdf", "findings.docx"])
def test_rendering_twice_gives_identical_bytes(two_renders: tuple[Path, Path], name: str) -> None:
    first, second = two_renders
    assert (first / name).read_bytes() == (second / name).read_bytes()


def test_without_source_date_epoch_the_pdf_has_no_date(two_renders: tuple[Path, Path]) -> None:
    info = pypdf.PdfReader(two_renders[0] / "findings.pdf").metadata
    assert info is not None
    assert "/CreationDate" not in info and "/ModDate" not in info
    assert b"CreateDate" not in (two_renders[0] / "findings.pdf").read_bytes()


def test_without_source_date_epoch_the_docx_has_no_date(two_renders: tuple[Path, Path]) -> None:
    with zipfile.ZipFile(two_renders[0] / "findings.docx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert archive.namelist()[0] == "[Content_Types].xml"
        core = archive.read("docProps/core.xml").decode("utf-8")
    assert "dcterms:created" not in core and "dcterms:modified" not in core


def test_outputs_hold_no_paths_of_the_build(two_renders: tuple[Path, Path]) -> None:
    first, _ = two_renders
    pdf = pypdf.PdfReader(first / "findings.pdf")
    texts = {
        "html": (first / "findings.html").read_text(encoding="utf-8"),
        "pdf text": " ".join(page.extract_text() for page in pdf.pages),
        "pdf metadata": repr(dict(pdf.metadata or {})),
        **{f"docx {name}": data.decode("utf-8", "replace")
           for name, data in ooxml.members((first / "findings.docx").read_bytes())},
    }
    for where, text in texts.items():
        assert not re.search(r"ipsreport-build-(?!sha256)", text), where  # the build folder
        assert tempfile.gettempdir() + os.sep not in text, where
        assert str(PROJECT_ROOT) not in text, where


def test_figures_carry_no_text_or_time_chunks(two_renders: tuple[Path, Path]) -> None:
    html = (two_renders[0] / "findings.html").read_text(encoding="utf-8")
    images = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", html)
    assert images
    for image in images:
        assert _png_chunks(base64.b64decode(image)) & {b"tEXt", b"zTXt", b"iTXt", b"tIME"} == set()


# -- SOURCE_DATE_EPOCH ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny() -> Document:
    """The small brief's converted document (no kernel needed for writing it again)."""
    return Document(brief=read_brief(TINY), params={}, markdown="I Odense kom det i job.\n")


def test_source_date_epoch_is_the_pdf_date(
    tiny: Document, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    first = write(tiny, tmp_path / "a")
    time.sleep(1.1)
    second = write(tiny, tmp_path / "b")
    assert [o.sha256 for o in first] == [o.sha256 for o in second]
    info = pypdf.PdfReader(first[1].path).metadata
    assert info is not None
    assert info["/CreationDate"] == "D:20231114221320Z"
    assert info.creation_date == dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)
    # and another epoch gives another date, nothing else in the HTML changes
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH + 86_400))
    third = write(tiny, tmp_path / "c")
    assert third[0].sha256 == first[0].sha256
    later = pypdf.PdfReader(third[1].path).metadata
    assert later is not None and later["/CreationDate"] == "D:20231115221320Z"


def test_source_date_epoch_must_be_a_number(
    tiny: Document, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ipsreport.errors import IpsreportError

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "i går")
    with pytest.raises(IpsreportError, match="SOURCE_DATE_EPOCH must be a whole number"):
        write(tiny, tmp_path / "out", formats=["pdf"])
    assert not (tmp_path / "out").exists()


def test_date_today_means_source_date_epoch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    qmd = tmp_path / "dato.qmd"
    qmd.write_text('---\ntitle: "Dato"\ndate: today\n---\n\nTekst.\n', encoding="utf-8")
    document = Document(brief=read_brief(qmd), params={}, markdown="Tekst.\n")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(EPOCH))
    assert pandoc_metadata(document, "html")["date"] == "14. november 2023"


# -- images ---------------------------------------------------------------------------------


def _figure_bytes(fmt: str, **kwargs: object) -> bytes:
    figure, axes = plt.subplots(figsize=(3, 2))
    axes.plot([1, 2, 3], marker="o")
    axes.bar([1, 2], [2, 3], hatch="//")
    axes.imshow([[1, 2], [3, 4]], extent=(0, 1, 0, 1))
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, **kwargs)  # type: ignore[arg-type]
    plt.close(figure)
    return buffer.getvalue()


def test_png_text_and_time_chunks_are_dropped() -> None:
    raw = _figure_bytes("png", metadata={"Software": "x", "Creation Time": "nu", "Title": "t"})
    assert {b"tEXt"} <= _png_chunks(raw)
    clean = normalise_png(raw)
    assert _png_chunks(clean) & {b"tEXt", b"zTXt", b"iTXt", b"tIME"} == set()
    assert _png_chunks(clean) >= {b"IHDR", b"IDAT", b"IEND"}
    from PIL import Image

    with Image.open(io.BytesIO(clean)) as image:  # still a valid PNG, same pixels
        image.load()
        with Image.open(io.BytesIO(raw)) as original:
            assert image.tobytes() == original.tobytes()
    assert normalise_png(b"not a png") == b"not a png"


def test_svg_dates_and_random_ids_are_normalised() -> None:
    first = _figure_bytes("svg").decode("utf-8")
    time.sleep(1.1)
    second = _figure_bytes("svg").decode("utf-8")
    assert first != second  # matplotlib: a date and uuid-salted ids
    assert normalise_svg(first) == normalise_svg(second)
    clean = normalise_svg(first)
    assert "<metadata>" not in clean
    ids = set(re.findall(r'id="([^"]+)"', clean))
    references = set(re.findall(r'(?:href="#|url\(#)([^")]+)', clean))
    assert references and references <= ids  # every reference still points at its element


def _png_chunks(data: bytes) -> set[bytes]:
    chunks: set[bytes] = set()
    offset = 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        chunks.add(data[offset + 4 : offset + 8])
        offset += 12 + length
    return chunks
