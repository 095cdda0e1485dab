"""Rendering one brief for every row of a table: plan, render in parallel, record.

A run goes through four steps:

1. Read the brief and the table, and take the output folder's lock (a second batch on the
   same folder is refused, never interleaved).
2. Skip every output that is current: its manifest entry has the provenance digest of
   today's inputs (brief, parameters, data, code, templates, tool versions) and the file
   still has the recorded SHA-256.
3. Validate every other row's parameters with :func:`ipsreport.render.prepare` (the
   brief's pydantic model) before anything runs; a bad row fails alone.
4. Render the rest on a pool of worker processes, each with one warm kernel
   (:mod:`ipsreport.batch._worker`) forked from a kernel fork server that has done the
   imports once for all of them (:mod:`ipsreport.kernels.forkserver`), recording each row
   in ``manifest.json`` the moment it is written, and finally write ``index.html``.

SIGINT (Ctrl-C) or SIGTERM stops handing out rows, lets the documents in progress finish
and record themselves, and returns; a second one stops the workers at once. Either way
every file on disk is complete (files are renamed into place) and listed in the manifest
only if it is, so the next run carries on where this one stopped.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Any

from filelock import FileLock, Timeout

from ipsreport import keyfigures, provenance
from ipsreport.batch._index import FORMAT_NAMES, index_html
from ipsreport.batch._options import BatchOptions, batch_options
from ipsreport.batch._progress import FAILED, RENDERED, REUSED, Progress
from ipsreport.batch._table import Row, Table, TableError, read_table
from ipsreport.batch._worker import Job, JobResult, initialize, render_job, warm_imports
from ipsreport.errors import DataError, IpsreportError, RenderError
from ipsreport.kernels.forkserver import ForkServer
from ipsreport.paths import DATA_DIR_ENV
from ipsreport.render import (
    ALL_FORMATS,
    DEFAULT_TIMEOUT,
    FORMATS,
    MANIFEST_NAME,
    Brief,
    prepare,
    read_brief,
)
from ipsreport.render._files import atomic_write, discard, os_reason, remove_stale
from ipsreport.render._manifest import DIGEST_KEY, Manifest
from ipsreport.render._params import validate as coerce_parameters

INDEX_NAME = "index.html"
_worker_module = render_job.__module__
LOCK_NAME = ".batch.lock"
NOT_DONE = "not done"


class BatchLockedError(IpsreportError):
    """Another batch is writing to the same output folder."""


@dataclass(frozen=True)
class RowOutcome:
    row: Row
    status: str  # rendered, reused from cache, failed, not done
    reason: str = ""
    files: tuple[str, ...] = ()


@dataclass(frozen=True)
class BatchResult:
    output_dir: Path
    outcomes: tuple[RowOutcome, ...]
    seconds: float
    summary: str
    interrupted: bool = False
    # The brief's companions (rendered once for the batch), as rows without a table line.
    companions: tuple[RowOutcome, ...] = ()

    def _with(self, status: str) -> list[RowOutcome]:
        return [outcome for outcome in (*self.companions, *self.outcomes)
                if outcome.status == status]

    @property
    def rendered(self) -> list[RowOutcome]:
        return self._with(RENDERED)

    @property
    def reused(self) -> list[RowOutcome]:
        return self._with(REUSED)

    @property
    def failed(self) -> list[RowOutcome]:
        return self._with(FAILED)

    @property
    def index(self) -> Path:
        return self.output_dir / INDEX_NAME

    @property
    def manifest(self) -> Path:
        return self.output_dir / MANIFEST_NAME


def start_method(*, fresh_process: bool = False) -> str:
    """How worker processes start.

    ``fresh_process`` (the command line, which holds no kernel, socket or thread of its
    own when the workers start): a fork of this process, which starts with the imports
    done. Otherwise a fork server, a fresh process that
    imports the renderer once and which the workers are forked from: forking a process
    that runs a kernel client or a test runner's channel copies their sockets and locks in
    whatever state they are in, and that hangs (it did, under pytest-xdist).
    """
    methods = multiprocessing.get_all_start_methods()
    if fresh_process and "fork" in methods:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def default_jobs() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_output_dir(brief: Brief) -> Path:
    """``_output/batch/<brief>``: one folder per brief, so two briefs never share names."""
    return brief.project.output_dir / "batch" / brief.stem


def run_batch(
    report: Path | str,
    table: Path | str,
    *,
    formats: Sequence[str] = FORMATS,
    output_dir: Path | None = None,
    jobs: int | None = None,
    only: Iterable[str] = (),
    timeout: float = DEFAULT_TIMEOUT,
    progress: bool | None = None,
    fresh_process: bool = False,
    fork_server: ForkServer | None = None,
) -> BatchResult:
    """Render ``report`` once per row of ``table``; see the module's docstring.

    ``formats`` are of ``html``, ``pdf`` and ``docx``; ``only`` picks rows (see
    :meth:`~ipsreport.batch._table.Table.select`); ``timeout`` is per cell, in seconds;
    ``progress`` forces the bar on or off (default: a bar when stderr is a terminal);
    ``fresh_process`` says that workers may be forked from this process (see
    :func:`start_method`); ``fork_server`` is a kernel fork server already started (the
    command line starts it first thing), else the batch starts one when it has rows to
    render. Either way the batch stops the server once its rows are rendered.
    Raises an :class:`IpsreportError` (exit status 2) when the brief or the table cannot
    be used or the folder is locked; failed rows are in the result, not raised.
    """
    started = time.perf_counter()
    brief = read_brief(report)
    options = batch_options(brief)
    if fork_server is not None:
        # The brief's imports now, so the server does them while this process plans the
        # batch: it would otherwise sit idle once done with the common ones.
        fork_server.preload(warm_imports(brief))
    rows_table = read_table(Path(table), brief.parameters)
    rows = rows_table.select(only)
    taken = {row.stem for row in rows_table.rows} & set(options.rows)
    if taken:
        raise TableError(f"{rows_table.display_name}: a row's file name is that of the "
                         f"brief's companion {', '.join(sorted(taken))}")
    # --only renders the rows it names; the companions stay as they are.
    companions = () if tuple(only) else tuple(options.rows.values())
    folder = Path(output_dir) if output_dir is not None else default_output_dir(brief)
    lock = FileLock(str(folder / LOCK_NAME))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock.acquire(timeout=0)
    except Timeout:
        raise BatchLockedError(
            f"{folder}: another batch is writing to this folder (lock file "
            f"{folder / LOCK_NAME}); wait for it to finish or choose another --output-dir"
        ) from None
    except OSError as error:
        raise IpsreportError(f"{folder}: cannot write to it: {os_reason(error)}") from None
    try:
        with _interrupt_on_sigterm():
            run = _Run(brief, rows_table, rows, tuple(formats), folder, timeout, progress,
                       start_method(fresh_process=fresh_process), fork_server, options,
                       companions)
            return run.execute(jobs or default_jobs(), started)
    finally:
        lock.release()


@dataclass
class _Run:
    brief: Brief
    table: Table
    rows: tuple[Row, ...]
    formats: tuple[str, ...]
    folder: Path
    timeout: float
    show_bar: bool | None
    start_method: str
    fork_server: ForkServer | None
    options: BatchOptions
    companions: tuple[Row, ...]  # the companions to render or reuse in this run
    outcomes: dict[str, RowOutcome] = field(default_factory=dict)
    interrupted: bool = False
    pool: _Pool | None = None  # the workers (a second pool if a worker died)

    def execute(self, jobs: int, started: float) -> BatchResult:
        remove_stale(self.folder)
        self.manifest = Manifest(self.folder)
        self.manifest.forget_missing()
        self.base = provenance.of(self.brief.path, {}, project_root=self.brief.project.root)
        early, todo = self._plan()
        if todo and self.fork_server is None and ForkServer.supported():
            with contextlib.suppress(OSError):  # without one, kernels start the usual way
                self.fork_server = ForkServer.start(warm_imports(self.brief))
        if todo and self.fork_server is not None:
            self.fork_server.serve()
        if todo:
            self.pool = self._start_pool(jobs, todo)
        self.progress = Progress(len(self.rows) + len(self.companions), title=self.brief.stem,
                                 bar=self.show_bar)
        try:
            for row, status, reason in early:
                self.outcomes[self._key(row)] = RowOutcome(row, status, reason)
                self.progress.row(row.label, status, reason)
            if todo:
                self._render(todo)
        finally:
            # The rows are done. Stopping the server first kills its kernels at once (they
            # hold nothing worth a graceful shutdown); the workers, told to exit only then,
            # find their kernels gone instead of polling them every 0.1 s until they are.
            if self.fork_server is not None:
                self.fork_server.close()
            if self.pool is not None:
                self.pool.close()
            self.progress.close()
            problem = self._finish_folder()
        if problem:
            raise RenderError(f"{self.folder}: {problem}")
        outcomes = tuple(
            self.outcomes.get(row.key, RowOutcome(row, NOT_DONE)) for row in self.rows
        )
        companions = tuple(
            self.outcomes.get(self._key(row), RowOutcome(row, NOT_DONE))
            for row in self.companions
        )
        seconds = time.perf_counter() - started
        return BatchResult(
            output_dir=self.folder,
            outcomes=outcomes,
            seconds=seconds,
            summary=self.progress.summary(seconds, interrupted=self.interrupted),
            interrupted=self.interrupted,
            companions=companions,
        )

    def _key(self, row: Row) -> str:
        """Where a row's outcome is kept: a companion apart from the table's rows, whose
        keys it may share."""
        return f"\0companion:{row.key}" if row.line == 0 else row.key

    def _where(self, row: Row) -> str:
        """How a message points at a row, or at a companion brief."""
        companion = self.options.brief_of(row) if row.line == 0 else None
        if companion is not None:
            return f"{companion.display_name} (companion of {self.brief.display_name})"
        return self.table.where(row)

    def _plan(self) -> tuple[list[tuple[Row, str, str]], list[tuple[Row, Job, dict[str, Any]]]]:
        """The rows settled before rendering (reused, or failed validation) and the jobs to
        render."""
        early: list[tuple[Row, str, str]] = []
        todo: list[tuple[Row, Job, dict[str, Any]]] = []
        # The companions first: each is one document for all rows, and often the longest.
        for row in self.companions:
            self._plan_companion(row, early, todo)
        for row in self.rows:
            try:
                # The values as the brief's declarations type them (cheap) give the digest.
                # A row whose outputs are current was validated in full when they were
                # made, from the very same inputs (the digest covers the parameter models
                # and the data they check against); every other row is validated in full
                # now, before anything renders.
                params = coerce_parameters(row.params, self.brief.parameters,
                                           brief=self.brief.display_name)
                digest = self._digest(params)
                missing = tuple(
                    fmt for fmt in self.formats
                    if not self.manifest.is_current(f"{row.stem}.{fmt}", digest)
                )
                if not missing:
                    early.append((row, REUSED, ""))
                    continue
                params = dict(prepare(self.brief, row.params).params)
            except DataError:
                raise  # the data folder, not this row: nothing can render (exit status 2)
            except IpsreportError as error:
                early.append((row, FAILED, f"{self.table.where(row)}: {_one_line(error)}"))
                continue
            job = Job(key=row.key, params=params, stem=row.stem, formats=missing,
                      data_dir=os.environ.get(DATA_DIR_ENV) or None)
            todo.append((row, job, {"digest": self._digest(params), "params": params}))
        return early, todo

    def _plan_companion(self, row: Row, early: list[tuple[Row, str, str]],
                        todo: list[tuple[Row, Job, dict[str, Any]]]) -> None:
        """A companion is reused while its recorded digest is today's (its brief's own
        inputs, with its default parameters), and rendered otherwise."""
        companion = self.options.brief_of(row)
        assert companion is not None
        try:
            digest = provenance.of(companion.path, companion.defaults,
                                   project_root=companion.project.root).digest()
            missing = tuple(fmt for fmt in self.formats
                            if not self.manifest.is_current(f"{row.stem}.{fmt}", digest))
            if not missing:
                early.append((row, REUSED, ""))
                return
            prepare(companion)  # its defaults, validated before anything runs
        except DataError:
            raise
        except IpsreportError as error:
            early.append((row, FAILED, f"{self._where(row)}: {_one_line(error)}"))
            return
        job = Job(key=self._key(row), params={}, stem=row.stem, formats=missing,
                  brief=str(companion.path), data_dir=os.environ.get(DATA_DIR_ENV) or None)
        todo.append((row, job, {"digest": digest, "params": {}, "companion": companion}))

    def _digest(self, params: Mapping[str, Any]) -> str:
        """``provenance.of(brief, values).digest()`` for the row's values (its ``params``
        over the brief's defaults, as the renderer records them), without hashing the code,
        templates and data again for every row (they are the same for the whole run)."""
        return replace(self.base, params={**self.brief.defaults, **params}).digest()

    # -- rendering ------------------------------------------------------------------------

    def _start_pool(
        self, jobs: int, todo: list[tuple[Row, Job, dict[str, Any]]]
    ) -> _Pool:
        return _Pool(
            workers=max(1, min(jobs, len(todo))),
            initargs=(str(self.brief.path), str(self.folder), self.timeout,
                      self.fork_server.address if self.fork_server else None),
            todo=todo,
            start_method=self.start_method,
        )

    def _render(self, todo: list[tuple[Row, Job, dict[str, Any]]]) -> None:
        """Render ``todo`` on the pool; rows lost with a crashed worker get one more try."""
        by_key = {job.key: (row, job, info) for row, job, info in todo}
        for attempt in (1, 2):
            pool = self.pool
            assert pool is not None
            lost = pool.run(self._finished, self._on_interrupt)
            self.interrupted = pool.interrupted
            if not lost or self.interrupted:
                break
            if attempt == 1:
                pool.close()
                # again from a fork server: this process now runs threads (the progress bar)
                self.pool = _Pool(pool.workers, pool.initargs, [by_key[key] for key in lost],
                                  start_method())
                continue
            for key in lost:
                row = by_key[key][0]
                self._fail(row, f"{self._where(row)}: the worker process died")

    def _on_interrupt(self, hard: bool) -> None:
        self.interrupted = True
        if hard:
            self.progress.message("ipsreport: stopping the workers now")
        else:
            self.progress.message(
                "ipsreport: interrupted: finishing the documents in progress "
                "(Ctrl-C again to stop at once)"
            )

    def _finished(self, row: Row, info: Mapping[str, Any], result: JobResult) -> None:
        for warning in result.warnings:
            self.progress.message(f"ipsreport: warning: {row.label}: {warning}")
        if result.error is not None:
            reason = f"{self._where(row)}: {result.error}"
            if result.kernel_restarted:
                reason += " (the worker's kernel was restarted)"
            self._fail(row, reason)
            return
        entries = {
            str(entry["path"]): self._entry(row, info, entry, result)
            for entry in result.entries
        }
        staged = {Path(target): Path(temporary) for target, temporary in result.staged}
        try:
            # The worker staged the files; they appear now, with their entries, or not at all.
            self.manifest.update(entries, staged=staged)
        except (OSError, RenderError) as error:
            discard(staged)
            why = os_reason(error) if isinstance(error, OSError) else str(error)
            self._fail(row, f"{self._where(row)}: could not write to {self.folder}: {why} "
                            "(nothing of this row was written)")
            return
        self.outcomes[self._key(row)] = RowOutcome(row, RENDERED, files=tuple(entries))
        self.progress.row(row.label, RENDERED, f"{result.seconds:.1f} s")

    def _fail(self, row: Row, reason: str) -> None:
        self.outcomes[self._key(row)] = RowOutcome(row, FAILED, reason)
        self.progress.row(row.label, FAILED, reason)

    def _entry(
        self, row: Row, info: Mapping[str, Any], entry: Mapping[str, Any], result: JobResult
    ) -> dict[str, Any]:
        """The renderer's entry for a file, with the table row it came from (or the brief
        it is a companion of) and the key figures the document declared. The renderer
        records the digest of the inputs it saw; the planned one stands in if it did not."""
        recorded: dict[str, Any] = {
            **entry,
            DIGEST_KEY: entry.get(DIGEST_KEY) or info["digest"],
            "table": self.table.display_name,
        }
        if "companion" in info:
            recorded["companion_of"] = self.brief.display_name
        else:
            recorded["row"] = {"line": row.line, "key": row.key, "name": row.name,
                               "group": row.group}
        if result.key_figures:
            recorded[keyfigures.MANIFEST_KEY] = list(result.key_figures)
        return recorded

    def _finish_folder(self) -> str | None:
        """The manifest's forgotten entries and the index page, written as the run ends;
        what went wrong, if anything (the rows' own files and entries are in place)."""
        try:
            remove_stale(self.folder)
            if self.manifest.dirty:
                self.manifest.update()
            self._write_index()
        except OSError as error:
            return f"could not write {MANIFEST_NAME} or {INDEX_NAME}: {os_reason(error)}"
        except RenderError as error:
            return str(error)
        return None

    def _write_index(self) -> None:
        title = str(self.brief.options.get("title") or self.brief.stem)
        page = index_html(
            title=title,
            source=self.brief.display_name,
            table=self.table.display_name,
            rows=self.table.rows,
            entries=self.manifest.entries,
            # every format a row may have, in the order the index names them
            formats=(*FORMAT_NAMES, *(fmt for fmt in ALL_FORMATS if fmt not in FORMAT_NAMES)),
            # A row's key figures come from the files this run renders: the newest, when an
            # older file of another format is still listed.
            newest=self.formats,
            companions=tuple(self.options.rows.values()),
            row_label=self.options.row_label,
        )
        path = self.folder / INDEX_NAME
        data = page.encode("utf-8")
        if not path.is_file() or path.read_bytes() != data:
            atomic_write(path, data)


_Finished = Callable[[Row, Mapping[str, Any], JobResult], None]


class _Pool:
    """A process pool for one set of rows, with graceful and hard interruption."""

    def __init__(
        self,
        workers: int,
        initargs: tuple[str, str, float, str | None],
        todo: list[tuple[Row, Job, dict[str, Any]]],
        start_method: str,
    ) -> None:
        self.workers = workers
        self.initargs = initargs
        self.interrupted = False
        self.stopped_hard = False
        context = multiprocessing.get_context(start_method)
        if start_method == "forkserver":
            context.set_forkserver_preload([_worker_module])
        # A worker forked from this process checks that this is still its parent when it
        # asks to die with it; one from multiprocessing's fork server dies with that server,
        # which ends when this process does.
        parent = os.getpid() if start_method == "fork" else None
        self.executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=initialize,
            initargs=(*initargs, parent),
        )
        self.futures: dict[Future[JobResult], tuple[Row, Job, dict[str, Any]]] = {
            self.executor.submit(render_job, job): (row, job, info) for row, job, info in todo
        }

    def run(self, finished: _Finished, on_interrupt: Callable[[bool], None]) -> list[str]:
        """Hand each finished row to ``finished``; return the keys of rows whose worker died."""
        pending = set(self.futures)
        lost: list[str] = []
        try:
            self._collect(pending, finished, lost)
        except KeyboardInterrupt:
            self.interrupted = True
            for future in pending:
                future.cancel()
            on_interrupt(False)
            try:
                self._collect(pending, finished, lost)
            except KeyboardInterrupt:
                self.stopped_hard = True
                on_interrupt(True)
                self._terminate()
        return lost

    def _collect(
        self, pending: set[Future[JobResult]], finished: _Finished, lost: list[str]
    ) -> None:
        for future in as_completed(list(pending)):
            pending.discard(future)
            row, job, info = self.futures[future]
            try:
                result = future.result()
            except CancelledError:
                continue
            except BrokenProcessPool:
                lost.append(job.key)
                continue
            finished(row, info, result)

    def close(self) -> None:
        """Shut the pool down: cancel what has not started and wait for the workers to exit
        (unless they were stopped at once)."""
        self.executor.shutdown(wait=not self.stopped_hard, cancel_futures=True)

    def _terminate(self) -> None:
        processes = getattr(self.executor, "_processes", None) or {}
        for process in list(processes.values()):
            with contextlib.suppress(Exception):
                process.terminate()


@contextlib.contextmanager
def _interrupt_on_sigterm() -> Iterator[None]:
    """SIGTERM (a cancelled CI job) stops the batch as Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _one_line(error: object) -> str:
    return "; ".join(line.strip() for line in str(error).splitlines() if line.strip())
