"""Render-level faults: each gives one line naming the brief, exit status 1, no traceback,
and leaves the output folder exactly as it was (no temporary files, no half outputs).

The faults are real where this machine allows it: a cell that raises, a kernel that exits,
a cell that hangs, Pandoc and Typst rejecting a brief, a folder the process may not write
to, and a file-size limit (RLIMIT_FSIZE: the kernel refuses the write, as a full disk
would). A genuinely full disk needs a small filesystem, which needs mount privileges, so
ENOSPC itself is injected at the lowest level: the function that writes bytes to a file
descriptor (``ipsreport.render._files.write_fd``).
"""

from __future__ import annotations

import errno
import os
import resource
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ipsreport.cli import main
from ipsreport.errors import RenderError
from ipsreport.paths import PROJECT_ROOT
from ipsreport.render import Document, _files, read_brief, write

pytestmark = pytest.mark.render  # end to end: real kernels, Pandoc, Typst

TRUST = Path(__file__).parent / "fixtures" / "trust"
TINY = TRUST / "tiny.qmd"
FAILS = Path(__file__).parent / "fixtures" / "render" / "fails.qmd"

# What an output folder holds before a failing render: it must hold exactly this after.
PREVIOUS = {
    "tiny.html": b"<!-- an earlier render -->\n",
    "tiny.pdf": b"%PDF-1.7 an earlier render\n",
    "manifest.json": b'{"outputs": {}}\n',
}
CLI = [sys.executable, "-c", "from ipsreport.cli import main; main()"]


def _folder_with_previous_outputs(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in PREVIOUS.items():
        (folder / name).write_bytes(content)
    return folder


def _contents(folder: Path) -> dict[str, bytes]:
    """Every file in ``folder`` but the manifest's lock file, which all writers share and
    which is never removed (a lock file deleted while another process waits on it breaks
    the lock)."""
    return {
        path.name: path.read_bytes()
        for path in sorted(folder.iterdir())
        if path.name != ".manifest.json.lock"
    }


def _assert_clean_failure(exit_code: int, output: str, brief: Path, folder: Path) -> str:
    """Exit 1, one line naming the brief, no traceback, the folder as it was."""
    assert exit_code == 1, output
    assert "Traceback" not in output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert lines[0].startswith(f"ipsreport: {brief.relative_to(PROJECT_ROOT).as_posix()}")
    assert _contents(folder) == PREVIOUS
    return lines[0]


def _render(*args: str) -> Any:
    return CliRunner().invoke(main, ["render", *map(str, args)])


# -- faults inside the render (one kernel start each) --------------------------------------


@pytest.mark.parametrize(
    ("brief", "args", "expected"),
    [
        pytest.param(
            FAILS,
            (),
            "fails.qmd: cell 'beregning' (line 11) raised ZeroDivisionError: division by zero",
            id="cell-raises",
        ),
        pytest.param(
            TRUST / "dies.qmd",
            (),
            "dies.qmd: cell 'doed' (line 11): the kernel died",
            id="kernel-dies",
        ),
        pytest.param(
            TRUST / "hangs.qmd",
            ("--timeout", "2"),
            "hangs.qmd: cell 'vent' (line 5) did not finish within 2 s "
            "(raise the limit with --timeout)",
            id="cell-hangs",
        ),
        pytest.param(
            TRUST / "pandoc-fails.qmd",
            (),
            "pandoc-fails.qmd: pandoc failed: Error parsing YAML metadata",
            id="pandoc-fails",
        ),
        pytest.param(
            TRUST / "typst-fails.qmd",
            (),
            "typst-fails.qmd (pdf): typst failed: unclosed delimiter, at `#let x = (1, 2`",
            id="typst-fails",
        ),
    ],
)
def test_render_fault_is_one_line_and_writes_nothing(
    brief: Path, args: tuple[str, ...], expected: str, tmp_path: Path
) -> None:
    folder = _folder_with_previous_outputs(tmp_path / "out")
    result = _render(brief, "--output-dir", folder, *args)
    line = _assert_clean_failure(result.exit_code, result.output, brief, folder)
    # For the hanging cell (time.sleep(30)), the message is the time limit's: it was
    # interrupted, or it would have finished, and the render succeeded.
    assert expected in line
    assert str(tmp_path) not in line  # no temporary build paths in the message


# -- the output folder cannot be written ----------------------------------------------------


def _can_write(folder: Path, command_prefix: list[str]) -> bool:
    probe = "import pathlib, sys; (pathlib.Path(sys.argv[1]) / 'probe').write_bytes(b'')"
    result = subprocess.run(
        [*command_prefix, sys.executable, "-c", probe, str(folder)],
        capture_output=True,
        check=False,
    )
    (folder / "probe").unlink(missing_ok=True)
    return result.returncode == 0


def _without_root_override() -> list[str] | None:
    """A command prefix that runs a program without the power to ignore permissions.

    root ignores a folder's mode through CAP_DAC_OVERRIDE; ``setpriv`` starts the program
    without it (and without CAP_DAC_READ_SEARCH), so mode 0o555 really refuses writes.
    """
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    caps = "-dac_override,-dac_read_search"
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]


def test_read_only_output_folder_is_refused_before_anything_runs(tmp_path: Path) -> None:
    folder = _folder_with_previous_outputs(tmp_path / "out")
    folder.chmod(0o555)
    try:
        prefix = _without_root_override()
        if prefix is None or _can_write(folder, prefix):
            pytest.skip(
                "cannot make a folder read-only for this process: running as root without "
                "setpriv, or setpriv cannot drop CAP_DAC_OVERRIDE here"
            )
        result = subprocess.run(
            [*prefix, *CLI, "render", str(TINY), "--output-dir", str(folder)],
            capture_output=True,
            text=True,
            check=False,
            cwd=PROJECT_ROOT,
        )
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"ipsreport: --output-dir '{folder}': cannot write to {folder} (permission denied)"
        ]
        assert _contents(folder) == PREVIOUS
        assert result.stdout == ""
    finally:
        folder.chmod(0o755)


# -- the disk refuses the bytes -------------------------------------------------------------


def test_file_size_limit_mid_render_writes_nothing(tmp_path: Path) -> None:
    """A real refusal by the OS: RLIMIT_FSIZE below the PDF's size and above the HTML's.

    The HTML is written to its temporary file, the PDF is refused (EFBIG, "File too
    large"); both temporary files are removed and the previous outputs stay.
    """
    sizes = tmp_path / "sizes"
    first = _render(TINY, "--output-dir", sizes)
    assert first.exit_code == 0, first.output
    html_size = (sizes / "tiny.html").stat().st_size
    pdf_size = (sizes / "tiny.pdf").stat().st_size
    assert html_size * 2 < pdf_size
    limit = (html_size + pdf_size) // 2

    def limit_file_size() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    folder = _folder_with_previous_outputs(tmp_path / "out")
    result = subprocess.run(
        [*CLI, "render", str(TINY), "--output-dir", str(folder)],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
        preexec_fn=limit_file_size,
    )
    line = _assert_clean_failure(result.returncode, result.stderr, TINY, folder)
    assert line.endswith(f"could not write to {folder}: File too large (nothing was written)")


def _failing_writer(fail_on: int) -> Callable[[int, bytes], None]:
    """A writer that writes half of the ``fail_on``-th file, then fails as a full disk."""
    calls = {"n": 0}

    def write_fd(handle: int, data: bytes) -> None:
        calls["n"] += 1
        if calls["n"] == fail_on:
            os.write(handle, data[: len(data) // 2])
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        os.write(handle, data)

    return write_fd


@pytest.mark.parametrize("fail_on", [1, 2, 3], ids=["html", "pdf", "manifest"])
def test_disk_full_while_writing_leaves_the_folder_as_it_was(
    fail_on: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC on any of the three files (HTML, PDF, manifest, in that order) changes nothing."""
    document = Document(brief=read_brief(TINY), params={}, markdown="Tekst.\n")
    folder = _folder_with_previous_outputs(tmp_path / "out")
    monkeypatch.setattr(_files, "write_fd", _failing_writer(fail_on))
    with pytest.raises(RenderError) as raised:
        write(document, folder)
    assert str(raised.value) == (
        f"tests/fixtures/trust/tiny.qmd: could not write to {folder}: "
        "No space left on device (nothing was written)"
    )
    assert _contents(folder) == PREVIOUS


def test_disk_full_through_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "new" / "out"
    monkeypatch.setattr(_files, "write_fd", _failing_writer(2))
    result = _render(TINY, "--output-dir", folder)
    assert result.exit_code == 1
    assert result.output == (
        f"ipsreport: tests/fixtures/trust/tiny.qmd: could not write to {folder}: "
        "No space left on device (nothing was written)\n"
    )
    assert not (tmp_path / "new").exists()  # the folders it created are gone again


def test_a_folder_that_is_a_file(tmp_path: Path) -> None:
    """An output folder that cannot exist: a plain file sits where it should be."""
    blocker = tmp_path / "blocker"
    blocker.write_bytes(b"")
    document = Document(brief=read_brief(TINY), params={}, markdown="Tekst.\n")
    with pytest.raises(RenderError, match=r"could not write to .*blocker/out: Not a directory"):
        write(document, blocker / "out")
    assert sorted(tmp_path.iterdir()) == [blocker]


def test_no_room_for_the_temporary_build_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """TMPDIR on a disk that refuses files (here: a folder that is a plain file)."""
    blocker = tmp_path / "tmp-is-a-file"
    blocker.write_bytes(b"")
    monkeypatch.setattr(tempfile, "tempdir", str(blocker))
    document = Document(brief=read_brief(TINY), params={}, markdown="Tekst.\n")
    folder = _folder_with_previous_outputs(tmp_path / "out")
    with pytest.raises(RenderError, match=r"could not build in a temporary folder under .*: Not"):
        write(document, folder)
    assert _contents(folder) == PREVIOUS
