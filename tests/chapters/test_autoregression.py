"""The autoregression page (chapter 1): the comparisons its prose draws between the
trained networks' errors hold in every framework.

The page has no benchmark. Its main text records the MLP's training, one-step and k-step
MSEs in the results file that nbval just wrote to $D2LMINI_TEST_RESULTS; the noise
floor, the multistep forecast and the exercises' figures are only printed, and are read
from the committed notebook (nbval proves the test run printed the same). Each asserted
comparison has a margin of at least 5% of the values compared, far beyond the drift
between CPU models; where a sentence's margin is smaller on this run, the test says so
and leaves that part out.
"""

from __future__ import annotations

import re

import pytest

from page_figures import printed, printed_figure, test_run_rows
from tools.project import FRAMEWORKS

PAGE = "autoregression"
HORIZONS = (1, 4, 16, 64)  # the k-step errors the main text records


def _mlp(framework: str) -> dict[str, float]:
    """metric -> value of the main text's MLP, as this run recorded it."""
    rows = test_run_rows(PAGE, framework)
    return {metric: row["value"] for (model, metric), row in rows.items() if model == "mlp"}


def _report(framework: str, name: str) -> dict[int, float]:
    """k -> MSE of one line printed by the exercises' ``report``, e.g. 'tau=1: 1-step ...'."""
    lines = re.findall(rf"^ *{re.escape(name)}: (\d+-step [\d.]+(?:, \d+-step [\d.]+)*)$",
                       printed(PAGE, framework), flags=re.MULTILINE)
    assert len(lines) == 1, f"{framework}: report line {name!r} printed {len(lines)} times"
    return {int(k): float(v) for k, v in re.findall(r"(\d+)-step ([\d.]+)", lines[0])}


def _clean_sine(framework: str) -> tuple[dict[int, float], float]:
    """Exercise 2's k-step MSEs of the MLP on the clean sine (k -> MSE), and Exercise 3's
    64-step MSE of the linear AR model on it: the five lines print in that order."""
    lines = re.findall(r"^ *(\d+)-step MSE on the clean sine: ([\d.]+)$",
                       printed(PAGE, framework), flags=re.MULTILINE)
    assert [int(k) for k, _ in lines] == [*HORIZONS, 64], lines
    return {int(k): float(v) for k, v in lines[:-1]}, float(lines[-1][1])


def _noise_floor(framework: str) -> float:
    return printed_figure(PAGE, framework, r"noise floor \(MSE of the clean sine\): ([\d.]+)")


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_training_error_ends_not_far_above_the_noise_floor(framework: str) -> None:
    """'the model cannot get below the noise ..., but it ends up not far above it' (not far:
    less than 1.5 times the floor)."""
    floor, train = _noise_floor(framework), _mlp(framework)["train_mse"]
    assert floor < train < 1.5 * floor, (floor, train)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_held_out_error_somewhat_larger_than_training_error(framework: str) -> None:
    """'The held-out error is somewhat larger than the training error but of the same
    size' (of the same size: less than 1.5 times it)."""
    mlp = _mlp(framework)
    assert mlp["train_mse"] < mlp["onestep_mse"] < 1.5 * mlp["train_mse"], mlp


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_multistep_error_is_many_times_the_one_step_error(framework: str) -> None:
    """'its printed error is many times the one-step error' (many: at least five)."""
    multistep = printed_figure(PAGE, framework, r"multistep MSE on x_605, \.\.\., x_1000: ([\d.]+)")
    onestep = _mlp(framework)["onestep_mse"]
    assert multistep >= 5 * onestep, (multistep, onestep)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_k_step_error_grows_with_the_horizon(framework: str) -> None:
    """'The error grows with the horizon ... The 1-step error is close to the held-out
    one-step error printed earlier, though not identical' (close: within 10%)."""
    mlp = _mlp(framework)
    errors = [mlp[f"kstep_mse_k{k}"] for k in HORIZONS]
    assert errors == sorted(errors) and len(set(errors)) == len(errors), errors
    one_step, held_out = mlp["kstep_mse_k1"], mlp["onestep_mse"]
    assert one_step != held_out and abs(one_step - held_out) < 0.1 * held_out, (one_step, held_out)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_finding_64_step_error_more_than_three_times_the_1_step_error(framework: str) -> None:
    """The results' takeaway: 'Its 64-step error is more than three times its 1-step
    error' (at least 4.2 times on the reference run, so the margin exceeds CPU drift)."""
    mlp = _mlp(framework)
    assert mlp["kstep_mse_k64"] > 3 * mlp["kstep_mse_k1"], mlp


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_exercise1_window_of_one_is_clearly_worse_and_sixteen_gains_less(framework: str) -> None:
    """Exercise 1: 'its one-step error is clearly worse than with tau = 4. Going on to
    tau = 16 does not pay off in the same way' (clearly: over 10% higher; not in the same
    way: what tau = 16 gains over tau = 4 is less than half what tau = 4 gains over 1)."""
    one, four, sixteen = (_report(framework, f"tau={tau}")[1] for tau in (1, 4, 16))
    assert one > 1.1 * four, (one, four)
    assert four - sixteen < 0.5 * (one - four), (one, four, sixteen)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_exercise2_clean_sine_an_order_of_magnitude_better_at_short_horizons(framework: str) -> None:
    """Exercise 2: 'At short horizons they are much smaller, one step ahead by an order of
    magnitude or more ... Far ahead, however, the errors still grow quickly and need not
    be small at all' (asserted: the 1-step ratio is at least 10, the 4-step one at least 5;
    the clean-sine errors grow with k; at 64 steps the ratio is below 10)."""
    clean, _ = _clean_sine(framework)
    noisy = {k: _mlp(framework)[f"kstep_mse_k{k}"] for k in HORIZONS}
    assert noisy[1] >= 10 * clean[1], (noisy[1], clean[1])
    assert noisy[4] >= 5 * clean[4], (noisy[4], clean[4])
    assert [clean[k] for k in HORIZONS] == sorted(clean.values()), clean
    assert noisy[64] < 10 * clean[64], (noisy[64], clean[64])


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_exercise3_linear_ar_at_least_as_good_as_the_mlp(framework: str) -> None:
    """Exercise 3: 'On the noisy data the linear model is at least as good as the MLP one
    step ahead and at medium horizons' (1, 4 and 16 steps, against the main text's MLP).
    MXNet's margins at 1 and 4 steps (4% and 3%) are under the 5% a run's figures need,
    so there only the 16-step comparison is asserted."""
    narrow = {("mxnet", 1), ("mxnet", 4)}
    linear, mlp = _report(framework, "linear AR"), _mlp(framework)
    for k in (1, 4, 16):
        if (framework, k) not in narrow:
            assert linear[k] <= mlp[f"kstep_mse_k{k}"], (k, linear[k], mlp[f"kstep_mse_k{k}"])


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_exercise3_true_model_class_beats_the_mlp_on_the_clean_sine(framework: str) -> None:
    """Exercise 3: 'A model class that contains the true dynamics beats a more flexible one
    that only approximates them' (the 64-step errors on the clean sine: Exercise 2's MLP,
    printed first, against the linear AR model, printed second)."""
    mlp, linear = _clean_sine(framework)
    assert linear < mlp[64], (linear, mlp[64])


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_exercise4_more_epochs_or_units_gain_little(framework: str) -> None:
    """Exercise 4: 'The training error was already close to the noise floor after 5
    epochs, so there is little left to gain on it or on the one-step error, whatever the
    capacity or the training time' (close: within 1.5 times the floor; little: neither
    variant lowers the training or the 1-step error by 15% or more)."""
    mlp = _mlp(framework)
    assert mlp["train_mse"] < 1.5 * _noise_floor(framework), mlp["train_mse"]
    for variant in ("20 epochs", "50 hidden"):
        train = printed_figure(PAGE, framework, rf"^{variant}: training MSE ([\d.]+)$")
        one_step = _report(framework, variant)[1]
        assert train > 0.85 * mlp["train_mse"], (variant, train, mlp["train_mse"])
        assert one_step > 0.85 * mlp["kstep_mse_k1"], (variant, one_step, mlp["kstep_mse_k1"])


def test_exercise4_fitting_one_step_better_does_not_imply_forecasting_far_ahead_better() -> None:
    """Exercise 4: 'Fitting one step better does not imply forecasting far ahead better':
    one counter-example proves it. PyTorch has one with margins over 5% in every figure
    (a variant with lower training and 1-step errors than the main text's MLP, and a
    higher 64-step error); MXNet's and TensorFlow's counter-examples gain under 5% one
    step ahead, too little to assert on a single run."""
    mlp = _mlp("pytorch")
    counter_examples = []
    for variant in ("20 epochs", "50 hidden"):
        train = printed_figure(PAGE, "pytorch", rf"^{variant}: training MSE ([\d.]+)$")
        errors = _report("pytorch", variant)
        if (train < mlp["train_mse"] and errors[1] < mlp["kstep_mse_k1"]
                and errors[64] > mlp["kstep_mse_k64"]):
            counter_examples.append(variant)
    assert counter_examples, mlp


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_exercise5_direct_model_beats_the_iterated_one(framework: str) -> None:
    """Exercise 5: 'in the printed errors it comes out ahead of the iterated model'."""
    direct = printed_figure(PAGE, framework, r"direct 16-step MSE: +([\d.]+)")
    iterated = _mlp(framework)["kstep_mse_k16"]
    assert direct < iterated, (direct, iterated)
