"""The ridership RNN page: its benchmark medians beat the published figures, and the test
run's own results file holds every headline figure.

The benchmark files are committed (``make benchmark PAGE=ridership_rnns``, seeds 0, 1, 2);
the results files are those nbval just wrote to $D2LMINI_TEST_RESULTS. Both must exist:
a missing file fails the test, it never skips it.
"""

from __future__ import annotations

import pytest

from page_figures import assert_median_at_most, assert_recorded
from tools.project import FRAMEWORKS

PAGE = "ridership_rnns"

# Best published validation MAE (riders) for each headline figure, Géron's Hands-On
# Machine Learning, 3rd ed., ch. 15 and its PyTorch edition (the lower of the two).
PUBLISHED = {
    ("linear", "valid_mae"): 37_726,
    ("simple_rnn", "valid_mae"): 29_015,
    ("deep_rnn", "valid_mae"): 29_273,
    ("multivariate", "valid_mae"): 22_062,
    ("multitask", "valid_mae_rail"): 25_330,
}

# Every figure the page must record.
EXPECTED = {
    ("linear", "valid_mae"), ("linear", "test_mae"),
    ("simple_rnn", "valid_mae"), ("simple_rnn", "test_mae"),
    ("deep_rnn", "valid_mae"), ("deep_rnn", "test_mae"),
    ("multivariate", "valid_mae"), ("multivariate", "test_mae"),
    ("multitask", "valid_mae_rail"), ("multitask", "valid_mae_bus"),
}


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("key", list(PUBLISHED), ids="/".join)
def test_benchmark_median_beats_published_figure(framework: str, key: tuple[str, str]) -> None:
    assert_median_at_most(PAGE, framework, key, PUBLISHED[key])


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_test_run_recorded_every_figure(framework: str) -> None:
    assert_recorded(PAGE, framework, EXPECTED)
