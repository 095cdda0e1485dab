"""Shared fixtures: a private copy of data/ that a test may change, PDF text, and one batch
of the guide (HTML, PDF and docx for three municipalities) for the whole session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from filelock import FileLock

from ipsreport.paths import PROJECT_ROOT

DATA = PROJECT_ROOT / "data"
# The tests render with the built-in renderer, also where a quarto is on PATH; those that
# test Quarto (tests/test_quarto.py) ask for it.
os.environ["IPSREPORT_ENGINE"] = "builtin"


def set_figure(directory: Path, figure_id: str, value: object) -> None:
    """Change one figure's value in a data folder, in whichever file holds it."""
    for path in sorted(directory.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        for figure in document.get("figures", []) if isinstance(document, dict) else []:
            if figure.get("id") == figure_id:
                figure["value"] = value
                path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False),
                                encoding="utf-8")
                return
    raise KeyError(figure_id)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A fresh copy of the project's data/ folder."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target


@pytest.fixture
def changed_data(data_copy: Path) -> Callable[..., Path]:
    """``changed_data({"figure.id": value, ...})``: a data copy with those figures changed."""

    def change(values: dict[str, object]) -> Path:
        for figure_id, value in values.items():
            set_figure(data_copy, figure_id, value)
        return data_copy

    return change


def normalise(text: str) -> str:
    """Collapse whitespace (including non-breaking spaces) so phrases match across lines."""
    return " ".join(text.replace("\u00a0", " ").split())


GUIDE_BATCH_ROWS = ("101", "461", "751")


@pytest.fixture(scope="session")
def guide_batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``ipsreport batch reports/guide.qmd`` for København, Odense and Aarhus, in HTML, PDF
    and docx: rendered once for the session, under a lock, by whichever worker asks first
    (the folder is shared by the workers of pytest-xdist). Read it; copy it to change it.

    It runs as the command, in a process of its own with the project's data: a batch run in
    this process would fork its workers from multiprocessing's fork server, which keeps the
    environment of the test that first started it (a data folder of its own, say)."""
    root = tmp_path_factory.getbasetemp().parent
    folder = root / "guide-batch"
    env = {key: value for key, value in os.environ.items()
           if key not in ("IPSREPORT_DATA_DIR", "SOURCE_DATE_EPOCH")}
    with FileLock(str(root / "guide-batch.lock")):
        if not (folder / "index.html").is_file():
            result = subprocess.run(
                [sys.executable, "-c", "from ipsreport.cli import main; main()", "batch",
                 str(PROJECT_ROOT / "reports" / "guide.qmd"), "--table",
                 str(PROJECT_ROOT / "data" / "kommuner.csv"), "--only",
                 ",".join(GUIDE_BATCH_ROWS), "--to", "html,pdf,docx", "--output-dir",
                 str(folder)],
                cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False,
                timeout=600,
            )
            assert result.returncode == 0, result.stderr
    return folder
