"""Shared fixtures: a private copy of data/ that a test may change, and PDF text."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

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
