"""The built-in renderer: a Quarto ``.qmd`` brief to self-contained HTML, a PDF and a docx.

Generic: it knows Quarto, Jupyter, Pandoc and Typst, and nothing of IPS. A brief names its
parameter model in its front matter (``ipsreport-parameters: module:Class``), which the
renderer imports when it prepares the brief. Orchestration of real tools, in four steps
that a batch can drive one by one::

    brief = read_brief("reports/guide.qmd")           # .qmd -> notebook, declared params
    prepared = prepare(brief, {"kommunekode": 461})   # validate, inject (papermill)
    with Kernel() as kernel:                          # one warm python3 kernel per worker
        executed = execute(prepared, kernel=kernel)   # nbclient, inline expressions
    document = convert(executed)                      # -> Pandoc markdown + images
    outputs = write(document, Path("_output"))        # Pandoc -> HTML; Pandoc+Typst -> PDF

or all at once with :func:`render`. :func:`verify` says whether an output is still current.
"""

from __future__ import annotations

from ipsreport.kernels.kernel import Kernel
from ipsreport.render._brief import Brief, PreparedNotebook, prepare, read_brief
from ipsreport.render._convert import Document, convert
from ipsreport.render._execute import DEFAULT_TIMEOUT, ExecutedNotebook, execute
from ipsreport.render._manifest import MANIFEST_NAME, Manifest
from ipsreport.render._output import Output, output_stem, slugify
from ipsreport.render._params import Parameter
from ipsreport.render._render import ENGINES, choose_engine, render
from ipsreport.render._verify import Verdict, verify
from ipsreport.render._write import ALL_FORMATS, FORMATS, normalise_formats, source_date, write

__all__ = [
    "ALL_FORMATS",
    "DEFAULT_TIMEOUT",
    "ENGINES",
    "FORMATS",
    "MANIFEST_NAME",
    "Brief",
    "Document",
    "ExecutedNotebook",
    "Kernel",
    "Manifest",
    "Output",
    "Parameter",
    "PreparedNotebook",
    "Verdict",
    "choose_engine",
    "convert",
    "execute",
    "normalise_formats",
    "output_stem",
    "prepare",
    "read_brief",
    "render",
    "slugify",
    "source_date",
    "verify",
    "write",
]
