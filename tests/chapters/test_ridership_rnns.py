"""The ridership RNN page: its benchmark medians beat the published figures, and the test
run's own results file holds every headline figure.

The benchmark files are committed (``make benchmark PAGE=ridership_rnns``, seeds 0, 1, 2);
the results files are those nbval just wrote to $D2LMINI_TEST_RESULTS. Both must exist:
a missing file fails the test, it never skips it.
"""

from __future__ import annotations

import pytest

from page_figures import assert_median_at_most, assert_recorded, seed_spread
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


def _valid_mae(framework: str, model: str) -> dict:
    from page_figures import benchmark_figures

    return benchmark_figures(PAGE, framework)[model, "valid_mae"]


def test_depth_ties_in_mxnet_and_helps_in_pytorch_and_tensorflow() -> None:
    """'the deep RNN ties the simple one in MXNet and beats it in TensorFlow and in
    PyTorch, where it was the better of the two with every seed' (benchmark medians)."""
    simple, deep = _valid_mae("mxnet", "simple_rnn"), _valid_mae("mxnet", "deep_rnn")
    # a tie: the medians differ by less than either model's spread over the seeds
    assert abs(deep["median"] - simple["median"]) < min(seed_spread(simple), seed_spread(deep))
    for framework in ("pytorch", "tensorflow"):
        simple, deep = _valid_mae(framework, "simple_rnn"), _valid_mae(framework, "deep_rnn")
        assert deep["median"] < simple["median"], framework
    simple, deep = _valid_mae("pytorch", "simple_rnn"), _valid_mae("pytorch", "deep_rnn")
    assert all(d < s for d, s in zip(deep["values"], simple["values"], strict=True))
    simple, deep = _valid_mae("tensorflow", "simple_rnn"), _valid_mae("tensorflow", "deep_rnn")
    assert not all(d < s for d, s in zip(deep["values"], simple["values"], strict=True))


def test_multitask_rail_ties_the_multivariate_model() -> None:
    """'the two rail scores lie within each other's seed spread in every framework (the
    multitask median is a little higher in MXNet and TensorFlow, a little lower in PyTorch)'"""
    from page_figures import benchmark_figures

    higher = {"mxnet": True, "pytorch": False, "tensorflow": True}
    for framework in FRAMEWORKS:
        figures = benchmark_figures(PAGE, framework)
        single, multi = figures["multivariate", "valid_mae"], figures["multitask", "valid_mae_rail"]
        assert abs(multi["median"] - single["median"]) < min(seed_spread(single), seed_spread(multi)), framework
        assert (multi["median"] > single["median"]) is higher[framework], framework


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_extra_inputs_help_far_more_than_depth(framework: str) -> None:
    """Summary: 'Feeding bus ridership and tomorrow's day type helps far more, in every
    framework' than stacking layers (medians)."""
    from page_figures import benchmark_figures

    figures = benchmark_figures(PAGE, framework)
    simple, deep, multivariate = (figures[m, "valid_mae"]["median"]
                                  for m in ("simple_rnn", "deep_rnn", "multivariate"))
    assert simple - multivariate > 3 * max(simple - deep, 0), (simple, deep, multivariate)
