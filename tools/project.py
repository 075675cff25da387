"""The project description every part of the pipeline reads: where things are, which
frameworks there are, and the environment a notebook kernel runs under.

Standard library only: the runner imports it inside every framework's environment and
in bare environments (a fresh-runtime test, a GPU machine's own Python).
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOOK = ROOT / "book"
NOTEBOOKS = ROOT / "notebooks"
RESULTS = ROOT / "results"  # results/<framework>/<page>.json, results/benchmark/, results/training/
BUILD = ROOT / "_build"
VENV = ROOT / ".venv"
KERNEL_ENV_FILE = ROOT / "tools" / "kernel.env"
SANITIZER = ROOT / "tools" / "nbval_sanitize.cfg"

#: The frameworks, in tab order, with the names readers see.
FRAMEWORKS = ("mxnet", "pytorch", "tensorflow")
LABELS = {"mxnet": "MXNet", "pytorch": "PyTorch", "tensorflow": "TensorFlow"}
#: ``from d2lmini import <module> as d2l`` per framework.
D2LMINI_MODULES = {"mxnet": "mxnet", "pytorch": "torch", "tensorflow": "tensorflow"}

#: Cell tags the pipeline reads (CONTRIBUTING.md says when an author sets them).
SOLUTION_TAG = "solution"
#: A code cell of assertions on an exercise's answer: run by nbval, hidden on the website,
#: the grader's tests in an assignment (tools/assignments.py, tools/grading.py).
CHECK_TAG = "check"
TRAINED_TAG = "trained"
#: A page reads its training seed as int(os.environ.get(SEED_VARIABLE, <default>)).
SEED_VARIABLE = "D2LMINI_SEED"
RESULTS_VARIABLE = "D2LMINI_RESULTS_DIR"


def check_framework(framework: str) -> str:
    if framework not in FRAMEWORKS:
        raise ValueError(f"unknown framework {framework!r}; expected one of {FRAMEWORKS}")
    return framework


def interpreter(framework: str) -> Path:
    """The Python of a framework's environment (created by `make envs`)."""
    return VENV / check_framework(framework) / "bin" / "python"


def read_kernel_env(path: Path = KERNEL_ENV_FILE) -> dict[str, str]:
    """The KEY=VALUE settings of tools/kernel.env (comments and blank lines skipped)."""
    env = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def kernel_environment(results_dir: Path | None = None, seed: int | None = None,
                       base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with tools/kernel.env applied, the
    results folder pointed at ``results_dir`` and the seed override set or removed.

    The one place kernel.env is applied: execution, nbval, unit tests, the benchmark,
    the assignments, the GPU runner and `make lab`'s kernels all take it from here.
    """
    env = dict(os.environ if base is None else base)
    env.update(read_kernel_env())
    if results_dir is not None:
        env[RESULTS_VARIABLE] = str(results_dir)
    env.pop(SEED_VARIABLE, None)  # a page runs with its own seed unless asked otherwise
    if seed is not None:
        env[SEED_VARIABLE] = str(seed)
    return env
