"""Batch rendering: one brief, one table, one document per row, in parallel.

``ipsreport batch reports/guide.qmd --table data/kommuner.csv`` renders the municipal guide
for all 98 municipalities. From Python::

    result = run_batch("reports/guide.qmd", "data/kommuner.csv", formats=("pdf",))
    result.failed      # rows that failed, each with its reason
    result.index       # index.html, every output grouped by region

Worker processes each keep one warm Jupyter kernel; outputs whose provenance is unchanged
are reused; the output folder is locked while a batch writes to it.
"""

from __future__ import annotations

from ipsreport.batch._run import (
    BatchLockedError,
    BatchResult,
    RowOutcome,
    default_jobs,
    default_output_dir,
    run_batch,
)
from ipsreport.batch._table import Row, Table, TableError, read_table

__all__ = [
    "BatchLockedError",
    "BatchResult",
    "Row",
    "RowOutcome",
    "Table",
    "TableError",
    "default_jobs",
    "default_output_dir",
    "read_table",
    "run_batch",
]
