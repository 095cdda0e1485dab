"""Output files: their names, and publishing a render's files with their manifest entries.

A parameterised render is named after its parameters (``guide-kommunekode-461.pdf``) so
that renders for different municipalities never overwrite each other. The files of one
render (its HTML, its PDF and the manifest) are written all or nothing (``_files``), and
``manifest.json`` records each output's source, parameters, hash and provenance
(``_manifest``).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ipsreport.digest import bytes_digest
from ipsreport.errors import RenderError
from ipsreport.render._files import os_reason, stage_all
from ipsreport.render._manifest import Manifest, lock_path

_MAX_STEM = 100
_TRANSLITERATE = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "Æ": "ae", "Ø": "oe", "Å": "aa"})


@dataclass(frozen=True)
class Output:
    """One file written: which brief, which format, where, with what parameters.

    ``staged`` is the temporary file that holds it when it was staged but not yet put in
    place (``publish(commit=False)``): the caller commits it with its manifest entry."""

    report: str
    format: str
    path: Path
    params: Mapping[str, Any] = field(default_factory=dict)
    sha256: str = ""
    provenance: Mapping[str, Any] = field(default_factory=dict)
    staged: Path | None = None

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
        lossy = lossy or slug != shown or not slug  # "A" and "a" must not share a name
        lossy = lossy or slugify(name) != name.replace("_", "-")
        parts += [slugify(name), slug or "x"]
    name = "-".join(part for part in parts if part)
    if lossy or len(name) > _MAX_STEM:
        digest = hashlib.sha256(
            json.dumps(dict(params), sort_keys=True, default=str).encode("utf-8")
        ).hexdigest()[:8]
        name = f"{name[:_MAX_STEM]}-{digest}"
    return name


def publish(
    report: str,
    output_dir: Path,
    stem: str,
    built: Mapping[str, bytes],
    *,
    params: Mapping[str, Any],
    provenance: Mapping[str, Any],
    commit: bool = True,
) -> list[Output]:
    """Write ``built`` (bytes by format) as ``<stem>.<format>`` in ``output_dir`` with their
    manifest entries, all or nothing; return what was written.

    With ``commit=False`` the files are only staged beside their targets (each Output's
    ``staged``) and the manifest is not touched: a batch worker stages, and the batch puts
    the files in place with their entries (``Manifest.update(staged=...)``), so that no file
    appears without its entry. Both engines end here. On failure nothing is left behind, not
    even the folders this call created, and the error is one :class:`RenderError` line
    naming ``report``.
    """
    files = {output_dir / f"{stem}.{fmt}": data for fmt, data in built.items()}
    outputs = [
        Output(report=report, format=fmt, path=path, params=dict(params),
               sha256=bytes_digest(data), provenance=provenance)
        for (fmt, data), path in zip(built.items(), files, strict=True)
    ]
    missing = [path for path in (output_dir, *output_dir.parents) if not path.exists()]
    try:
        if not commit:
            staged = stage_all(files)
            return [replace(output, staged=staged[output.path]) for output in outputs]
        entries = [output.manifest_entry(output_dir) for output in outputs]
        Manifest(output_dir).update({entry["path"]: entry for entry in entries}, files)
    except OSError as error:
        for created in missing:  # deepest first: remove the folders this call created
            with contextlib.suppress(OSError):
                lock_path(created).unlink(missing_ok=True)
                created.rmdir()
        raise RenderError(
            f"{report}: could not write to {output_dir}: {os_reason(error)} (nothing was written)"
        ) from None
    return outputs


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
