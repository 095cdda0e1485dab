"""A batch folder's documents, by municipality, as its ``manifest.json`` lists them.

``ipsreport batch`` records each file it writes with the table row it came from (``row``:
its key, name and group) and the file's SHA-256. Distribution reads only that: a row's key
is the ``kommunekode`` a recipient names, and a file is attached only while its bytes are
still the ones the batch recorded.

Key figures for the cover email are those the document declared about itself and the batch
recorded in its entry (:mod:`ipsreport.keyfigures`): each a label and the text a reader sees
in the document (``"50"``, ``"2,8 mio. kr."``). Without them the email says that the figures
are in the document.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipsreport import keyfigures
from ipsreport.digest import file_digest
from ipsreport.errors import IpsreportError, shown
from ipsreport.markup import one_line
from ipsreport.render import MANIFEST_NAME

_MAX_FIGURES = 12


class FolderError(IpsreportError):
    """The folder is not a batch folder that can be distributed (exit status 2)."""


@dataclass(frozen=True)
class File:
    """One of a municipality's files: its name in the folder, format and recorded SHA-256."""

    name: str
    format: str
    sha256: str
    path: Path


@dataclass(frozen=True)
class Municipality:
    """A row of the batch: its key, name and group, its files by format and key figures."""

    key: str
    name: str
    group: str | None
    files: Mapping[str, File] = field(default_factory=dict)
    figures: tuple[tuple[str, str], ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"{self.key} {self.name}" if self.name != self.key else self.key


def same_key(a: str, b: str) -> bool:
    """Whether two municipality codes are the same: ``0461`` is ``461``."""
    if a.isdigit() and b.isdigit():
        return int(a) == int(b)
    return a == b


def read_folder(folder: Path) -> dict[str, Municipality]:
    """The municipalities of the batch folder ``folder``, by row key, in manifest order.

    Raises :class:`FolderError` when there is no folder, no readable manifest, or no entry
    that a batch recorded (with its ``row``)."""
    where = shown(str(folder), 200, quote=False)
    if not folder.is_dir():
        raise FolderError(f"{where}: no such folder")
    manifest = folder / MANIFEST_NAME
    try:
        loaded = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FolderError(f"{where}: no {MANIFEST_NAME}: not a folder that ipsreport batch "
                          "wrote") from None
    except (OSError, ValueError) as error:
        raise FolderError(f"{where}: {MANIFEST_NAME} cannot be read: "
                          f"{shown(str(error), 120, quote=False)}") from None
    outputs = loaded.get("outputs") if isinstance(loaded, dict) else None
    if not isinstance(outputs, dict):
        raise FolderError(f"{where}: {MANIFEST_NAME} lists no outputs")
    rows: dict[str, dict[str, Any]] = {}
    for name, entry in sorted(outputs.items()):
        row = entry.get("row") if isinstance(entry, dict) else None
        if not isinstance(row, dict) or not row.get("key"):
            continue
        key = str(row["key"])
        found = rows.setdefault(key, {"row": row, "files": {}, "figures": (), "params": {}})
        fmt = str(entry.get("format") or Path(name).suffix.lstrip("."))
        found["files"][fmt] = File(name=name, format=fmt, sha256=str(entry.get("sha256", "")),
                                   path=folder / name)
        found["figures"] = found["figures"] or key_figures(entry.get(keyfigures.MANIFEST_KEY))
        found["params"] = found["params"] or dict(entry.get("params") or {})
    if not rows:
        raise FolderError(f"{where}: {MANIFEST_NAME} has no document from a batch table "
                          "(render them with ipsreport batch)")
    return {
        key: Municipality(
            key=key,
            name=one_line(found["row"].get("name") or key),
            group=one_line(found["row"]["group"]) if found["row"].get("group") else None,
            files=found["files"],
            figures=found["figures"],
            params=found["params"],
        )
        for key, found in rows.items()
    }


def key_figures(value: object) -> tuple[tuple[str, str], ...]:
    """An entry's key figures as (label, text) pairs; none when there are none, or when
    what is recorded is not key figures."""
    if value is None:
        return ()
    try:
        declared = keyfigures.decode(value)
    except ValueError:
        return ()
    figures = tuple((one_line(f.label), one_line(f.text)) for f in declared if one_line(f.label))
    return figures[:_MAX_FIGURES]


def intact(file: File) -> bool:
    """Whether the file is still there with the bytes the batch recorded."""
    try:
        return file.path.is_file() and file_digest(file.path) == file.sha256
    except OSError:
        return False
