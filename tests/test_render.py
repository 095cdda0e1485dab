"""The built-in renderer, end to end with the real tools: kernel, Pandoc, Typst.

Renders share one warm kernel (module-scoped fixtures), so the whole file starts a kernel
twice: once for the API renders and once for the failing brief through the command line.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest
from click.testing import CliRunner

from ipsreport.cli import main
from ipsreport.cli.render import parse_param_item
from ipsreport.errors import ParameterError, RenderError
from ipsreport.markup import markdown_text
from ipsreport.paths import PROJECT_ROOT
from ipsreport.render import (
    Document,
    Kernel,
    Output,
    convert,
    execute,
    output_stem,
    prepare,
    read_brief,
    render,
    write,
)
from ipsreport.render._convert import fenced
from ipsreport.render._output import slugify
from ipsreport.render._params import Parameter, coerce
from ipsreport.render._qmd import cell_line, cell_options, parse_qmd
from ipsreport.render._write import pandoc_metadata

FIXTURES = Path(__file__).parent / "fixtures" / "render"
KOMMUNE = FIXTURES / "kommune.qmd"
FAILS = FIXTURES / "fails.qmd"
SLOW = FIXTURES / "slow.qmd"



def _flat(text: str) -> str:
    """Whitespace (including no-break spaces and PDF line breaks) as single spaces."""
    return " ".join(text.replace("\u00a0", " ").split())


def _pdf_text(path: Path) -> str:
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    return _flat(" ".join(page.extract_text() for page in reader.pages))


def _html_text(path: Path) -> str:
    return _flat(path.read_text(encoding="utf-8"))


# -- renders shared by the tests ------------------------------------------------------------


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """IPSREPORT_DATA_DIR set for the renders (a copy of data/): the kernel must see it."""
    folder = tmp_path_factory.mktemp("data") / "data"
    shutil.copytree(PROJECT_ROOT / "data", folder)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IPSREPORT_DATA_DIR", str(folder))
        yield folder


@pytest.fixture(scope="module")
def kernel(data_dir: Path) -> Iterator[Kernel]:
    with Kernel() as running:
        yield running


@pytest.fixture(scope="module")
def document(kernel: Kernel) -> Document:
    return convert(execute(prepare(read_brief(KOMMUNE)), kernel=kernel))


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("out")


@pytest.fixture(scope="module")
def default_outputs(document: Document, out: Path) -> list[Output]:
    return write(document, out)


@pytest.fixture(scope="module")
def five_outputs(kernel: Kernel, out: Path, default_outputs: list[Output]) -> list[Output]:
    """The same brief with ``n`` = 5 given as a command-line string, on the warm kernel."""
    return render(KOMMUNE, {"n": "5"}, output_dir=out, kernel=kernel)


# -- the default render ---------------------------------------------------------------------


@pytest.mark.render
def test_default_render_writes_html_and_pdf(default_outputs: list[Output], out: Path) -> None:
    assert [(o.format, o.path.name) for o in default_outputs] == [
        ("html", "kommune.html"),
        ("pdf", "kommune.pdf"),
    ]
    for output in default_outputs:
        assert output.sha256 == hashlib.sha256(output.path.read_bytes()).hexdigest()


@pytest.mark.render
def test_html_is_danish_and_has_the_computed_values(default_outputs: list[Output]) -> None:
    html = default_outputs[0].path.read_text(encoding="utf-8")
    assert '<html lang="da">' in html
    text = _html_text(default_outputs[0].path)
    assert "I Odense er der 3 deltagere og i alt 3000 kroner." in text
    assert "Som markdown: <strong>fed</strong>." in text
    assert "Sidste afsnit med rate 0.5 og detaljer False." in text
    # self-contained: the figure is embedded, nothing is fetched
    assert 'src="data:image/png;base64,' in html
    assert "<link" not in html


@pytest.mark.render
def test_inline_text_results_cannot_inject_markup(default_outputs: list[Output]) -> None:
    text = _html_text(default_outputs[0].path)
    assert "3*4*5 [link](http://x) &lt;b&gt;fed&lt;/b&gt; @fig-plot." in text
    assert 'href="http://x"' not in text
    assert "<em>4</em>" not in text


@pytest.mark.render
def test_figures_and_tables_are_numbered_in_danish(default_outputs: list[Output]) -> None:
    html = _html_text(default_outputs[0].path)
    assert "<figcaption>Figur 1: Deltagere pr. kommune</figcaption>" in html
    assert "<caption>Tabel 1: Deltagere pr. kommune</caption>" in html
    assert "<caption>Tabel 2: Samme tabel fra pandas som HTML</caption>" in html
    assert (
        'Se <a href="#fig-plot">Figur 1</a>, <a href="#tbl-deltagere">Tabel 1</a> og '
        '<a href="#tbl-raw">Tabel 2</a>' in html
    )
    pdf = _pdf_text(default_outputs[1].path)
    assert "Se Figur 1, Tabel 1 og Tabel 2 for detaljer." in pdf
    assert "Figur 1: Deltagere pr. kommune" in pdf
    assert "Tabel 1: Deltagere pr. kommune" in pdf
    assert "Tabel 2: Samme tabel fra pandas som HTML" in pdf


@pytest.mark.render
def test_figure_alt_text(default_outputs: list[Output]) -> None:
    html = _html_text(default_outputs[0].path)
    assert 'alt="Søjlediagram over deltagere pr. kommune"' in html


@pytest.mark.render
def test_cell_options_echo_include_output(default_outputs: list[Output]) -> None:
    html = _html_text(default_outputs[0].path)
    assert "SKJULT-INCLUDE" not in html  # include: false
    assert "<strong>asis-fed</strong>" in html  # output: asis
    assert "import matplotlib" not in html  # echo: false from _quarto.yml
    assert "cell-code" in html  # echo: true on one cell
    # plain-text output is a code block, its backticks and stars kept as text
    assert "<pre><code>stdout med `backticks` og *stjerner*</code></pre>" in html


@pytest.mark.render
def test_pdf_has_the_values_page_numbers_and_embedded_fonts(
    default_outputs: list[Output],
) -> None:
    path = default_outputs[1].path
    text = _pdf_text(path)
    assert "Prøvebrief for en kommune" in text
    assert "I Odense er der 3 deltagere og i alt 3000 kroner." in text
    assert re.search(r"Side 1 af \d", text)
    reader = pypdf.PdfReader(io.BytesIO(path.read_bytes()))
    fonts: dict[str, bool] = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descriptors = [d.get_object()["/FontDescriptor"] for d in font["/DescendantFonts"]]
            fonts[str(font["/BaseFont"])] = all(
                "/FontFile2" in d or "/FontFile3" in d for d in descriptors
            )
    assert fonts and all(fonts.values()), fonts
    assert any("IBMPlexSans" in name for name in fonts)


@pytest.mark.render
def test_kernel_sees_the_data_dir(default_outputs: list[Output], data_dir: Path) -> None:
    assert f"Datamappe: {data_dir}" in _html_text(default_outputs[0].path).replace("\\", "")


@pytest.mark.render
def test_same_inputs_give_the_same_bytes(document: Document, tmp_path: Path) -> None:
    first = write(document, tmp_path / "a")
    second = write(document, tmp_path / "b")
    assert [o.sha256 for o in first] == [o.sha256 for o in second]


# -- parameters -----------------------------------------------------------------------------


@pytest.mark.render
def test_parameter_changes_output_name_and_values(five_outputs: list[Output]) -> None:
    assert [o.path.name for o in five_outputs] == ["kommune-n-5.html", "kommune-n-5.pdf"]
    assert five_outputs[0].params == {"n": 5}
    assert "I Odense er der 5 deltagere og i alt 5000 kroner." in _html_text(five_outputs[0].path)
    assert "I Odense er der 5 deltagere og i alt 5000 kroner." in _pdf_text(five_outputs[1].path)


@pytest.mark.render
def test_manifest_merges_entries_with_params_and_hashes(
    five_outputs: list[Output], out: Path
) -> None:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    assert sorted(manifest) == [
        "kommune-n-5.html",
        "kommune-n-5.pdf",
        "kommune.html",
        "kommune.pdf",
    ]
    entry = manifest["kommune-n-5.pdf"]
    assert entry["report"] == "tests/fixtures/render/kommune.qmd"
    assert entry["format"] == "pdf"
    assert entry["params"] == {"n": 5}
    assert entry["sha256"] == hashlib.sha256((out / "kommune-n-5.pdf").read_bytes()).hexdigest()
    assert manifest["kommune.html"]["params"] == {}
    assert {"ipsreport_version", "data_sha256", "report_sha256"} <= set(entry)


@pytest.mark.render
def test_failing_cell_on_a_warm_kernel(kernel: Kernel, five_outputs: list[Output]) -> None:
    with pytest.raises(RenderError) as raised:
        render(FAILS, output_dir=Path("/nonexistent-never-written"), kernel=kernel)
    message = str(raised.value)
    assert "tests/fixtures/render/fails.qmd" in message
    assert "cell 'beregning' (line 11)" in message
    assert "ZeroDivisionError: division by zero" in message
    assert "\n" not in message


@pytest.mark.render
def test_timeout_interrupts_the_cell_and_the_kernel_survives(
    kernel: Kernel, five_outputs: list[Output]
) -> None:
    with pytest.raises(RenderError, match=r"cell 'vent' \(line 5\) did not finish within 1 s"):
        execute(prepare(read_brief(SLOW)), kernel=kernel, timeout=1)
    again = execute(prepare(read_brief(KOMMUNE), {"n": 2}), kernel=kernel)
    assert "I Odense er der 2 deltagere" in convert(again).markdown


# -- the command line -----------------------------------------------------------------------


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, ["render", *args])


def test_cli_unknown_parameter_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    result = _cli(str(KOMMUNE), "-P", "foo:1", "--output-dir", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "unknown parameter 'foo'" in result.output
    assert "allowed parameters: name, n, rate, detailed" in result.output
    assert not (tmp_path / "o").exists()


def test_cli_wrong_type_exits_2(tmp_path: Path) -> None:
    result = _cli(str(KOMMUNE), "-P", "n:abc", "--output-dir", str(tmp_path / "o"))
    assert result.exit_code == 2
    assert "parameter 'n' got 'abc', but it takes a whole number" in result.output
    assert not (tmp_path / "o").exists()


def test_cli_params_file_with_wrong_type_exits_2(tmp_path: Path) -> None:
    params = tmp_path / "params.yml"
    params.write_text("n: 0o17\n", encoding="utf-8")
    result = _cli(str(KOMMUNE), "--execute-params", str(params), "--output-dir", str(tmp_path))
    assert result.exit_code == 2
    assert "parameter 'n' got '0o17', but it takes a whole number" in result.output


@pytest.mark.render
def test_cli_failing_brief_exits_1_without_output(tmp_path: Path) -> None:
    result = _cli(str(FAILS), "--output-dir", str(tmp_path), "--to", "pdf,html")
    assert result.exit_code == 1
    assert result.output.count("\n") == 1
    assert "fails.qmd: cell 'beregning' (line 11) raised ZeroDivisionError" in result.output
    assert list(tmp_path.iterdir()) == []


def test_cli_rejects_unknown_format() -> None:
    result = _cli(str(KOMMUNE), "--to", "rtf")
    assert result.exit_code == 2  # a usage error, like every bad option value
    assert "unknown format 'rtf'" in result.output


@pytest.mark.render
def test_a_command_leaves_python_no_garbage_collection_at_exit() -> None:
    """Python's last collection would walk every object the command imported (0.14 s after
    a render); the command freezes them first. The handler registered here, before the
    command is imported, runs after the command's own."""
    code = (
        "import atexit, gc\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count()))\n"
        "from ipsreport.cli import main\n"
        "import ipsreport.render\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60).stdout.split()
    assert out[0] == "frozen" and int(out[1]) > 10_000


# -- pieces, without a kernel ---------------------------------------------------------------


def test_parse_qmd_cells_options_and_lines() -> None:
    nb = parse_qmd(KOMMUNE.read_text(encoding="utf-8"), name="kommune.qmd")
    assert nb.metadata["quarto"]["title"] == "Prøvebrief for en kommune"
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code[0].metadata["tags"] == ["parameters"]
    assert cell_line(code[0]) == 7
    assert cell_options(code[2]) == {
        "label": "fig-plot",
        "fig-cap": "Deltagere pr. kommune",
        "fig-alt": "Søjlediagram over deltagere pr. kommune",
    }
    assert code[2].source.startswith("#| label: fig-plot\n")  # options stay in the source
    # parsed once and cached: what a caller does to its copy does not reach the next caller
    cell_options(code[2])["fig-cap"] = "ændret"
    assert cell_options(code[2])["fig-cap"] == "Deltagere pr. kommune"


def test_parse_qmd_ignores_chunks_inside_other_fences() -> None:
    text = "Intro\n\n````markdown\n```{python}\n1/0\n```\n````\n\n```{python}\nx = 1\n```\n"
    nb = parse_qmd(text)
    assert [cell.cell_type for cell in nb.cells] == ["markdown", "code"]
    assert nb.cells[1].source == "x = 1"


def test_declared_parameters() -> None:
    brief = read_brief(KOMMUNE)
    assert {name: p.default for name, p in brief.parameters.items()} == {
        "name": "Odense",
        "n": 3,
        "rate": 0.5,
        "detailed": False,
    }


@pytest.mark.parametrize(
    ("default", "given", "expected"),
    [
        (3, "5", 5),
        (3, 5, 5),
        (0.5, "1", 1.0),
        (0.5, 2, 2.0),
        (False, "true", True),
        (False, True, True),
        ("Odense", "0461", "0461"),
        (3, "010", 10),  # decimal digits, never YAML's octal
        ("Odense", "yes", "yes"),  # text, never YAML's truth value
        (0.5, "1e5", 100000.0),
    ],
)
def test_coerce_accepts(default: Any, given: Any, expected: Any) -> None:
    value = coerce(Parameter("p", default, type(default)), given, brief="b")
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("default", "given"),
    [(3, "3.5"), (3, True), (3, 2.0), (0.5, "nan"), (False, "maybe"), (False, 1), ("x", 4),
     (3, "0x10"), (3, "1_000"), (3, "1:30"), (0.5, ".inf"), (False, "yes"), ([1], "[3, 4]")],
)
def test_coerce_rejects(default: Any, given: Any) -> None:
    with pytest.raises(ParameterError, match="parameter 'p' got"):
        coerce(Parameter("p", default, type(default)), given, brief="b")


def test_markdown_text_leaves_no_markup() -> None:
    assert markdown_text("3*4 [a](b) <i> @x $y$ `z`") == (
        r"3\*4 \[a\]\(b\) \<i\> \@x \$y\$ \`z\`"
    )
    assert markdown_text("59,5 pct.\n# ikke overskrift") == r"59\,5 pct\. \# ikke overskrift"


def test_fenced_block_cannot_be_closed_by_its_content() -> None:
    block = fenced("a\n```\nb")
    assert block.startswith("````\n") and block.endswith("\n````")


def test_output_names_are_deterministic_and_distinct() -> None:
    assert output_stem("guide", {}) == "guide"
    assert output_stem("guide", {"kommunekode": 461}) == "guide-kommunekode-461"
    assert output_stem("guide", {"b": 1, "a": "x"}) == output_stem("guide", {"a": "x", "b": 1})
    lossy = output_stem("guide", {"kommune": "København"})
    assert lossy.startswith("guide-kommune-koebenhavn-")
    assert output_stem("g", {"k": "a b"}) != output_stem("g", {"k": "a-b"})
    assert slugify("Høje-Taastrup") == "hoeje-taastrup"


def test_parse_param_item() -> None:
    assert parse_param_item("n:5") == ("n", "5")
    assert parse_param_item("url:http://x") == ("url", "http://x")
    with pytest.raises(ParameterError):
        parse_param_item("n=5")


def test_metadata_resolves_quarto_date_keywords_in_danish(tmp_path: Path) -> None:
    qmd = tmp_path / "dato.qmd"
    qmd.write_text('---\ntitle: "Dato"\ndate: today\n---\n\nTekst.\n', encoding="utf-8")
    brief = read_brief(qmd)
    document = Document(brief=brief, params={}, markdown="Tekst.\n")
    metadata = pandoc_metadata(document, "pdf")
    assert metadata["lang"] == "da"
    assert re.fullmatch(r"\d{1,2}\. [a-zæøå]+ \d{4}", metadata["date"]), metadata["date"]
