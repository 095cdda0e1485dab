"""The package's layers: each imports only those below it, and the renderer none of the domain.

The order is the data's: sources -> analyses -> presentation; the renderer (with the kernels
beneath it) is generic; batch and the command line sit on top (docs/architecture.md).
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from ipsreport.paths import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "ipsreport"
# What each layer may import from the package, besides the foundation modules at its root.
FOUNDATION = {"ipsreport", "ipsreport.errors", "ipsreport.paths", "ipsreport.validation",
              "ipsreport.digest", "ipsreport.markup", "ipsreport.yamltext", "ipsreport.provenance",
              "ipsreport.lineage", "ipsreport.ooxml", "ipsreport.keyfigures"}
ALLOWED = {
    "sources": {"sources"},
    "analyses": {"sources", "analyses"},
    "presentation": {"sources", "analyses", "presentation"},
    "kernels": {"kernels"},
    "render": {"kernels", "render"},
    "batch": {"kernels", "render", "batch"},
    "distribute": {"kernels", "render", "batch", "distribute"},
    "cli": {"sources", "analyses", "presentation", "kernels", "render", "batch", "distribute",
            "cli"},
}
DOMAIN = ("ipsreport.sources", "ipsreport.analyses", "ipsreport.presentation")


def _package_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return {name for name in found if name == "ipsreport" or name.startswith("ipsreport.")}


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_each_layer_imports_only_the_layers_below_it(layer: str) -> None:
    wrong = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        for name in _package_imports(path):
            if name in FOUNDATION:
                continue
            if name.split(".")[1] not in ALLOWED[layer]:
                wrong.append(f"{path.relative_to(PROJECT_ROOT)} imports {name}")
    assert wrong == []


def _modules_after(statement: str) -> list[str]:
    """The ipsreport modules and heavy libraries a fresh interpreter holds after ``statement``."""
    code = (f"import sys, json; {statement}; "
            "print(json.dumps(sorted(m for m in sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, cwd=PROJECT_ROOT)
    modules: list[str] = json.loads(result.stdout)
    return modules


def test_importing_the_renderer_loads_no_analysis_data_or_parameter_module() -> None:
    loaded = _modules_after("import ipsreport.render")
    assert "ipsreport.render" in loaded
    assert [name for name in loaded if name.startswith(DOMAIN)] == []
    # Preparing a brief imports its parameter model then, not before.
    prepared = _modules_after(
        "from ipsreport.render import prepare, read_brief; "
        "prepare(read_brief('reports/health-economics.qmd'))"
    )
    assert "ipsreport.presentation.parameters" in prepared


def test_the_fork_server_can_start_before_any_heavy_import() -> None:
    loaded = _modules_after("import ipsreport.cli, ipsreport.kernels.forkserver")
    heavy = ("numpy", "pandas", "matplotlib", "jupyter_client", "nbclient", "zmq", "pydantic")
    assert [name for name in loaded if name.split(".")[0] in heavy] == []
