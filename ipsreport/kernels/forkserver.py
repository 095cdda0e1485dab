"""A fork server for Jupyter kernels: Python's imports paid once, not once per kernel.

A batch keeps one warm kernel per worker. Started the usual way, each kernel starts Python,
imports ipykernel and then the brief's libraries (pandas, matplotlib, scipy, ipsreport),
on every worker at once: most of a kernel's start. The fork server does those imports
once, in a process of its own that ``ipsreport batch`` starts before anything else, and
then forks a kernel for each worker that asks: a copy of the warm process, ready in a
fraction of a second, sharing the imported modules' memory copy-on-write.

Nothing that cannot survive a fork happens before it: the server opens no ZeroMQ socket,
starts no thread or event loop and creates no IPython shell; ipykernel's application does
all of that in the child, exactly as in a kernel started with ``python -m
ipykernel_launcher``. matplotlib's inline backend is not imported by the server either:
it configures itself for the IPython shell that imports it, so the kernel imports it (the
batch worker's warm-up does). The child also gets the requester's environment, working
folder, stdout and stderr, and a session of its own, like a kernel jupyter_client starts.

Protocol (this module's own, over a Unix socket): a client connects, sends one JSON line
``{"argv": [...], "env": {...}, "cwd": "..."}`` with its stdout and stderr attached as file
descriptors, and gets ``{"pid": N}`` back, and later ``{"exit": status}`` when that kernel
ends. A client that hangs up first has its kernel killed. The server imports what its
stdin names (JSON lines ``{"import": [...]}``) and serves once it reads ``{"serve": true}``;
it ends, killing its kernels, when its stdin closes or it gets SIGTERM, so a batch that
dies cannot leave it behind. The client side is :mod:`ipsreport.kernels.provisioner`.

This module imports nothing heavy, so the command line can start the server first.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import weakref
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ipsreport.kernels.environment import kernel_environment
from ipsreport.kernels.inkernel import import_quietly
from ipsreport.paths import PROJECT_ROOT

# matplotlib's backend in a kernel, which ipykernel sets unless the user chose one; the
# server sets it too before it imports matplotlib, which reads it at import.
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
# What every brief's figures and tables use: imported in each batch kernel before its first
# document, besides the brief's own imports.
COMMON_IMPORTS = ("ipsreport", "matplotlib.pyplot", "matplotlib_inline.backend_inline", "pandas")
# Imported in the kernel, never before the fork (see the module's docstring).
KERNEL_ONLY = ("matplotlib_inline", "ipykernel.pylab")
# What every kernel imports to start: the server imports it first.
KERNEL_IMPORTS = (
    "ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "ipykernel.debugger"
)
SOCKET_NAME = "kernels.sock"
_MESSAGE_LIMIT = 1 << 20


class ForkServer:
    """The server process, seen from the process that started it (a context manager).

    ``ForkServer.start()`` returns at once; the server imports in the background. Give it
    the brief's modules with :meth:`preload`, then :meth:`serve`; kernels started with
    ``Kernel(fork_server=server.address)`` are forked from it.
    """

    def __init__(self, process: subprocess.Popen[bytes], folder: str) -> None:
        self._process = process
        self._folder = folder
        self.address = str(Path(folder) / SOCKET_NAME)
        self._serving = False

    @staticmethod
    def supported() -> bool:
        """Linux only: forking a process that has imported numpy and matplotlib is not safe
        everywhere (macOS's system libraries refuse it), and Windows has no fork."""
        return sys.platform.startswith("linux") and hasattr(socket, "send_fds")

    @classmethod
    def start(cls, modules: Iterable[str] = COMMON_IMPORTS) -> ForkServer:
        """Start a server that begins with ipykernel's imports and then ``modules``."""
        folder = tempfile.mkdtemp(prefix="ipsreport-forkserver-")
        # The socket is made here and handed to the server: it exists before this returns,
        # and a client that connects before the server is ready waits in its backlog.
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
            listener.bind(str(Path(folder) / SOCKET_NAME))
            listener.listen(64)
            process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(listener.fileno())],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,  # its stderr is the command's: it says why it stops
                cwd=PROJECT_ROOT,
                env=kernel_environment(),
                pass_fds=[listener.fileno()],
                start_new_session=True,  # Ctrl-C in the terminal is the batch's to handle
            )
        server = cls(process, folder)
        # A process forked from this one (a batch worker) must not keep the server's stdin
        # open: the server ends, killing its kernels, only once every copy of it is closed.
        os.register_at_fork(after_in_child=functools.partial(_forget, weakref.ref(server)))
        server.preload(modules)
        return server

    def preload(self, modules: Iterable[str]) -> None:
        """Have the server import ``modules`` too (names it cannot import, and those only a
        kernel may import, are skipped)."""
        self._send({"import": list(modules)})

    def serve(self) -> None:
        """Let the server fork kernels once its imports are done."""
        if not self._serving:
            self._serving = True
            self._send({"serve": True})

    def _send(self, message: dict[str, Any]) -> None:
        stdin = self._process.stdin
        if stdin is None or stdin.closed:
            return
        with contextlib.suppress(OSError):  # a server that died: kernels start without it
            stdin.write(json.dumps(message).encode() + b"\n")
            stdin.flush()

    def close(self) -> None:
        """Stop the server and any kernel it still runs (safe to call more than once)."""
        process = self._process
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()  # a server that serves ends on EOF
        if process.poll() is None:
            if self._serving:
                try:
                    process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    process.kill()
            else:
                process.kill()  # still importing: nothing of value to wind down
            process.wait()
        with contextlib.suppress(OSError):
            Path(self.address).unlink()
        with contextlib.suppress(OSError):
            Path(self._folder).rmdir()

    def __enter__(self) -> ForkServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _forget(server_ref: weakref.ref[ForkServer]) -> None:
    """In a forked child: close its copy of the server's stdin (the server stays the
    parent's to stop; the child may still ask it for kernels)."""
    server = server_ref()
    stdin = server._process.stdin if server is not None else None
    if stdin is not None:
        with contextlib.suppress(OSError):
            stdin.close()


# -- the client's side of the protocol ------------------------------------------------------


def request_kernel(
    address: str,
    argv: Sequence[str],
    *,
    env: dict[str, str],
    cwd: str,
    stdout: int,
    stderr: int,
    timeout: float,
) -> tuple[int, socket.socket]:
    """Ask the server at ``address`` for a kernel; its pid and the open connection.

    Raises OSError when there is no server or it does not answer within ``timeout``
    seconds (it may still be importing; the answer comes once it serves).
    """
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.settimeout(timeout)
        connection.connect(address)
        request = {"argv": list(argv), "env": env, "cwd": cwd}
        socket.send_fds(connection, [json.dumps(request).encode() + b"\n"], [stdout, stderr])
        reply = _read_message(connection)
        if reply is None or not isinstance(reply.get("pid"), int):
            raise ConnectionError(f"the kernel fork server did not start a kernel: {reply}")
    except BaseException:
        connection.close()
        raise
    return int(reply["pid"]), connection


def _read_message(connection: socket.socket) -> dict[str, Any] | None:
    """One JSON line from ``connection``; None when it closed first."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(4096)
        if not chunk:
            return None
        data += chunk
        if len(data) > _MESSAGE_LIMIT:
            raise ConnectionError("the kernel fork server sent too much")
    message = json.loads(data)
    return message if isinstance(message, dict) else None


# -- the server ----------------------------------------------------------------------------------


def _import_all(names: Iterable[str]) -> None:
    import_quietly(name for name in names if not name.startswith(KERNEL_ONLY))


class _Server:
    def __init__(self, listener: int) -> None:
        self.listener = socket.socket(fileno=listener)
        self.kernels: dict[int, socket.socket] = {}  # pid -> its client's connection
        self.selector = selectors.DefaultSelector()
        self.wakeup_read, self.wakeup_write = os.pipe()
        self.stopping = False

    def prepare(self) -> bool:
        """Import what stdin names until it says serve; False if stdin closed first."""
        for line in sys.stdin.buffer:
            message = json.loads(line)
            _import_all(message.get("import", ()))
            if message.get("serve"):
                if threading.active_count() > 1:  # a fork would copy their locks mid-use
                    print("ipsreport: an import started a thread; not forking kernels",
                          file=sys.stderr)
                    return False
                gc.freeze()  # forked kernels then share these objects' pages untouched
                return True
        return False

    def run(self) -> None:
        os.set_blocking(self.wakeup_write, False)
        signal.set_wakeup_fd(self.wakeup_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # wakes the loop through the fd
        signal.signal(signal.SIGTERM, self._stop)
        self.selector.register(self.listener, selectors.EVENT_READ, "accept")
        self.selector.register(sys.stdin.buffer, selectors.EVENT_READ, "stdin")
        self.selector.register(self.wakeup_read, selectors.EVENT_READ, "signal")
        try:
            while not self.stopping:
                for key, _ in self.selector.select():
                    if key.data == "accept":
                        self._accept()
                    elif key.data == "stdin":
                        if not os.read(sys.stdin.fileno(), 4096):  # EOF: the owner is gone
                            self.stopping = True
                    elif key.data == "signal":
                        with contextlib.suppress(BlockingIOError):
                            os.read(self.wakeup_read, 4096)
                        self._reap()
                    else:  # a client hung up (or wrote, which it must not): end its kernel
                        self._hang_up(key.data)
        finally:
            self._kill_all()

    def _stop(self, *_: object) -> None:
        self.stopping = True

    def _accept(self) -> None:
        connection, _ = self.listener.accept()
        fds: list[int] = []
        try:
            connection.settimeout(10)  # a client sends its request at once
            message, fds, _, _ = socket.recv_fds(connection, _MESSAGE_LIMIT, 2)
            while not message.endswith(b"\n"):
                chunk = connection.recv(_MESSAGE_LIMIT)
                if not chunk or len(message) > _MESSAGE_LIMIT:
                    raise ConnectionError("an incomplete kernel request")
                message += chunk
            request = json.loads(message)
            if len(fds) != 2:
                raise ValueError("a kernel request needs stdout and stderr")
            connection.settimeout(None)
        except (OSError, ValueError):
            for fd in fds:
                os.close(fd)
            connection.close()
            return
        pid = os.fork()
        if pid == 0:  # the kernel
            self._become_kernel(request, fds)
        for fd in fds:
            os.close(fd)
        self.kernels[pid] = connection
        self.selector.register(connection, selectors.EVENT_READ, pid)
        with contextlib.suppress(OSError):
            connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")

    def _become_kernel(self, request: dict[str, Any], fds: list[int]) -> None:
        """Run in the forked child: become ``python -m ipykernel_launcher <argv>``."""
        status = 1
        try:
            for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
                signal.signal(number, signal.SIG_DFL)
            signal.set_wakeup_fd(-1)
            gc.enable()  # off in the server (see main); what it imported stays frozen
            os.setsid()
            self.selector.close()
            self.listener.close()
            for connection in self.kernels.values():
                connection.close()
            for fd in (self.wakeup_read, self.wakeup_write):
                os.close(fd)
            null = os.open(os.devnull, os.O_RDONLY)
            os.dup2(null, 0)
            os.dup2(fds[0], 1)
            os.dup2(fds[1], 2)
            for fd in (null, *fds):
                os.close(fd)
            os.chdir(request["cwd"])
            os.environ.clear()
            os.environ.update(request["env"])
            sys.argv = list(request["argv"])
            parent = os.environ.get("JPY_PARENT_PID")
            if parent:  # ipykernel read it from the environment at import, in the server
                sys.argv.append(f"--IPKernelApp.parent_handle={parent}")
            if "numpy" in sys.modules:  # random reseeds itself after a fork; numpy does not
                sys.modules["numpy"].random.seed()
            from ipykernel import kernelapp

            kernelapp.launch_new_instance()
            status = 0
        except SystemExit as exit_:
            status = exit_.code if isinstance(exit_.code, int) else 1
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            with contextlib.suppress(BaseException):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(status)

    def _reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            connection = self.kernels.pop(pid, None)
            if connection is not None:
                with contextlib.suppress(KeyError):  # not if it hung up first
                    self.selector.unregister(connection)
                with contextlib.suppress(OSError):
                    message = {"exit": os.waitstatus_to_exitcode(status)}
                    connection.sendall(json.dumps(message).encode() + b"\n")
                connection.close()

    def _hang_up(self, pid: int) -> None:
        connection = self.kernels.get(pid)
        if connection is not None:
            self.selector.unregister(connection)
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)  # reaped, and the connection closed, in _reap

    def _kill_all(self) -> None:
        for pid in list(self.kernels):
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
        for pid in list(self.kernels):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            self.kernels.pop(pid).close()


def main(argv: Sequence[str]) -> int:
    """``python -m ipsreport.kernel_forkserver FD``: serve on the listening Unix socket
    inherited as file descriptor FD (see :meth:`ForkServer.start`)."""
    if len(argv) != 2 or not argv[1].isdigit():
        print("usage: python -m ipsreport.kernel_forkserver FD", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    server = _Server(int(argv[1]))
    # Python's recipe for a process that forks without exec (see gc.freeze): no garbage
    # collection here, where the imports make millions of objects and no garbage (the
    # collector's passes over them cost a good part of the import time), the objects
    # frozen before a fork, and collection back on in each kernel.
    gc.disable()
    _import_all(KERNEL_IMPORTS)
    if server.prepare():
        server.run()
    return 0


if __name__ == "__main__":
    status = main(sys.argv)
    # Its kernels are reaped and its sockets closed: tearing down what it imported would
    # only keep the batch waiting.
    sys.stderr.flush()
    os._exit(status)
