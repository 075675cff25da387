"""Every committed benchmark belongs to its page's current code, and its seed-0 run is the
run committed in results/: equal to the last bit where both ran on the same CPU model,
within the figure's GPU tolerance (tools/gpu_tolerances.json) where they did not."""

from __future__ import annotations

import json

import nbformat
import pytest

from tools.benchmark import OUT, stale_benchmarks
from tools.project import RESULTS, ROOT
from tools.tolerances import load_tolerances

BENCHMARKS = sorted(OUT.glob("*/*.json"))
MACHINE_FIGURES = ("train_seconds", "params")  # from record_training, not in results/


def test_every_benchmark_was_computed_with_the_current_code() -> None:
    assert BENCHMARKS, "no benchmark files"
    assert stale_benchmarks() == []


@pytest.mark.parametrize("path", BENCHMARKS, ids=lambda p: f"{p.parent.name}-{p.stem}")
def test_benchmark_seed_0_is_the_committed_run(path) -> None:
    framework, page = path.parent.name, path.stem
    bench = json.loads(path.read_text())
    reference = {(r["model"], r["metric"]): r for r in json.loads((RESULTS / framework / f"{page}.json").read_text())}
    notebook = nbformat.read(ROOT / "notebooks" / framework / f"{page}.ipynb", as_version=4)
    same_cpu = bench.get("cpu") == notebook.metadata["d2lmini"].get("cpu")
    tolerance = load_tolerances()[framework][page]
    column = bench["seeds"].index(0)
    compared = 0
    for figure in bench["figures"]:
        key = (figure["model"], figure["metric"])
        if key[1] in MACHINE_FIGURES or key not in reference:
            continue  # the sweeps only the benchmark runs have no committed run
        assert reference[key]["seed"] == 0, key
        value, committed = figure["values"][column], reference[key]["value"]
        if same_cpu:
            assert value == committed, (key, value, committed)
        else:
            assert abs(value - committed) <= tolerance["/".join(key)], (key, value, committed)
        compared += 1
    assert compared > 0, f"{path}: no figure in common with results/{framework}/{page}.json"
