"""Key figures: the few numbers a document declares about itself, for the tools that list it.

A brief may declare its key figures by displaying them with the MIME type :data:`MIME`
(``ipsreport.presentation.brief.key_figures`` does, in a cell marked ``output: false``).
Such a display is never shown to a reader, under either engine, but the built-in
renderer's converter collects it (``Document.key_figures``), and a batch records the
figures in each row's manifest entry and shows them beside the row's links on its index
page. So the index shows the very numbers the document computed, and the batch and the
renderer stay generic: to them a key figure is a label, the text a reader sees and,
optionally, the number it stands for.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

MIME = "application/vnd.ipsreport.key-figures+json"
MANIFEST_KEY = "key_figures"  # where a manifest entry records them (encoded)


@dataclass(frozen=True)
class KeyFigure:
    """One declared figure: what it is (a column's header), its text as the document shows
    it ("0,3", "54.100 kr."), and the number it stands for, if any (for machines)."""

    label: str
    text: str
    value: float | None = None

    def to_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"label": self.label, "text": self.text}
        if self.value is not None:
            entry["value"] = self.value
        return entry


def encode(figures: Iterable[KeyFigure]) -> list[dict[str, Any]]:
    """The figures as the JSON a display of :data:`MIME` carries."""
    return [figure.to_json() for figure in figures]


def decode(payload: Any) -> tuple[KeyFigure, ...]:
    """The figures a display of :data:`MIME` carries (or a manifest entry records);
    ValueError saying what is wrong when it is not a list of ``{label, text[, value]}``."""
    if not isinstance(payload, list):
        raise ValueError("key figures must be a list")
    figures = []
    for index, item in enumerate(payload, start=1):
        if not isinstance(item, dict) or set(item) - {"label", "text", "value"}:
            raise ValueError(f"key figure {index} must be a mapping of label, text and value")
        label, text, value = item.get("label"), item.get("text"), item.get("value")
        if not isinstance(label, str) or not label.strip() or not isinstance(text, str):
            raise ValueError(f"key figure {index} needs a label and a text")
        if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)
                                  or not math.isfinite(value)):
            raise ValueError(f"key figure {index}: value must be a finite number")
        figures.append(KeyFigure(label, text, None if value is None else float(value)))
    return tuple(figures)
