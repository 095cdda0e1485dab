"""One call for a whole render, with either engine.

The built-in engine is the four steps in a row (prepare, execute, convert, write); the
Quarto engine hands the same brief and parameters to ``quarto render``. Parameters are
validated by ipsreport before either engine starts, so both refuse bad values alike.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ipsreport.errors import IpsreportError, shown
from ipsreport.kernels.kernel import Kernel
from ipsreport.render._brief import Brief, prepare, read_brief
from ipsreport.render._convert import convert
from ipsreport.render._execute import DEFAULT_TIMEOUT, execute
from ipsreport.render._output import Output
from ipsreport.render._quarto import render_with_quarto
from ipsreport.render._write import FORMATS, normalise_formats, write

ENGINES = ("auto", "builtin", "quarto")


def choose_engine(engine: str = "auto") -> str:
    """``quarto`` when asked for, or for ``auto`` when Quarto is on PATH; else ``builtin``.
    Asking for Quarto where there is none is an error (exit status 2), before anything runs."""
    if engine not in ENGINES:
        raise IpsreportError(f"unknown engine {shown(engine)}; choose from {', '.join(ENGINES)}")
    if engine == "auto":
        return "quarto" if shutil.which("quarto") else "builtin"
    if engine == "quarto" and shutil.which("quarto") is None:
        raise IpsreportError("--engine quarto: no quarto on PATH (install Quarto, or use "
                             "--engine builtin)")
    return engine


def render(
    brief: Brief | Path | str,
    params: Mapping[str, Any] | None = None,
    *,
    formats: Iterable[str] = FORMATS,
    output_dir: Path | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    kernel: Kernel | None = None,
    engine: str = "builtin",
) -> list[Output]:
    """Render one brief with ``params`` to ``output_dir``; return the files written.

    ``brief`` is a path or an already read :class:`Brief` (a batch reads it once).
    ``kernel`` lets a batch reuse a warm kernel (built-in engine only).
    """
    if not isinstance(brief, Brief):
        brief = read_brief(Path(brief))
    chosen = normalise_formats(formats)
    output_dir = Path(output_dir) if output_dir is not None else brief.project.output_dir
    prepared = prepare(brief, params)  # validates before anything runs
    if choose_engine(engine) == "quarto":
        return render_with_quarto(prepared, chosen, output_dir)
    executed = execute(prepared, kernel=kernel, timeout=timeout)
    return write(convert(executed), output_dir, chosen)
