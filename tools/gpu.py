"""The GPU runner: ``make test-gpu FRAMEWORK=<name>`` and ``make gpu-tolerances``.

On a GPU, training cannot repeat the CPU's arithmetic bit for bit (other kernels, other
summation orders), so "reproduces" has two meanings (README, "Running on a GPU"):

- cells whose outputs do not depend on floating-point training are compared exactly by
  nbval, as on the CPU (the one extra sanitizer, tools/nbval_sanitize_gpu.cfg, masks
  device names only);
- cells tagged ``trained`` in the chapter source are executed but their outputs are not
  compared; instead every figure the run records (results/<fw>/<page>.json rows) must lie
  within the committed tolerance of the CPU reference in results/<fw>/<page>.json.

The tolerances live in tools/gpu_tolerances.json, written by ``tolerances`` from the
committed results (reviewed and committed; never written by a run that is checked):

    tolerance = max(SPREAD_FACTOR * spread, RELATIVE_FLOOR * |median|)

where spread = max - min of the figure over the benchmark's seeds 0, 1, 2
(results/benchmark/<fw>/<page>.json); for a page without a benchmark but listed in
CROSS_FRAMEWORK_PAGES, over the three frameworks' CPU references instead. A figure
without a tolerance, missing from the run, or recorded by the run but not in the
reference fails the check.

    python -m tools.gpu tolerances                          # write tools/gpu_tolerances.json
    python -m tools.gpu run --framework pytorch [--chapter autoregression] [--dry-run]
    python -m tools.gpu check --framework pytorch --results _build/gpu/results

Standard library only: it runs under the GPU machine's own Python, which has nbval and
the framework but none of the book's tooling. ``run`` executes the notebooks with the
interpreter that runs this module.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ("mxnet", "pytorch", "tensorflow")
RESULTS = ROOT / "results"
TOLERANCES = ROOT / "tools" / "gpu_tolerances.json"
BUILD = ROOT / "_build" / "gpu"
SANITIZERS = (ROOT / "tools" / "nbval_sanitize.cfg", ROOT / "tools" / "nbval_sanitize_gpu.cfg")
TRAINED_TAG = "trained"  # set by chapter authors: outputs hold numbers that depend on training
IGNORE_OUTPUT_TAG = "nbval-ignore-output"  # nbval runs such a cell but does not compare it
SEED_VARIABLE = "D2LMINI_SEED"  # the benchmark's seed override; a checked run uses the page's own
D2LMINI_MODULES = {"mxnet": "mxnet", "pytorch": "torch", "tensorflow": "tensorflow"}

# A seed spread measured on three seeds underestimates the spread of the training noise
# (the expected range of three normal draws is about 1.7 standard deviations, while the
# difference of two independent runs has 1.4 standard deviations): twice the range covers
# a GPU run that diverges from the CPU run as much as another seed would.
SPREAD_FACTOR = 2.0
# Three seeds can agree by chance; below 2% of the figure a difference is not a finding
# (the book prints MAEs to whole riders and compares models that differ by more).
RELATIVE_FLOOR = 0.02
# Pages without a benchmark (they do not read D2LMINI_SEED) whose frameworks run the same
# data and recipe and differ only in their random draws, so that the spread of the three
# frameworks' CPU figures stands in for a seed spread. ridership_baselines has no random
# draws at all (spread 0: the relative floor applies).
CROSS_FRAMEWORK_PAGES = ("autoregression", "ridership_baselines")

Key = tuple[str, str]  # (model, metric)
Tolerances = dict[str, dict[str, dict[str, float]]]  # {framework: {page: {'model/metric': tolerance}}}


# ----------------------------------------------------------------------------
# tolerances: generated from the committed results, reviewed, committed

def _read_rows(path: Path) -> dict[Key, dict[str, Any]]:
    """The rows of a results file (page, model, metric, value, seed), by (model, metric)."""
    rows = json.loads(path.read_text())
    if not isinstance(rows, list):
        raise ValueError(f"{path}: expected a list of result rows, got {type(rows).__name__}")
    return {(row["model"], row["metric"]): row for row in rows}


def tolerance_from_spread(values: list[float]) -> float:
    """max(SPREAD_FACTOR * (max - min), RELATIVE_FLOOR * |median|) of `values`."""
    if len(values) < 2 or not all(math.isfinite(v) for v in values):
        raise ValueError(f"need at least two finite values to measure a spread, got {values}")
    spread = max(values) - min(values)
    tolerance = max(SPREAD_FACTOR * spread, RELATIVE_FLOOR * abs(statistics.median(values)))
    return float(f"{tolerance:.4g}")  # four significant digits: readable, reviewable


def _benchmark_values(path: Path) -> tuple[str, dict[Key, list[float]]]:
    bench = json.loads(path.read_text())
    basis = "seeds " + ", ".join(str(s) for s in bench["seeds"])
    return basis, {(f["model"], f["metric"]): list(f["values"]) for f in bench["figures"]}


def _cross_framework_values(results: Path, page: str) -> tuple[str, dict[Key, list[float]]]:
    per_framework = {fw: _read_rows(results / fw / f"{page}.json") for fw in FRAMEWORKS
                     if (results / fw / f"{page}.json").is_file()}
    if set(per_framework) != set(FRAMEWORKS):
        missing = sorted(set(FRAMEWORKS) - set(per_framework))
        raise ValueError(f"{page} is in CROSS_FRAMEWORK_PAGES but has no reference for {missing}")
    keys = set().union(*(rows.keys() for rows in per_framework.values()))
    values = {key: [rows[key]["value"] for rows in per_framework.values() if key in rows]
              for key in keys}
    return "frameworks " + ", ".join(FRAMEWORKS), values


def build_tolerances(results: Path = RESULTS) -> dict[str, Any]:
    """The content of tools/gpu_tolerances.json for the reference files under `results`.

    Every figure of every results/<fw>/<page>.json gets an absolute tolerance; a page that
    has neither a benchmark nor a place in CROSS_FRAMEWORK_PAGES is an error.
    """
    tolerances: dict[str, dict[str, dict[str, Any]]] = {}
    for fw in FRAMEWORKS:
        for reference in sorted((results / fw).glob("*.json")):
            page = reference.stem
            benchmark = results / "benchmark" / fw / f"{page}.json"
            if benchmark.is_file():
                basis, values = _benchmark_values(benchmark)
            elif page in CROSS_FRAMEWORK_PAGES:
                basis, values = _cross_framework_values(results, page)
            else:
                raise ValueError(
                    f"{fw}/{page}: no benchmark (results/benchmark/{fw}/{page}.json) to set "
                    f"tolerances from; run `make benchmark PAGE={page}`, or list the page in "
                    "CROSS_FRAMEWORK_PAGES of tools/gpu.py if its frameworks run one recipe")
            entries = {}
            for key in sorted(_read_rows(reference)):
                if key not in values:
                    raise ValueError(f"{fw}/{page}: {'/'.join(key)} is in the reference but "
                                     f"not in its spread basis ({basis}); rerun the benchmark")
                entries["/".join(key)] = {"tolerance": tolerance_from_spread(values[key]),
                                          "basis": basis, "values": values[key]}
            tolerances.setdefault(fw, {})[page] = entries
    return {
        "about": [
            "Generated by `make gpu-tolerances` (python -m tools.gpu tolerances); review, then commit.",
            "A figure recorded by `make test-gpu` passes when |GPU value - CPU reference| <= tolerance.",
            f"tolerance = max({SPREAD_FACTOR:g} * (max - min of values), {RELATIVE_FLOOR:g} * |median of values|),",
            "values: the figure over the benchmark's seeds (results/benchmark/<fw>/<page>.json), or, for",
            "a page without a benchmark, the three frameworks' CPU references (see tools/gpu.py).",
        ],
        "tolerances": tolerances,
    }


def write_tolerances(path: Path = TOLERANCES, results: Path = RESULTS) -> Path:
    """Write `build_tolerances(results)` to `path` as indented JSON."""
    path.write_text(json.dumps(build_tolerances(results), indent=1) + "\n")
    return path


def load_tolerances(path: Path = TOLERANCES) -> Tolerances:
    """{framework: {page: {'model/metric': tolerance}}} from a tolerance file."""
    content = json.loads(path.read_text())
    table = content.get("tolerances") if isinstance(content, dict) else None
    if not isinstance(table, dict):
        raise ValueError(f"{path}: expected an object with a 'tolerances' table")
    loaded: Tolerances = {}
    for fw, pages in table.items():
        for page, figures in pages.items():
            for figure, entry in figures.items():
                tolerance = entry.get("tolerance") if isinstance(entry, dict) else None
                if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) \
                        or not tolerance >= 0:
                    raise ValueError(f"{path}: {fw}/{page} {figure}: expected a tolerance >= 0, "
                                     f"got {entry!r}")
                loaded.setdefault(fw, {}).setdefault(page, {})[figure] = float(tolerance)
    return loaded


# ----------------------------------------------------------------------------
# the check: the figures a run recorded against the reference, within the tolerances

@dataclass
class CheckReport:
    """One line per figure compared, and the problems that fail the check."""

    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def text(self) -> str:
        """The compared figures, then the failures, one a line."""
        return "\n".join(self.lines + [f"FAIL {line}" for line in self.failures])


def _rows_or_empty(path: Path) -> dict[Key, dict[str, Any]]:
    return _read_rows(path) if path.is_file() else {}


def check_results(framework: str, run_dir: Path, tolerances: Tolerances,
                  reference_dir: Path = RESULTS, pages: list[str] | None = None) -> CheckReport:
    """Compare run_dir/<fw>/<page>.json with reference_dir/<fw>/<page>.json.

    All pages of the reference and of the run are checked, or only `pages` if given.
    """
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {FRAMEWORKS}, got {framework!r}")
    found = {p.stem for folder in (reference_dir / framework, run_dir / framework)
             for p in folder.glob("*.json")} | set(tolerances.get(framework, {}))
    report = CheckReport()
    for page in sorted(pages if pages is not None else found):
        reference = _rows_or_empty(reference_dir / framework / f"{page}.json")
        run = _rows_or_empty(run_dir / framework / f"{page}.json")
        allowed = tolerances.get(framework, {}).get(page, {})
        for key in sorted(reference.keys() | run.keys() | {tuple(f.split("/", 1)) for f in allowed}):
            name = f"{framework}/{page} {'/'.join(key)}"
            problem = _compare(reference.get(key), run.get(key), allowed.get("/".join(key)))
            if problem:
                report.failures.append(f"{name}: {problem}")
            else:
                ref, got, tol = reference[key]["value"], run[key]["value"], allowed["/".join(key)]
                difference = abs(got - ref)
                verdict = "identical" if difference == 0 else f"difference {difference:.3g}"
                report.lines.append(f"{name}: reference {ref:.6g}, run {got:.6g}, {verdict} "
                                    f"(tolerance {tol:.4g})")
    if not report.lines and not report.failures:
        report.failures.append(f"{framework}: no figures to check in {reference_dir / framework}")
    return report


def _compare(reference: dict | None, run: dict | None, tolerance: float | None) -> str | None:
    """Why one figure fails the check, or None when it passes."""
    if reference is None and run is None:
        return "has a tolerance but is not in the reference: regenerate tools/gpu_tolerances.json"
    if reference is None:
        return "recorded by the run but not in the reference results"
    if tolerance is None:
        return "no tolerance in tools/gpu_tolerances.json: run `make gpu-tolerances` and review"
    if run is None:
        return "missing from the run's results"
    if run["seed"] != reference["seed"]:
        return f"run with seed {run['seed']}, the reference with seed {reference['seed']}"
    difference = abs(run["value"] - reference["value"])
    if not difference <= tolerance:  # also catches a NaN
        return (f"reference {reference['value']:.6g}, run {run['value']:.6g}: difference "
                f"{difference:.3g} is outside the tolerance {tolerance:.4g}")
    return None


# ----------------------------------------------------------------------------
# the run: notebook copies with trained outputs ignored, nbval, then the check

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


def write_gpu_copies(notebooks: list[Path], folder: Path) -> dict[Path, int]:
    """Copies of `notebooks` in `folder` whose `trained` cells nbval does not compare,
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


def gpu_count(framework: str) -> int:
    """GPUs that the framework sees, asked in a fresh interpreter (0 if it cannot tell)."""
    script = (f"from d2lmini import {D2LMINI_MODULES[framework]} as d2l; print(d2l.num_gpus())")
    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                            text=True, env=_kernel_environment())
    if result.returncode != 0:
        print(f"could not ask {framework} for GPUs:\n{result.stderr.strip()[-2000:]}", file=sys.stderr)
        return 0
    return int(result.stdout.split()[-1])


def _kernel_environment() -> dict[str, str]:
    """This process's environment, d2lmini importable from the checkout, no seed override."""
    env = dict(os.environ)
    env.pop(SEED_VARIABLE, None)  # the reference ran with each page's own seed
    env["PYTHONPATH"] = str(ROOT) + (f":{env['PYTHONPATH']}" if env.get("PYTHONPATH") else "")
    env.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # before cuBLAS first starts
    return env


def _sanitizer(folder: Path) -> Path:
    """tools/nbval_sanitize.cfg and the device-name patterns, as one file for nbval."""
    path = folder / "nbval_sanitize.cfg"
    path.write_text("\n".join(p.read_text().rstrip("\n") + "\n" for p in SANITIZERS))
    return path


def run(framework: str, chapters: list[str], dry_run: bool) -> int:
    """Re-execute the framework's notebooks with nbval on the GPU, then check the results."""
    if importlib.util.find_spec("nbval") is None:
        print(f"nbval is not installed in {sys.executable}; on a machine without internet, "
              "install it from carried wheels (README, 'Running on a GPU')", file=sys.stderr)
        return 2
    if not dry_run and gpu_count(framework) == 0:
        print(f"no GPU found by {framework} in {sys.executable}: `make test-gpu` runs on a "
              "CUDA machine (README, 'Running on a GPU'); GPU_DRY_RUN=1 runs the same path "
              "on the CPU", file=sys.stderr)
        return 2
    notebooks = sorted((ROOT / "notebooks" / framework).glob("*.ipynb"))
    if chapters:
        unknown = sorted(set(chapters) - {p.stem for p in notebooks})
        if unknown:
            print(f"no notebook notebooks/{framework}/{', '.join(unknown)}.ipynb", file=sys.stderr)
            return 2
        notebooks = [p for p in notebooks if p.stem in chapters]
    copies = write_gpu_copies(notebooks, BUILD / "notebooks" / framework)
    for copy, ignored in copies.items():
        print(f"{copy.relative_to(ROOT)}: {ignored} cells tagged {TRAINED_TAG!r} run, outputs not compared")
    results = BUILD / "results"
    shutil.rmtree(results / framework, ignore_errors=True)  # only this run's figures count
    env = _kernel_environment()
    env["D2LMINI_RESULTS_DIR"] = str(results)
    # the same settings as every CPU kernel, so that the cells on the CPU stay exact
    with_kernel_env = ["bash", "-c", 'set -a && . tools/kernel.env && set +a && exec "$@"', "-"]
    nbval = subprocess.run(
        [*with_kernel_env, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(_sanitizer(BUILD)),
         "--nbval-cell-timeout=600", *map(str, copies)],
        cwd=ROOT, env=env)
    report = check_results(framework, results, load_tolerances(),
                           pages=[p.stem for p in notebooks] if chapters else None)
    print(report.text())
    where = "CPU (dry run)" if dry_run else "GPU"
    print(f"{framework} on the {where}: nbval {'passed' if nbval.returncode == 0 else 'FAILED'}; "
          f"{len(report.lines)} figures within tolerance, {len(report.failures)} failing")
    return 0 if nbval.returncode == 0 and report.ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    tolerances_parser = sub.add_parser("tolerances", help="write tools/gpu_tolerances.json")
    tolerances_parser.add_argument("--results", type=Path, default=RESULTS,
                                   help="the reference results folder (default: results/)")
    run_parser = sub.add_parser("run", help="re-execute a framework's notebooks, then check")
    check_parser = sub.add_parser("check", help="only compare a run's results folder")
    for p in (run_parser, check_parser):
        p.add_argument("--framework", choices=FRAMEWORKS, required=True)
        p.add_argument("--chapter", action="append", default=[],
                       help="only this chapter (repeatable; default: every notebook)")
    run_parser.add_argument("--dry-run", action="store_true",
                            help="run without a GPU, on the CPU (shows the path works)")
    check_parser.add_argument("--results", type=Path, default=BUILD / "results",
                              help="folder holding <framework>/<page>.json of the run")
    args = parser.parse_args(argv)
    if args.command == "tolerances":
        path = write_tolerances(results=args.results)
        print(f"wrote {path.relative_to(ROOT)}; review the diff, then commit it")
        return 0
    if args.command == "run":
        return run(args.framework, args.chapter, args.dry_run)
    report = check_results(args.framework, args.results, load_tolerances(),
                           pages=args.chapter or None)
    print(report.text())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
