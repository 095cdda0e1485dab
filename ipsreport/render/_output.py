"""Output files: their names, atomic writing, and the manifest of what was built from what.

A parameterised render is named after its parameters (``guide-kommunekode-461.pdf``) so
that renders for different municipalities never overwrite each other. Every file is
written to a temporary file in the same folder and renamed into place, and
``manifest.json`` records each output's source, parameters, hash and provenance. Several
workers may finish at once, so the manifest is updated under a file lock.

The files of one render (its HTML, its PDF and the manifest) are written all or nothing:
each is first written in full to a temporary file beside its target, and only when every
one of them is complete are they renamed into place. A full disk or a folder that cannot
be written to therefore leaves the previous outputs as they were and no temporary files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock

from ipsreport.errors import RenderError
from ipsreport.paths import data_dir
from ipsreport.sources import data_digest

MANIFEST_NAME = "manifest.json"
_MAX_STEM = 100
_TRANSLITERATE = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})


@dataclass(frozen=True)
class Output:
    """One file written: which brief, which format, where, with what parameters."""

    report: str
    format: str
    path: Path
    params: Mapping[str, Any] = field(default_factory=dict)
    sha256: str = ""
    provenance: Mapping[str, Any] = field(default_factory=dict)

    def manifest_entry(self, output_dir: Path) -> dict[str, Any]:
        return {
            "report": self.report,
            "format": self.format,
            "path": _relative(self.path, output_dir),
            "params": dict(self.params),
            "sha256": self.sha256,
            **self.provenance,
        }


def slugify(value: object) -> str:
    """Lower-case ASCII words joined by hyphens: ``"Høje-Taastrup"`` → ``hoeje-taastrup``."""
    text = str(value).translate(_TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def output_stem(stem: str, params: Mapping[str, Any]) -> str:
    """The file name (without extension) for a brief rendered with ``params``.

    Deterministic: parameters in name order, each as ``name-value``. When a value does not
    survive slugging unchanged (``"København"``, ``"a b"``) or the name would be too long,
    a short hash of all parameters is appended, so different parameters never collide.
    """
    if not params:
        return stem
    parts = [stem]
    lossy = False
    for name in sorted(params):
        value = params[name]
        shown = _canonical(value)
        slug = slugify(shown)
        lossy = lossy or slug != shown.lower() or not slug
        parts += [slugify(name), slug or "x"]
    name = "-".join(part for part in parts if part)
    if lossy or len(name) > _MAX_STEM:
        digest = hashlib.sha256(
            json.dumps(dict(params), sort_keys=True, default=str).encode("utf-8")
        ).hexdigest()[:8]
        name = f"{name[:_MAX_STEM]}-{digest}"
    return name


def _write_fd(handle: int, data: bytes) -> None:
    """Write every byte of ``data`` to an open file descriptor."""
    view = memoryview(data)
    while view:
        view = view[os.write(handle, view) :]


# How bytes reach the disk. The fault tests replace it with a writer that fails with
# ENOSPC after part of the bytes, as a full disk would: a test cannot fill a disk.
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
    """Write several files all or nothing (see the module's docstring).

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


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def data_sha256() -> str | None:
    """The digest of the data folder in force, as :mod:`ipsreport.provenance` computes it
    (so the manifest and the outputs' embedded provenance agree)."""
    folder = data_dir()
    if not folder.is_dir():
        return None
    return data_digest(folder)


def update_manifest(
    output_dir: Path, outputs: Iterable[Output], files: Mapping[Path, bytes] | None = None
) -> Path:
    """Merge entries for ``outputs`` into ``output_dir/manifest.json`` (atomically, locked).

    ``files`` (the outputs' bytes by path) are written together with the manifest, all or
    nothing, so the manifest never describes a file that is not there.
    """
    path = output_dir / MANIFEST_NAME
    output_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(lock_path(output_dir))):
        entries: dict[str, Any] = {}
        if path.is_file():
            try:
                existing = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                existing = {}
            if isinstance(existing, dict) and isinstance(existing.get("outputs"), dict):
                entries = dict(existing["outputs"])
        for output in outputs:
            entry = output.manifest_entry(output_dir)
            entries[entry["path"]] = entry
        text = json.dumps(
            {"outputs": entries}, indent=2, sort_keys=True, ensure_ascii=False, default=str
        )
        write_all({**(files or {}), path: (text + "\n").encode("utf-8")})
    return path


def publish(
    report: str,
    output_dir: Path,
    stem: str,
    built: Mapping[str, bytes],
    *,
    params: Mapping[str, Any],
    provenance: Mapping[str, Any],
    manifest: bool = True,
) -> list[Output]:
    """Write ``built`` (bytes by format) as ``<stem>.<format>`` in ``output_dir``, and with
    ``manifest`` their manifest entries, all or nothing; return what was written.

    Both engines end here. On failure nothing is left behind, not even the folders this
    call created, and the error is one :class:`RenderError` line naming ``report``.
    """
    files = {output_dir / f"{stem}.{fmt}": data for fmt, data in built.items()}
    outputs = [
        Output(
            report=report,
            format=fmt,
            path=path,
            params=dict(params),
            sha256=sha256_bytes(data),
            provenance=provenance,
        )
        for (fmt, data), path in zip(built.items(), files, strict=True)
    ]
    missing = [path for path in (output_dir, *output_dir.parents) if not path.exists()]
    try:
        if manifest:
            update_manifest(output_dir, outputs, files)
        else:
            write_all(files)
    except OSError as error:
        for created in missing:  # deepest first: remove the folders this call created
            with contextlib.suppress(OSError):
                lock_path(created).unlink(missing_ok=True)
                created.rmdir()
        raise RenderError(
            f"{report}: could not write to {output_dir}: {os_reason(error)} (nothing was written)"
        ) from None
    return outputs


def os_reason(error: OSError) -> str:
    """``Permission denied`` / ``No space left on device``: the OS's words, one line."""
    return " ".join(str(error.strerror or error).split())


def lock_path(output_dir: Path) -> Path:
    """The lock file that every writer of ``output_dir/manifest.json`` holds (the batch too)."""
    return output_dir / f".{MANIFEST_NAME}.lock"


def _canonical(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, sort_keys=True, default=str)


def _relative(path: Path, folder: Path) -> str:
    try:
        return path.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
