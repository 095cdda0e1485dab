"""Code that runs inside a kernel, sent there as a one-line call (see :func:`call`).

A warm kernel runs brief after brief, and a brief must not be able to tell that another
ran before it (:func:`start_document`); a batch kernel does its imports once, before its
first document (:func:`warm_up`). Both are plain functions here, checked like the rest of
the package, rather than code in string literals. This module imports nothing heavy: it
is imported in every kernel, and by the fork server before it forks.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import sys
import warnings
from collections.abc import Iterable, Mapping
from typing import Any, cast

# matplotlib's rcParams as the kernel had them before its first document, kept here, in a
# module that ``%reset -f`` leaves alone.
_rc_params: dict[str, Any] | None = None
_interactive = False


def call(function: str, **arguments: Any) -> str:
    """Python source that calls ``function`` of this module in a kernel with ``arguments``
    (their reprs must be Python literals) and leaves no name behind."""
    alias = "_ipsreport_inkernel"
    listed = ", ".join(f"{name}={value!r}" for name, value in arguments.items())
    return "\n".join([
        f"import {__name__} as {alias}",
        f"{alias}.{function}({listed})",
        f"del {alias}",
    ])


def import_quietly(modules: Iterable[str]) -> None:
    """Import each module; one that fails is the business of the document that imports it."""
    for name in modules:
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def warm_up(modules: Iterable[str]) -> None:
    """Import ``modules`` once, before a kernel's first document, and freeze what they made.

    ``%reset -f`` between documents ends with a full garbage collection, which would
    otherwise walk every object of pandas, scipy and matplotlib each time; frozen objects
    are in the collector's permanent generation, so it walks only what the last document
    made.
    """
    import_quietly(modules)
    gc.collect()
    gc.freeze()


def start_document(
    *, folder: str, environment: Mapping[str, str | None], figure: Mapping[str, Any]
) -> None:
    """Set a kernel up for the next document, as a fresh kernel would start it.

    The working folder and the environment variables given (None: removed) are set;
    matplotlib's open figures are closed and its rcParams (``interactive`` included, which
    ``plt.ioff()`` turns off and without which the inline backend shows no figure) go back
    to those the kernel had before its first document; pandas' options go back to their
    defaults. Then the figure size, resolution and format are set as Quarto sets them.
    Imported modules stay imported: that is what makes a warm kernel fast. The caller
    empties the namespace first (``%reset -f``) on a kernel that ran a document before.
    """
    os.chdir(folder)
    for name, value in environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # old option names' deprecations are not the brief's
        _reset_libraries()
    _set_figure_options(figure)
    _no_reply_delay()


def _no_reply_delay() -> None:
    """Let the kernel reply as soon as a request is done.

    ipykernel sleeps before every execute reply (``Kernel._execute_sleep``, 0,5 ms asked,
    1-2 ms slept), so that a client reading the reply before the outputs still gets them.
    nbclient, which runs every document, waits for the kernel's idle status on IOPub, which
    comes after all of a request's outputs, so the sleep only delays each of a document's
    two dozen requests.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    kernel = getattr(get_ipython(), "kernel", None)
    if kernel is not None and hasattr(kernel, "_execute_sleep"):
        kernel._execute_sleep = 0.0


def _reset_libraries() -> None:
    global _rc_params, _interactive
    try:
        import matplotlib
        import matplotlib.pyplot as plt
    except ImportError:
        pass
    else:
        # Importing the inline backend is what turns interactive mode on.
        with contextlib.suppress(ImportError):
            import matplotlib_inline.backend_inline  # noqa: F401
        plt.close("all")
        if _rc_params is None:
            _rc_params = {key: value for key, value in matplotlib.rcParams.items()
                          if key not in ("backend", "interactive")}
            _interactive = matplotlib.is_interactive()
        # Typed loosely: matplotlib's stubs key rcParams by a Literal of every setting name.
        cast(dict[str, Any], matplotlib.rcParams).update(_rc_params)
        if _interactive:
            plt.ion()
        else:
            plt.ioff()
    if "pandas" in sys.modules:
        sys.modules["pandas"].reset_option("all")


def _set_figure_options(figure: Mapping[str, Any]) -> None:
    try:
        import matplotlib.pyplot as plt
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    plt.rcParams["figure.figsize"] = (float(figure["fig-width"]), float(figure["fig-height"]))
    plt.rcParams["figure.dpi"] = int(figure["fig-dpi"])
    plt.rcParams["savefig.dpi"] = int(figure["fig-dpi"])
    set_matplotlib_formats(str(figure["fig-format"]))
