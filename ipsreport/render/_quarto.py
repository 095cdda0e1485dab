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
from ipsreport.errors import RenderError
from ipsreport.render._brief import PreparedNotebook
from ipsreport.render._output import Output, output_stem, publish

_QUARTO_TO = {"html": "html", "pdf": "typst"}


def quarto_command(
    prepared: PreparedNotebook, fmt: str, output_name: str, output_dir: Path, params_file: Path
) -> list[str]:
    """The ``quarto render`` command line for one format of a prepared brief."""
    command = [
        shutil.which("quarto") or "quarto",
        "render",
        str(prepared.brief.path),
        "--to",
        _QUARTO_TO[fmt],
        "--output",
        output_name,
        "--output-dir",
        str(output_dir),
    ]
    if prepared.params:
        command += ["--execute-params", str(params_file)]
    return command


def render_with_quarto(
    prepared: PreparedNotebook, formats: Sequence[str], output_dir: Path
) -> list[Output]:
    """Run ``quarto render`` for each format into a scratch folder, then move files in place."""
    brief = prepared.brief
    stem = output_stem(brief.stem, prepared.params)
    built: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="ipsreport-quarto-") as folder:
        scratch = Path(folder)
        params_file = scratch / "params.yml"
        # Validated values, written as YAML: Quarto reads them with the same types.
        params_file.write_text(yaml.safe_dump(dict(prepared.params)), encoding="utf-8")
        for fmt in formats:
            name = f"{stem}.{fmt}"
            command = quarto_command(prepared, fmt, name, scratch / "out", params_file)
            result = subprocess.run(
                command, cwd=brief.project.root, capture_output=True, text=True, check=False
            )
            if result.returncode != 0:
                tail = " ".join(" ".join(result.stderr.splitlines()[-5:]).split())
                raise RenderError(f"{brief.display_name}: quarto render failed ({fmt}): {tail}")
            produced = scratch / "out" / name
            if not produced.is_file():
                raise RenderError(f"{brief.display_name}: quarto render wrote no {name}")
            built[fmt] = produced.read_bytes()
    record = provenance.of(brief.path, prepared.values, project_root=brief.project.root,
                           engine="quarto")
    recorded = provenance.manifest_fields(record, brief.path)
    return publish(brief.display_name, output_dir, stem, built,
                   params=prepared.params, provenance=recorded)
