"""GPU and cross-CPU tolerances of the recorded figures, and the check that uses them.

Where training cannot repeat the reference's arithmetic bit for bit (a GPU, another CPU
model), every figure a run records (results/<fw>/<page>.json rows) must lie within its
tolerance of the committed CPU reference (README, "Running on a GPU"). The tolerances
live in tools/gpu_tolerances.json, written by ``write_tolerances`` from the committed
results (reviewed and committed; never written by a run that is checked):

    tolerance = max(SPREAD_FACTOR * spread, RELATIVE_FLOOR * |median|)

where spread = max - min of the figure over the benchmark's seeds 0, 1, 2
(results/benchmark/<fw>/<page>.json); for a page without a benchmark but listed in
CROSS_FRAMEWORK_PAGES, over the three frameworks' CPU references instead. A figure
without a tolerance, missing from the run, or recorded by the run but not in the
reference fails the check.

Standard library only: the GPU machine's own Python runs it.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.project import FRAMEWORKS, RESULTS, ROOT, check_framework

TOLERANCES = ROOT / "tools" / "gpu_tolerances.json"

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
                    "CROSS_FRAMEWORK_PAGES of tools/tolerances.py if its frameworks run one recipe")
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
            "Generated by `make gpu-tolerances` (python -m tools verify tolerances); review, then commit.",
            "A figure recorded by `make test-gpu` passes when |GPU value - CPU reference| <= tolerance.",
            f"tolerance = max({SPREAD_FACTOR:g} * (max - min of values), {RELATIVE_FLOOR:g} * |median of values|),",
            "values: the figure over the benchmark's seeds (results/benchmark/<fw>/<page>.json), or, for",
            "a page without a benchmark, the three frameworks' CPU references (see tools/tolerances.py).",
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
    check_framework(framework)
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
