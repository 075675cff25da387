"""GPU and cross-CPU tolerances of the recorded figures, and the check that uses them.

Where training cannot repeat the reference's arithmetic bit for bit (a GPU, another CPU
model), every figure a run records (results/<fw>/<page>.json rows) must lie within its
tolerance of the committed CPU reference (README, "Running on a GPU"). The tolerances
live in tools/gpu_tolerances.json, written by ``write_tolerances`` from the committed
results (reviewed and committed; never written by a run that is checked):

    tolerance = max(SPREAD_FACTOR * spread, RELATIVE_FLOOR * |median|)

where spread = max - min of the figure over the benchmark's seeds 0, 1, 2
(results/benchmark/<fw>/<page>.json); for a page without a benchmark but listed in
CROSS_FRAMEWORK_PAGES, over the three frameworks' CPU references instead. Two rules
then keep a band from passing a broken model (``FigureRule``, ``RULES``):

- a figure whose page claims a bound (a by-hand computation against the framework's,
  BPTT against autodiff) gets that bound, since a GPU cannot repeat the CPU's last bits;
- a figure with a trivial baseline (the naive forecast for an MAE, chance for an
  accuracy, predicting 0 for an MSE, the uniform model for a perplexity) gets at most
  BASELINE_SHARE of the reference's lead over that baseline, even where the seed spread
  is wider (a figure that three seeds move that far is itself unstable). Where the
  reference is at its baseline (within RELATIVE_FLOOR of it) or past it, no band tells a
  working model from a broken one: the figure must be listed in EXEMPT with the reason,
  and keeps its spread tolerance.

Every figure falls under a rule, or the build fails. A figure without a tolerance,
missing from the run, or recorded by the run but not in the reference fails the check.

Standard library only: the GPU machine's own Python runs it.
"""

from __future__ import annotations

import json
import math
import re
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

# A band may cover at most this share of the way from the reference to its baseline: a
# model that has lost half of its lead over the naive forecast (or over chance) is broken.
BASELINE_SHARE = 0.5


@dataclass(frozen=True)
class FigureRule:
    """How the figures whose page, model and metric fully match the three regular
    expressions are bounded. Exactly one of:

    - ``bound``: the page's claimed bound, used as the tolerance;
    - ``baseline``: (page, model, metric) of the same framework's reference row that holds
      the trivial baseline (metric None: the figure's own metric), or ``value``, a constant;
    - ``none``: why the figure has no trivial baseline to keep clear of.
    """

    page: str
    model: str
    metric: str
    bound: float | None = None
    baseline: tuple[str, str, str | None] | None = None
    value: float | None = None
    higher_is_better: bool = False
    none: str = ""
    why: str = ""

    def matches(self, page: str, key: Key) -> bool:
        return all(re.fullmatch(pattern, text) for pattern, text in
                   ((self.page, page), (self.model, key[0]), (self.metric, key[1])))


RIDERSHIP_SEQ2SEQ = "ridership_multistep|gated_cells|conv_wavenet|attention"  # the 82 windows, 14 days
# The first rule that matches a figure applies.
RULES = (
    FigureRule("gated_cells", "lstm_cell|gru_cell", "max_abs_diff", bound=1e-5,
               why="the page checks the by-hand cells against the built-in ones to 1e-5"),
    FigureRule("rnn_language_model", "bptt", "max_abs_diff", bound=1e-8,
               why="the page checks the derived gradient against autodiff to 1e-8"),
    FigureRule("attention", "mha", "max_abs_diff", bound=1e-5,
               why="the page checks its multi-head attention against the framework's (numpy's) to 1e-5"),
    FigureRule("attention", "char_transformer.*", "valid_perplexity", value=28.0,
               why="the uniform model over the 28 tokens of The Time Machine"),
    FigureRule("ridership_baselines", "naive_7day", ".*", none="the naive forecast is the baseline"),
    FigureRule("ridership_baselines", "sarima", "forecast_.*", none="a forecast of one day, not an error"),
    FigureRule("ridership_baselines", "sarima", "mae_daily_refit",
               baseline=("ridership_baselines", "naive_7day", "mae_rail")),
    FigureRule("ridership_rnns", ".*", "valid_mae|valid_mae_rail",
               baseline=("ridership_baselines", "naive_7day", "mae_rail")),
    FigureRule("ridership_rnns", "multitask", "valid_mae_bus",
               baseline=("ridership_baselines", "naive_7day", "mae_bus")),
    FigureRule("ridership_rnns", ".*", "test_mae.*",
               none="the page records no naive forecast of its test period (Exercise 3 prints one)"),
    FigureRule("ridership_multistep", "naive", ".*", none="the naive forecast is the baseline"),
    FigureRule(RIDERSHIP_SEQ2SEQ, ".*", r"valid_mae|valid_mae_t\d+|test_mae_.*",
               baseline=("ridership_multistep", "naive", None)),
    FigureRule("gated_cells", "recall_.*", r"recall_acc_k\d+", value=0.1, higher_is_better=True,
               why="chance: the network names one digit of 10"),
    FigureRule("language_models", "uniform", ".*", none="the uniform model is the baseline"),
    FigureRule("language_models", ".*", "k", none="a smoothing constant chosen from a grid"),
    FigureRule("language_models", ".*", "valid_perplexity",
               baseline=("language_models", "uniform", "valid_perplexity")),
    FigureRule("rnn_language_model", ".*", "valid_perplexity", value=28.0,
               why="the uniform model over the 28 tokens of The Time Machine"),
    FigureRule("autoregression", "zero", ".*", none="predicting 0 is the baseline"),
    FigureRule("autoregression", "mlp", r"kstep_mse_k\d+", baseline=("autoregression", "zero", "kstep_mse")),
    FigureRule("autoregression", "mlp", "onestep_mse", baseline=("autoregression", "zero", None)),
    FigureRule("autoregression", "mlp", "train_mse",
               none="the training error; the held-out errors carry the baseline check"),
)
# Figures whose reference is at or past its baseline: (framework, page, 'model/metric') ->
# why. They keep their spread tolerance.
_AFTER_MARCH_2020 = ("from March 2020 ridership collapsed (COVID-19): the models, trained on 2016 "
                     "to 2018, forecast the old level, while the naive forecast follows the "
                     "collapse a week later; the page shows this, the band cannot test it")
EXEMPT: dict[tuple[str, str, str], str] = {
    **{(fw, "ridership_multistep", f"{model}/test_mae_from_2020_03"): _AFTER_MARCH_2020
       for fw in FRAMEWORKS for model in ("iterative", "vector", "seq2seq")},
    ("tensorflow", "autoregression", "mlp/kstep_mse_k64"):
        "TensorFlow's 64-step forecast settles at a constant farther from the data than 0: "
        "its reference MSE is above that of predicting 0",
}

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
            for key, row in sorted(_read_rows(reference).items()):
                if key not in values:
                    raise ValueError(f"{fw}/{page}: {'/'.join(key)} is in the reference but "
                                     f"not in its spread basis ({basis}); rerun the benchmark")
                tolerance, why = _apply_rule(fw, page, key, row["value"],
                                             tolerance_from_spread(values[key]), results)
                entries["/".join(key)] = {"tolerance": tolerance, "basis": basis,
                                          "values": values[key], **why}
            tolerances.setdefault(fw, {})[page] = entries
    return {
        "about": [
            "Generated by `make gpu-tolerances` (python -m tools verify tolerances); review, then commit.",
            "A figure recorded by `make test-gpu` passes when |GPU value - CPU reference| <= tolerance.",
            f"tolerance = max({SPREAD_FACTOR:g} * (max - min of values), {RELATIVE_FLOOR:g} * |median of values|),",
            "values: the figure over the benchmark's seeds (results/benchmark/<fw>/<page>.json), or, for",
            "a page without a benchmark, the three frameworks' CPU references (see tools/tolerances.py);",
            f"then at most {BASELINE_SHARE:g} of the reference's lead over its baseline (the naive forecast,",
            "chance, predicting 0, the uniform model), or the page's claimed bound ('rule').",
        ],
        "tolerances": tolerances,
    }


def rule_for(page: str, key: Key) -> FigureRule:
    """The first rule of RULES that matches the figure (model, metric) of `page`."""
    for rule in RULES:
        if rule.matches(page, key):
            return rule
    raise ValueError(f"{page}: {'/'.join(key)} matches no rule in RULES of tools/tolerances.py: "
                     "add one that says what bounds it (a claimed bound, a baseline, or none)")


def baseline_of(rule: FigureRule, framework: str, key: Key, results: Path = RESULTS) -> float | None:
    """The trivial baseline the rule names for `key`, from the framework's reference rows."""
    if rule.value is not None:
        return rule.value
    if rule.baseline is None:
        return None
    page, model, metric = rule.baseline
    path = results / framework / f"{page}.json"
    target = (model, metric or key[1])
    rows = _rows_or_empty(path)
    if target not in rows:
        raise ValueError(f"{framework}: the baseline {'/'.join(target)} of {'/'.join(key)} is "
                         f"not in {path}: execute {page} first")
    return float(rows[target]["value"])


def _lead(rule: FigureRule, reference: float, baseline: float) -> float:
    """How much better than its baseline the reference is (negative: worse)."""
    return reference - baseline if rule.higher_is_better else baseline - reference


def _apply_rule(framework: str, page: str, key: Key, reference: float, spread_tolerance: float,
                results: Path) -> tuple[float, dict[str, Any]]:
    """The figure's tolerance after its rule, and what its entry records about the rule."""
    rule, figure = rule_for(page, key), "/".join(key)
    if rule.bound is not None:
        return rule.bound, {"rule": f"the page's bound: {rule.why}"}
    baseline = baseline_of(rule, framework, key, results)
    if baseline is None:
        return spread_tolerance, {"rule": f"no baseline: {rule.none}"}
    lead = _lead(rule, reference, baseline)
    at_baseline = lead <= RELATIVE_FLOOR * abs(baseline)
    if (framework, page, figure) in EXEMPT:
        if not at_baseline:
            raise ValueError(f"{framework}/{page} {figure}: the reference {reference:.6g} is now "
                             f"clear of its baseline {baseline:.6g}: remove it from EXEMPT")
        return spread_tolerance, {"baseline": baseline,
                                  "rule": f"exempt: {EXEMPT[framework, page, figure]}"}
    if at_baseline:
        raise ValueError(
            f"{framework}/{page} {figure}: the reference {reference:.6g} is at or past its "
            f"baseline {baseline:.6g}, so no band tells a working model from a broken one: "
            "list it in EXEMPT of tools/tolerances.py with the reason")
    return min(spread_tolerance, _four_digits_down(BASELINE_SHARE * lead)), {"baseline": baseline}


def _four_digits_down(x: float) -> float:
    """x > 0 rounded down to four significant digits (a cap must not grow by rounding)."""
    unit = 10.0 ** (math.floor(math.log10(x)) - 3)
    return float(f"{math.floor(x / unit) * unit:.4g}")


def rule_violations(content: dict[str, Any], results: Path = RESULTS) -> list[str]:
    """The entries of a tolerance file that break a rule: a claimed bound not used, or a
    band [reference - tolerance, reference + tolerance] that reaches its baseline (or
    leaves an accuracy's range [0, 1]) without an exemption."""
    problems = []
    for fw, pages in content["tolerances"].items():
        for page, figures in pages.items():
            reference = _rows_or_empty(results / fw / f"{page}.json")
            for figure, entry in figures.items():
                key: Key = tuple(figure.split("/", 1))  # type: ignore[assignment]
                name, tolerance = f"{fw}/{page} {figure}", entry["tolerance"]
                rule = rule_for(page, key)
                if rule.bound is not None:
                    if tolerance != rule.bound:
                        problems.append(f"{name}: tolerance {tolerance:.4g}, the page claims {rule.bound:g}")
                    continue
                baseline = baseline_of(rule, fw, key, results)
                if baseline is None or (fw, page, figure) in EXEMPT:
                    continue
                value = reference[key]["value"]
                if not tolerance < _lead(rule, value, baseline):
                    problems.append(f"{name}: reference {value:.6g} +- {tolerance:.4g} reaches "
                                    f"the baseline {baseline:.6g}")
                if rule.higher_is_better and rule.value is not None and not tolerance <= 1.0:
                    problems.append(f"{name}: an accuracy's band wider than its range [0, 1]")
    return problems


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
    moved: list[str] = field(default_factory=list)  # figures within tolerance but not identical

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
                if difference:
                    report.moved.append(name)
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
