"""Provenance in every output, and ``ipsreport verify`` reading it back.

One render of a small brief, with a parameter full of characters that mean something in
HTML, Typst, Markdown and JSON, is shared by the module (one kernel start).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pypdf
import pytest
import typst
from click.testing import CliRunner

from ipsreport import provenance
from ipsreport.cli import main
from ipsreport.paths import PROJECT_ROOT
from ipsreport.render import Output, render, verify
from ipsreport.render._verify import html_record, pdf_record, read_record

pytestmark = pytest.mark.render  # end to end: real kernels, Pandoc, Typst

TINY = Path(__file__).parent / "fixtures" / "trust" / "tiny.qmd"
HOSTILE = 'Ring "Ø" \\ #fed $x$ <script>alert(1)</script>\nny linje, ipsreport-brief=x'
PARAMS = {"navn": HOSTILE}


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("verify")
    written: list[Output] = render(TINY, PARAMS, output_dir=folder)
    return {output.format: output.path for output in written}


def _verify(path: Path, *args: str) -> Any:
    return CliRunner().invoke(main, ["verify", str(path), *args])


# -- what the outputs record ----------------------------------------------------------------


def test_both_outputs_record_the_provenance_of_their_brief_and_parameters(
    outputs: dict[str, Path],
) -> None:
    expected = provenance.of(TINY, PARAMS).fields()
    assert expected["ipsreport-params"] == provenance.canonical(PARAMS)
    assert expected["ipsreport-brief"] == "tests/fixtures/trust/tiny.qmd"
    assert expected["ipsreport-engine"] == "builtin"
    sealed = {}
    for fmt, path in outputs.items():
        record = read_record(path)
        assert record is not None
        sealed[fmt] = record.pop("ipsreport-content-sha256")
        assert record == {k: v for k, v in expected.items() if k != "ipsreport-content-sha256"}
    # Each file's content digest is its own, and not the placeholder it was written with.
    assert len(set(sealed.values())) == 2
    assert provenance.PLACEHOLDER not in sealed.values()
    assert json.loads(expected["ipsreport-params"]) == PARAMS  # every character survives


def test_pdf_metadata_fields(outputs: dict[str, Path]) -> None:
    info = pypdf.PdfReader(io.BytesIO(outputs["pdf"].read_bytes())).metadata
    assert info is not None
    assert info["/Title"] == "Lille brief"
    assert info["/Author"] == "ipsreport"
    assert info["/Subject"] == "ipsreport-params=" + provenance.canonical(PARAMS)
    keywords = str(info["/Keywords"]).split(", ")
    assert keywords[0] == "ipsreport-version=0.1.0"
    assert keywords[1] == "ipsreport-engine=builtin"
    assert keywords[2].startswith("ipsreport-build-sha256=")
    assert keywords[-1] == "ipsreport-brief=tests/fixtures/trust/tiny.qmd"


def test_html_meta_tags_are_escaped_attributes(outputs: dict[str, Path]) -> None:
    text = outputs["html"].read_text(encoding="utf-8")
    head = text[: text.index("</head>")]
    assert '<meta name="ipsreport-params" content="{&quot;navn&quot;:&quot;Ring \\&quot;' in head
    assert "<script>" not in text  # neither in the head nor in the prose
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in head


def test_record_readers_accept_only_ipsreport_records() -> None:
    assert html_record("<html><head><meta name='author' content='x'></head></html>") is None
    assert pdf_record(b"%PDF-1.7 not really") is None
    assert html_record('<meta name="ipsreport-brief" content="a">') == {"ipsreport-brief": "a"}


# -- ipsreport verify -----------------------------------------------------------------------


def test_a_fresh_render_is_current(outputs: dict[str, Path]) -> None:
    for path in outputs.values():
        result = _verify(path)
        assert (result.exit_code, result.output) == (0, "current\n")


def test_changed_data_makes_it_stale_naming_data(
    outputs: dict[str, Path],
    changed_data: Callable[[dict[str, object]], Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unchanged = changed_data({})
    monkeypatch.setenv("IPSREPORT_DATA_DIR", str(unchanged))
    assert _verify(outputs["pdf"]).output == "current\n"  # a copy with the same bytes
    changed_data({"trial.published.ips_share_18m": 61.0})
    for path in outputs.values():
        result = _verify(path)
        assert (result.exit_code, result.output) == (1, "stale: data\n")


def test_data_dir_option(outputs: dict[str, Path], tmp_path: Path) -> None:
    result = _verify(outputs["html"], "--data-dir", str(tmp_path))  # an empty folder
    assert (result.exit_code, result.output) == (1, "stale: data\n")


@pytest.mark.parametrize(
    ("function", "value", "named"),
    [
        ("brief_digest", lambda *_args, **_kwargs: "0" * 64, "brief"),
        ("code_digest", lambda: "0" * 64, "code"),
        ("templates_digest", lambda: "0" * 64, "templates"),
        ("tool_versions", lambda *_args: {"ipsreport": "0.1.0", "pandoc": "9.9", "typst": "0.1"},
         "tools"),
    ],
)
def test_stale_names_what_changed(
    outputs: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    function: str,
    value: Callable[..., Any],
    named: str,
) -> None:
    monkeypatch.setattr(provenance, function, value)
    result = _verify(outputs["pdf"])
    assert (result.exit_code, result.output) == (1, f"stale: {named}\n")


def test_several_changes_are_all_named(
    outputs: dict[str, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(provenance, "code_digest", lambda: "0" * 64)
    monkeypatch.setenv("IPSREPORT_DATA_DIR", str(tmp_path))
    assert _verify(outputs["html"]).output == "stale: data, code\n"


def test_a_brief_that_is_gone(outputs: dict[str, Path], tmp_path: Path) -> None:
    # A project in which the output's brief does not exist (any more).
    verdict = verify(outputs["html"], project_root=tmp_path)
    assert (verdict.exit_status, verdict.line) == (1, "stale: brief")


# -- files changed after rendering ----------------------------------------------------------


def _changed(path: Path, old: bytes, new: bytes, tmp_path: Path) -> Path:
    data = path.read_bytes()
    assert data.count(old) >= 1
    changed = tmp_path / path.name
    changed.write_bytes(data.replace(old, new, 1))
    return changed


def test_a_number_edited_in_the_html_is_modified_not_current(
    outputs: dict[str, Path], tmp_path: Path
) -> None:
    edited = _changed(outputs["html"], b"59,5", b"69,5", tmp_path)
    result = _verify(edited)
    assert result.exit_code == 4
    assert result.output.startswith("modified: ")


def test_a_byte_flipped_in_the_pdf_is_modified_not_current(
    outputs: dict[str, Path], tmp_path: Path
) -> None:
    data = bytearray(outputs["pdf"].read_bytes())
    data[len(data) // 2] ^= 0x01  # somewhere in the page content, far from the metadata
    flipped = tmp_path / "flipped.pdf"
    flipped.write_bytes(bytes(data))
    assert _verify(flipped).exit_code == 4


def test_a_record_copied_into_another_file_is_modified_not_current(
    outputs: dict[str, Path], tmp_path: Path
) -> None:
    page = outputs["html"].read_text(encoding="utf-8")
    head = page[: page.index("</head>")]
    forged = tmp_path / "forged.html"
    forged.write_text(head + "</head><body><p>Alt er godt.</p></body></html>\n", "utf-8")
    assert _verify(forged).exit_code == 4


# -- files ipsreport did not make -----------------------------------------------------------


def _typst_pdf(folder: Path) -> Path:
    source = folder / "plain.typ"
    source.write_text(
        '#set document(title: "Ikke ipsreport", keywords: ("ipsreport-version=0.1.0",))\n'
        "= Hej\n\nEn PDF lavet direkte med Typst.\n",
        encoding="utf-8",
    )
    pdf = folder / "plain.pdf"
    pdf.write_bytes(typst.compile(str(source)))
    return pdf


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(_typst_pdf, id="typst-pdf"),
        pytest.param(
            lambda folder: _write(folder / "page.html", "<!DOCTYPE html><title>x</title><p>y"),
            id="other-html",
        ),
        pytest.param(
            lambda folder: _write(
                folder / "half.html",
                '<meta name="ipsreport-version" content="0.1.0">'
                '<meta name="ipsreport-brief" content="reports/findings.qmd">',
            ),
            id="html-without-build-digest",
        ),
        pytest.param(
            lambda folder: _write(
                folder / "bad-params.html",
                '<meta name="ipsreport-build-sha256" content="ab">'
                '<meta name="ipsreport-brief" content="reports/findings.qmd">'
                '<meta name="ipsreport-params" content="[1, 2]">',
            ),
            id="params-not-a-mapping",
        ),
        pytest.param(lambda folder: _write(folder / "empty.pdf", ""), id="empty-file"),
        pytest.param(
            lambda folder: _write_bytes(folder / "image.png", b"\x89PNG\r\n\x1a\n\xff\xfe"),
            id="binary",
        ),
    ],
)
def test_not_made_by_ipsreport(make: Callable[[Path], Path], tmp_path: Path) -> None:
    result = _verify(make(tmp_path))
    assert (result.exit_code, result.output) == (3, "not made by ipsreport\n")


def test_a_truncated_ipsreport_pdf_is_not_recognised(
    outputs: dict[str, Path], tmp_path: Path
) -> None:
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(outputs["pdf"].read_bytes()[:2000])
    result = _verify(cut)
    assert (result.exit_code, result.output) == (3, "not made by ipsreport\n")


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = _verify(tmp_path / "nothing.pdf")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_verify_is_registered_with_help() -> None:
    result = CliRunner().invoke(main, ["verify", "--help"])
    assert result.exit_code == 0
    assert "not made by ipsreport" in result.output
    assert str(PROJECT_ROOT) not in result.output


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _write_bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
