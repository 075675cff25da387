"""JupyterLab with one kernel per framework: ``make lab``.

The committed notebooks name the standard kernel ``python3`` (Colab and SageMaker
Studio Lab know no other), so ``make lab`` installs three kernels, ``d2lmini-mxnet``,
``d2lmini-pytorch`` and ``d2lmini-tensorflow``, each running its framework's
environment under tools/kernel.env, and a session manager that starts a notebook
under ``notebooks/<framework>/`` on that framework's kernel.

    python -m tools.lab install   # write the kernel specs into .venv/book
    python -m tools.lab run       # start JupyterLab at the repository root
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from jupyter_server.services.sessions.sessionmanager import SessionManager

from tools.project import FRAMEWORKS, LABELS, ROOT, VENV, interpreter, read_kernel_env

KERNELS_DIR = VENV / "book" / "share" / "jupyter" / "kernels"
NOTEBOOK_PATH = re.compile(rf"(?:^|/)notebooks/({'|'.join(FRAMEWORKS)})/[^/]+\.ipynb$")


def kernel_name(framework: str) -> str:
    return f"d2lmini-{framework}"


def kernel_for(path: str | None, requested: str | None) -> str | None:
    """The kernel to start for a notebook at ``path`` (relative to the server root)."""
    match = NOTEBOOK_PATH.search(path or "")
    if match and requested in (None, "", "python3"):
        return kernel_name(match.group(1))
    return requested


def kernel_spec(framework: str) -> dict[str, Any]:
    """A kernel.json running the framework's environment under tools/kernel.env."""
    return {
        "argv": [str(interpreter(framework)), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": f"Python 3 ({LABELS[framework]}, d2lmini)",
        "language": "python",
        "env": read_kernel_env(),
        "metadata": {"debugger": True},
    }


def install() -> None:
    for framework in FRAMEWORKS:
        folder = KERNELS_DIR / kernel_name(framework)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "kernel.json").write_text(json.dumps(kernel_spec(framework), indent=1) + "\n")
        print(f"kernel {kernel_name(framework)} -> .venv/{framework}")


class FrameworkSessionManager(SessionManager):
    """Starts notebooks/<framework>/*.ipynb on the kernel d2lmini-<framework>."""

    async def start_kernel_for_session(self, session_id: str, path: str | None, name: Any,
                                       type: str | None, kernel_name: str | None,
                                       **kwargs: Any) -> str:
        return await super().start_kernel_for_session(
            session_id, path, name, type, kernel_for(path, kernel_name), **kwargs)


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    if command == "install":
        install()
        return 0
    if command == "run":
        install()
        return subprocess.call([
            str(VENV / "book" / "bin" / "jupyter"), "lab", f"--notebook-dir={ROOT}",
            "--ServerApp.session_manager_class=tools.lab.FrameworkSessionManager",
            *sys.argv[2:],
        ], cwd=ROOT)
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
