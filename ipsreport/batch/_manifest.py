"""``manifest.json`` of a batch folder: every output, what it was built from, its hash.

The file has the renderer's shape (``{"outputs": {<file name>: entry}}``), so either can
read what the other wrote and both merge rather than overwrite. Each entry carries the
output's provenance digest (``build_sha256``, :func:`ipsreport.provenance.of`, recorded by
the renderer), which is what makes the batch incremental: an output is current when its
entry has the digest of today's inputs and the file still has the recorded SHA-256. The
batch adds the table row the output came from.

The manifest is rewritten after every finished row, atomically (a temporary file and a
rename) and under the renderer's manifest lock, so an interrupted batch leaves a manifest
that lists exactly the files that were completely written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from filelock import FileLock

from ipsreport.render import MANIFEST_NAME
from ipsreport.render._output import atomic_write, lock_path

# The renderer records the provenance digest (ipsreport.provenance) under this key.
DIGEST_KEY = "build_sha256"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Manifest:
    """The entries of one folder's ``manifest.json``, read once and saved after each row."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / MANIFEST_NAME
        self._lock = FileLock(str(lock_path(folder)))
        self.entries: dict[str, dict[str, Any]] = _read(self.path)
        self._changed: dict[str, dict[str, Any] | None] = {}
        self._pending = False

    def entry(self, name: str) -> Mapping[str, Any] | None:
        return self.entries.get(name)

    def is_current(self, name: str, digest: str) -> bool:
        """Whether ``name`` was built from inputs with ``digest`` and is still that file."""
        entry = self.entries.get(name)
        if not entry or entry.get(DIGEST_KEY) != digest:
            return False
        path = self.folder / name
        try:
            return path.is_file() and file_sha256(path) == entry.get("sha256")
        except OSError:
            return False

    def forget_missing(self) -> None:
        """Drop entries whose file is gone (deleted by hand, or renamed rows)."""
        for name in list(self.entries):
            if not (self.folder / name).is_file():
                del self.entries[name]
                self._changed[name] = None
                self._pending = True

    @property
    def dirty(self) -> bool:
        """Whether there are changes not yet saved (entries forgotten, nothing recorded)."""
        return bool(self._pending)

    def record(self, entries: Mapping[str, dict[str, Any]]) -> None:
        """Add or replace entries and save at once."""
        for name, entry in entries.items():
            self.entries[name] = entry
            self._changed[name] = entry
        self.save()

    def save(self) -> None:
        """Write this run's changes over what is on disk now (another writer may have added
        entries for files of its own since we read it)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with self._lock:
            entries = _read(self.path)
            for name, entry in self._changed.items():
                if entry is None:
                    entries.pop(name, None)
                else:
                    entries[name] = entry
            text = json.dumps(
                {"outputs": entries}, indent=2, sort_keys=True, ensure_ascii=False, default=str
            )
            atomic_write(self.path, (text + "\n").encode("utf-8"))
            self.entries = entries
            self._pending = False


def _read(path: Path) -> dict[str, dict[str, Any]]:
    """The entries on disk; a missing or damaged manifest counts as empty (rebuild all)."""
    try:
        loaded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    outputs = loaded.get("outputs") if isinstance(loaded, dict) else None
    if not isinstance(outputs, dict):
        return {}
    return {str(k): dict(v) for k, v in outputs.items() if isinstance(v, dict)}
