"""What a brief asks of a batch of it, in its front matter's ``ipsreport-batch``::

    ipsreport-batch:
      companions: [overview.qmd]   # rendered once into the batch's folder, linked first
      row-label: Kommune           # the index's header over the rows' names

A companion is a brief (a path relative to the brief's folder) that belongs with the
batch's documents but is one document for all rows, such as a national overview beside
the municipalities' guides. The batch renders it with its default parameters into the
same folder, reuses it while its inputs are unchanged, and the index links it before the
rows. ``--only`` renders only the rows it names and leaves the companions as they are.

The batch does not know what a companion holds; it only renders it, like a row.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ipsreport import validation
from ipsreport.batch._table import Row
from ipsreport.errors import BriefError
from ipsreport.render import Brief, read_brief

OPTIONS_KEY = "ipsreport-batch"


class _Options(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    companions: tuple[str, ...] = ()
    row_label: str | None = Field(default=None, alias="row-label", min_length=1,
                                  max_length=60)


@dataclass(frozen=True)
class BatchOptions:
    companions: tuple[Brief, ...] = ()
    row_label: str | None = None
    # The companions' pseudo rows (for progress, outcomes and the index), by key.
    rows: Mapping[str, Row] = field(default_factory=dict)

    def brief_of(self, row: Row) -> Brief | None:
        """The companion brief of a companion's row; None for a row of the table."""
        return next((c for c in self.companions if c.stem == row.key), None)


def batch_options(brief: Brief) -> BatchOptions:
    """The brief's ``ipsreport-batch`` options, its companions read; BriefError (exit 2)
    naming the brief and the problem when they cannot be used."""
    raw: Any = brief.options.get(OPTIONS_KEY)
    if raw is None:
        return BatchOptions()
    where = f"{brief.display_name}: {OPTIONS_KEY}"
    if not isinstance(raw, dict):
        raise BriefError(f"{where}: must be a mapping (companions, row-label)")
    try:
        options = _Options.model_validate(raw)
    except ValidationError as error:
        raise BriefError("\n".join(f"{where}: {line}"
                                   for line in validation.problems(error))) from None
    companions = []
    for name in options.companions:
        path = (brief.path.parent / name).resolve()
        if path.suffix != ".qmd" or not path.is_file():
            raise BriefError(f"{where}: companions: {name!r} is not a .qmd brief beside "
                             f"{brief.display_name}")
        if path == brief.path:
            raise BriefError(f"{where}: companions: {name!r} is the brief itself")
        companions.append(read_brief(path, project=brief.project))
    stems = [c.stem for c in companions]
    if len(set(stems)) != len(stems):
        raise BriefError(f"{where}: companions: two briefs of the same name")
    rows = {c.stem: companion_row(c) for c in companions}
    return BatchOptions(tuple(companions), options.row_label, MappingProxyType(rows))


def companion_row(brief: Brief) -> Row:
    """A companion as a row: its file name is the brief's own (``overview``), its name its
    title; it has no line in the table and no parameters."""
    title = brief.options.get("title")
    return Row(line=0, key=brief.stem, name=str(title) if title else None, group=None,
               stem=brief.stem, cells=MappingProxyType({}), params=MappingProxyType({}))
