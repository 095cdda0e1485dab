"""Under a real Quarto: the outputs (HTML, PDF and docx) carry the same provenance record
as the built-in renderer's, sealed, so ``ipsreport verify`` answers for them too. Skipped
where no quarto is on PATH (CI's machines have none; ../shared/tools/build-quarto builds
one)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from ipsreport.cli import main
from ipsreport.paths import PROJECT_ROOT
from ipsreport.render._verify import read_record

pytestmark = [
    pytest.mark.render,
    pytest.mark.skipif(shutil.which("quarto") is None, reason="no quarto on PATH"),
]
BRIEF = PROJECT_ROOT / "reports" / "health-economics.qmd"


@pytest.fixture(scope="module")
def quarto_outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("quarto")
    env = {**os.environ, "QUARTO_PYTHON": sys.executable}
    outputs = {}
    for fmt, to in (("html", "html"), ("pdf", "typst"), ("docx", "docx")):
        subprocess.run(["quarto", "render", str(BRIEF), "--to", to, "-P", "deltagere:40",
                        "--output-dir", str(folder)],
                       cwd=PROJECT_ROOT, env=env, check=True, capture_output=True, timeout=300)
        outputs[fmt] = folder / "reports" / f"{BRIEF.stem}.{fmt}"
    return outputs


def test_quarto_outputs_carry_the_record_and_are_current(
    quarto_outputs: dict[str, Path],
) -> None:
    for path in quarto_outputs.values():
        record = read_record(path)
        assert record is not None
        assert record["ipsreport-engine"] == "quarto"
        assert record["ipsreport-brief"] == "reports/health-economics.qmd"
        assert record["ipsreport-params"] == '{"deltagere":40}'
        result = CliRunner().invoke(main, ["verify", str(path)])
        assert (result.exit_code, result.output) == (0, "current\n")


def test_quartos_docx_has_the_house_style_and_the_same_bytes_again(
    quarto_outputs: dict[str, Path], tmp_path: Path
) -> None:
    import docx

    document = docx.Document(str(quarto_outputs["docx"]))
    assert document.core_properties.language == "da-DK"
    assert document.styles["Normal"].font.name == "IBM Plex Sans"
    assert 'w:instr=" PAGE "' in document.sections[0].footer._element.xml
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 2"]
    assert headings[-2:] == ["Kilder", "Tal og kilder"]
    # post-render made it reproducible: a second render elsewhere gives the same bytes
    env = {**os.environ, "QUARTO_PYTHON": sys.executable}
    subprocess.run(["quarto", "render", str(BRIEF), "--to", "docx", "-P", "deltagere:40",
                    "--output-dir", str(tmp_path)], cwd=PROJECT_ROOT, env=env, check=True,
                   capture_output=True, timeout=300)
    again = tmp_path / "reports" / f"{BRIEF.stem}.docx"
    assert again.read_bytes() == quarto_outputs["docx"].read_bytes()


def test_a_quarto_output_changed_after_rendering_is_modified(
    quarto_outputs: dict[str, Path], tmp_path: Path
) -> None:
    page = quarto_outputs["html"].read_bytes()
    edited = tmp_path / "health-economics.html"
    edited.write_bytes(page.replace(b"72.000", b"82.000", 1))
    assert CliRunner().invoke(main, ["verify", str(edited)]).exit_code == 4


def test_ipsreport_render_with_the_quarto_engine(tmp_path: Path) -> None:
    env = {"QUARTO_PYTHON": sys.executable}
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["render", "--engine", "quarto", str(BRIEF), "-P",
                                       "deltagere:40", "--output-dir", str(out)], env=env)
    assert result.exit_code == 0, result.output
    names = ["health-economics-deltagere-40.html", "health-economics-deltagere-40.pdf"]
    assert result.output.split() == [str(out / name) for name in names]
    entries = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    for name in names:
        assert entries[name]["engine"] == "quarto"
        assert entries[name]["params"] == {"deltagere": 40}  # an int, as validated
        verdict = CliRunner().invoke(main, ["verify", str(out / name)])
        assert (verdict.exit_code, verdict.output) == (0, "current\n")


def test_quarto_outputs_carry_the_numbers_accounts_of_the_built_in_renderer(
    quarto_outputs: dict[str, Path], tmp_path: Path
) -> None:
    # The same brief and parameter under the built-in renderer: the same traced numbers,
    # the same accounts, from Quarto's HTML and from its PDF.
    result = CliRunner().invoke(main, ["render", str(BRIEF), "-P", "deltagere:40", "--to",
                                       "html", "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    built_in = tmp_path / "health-economics-deltagere-40.html"
    traced = [json.loads(CliRunner().invoke(main, ["trace", str(path), "--json"]).output)
              for path in (built_in, quarto_outputs["html"], quarto_outputs["pdf"])]
    assert traced[0] == traced[1] == traced[2]
    assert any("deltagere = 40" in n["how"] for n in traced[0]["numbers"])
    page = quarto_outputs["html"].read_text(encoding="utf-8")
    assert re.search(r'<a href="#tal-\d+"\s+title="[^"]+">', page) and 'id="tal-og-kilder"' in page
