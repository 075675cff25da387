"""The PyTorch notebook of a chapter, run the way a fresh Colab runtime runs it.

A new virtual environment gets PyTorch (the pinned CPU build) and what executing a
notebook takes (ipykernel, nbclient), nothing else: no d2lmini, pandas, matplotlib or
statsmodels. The notebook's first cell must then install d2lmini and its dependencies
itself. ``D2LMINI_SOURCE`` points that cell at this checkout instead of GitHub, so the
test checks the package as it is here; pip builds the wheel in the checkout, and
``DIST_EXTRA_CONFIG`` sends setuptools' build/ and egg-info folders to a temporary
directory so the run leaves the checkout as it was. Results go to a temporary
``D2LMINI_RESULTS_DIR``, never to results/.

Takes a few minutes (downloads come from pip's cache after the first run). Outputs are not
compared: the fresh runtime's versions differ from the pinned ones by design.

    .venv/book/bin/python -m pytest -q tests/runtime
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tools.project import read_kernel_env  # noqa: E402
FRAMEWORK = "pytorch"
CHAPTER = "autoregression"
NOTEBOOK = ROOT / "notebooks" / FRAMEWORK / f"{CHAPTER}.ipynb"
# The pinned torch wheel (the CPU build; an unpinned torch would pull in CUDA) and the
# newest numpy the registry serves, as a runtime that moved on has them: the install
# cell must keep both (test_install_cell_replaced_nothing).
BASE_PACKAGES = ["torch==2.13.0", "numpy", "ipykernel", "nbclient"]
# Variables of the calling environment that would leak another Python into the runtime.
LEAKY = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "CONDA_PREFIX",
         "JUPYTER_PATH", "JUPYTER_DATA_DIR", "JUPYTER_CONFIG_DIR", "IPYTHONDIR",
         "D2LMINI_RESULTS_DIR", "D2LMINI_SOURCE")


@dataclass
class FreshRun:
    python: Path
    workdir: Path
    env: dict[str, str]
    results: Path
    importable_before: str
    packages_before: dict[str, str]  # name -> version before the install cell ran
    packages_after: dict[str, str]
    executed: dict
    log: str


def run(cmd: list[str | os.PathLike], env: dict[str, str], cwd: Path,
        timeout: int) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in cmd], env=env, cwd=cwd, timeout=timeout,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)


def d2lmini_spec(python: Path, env: dict[str, str], cwd: Path) -> str:
    """Where ``python`` would import d2lmini from, 'None' when it cannot."""
    probe = "import importlib.util as u; s = u.find_spec('d2lmini'); print(s and s.origin)"
    result = run([python, "-c", probe], env, cwd, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def installed(python: Path, env: dict[str, str], cwd: Path) -> dict[str, str]:
    """Package name -> version in the environment of ``python``."""
    result = run([python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"],
                 env, cwd, timeout=120)
    assert result.returncode == 0, result.stderr
    return {item["name"].lower(): item["version"] for item in json.loads(result.stdout)}


def scratch_dir() -> Path:
    """A new directory for the runtime, in memory (/dev/shm) when there is room.

    Installing torch writes about a gigabyte of small files; on a busy disk that and
    deleting them take minutes, in memory seconds.
    """
    shm = Path("/dev/shm")
    try:
        stats = os.statvfs(shm)
        roomy = shm.is_dir() and stats.f_bavail * stats.f_frsize > 6 * 2**30
    except OSError:
        roomy = False
    return Path(tempfile.mkdtemp(prefix="d2lmini-fresh-runtime-", dir=shm if roomy else None))


@pytest.fixture(scope="module")
def fresh() -> Iterator[FreshRun]:
    tmp = scratch_dir()
    try:
        yield run_fresh(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run_fresh(tmp: Path) -> FreshRun:
    venv, workdir, results = tmp / "venv", tmp / "content", tmp / "results"
    workdir.mkdir()
    build_cfg = tmp / "setuptools.cfg"
    build_cfg.write_text(f"[build]\nbuild_base = {tmp / 'build'}\n"
                         f"[egg_info]\negg_base = {tmp}\n")

    env = {key: value for key, value in os.environ.items() if key not in LEAKY}
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env,
                   timeout=300)
    python = venv / "bin" / "python"
    env.update(read_kernel_env())  # what every kernel of the book runs under
    env.update({
        "PATH": f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "VIRTUAL_ENV": str(venv),
        "D2LMINI_SOURCE": ROOT.as_uri(),
        "D2LMINI_RESULTS_DIR": str(results),
        "DIST_EXTRA_CONFIG": str(build_cfg),
        # Only the kernels and settings of the new environment, none of the machine's.
        "JUPYTER_DATA_DIR": str(tmp / "jupyter-data"),
        "JUPYTER_CONFIG_DIR": str(tmp / "jupyter-config"),
        "IPYTHONDIR": str(tmp / "ipython"),
        "JUPYTER_PLATFORM_DIRS": "1",
    })

    # --no-compile: Python compiles the few modules the notebook imports when it does.
    install = run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                   "--no-compile", *BASE_PACKAGES], env, workdir, timeout=1800)
    assert install.returncode == 0, f"pip install {BASE_PACKAGES} failed:\n{install.stderr}"
    before = d2lmini_spec(python, env, workdir)
    packages_before = installed(python, env, workdir)

    executed_path = tmp / "executed.ipynb"
    # tools/runner.py needs only nbformat and nbclient: the bare environment runs it
    # (from the checkout root; the kernel itself starts in workdir).
    result = run([python, "-m", "tools.runner", "run", NOTEBOOK, executed_path, "--cwd", workdir,
                  "--timeout", "900"], env, ROOT, timeout=3000)
    log = result.stdout + result.stderr
    assert executed_path.is_file(), f"the notebook did not run:\n{log[-6000:]}"
    executed = json.loads(executed_path.read_text())
    assert result.returncode == 0, f"a cell failed:\n{log[-6000:]}"
    return FreshRun(python, workdir, env, results, before, packages_before,
                    installed(python, env, workdir), executed, log)


def code_cells(notebook: dict) -> list[dict]:
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def test_first_cell_installs_from_d2lmini_source() -> None:
    first = code_cells(json.loads(NOTEBOOK.read_text()))[0]
    source = "".join(first["source"])
    assert "D2LMINI_SOURCE" in source and "pip" in source, (
        "the first code cell is not the install cell that reads $D2LMINI_SOURCE")
    assert f"d2lmini[{FRAMEWORK}]" in source, source


def test_runtime_starts_without_d2lmini(fresh: FreshRun) -> None:
    assert fresh.importable_before == "None", (
        f"d2lmini was importable before the first cell ran: {fresh.importable_before}")


def test_first_cell_ran_cleanly(fresh: FreshRun) -> None:
    first = code_cells(fresh.executed)[0]
    assert first.get("execution_count") is not None
    errors = [out for out in first.get("outputs", []) if out.get("output_type") == "error"]
    assert not errors, "".join("\n".join(error.get("traceback", [])) for error in errors)


def test_first_cell_installed_d2lmini(fresh: FreshRun) -> None:
    shown = run([fresh.python, "-m", "pip", "show", "--disable-pip-version-check", "d2lmini"],
                fresh.env, fresh.workdir, timeout=120)
    assert shown.returncode == 0, f"d2lmini is not installed in the runtime:\n{shown.stderr}"
    assert "Name: d2lmini" in shown.stdout
    origin = d2lmini_spec(fresh.python, fresh.env, fresh.workdir)
    site_packages = Path(fresh.python).parent.parent / "lib"
    assert origin != "None" and Path(origin).is_relative_to(site_packages), (
        f"d2lmini imports from {origin}, not from the runtime's own site-packages")
    # Its dependencies came with it; the base environment had none of them.
    for module in ("pandas", "matplotlib", "statsmodels"):
        check = run([fresh.python, "-c", f"import {module}"], fresh.env, fresh.workdir, 120)
        assert check.returncode == 0, f"{module} was not installed:\n{check.stderr}"


def test_install_cell_replaced_nothing(fresh: FreshRun) -> None:
    """The runtime's own torch and numpy (and whatever else it had) stay as they were."""
    assert {"torch", "numpy"} <= fresh.packages_before.keys(), fresh.packages_before
    replaced = {name: (version, fresh.packages_after.get(name))
                for name, version in fresh.packages_before.items()
                if fresh.packages_after.get(name) != version}
    assert not replaced, f"the install cell replaced the runtime's packages (before, after): {replaced}"
    assert "d2lmini" in fresh.packages_after and "d2lmini" not in fresh.packages_before


def test_every_cell_executed(fresh: FreshRun) -> None:
    cells = code_cells(fresh.executed)
    assert cells
    missing = [i for i, cell in enumerate(cells) if cell.get("execution_count") is None]
    assert not missing, f"code cells {missing} did not run"
    errors = [i for i, cell in enumerate(cells)
              if any(out.get("output_type") == "error" for out in cell.get("outputs", []))]
    assert not errors, f"code cells {errors} raised"


def test_results_written_to_results_dir(fresh: FreshRun) -> None:
    path = fresh.results / FRAMEWORK / f"{CHAPTER}.json"
    assert path.is_file(), f"no results file at {path}"
    assert json.loads(path.read_text()), f"{path} is empty"
