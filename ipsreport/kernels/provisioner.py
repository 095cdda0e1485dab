"""Kernels forked from a warm fork server, managed through jupyter_client as usual.

jupyter_client starts a kernel through a *provisioner*; the default one
(:class:`~jupyter_client.provisioning.LocalProvisioner`) runs the kernel spec's command
with :class:`subprocess.Popen` and then manages the process through the Popen object.
:class:`ForkProvisioner` asks :mod:`ipsreport.kernels.forkserver` for the kernel instead,
and hands the provisioner a :class:`ForkedKernelProcess`: the part of Popen's interface
that the provisioner uses (poll, wait, signals), for a process that is the server's child
rather than ours. Everything else (connection file, ports, shutdown, interrupts) is
jupyter_client's own code, unchanged.

When the server cannot be reached, the kernel starts the usual way: slower, never wrong.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning.local_provisioner import LocalProvisioner

from ipsreport.kernels.forkserver import request_kernel

_log = logging.getLogger(__name__)
LAUNCHER = ("-m", "ipykernel_launcher")


class ForkedKernelProcess:
    """A kernel the fork server started, with the Popen methods a provisioner calls.

    The server reports the kernel's exit status on ``connection``; until then the kernel
    runs. Signals go straight to the kernel's process group (it leads one, as a kernel
    jupyter_client starts does).
    """

    stdin = stdout = stderr = None

    def __init__(self, pid: int, connection: socket.socket) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._connection = connection
        self._buffer = b""

    def poll(self) -> int | None:
        if self.returncode is None:
            self._read(block=False)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if self.returncode is None:
            self._connection.settimeout(timeout)
            self._read(block=True)
        assert self.returncode is not None
        return self.returncode

    def _read(self, *, block: bool) -> None:
        if not block:
            self._connection.setblocking(False)
        try:
            chunk = self._connection.recv(4096)
        except (BlockingIOError, TimeoutError):
            if block:
                raise
            return
        except OSError:
            chunk = b""
        if not chunk:  # the server went away; it kills its kernels as it goes
            self._finish(-signal.SIGKILL)
            return
        self._buffer += chunk
        if self._buffer.endswith(b"\n"):
            message = json.loads(self._buffer)
            self._finish(int(message.get("exit", 1)))
        elif block:
            self._read(block=True)

    def _finish(self, status: int) -> None:
        self.returncode = status
        self._connection.close()

    def send_signal(self, signum: int) -> None:
        if self.returncode is None:
            os.kill(self.pid, signum)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class ForkProvisioner(LocalProvisioner):
    """Starts the kernel by asking the fork server at ``address``; see the module."""

    def __init__(self, address: str, startup_timeout: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.address = address
        self.startup_timeout = startup_timeout

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        if tuple(cmd[1:3]) != LAUNCHER:  # not the ipykernel the server preloaded
            return await super().launch_kernel(cmd, **kwargs)
        env = dict(kwargs.get("env") or os.environ)
        env["JPY_PARENT_PID"] = str(os.getpid())  # as jupyter_client's launcher sets it
        try:
            pid, connection = request_kernel(
                self.address,
                [cmd[0], *cmd[3:]],
                env=env,
                cwd=str(kwargs.get("cwd") or Path.cwd()),
                stdout=_fileno(kwargs.get("stdout"), 1),
                stderr=_fileno(kwargs.get("stderr"), 2),
                timeout=self.startup_timeout,
            )
        except (OSError, ValueError) as error:
            _log.debug("kernel fork server unavailable (%s); starting a kernel", error)
            return await super().launch_kernel(cmd, **kwargs)
        # Typed as a Popen; this provides the part of Popen that the provisioner uses.
        self.process = ForkedKernelProcess(pid, connection)  # type: ignore[assignment]
        self.pid = self.pgid = pid
        self.cwd = kwargs.get("cwd", Path.cwd())
        return self.connection_info


def _fileno(stream: Any, default: int) -> int:
    """The file descriptor behind ``stream``: a file, a descriptor, or None for ``default``
    (this process's own, which a kernel started with Popen would inherit)."""
    if isinstance(stream, int):
        return stream
    with contextlib.suppress(AttributeError, OSError, ValueError):
        return int(stream.fileno())
    return default
