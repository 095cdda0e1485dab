"""Accessible PDFs: Typst validates PDF/UA-1 (``pdf-standard: ua-1`` in _quarto.yml)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from ipsreport.cli import main

pytestmark = pytest.mark.render  # end to end: real kernels, Pandoc, Typst

FIXTURE = Path(__file__).parent / "fixtures" / "accessibility" / "no-alt.qmd"


def test_shipped_pdf_is_tagged_danish_and_declares_pdf_ua(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["render", "reports/health-economics.qmd", "--to", "pdf",
                                       "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    reader = PdfReader(tmp_path / "health-economics.pdf")
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "da"
    assert root["/MarkInfo"]["/Marked"]
    assert "/StructTreeRoot" in root
    xmp = root["/Metadata"].get_object().get_data().decode("utf-8")
    assert "pdfuaid:part" in xmp


def test_figure_without_alt_text_is_refused(tmp_path: Path) -> None:
    output = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", str(FIXTURE), "--to", "pdf",
                                       "--output-dir", str(output)])
    assert result.exit_code == 1
    assert "missing alt text" in result.output
    assert not output.exists() or not list(output.glob("*.pdf"))
