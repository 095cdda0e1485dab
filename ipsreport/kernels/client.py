"""A Jupyter kernel client that is ready when the kernel is, not 0.2 s later.

jupyter_client's ``wait_for_ready`` ends by reading IOPub until it has been silent for
0.2 s, so every kernel start waits 0.2 s for nothing. This
client is ready when one ``kernel_info`` request has both its reply on the shell channel
and its ``idle`` status on IOPub: both channels then work, and the kernel has published
all it will for that request (the Jupyter protocol ends every request's messages with
that status). IOPub drops what the kernel published before the client had subscribed
(ZeroMQ's "slow joiner": the client's sockets keep trying to connect until the kernel
listens), so a status that does not come within 0.05 s means asking again, as
jupyter_client does after 0.2 s; a kernel_info request costs the kernel next to nothing.
Older messages need no draining: nbclient reads only the messages of its own requests.

The client's sockets also retry a connection every 10 ms instead of ZeroMQ's 100 ms. The
client connects as soon as the kernel's process exists, before the kernel has bound its
sockets (a fresh kernel binds them after its imports, a forked one soon after the fork),
so the first attempt fails, and with the default the kernel then waits up to 0.1 s for its
client. A failed attempt on a local socket costs microseconds (docs/performance.md).
"""

from __future__ import annotations

import math
import time
from queue import Empty
from typing import Any

import zmq
from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel

# How long to wait for a reply (jupyter_client's figure), and for its status on IOPub.
_REPLY_WAIT = 1.0
_IOPUB_WAIT = 0.05
# How often a socket tries again to connect to a kernel not yet listening, in milliseconds.
_RECONNECT_INTERVAL_MS = 10


class ReadyKernelClient(AsyncKernelClient):
    """``AsyncKernelClient`` with the quicker ``wait_for_ready`` and reconnection described
    above."""

    def start_channels(self, *args: Any, **kwargs: Any) -> None:
        # A default of the context: it applies to every socket the channels create.
        self.context.setsockopt(zmq.RECONNECT_IVL, _RECONNECT_INTERVAL_MS)
        super().start_channels(*args, **kwargs)

    async def _wait_until_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (math.inf if timeout is None else timeout)
        while True:
            request = self.kernel_info()
            reply = await _message(self.shell_channel, request, "kernel_info_reply", _REPLY_WAIT)
            if reply is not None and await _message(
                self.iopub_channel, request, "status", _IOPUB_WAIT, execution_state="idle"
            ):
                self._handle_kernel_info_reply(reply)
                return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")

    wait_for_ready = _wait_until_ready


async def _message(
    channel: AsyncZMQSocketChannel, parent: str, msg_type: str, timeout: float, **content: Any
) -> dict[str, Any] | None:
    """The first message on ``channel`` of ``msg_type`` answering request ``parent`` (and
    with ``content``'s values) within ``timeout`` seconds; others are skipped."""
    end = time.monotonic() + timeout
    while (left := end - time.monotonic()) > 0:
        try:
            message: dict[str, Any] = await channel.get_msg(timeout=left)
        except Empty:
            return None
        if (
            message["parent_header"].get("msg_id") == parent
            and message["msg_type"] == msg_type
            and all(message["content"].get(key) == value for key, value in content.items())
        ):
            return message
    return None
