"""The kernel fork server: kernels forked from one warm process behave as kernels started
from scratch (same bytes out, own process group, environment and folder, interrupts and
deaths noticed) and never outlive the server. Real kernels, Pandoc and Typst throughout.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from nbclient.util import run_sync

from ipsreport.batch._worker import start_kernel, warm_imports
from ipsreport.errors import RenderError
from ipsreport.kernels.forkserver import ForkServer
from ipsreport.kernels.provisioner import ForkedKernelProcess
from ipsreport.paths import PROJECT_ROOT
from ipsreport.render import Kernel, convert, execute, prepare, read_brief, write

pytestmark = pytest.mark.render  # end to end: real kernels, Pandoc, Typst

GUIDE = PROJECT_ROOT / "reports" / "guide.qmd"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def server() -> Iterator[ForkServer]:
    with ForkServer.start() as started:
        started.preload(warm_imports(read_brief(GUIDE)))
        started.serve()
        yield started


def evaluate(kernel: Kernel, expression: str) -> str:
    """``expression`` evaluated in the kernel, as the text of its repr."""
    reply = kernel.request("", what="a test", user_expressions={"x": expression})
    result = reply["content"]["user_expressions"]["x"]
    assert result["status"] == "ok", result
    return str(result["data"]["text/plain"])


def _gone(pid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_a_forked_kernel_renders_the_same_bytes_as_a_started_one(
    server: ForkServer, tmp_path: Path
) -> None:
    brief = read_brief(GUIDE)
    prepared = prepare(brief, {"kommunekode": 461})
    for name, kernel in (("started", Kernel()), ("forked", Kernel(fork_server=server.address))):
        with kernel:
            write(convert(execute(prepared, kernel=kernel)), tmp_path / name, stem="odense")
    for suffix in ("pdf", "html"):
        started = (tmp_path / "started" / f"odense.{suffix}").read_bytes()
        forked = (tmp_path / "forked" / f"odense.{suffix}").read_bytes()
        assert forked == started, suffix
    assert b"Odense" in (tmp_path / "forked" / "odense.html").read_bytes()


def test_a_forked_kernel_is_a_process_of_its_own_with_the_imports_done(
    server: ForkServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IPSREPORT_TEST_MARK", "sendt med")
    with Kernel(fork_server=server.address) as kernel:
        process = kernel.client.km.provisioner.process
        assert isinstance(process, ForkedKernelProcess)
        assert evaluate(kernel, "__import__('os').getpid()") == str(process.pid)
        # its own session and process group, as a kernel jupyter_client starts has
        assert evaluate(kernel, "__import__('os').getsid(0)") == str(process.pid)
        assert evaluate(kernel, "__import__('os').getppid()") != str(os.getpid())
        # this process's environment and the project folder, not the server's
        assert evaluate(kernel, "__import__('os').environ['IPSREPORT_TEST_MARK']") == "'sendt med'"
        assert evaluate(kernel, "__import__('os').getcwd()") == repr(str(PROJECT_ROOT))
        # what the server imported is there before anything runs
        imported = evaluate(kernel, "sorted(m for m in ('scipy.stats', 'pandas', "
                                    "'ipsreport.analyses.som') if m in __import__('sys').modules)")
        assert imported == "['ipsreport.analyses.som', 'pandas', 'scipy.stats']"
        assert evaluate(kernel, "__import__('matplotlib').get_backend()") == (
            "'module://matplotlib_inline.backend_inline'"
        )
        # the server imports without garbage collection; a kernel collects again, and the
        # server's objects are frozen (shared with the server, never walked by collections)
        assert evaluate(kernel, "__import__('gc').isenabled()") == "True"
        assert int(evaluate(kernel, "__import__('gc').get_freeze_count()")) > 100_000


def test_interrupts_and_deaths_reach_a_forked_kernel(server: ForkServer) -> None:
    brief = read_brief(FIXTURES / "trust" / "hangs.qmd")
    kernel = start_kernel(60, brief, fork_server=server.address)
    try:
        with pytest.raises(RenderError, match="did not finish within 2 s"):
            execute(prepare(brief), kernel=kernel, timeout=2)
        # the interrupt stopped the cell, not the kernel
        assert evaluate(kernel, "6 * 7") == "42"
        process = kernel.client.km.provisioner.process
        with contextlib.suppress(RenderError):  # it may die before it answers
            kernel.request("import os; os._exit(3)", what="a test")
        assert process.wait(timeout=10) == 3
        assert run_sync(kernel.client.km.is_alive)() is False  # how a batch notices
    finally:
        kernel.close()
    assert _gone(process.pid)


def test_without_a_server_kernels_start_the_usual_way(tmp_path: Path) -> None:
    with Kernel(fork_server=str(tmp_path / "no-server.sock")) as kernel:
        assert not isinstance(kernel.client.km.provisioner.process, ForkedKernelProcess)
        assert evaluate(kernel, "6 * 7") == "42"


def test_kernels_end_with_the_server_and_the_server_with_its_owner() -> None:
    server = ForkServer.start()
    server.serve()
    kernel = Kernel(fork_server=server.address)
    pid = kernel.client.km.provisioner.process.pid
    server_pid = server._process.pid
    try:
        server.close()  # closes the server's stdin, as the batch's death would
        assert _gone(server_pid)
        assert _gone(pid)
        assert not Path(server.address).exists()
    finally:
        kernel.close()
    with pytest.raises(ProcessLookupError):
        os.killpg(pid, 0)  # nor anything it started, in its process group


def test_a_process_forked_from_the_owner_does_not_keep_the_server_alive() -> None:
    """A batch's workers are forks of the command: the server must still end as soon as
    the command closes it (its stdin), not when the last worker has exited."""
    server = ForkServer.start()
    server.serve()
    child = os.fork()
    if child == 0:  # a worker that outlives the batch's close() by far
        time.sleep(30)
        os._exit(0)
    try:
        server.close()
        # 0: it ended by itself on its stdin's end. Had the child kept a copy of that stdin
        # open, close() would have waited in vain and then killed it (-9).
        assert server._process.returncode == 0
    finally:
        os.kill(child, 9)
        os.waitpid(child, 0)
