"""``manifest.json`` of an output folder: every output, what it was built from, its hash.

One writer for every command: a render merges its outputs' entries, a batch records each
row the moment it is written. Both go through :meth:`Manifest.update`, which takes the
folder's lock, reads what is on disk now (another writer may have added entries since),
merges this writer's changes and writes the manifest, together with any files that must
appear with it, all or nothing (``_files.write_all``). So the manifest never describes a
file that is not there, and an interrupted batch leaves one that lists exactly the files
that were completely written.

The file is ``{"outputs": {<file name>: entry}}``. Each entry carries the output's
provenance digest (``build_sha256``), which is what makes a batch incremental: an output is
current when its entry has the digest of today's inputs and the file still has the
recorded SHA-256.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from filelock import FileLock

from ipsreport.digest import file_digest
from ipsreport.render._files import write_all

MANIFEST_NAME = "manifest.json"
# The renderer records the provenance digest (render._provenance) under this key.
DIGEST_KEY = "build_sha256"


def lock_path(folder: Path) -> Path:
    """The lock file that every writer of ``folder/manifest.json`` holds."""
    return folder / f".{MANIFEST_NAME}.lock"


class Manifest:
    """The entries of one folder's ``manifest.json``, as this writer last saw them."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / MANIFEST_NAME
        self.entries: dict[str, dict[str, Any]] = _read(self.path)
        self._forgotten: set[str] = set()

    def entry(self, name: str) -> Mapping[str, Any] | None:
        return self.entries.get(name)

    def is_current(self, name: str, digest: str) -> bool:
        """Whether ``name`` was built from inputs with ``digest`` and is still that file."""
        entry = self.entries.get(name)
        if not entry or entry.get(DIGEST_KEY) != digest:
            return False
        path = self.folder / name
        try:
            return path.is_file() and file_digest(path) == entry.get("sha256")
        except OSError:
            return False

    def forget_missing(self) -> None:
        """Drop entries whose file is gone (deleted by hand, or renamed rows); saved with
        the next :meth:`update`."""
        for name in list(self.entries):
            if not (self.folder / name).is_file():
                del self.entries[name]
                self._forgotten.add(name)

    @property
    def dirty(self) -> bool:
        """Whether entries were forgotten that the file on disk still lists."""
        return bool(self._forgotten)

    def update(
        self,
        entries: Mapping[str, dict[str, Any]] | None = None,
        files: Mapping[Path, bytes] | None = None,
    ) -> None:
        """Add or replace ``entries`` (and drop the forgotten ones) in the manifest on disk,
        writing ``files`` with it, all or nothing, under the folder's lock."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with FileLock(str(lock_path(self.folder))):
            merged = _read(self.path)
            for name in self._forgotten:
                merged.pop(name, None)
            merged.update(entries or {})
            text = json.dumps(
                {"outputs": merged}, indent=2, sort_keys=True, ensure_ascii=False, default=str
            )
            write_all({**(files or {}), self.path: (text + "\n").encode("utf-8")})
        self.entries = merged
        self._forgotten.clear()


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
