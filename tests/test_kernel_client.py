"""The kernel client that is ready without jupyter_client's fixed wait: it answers once
its own kernel_info request has its reply and its idle status, it says so when the kernel
is dead or does not answer, it reads only the messages of the request it waits for, and
its sockets retry a connection every 10 ms. Real kernels throughout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import zmq
from nbclient.util import run_sync

from ipsreport.kernels.client import ReadyKernelClient, _message
from ipsreport.render import Kernel

pytestmark = pytest.mark.render  # end to end: real kernels, Pandoc, Typst


def test_kernels_use_the_ready_client_and_it_is_ready_again_at_once() -> None:
    with Kernel() as kernel:
        client = kernel.client.kc
        assert isinstance(client, ReadyKernelClient)
        run_sync(client.wait_for_ready)(timeout=10)  # a second handshake on a live kernel
        reply = kernel.request("", what="a test", user_expressions={"x": "6 * 7"})
        assert reply["content"]["user_expressions"]["x"]["data"]["text/plain"] == "42"


def test_the_client_tries_again_to_connect_every_10_ms_not_every_100() -> None:
    with Kernel() as kernel:
        client = kernel.client.kc
        assert client is not None
        channels = (client.shell_channel, client.iopub_channel, client.stdin_channel,
                    client.control_channel)
        assert {channel.socket.getsockopt(zmq.RECONNECT_IVL) for channel in channels} == {10}


def test_only_the_messages_of_the_awaited_request_count() -> None:
    with Kernel() as kernel:
        client = kernel.client.kc
        assert client is not None
        request = client.execute("6 * 7", silent=True, store_history=False)
        # the idle status of this request is on its way, but it answers another one
        assert run_sync(_message)(client.iopub_channel, "another request", "status", 0.5,
                                  execution_state="idle") is None
        # so it was skipped; ask again and the next request's own status is found
        request = client.execute("6 * 7", silent=True, store_history=False)
        status = run_sync(_message)(client.iopub_channel, request, "status", 10,
                                    execution_state="idle")
        assert status is not None
        assert status["parent_header"]["msg_id"] == request


def test_a_dead_kernel_is_not_waited_for() -> None:
    with Kernel() as kernel:
        client = kernel.client.kc
        assert client is not None
        process = kernel.client.km.provisioner.process
        process.kill()
        process.wait()
        with pytest.raises(RuntimeError, match="Kernel died before replying"):
            run_sync(client.wait_for_ready)(timeout=30)


def test_a_kernel_that_does_not_answer_times_out() -> None:
    with Kernel() as kernel:
        client = kernel.client.kc
        assert client is not None
        client.execute("import time; time.sleep(30)", silent=True, store_history=False)
        with pytest.raises(RuntimeError, match=r"didn.t respond in 1\.5 seconds"):
            run_sync(client.wait_for_ready)(timeout=1.5)


def test_starting_a_kernel_does_not_import_ipython_and_a_jupyter_kernel_spec_still_counts(
    tmp_path: Path,
) -> None:
    # jupyter_client's own search imports all of IPython to find ~/.ipython/kernels; ours
    # searches Jupyter's folders (JUPYTER_PATH first) and then ipykernel's python3.
    spec = tmp_path / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipsreport test)", "language": "python"}))
    script = ("import sys\n"
              "from ipsreport.render import Kernel\n"
              "with Kernel() as kernel:\n"
              "    reply = kernel.request('', what='a test', user_expressions={'x': '6 * 7'})\n"
              "    print(kernel.client.km.kernel_spec.display_name)\n"
              "    print(reply['content']['user_expressions']['x']['data']['text/plain'])\n"
              "print('IPython' in sys.modules)\n")
    env = {**os.environ, "JUPYTER_PATH": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120, check=True)
    assert done.stdout.splitlines() == ["Python 3 (ipsreport test)", "42", "False"]
