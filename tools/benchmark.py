"""Benchmark (``make benchmark``): every headline figure over three fixed seeds, with the median.

A page trains with one seed chosen before training and reads it as
``seed = int(os.environ.get('D2LMINI_SEED', <default>))``. The benchmark executes the
per-framework notebooks of the pages that do so once per seed in ``SEEDS`` (in memory,
the committed notebooks are left alone), collects the rows each run records, and
writes ``results/benchmark/<framework>/<page>.json``:

    {"page": ..., "framework": ..., "seeds": [0, 1, 2], "source_hash": ..., "cpu": ...,
     "figures": [{"model": ..., "metric": ..., "values": [v0, v1, v2], "median": m}, ...]}

``source_hash`` is the hash of the code the recorded figures depend on: the page's cells up
to the last one that records a figure (``recorded_part``; later cells run after every
figure is recorded, so an edit to them, an exercise's check say, cannot change one), hashed
by ``split.content_hash`` without the benchmark files. ``cpu`` is the CPU model the runs
ran on. The staleness check (``make check``) reports a benchmark whose page's recorded part
has changed since.

Claims that a model matches or beats a published figure are made on the median.
What a page records with ``d2l.record_training`` (a model's parameters and training
time) is collected the same way, as the figures ``params`` and ``train_seconds``.

    python -m tools.benchmark [--framework pytorch] [--page ridership_rnns] [--seeds 0 1 2]
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from tools import runner
from tools.host import cpu_model
from tools.project import FRAMEWORKS, RESULTS, ROOT, SEED_VARIABLE
from tools.split import Chapter, chapters, content_hash, split

SEEDS = (0, 1, 2)
OUT = RESULTS / "benchmark"
BENCHMARK_TIMEOUT_S = 1800  # per cell
# d2l.record_training's fields -> the figures they become; the median training time is
# what the chapters' comparisons print (machine-dependent, so never tested).
TRAINING_FIGURES = {"params": "params", "seconds": "train_seconds"}


def benchmarked_pages() -> list[str]:
    """Chapters whose training seed comes from D2LMINI_SEED."""
    return [c.name for c in chapters() if SEED_VARIABLE in c.source.read_text()]


def run_seed(framework: str, page: str, seed: int, results: Path) -> None:
    """Execute one notebook with one seed; its rows land in results/<framework>/<page>.json."""
    notebook = ROOT / "notebooks" / framework / f"{page}.ipynb"
    with tempfile.TemporaryDirectory() as tmp:
        # execute a copy, in the committed notebook's folder: the committed one stays as it is
        executed = Path(tmp) / notebook.name
        proc = runner.start(framework, ["run", str(notebook), str(executed), "--timeout",
                                        str(BENCHMARK_TIMEOUT_S)], results_dir=results, seed=seed)
        if proc.wait() != 0:
            raise RuntimeError(f"{framework}/{page} failed with {SEED_VARIABLE}={seed}")


def benchmark(framework: str, page: str, seeds: tuple[int, ...]) -> Path:
    """Run every seed, then write the per-seed values and medians."""
    rows: dict[tuple[str, str], list[float]] = {}
    for seed in seeds:
        with tempfile.TemporaryDirectory() as tmp:
            run_seed(framework, page, seed, Path(tmp))
            recorded = json.loads((Path(tmp) / framework / f"{page}.json").read_text())
            training = Path(tmp) / "training" / framework / f"{page}.json"  # d2l.record_training
            trained = json.loads(training.read_text()) if training.exists() else {}
        for row in recorded:
            if row["seed"] != seed:
                raise RuntimeError(f"{page} recorded seed {row['seed']} while {SEED_VARIABLE}={seed}")
            rows.setdefault((row["model"], row["metric"]), []).append(row["value"])
        for model, cost in trained.items():
            for field, metric in TRAINING_FIGURES.items():
                rows.setdefault((model, metric), []).append(cost[field])
        print(f"{framework} {page} seed {seed}: {len(recorded)} figures", flush=True)
    figures = [{"model": m, "metric": k, "values": v, "median": statistics.median(v)}
               for (m, k), v in sorted(rows.items()) if len(v) == len(seeds)]
    out = OUT / framework / f"{page}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"page": page, "framework": framework, "seeds": list(seeds),
                               "source_hash": _ran_hash(framework, page), "cpu": cpu_model(),
                               "figures": figures}, indent=1) + "\n")
    return out


RECORDERS = frozenset({"record_result", "record_training"})  # d2lmini's, called by the pages


def _names(tree: ast.AST) -> set[str]:
    """Every name a cell refers to (``f``, ``d2l.f``), as a call or otherwise."""
    return ({n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
            | {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)})


def recorded_part(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook up to its last code cell that records a figure, directly or through a
    function of the page that does (found by following the page's own definitions)."""
    code = [(i, c.source) for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    trees: dict[int, ast.AST | None] = {}
    for i, source in code:
        try:
            trees[i] = ast.parse(source)
        except SyntaxError:  # a magic or shell line: read as text below
            trees[i] = None
    # each function (or method) of the page -> the names it refers to, read once
    uses = [(f.name, _names(f)) for tree in trees.values() if tree for f in ast.walk(tree)
            if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))]
    recorders, grown = set(RECORDERS), True
    while grown:  # a function that refers to a recorder is a recorder too
        found = {name for name, names in uses if names & recorders}
        grown = not found <= recorders
        recorders |= found

    def records(i: int, source: str) -> bool:
        tree = trees[i]
        if tree is None:
            return any(name in source for name in recorders)
        # a definition alone records nothing; a statement that calls (or passes) a recorder does
        statements = [node for node in tree.body
                      if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
        return any(_names(node) & recorders for node in statements)

    last = max((i for i, source in code if records(i, source)), default=len(nb.cells) - 1)
    part = nbformat.from_dict(nb)
    part.cells = part.cells[:last + 1]
    return part


def _ran_hash(framework: str, page: str) -> str:
    """The recorded part's code hash of the committed notebook the runs executed."""
    notebook = nbformat.read(ROOT / "notebooks" / framework / f"{page}.ipynb", as_version=4)
    return content_hash(recorded_part(notebook), framework, benchmarks=False)


def code_hash(page: str, framework: str) -> str:
    """The hash of the code a benchmark of `page` records from (its benchmark files aside)."""
    return content_hash(recorded_part(split(Chapter(page), framework)), framework, benchmarks=False)


def stale_benchmarks() -> list[str]:
    """Why each committed benchmark file no longer matches its page's code, one a line."""
    problems, pages = [], set(benchmarked_pages())  # reads every chapter: once
    for path in sorted(OUT.glob("*/*.json")):
        framework, page = path.parent.name, path.stem
        recorded = json.loads(path.read_text()).get("source_hash")
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        if page not in pages:
            problems.append(f"{shown}: no page {page} reads {SEED_VARIABLE}")
        elif recorded != code_hash(page, framework):
            why = "records no code hash" if recorded is None else "was computed with other code"
            problems.append(f"{shown} {why}: run `make benchmark FRAMEWORK={framework} PAGE={page}`")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description="Headline figures over several seeds.")
    parser.add_argument("--framework", choices=FRAMEWORKS, action="append")
    parser.add_argument("--page", action="append", help="default: every page that reads D2LMINI_SEED")
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    args = parser.parse_args()
    pages = args.page or benchmarked_pages()
    if not pages:
        print(f"no page reads {SEED_VARIABLE}; nothing to benchmark")
        return 0
    # Frameworks side by side (single-threaded kernels), pages and seeds one after another.
    def run_framework(framework: str) -> None:
        for page in pages:
            print(f"wrote {benchmark(framework, page, tuple(args.seeds)).relative_to(ROOT)}", flush=True)

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(run_framework, args.framework or FRAMEWORKS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
