"""`make speed` (outside CI): the chapter-2 ridership models trained with the published
recipe and with the book's, side by side, per framework.

Each framework's ridership_rnns notebook runs, in memory, up to the cell that trains the
multivariate model, with tools/speed_harness.py installed right after d2lmini is imported:
the linear, simple RNN, deep RNN and multivariate models are each trained twice from the
same initial weights (the published recipe: SGD with momentum 0.9, a constant learning
rate, 500 epochs with patience 50, values in millions; the book's: Adam with a cosine decay
on standardized values, the page's settings). Per model and recipe the table gives the
best validation MAE, its epoch, and the kernel CPU seconds to reach it, and for the book's
recipe the CPU seconds to first reach the published recipe's best MAE ("never" if it does
not). Raw per-epoch histories go to _build/speed/<framework>.json.

    python -m tools speed [--framework pytorch]
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tools import runner
from tools.project import BUILD, FRAMEWORKS, NOTEBOOKS, ROOT

PAGE = "ridership_rnns"
OUT = BUILD / "speed"
TIMEOUT_S = 3600  # per cell: one cell trains a model with both recipes
# Where the harness goes in (after the cell that imports d2lmini) and where the copy
# ends (the cell that trains the multivariate model, the last of the four).
IMPORT = re.compile(r"^from d2lmini import \w+ as d2l$", re.M)
LAST_TRAINING = re.compile(r"d2l\.fit_forecaster\(mv\b")


def harness_notebook(framework: str, measurements: Path) -> Any:
    """The page's notebook, cut after its last training of the four models, with the
    harness installed after the import of d2lmini and a last cell that saves the
    measurements."""
    import nbformat

    nb = nbformat.read(NOTEBOOKS / framework / f"{PAGE}.ipynb", as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    imports = [i for i in code if IMPORT.search(nb.cells[i].source)]
    last = [i for i in code if LAST_TRAINING.search(nb.cells[i].source)]
    if not imports or not last:
        raise RuntimeError(f"{framework}/{PAGE}: no cell matches {IMPORT.pattern!r} or "
                           f"{LAST_TRAINING.pattern!r}; update tools/speed.py")
    cells = nb.cells[:last[-1] + 1]
    install = nbformat.v4.new_code_cell(
        f"import sys\nsys.path.insert(0, {str(ROOT)!r})\n"
        "from tools import speed_harness\nspeed_harness.install(d2l, globals())")
    save = nbformat.v4.new_code_cell(f"speed_harness.save({str(measurements)!r})")
    nb.cells = cells[:imports[0] + 1] + [install] + cells[imports[0] + 1:] + [save]
    return nb


def measure(framework: str) -> dict[str, Any]:
    """Run the harness notebook in the framework's kernel; its measurements."""
    import nbformat

    OUT.mkdir(parents=True, exist_ok=True)
    measurements = OUT / f"{framework}.json"
    measurements.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        source, executed = Path(tmp) / f"{PAGE}.ipynb", Path(tmp) / "executed.ipynb"
        nbformat.write(harness_notebook(framework, measurements), source)
        # the page's results files go to the temporary folder, not results/
        proc = runner.start(framework, ["run", str(source), str(executed), "--cwd",
                                        str(NOTEBOOKS / framework), "--timeout", str(TIMEOUT_S)],
                            results_dir=Path(tmp) / "results")
        if proc.wait() != 0:
            raise RuntimeError(f"{framework}: the harness notebook failed (see above)")
    return json.loads(measurements.read_text())


def best_epoch(history: list[list[float]]) -> tuple[int, float, float]:
    """(1-based epoch, MAE, CPU seconds) of the first epoch with the lowest MAE."""
    i = min(range(len(history)), key=lambda j: (history[j][1], j))
    return i + 1, history[i][1], history[i][0]


def seconds_to_reach(history: list[list[float]], target: float) -> float | None:
    """CPU seconds at the first epoch whose MAE is at or below `target`; None if none is."""
    return next((seconds for seconds, mae in history if mae <= target), None)


def summary(framework: str, measured: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per model: each recipe's best epoch, MAE and CPU seconds to it, the total
    CPU seconds and epochs, and the book's CPU seconds to the published best MAE."""
    rows = []
    for model, recipes in measured.items():
        row: dict[str, Any] = {"framework": framework, "model": model}
        for recipe in ("published", "book"):
            history = recipes[recipe]["history"]
            epoch, mae, seconds = best_epoch(history)
            row[recipe] = {"best_epoch": epoch, "best_mae": mae, "cpu_to_best": seconds,
                           "epochs": len(history), "cpu_total": history[-1][0]}
        row["book_cpu_to_published_best"] = seconds_to_reach(
            recipes["book"]["history"], row["published"]["best_mae"])
        rows.append(row)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as a Markdown table."""
    def ratio(published: float, book: float | None) -> str:
        return "never" if book is None else f"{published / book:.1f}x" if book > 0 else "inf"

    lines = ["| framework | model | published: best MAE (epoch) | CPU s to best (total) "
             "| book: best MAE (epoch) | CPU s to best (total) "
             "| book: CPU s to published best | speed-up |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        p, b, reach = r["published"], r["book"], r["book_cpu_to_published_best"]
        lines.append(
            f"| {r['framework']} | {r['model']} "
            f"| {p['best_mae']:,.0f} ({p['best_epoch']}) | {p['cpu_to_best']:.2f} ({p['cpu_total']:.1f}) "
            f"| {b['best_mae']:,.0f} ({b['best_epoch']}) | {b['cpu_to_best']:.2f} ({b['cpu_total']:.1f}) "
            f"| {'never' if reach is None else f'{reach:.2f}'} "
            f"| {ratio(p['cpu_to_best'], reach)} |")
    return "\n".join(lines)


def main(frameworks: tuple[str, ...] = FRAMEWORKS) -> int:
    # Two kernels at a time on two cores; CPU seconds, not wall time, are what is compared.
    with ThreadPoolExecutor(max_workers=2) as pool:
        measured = dict(zip(frameworks, pool.map(measure, frameworks)))
    rows = [row for fw in frameworks for row in summary(fw, measured[fw])]
    print(table(rows))
    print(f"\nper-epoch histories: {OUT.relative_to(ROOT)}/<framework>.json")
    return 0 if all(math.isfinite(r["book"]["best_mae"]) for r in rows) else 1
