"""The ridership baselines page reproduces the published figures in every framework.

Reads the results files that the nbval run of `make test` just wrote
($D2LMINI_TEST_RESULTS/<framework>/ridership_baselines.json) and fails, rather than
skips, when one is missing. The figures are those of Géron, *Hands-On Machine Learning*
(3rd ed., ch. 15) on the same data: the 7-day naive forecast over March-May 2019 and
SARIMA(1,0,0)(0,1,1,7) on the rail series. MAPE is stored as a fraction (0.083 = 8.3%).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tools.project import FRAMEWORKS, ROOT

PAGE = "ridership_baselines"

# (model, metric) -> (how the figure is rounded for the comparison, the published value)
PUBLISHED = {
    ("naive_7day", "mae_bus"): (lambda v: round(v), 43_916),
    ("naive_7day", "mae_rail"): (lambda v: round(v), 42_143),
    ("naive_7day", "mape_bus"): (lambda v: round(100 * v, 1), 8.3),
    ("naive_7day", "mape_rail"): (lambda v: round(100 * v, 1), 9.0),
    ("sarima", "forecast_2019_06_01"): (lambda v: round(v), 427_759),
    ("sarima", "mae_daily_refit"): (lambda v: round(v), 32_041),
}


def _results(framework: str) -> dict[tuple[str, str], dict]:
    folder = os.environ.get("D2LMINI_TEST_RESULTS")
    assert folder, "D2LMINI_TEST_RESULTS is not set: run these tests through `make test`"
    path = ROOT / Path(folder) / framework / f"{PAGE}.json"
    assert path.exists(), f"missing results file {path}: did the {framework} nbval run execute {PAGE}?"
    return {(row["model"], row["metric"]): row for row in json.loads(path.read_text())}


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_ridership_baselines_reproduce_published_figures(framework: str) -> None:
    rows = _results(framework)
    missing = PUBLISHED.keys() - rows.keys()
    assert not missing, f"{framework}: {PAGE} recorded no {sorted(missing)}"
    for key, (rounded, expected) in PUBLISHED.items():
        value = rows[key]["value"]
        assert rounded(value) == expected, f"{framework} {key}: {value} rounds to {rounded(value)}, expected {expected}"
        assert rows[key]["seed"] == 0, f"{framework} {key}: seed {rows[key]['seed']}, expected 0"
