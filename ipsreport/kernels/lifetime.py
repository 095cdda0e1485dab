"""Processes that end when the process that started them ends.

A batch's workers must not outlive it: a worker that went on after ``kill -9`` of its batch
would keep rendering, and hold the folder, for nobody. Linux can send a process a signal
when its parent ends (``prctl(PR_SET_PDEATHSIG)``); a worker asks for SIGKILL first thing.
What the worker started then ends too: its Pandoc server reads the worker's pipe and ends
with it, a kernel it started watches its parent (ipykernel's parent poller), and a kernel
forked by the fork server is killed by the server when the worker's connection closes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int | None = None, signum: int = signal.SIGKILL) -> bool:
    """Have this process get ``signum`` when its parent ends. ``parent`` is the pid the
    parent should have: if it is already gone (this process was reparented in between),
    exit now. False where the platform cannot do this (not Linux)."""
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0) != 0:
        return False
    if parent is not None and os.getppid() != parent:
        os._exit(1)
    return True
