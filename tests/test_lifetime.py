"""Nothing outlives the command: after a real ``kill -9`` of ``ipsreport batch``, its
workers, their Pandoc servers and kernels, and the kernel fork server end within seconds,
and none of them writes into the folder after the batch died."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ipsreport.digest import file_digest

pytestmark = pytest.mark.render  # end to end: a real batch, real kernels, Pandoc, Typst

FIXTURES = Path(__file__).parent / "fixtures" / "batch"
CLI = [sys.executable, "-c", "from ipsreport.cli import main; main()"]


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _descendants(root: int) -> set[int]:
    tree, found, stack = _children(), set(), [root]
    while stack:
        for child in tree.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that still runs (a zombie has ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a parent-death signal is Linux's")
def test_kill_9_of_the_batch_ends_every_process_it_started_and_they_write_nothing(
    tmp_path: Path,
) -> None:
    table = tmp_path / "slow.csv"
    table.write_text("kode,navn,pause\n" + "".join(f"{k},R{k},2.0\n" for k in range(1, 9)),
                     encoding="utf-8")
    out = tmp_path / "out"
    command = [*CLI, "batch", str(FIXTURES / "rows.qmd"), "--table", str(table),
               "--output-dir", str(out), "--to", "html", "--jobs", "2"]
    batch = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert batch.stderr is not None
    for line in batch.stderr:  # wait until the workers render, then kill the batch
        if ": rendered" in line:
            break
    started = _descendants(batch.pid)
    # The workers and their kernels and Pandoc servers, and the fork server: a tree.
    assert len(started) >= 5, started
    batch.send_signal(signal.SIGKILL)
    batch.wait(timeout=10)
    time.sleep(0.2)
    after_kill = _snapshot(out)

    deadline = time.monotonic() + 15
    while any(_running(pid) for pid in started) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [pid for pid in started if _running(pid)] == []
    time.sleep(1.0)
    assert _snapshot(out) == after_kill  # nothing wrote into the folder after the batch died

    # What is in place is complete and listed; what a killed worker staged is left over,
    # and the next batch removes it, accepts the folder (its lock is free) and carries on.
    entries = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    done = sorted(p.name for p in out.glob("*.html") if p.name != "index.html")
    assert sorted(entries) == done
    assert all(entries[name]["sha256"] == file_digest(out / name) for name in done)
    again = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=120,
                           check=False)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in out.glob("*.html")) == sorted(
        [f"{k}-r{k}.html" for k in range(1, 9)] + ["index.html"]
    )
    assert [p.name for p in out.glob(".*.tmp")] == []
    assert f"{len(done)} reused from cache" in again.stderr
