"""A batch worker: one process, one warm kernel, one document after another.

The batch runs these in a :class:`concurrent.futures.ProcessPoolExecutor`. Each worker
reads the brief once and starts its kernel once (in the pool's initializer), forked from
the batch's kernel fork server (:mod:`ipsreport.kernels.forkserver`) so that the expensive
imports are already done, and a Pandoc server (:mod:`ipsreport.render._pandoc`), which
renders a one-line document while the kernel comes (:func:`warm_up_tools`), and then
renders job after job: prepare, execute on the warm kernel (which resets itself between
documents, see :func:`ipsreport.render._execute.setup_source`), convert, write.

A job never raises: what went wrong comes back as the job's error, so one bad row cannot
stop the others. A kernel that died is replaced before the next job. Workers ignore
SIGINT: an interrupted batch lets the documents in progress finish (the parent decides),
so no file is left half written.
"""

from __future__ import annotations

import ast
import contextlib
import logging
import multiprocessing.util
import os
import signal
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nbclient.util import run_sync

from ipsreport import keyfigures
from ipsreport.errors import IpsreportError
from ipsreport.kernels import inkernel
from ipsreport.kernels.forkserver import COMMON_IMPORTS
from ipsreport.kernels.lifetime import die_with_parent
from ipsreport.paths import DATA_DIR_ENV
from ipsreport.render import (
    FORMATS,
    Brief,
    Kernel,
    convert,
    execute,
    prepare,
    read_brief,
    write,
)
from ipsreport.render._convert import Document
from ipsreport.render._pandoc import PandocServer
from ipsreport.render._qmd import strip_options


def brief_imports(brief: Brief) -> tuple[str, ...]:
    """The modules a brief's code cells import, top level (``from ipsreport import som``
    gives ``ipsreport.som``: a submodule, or else just an attribute of the package)."""
    found: list[str] = []
    for cell in brief.notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(strip_options(str(cell.source)))
        except SyntaxError:
            continue  # IPython magics; the run will report real errors
        for node in tree.body:
            if isinstance(node, ast.Import):
                found += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.append(node.module)
                found += [f"{node.module}.{alias.name}" for alias in node.names]
    return tuple(dict.fromkeys(found))


def warm_imports(brief: Brief) -> tuple[str, ...]:
    """What a kernel imports before its first document: the common and the brief's own."""
    return tuple(dict.fromkeys((*COMMON_IMPORTS, *brief_imports(brief))))


def warm_up_source(brief: Brief) -> str:
    """The code a kernel runs before its first document (:func:`inkernel.warm_up`)."""
    return inkernel.call("warm_up", modules=list(warm_imports(brief)))


@dataclass(frozen=True)
class Job:
    """One row to render: its parameters (already validated), file name and formats.
    ``brief`` is a companion brief's path (rendered once for the whole batch), None for the
    batch's own brief."""

    key: str
    params: dict[str, Any]
    stem: str
    formats: tuple[str, ...]
    brief: str | None = None
    # The batch's data folder (IPSREPORT_DATA_DIR when it planned the job; None: data/). A
    # worker may come from a fork server started before the variable was set, so the job
    # carries it.
    data_dir: str | None = None


@dataclass(frozen=True)
class JobResult:
    key: str
    # The renderer's manifest entry of each file written (format, path, params, sha256,
    # and the provenance the renderer recorded: build_sha256, data_sha256, ...).
    entries: tuple[dict[str, Any], ...] = ()
    # Each file as (target, temporary file that holds it): staged, not yet in place.
    staged: tuple[tuple[str, str], ...] = ()
    error: str | None = None
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    kernel_restarted: bool = False
    # The document's key figures (ipsreport.keyfigures), as its manifest entries record them.
    key_figures: tuple[dict[str, Any], ...] = ()


@dataclass
class _Worker:
    brief: Brief
    output_dir: Path
    timeout: float
    fork_server: str | None = None
    kernel: Kernel | None = None
    pandoc: PandocServer = field(default_factory=PandocServer)
    warnings: list[str] = field(default_factory=list)
    companions: dict[str, Brief] = field(default_factory=dict)

    def brief_of(self, job: Job) -> Brief:
        """The brief a job renders: the batch's, or a companion, read once."""
        if job.brief is None:
            return self.brief
        if job.brief not in self.companions:
            self.companions[job.brief] = read_brief(job.brief)
        return self.companions[job.brief]

    def ensure_kernel(self) -> Kernel:
        if self.kernel is None:
            self.kernel = start_kernel(self.timeout, self.brief, fork_server=self.fork_server)
        return self.kernel

    def kernel_alive(self) -> bool:
        if self.kernel is None:
            return False
        km = self.kernel.client.km
        if km is None:
            return False
        is_alive: Any = km.is_alive  # a coroutine function: nbclient's manager is asynchronous
        try:
            return bool(run_sync(is_alive)())
        except Exception:
            return False

    def drop_kernel(self) -> None:
        if self.kernel is not None:
            self.kernel.close()
            self.kernel = None


_worker: _Worker | None = None


def start_kernel(timeout: float, brief: Brief, *, fork_server: str | None = None) -> Kernel:
    """A kernel with ``brief``'s imports already done, forked from ``fork_server`` (an
    address) when given."""
    kernel = Kernel(fork_server=fork_server)
    try:
        kernel.run(warm_up_source(brief), what="warming up the kernel",
                   timeout=max(timeout, 60.0))
    except BaseException:
        kernel.close()
        raise
    return kernel


class _Collect(logging.Handler):
    """Keeps the renderer's warnings (Pandoc, Typst) for the parent to show."""

    def emit(self, record: logging.LogRecord) -> None:
        if _worker is not None:
            _worker.warnings.append(record.getMessage())


def initialize(
    brief_path: str,
    output_dir: str,
    timeout: float,
    fork_server: str | None,
    parent: int | None,
) -> None:
    """The pool's initializer: read the brief and start the warm kernel, once per worker.

    First of all, the worker asks to be killed when its parent ends (``parent``: the batch's
    pid when it forked the worker itself), so that it never renders, or writes, for a
    batch that is gone (:mod:`ipsreport.kernels.lifetime`)."""
    global _worker
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Pool workers leave through multiprocessing's exit function, not atexit.
    multiprocessing.util.Finalize(None, shutdown, exitpriority=10)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    logger = logging.getLogger("ipsreport.render")
    logger.addHandler(_Collect())
    logger.setLevel(logging.WARNING)
    logger.propagate = False
    try:
        brief = read_brief(brief_path)
    except Exception:
        return  # every job reports it (the parent read the brief, so this is unlikely)
    _worker = _Worker(
        brief=brief, output_dir=Path(output_dir), timeout=timeout, fork_server=fork_server
    )
    # If Pandoc or the kernel cannot start, the first job tries again and says why; a
    # warm-up that fails only leaves the first document to pay for it.
    with contextlib.suppress(Exception):
        _worker.pandoc.start()
        if fork_server is not None:
            warm_up_tools(_worker)
    with contextlib.suppress(Exception):
        _worker.ensure_kernel()


def warm_up_tools(worker: _Worker) -> None:
    """Render a one-line document with the brief's templates, to nowhere.

    Pandoc's first conversion compiles the templates and runs its first major garbage
    collection, and Typst's first compilation loads the fonts, which makes a worker's first
    document dearer than the next. A worker whose kernel comes from the fork server has
    time to spare, waiting for the server's imports, so its first document does not pay.
    """
    document = Document(brief=worker.brief, params={}, markdown="Varm op.\n")
    with tempfile.TemporaryDirectory(prefix="ipsreport-warm-up-") as folder:
        write(document, Path(folder), FORMATS, stem="warm-up", commit=False,
              pandoc=worker.pandoc)


def render_job(job: Job) -> JobResult:
    """Render one row on this worker's kernel; never raises."""
    started = time.perf_counter()
    worker = _worker
    if worker is None:
        return JobResult(job.key, error="the worker could not read the brief")
    worker.warnings.clear()
    if job.data_dir is None:
        os.environ.pop(DATA_DIR_ENV, None)
    else:
        os.environ[DATA_DIR_ENV] = job.data_dir
    error: str | None = None
    entries: tuple[dict[str, Any], ...] = ()
    staged: tuple[tuple[str, str], ...] = ()
    figures: tuple[dict[str, Any], ...] = ()
    try:
        kernel = worker.ensure_kernel()
        prepared = prepare(worker.brief_of(job), job.params)
        executed = execute(prepared, kernel=kernel, timeout=worker.timeout)
        document = convert(executed)
        # Staged only: the batch puts the files in place together with their manifest
        # entries, so that no file appears without one.
        outputs = write(document, worker.output_dir, job.formats, stem=job.stem,
                        commit=False, pandoc=worker.pandoc)
        entries = tuple(output.manifest_entry(worker.output_dir) for output in outputs)
        staged = tuple((str(output.path), str(output.staged)) for output in outputs)
        figures = tuple(keyfigures.encode(document.key_figures))
    except IpsreportError as problem:
        error = " ".join(str(problem).split())
    except Exception as problem:  # a bug or a tool's crash: still only this row
        error = f"{type(problem).__name__}: {' '.join(str(problem).split())}"
    restarted = False
    if error is not None and not worker.kernel_alive():
        worker.drop_kernel()  # the next job starts a new one
        restarted = True
    return JobResult(
        key=job.key,
        entries=entries,
        staged=staged,
        error=error,
        warnings=tuple(worker.warnings),
        seconds=time.perf_counter() - started,
        kernel_restarted=restarted,
        key_figures=figures,
    )


def shutdown() -> None:
    """Shut this worker's kernel and Pandoc down (run when the worker process exits)."""
    if _worker is not None:
        _worker.drop_kernel()
        _worker.pandoc.close()
