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
import json
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


# -- a real full disk and a real read-only file system ----------------------------------------
#
# A tmpfs of a few pages, mounted in a mount namespace of the test's own (an unprivileged
# user namespace maps the test's user to root there): the kernel itself refuses the bytes.

_NAMESPACE = ["unshare", "--user", "--map-root-user", "--mount"]
_IN_NAMESPACE = r"""
import json, os, subprocess, sys
from pathlib import Path
mount, free_pages, read_only = Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "ro"
subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], check=True)
folder = mount / "out"
folder.mkdir()
for name, content in json.loads(sys.argv[4]).items():
    (folder / name).write_bytes(content.encode())
stats = os.statvfs(mount)
filler = (stats.f_bavail - free_pages) * stats.f_frsize
(mount / "filler").write_bytes(b"\0" * filler)
if read_only:
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
result = subprocess.run(sys.argv[5:] + ["--output-dir", str(folder)], capture_output=True,
                        text=True)
print(json.dumps({"status": result.returncode, "stderr": result.stderr,
                  "files": {p.name: p.read_text() for p in sorted(folder.iterdir())
                            if p.name != ".manifest.json.lock"},
                  "free": os.statvfs(mount).f_bavail}))
"""


def _in_a_small_file_system(
    tmp_path: Path, free_pages: int, command: list[str], *, read_only: bool = False
) -> dict[str, Any]:
    mount = tmp_path / "mnt"
    mount.mkdir(parents=True)
    probe = subprocess.run([*_NAMESPACE, "true"], capture_output=True, check=False)
    if shutil.which("unshare") is None or probe.returncode != 0:
        pytest.skip("no user and mount namespaces here (unshare) for a file system of our own")
    previous = {name: content.decode() for name, content in PREVIOUS.items()}
    result = subprocess.run(
        [*_NAMESPACE, sys.executable, "-c", _IN_NAMESPACE, str(mount), str(free_pages),
         "ro" if read_only else "rw", json.dumps(previous), *command],
        capture_output=True, text=True, check=False, cwd=PROJECT_ROOT, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def _pages(size: int) -> int:
    return -(-size // 4096)


@pytest.mark.parametrize("fills_at", ["pdf", "manifest"])
def test_a_real_full_disk_leaves_the_folder_as_it_was(tmp_path: Path, fills_at: str) -> None:
    sizes = tmp_path / "sizes"
    assert _render(TINY, "--output-dir", sizes).exit_code == 0
    html, pdf = ((sizes / f"tiny.{fmt}").stat().st_size for fmt in ("html", "pdf"))
    free = _pages(html) if fills_at == "pdf" else _pages(html) + _pages(pdf)
    found = _in_a_small_file_system(tmp_path, free, [*CLI, "render", str(TINY)])
    assert found["status"] == 1, found
    lines = found["stderr"].strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in found["stderr"]
    assert lines[0].endswith("No space left on device (nothing was written)")
    assert found["files"] == {k: v.decode() for k, v in PREVIOUS.items()}  # no .tmp either
    assert found["free"] == free  # every page the failed render took is free again


def test_a_real_read_only_file_system(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    table.write_text("kode,navn\n1,En\n", encoding="utf-8")
    rows = PROJECT_ROOT / "tests" / "fixtures" / "batch" / "rows.qmd"
    for command in ([*CLI, "render", str(TINY)],
                    [*CLI, "batch", str(rows), "--table", str(table)]):
        found = _in_a_small_file_system(tmp_path / command[3], 100, command, read_only=True)
        assert found["status"] == 2, found
        assert found["stderr"].strip().splitlines() == [
            f"ipsreport: --output-dir '{tmp_path / command[3] / 'mnt' / 'out'}': cannot write "
            f"to {tmp_path / command[3] / 'mnt' / 'out'} (a read-only file system)"
        ]
        assert found["files"] == {k: v.decode() for k, v in PREVIOUS.items()}


# -- the manifest ----------------------------------------------------------------------------


def test_a_manifest_that_is_a_folder_stops_the_render_before_any_file_changes(
    tmp_path: Path,
) -> None:
    folder = _folder_with_previous_outputs(tmp_path / "out")
    (folder / "manifest.json").unlink()
    (folder / "manifest.json").mkdir()
    document = Document(brief=read_brief(TINY), params={}, markdown="Tekst.\n")
    with pytest.raises(RenderError, match=r"Is a directory \(nothing was written\)"):
        write(document, folder)
    assert (folder / "tiny.html").read_bytes() == PREVIOUS["tiny.html"]
    assert (folder / "tiny.pdf").read_bytes() == PREVIOUS["tiny.pdf"]
    assert sorted(p.name for p in folder.iterdir()) == [
        ".manifest.json.lock", "manifest.json", "tiny.html", "tiny.pdf"]


def test_a_writer_that_holds_the_manifest_too_long_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from filelock import FileLock

    from ipsreport.render import _manifest

    folder = _folder_with_previous_outputs(tmp_path / "out")
    monkeypatch.setattr(_manifest, "LOCK_TIMEOUT", 0.5)
    document = Document(brief=read_brief(TINY), params={}, markdown="Tekst.\n")
    other = subprocess.Popen(  # another process holds the folder's manifest lock
        [sys.executable, "-c", "import sys, time; from filelock import FileLock; "
         f"lock = FileLock({str(folder / '.manifest.json.lock')!r}); lock.acquire(); "
         "print('held', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert other.stdout is not None and other.stdout.readline() == "held\n"
        with pytest.raises(RenderError, match=r"another writer has held \.manifest\.json\.lock"):
            write(document, folder)
    finally:
        other.kill()
        other.wait()
    assert _contents(folder) == PREVIOUS
    assert FileLock(str(folder / ".manifest.json.lock")).acquire(timeout=5)


def test_the_next_writer_removes_what_dead_writers_left_and_nothing_else(
    tmp_path: Path,
) -> None:
    folder = _folder_with_previous_outputs(tmp_path / "out")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    pid = int(dead.stdout)  # a process that has ended
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        left = [f".tiny.pdf.{pid}.abc123.tmp", f".manifest.json.{pid}.x_y.tmp",
                f".tiny.html.{pid}.q1.old.tmp", f".other.pdf.{pid}.zz.tmp"]
        filling = f".tiny.pdf.{live.pid}.abc.tmp"  # a live writer's, still being filled
        for name in [*left, filling]:
            (folder / name).write_bytes(b"half")
        document = Document(brief=read_brief(TINY), params={}, markdown="Tekst.\n")
        write(document, folder)
        remaining = sorted(p.name for p in folder.glob(".*.tmp"))
        assert remaining == [filling]
    finally:
        live.kill()
        live.wait()
