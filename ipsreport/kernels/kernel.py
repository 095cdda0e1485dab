"""A running ``python3`` Jupyter kernel, and the one way to send it a request.

The built-in renderer executes a brief's cells on a :class:`Kernel` through nbclient; a
batch keeps one per worker and runs brief after brief on it. :meth:`Kernel.request` and
:meth:`Kernel.run` send code that is not a cell of the brief (inline expressions, the set-up
before a document, the warm-up) and turn a timeout, a dead kernel or an error into a
:class:`~ipsreport.errors.RenderError`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from types import TracebackType
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_core.paths import jupyter_path
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode
from traitlets import default

from ipsreport.errors import RenderError
from ipsreport.kernels.client import ReadyKernelClient
from ipsreport.kernels.environment import kernel_environment
from ipsreport.kernels.provisioner import ForkProvisioner
from ipsreport.paths import PROJECT_ROOT

KERNEL_NAME = "python3"
KERNELSPEC = {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"}
# The kernel client: jupyter_client's, ready without its fixed wait (see kernels.client).
_READY_CLIENT = f"{ReadyKernelClient.__module__}.{ReadyKernelClient.__name__}"


class _KernelSpecs(KernelSpecManager):
    """jupyter_client's kernel specs, looked up without importing IPython.

    jupyter_client searches Jupyter's data folders for a kernel spec, then IPython's
    profile folder (``~/.ipython/kernels``, from before Jupyter had folders of its own; "At
    some point, we should stop adding .ipython/kernels to the path", says its source), and
    finds that folder by importing ``IPython.paths``, which imports all of IPython before
    the kernel can start: 0.13 s on an idle machine, up to 0.6 s in a batch's worker
    (docs/performance.md). Here the search is Jupyter's folders, then ipykernel's own
    ``python3``, as in jupyter_client."""

    @default("kernel_dirs")
    def _kernel_dirs_default(self) -> list[str]:
        return jupyter_path("kernels")


def new_notebook() -> NotebookNode:
    """An empty nbformat v4 notebook (typed wrapper: nbformat has no annotations)."""
    nb: NotebookNode = nbformat.v4.new_notebook()  # type: ignore[no-untyped-call]
    return nb


class Kernel:
    """A running ``python3`` Jupyter kernel that executes briefs one after another.

    Use it as a context manager; it shuts the kernel down on exit. The kernel inherits this
    process's environment (so ``IPSREPORT_DATA_DIR`` reaches the briefs) with the project
    folder put first on ``PYTHONPATH``, so ``import ipsreport`` works from any brief.

    ``fork_server`` is the address of a :class:`~ipsreport.kernels.forkserver.ForkServer`:
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
                        f"could not start the {KERNEL_NAME} Jupyter kernel: {one_line(error)}"
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
            kernel_name=KERNEL_NAME, client_class=_READY_CLIENT,
            kernel_spec_manager=_KernelSpecs(), **sockets
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

    def request(
        self, code: str, *, what: str, timeout: float | None = None, **extra: Any
    ) -> dict[str, Any]:
        """Execute ``code`` silently (no output, no history) and return the reply;
        ``extra`` goes into the request (``user_expressions``). ``what`` names the request
        in errors; ``timeout`` (seconds) replaces the limit set for the brief's cells."""
        client = self._client
        assert client.kc is not None
        if timeout is not None:
            client.timeout = max(1, round(timeout))
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

    def run(self, code: str, *, what: str, timeout: float | None = None) -> None:
        """:meth:`request`, and a RenderError naming the exception if ``code`` raised."""
        content = self.request(code, what=what, timeout=timeout).get("content", {})
        if content.get("status") != "ok":
            raise RenderError(
                f"{what} failed: {content.get('ename', 'Error')}: "
                f"{one_line(content.get('evalue', ''))}"
            )

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


def one_line(text: object, limit: int = 300) -> str:
    """A message from a kernel on one line, at most ``limit`` characters."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."
