"""Reading the figures a page recorded, for the tests of each trained page.

Two sources: the committed benchmark file of a page (``make benchmark``, three seeds
with their median) and the results file that the nbval run of ``make test`` just wrote
to $D2LMINI_TEST_RESULTS. A missing file fails the test that asked for it; it never
skips it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tools.project import ROOT

Key = tuple[str, str]  # (model, metric)


def benchmark_figures(page: str, framework: str) -> dict[Key, dict]:
    """(model, metric) -> {"values": one per seed, "median": ...} from the benchmark file."""
    path = ROOT / "results" / "benchmark" / framework / f"{page}.json"
    assert path.exists(), f"missing {path}: run `make benchmark PAGE={page}` and commit it"
    data = json.loads(path.read_text())
    assert data["page"] == page and data["framework"] == framework
    assert len(data["seeds"]) >= 3, f"the benchmark ran {data['seeds']}; it needs three seeds"
    for figure in data["figures"]:
        assert len(figure["values"]) == len(data["seeds"]), figure
    return {(f["model"], f["metric"]): f for f in data["figures"]}


def test_run_rows(page: str, framework: str) -> dict[Key, dict]:
    """(model, metric) -> row of the results file the test run's nbval pass wrote."""
    folder = os.environ.get("D2LMINI_TEST_RESULTS")
    assert folder, "D2LMINI_TEST_RESULTS is not set: run these tests through `make test`"
    path = ROOT / Path(folder) / framework / f"{page}.json"
    assert path.exists(), f"missing {path}: nbval did not execute the {page} notebook"
    rows = json.loads(path.read_text())
    assert all(row["page"] == page for row in rows)
    return {(row["model"], row["metric"]): row for row in rows}


test_run_rows.__test__ = False  # a helper, not a test, despite its name


def assert_median_at_most(page: str, framework: str, key: Key, bound: float) -> None:
    """The benchmark median of ``key`` is at most ``bound`` (a published figure, say)."""
    figures = benchmark_figures(page, framework)
    assert key in figures, f"{framework}: the benchmark recorded no {key}"
    figure = figures[key]
    assert figure["median"] <= bound, (
        f"{framework} {key}: median {figure['median']:,.0f} over seeds {figure['values']} "
        f"is above {bound:,}")


def assert_recorded(page: str, framework: str, expected: set[Key]) -> dict[Key, dict]:
    """The test run recorded every figure in ``expected``, each a positive value."""
    rows = test_run_rows(page, framework)
    assert expected <= rows.keys(), f"{framework}: missing {sorted(expected - rows.keys())}"
    for row in rows.values():
        assert row["value"] > 0, row
    return rows


def seed_spread(figure: dict) -> float:
    """max - min of a benchmark figure over its seeds: what 'a tie' is measured against."""
    return max(figure["values"]) - min(figure["values"])


def printed(page: str, framework: str) -> str:
    """Every text a code cell of the committed notebook printed, joined: for sentences
    about printed figures that no results file records (nbval proves the test run
    printed the same, exactly on the executing CPU model, within the cross-CPU bound
    elsewhere)."""
    nb = json.loads((ROOT / "notebooks" / framework / f"{page}.ipynb").read_text())
    return "".join("".join(output.get("text", "")) for cell in nb["cells"]
                   if cell["cell_type"] == "code" for output in cell.get("outputs", []))


def printed_figure(page: str, framework: str, pattern: str) -> float:
    """The number that ``pattern``'s one group captures in the page's printed text (see
    ``printed``), thousands separators removed; the pattern must match exactly once."""
    import re

    found = re.findall(pattern, printed(page, framework), flags=re.MULTILINE)
    assert len(found) == 1, f"{framework} {page}: {pattern!r} printed {len(found)} times"
    return float(found[0].replace(",", ""))
