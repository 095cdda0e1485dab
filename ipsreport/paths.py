"""Where the project's folders are.

The package is installed from a clone (``pip install -e .``), so ``data/``,
``reports/`` and ``templates/`` sit beside the package folder. ``IPSREPORT_DATA_DIR``
points the package (and every brief's kernel) at another copy of ``data/``; the
tests use it to prove that a changed source figure changes the rendered brief.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR_ENV = "IPSREPORT_DATA_DIR"


def data_dir() -> Path:
    """The data folder in force: ``$IPSREPORT_DATA_DIR`` or the project's ``data/``."""
    override = os.environ.get(DATA_DIR_ENV)
    return Path(override).resolve() if override else PROJECT_ROOT / "data"


def reports_dir() -> Path:
    return PROJECT_ROOT / "reports"


def templates_dir() -> Path:
    return PROJECT_ROOT / "templates"
