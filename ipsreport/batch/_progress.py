"""How a batch tells the user where it is: a bar on a terminal, plain lines in a log.

On a terminal (stderr is a TTY) a tqdm bar counts documents and shows the row that just
finished; messages (failures, tool warnings) are printed above it. Anywhere else (CI logs,
a pipe) each row gets one line, ``[3/98] 461 Odense: rendered (0.8 s)``, that reads well in
a log file. Both end with the same summary.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Never, TextIO

from tqdm import tqdm

RENDERED = "rendered"
REUSED = "reused from cache"
FAILED = "failed"


@dataclass
class Counts:
    rendered: int = 0
    reused: int = 0
    failed: int = 0

    @property
    def done(self) -> int:
        return self.rendered + self.reused + self.failed


class Progress:
    """Counts rows as they finish and reports each one."""

    def __init__(self, total: int, *, title: str, stream: TextIO | None = None,
                 bar: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total = total
        self.counts = Counts()
        use_bar = bar if bar is not None else _is_tty(self.stream)
        self._bar: tqdm[Never] | None = None
        if use_bar and total:
            # A terminal that does not tell its size (0 x 0, as some CI terminals do) would
            # get no bar at all: tqdm hides bars below the last of 0 lines.
            sized = _sized(self.stream)
            self._bar = tqdm(total=total, desc=title, unit="doc", file=self.stream,
                             dynamic_ncols=sized, ncols=None if sized else 80,
                             nrows=None if sized else 20, leave=True)

    def row(self, label: str, status: str, detail: str = "") -> None:
        """One row finished: ``status`` is RENDERED, REUSED or FAILED."""
        if status == RENDERED:
            self.counts.rendered += 1
        elif status == REUSED:
            self.counts.reused += 1
        else:
            self.counts.failed += 1
        if self._bar is not None:
            if status == FAILED:
                self._bar.write(f"ipsreport: {label}: failed: {detail}", file=self.stream)
            self._bar.set_postfix_str(label, refresh=False)
            self._bar.update(1)
            return
        text = f"[{self.counts.done}/{self.total}] {label}: {status}"
        if detail:
            text += f": {detail}" if status == FAILED else f" ({detail})"
        self.message(text)

    def message(self, text: str) -> None:
        """A line for the user that does not break the bar."""
        if self._bar is not None:
            self._bar.write(text, file=self.stream)
        else:
            print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def summary(self, seconds: float, *, interrupted: bool = False) -> str:
        counts = self.counts
        text = (
            f"{counts.rendered} rendered, {counts.reused} reused from cache, "
            f"{counts.failed} failed in {seconds:.1f} s"
        )
        if interrupted:
            left = self.total - counts.done
            text += f"; interrupted with {left} not done (run again to resume)"
        return text


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _sized(stream: TextIO) -> bool:
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return False
    return size.columns > 0 and size.lines > 0
