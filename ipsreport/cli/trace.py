"""``ipsreport trace FILE``: every traced number in a rendered HTML or PDF, with where it
comes from, read from the file alone (see ``ipsreport/presentation/origins.py``)."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
from pathlib import Path
from typing import Any

import click

from ipsreport.errors import IpsreportError, shown
from ipsreport.presentation.origins import JSON_ID as JSON_NAME
from ipsreport.presentation.origins import expanded

NOT_TRACED = 3
_SCRIPT = re.compile(
    rb'<script type="application/json" id="' + JSON_NAME.encode() + rb'">(.*?)</script>',
    re.S,
)


def numbers_of(content: bytes) -> dict[str, Any] | None:
    """The numbers' accounts a PDF or HTML file carries, or None if it carries none."""
    if content.lstrip()[:5] == b"%PDF-":
        raw = _attachment(content)
    else:
        found = _SCRIPT.search(content)
        raw = found.group(1) if found else None
    if raw is None:
        return None
    try:
        record = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("numbers"), list):
        return None
    try:
        return expanded(record)
    except (TypeError, KeyError, AttributeError):  # a record of another shape
        return None


def _attachment(content: bytes) -> bytes | None:
    import pypdf
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # an untidy foreign PDF: no warning
    # Typst names an attachment by its path from the project's root: "ipsreport-tal.json"
    # under the built-in renderer, "reports/ipsreport-tal.json" under Quarto.
    name = f"{JSON_NAME}.json"
    try:
        attachments = pypdf.PdfReader(io.BytesIO(content)).attachments
        attached = next((attachments[key] for key in attachments
                         if key == name or key.endswith(f"/{name}")), None)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError):
        return None
    return bytes(attached[0]) if attached else None


def _lines(record: dict[str, Any]) -> list[str]:
    lines = []
    for number in record["numbers"]:
        lines.append(f"{number['id']}: {number['text']} ({number['how']})")
        sources = record.get("sources") or {}
        lines += [f"    {item['text']}"
                  + (f" – {sources.get(item['source'], item['source'])}"
                     if item.get("source") else "")
                  for item in number["inputs"]]
    return lines


@click.command("trace")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the numbers as JSON.")
def trace_command(file: Path, as_json: bool) -> None:
    """List every traced number in FILE (an HTML or PDF brief) with where it comes from:
    the source figures it is computed from, each with its meaning and source, the brief's
    parameters, and how. Read from the file alone; exit status 3 if it carries none."""
    try:
        content = file.read_bytes()
    except OSError as error:
        raise IpsreportError(f"{shown(str(file), 200)}: cannot read it: {error.strerror}") from None
    record = numbers_of(content)
    if record is None:
        click.echo("no traced numbers (not made by ipsreport, or without its accounts)")
        sys.exit(NOT_TRACED)
    if as_json:
        click.echo(json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True))
    else:
        click.echo("\n".join(_lines(record)))
