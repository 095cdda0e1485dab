"""Pandoc as a server: one ``pandoc lua`` process converts one document after another.

Pandoc costs more to start than to convert a brief: two ``pandoc`` runs (HTML, then Typst)
spend most of their time on the runtime's start and a first major garbage collection each,
while a warm process reads the markdown once and writes both formats (docs/performance.md
has the figures). So a batch worker keeps one :class:`PandocServer` for all its documents,
and a single render starts one and stops it when done.

The server (``pandoc_server.lua``) does what the command line ``pandoc BODY --to FORMAT
--template T --metadata-file M --defaults VARIABLES --lua-filter F...`` does (``FILTERS``), with
the same bytes out; see its header for the protocol. Pandoc's ``--embed-resources`` is not
in its Lua API: the server makes images data: URIs itself and the HTML template takes the
style sheets' text (see ``_write.py``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ipsreport.errors import RenderError
from ipsreport.render._tools import (
    BODY_FILTERS,
    FILTERS,
    pandoc_path,
    pandoc_runtime_options,
)

SERVER_SCRIPT = Path(__file__).with_name("pandoc_server.lua")
_STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class PandocOutput:
    """One file to write from a document: Pandoc's writer (``html5``, ``typst``, ``docx``),
    the template (none for docx), the metadata as YAML (read as ``--metadata-file``), the
    template variables (as ``--defaults``' ``variables:``), whether images become data:
    URIs, the output file, ``name``, the format as error messages call it ("html", "pdf",
    "docx"), and the reference document of a docx (``--reference-doc``)."""

    name: str
    to: str
    template: str | None
    metadata: str
    variables: Mapping[str, Any]
    embed_images: bool
    output: str
    reference_doc: str | None = None


class PandocServer:
    """A ``pandoc lua`` process for converting documents, started on first use and
    started again if it died. Not thread-safe: one per worker."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None

    def __enter__(self) -> PandocServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The running process's id, or None."""
        running = self._running()
        return running.pid if running is not None else None

    def _running(self) -> subprocess.Popen[bytes] | None:
        """The process if it is running, else None."""
        process = self._process
        return process if process is not None and process.poll() is None else None

    def start(self) -> None:
        """Start the process unless it is running (conversions start it themselves)."""
        if self._running() is not None:
            return
        self.close()
        # A file, not a pipe: nobody reads it while the process runs, and it cannot fill up.
        self._stderr = tempfile.TemporaryFile(prefix="ipsreport-pandoc-")  # noqa: SIM115
        command = [pandoc_path(), *pandoc_runtime_options(), "lua", str(SERVER_SCRIPT),
                   str(BODY_FILTERS), *map(str, FILTERS)]
        try:
            self._process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr
            )
        except OSError as error:
            raise RenderError(f"could not start Pandoc: {error}") from None

    def convert(self, body: Path, outputs: Sequence[PandocOutput], *, what: str) -> list[str]:
        """Convert the markdown file ``body`` to ``outputs``; return Pandoc's warnings, or
        raise a RenderError with its error (``what`` names the document)."""
        self.start()
        process = self._process
        assert process is not None and process.stdin is not None and process.stdout is not None
        request = {"body": str(body), "outputs": [
            {key: value for key, value in dataclasses.asdict(o).items() if value is not None}
            for o in outputs
        ]}
        line = json.dumps(request, ensure_ascii=False) + "\n"
        try:
            process.stdin.write(line.encode("utf-8"))
            process.stdin.flush()
            reply = process.stdout.readline()
        except OSError:  # the process died: a broken pipe
            reply = b""
        if not reply:
            raise RenderError(f"{what}: pandoc stopped: {self._reason_stopped()}")
        try:
            answer = json.loads(reply)
        except ValueError:  # not the server's answer: no telling what it would say next
            self.close()
            raise RenderError(f"{what}: pandoc answered {reply[:200]!r}") from None
        warnings = [" ".join(str(message.get("pretty", message)).split())
                    for message in answer.get("warnings") or []
                    if message.get("verbosity") != "INFO"]  # what `pandoc` would print
        if answer.get("error"):
            failed = answer.get("output")
            if isinstance(failed, int) and 0 < failed <= len(outputs):
                what = f"{what} ({outputs[failed - 1].name})"
            raise RenderError(f"{what}: pandoc failed: {' '.join(str(answer['error']).split())}")
        return warnings

    def close(self) -> None:
        """Stop the process (it ends when its input does) and forget it."""
        process, self._process = self._process, None
        if process is not None:
            if process.stdin is not None:
                with contextlib.suppress(OSError):  # a broken pipe: it has ended already
                    process.stdin.close()
            try:
                process.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdout is not None:
                process.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _reason_stopped(self) -> str:
        """Why the process ended: its exit status and what it printed. Closes it."""
        process, stderr = self._process, self._stderr
        self._stderr = None  # read below, after the process has ended
        self.close()
        text = ""
        if stderr is not None:
            stderr.seek(0)
            text = " ".join(stderr.read().decode("utf-8", "replace").split())
            stderr.close()
        status = process.returncode if process is not None else None
        return f"exit status {status}" + (f": {text}" if text else "")
