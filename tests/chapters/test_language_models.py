"""The language-model page: its benchmark medians show the neural model beating the
trigram model, the test run's own results files hold every headline figure, and the
count models' perplexities are identical in the three frameworks.

The benchmark files are committed (``make benchmark PAGE=language_models``, seeds 0, 1,
2); the results files are those nbval just wrote to $D2LMINI_TEST_RESULTS. Both must
exist: a missing file fails the test, it never skips it.
"""

from __future__ import annotations

import pytest

from page_figures import benchmark_figures, test_run_rows
from tools.project import FRAMEWORKS

PAGE = "language_models"

# Every figure the page must record.
EXPECTED = {
    ("uniform", "valid_perplexity"),
    ("bigram", "valid_perplexity"), ("bigram", "k"),
    ("trigram", "valid_perplexity"), ("trigram", "k"),
    ("mlp", "valid_perplexity"),
}
# Figures computed by framework-free cells: the same to the last digit everywhere.
FRAMEWORK_FREE = {key for key in EXPECTED if key[0] != "mlp"}
VOCABULARY_SIZE = 30  # <unk>, <eos>, the space, a-z and ñ


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_benchmark_median_mlp_beats_trigram(framework: str) -> None:
    figures = benchmark_figures(PAGE, framework)
    for key in [("mlp", "valid_perplexity"), ("trigram", "valid_perplexity")]:
        assert key in figures, f"{framework}: the benchmark recorded no {key}"
        assert len(figures[key]["values"]) == 3
    mlp, trigram = figures["mlp", "valid_perplexity"], figures["trigram", "valid_perplexity"]
    assert mlp["median"] < trigram["median"], (
        f"{framework}: MLP median perplexity {mlp['median']:.3f} over seeds {mlp['values']} "
        f"does not beat the trigram's {trigram['median']:.3f}")


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_test_run_recorded_every_figure(framework: str) -> None:
    rows = test_run_rows(PAGE, framework)
    assert EXPECTED <= rows.keys(), f"{framework}: missing {sorted(EXPECTED - rows.keys())}"
    for row in rows.values():
        assert row["page"] == PAGE and row["value"] > 0
    perplexities = {model: rows[model, "valid_perplexity"]["value"]
                    for model in ("uniform", "bigram", "trigram", "mlp")}
    assert perplexities["uniform"] == pytest.approx(VOCABULARY_SIZE, rel=1e-12)
    # each model beats the one before it
    assert (perplexities["uniform"] > perplexities["bigram"] > perplexities["trigram"]
            > perplexities["mlp"] > 1), perplexities


def test_count_models_identical_across_frameworks() -> None:
    runs = {framework: test_run_rows(PAGE, framework) for framework in FRAMEWORKS}
    for key in sorted(FRAMEWORK_FREE):
        values = {framework: rows[key]["value"] for framework, rows in runs.items()}
        assert len(set(values.values())) == 1, f"{key} differs across frameworks: {values}"


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_exercise4_window_at_equal_budget(framework: str) -> None:
    """Exercise 4: 'In every framework the two-character model stays above the trigram
    model's 7.394 after its epoch, and the five-character model, trained the same way, is
    lower by 2.0 to 3.1'; in PyTorch the five-character model is far below the trigram.
    The margins (over 2% and 1.9) are far beyond the drift between CPU models, so this
    run decides."""
    rows = test_run_rows(PAGE, framework)
    trigram = rows["trigram", "valid_perplexity"]["value"]
    two = rows["mlp_window2_1epoch", "valid_perplexity"]["value"]
    five = rows["mlp_window5_1epoch", "valid_perplexity"]["value"]
    assert two > 1.02 * trigram and 1.95 <= two - five <= 3.15, (two, five, trigram)
    if framework == "pytorch":
        assert five < 0.7 * trigram, (five, trigram)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_exercise3_temperatures(framework: str) -> None:
    """Exercise 3: 'At a low temperature ... more than half of the samples are training
    names, and long ones ... As the temperature rises, fewer samples are real names ...
    The count of validation names ... falls with the temperature too' (this run's 200
    samples at 0.5, 1 and 1.5; long: longer on average than the names of the data set)."""
    import re

    from page_figures import printed, printed_figure

    num_samples = 200  # the exercise's sample size
    report = {float(t): (int(train), int(valid), float(length)) for t, train, valid, length in re.findall(
        r"temperature ([\d.]+): +(\d+) training names, +(\d+) validation names, mean length ([\d.]+);",
        printed(PAGE, framework))}
    assert sorted(report) == [0.5, 1.0, 1.5], report
    train, valid, length = zip(*(report[t] for t in sorted(report)), strict=True)
    assert train[0] > num_samples / 2, train
    assert length[0] > printed_figure(PAGE, framework, r"length: \d+ to \d+ characters, mean ([\d.]+)")
    real = [t + v for t, v in zip(train, valid, strict=True)]
    assert real == sorted(real, reverse=True) and len(set(real)) == 3, real
    assert list(valid) == sorted(valid, reverse=True) and len(set(valid)) == 3, valid


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_exercise5_surnames_harder_and_the_neural_model_beats_the_trigram(framework: str) -> None:
    """Exercise 5: 'Both models' perplexities are higher than on the given names, and the
    neural model again beats the trigram model, even after only three epochs' (this run).
    The neural model's win is asserted in PyTorch only: in MXNet and TensorFlow it is 3.5%
    and 3.0%, under the 5% a run's figures need (the surnames are not in the benchmark)."""
    from page_figures import printed_figure

    rows = test_run_rows(PAGE, framework)
    trigram = printed_figure(PAGE, framework, r"surnames; trigram, k = 0\.1: validation perplexity ([\d.]+)")
    mlp = printed_figure(PAGE, framework, r"MLP on surnames: validation perplexity ([\d.]+)")
    assert trigram > rows["trigram", "valid_perplexity"]["value"], trigram
    assert mlp > rows["mlp", "valid_perplexity"]["value"], mlp
    if framework == "pytorch":
        assert mlp < trigram, (mlp, trigram)
