"""The sources layer: every figure in ``data/``, loaded, validated and read-only.

:func:`load` reads the data folder in force (``$IPSREPORT_DATA_DIR`` or the project's
``data/``) into a :class:`SourceData`; :mod:`ipsreport.sources.municipalities` reads the
municipality table. Nothing above this layer reads ``data/`` itself.
"""

from __future__ import annotations

from ipsreport.sources.figures import (
    FIGURE_REFERENCE,
    Claim,
    Source,
    SourceData,
    SourceFigure,
    Status,
    Unit,
    load,
)

__all__ = ["FIGURE_REFERENCE", "Claim", "Source", "SourceData", "SourceFigure", "Status", "Unit",
           "load"]
