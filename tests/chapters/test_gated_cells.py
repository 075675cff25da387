"""The gated-cells page: its benchmark medians meet the issue's figures, the test run's
own results file holds every figure, and the hand-written cells match the built-in ones.

The benchmark files are committed (``make benchmark PAGE=gated_cells``, seeds 0, 1, 2;
the memory sweep runs only there); the results files are those nbval just wrote to
$D2LMINI_TEST_RESULTS.
"""

from __future__ import annotations

import pytest

from page_figures import benchmark_figures, seed_spread, test_run_rows
from tools.project import FRAMEWORKS

PAGE = "gated_cells"
RIDERSHIP_MODELS = ("layernorm_rnn", "lstm", "gru")
RIDERSHIP_METRICS = ("valid_mae_t1", "valid_mae_t14", "valid_mae")
MEMORY_MODELS = ("recall_rnn", "recall_gru", "recall_lstm_b1", "recall_lstm_b3")
GATED = ("recall_gru", "recall_lstm_b1", "recall_lstm_b3")
MAX_T1 = 25_000  # riders, median of three seeds, each gated model


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("model", RIDERSHIP_MODELS)
def test_benchmark_t1_median_at_most_25000(framework: str, model: str) -> None:
    figure = benchmark_figures(PAGE, framework)[model, "valid_mae_t1"]
    assert figure["median"] <= MAX_T1, (framework, model, figure["values"])


# Issue 7 asked the best gated model to beat the chapter-2 seq2seq RNN at t+1 and t+14 in
# every framework. Recipe changes measured in MXNet and TensorFlow over seeds 0-2 (60 or 45
# epochs, learning rate 0.01 or 0.002, 64 units, input dropout 0.2, forget-gate bias 1,
# batch 64) moved the medians up or down by about as much as the spread between seeds,
# never consistently across frameworks: on this task the cells and the simple RNN tie,
# and the page says so. The one exception, measured: PyTorch at t+14.
AHEAD = {("tensorflow", "valid_mae_t14")}


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("metric", ("valid_mae_t1", "valid_mae_t14"))
def test_best_gated_model_ties_chapter2_seq2seq(framework: str, metric: str) -> None:
    """'the best gated cell ties the previous chapter's sequence-to-sequence RNN within the
    spread between seeds at t+1 in every framework and at t+14 in MXNet and PyTorch;
    only in TensorFlow at t+14 is it ahead ... by a little more than the spread of the
    seeds'"""
    ours = benchmark_figures(PAGE, framework)
    chapter2 = benchmark_figures("ridership_multistep", framework)["seq2seq", metric]
    best = min((ours[model, metric] for model in RIDERSHIP_MODELS), key=lambda f: f["median"])
    gap = chapter2["median"] - best["median"]  # > 0: the gated cell is better
    spread = max(seed_spread(chapter2), seed_spread(best))
    if (framework, metric) in AHEAD:
        assert gap > spread, (framework, metric, gap, spread)
    else:
        assert abs(gap) <= spread, (framework, metric, gap, spread)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_best_gated_cell_recalls_half_again_as_far(framework: str) -> None:
    figures = benchmark_figures(PAGE, framework)
    simple = figures["recall_rnn", "recall_max_k"]["median"]
    best = max(figures[model, "recall_max_k"]["median"] for model in GATED)
    assert best > 0 and best >= 1.5 * simple, f"{framework}: gated {best} vs simple RNN {simple}"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_test_run_recorded_every_figure(framework: str) -> None:
    rows = test_run_rows(PAGE, framework)
    expected = {(m, k) for m in RIDERSHIP_MODELS for k in RIDERSHIP_METRICS}
    expected.add(("recall_lstm_b3", "recall_acc_k20"))  # the one memory model the page trains
    expected |= {("lstm_cell", "max_abs_diff"), ("gru_cell", "max_abs_diff")}
    assert expected <= rows.keys(), f"{framework}: missing {sorted(expected - rows.keys())}"
    for model, metric in expected:
        if metric.startswith("valid_mae"):
            assert rows[model, metric]["value"] > 0


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_live_lstm_recalls_at_k20(framework: str) -> None:
    """The page says the LSTM with bias 3 names the first digit 20 steps later; it is far
    from the 90% line, so this holds on any CPU, not just the one that executed it."""
    assert test_run_rows(PAGE, framework)["recall_lstm_b3", "recall_acc_k20"]["value"] >= 0.95


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize("cell", ("lstm_cell", "gru_cell"))
def test_hand_written_cell_matches_built_in(framework: str, cell: str) -> None:
    assert test_run_rows(PAGE, framework)[cell, "max_abs_diff"]["value"] <= 1e-5


def _recall(framework: str, model: str, metric: str = "recall_max_k") -> float:
    return benchmark_figures(PAGE, framework)[model, metric]["median"]


def test_memory_table_as_the_page_reads_it() -> None:
    """The memory task's paragraph, on the benchmark medians the page prints: the LSTM
    with bias 3 recalls to k = 40 everywhere; the simple RNN recalls nothing in MXNet, to
    k = 10 in PyTorch, to k = 20 in TensorFlow with 0.85 at k = 40, further there than the
    GRU and the LSTM with bias 1; the GRU is at chance past k = 10; both stop short of the
    LSTM with bias 3."""
    chance = 0.15  # ten digits: guessing scores 0.1
    for framework in FRAMEWORKS:
        assert _recall(framework, "recall_lstm_b3") == 40, framework
        assert _recall(framework, "recall_gru") == 10, framework
        assert _recall(framework, "recall_gru", "recall_acc_k20") < chance, framework
        for model in ("recall_gru", "recall_lstm_b1"):
            assert _recall(framework, model) < _recall(framework, "recall_lstm_b3"), (framework, model)
    assert [_recall(fw, "recall_rnn") for fw in ("mxnet", "pytorch", "tensorflow")] == [0, 10, 20]
    assert round(_recall("tensorflow", "recall_rnn", "recall_acc_k40"), 2) == 0.85
    for model in ("recall_gru", "recall_lstm_b1"):
        assert _recall("tensorflow", "recall_rnn") > _recall("tensorflow", model), model


def test_summary_on_the_memory_sweep() -> None:
    """Summary: 'the GRU and the LSTM with bias 1 stopped at k = 10 or 20 within the same
    training budget, no further than the simple RNN in TensorFlow' (medians)."""
    for framework in FRAMEWORKS:
        for model in ("recall_gru", "recall_lstm_b1"):
            assert _recall(framework, model) in (10, 20), (framework, model)
    assert all(_recall("tensorflow", m) <= _recall("tensorflow", "recall_rnn")
               for m in ("recall_gru", "recall_lstm_b1"))


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_exercise4_dropout_at_t14(framework: str) -> None:
    """Exercise 4: 'At t+14 the medians are lower with dropout in every framework ... by
    about 560 riders in MXNet, less than the spread between seeds; by about 1,400 in
    PyTorch, about that spread; by about 1,570 in TensorFlow, well beyond it.'"""
    figures = benchmark_figures(PAGE, framework)
    with_dropout, without = (figures[m, "valid_mae_t14"] for m in ("lstm", "lstm_no_input_dropout"))
    gain = without["median"] - with_dropout["median"]
    spread = max(seed_spread(with_dropout), seed_spread(without))
    assert gain > 0, (framework, gain)
    if framework == "mxnet":
        assert gain < spread, (gain, spread)
    if framework == "pytorch":
        assert 0.8 * spread < gain < 1.2 * spread, (gain, spread)
    if framework == "tensorflow":
        assert gain > 2 * spread, (gain, spread)
