"""`make speed`'s bookkeeping (tools/speed.py), in the book environment: which cells of
each committed page it runs, and how it turns per-epoch histories into the table."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import speed
from tools.project import FRAMEWORKS


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_harness_notebook_cuts_the_page_after_the_four_models(framework: str,
                                                              tmp_path: Path) -> None:
    nb = speed.harness_notebook(framework, tmp_path / "m.json")
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    install = next(i for i, s in enumerate(code) if "speed_harness.install" in s)
    assert speed.IMPORT.search(code[install - 1])  # right after d2lmini is imported
    assert "fit_forecaster" not in "".join(code[:install])
    assert speed.LAST_TRAINING.search(code[-2]) and "speed_harness.save" in code[-1]
    for variable in ("linear", "rnn", "deep", "mv"):  # the nets the harness looks for
        assert any(f"{variable} = " in s for s in code), variable


def test_best_epoch_and_time_to_reach_a_target() -> None:
    history = [[1.0, 50.0], [2.0, 30.0], [3.0, 40.0], [4.0, 30.0], [5.0, 35.0]]
    assert speed.best_epoch(history) == (2, 30.0, 2.0)  # the first of equal bests
    assert speed.seconds_to_reach(history, 40.0) == 2.0
    assert speed.seconds_to_reach(history, 29.0) is None


def test_summary_and_table_say_never_when_the_book_misses_the_published_best() -> None:
    measured = {
        "linear": {"published": {"history": [[2.0, 40.0], [4.0, 36.0], [6.0, 37.0]]},
                   "book": {"history": [[0.5, 38.0], [1.0, 35.0]]}},
        "deep_rnn": {"published": {"history": [[3.0, 30.0], [9.0, 29.0]]},
                     "book": {"history": [[1.0, 33.0], [2.0, 31.0]]}},
    }
    linear, deep = speed.summary("pytorch", measured)
    assert linear["published"] == {"best_epoch": 2, "best_mae": 36.0, "cpu_to_best": 4.0,
                                   "epochs": 3, "cpu_total": 6.0}
    assert linear["book_cpu_to_published_best"] == 1.0
    assert deep["book_cpu_to_published_best"] is None
    lines = speed.table([linear, deep]).splitlines()
    assert lines[2].endswith("| 1.00 | 4.0x |")  # 4 s for the published best, 1 s for the book
    assert lines[3].endswith("| never | never |")
