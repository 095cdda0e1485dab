"""SHA-256 digests of files and folders: the one way ipsreport fingerprints its inputs.

The data folder's digest is part of every output's provenance (``ipsreport verify``) and of
the loaded :class:`~ipsreport.sources.SourceData`; the code and templates digests use the
same rule. A digest covers each file's name and bytes, in name order, so renaming a file
changes it as much as editing one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path


def files_digest(files: Iterable[tuple[str, Path]]) -> str:
    """SHA-256 over ``(name, path)`` pairs: each name and the file's bytes, sorted by name."""
    digest = hashlib.sha256()
    for name, path in sorted(files):
        digest.update(name.encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def folder_digest(folder: Path, include: Callable[[Path], bool] = lambda _: True) -> str:
    """SHA-256 over every file under ``folder`` that ``include`` accepts, named by its path
    relative to ``folder``."""
    return files_digest(
        (path.relative_to(folder).as_posix(), path)
        for path in folder.rglob("*")
        if path.is_file() and include(path)
    )


def bytes_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str:
    """SHA-256 of one file's bytes, read in blocks (a PDF can be large)."""
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()
