"""The built-in renderer: a Quarto ``.qmd`` brief to self-contained HTML and a PDF.

Orchestration of real tools, in four steps that a batch can drive one by one::

    brief = read_brief("reports/guide.qmd")           # .qmd -> notebook, declared params
    prepared = prepare(brief, {"kommunekode": 461})   # validate, inject (papermill)
    with Kernel() as kernel:                          # one warm python3 kernel per worker
        executed = execute(prepared, kernel=kernel)   # nbclient, inline expressions
    document = convert(executed)                      # -> Pandoc markdown + images
    outputs = write(document, Path("_output"))        # Pandoc -> HTML; Pandoc+Typst -> PDF

or all at once with :func:`render`. ``ipsreport render`` is the command-line face.
"""

from __future__ import annotations

from ipsreport.render._brief import Brief, PreparedNotebook, prepare, read_brief
from ipsreport.render._convert import Document, convert
from ipsreport.render._execute import DEFAULT_TIMEOUT, ExecutedNotebook, Kernel, execute
from ipsreport.render._output import MANIFEST_NAME, Output, output_stem
from ipsreport.render._params import Parameter
from ipsreport.render._render import choose_engine, render
from ipsreport.render._write import FORMATS, write
from ipsreport.render.cli import render_command

__all__ = [
    "DEFAULT_TIMEOUT",
    "FORMATS",
    "MANIFEST_NAME",
    "Brief",
    "Document",
    "ExecutedNotebook",
    "Kernel",
    "Output",
    "Parameter",
    "PreparedNotebook",
    "choose_engine",
    "convert",
    "execute",
    "output_stem",
    "prepare",
    "read_brief",
    "render",
    "render_command",
    "write",
]
