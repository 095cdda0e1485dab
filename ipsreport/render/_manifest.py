"""``manifest.json`` of an output folder: every output, what it was built from, its hash.

One writer for every command: a render merges its outputs' entries, a batch records each
row the moment it is rendered. Both go through :meth:`Manifest.update`, which takes the
folder's lock (waiting at most :data:`LOCK_TIMEOUT` seconds for another writer), removes
the temporary files of writers that died (``_files.remove_stale``), reads what is on disk
now (another writer may have added entries since), merges this writer's changes, and
commits the manifest together with the files it describes, all or nothing
(``_files.commit``). So the manifest never describes a file that is not there, a file is
never in place without its entry, and an interrupted batch leaves a manifest that lists
exactly the files that were completely written.

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

from filelock import FileLock, Timeout

from ipsreport.digest import file_digest
from ipsreport.errors import RenderError
from ipsreport.render._files import commit, discard, remove_stale, stage, stage_all

MANIFEST_NAME = "manifest.json"
# Seconds a writer waits for another to finish with the folder's manifest.
LOCK_TIMEOUT = 60.0
# The renderer records the provenance digest (ipsreport.provenance) under this key.
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
        staged: Mapping[Path, Path] | None = None,
    ) -> None:
        """Add or replace ``entries`` (and drop the forgotten ones) in the manifest on disk,
        and put ``files`` (bytes by target) and ``staged`` files (temporary file by target,
        from ``_files.stage``) in place with it, all or nothing, under the folder's lock.

        Raises ``OSError`` when the folder cannot be written (nothing changed then), and a
        RenderError when another writer holds the lock for longer than LOCK_TIMEOUT.
        """
        all_staged = dict(staged or {})
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with FileLock(str(lock_path(self.folder)), timeout=LOCK_TIMEOUT):
                remove_stale(self.folder)
                merged = _read(self.path)
                for name in self._forgotten:
                    merged.pop(name, None)
                merged.update(entries or {})
                text = json.dumps(
                    {"outputs": merged}, indent=2, sort_keys=True, ensure_ascii=False,
                    default=str,
                )
                all_staged.update(stage_all(files or {}))
                all_staged[self.path] = stage(self.path, (text + "\n").encode("utf-8"))
                commit(all_staged)
        except Timeout:
            raise RenderError(
                f"{self.folder}: another writer has held {lock_path(self.folder).name} for "
                f"{LOCK_TIMEOUT:g} s; nothing was written"
            ) from None
        finally:
            discard(all_staged)
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
