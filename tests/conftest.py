"""Shared fixtures: a private copy of data/ that a test may change, PDF text, and one batch
of the guide (HTML, PDF and docx for three municipalities) for the whole session."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from filelock import FileLock

from ipsreport.paths import PROJECT_ROOT

DATA = PROJECT_ROOT / "data"


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
    (the folder is shared by the workers of pytest-xdist). Read it; copy it to change it."""
    from ipsreport.batch import run_batch

    root = tmp_path_factory.getbasetemp().parent
    folder = root / "guide-batch"
    with FileLock(str(root / "guide-batch.lock")):
        if not (folder / "index.html").is_file():
            result = run_batch(PROJECT_ROOT / "reports" / "guide.qmd",
                               PROJECT_ROOT / "data" / "kommuner.csv",
                               formats=("html", "pdf", "docx"), only=GUIDE_BATCH_ROWS,
                               output_dir=folder, progress=False)
            assert not result.failed, result.failed
    return folder
