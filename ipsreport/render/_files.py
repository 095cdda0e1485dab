"""Writing files all or nothing: each to a temporary file beside its target, then a rename.

Every writer of an output folder (a render, a batch, the manifest, the index page) writes
through here, in two steps. :func:`stage` writes a file's bytes in full, flushed to disk, to
a temporary file beside its target; :func:`commit` renames a set of staged files into place,
and puts back what was there if any rename fails (a target that turned out to be a folder,
say), so the targets change together or not at all. A full disk, a read-only file system or
a folder that cannot be written to therefore leaves the previous files as they were.

A temporary file's name holds the id of the process that wrote it
(``.461-odense.pdf.<pid>.<random>.tmp``). A writer killed before it could commit or clean up
leaves it behind; :func:`remove_stale` (which every writer calls under the folder's lock)
removes those whose process is gone, and never one that a live writer is still filling.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

_SUFFIX = ".tmp"
# .<target>.<pid>.<random>[.old].tmp, as _temporary names them
_STAGED = re.compile(r"^\..+\.(?P<pid>[0-9]+)\.[^.]+(?:\.old)?\.tmp$")


def _write_fd(handle: int, data: bytes) -> None:
    """Write every byte of ``data`` to an open file descriptor."""
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view) :]


# How bytes reach the disk. A test may replace it with a writer that fails after part of
# the bytes, to reach every error path; the fault tests use a real full disk too.
write_fd: Callable[[int, bytes], None] = _write_fd


def _temporary(path: Path, kind: str = "") -> tuple[int, Path]:
    handle, name = tempfile.mkstemp(
        prefix=f".{path.name}.{os.getpid()}.", suffix=f"{kind}{_SUFFIX}", dir=path.parent
    )
    return handle, Path(name)


def stage(path: Path, data: bytes) -> Path:
    """Write ``data`` in full to a new temporary file beside ``path``; return that file.

    The file is flushed to disk before this returns; on any error it is removed.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = _temporary(path)
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


def stage_all(files: Mapping[Path, bytes]) -> dict[Path, Path]:
    """:func:`stage` each file; on any error none stays staged. Returns target -> staged."""
    staged: dict[Path, Path] = {}
    try:
        for path, data in files.items():
            staged[path] = stage(path, data)
    except BaseException:
        discard(staged)
        raise
    return staged


def commit(staged: Mapping[Path, Path]) -> None:
    """Rename staged files (target -> temporary file) into place, all or nothing.

    Raises the ``OSError`` that stopped it; the targets are then as they were before, and
    no temporary file of this call remains.
    """
    try:
        for target in staged:
            if target.is_dir():
                raise IsADirectoryError(21, "Is a directory", str(target))
        _replace_all(staged)
    finally:
        discard(staged)  # only what was not renamed (after an error) is still there
    for folder in {target.parent for target in staged}:
        _fsync_folder(folder)


def _replace_all(staged: Mapping[Path, Path]) -> None:
    """Rename each staged file over its target; on an error, put the old targets back."""
    done: list[tuple[Path, Path | None]] = []  # target, and the link to its old file
    try:
        for target, temporary in staged.items():
            backup = None
            if target.exists():
                handle, backup = _temporary(target, ".old")
                os.close(handle)
                backup.unlink()
                os.link(target, backup)
            done.append((target, backup))
            temporary.replace(target)
    except BaseException:
        for target, backup in reversed(done):
            with contextlib.suppress(OSError):
                if backup is not None:
                    backup.replace(target)
                else:
                    target.unlink(missing_ok=True)
        raise
    finally:
        for _target, backup in done:
            if backup is not None:
                backup.unlink(missing_ok=True)


def write_all(files: Mapping[Path, bytes]) -> None:
    """Write several files all or nothing (:func:`stage_all`, then :func:`commit`)."""
    commit(stage_all(files))


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    write_all({path: data})


def discard(staged: Mapping[Path, Path]) -> None:
    """Remove staged files that were not committed."""
    for temporary in staged.values():
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def remove_stale(folder: Path) -> list[Path]:
    """Remove the temporary files in ``folder`` whose writer has ended; return them."""
    removed: list[Path] = []
    try:
        candidates = list(folder.glob(f".*{_SUFFIX}"))
    except OSError:
        return removed
    for path in candidates:
        match = _STAGED.match(path.name)
        if match is None or _alive(int(match.group("pid"))):
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


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
