"""core.FrameworkHelpers, the helpers written once and bound to each framework.

These tests need no framework: they bind the helpers to numpy stand-ins for a
framework's pieces, under each of the three framework names.
"""

import json

import numpy as np
import pytest

from d2lmini import core, data


def numpy_load_array(arrays, batch_size, shuffle=True):
    """Batches of numpy arrays, in order (a stand-in for a framework's load_array)."""
    n = len(arrays[0])
    return [tuple(a[i:i + batch_size] for a in arrays) for i in range(0, n, batch_size)]


def numpy_predict_windows(net, data_iter):
    preds, ys = [], []
    for X, y in data_iter:
        preds.append(net(X))
        ys.append(y)
    return core._stack_predictions(preds, ys)


class Scalar:
    """A 'net' y_hat = w * x with one weight."""

    def __init__(self, w):
        self.w = w

    def __call__(self, X):
        return (self.w * np.asarray(X, dtype=np.float64)).reshape(len(X), -1)


class ScriptedTrainer:
    """A ForecastTrainer whose validation errors follow a script, one value an epoch;
    its 'weights' are the number of epochs trained."""

    made = []

    def __init__(self, net, train_iter, valid_iter, lr, delta):
        self.net, self.epochs, self.rates = net, 0, []
        self.script = list(net)
        ScriptedTrainer.made.append(self)

    def set_learning_rate(self, lr):
        self.rates.append(lr)

    def train_epoch(self):
        self.epochs += 1
        return np.array([2.0]), 1

    def valid_error_sums(self):
        return np.array([self.script[self.epochs - 1]]), 1

    def get_weights(self):
        return self.epochs

    def set_weights(self, weights):
        self.restored = weights


def helpers(framework, trainer=ScriptedTrainer):
    return core.FrameworkHelpers(framework, load_array=numpy_load_array,
                                 predict_windows=numpy_predict_windows,
                                 count_params=lambda net: 7, trainer=trainer)


@pytest.mark.parametrize("framework", core.FRAMEWORKS)
def test_each_binding_records_under_its_own_framework(framework, tmp_path, monkeypatch):
    monkeypatch.setenv("D2LMINI_RESULTS_DIR", str(tmp_path))
    shared = helpers(framework).functions()
    path = shared.record_result("page", "rnn", "valid_mae", 1.5, 0)
    assert path == tmp_path / framework / "page.json"
    assert shared.load_results("page") == json.loads(path.read_text())
    others = [fw for fw in core.FRAMEWORKS if fw != framework]
    assert all(helpers(fw).load_results("page") == [] for fw in others)
    path = shared.record_training("page", "rnn", object(), 2.0)
    assert path == tmp_path / "training" / framework / "page.json"
    assert shared.load_training("page") == {"rnn": {"params": 7, "seconds": 2.0}}
    assert all(helpers(fw).load_training("page") == {} for fw in others)


def test_load_benchmark_reads_its_own_framework(tmp_path, monkeypatch):
    (tmp_path / "_config.yml").write_text("title: test\n")
    (tmp_path / "d2lmini").mkdir()
    for i, fw in enumerate(core.FRAMEWORKS):
        path = tmp_path / "results" / "benchmark" / fw / "page.json"
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps({"figures": [
            {"model": "m", "metric": "mae", "values": [i], "median": float(i)}]}))
    monkeypatch.chdir(tmp_path)
    for i, fw in enumerate(core.FRAMEWORKS):
        assert helpers(fw).load_benchmark("page") == {("m", "mae"): float(i)}


def test_an_unknown_framework_is_refused():
    with pytest.raises(ValueError, match="framework must be one of"):
        helpers("jax")


def test_windows_and_predict_use_the_bound_pieces():
    shared = helpers("pytorch").functions()
    batches = shared.make_windows(np.arange(6, dtype=np.float32), 3, batch_size=2)
    assert [X.tolist() for X, _ in batches] == [[[0, 1, 2], [1, 2, 3]], [[2, 3, 4]]]
    batches = shared.make_seq2seq_windows(np.arange(6, dtype=np.float32), 3, 1)
    assert [Y.tolist() for _, Y in batches] == [[[[1], [2], [3]], [[2], [3], [4]],
                                                 [[3], [4], [5]]]]
    preds = shared.predict(Scalar(2.0), [[1.0], [2.0], [3.0]], batch_size=2)
    assert preds.tolist() == [[2.0], [4.0], [6.0]]
    with pytest.raises(ValueError, match="no examples"):
        numpy_predict_windows(Scalar(1.0), [])


def test_fit_forecaster_restores_the_best_epoch_and_stops_early():
    ScriptedTrainer.made.clear()
    fit = helpers("mxnet").fit_forecaster
    # validation |error| per epoch; epoch 2 is the best, 3 and 4 bring nothing new
    best = fit([5.0, 1.0, 3.0, 4.0, 0.5], None, None, num_epochs=5, lr=0.1, patience=2,
               scale=10, plot_every=0)
    trainer, = ScriptedTrainer.made
    assert best == 10.0 and trainer.epochs == 4 and trainer.restored == 2
    assert trainer.rates == pytest.approx([0.1 * (1 + np.cos(np.pi * e / 5)) / 2
                                           for e in range(4)])


def test_fit_forecaster_keeps_the_weights_when_no_epoch_is_finite():
    ScriptedTrainer.made.clear()
    best = helpers("tensorflow").fit_forecaster([np.nan, np.nan], None, None, num_epochs=2,
                                                lr=0.1, plot_every=0)
    assert best == np.inf and not hasattr(ScriptedTrainer.made[0], "restored")


def test_the_training_loop_uses_no_dataset_vocabulary():
    assert "riders" not in core.FrameworkHelpers.fit_forecaster.__doc__
    assert not hasattr(core._FitMonitor, "riders")
    import inspect
    defaults = {name: p.default for name, p in
                inspect.signature(core.FrameworkHelpers.fit_forecaster).parameters.items()}
    assert defaults["scale"] == 1.0 and defaults["ylabel"] == "MAE"
    assert data.RIDERSHIP_SCALE == 1e6  # the ridership chapters' millions of riders
