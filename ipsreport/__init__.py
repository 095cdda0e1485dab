"""ipsreport: reproducible Danish briefs on IPS from Projekt Inklusion and related sources."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from ipsreport.errors import DataError, IpsreportError, ParameterError, RenderError

try:
    __version__ = version("ipsreport")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

__all__ = ["DataError", "IpsreportError", "ParameterError", "RenderError", "__version__"]
