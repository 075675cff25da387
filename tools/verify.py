"""Verify: prove that the committed notebooks reproduce.

``nbval`` re-executes every notebook with nbval and compares every cell, images included,
through the book's plugin (tools/nbval_compare.py, tools/compare.py). Each executed
notebook records the CPU model it ran on (``d2lmini.cpu``): on that model, and everywhere
for a framework measured bit-identical across CPU models, the comparison is exact and
the figures the run records must equal the committed reference; on another model every
cell is compared number by number within a relative bound and every image by RMS, and
the figures must lie within tools/gpu_tolerances.json (README, "Reproducibility";
tests/pipeline/test_outputs.py reads which way each page ran from
``<results>/comparison/<framework>.json`` and what was compared from
``<results>/comparison/<framework>/``). The notebooks run as many at once as there are
cores, the longest first, each in its framework's environment.

``cross-cpu`` runs notebooks (by default each framework's cheapest trained page) under
tools/cross_cpu.env, which makes this host compute like another CPU model, and compares
them the tolerant way, so that path is tested wherever `make test` runs.

``gpu`` runs a framework's notebooks on a CUDA machine, in the interpreter that runs it
(the GPU machine's own Python): cells tagged ``trained`` uncompared, the others' text
exactly and their images by RMS, device names masked; ``unit`` runs d2lmini's unit tests
in a framework's environment; ``figures`` checks a results folder against the reference;
``tolerances`` rewrites tools/gpu_tolerances.json from results/.
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

from tools import nbval_compare, runner
from tools.compare import EXACT_EVERYWHERE
from tools.host import cpu_model, same_cpu_model
from tools.project import (BUILD, D2LMINI_MODULES, FRAMEWORKS, NOTEBOOKS, ROOT, SANITIZER,
                           TRAINED_TAG, interpreter, kernel_environment, read_kernel_env)
from tools.tolerances import check_results, load_tolerances

IGNORE_OUTPUT_TAG = "nbval-ignore-output"  # nbval runs such a cell but does not compare it
GPU_SANITIZER = ROOT / "tools" / "nbval_sanitize_gpu.cfg"
GPU_BUILD = BUILD / "gpu"
CROSS_CPU_ENV = ROOT / "tools" / "cross_cpu.env"


# --- which comparison each notebook gets ------------------------------------------


def comparison_plan(notebooks: list[Path], this_cpu: str, framework: str | None = None) -> dict[str, dict]:
    """For each notebook: compared exactly (executed on this CPU model, or a framework in
    tools/compare.py's EXACT_EVERYWHERE) or tolerantly (another CPU model)."""
    plan = {}
    for path in notebooks:
        reference = json.loads(path.read_text())["metadata"].get("d2lmini", {}).get("cpu")
        same = same_cpu_model(reference, this_cpu)
        exact = same or framework in EXACT_EVERYWHERE
        plan[path.stem] = {"exact": exact, "mode": "exact" if exact else "tolerant",
                           "why": ("executed on this CPU model" if same else
                                   f"{framework} bit-identical across CPU models" if exact else
                                   "executed on another CPU model"),
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


def write_copies_ignoring_trained(notebooks: list[Path], folder: Path) -> dict[Path, int]:
    """Copies of ``notebooks`` in ``folder`` whose `trained` cells nbval does not compare
    (the GPU runner's and test-latest's), each with the number of such cells. The
    committed notebooks are only read."""
    folder.mkdir(parents=True, exist_ok=True)
    copies = {}
    for path in notebooks:
        notebook = json.loads(path.read_text())
        ignored = ignore_trained_outputs(notebook)
        copy = folder / path.name
        copy.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n")
        copies[copy] = ignored
    return copies


def compare_environment(env: dict[str, str], text: str, images: str, report: Path | None) -> dict[str, str]:
    """``env`` with the nbval plugin loaded (tools/nbval_compare.py; through PYTEST_ADDOPTS,
    since tools/runner.py's command line is part of every notebook's content hash) and
    its settings."""
    addopts = " ".join(filter(None, [env.get("PYTEST_ADDOPTS"), f"-p {nbval_compare.__name__}"]))
    env = dict(env, PYTEST_ADDOPTS=addopts,
               **{nbval_compare.TEXT_MODE: text, nbval_compare.IMAGE_MODE: images})
    if report is not None:
        env[nbval_compare.REPORT] = str(report)
    return env


def comparison_report(results: Path, framework: str) -> dict[str, dict]:
    """Per notebook, what the plugin recorded: cells compared, the largest differences."""
    merged = {}
    for path in sorted((results / "comparison" / framework).glob("*.json")):
        merged.update(json.loads(path.read_text()))
    return merged


def comparison_table(results: Path, frameworks: tuple[str, ...]) -> str:
    lines = ["| notebook | text | images | cells compared | identical | images compared "
             "| largest relative difference | largest image RMS |", "|---" * 8 + "|"]
    for framework in frameworks:
        for name, row in comparison_report(results, framework).items():
            lines.append(f"| {framework}/{name} | {row['text']} | {row['images']} | {row['cells_compared']} "
                         f"| {row['cells_identical']} | {row['images_compared']} | {row['largest_rel_diff']:.3g} "
                         f"| {row['largest_image_rms']:.3g} |")
    return "\n".join(lines)


# --- the CPU run (make nbval) ------------------------------------------------------


def _cpu_seconds(path: Path) -> float:
    meta = json.loads(path.read_text())["metadata"].get("d2lmini", {})
    return float(meta.get("cpu_seconds") or meta.get("seconds") or 0)


def _run_nbval(jobs: list[tuple[str, Path, dict[str, str]]]) -> list[str]:
    """nbval on each (framework, notebook, environment), as many at once as there are
    cores, in the order given; the names of the notebooks that failed."""
    def run(job: tuple[str, Path, dict[str, str]]) -> tuple[str, int, str]:
        framework, notebook, env = job
        proc = subprocess.run(runner.nbval_command(str(interpreter(framework)), [notebook]),
                              cwd=ROOT, env=env, capture_output=True, text=True)
        return f"{framework}/{notebook.name}", proc.returncode, proc.stdout + proc.stderr

    failed = []
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for name, code, log in pool.map(run, jobs):
            summary = log.strip().splitlines()[-1] if log.strip() else ""
            print(f"nbval {name}: {summary}", flush=True)
            if code != 0:
                failed.append(name)
                print(log[-20000:], flush=True)
    return failed


def nbval(frameworks: tuple[str, ...], results: Path) -> int:
    """Every notebook of ``frameworks`` through nbval: exact on the CPU model that
    executed it, number by number and image by RMS on another."""
    this_cpu = cpu_model()
    jobs: list[tuple[str, Path, dict[str, str]]] = []
    for framework in frameworks:
        notebooks = sorted((NOTEBOOKS / framework).glob("*.ipynb"))
        plan = comparison_plan(notebooks, this_cpu, framework)
        plan_path(results, framework).parent.mkdir(parents=True, exist_ok=True)
        plan_path(results, framework).write_text(json.dumps(plan, indent=1) + "\n")
        shutil.rmtree(results / "comparison" / framework, ignore_errors=True)
        for path in notebooks:
            mode = plan[path.stem]["mode"]
            if mode != "exact":
                print(f"{framework}/{path.name}: executed on {plan[path.stem]['reference_cpu'] or 'an unrecorded CPU'}, "
                      f"not on this {this_cpu}: every cell compared number by number "
                      "(tools/compare.py), the figures within tools/gpu_tolerances.json")
            report = results / "comparison" / framework / f"{path.stem}.json"
            jobs.append((framework, path, compare_environment(kernel_environment(results), mode, mode, report)))
    jobs.sort(key=lambda job: _cpu_seconds(job[1]), reverse=True)
    failed = _run_nbval(jobs)
    print(comparison_table(results, frameworks))
    print(f"nbval: {len(jobs) - len(failed)} of {len(jobs)} notebooks passed"
          + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


# --- the cross-CPU run (make cross-cpu) --------------------------------------------


def emulated_cpu_environment(results: Path, settings: Path = CROSS_CPU_ENV) -> dict[str, str]:
    """The kernel environment with ``settings`` (tools/cross_cpu.env) on top: this host
    computing like another CPU model."""
    env = kernel_environment(results)
    env.update(read_kernel_env(settings))
    return env


def cheapest_trained_page(framework: str) -> str:
    """The notebook of ``framework`` with a `trained` cell that took the least kernel CPU."""
    def trained(path: Path) -> bool:
        cells = json.loads(path.read_text())["cells"]
        return any(TRAINED_TAG in c.get("metadata", {}).get("tags", []) for c in cells)
    pages = [p for p in (NOTEBOOKS / framework).glob("*.ipynb") if trained(p)]
    return min(pages, key=_cpu_seconds).stem


def cross_cpu(frameworks: tuple[str, ...], chapters: list[str], results: Path,
              settings: Path = CROSS_CPU_ENV) -> int:
    """Notebooks under tools/cross_cpu.env, compared as on another CPU model: nbval must
    pass number by number, the figures must lie within tools/gpu_tolerances.json, and at
    least one recorded figure must differ from the reference (else the run proved nothing).
    Frameworks compared exactly everywhere are left out. Default: each framework's
    cheapest trained page."""
    frameworks = tuple(f for f in frameworks if f not in EXACT_EVERYWHERE)
    shutil.rmtree(results, ignore_errors=True)
    jobs, pages = [], {}
    env = emulated_cpu_environment(results, settings)
    for framework in frameworks:
        pages[framework] = chapters or [cheapest_trained_page(framework)]
        for page in pages[framework]:
            report = results / "comparison" / framework / f"{page}.json"
            jobs.append((framework, NOTEBOOKS / framework / f"{page}.ipynb",
                         compare_environment(env, "tolerant", "tolerant", report)))
    failed = _run_nbval(jobs)
    print(comparison_table(results, frameworks))
    ok = not failed
    for framework in frameworks:
        report = check_results(framework, results, load_tolerances(), pages=pages[framework])
        print(report.text())
        print(f"{framework} under {settings.name}: {len(report.moved)} of {len(report.lines)} "
              "recorded figures differ from the reference")
        if not report.ok:
            ok = False
        if not report.moved:
            ok = False
            print(f"{framework}: no recorded figure changed, so the emulated CPU computed like this one "
                  "and the tolerant comparison was not exercised (tools/cross_cpu.env)")
    return 0 if ok else 1


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
    copies = write_copies_ignoring_trained(notebooks, GPU_BUILD / "notebooks" / framework)
    for copy, ignored in copies.items():
        print(f"{copy.relative_to(ROOT)}: {ignored} cells tagged {TRAINED_TAG!r} run, outputs not compared")
    results = GPU_BUILD / "results"
    shutil.rmtree(results / framework, ignore_errors=True)  # only this run's figures count
    sanitizer = GPU_BUILD / "nbval_sanitize.cfg"  # durations and device names, as one file
    sanitizer.write_text("\n".join(p.read_text().rstrip("\n") + "\n" for p in (SANITIZER, GPU_SANITIZER)))
    # Untrained cells: text exactly, images by RMS (plots may render on other libraries).
    env = compare_environment(_gpu_environment(results), "exact", "tolerant",
                              GPU_BUILD / "comparison" / f"{framework}.json")
    code = subprocess.run(runner.nbval_command(sys.executable, list(copies), sanitizer),
                          cwd=ROOT, env=env).returncode
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
