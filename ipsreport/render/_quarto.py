"""The Quarto engine: ``quarto render`` does the whole job where Quarto is installed.

ipsreport still validates the parameters first, names the outputs the same way as the
built-in engine (one ``quarto render`` per format, with ``--output``), and records them in
the manifest, so the two engines are interchangeable for a caller.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

import yaml

from ipsreport import provenance
from ipsreport.errors import RenderError, shown
from ipsreport.render._brief import PreparedNotebook
from ipsreport.render._output import Output, output_stem, publish

_QUARTO_TO = {"html": "html", "pdf": "typst", "docx": "docx"}


def quarto_command(
    prepared: PreparedNotebook, fmt: str, output_dir: Path, params_file: Path
) -> list[str]:
    """The ``quarto render`` command line for one format of a prepared brief.

    Quarto refuses ``--output`` together with ``--output-dir`` in a project, so the file
    keeps Quarto's own name (the brief's, in its folder under ``output_dir``)."""
    command = [
        shutil.which("quarto") or "quarto",
        "render",
        str(prepared.brief.path),
        "--to",
        _QUARTO_TO[fmt],
        "--output-dir",
        str(output_dir),
    ]
    if prepared.params:
        command += ["--execute-params", str(params_file)]
    return command


def render_with_quarto(
    prepared: PreparedNotebook, formats: Sequence[str], output_dir: Path
) -> list[Output]:
    """Run ``quarto render`` for each format into a scratch folder, then publish the files
    under the names the built-in engine gives them, with their manifest entries."""
    brief = prepared.brief
    stem = output_stem(brief.stem, prepared.params)
    try:
        relative = brief.path.relative_to(brief.project.root)
    except ValueError:
        relative = Path(brief.path.name)
    built: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="ipsreport-quarto-") as folder:
        scratch = Path(folder)
        params_file = scratch / "params.yml"
        # Validated values, written as YAML: Quarto reads them with the same types.
        params_file.write_text(yaml.safe_dump(dict(prepared.params)), encoding="utf-8")
        for fmt in formats:
            command = quarto_command(prepared, fmt, scratch / "out", params_file)
            result = subprocess.run(
                command, cwd=brief.project.root, capture_output=True, text=True, check=False
            )
            if result.returncode != 0:
                raise RenderError(f"{brief.display_name}: quarto render failed ({fmt}): "
                                  f"{_quarto_error(result.stderr)}")
            produced = scratch / "out" / relative.with_suffix(f".{fmt}")
            if not produced.is_file():
                raise RenderError(f"{brief.display_name}: quarto render wrote no {produced.name}")
            built[fmt] = produced.read_bytes()
    record = provenance.of(brief.path, prepared.values, project_root=brief.project.root,
                           engine="quarto")
    recorded = provenance.manifest_fields(record, brief.path)
    return publish(brief.display_name, output_dir, stem, built,
                   params=prepared.params, provenance=recorded)


def _quarto_error(stderr: str) -> str:
    """Quarto's own message (its ERROR line), not the stack trace that follows it."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    errors = [line for line in lines if "ERROR" in line]
    chosen = errors[:1] or lines[-3:]
    return shown(" ".join(" ".join(chosen).split()).replace("\x1b[91m", ""), 300, quote=False)
