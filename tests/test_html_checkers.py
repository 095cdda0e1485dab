"""Every HTML output through two real accessibility checkers: the Nu Html Checker (npm
vnu-jar, on Java) and axe-core (npm @axe-core/cli, in Debian's headless chromium).

Both are optional tooling that ``.ci/install-checkers`` puts in ``.ci/checkers/``; where a
checker or its browser or Java is missing, its tests skip and say what is missing. The
briefs are rendered once for the module (default parameters), and the batch index page
is written from its template with two rows.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from ipsreport.batch._index import index_html
from ipsreport.batch._table import read_table
from ipsreport.cli import main
from ipsreport.paths import PROJECT_ROOT

pytestmark = pytest.mark.render  # end to end: real kernels, Pandoc, Typst, a browser

CHECKERS = PROJECT_ROOT / ".ci" / "checkers" / "node_modules"
VNU_JAR = CHECKERS / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE = CHECKERS / ".bin" / "axe"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
JAVA = shutil.which("java")
BRIEFS = ("claims", "copenhagen-budget", "findings", "guide", "health-economics",
          "minister-letter", "som")

needs_vnu = pytest.mark.skipif(
    not (VNU_JAR.exists() and JAVA),
    reason=f"Nu Html Checker not installed ({VNU_JAR} and java; run .ci/install-checkers)",
)
needs_axe = pytest.mark.skipif(
    not (AXE.exists() and CHROMIUM and CHROMEDRIVER),
    reason=f"axe-core not installed ({AXE}, chromium and chromedriver; run .ci/install-checkers)",
)


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Every brief's HTML, and a batch index page."""
    output = tmp_path_factory.mktemp("html")
    result = CliRunner().invoke(main, ["render", "--to", "html", "--output-dir", str(output)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    table = output / "rows.csv"
    table.write_text("kommunekode,navn,region\n101,København,Region Hovedstaden\n"
                     "461,Odense,Region Syddanmark\n", encoding="utf-8")
    rows = read_table(table, ("kommunekode",)).rows
    index = output / "index.html"
    index.write_text(index_html(title="IPS i kommunen", source="reports/guide.qmd",
                                table="rows.csv", rows=rows,
                                entries={f"{rows[0].stem}.pdf": {}}, formats=("pdf", "html")),
                     encoding="utf-8")
    found = [output / f"{stem}.html" for stem in BRIEFS] + [index]
    assert all(page.exists() for page in found)
    return found


@needs_vnu
def test_nu_html_checker_finds_no_errors(pages: list[Path]) -> None:
    assert JAVA is not None
    result = subprocess.run(
        [JAVA, "-jar", str(VNU_JAR), "--errors-only", "--format", "json", *map(str, pages)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors = [f"{Path(m.get('url', '')).name}: {m.get('message')}" for m in messages
              if m.get("type") == "error"]
    assert errors == []
    assert result.returncode == 0


@needs_axe
def test_axe_core_finds_no_violations(pages: list[Path]) -> None:
    assert CHROMIUM is not None and CHROMEDRIVER is not None
    result = subprocess.run(
        [str(AXE), *(page.as_uri() for page in pages), "--stdout",
         "--chromedriver-path", CHROMEDRIVER, "--chrome-path", CHROMIUM,
         "--chrome-options", "no-sandbox,headless,disable-gpu,disable-dev-shm-usage"],
        capture_output=True, text=True, timeout=600, check=False,
    )
    reports = json.loads(result.stdout)
    assert len(reports) == len(pages)  # every page was audited
    found = {
        Path(report["url"]).name: [f"{v['id']} ({len(v['nodes'])})" for v in report["violations"]]
        for report in reports
    }
    assert found == {page.name: [] for page in pages}
    assert all(report["passes"] for report in reports)  # the rules ran
