"""Verify: prove that the committed notebooks reproduce.

``nbval`` re-executes every notebook with nbval (runner.nbval) and compares every cell.
Each executed notebook records the CPU model it ran on (``d2lmini.cpu``): on that model
the comparison is exact and the figures the run records must equal the committed
reference; on another model (README, "Reproducibility") cells tagged ``trained`` run
uncompared and the figures must lie within tools/gpu_tolerances.json
(tests/pipeline/test_outputs.py reads which way each page ran from
``<results>/comparison/<framework>.json``). The notebooks run as many at once as there
are cores, the longest first, each in its framework's environment.

``gpu`` does the same on a CUDA machine for one framework, in the interpreter that runs
it (the GPU machine's own Python), with device names masked too; ``unit`` runs d2lmini's
unit tests in a framework's environment; ``figures`` checks a results folder against the
reference; ``tolerances`` rewrites tools/gpu_tolerances.json from results/.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tools import runner
from tools.host import cpu_model, same_cpu_model
from tools.project import (BUILD, D2LMINI_MODULES, FRAMEWORKS, NOTEBOOKS, ROOT, SANITIZER,
                           TRAINED_TAG, interpreter, kernel_environment)
from tools.tolerances import check_results, load_tolerances

IGNORE_OUTPUT_TAG = "nbval-ignore-output"  # nbval runs such a cell but does not compare it
GPU_SANITIZER = ROOT / "tools" / "nbval_sanitize_gpu.cfg"
GPU_BUILD = BUILD / "gpu"


# --- which comparison each notebook gets ------------------------------------------


def comparison_plan(notebooks: list[Path], this_cpu: str) -> dict[str, dict]:
    """For each notebook: compared exactly (executed on this CPU model) or not."""
    plan = {}
    for path in notebooks:
        reference = json.loads(path.read_text())["metadata"].get("d2lmini", {}).get("cpu")
        plan[path.stem] = {"exact": same_cpu_model(reference, this_cpu),
                           "reference_cpu": reference, "this_cpu": this_cpu}
    return plan


def plan_path(results: Path, framework: str) -> Path:
    return results / "comparison" / f"{framework}.json"


def read_plan(results: Path, framework: str) -> dict[str, dict]:
    """The plan `nbval` wrote for a framework (an AssertionError if none)."""
    path = plan_path(results, framework)
    assert path.is_file(), f"missing {path}: nbval did not run for {framework} (make nbval)"
    return json.loads(path.read_text())


def ignore_trained_outputs(notebook: dict[str, Any]) -> int:
    """Add nbval's ignore-output tag to every cell tagged `trained`; return how many."""
    count = 0
    for cell in notebook.get("cells", []):
        tags = cell.get("metadata", {}).get("tags", [])
        if TRAINED_TAG in tags:
            count += 1
            if IGNORE_OUTPUT_TAG not in tags:
                tags.append(IGNORE_OUTPUT_TAG)
    return count


def write_tolerant_copies(notebooks: list[Path], folder: Path) -> dict[Path, int]:
    """Copies of ``notebooks`` in ``folder`` whose `trained` cells nbval does not compare,
    each with the number of such cells. The committed notebooks are only read."""
    folder.mkdir(parents=True, exist_ok=True)
    copies = {}
    for path in notebooks:
        notebook = json.loads(path.read_text())
        ignored = ignore_trained_outputs(notebook)
        copy = folder / path.name
        copy.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
        copies[copy] = ignored
    return copies


# --- the CPU run (make nbval) ------------------------------------------------------


def _cpu_seconds(path: Path) -> float:
    meta = json.loads(path.read_text())["metadata"].get("d2lmini", {})
    return float(meta.get("cpu_seconds") or meta.get("seconds") or 0)


def nbval(frameworks: tuple[str, ...], results: Path) -> int:
    """Every notebook of ``frameworks`` through nbval, exact where it can be."""
    this_cpu = cpu_model()
    jobs: list[tuple[str, Path, Path]] = []  # (framework, notebook as run, committed notebook)
    for framework in frameworks:
        notebooks = sorted((NOTEBOOKS / framework).glob("*.ipynb"))
        plan = comparison_plan(notebooks, this_cpu)
        plan_path(results, framework).parent.mkdir(parents=True, exist_ok=True)
        plan_path(results, framework).write_text(json.dumps(plan, indent=1) + "\n")
        others = [p for p in notebooks if not plan[p.stem]["exact"]]
        copies = write_tolerant_copies(others, BUILD / "other-cpu" / framework)
        for path in others:
            print(f"{framework}/{path.name}: executed on {plan[path.stem]['reference_cpu'] or 'an unrecorded CPU'}, "
                  f"not on this {this_cpu}: cells tagged {TRAINED_TAG!r} run but are not "
                  "compared, their figures are checked within tools/gpu_tolerances.json")
        tolerant = {copy.name: copy for copy in copies}
        jobs += [(framework, tolerant.get(p.name, p), p) for p in notebooks]
    jobs.sort(key=lambda job: _cpu_seconds(job[2]), reverse=True)

    def run(job: tuple[str, Path, Path]) -> tuple[str, int, str]:
        framework, notebook, _ = job
        proc = subprocess.run(
            runner.nbval_command(str(interpreter(framework)), [notebook]), cwd=ROOT,
            env=kernel_environment(results), capture_output=True, text=True)
        return f"{framework}/{notebook.name}", proc.returncode, proc.stdout + proc.stderr

    failed = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for name, code, log in pool.map(run, jobs):
            summary = log.strip().splitlines()[-1] if log.strip() else ""
            print(f"nbval {name}: {summary}", flush=True)
            if code != 0:
                failed.append(name)
                print(log[-20000:], flush=True)
    print(f"nbval: {len(jobs) - len(failed)} of {len(jobs)} notebooks passed"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


def unit(framework: str, api_dump: Path) -> int:
    """d2lmini's unit tests in a framework's environment, under tools/kernel.env."""
    env = kernel_environment(base=dict(os.environ, D2LMINI_TEST_FRAMEWORK=framework,
                                       D2LMINI_API_DUMP_DIR=str(api_dump)))
    return subprocess.run([str(interpreter(framework)), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests/unit"], cwd=ROOT, env=env).returncode


# --- the GPU run (make test-gpu) ---------------------------------------------------


def gpu_count(framework: str) -> int:
    """GPUs that the framework sees, asked in a fresh interpreter (0 if it cannot tell)."""
    script = f"from d2lmini import {D2LMINI_MODULES[framework]} as d2l; print(d2l.num_gpus())"
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, env=_gpu_environment(None))
    if result.returncode != 0:
        print(f"could not ask {framework} for GPUs:\n{result.stderr.strip()[-2000:]}", file=sys.stderr)
        return 0
    return int(result.stdout.split()[-1])


def _gpu_environment(results: Path | None) -> dict[str, str]:
    """The kernel environment with d2lmini importable from the checkout."""
    env = kernel_environment(results)
    env["PYTHONPATH"] = str(ROOT) + (f":{env['PYTHONPATH']}" if env.get("PYTHONPATH") else "")
    env.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # before cuBLAS first starts
    return env


def gpu(framework: str, chapters: list[str], dry_run: bool) -> int:
    """Re-execute the framework's notebooks with nbval on the GPU, then check the figures."""
    if importlib.util.find_spec("nbval") is None:
        print(f"nbval is not installed in {sys.executable}; on a machine without internet, "
              "install it from carried wheels (README, 'Running on a GPU')", file=sys.stderr)
        return 2
    if not dry_run and gpu_count(framework) == 0:
        print(f"no GPU found by {framework} in {sys.executable}: `make test-gpu` runs on a "
              "CUDA machine (README, 'Running on a GPU'); GPU_DRY_RUN=1 runs the same path "
              "on the CPU", file=sys.stderr)
        return 2
    notebooks = sorted((NOTEBOOKS / framework).glob("*.ipynb"))
    if chapters:
        unknown = sorted(set(chapters) - {p.stem for p in notebooks})
        if unknown:
            print(f"no notebook notebooks/{framework}/{', '.join(unknown)}.ipynb", file=sys.stderr)
            return 2
        notebooks = [p for p in notebooks if p.stem in chapters]
    copies = write_tolerant_copies(notebooks, GPU_BUILD / "notebooks" / framework)
    for copy, ignored in copies.items():
        print(f"{copy.relative_to(ROOT)}: {ignored} cells tagged {TRAINED_TAG!r} run, outputs not compared")
    results = GPU_BUILD / "results"
    shutil.rmtree(results / framework, ignore_errors=True)  # only this run's figures count
    sanitizer = GPU_BUILD / "nbval_sanitize.cfg"  # durations and device names, as one file
    sanitizer.write_text("\n".join(p.read_text().rstrip("\n") + "\n" for p in (SANITIZER, GPU_SANITIZER)))
    code = subprocess.run(runner.nbval_command(sys.executable, list(copies), sanitizer),
                          cwd=ROOT, env=_gpu_environment(results)).returncode
    report = check_results(framework, results, load_tolerances(),
                           pages=[p.stem for p in notebooks] if chapters else None)
    print(report.text())
    where = "CPU (dry run)" if dry_run else "GPU"
    print(f"{framework} on the {where}: nbval {'passed' if code == 0 else 'FAILED'}; "
          f"{len(report.lines)} figures within tolerance, {len(report.failures)} failing")
    return 0 if code == 0 and report.ok else 1


def figures(framework: str, results: Path, chapters: list[str]) -> int:
    """Compare a results folder with the reference, within the tolerances."""
    report = check_results(framework, results, load_tolerances(), pages=chapters or None)
    print(report.text())
    return 0 if report.ok else 1
