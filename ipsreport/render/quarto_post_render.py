"""Quarto's post-render step for the project (``_quarto.yml``: ``post-render``): seal each
HTML, PDF and docx that ``quarto render`` wrote with its content digest, as the built-in
renderer seals its own (:func:`ipsreport.provenance.seal`). A docx is first made
reproducible as the built-in renderer's is (no dates unless ``SOURCE_DATE_EPOCH``, a fixed
zip: ``ipsreport.render._docx``).

Quarto runs it with its Python after every render of the project, a single brief's too,
and lists the files it wrote in ``QUARTO_PROJECT_OUTPUT_FILES`` (relative to the project),
or in the file that ``QUARTO_USE_FILE_FOR_PROJECT_OUTPUT_FILES`` names. A file that holds
no placeholder (already sealed, or not an ipsreport brief) is left as it is.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from ipsreport import ooxml, provenance
from ipsreport.render._docx import reproducible
from ipsreport.render._files import atomic_write
from ipsreport.render._write import source_date

SEALED = (".html", ".pdf", ".docx")


def output_files() -> list[Path]:
    listing = os.environ.get("QUARTO_USE_FILE_FOR_PROJECT_OUTPUT_FILES")
    text = (Path(listing).read_text(encoding="utf-8") if listing
            else os.environ.get("QUARTO_PROJECT_OUTPUT_FILES", ""))
    return [Path(line) for line in text.splitlines() if line.strip()]


def main() -> int:
    for path in output_files():
        if path.suffix.lower() not in SEALED or not path.is_file():
            continue
        data = path.read_bytes()
        try:
            if path.suffix.lower() == ".docx":
                data = reproducible(data, source_date())
            atomic_write(path, provenance.seal(data))
        except (ValueError, ooxml.PackageError):
            continue  # no placeholder (or no docx): nothing of ours to seal
        print(f"ipsreport: sealed {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
