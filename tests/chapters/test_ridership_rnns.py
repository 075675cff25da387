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


def test_depth_ties_in_mxnet_and_tensorflow_and_does_worse_in_pytorch() -> None:
    """'the deep RNN ties the simple one in MXNet and TensorFlow (the medians differ by less
    than either model's spread over the seeds) and does worse in PyTorch, where it lost to
    the simple RNN with every seed' (benchmark medians)."""
    for framework in ("mxnet", "tensorflow"):
        simple, deep = _valid_mae(framework, "simple_rnn"), _valid_mae(framework, "deep_rnn")
        gap = abs(deep["median"] - simple["median"])
        assert gap < min(seed_spread(simple), seed_spread(deep)), (framework, gap)
    simple, deep = _valid_mae("pytorch", "simple_rnn"), _valid_mae("pytorch", "deep_rnn")
    assert deep["median"] > simple["median"]
    assert all(d > s for d, s in zip(deep["values"], simple["values"], strict=True))


def test_multitask_rail_is_higher_within_the_spread_except_in_tensorflow() -> None:
    """'the multitask rail score is the higher of the two in every framework: by less than
    either model's seed spread in MXNet and PyTorch, by a little more than the multivariate
    model's spread in TensorFlow' (benchmark medians)."""
    from page_figures import benchmark_figures

    for framework in FRAMEWORKS:
        figures = benchmark_figures(PAGE, framework)
        single, multi = figures["multivariate", "valid_mae"], figures["multitask", "valid_mae_rail"]
        gap = multi["median"] - single["median"]
        assert gap > 0, framework
        within = gap < min(seed_spread(single), seed_spread(multi))
        assert within is (framework != "tensorflow"), (framework, gap)
        if framework == "tensorflow":  # a little more: under twice the spread
            assert gap < 2 * seed_spread(single), gap


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_extra_inputs_help_far_more_than_depth(framework: str) -> None:
    """Summary: 'Feeding bus ridership and tomorrow's day type helps far more, in every
    framework' than stacking layers (medians)."""
    from page_figures import benchmark_figures

    figures = benchmark_figures(PAGE, framework)
    simple, deep, multivariate = (figures[m, "valid_mae"]["median"]
                                  for m in ("simple_rnn", "deep_rnn", "multivariate"))
    assert simple - multivariate > 3 * max(simple - deep, 0), (simple, deep, multivariate)


def _printed(framework: str, pattern: str) -> float:
    from page_figures import printed_figure

    return printed_figure(PAGE, framework, pattern)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_hand_written_rnn_clearly_beats_the_linear_model(framework: str) -> None:
    """'The hand-written RNN already clearly beats the linear model' (this run; clearly: at
    least 5% lower; the hand-written RNN is not in the benchmark)."""
    from page_figures import test_run_rows

    scratch = _printed(framework, r"RNN from scratch: validation MAE ([\d,]+) riders")
    linear = test_run_rows(PAGE, framework)["linear", "valid_mae"]["value"]
    assert scratch < 0.95 * linear, (scratch, linear)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_built_in_rnn_score_differs_somewhat_from_the_hand_written_one(framework: str) -> None:
    """'Its score differs somewhat from the hand-written one's' (this run; somewhat: by
    more than 2% and less than 20% of the hand-written RNN's MAE)."""
    from page_figures import test_run_rows

    scratch = _printed(framework, r"RNN from scratch: validation MAE ([\d,]+) riders")
    built_in = test_run_rows(PAGE, framework)["simple_rnn", "valid_mae"]["value"]
    assert 0.02 * scratch < abs(built_in - scratch) < 0.2 * scratch, (built_in, scratch)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_copied_weights_forecasts_agree_to_a_fraction_of_a_rider(framework: str) -> None:
    """'The forecasts agree to a fraction of a rider' (the built-in layer and the
    hand-written one with its weights)."""
    assert _printed(framework, r"largest difference: ([\d.]+) riders") < 1


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_multivariate_several_thousand_riders_below_the_univariate_rnns(framework: str) -> None:
    """'several thousand riders below the univariate RNNs in every framework, the largest
    gain after the step from the linear model to an RNN' (medians; several: at least
    3,000 below both the simple and the deep RNN)."""
    multivariate = _valid_mae(framework, "multivariate")["median"]
    for model in ("simple_rnn", "deep_rnn"):
        assert _valid_mae(framework, model)["median"] - multivariate >= 3_000, (framework, model)
    linear, simple = (_valid_mae(framework, m)["median"] for m in ("linear", "simple_rnn"))
    assert linear - simple > simple - multivariate, (linear, simple, multivariate)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_ranking_is_robust_linear_weakest_simple_and_deep_close(framework: str) -> None:
    """'The ranking is robust: the linear model is clearly the weakest; the simple and deep
    RNNs are close to each other' (benchmark; clearly and robust: every seed of the
    linear model is worse than every seed of every network; close: medians within 10%
    of each other). The third clause, 'extra inputs help far more than extra layers', is
    test_extra_inputs_help_far_more_than_depth."""
    from page_figures import benchmark_figures

    figures = benchmark_figures(PAGE, framework)
    linear = figures["linear", "valid_mae"]["values"]
    for key in [("simple_rnn", "valid_mae"), ("deep_rnn", "valid_mae"),
                ("multivariate", "valid_mae"), ("multitask", "valid_mae_rail")]:
        assert min(linear) > max(figures[key]["values"]), (framework, key)
    simple, deep = (figures[m, "valid_mae"]["median"] for m in ("simple_rnn", "deep_rnn"))
    assert abs(simple - deep) < 0.1 * simple, (simple, deep)


# (validation figure, test figure) of every model of the page's table
VALID_AND_TEST = [(("linear", "valid_mae"), ("linear", "test_mae")),
                  (("simple_rnn", "valid_mae"), ("simple_rnn", "test_mae")),
                  (("deep_rnn", "valid_mae"), ("deep_rnn", "test_mae")),
                  (("multivariate", "valid_mae"), ("multivariate", "test_mae")),
                  (("multitask", "valid_mae_rail"), ("multitask", "test_mae_rail")),
                  (("multitask", "valid_mae_bus"), ("multitask", "test_mae_bus"))]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_test_mae_higher_than_validation_mae_but_of_the_same_order(framework: str) -> None:
    """'The test MAE ... is of the same order as the validation MAE ... It is higher than
    the validation MAE' (this run's table and the benchmark medians; of the same order:
    less than twice it)."""
    from page_figures import benchmark_figures, test_run_rows

    rows, figures = test_run_rows(PAGE, framework), benchmark_figures(PAGE, framework)
    for valid, test in VALID_AND_TEST:
        for source, v, t in (("run", rows[valid]["value"], rows[test]["value"]),
                             ("median", figures[valid]["median"], figures[test]["median"])):
            assert v < t < 2 * v, (framework, source, valid, v, t)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_summary_linear_beats_naive_and_simple_rnn_beats_linear(framework: str) -> None:
    """Summary: 'A linear model over the 56-day window beats the naive forecast; a simple
    RNN with 32 units beats the linear model' (medians; the naive 7-day rail MAE is the
    baselines page's, as this run recorded it)."""
    from page_figures import test_run_rows

    naive = test_run_rows("ridership_baselines", framework)["naive_7day", "mae_rail"]["value"]
    linear, simple = (_valid_mae(framework, m)["median"] for m in ("linear", "simple_rnn"))
    assert simple < linear < naive, (simple, linear, naive)


@pytest.mark.parametrize("framework", ("pytorch", "tensorflow"))
def test_exercise2_linear_model_does_worse_without_standardizing(framework: str) -> None:
    """Exercise 2: 'The model does worse in every framework' (this run; the linear model
    trained in millions against the main text's). Not asserted in MXNet, where it is
    worse by 1.2% only, under the 5% a run's figures need."""
    from page_figures import test_run_rows

    unscaled = _printed(framework, r"linear, in millions: validation MAE ([\d,]+) riders")
    standardized = test_run_rows(PAGE, framework)["linear", "valid_mae"]["value"]
    assert unscaled > standardized, (unscaled, standardized)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_exercise3_every_network_beats_the_naive_forecast_on_the_test_period(framework: str) -> None:
    """Exercise 3: 'Every network of the page beats it; the multivariate models by the
    widest margin' (this run's test MAEs; the hand-written RNN has none)."""
    from page_figures import test_run_rows

    naive = _printed(framework, r"naive 7-day forecast, test MAE: ([\d,]+) riders")
    rows = test_run_rows(PAGE, framework)
    rail = {model: rows[model, "test_mae"]["value"]
            for model in ("linear", "simple_rnn", "deep_rnn", "multivariate")}
    rail["multitask"] = rows["multitask", "test_mae_rail"]["value"]
    assert max(rail.values()) < naive, (rail, naive)
    univariate = min(rail[m] for m in ("linear", "simple_rnn", "deep_rnn"))
    for model in ("multivariate", "multitask"):
        assert rail[model] < univariate, (model, rail)
