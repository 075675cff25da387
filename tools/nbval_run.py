"""``make nbval``: re-execute one framework's notebooks with nbval, exactly where that
can hold, within the training tolerances where it cannot.

Each executed notebook records the CPU model it ran on (``d2lmini.cpu``, tools/host.py).

- On the same CPU model, nbval compares every cell exactly (only printed durations are
  masked) and the figures the run records must equal the committed reference.
- On another CPU model (or for a notebook that does not say where it ran), floating-point
  training need not repeat the reference's last bits, and training grows them into
  printed digits. As on a GPU (tools/gpu.py), cells tagged ``trained`` are then executed
  but not compared, every other cell is still compared exactly, and every figure the run
  records must lie within its tolerance in tools/gpu_tolerances.json
  (tests/pipeline/test_outputs.py reads which pages ran this way).

Writes ``<results>/comparison/<framework>.json``: {page: {"exact": bool, "reference_cpu":
..., "this_cpu": ...}}, then runs nbval with this interpreter (the framework's own).

    python -m tools.nbval_run --framework pytorch --results _build/test-results
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from tools.gpu import write_gpu_copies
from tools.host import cpu_model, same_cpu_model

ROOT = Path(__file__).resolve().parent.parent
FRAMEWORKS = ("mxnet", "pytorch", "tensorflow")
SANITIZER = ROOT / "tools" / "nbval_sanitize.cfg"


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
    """The plan `run` wrote for a framework's nbval pass (an AssertionError if none)."""
    path = plan_path(results, framework)
    assert path.is_file(), f"missing {path}: nbval did not run for {framework} (make nbval)"
    return json.loads(path.read_text())


def run(framework: str, results: Path) -> int:
    notebooks = sorted((ROOT / "notebooks" / framework).glob("*.ipynb"))
    if not notebooks:
        print(f"no notebooks in notebooks/{framework}", file=sys.stderr)
        return 2
    plan = comparison_plan(notebooks, cpu_model())
    path = plan_path(results, framework)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(plan, indent=1) + "\n")
    exact = [p for p in notebooks if plan[p.stem]["exact"]]
    others = [p for p in notebooks if not plan[p.stem]["exact"]]
    copies = write_gpu_copies(others, ROOT / "_build" / "other-cpu" / framework)
    for p in others:
        print(f"{framework}/{p.name}: executed on {plan[p.stem]['reference_cpu'] or 'an unrecorded CPU'}, "
              f"not on this {plan[p.stem]['this_cpu']}: cells tagged 'trained' run but are not "
              "compared, their figures are checked within tools/gpu_tolerances.json")
    env = dict(os.environ, D2LMINI_RESULTS_DIR=str(results))
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval",
         "--nbval-current-env", "--nbval-sanitize-with", str(SANITIZER),
         "--nbval-cell-timeout=600", *map(str, exact + list(copies))],
        cwd=ROOT, env=env).returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=FRAMEWORKS, required=True)
    parser.add_argument("--results", type=Path, required=True,
                        help="where the run's figures go ($D2LMINI_RESULTS_DIR)")
    args = parser.parse_args(argv)
    return run(args.framework, args.results.resolve())


if __name__ == "__main__":
    sys.exit(main())
