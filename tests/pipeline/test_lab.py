"""`make lab`: one kernel per framework, and notebooks/<fw>/ opening on its own kernel."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

from tools import lab
from tools.project import FRAMEWORKS, ROOT
from tools.split import chapters

from tools.project import D2LMINI_MODULES as MODULES  # noqa: E402


def test_framework_notebooks_map_to_their_kernel() -> None:
    assert lab.kernel_for("notebooks/pytorch/autoregression.ipynb", "python3") == "d2lmini-pytorch"
    assert lab.kernel_for("notebooks/mxnet/x.ipynb", None) == "d2lmini-mxnet"
    # a kernel the reader picked explicitly, and notebooks elsewhere, are left alone
    assert lab.kernel_for("notebooks/mxnet/x.ipynb", "d2lmini-pytorch") == "d2lmini-pytorch"
    assert lab.kernel_for("scratch/notebooks.ipynb", "python3") == "python3"
    assert lab.kernel_for("notebooks/jax/x.ipynb", "python3") == "python3"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_kernel_runs_the_framework_environment(framework: str) -> None:
    lab.install()
    spec = json.loads((lab.KERNELS_DIR / lab.kernel_name(framework) / "kernel.json").read_text())
    assert spec["argv"][0] == str(ROOT / ".venv" / framework / "bin" / "python")
    assert spec["env"]["OMP_NUM_THREADS"] == "1"
    km = KernelManager(kernel_name=lab.kernel_name(framework),
                       kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(lab.KERNELS_DIR)]))
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        reply = kc.execute_interactive(f"import {MODULES[framework]}, d2lmini", timeout=120)
        assert reply["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_server_starts_each_notebook_on_its_frameworks_kernel() -> None:
    lab.install()
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "jupyter-server"), f"--port={port}", "--ip=127.0.0.1", "--no-browser", "--allow-root",
         "--IdentityProvider.token=", "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={ROOT}",
         "--ServerApp.session_manager_class=tools.lab.FrameworkSessionManager"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/api"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/status", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        chapter = chapters()[0].name
        for framework in FRAMEWORKS:
            body = json.dumps({"path": f"notebooks/{framework}/{chapter}.ipynb", "type": "notebook",
                               "name": "", "kernel": {"name": "python3"}}).encode()
            request = urllib.request.Request(f"{base}/sessions", data=body, method="POST",
                                             headers={"Content-Type": "application/json"})
            session = json.load(urllib.request.urlopen(request, timeout=60))
            assert session["kernel"]["name"] == f"d2lmini-{framework}"
    finally:
        server.terminate()
        server.wait(timeout=30)
