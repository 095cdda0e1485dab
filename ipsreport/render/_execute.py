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

import contextlib
import copy
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbformat import NotebookNode

from ipsreport.errors import RenderError
from ipsreport.kernel_forkserver import kernel_environment
from ipsreport.paths import DATA_DIR_ENV, PROJECT_ROOT
from ipsreport.render._brief import PreparedNotebook
from ipsreport.render._forked import ForkProvisioner
from ipsreport.render._qmd import (
    KERNELSPEC,
    cell_line,
    cell_options,
    new_notebook,
    strip_options,
)
from ipsreport.render._ready import ReadyKernelClient

DEFAULT_TIMEOUT = 120.0
_TIMEOUT = "CellTimeoutError"
KERNEL_NAME = "python3"
# The kernel client: jupyter_client's, ready without its fixed wait (see the module).
_READY_CLIENT = f"{ReadyKernelClient.__module__}.{ReadyKernelClient.__name__}"

# Quarto's pattern for inline expressions (src/resources/jupyter/notebook.py).
INLINE_EXPRESSION = re.compile(r"(?:^|[^`])`\{python\}[ \t]([^`]+)`", re.MULTILINE)


@dataclass(frozen=True)
class ExecutedNotebook:
    """A prepared brief after execution: cells with outputs, inline results in metadata."""

    prepared: PreparedNotebook
    notebook: NotebookNode


class Kernel:
    """A running ``python3`` Jupyter kernel that executes briefs one after another.

    Use it as a context manager; it shuts the kernel down on exit. The kernel inherits this
    process's environment (so ``IPSREPORT_DATA_DIR`` reaches the briefs) with the project
    folder put first on ``PYTHONPATH``, so ``import ipsreport`` works from any brief.

    ``fork_server`` is the address of a :class:`~ipsreport.kernel_forkserver.ForkServer`:
    the kernel is then forked from that warm process instead of started from scratch.
    """

    def __init__(self, *, startup_timeout: float = 60.0, fork_server: str | None = None) -> None:
        placeholder = new_notebook()
        placeholder.metadata["kernelspec"] = dict(KERNELSPEC)
        self._client = NotebookClient(
            placeholder,
            kernel_name=KERNEL_NAME,
            startup_timeout=int(startup_timeout),
            record_timing=False,
        )
        self.runs = 0
        self._fork_server = fork_server
        self._startup_timeout = startup_timeout
        # The kernel's own stderr (start-up notices, a dying kernel's last words) goes to a
        # file, not the user's terminal; its tail is shown if the kernel dies.
        self._stderr = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 - closed in close()
        self._sockets = tempfile.mkdtemp(prefix="ipsreport-kernel-")
        for attempt in range(2):  # a kernel that dies while starting gets one more chance
            try:
                self._start()
                break
            except Exception as error:
                with contextlib.suppress(Exception):
                    self._client._cleanup_kernel()
                if attempt == 1:
                    self.close()
                    raise RenderError(
                        f"could not start the {KERNEL_NAME} Jupyter kernel: {_one_line(error)}"
                    ) from None

    def _start(self) -> None:
        client = self._client
        # Unix sockets in a folder of this kernel's own: no TCP ports to race other
        # processes (parallel workers) for.
        sockets = (
            {"transport": "ipc", "ip": str(Path(self._sockets) / "kernel")}
            if os.name == "posix"
            else {}
        )
        client.km = client.kernel_manager_class(
            kernel_name=KERNEL_NAME, client_class=_READY_CLIENT, **sockets
        )
        if self._fork_server is not None:
            # jupyter_client uses a provisioner already set instead of making one.
            client.km.kernel_id = str(uuid.uuid4())
            client.km.provisioner = ForkProvisioner(
                self._fork_server,
                self._startup_timeout,
                kernel_id=client.km.kernel_id,
                kernel_spec=client.km.kernel_spec,
                parent=client.km,
            )
        client.start_new_kernel(
            env=kernel_environment(), cwd=str(PROJECT_ROOT), stderr=self._stderr
        )
        client.start_new_kernel_client()

    @property
    def client(self) -> NotebookClient:
        return self._client

    def stderr_tail(self, lines: int = 3) -> str:
        """The last lines the kernel process wrote to its stderr."""
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace")
        return " ".join(" ".join(text.strip().splitlines()[-lines:]).split())

    def close(self) -> None:
        """Shut the kernel down (safe to call more than once)."""
        if self._client.km is not None:
            with contextlib.suppress(Exception):  # best effort at shutdown
                self._client._cleanup_kernel()
        if not self._stderr.closed:
            self._stderr.close()
        shutil.rmtree(self._sockets, ignore_errors=True)

    def __enter__(self) -> Kernel:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


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
    _run_silently(kernel, setup_source(prepared, reset=kernel.runs > 0), what="kernel setup")
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
            f"{_where(prepared, cell, options)} raised {error.ename}: {_one_line(error.evalue)}"
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
    expressions = {str(number): match.group(1).strip() for number, match in enumerate(matches)}
    reply = _request(kernel, "", user_expressions=expressions, what="inline expressions")
    content = reply.get("content", {})
    results = content.get("user_expressions", {})
    found: list[dict[str, Any]] = []
    for key, expression in expressions.items():
        result = results.get(key, {})
        if result.get("status") != "ok":
            match = matches[int(key)]
            line = (cell_line(cell) or 0) + source.count("\n", 0, match.start(1))
            ename = result.get("ename", content.get("ename", "Error"))
            evalue = result.get("evalue", content.get("evalue", "no result"))
            raise RenderError(
                f"{prepared.brief.display_name}: inline expression `{expression}` "
                f"(line {line}) raised {ename}: {_one_line(str(evalue))}"
            )
        found.append({"expression": expression, "result": result})
    cell.metadata["user_expressions"] = found


def setup_source(prepared: PreparedNotebook, *, reset: bool) -> str:
    """The code run before a brief: a clean namespace, its folder, figures like Quarto's.

    On a reused kernel (``reset``) the brief must not be able to tell that another brief ran
    before it: its namespace is emptied, the working folder and ``IPSREPORT_DATA_DIR`` are
    set again, open figures are closed, matplotlib's rcParams go back to those the kernel had
    before its first brief, and pandas' options to their defaults. Imported modules stay
    imported: that is what makes a warm kernel fast. The same code runs on a fresh kernel,
    so both start from one state.
    """
    brief = prepared.brief
    figure = brief.figure_options
    data_dir = os.environ.get(DATA_DIR_ENV)
    lines = ["%reset -f"] if reset else []
    lines += [
        "import os as _ipsreport_os",
        f"_ipsreport_os.chdir({str(brief.path.parent)!r})",
        (
            f"_ipsreport_os.environ[{DATA_DIR_ENV!r}] = {data_dir!r}"
            if data_dir
            else f"_ipsreport_os.environ.pop({DATA_DIR_ENV!r}, None)"
        ),
        "del _ipsreport_os",
        _RESET_LIBRARIES,
        "try:",
        "    import matplotlib.pyplot as _ipsreport_plt",
        "    from matplotlib_inline.backend_inline import set_matplotlib_formats",
        "    _ipsreport_plt.rcParams['figure.figsize'] = "
        f"({float(figure['fig-width'])!r}, {float(figure['fig-height'])!r})",
        f"    _ipsreport_plt.rcParams['figure.dpi'] = {int(figure['fig-dpi'])!r}",
        f"    _ipsreport_plt.rcParams['savefig.dpi'] = {int(figure['fig-dpi'])!r}",
        f"    set_matplotlib_formats({str(figure['fig-format'])!r})",
        "    del set_matplotlib_formats, _ipsreport_plt",
        "except ImportError:",
        "    pass",
    ]
    return "\n".join(lines)


# Library state that outlives ``%reset -f`` and that a brief can change: matplotlib's open
# figures and rcParams (including ``interactive``, which ``plt.ioff()`` turns off and without
# which the inline backend shows no figure), and pandas' options. The rcParams a fresh kernel
# has once pyplot is imported are kept, on the first run, in a module of their own that
# ``%reset -f`` does not touch; later runs go back to them (all but ``backend``, which is the
# kernel's). Deprecation warnings about old option names are not the brief's business.
_RESET_LIBRARIES = """\
def _ipsreport_reset_libraries():
    import sys
    import types
    import warnings
    name = "_ipsreport_kernel_state"
    state = sys.modules.setdefault(name, types.ModuleType(name))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import matplotlib
            import matplotlib.pyplot as plt
        except ImportError:
            pass
        else:
            try:  # importing the inline backend is what turns interactive mode on
                import matplotlib_inline.backend_inline  # noqa: F401
            except ImportError:
                pass
            plt.close("all")
            if not hasattr(state, "rc_params"):
                state.rc_params = {k: v for k, v in matplotlib.rcParams.items()
                                   if k not in ("backend", "interactive")}
                state.interactive = matplotlib.is_interactive()
            matplotlib.rcParams.update(state.rc_params)
            plt.ion() if state.interactive else plt.ioff()
        if "pandas" in sys.modules:
            sys.modules["pandas"].reset_option("all")
_ipsreport_reset_libraries()
del _ipsreport_reset_libraries"""


def _run_silently(kernel: Kernel, code: str, *, what: str) -> None:
    reply = _request(kernel, code, what=what)
    content = reply.get("content", {})
    if content.get("status") != "ok":
        raise RenderError(
            f"{what} failed: {content.get('ename', 'Error')}: "
            f"{_one_line(str(content.get('evalue', '')))}"
        )


def _request(kernel: Kernel, code: str, *, what: str, **extra: Any) -> dict[str, Any]:
    client = kernel.client
    assert client.kc is not None
    msg_id = client.kc.execute(code, silent=True, store_history=False, **extra)
    try:
        reply = client.wait_for_reply(msg_id)
    except (CellTimeoutError, TimeoutError):
        raise RenderError(f"{what} did not finish within {client.timeout} s") from None
    except DeadKernelError:
        raise RenderError(f"the kernel died during {what}") from None
    if reply is None:
        raise RenderError(f"no reply from the kernel for {what}")
    return dict(reply)


def _where(prepared: PreparedNotebook, cell: NotebookNode, options: dict[str, Any]) -> str:
    """'reports/x.qmd: cell 'fig-a' (line 12)': how an error points at a cell."""
    label = options.get("label")
    line = cell_line(cell)
    at = f" (line {line})" if line else ""
    name = f"cell {str(label)!r}{at}" if label else f"cell at line {line}" if line else "a cell"
    return f"{prepared.brief.display_name}: {name}"


def _one_line(text: object, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


__all__ = ["DEFAULT_TIMEOUT", "ExecutedNotebook", "Kernel", "execute", "kernel_environment"]
