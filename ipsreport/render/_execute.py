"""Executing a prepared brief on a Jupyter kernel, the way Quarto's Jupyter engine does.

Cells run in document order on a ``python3`` kernel (ipykernel) through nbclient, each with
its ``#|`` option lines stripped first. Inline ``{python}`` expressions are evaluated when
their markdown cell is reached, as ``user_expressions`` of an empty execute request, and
the results are kept in the cell's metadata (Quarto's ``notebook.py`` does exactly this;
the results are turned into text only later, by the converter).

A :class:`Kernel` can outlive one brief: a batch keeps one warm kernel per worker process
and runs brief after brief on it (each run starts with ``%reset -f``). Workers run in
parallel as separate processes, each with its own kernel.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from typing import Any

from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbformat import NotebookNode

from ipsreport.errors import RenderError
from ipsreport.kernels import inkernel
from ipsreport.kernels.kernel import Kernel, one_line
from ipsreport.paths import DATA_DIR_ENV
from ipsreport.render._brief import PreparedNotebook
from ipsreport.render._qmd import INLINE_EXPRESSION, cell_line, cell_options, strip_options

DEFAULT_TIMEOUT = 120.0
_TIMEOUT = "CellTimeoutError"


@dataclass(frozen=True)
class ExecutedNotebook:
    """A prepared brief after execution: cells with outputs, inline results in metadata."""

    prepared: PreparedNotebook
    notebook: NotebookNode


def execute(
    prepared: PreparedNotebook,
    *,
    kernel: Kernel | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> ExecutedNotebook:
    """Run every cell of ``prepared`` and evaluate its inline expressions.

    ``kernel`` is an already running kernel to reuse; without one, a kernel is started for
    this brief and shut down afterwards. ``timeout`` is the limit for each cell, in seconds.
    A cell that raises becomes a :class:`RenderError` naming the brief, the cell (its label
    or its line in the ``.qmd``) and the exception.
    """
    if kernel is None:
        with Kernel() as own:
            return _execute(prepared, own, timeout)
    return _execute(prepared, kernel, timeout)


def _execute(prepared: PreparedNotebook, kernel: Kernel, timeout: float) -> ExecutedNotebook:
    brief = prepared.brief
    nb = copy.deepcopy(prepared.notebook)
    client = kernel.client
    client.nb = nb
    client.timeout = max(1, round(timeout))
    # On a timeout, interrupt the cell rather than abandon a busy kernel: a warm kernel
    # must stay usable for the next brief.
    client.interrupt_on_timeout = True
    client.error_on_timeout = {"ename": _TIMEOUT, "evalue": f"{client.timeout} s"}
    client.allow_errors = False
    client.reset_execution_trackers()
    kernel.run(setup_source(prepared, reset=kernel.runs > 0), what="kernel setup")
    kernel.runs += 1

    eval_default = brief.execute_options.get("eval", True) is not False
    count = 0
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            _evaluate_inline(kernel, cell, prepared)
            continue
        if cell.cell_type != "code":
            continue
        options = cell_options(cell)
        if options.get("eval", eval_default) is False:
            continue
        count += 1
        _execute_cell(kernel, cell, index, count, options, prepared)
    return ExecutedNotebook(prepared=prepared, notebook=nb)


def _execute_cell(
    kernel: Kernel,
    cell: NotebookNode,
    index: int,
    count: int,
    options: dict[str, Any],
    prepared: PreparedNotebook,
) -> None:
    client = kernel.client
    source = cell.source
    tags = list(cell.metadata.get("tags", []))
    allow_error = options.get("error") is True
    cell.source = strip_options(source)  # so that cell magics on the first line still work
    if allow_error:
        cell.metadata["tags"] = [*tags, "raises-exception"]
    try:
        client.execute_cell(cell, index, execution_count=count)
    except CellExecutionError as error:
        if error.ename == _TIMEOUT:
            raise RenderError(
                f"{_where(prepared, cell, options)} did not finish within {client.timeout} s "
                "(raise the limit with --timeout)"
            ) from None
        raise RenderError(
            f"{_where(prepared, cell, options)} raised {error.ename}: {one_line(error.evalue)}"
        ) from None
    except CellTimeoutError:
        raise RenderError(
            f"{_where(prepared, cell, options)} did not finish within {client.timeout} s "
            "(raise the limit with --timeout)"
        ) from None
    except DeadKernelError:
        last = kernel.stderr_tail()
        raise RenderError(
            f"{_where(prepared, cell, options)}: the kernel died" + (f" ({last})" if last else "")
        ) from None
    finally:
        cell.source = source
        if allow_error:
            if tags:
                cell.metadata["tags"] = tags
            else:
                cell.metadata.pop("tags", None)


def _evaluate_inline(kernel: Kernel, cell: NotebookNode, prepared: PreparedNotebook) -> None:
    """Evaluate the cell's inline expressions now, in document order, as Quarto does."""
    source = str(cell.source)
    matches = list(INLINE_EXPRESSION.finditer(source))
    cell.metadata.pop("user_expressions", None)
    if not matches:
        return
    expressions = {str(number): match.group("expr").strip()
                   for number, match in enumerate(matches)}
    reply = kernel.request("", user_expressions=expressions, what="inline expressions")
    content = reply.get("content", {})
    results = content.get("user_expressions", {})
    found: list[dict[str, Any]] = []
    for key, expression in expressions.items():
        result = results.get(key, {})
        if result.get("status") != "ok":
            match = matches[int(key)]
            line = (cell_line(cell) or 0) + source.count("\n", 0, match.start("expr"))
            ename = result.get("ename", content.get("ename", "Error"))
            evalue = result.get("evalue", content.get("evalue", "no result"))
            raise RenderError(
                f"{prepared.brief.display_name}: inline expression `{expression}` "
                f"(line {line}) raised {ename}: {one_line(str(evalue))}"
            )
        found.append({"expression": expression, "result": result})
    cell.metadata["user_expressions"] = found


def setup_source(prepared: PreparedNotebook, *, reset: bool) -> str:
    """The code run before a brief: a clean namespace, its folder, figures like Quarto's.

    On a reused kernel (``reset``) the brief must not be able to tell that another brief ran
    before it: its namespace is emptied first, then
    :func:`ipsreport.kernels.inkernel.start_document` sets the working folder and
    ``IPSREPORT_DATA_DIR`` again and puts matplotlib and pandas back as the kernel had them.
    The same code runs on a fresh kernel, so both start from one state.
    """
    brief = prepared.brief
    call = inkernel.call(
        "start_document",
        folder=str(brief.path.parent),
        environment={DATA_DIR_ENV: os.environ.get(DATA_DIR_ENV) or None},
        figure=dict(brief.figure_options),
    )
    return f"%reset -f\n{call}" if reset else call


def _where(prepared: PreparedNotebook, cell: NotebookNode, options: dict[str, Any]) -> str:
    """'reports/x.qmd: cell 'fig-a' (line 12)': how an error points at a cell."""
    label = options.get("label")
    line = cell_line(cell)
    at = f" (line {line})" if line else ""
    name = f"cell {str(label)!r}{at}" if label else f"cell at line {line}" if line else "a cell"
    return f"{prepared.brief.display_name}: {name}"


__all__ = ["DEFAULT_TIMEOUT", "ExecutedNotebook", "execute"]
