"""The environment every kernel gets, whether started, forked or the fork server itself."""

from __future__ import annotations

import os

from ipsreport.paths import PROJECT_ROOT


def kernel_environment() -> dict[str, str]:
    """This process's environment for a kernel, with the project first on PYTHONPATH, so
    ``import ipsreport`` works from any brief."""
    env = dict(os.environ)
    paths = [str(PROJECT_ROOT)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(paths)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    return env
