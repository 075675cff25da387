"""test-latest: a framework's notebooks with the newest releases a reader's runtime gets.

A reader who opens a notebook in Colab installs d2lmini (its first cell) on top of the
runtime's own packages, which move on while requirements/ stays pinned. This check
builds that situation: a fresh environment (``_build/latest/<framework>/venv``) with the
newest releases the package registry serves of numpy, pandas, matplotlib and
statsmodels, resolved at run time, then d2lmini installed the way the install cell
installs it (``d2lmini[<framework>] @ <source>``, which keeps what is there). Every
notebook of the framework then runs through nbval on the tolerant path of another CPU
model (cells tagged ``trained`` run uncompared, their figures checked within
tools/gpu_tolerances.json; every other cell compared exactly), and the report says per
notebook: passed, or the first difference, classified as an error, a formatting change
(same numbers, other text) or a numeric change.

The framework: TensorFlow resolves to the newest tensorflow-cpu. PyTorch releases
newer than the pin are multi-GB CUDA builds on this registry (and pip here is capped by
/etc/xdg/pip/constraints.txt), so torch stays at the pinned CPU build unless
``D2LMINI_LATEST_TORCH`` names another requirement (``torch``, ``torch==2.14.1``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tools import runner
from tools.project import BUILD, NOTEBOOKS, ROOT, kernel_environment
from tools.tolerances import check_results, load_tolerances

LATEST = BUILD / "latest"
MOVING = ("numpy", "pandas", "matplotlib", "statsmodels")  # what a runtime's update moves
TOOLCHAIN = ("ipykernel", "pytest", "nbval", "nbclient")  # the test harness stays pinned
LATEST_FRAMEWORKS = ("pytorch", "tensorflow")  # MXNet's last release caps numpy below 1.24
PACKAGE = {"pytorch": "torch", "tensorflow": "tensorflow-cpu"}
TORCH_VARIABLE = "D2LMINI_LATEST_TORCH"


def _normalized(name: str) -> str:
    """A package name as pip compares them (PEP 503): case, '-', '_' and '.' do not matter."""
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def pinned(framework: str, package: str) -> str:
    """The ``package==version`` line of requirements/<framework>.txt."""
    for line in (ROOT / "requirements" / f"{framework}.txt").read_text().splitlines():
        name, _, version = line.partition("==")
        if _normalized(name) == _normalized(package):  # tensorflow-cpu is tensorflow_cpu
            return f"{name.strip()}=={version.strip()}"
    raise ValueError(f"{package} is not pinned in requirements/{framework}.txt")


def requirements(framework: str, environ: dict[str, str] | None = None) -> list[str]:
    """What the fresh environment asks pip for: the framework, the moving packages
    unpinned (pip takes the newest it can install), the test harness pinned."""
    if framework not in LATEST_FRAMEWORKS:
        raise ValueError(f"test-latest runs {' or '.join(LATEST_FRAMEWORKS)}, not {framework!r} "
                         "(MXNet 1.9.1 is the last release and needs numpy < 1.24)")
    environ = os.environ if environ is None else environ
    if framework == "pytorch":
        torch = environ.get(TORCH_VARIABLE) or pinned(framework, "torch")
    else:
        torch = None
    head = [torch] if torch else [PACKAGE[framework], "keras"]  # Keras moves with TensorFlow
    return head + list(MOVING) + [pinned(framework, tool) for tool in TOOLCHAIN]


def _pip(python: Path, *args: str) -> None:
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    *args], check=True)


def create_environment(framework: str) -> Path:
    """A new environment with the newest releases, then d2lmini as the install cell
    installs it; returns its Python."""
    venv = LATEST / framework / "venv"
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    _pip(python, "--upgrade", *requirements(framework))
    before = installed(python)
    _pip(python, f"d2lmini[{framework}] @ {ROOT.as_uri()}")  # the install cell's command
    replaced = {name: (before[name], now) for name, now in installed(python).items()
                if name in before and before[name] != now}
    if replaced:
        raise RuntimeError(f"installing d2lmini replaced the runtime's packages: {replaced}")
    return python


def installed(python: Path) -> dict[str, str]:
    """Package name -> version in the environment of ``python``."""
    out = subprocess.run([str(python), "-m", "pip", "list", "--format=json",
                          "--disable-pip-version-check"], check=True, capture_output=True, text=True)
    return {item["name"].lower().replace("_", "-"): item["version"] for item in json.loads(out.stdout)}


# --- what nbval reported -----------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;]*m")
NUMBER = re.compile(r"[-+]?(?:\d[\d,_]*\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


@dataclass
class Outcome:
    notebook: str
    passed: bool
    kind: str = ""  # "error", "format" or "numeric" for the first difference
    detail: str = ""

    def line(self) -> str:
        if self.passed:
            return f"| {self.notebook} | passed | |"
        return f"| {self.notebook} | {self.kind} | {self.detail.replace('|', '/')} |"


def _numbers(text: str) -> list[float]:
    values = []
    for token in NUMBER.findall(text):
        try:
            values.append(float(token.replace(",", "").replace("_", "")))
        except ValueError:
            continue
    return values


def classify(log: str) -> tuple[str, str]:
    """(kind, detail) of the first failure in an nbval log: an error (a cell raised), a
    formatting change (the committed and the new output hold the same numbers) or a
    numeric change. nbval prints its comparison as pytest's diff of
    ``reference_output == test_output``: lines of the committed output start with "+",
    those of the new one with "-"."""
    log = ANSI.sub("", log)
    sections = re.split(r"\n_{3,} (.*?) _{3,}\n", "\n" + log)
    if len(sections) < 3:
        return "error", (log.strip().splitlines() or ["no output"])[-1][:300]
    where, first = sections[1], sections[2].split("short test summary info")[0]
    if "Cell outputs differ" not in first:
        errors = [line.strip() for line in first.splitlines()
                  if re.match(r"\s*\w+(Error|Exception|Interrupt)\b", line)]
        return "error", f"{where}: " + (errors[-1] if errors else first.strip().splitlines()[-1])[:300]
    committed = [line.strip()[1:].strip() for line in first.splitlines() if line.strip().startswith("+ ")]
    new = [line.strip()[1:].strip() for line in first.splitlines() if line.strip().startswith("- ")]
    old, now = " ".join(committed), " ".join(new)
    kind = "format" if _numbers(old) == _numbers(now) else "numeric"
    return kind, f"{where}: committed {old[:160]!r}, now {now[:160]!r}"


# --- the run -----------------------------------------------------------------------


def run(framework: str, skip_install: bool = False) -> int:
    from tools.verify import compare_environment, write_copies_ignoring_trained

    folder = LATEST / framework
    python = folder / "venv" / "bin" / "python"
    if not (skip_install and python.exists()):
        python = create_environment(framework)
    versions = installed(python)
    resolved = {name: versions.get(name, "-") for name in (PACKAGE[framework], "torch", "keras", *MOVING)
                if name in versions}
    results = folder / "results"
    shutil.rmtree(results, ignore_errors=True)
    notebooks = sorted((NOTEBOOKS / framework).glob("*.ipynb"))
    copies = write_copies_ignoring_trained(notebooks, folder / "notebooks")

    def one(copy: Path) -> Outcome:
        proc = subprocess.run(runner.nbval_command(str(python), [copy]), cwd=ROOT,
                              env=compare_environment(kernel_environment(results), "exact", "tolerant", None),
                              capture_output=True, text=True)
        log = proc.stdout + proc.stderr
        (folder / f"{copy.stem}.log").write_text(log)
        if proc.returncode == 0:
            return Outcome(copy.stem, True)
        return Outcome(copy.stem, False, *classify(log))

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        outcomes = list(pool.map(one, copies))
    figures = check_results(framework, results, load_tolerances())
    pins = {}
    for name in resolved:
        try:
            pins[name] = pinned(framework, name).split("==")[1]
        except ValueError:
            pins[name] = "-"
    lines = [f"# make test-latest FRAMEWORK={framework}", "",
             "| package | pinned | resolved |", "|---|---|---|"]
    lines += [f"| {name} | {pins.get(name, '-')} | {version} |" for name, version in resolved.items()]
    lines += ["", "| notebook | outcome | first difference |", "|---|---|---|"]
    lines += [outcome.line() for outcome in outcomes]
    lines += ["", "Figures against tools/gpu_tolerances.json:", "", figures.text()]
    report = "\n".join(lines) + "\n"
    (folder / "report.md").write_text(report)
    print(report)
    return 0 if all(o.passed for o in outcomes) and figures.ok else 1
