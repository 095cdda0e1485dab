"""Writing files all or nothing: each to a temporary file beside its target, then a rename.

Every writer of an output folder (a render, a batch, the manifest, the index page) writes
through here. A full disk or a folder that cannot be written to therefore leaves the
previous files as they were and no temporary file behind; a file appears only complete.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path


def _write_fd(handle: int, data: bytes) -> None:
    """Write every byte of ``data`` to an open file descriptor."""
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view) :]


# How bytes reach the disk. The fault tests replace it with a writer that fails with
# ENOSPC after part of the bytes, as a full disk would.
write_fd: Callable[[int, bytes], None] = _write_fd


def stage(path: Path, data: bytes) -> Path:
    """Write ``data`` in full to a new temporary file beside ``path``; return that file.

    The file is flushed to disk before this returns; on any error it is removed.
    """
    handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temporary = Path(name)
    try:
        try:
            write_fd(handle, data)
            os.fsync(handle)
        finally:
            os.close(handle)
        temporary.chmod(0o644)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def write_all(files: Mapping[Path, bytes]) -> None:
    """Write several files all or nothing.

    Raises the ``OSError`` of the first file that could not be written; none of the
    targets has been touched then, and no temporary file is left behind.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            staged.append((stage(path, data), path))
        for temporary, path in staged:
            temporary.replace(path)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)  # only those not renamed (an error) remain
    for folder in {path.parent for path in files}:
        _fsync_folder(folder)


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    write_all({path: data})


def _fsync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable (where the platform allows it)."""
    try:
        handle = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def os_reason(error: OSError) -> str:
    """``Permission denied`` / ``No space left on device``: the OS's words, one line."""
    return " ".join(str(error.strerror or error).split())
