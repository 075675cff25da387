"""make_windows, make_seq2seq_windows, fit_forecaster, predict_windows, predict and
load_results."""

import json

import numpy as np
import pytest

from d2lmini.core import _to_numpy


def collect(data_iter):
    Xs, Ys = zip(*((_to_numpy(X), _to_numpy(Y)) for X, Y in data_iter))
    return np.concatenate(Xs), np.concatenate(Ys)


# ----------------------------------------------------------------------------
# make_windows

def test_make_windows_one_series(d2l, helpers):
    series = np.arange(7, dtype=np.float32)
    batches = [[_to_numpy(t) for t in b] for b in d2l.make_windows(series, 3, batch_size=2)]
    assert isinstance(d2l.make_windows(series, 3), helpers.loader_type)
    assert [X.tolist() for X, _ in batches] == [[[0, 1, 2], [1, 2, 3]], [[2, 3, 4], [3, 4, 5]]]
    assert [Y.tolist() for _, Y in batches] == [[[3], [4]], [[5], [6]]]
    X, Y = collect(d2l.make_windows(series, 3, ahead=2))
    assert X.shape == (3, 3) and Y.tolist() == [[3, 4], [4, 5], [5, 6]]


def test_make_windows_several_columns_and_targets(d2l):
    series = np.arange(20, dtype=np.float32).reshape(10, 2)  # column 0 even, column 1 odd
    X, Y = collect(d2l.make_windows(series, 4, targets=series[:, 0]))
    assert X.shape == (6, 4, 2) and Y.shape == (6, 1)
    assert X[0].tolist() == series[:4].tolist() and Y[:, 0].tolist() == series[4:, 0].tolist()
    X, Y = collect(d2l.make_windows(series, 4, ahead=2, targets=series))
    assert X.shape == (5, 4, 2) and Y[0].tolist() == [8, 9, 10, 11]  # day by day


def test_make_windows_shuffles_reproducibly(d2l):
    series = np.arange(40, dtype=np.float32)

    def order():
        d2l.seed_everything(3)
        return collect(d2l.make_windows(series, 5, batch_size=4, shuffle=True))[1][:, 0].tolist()

    first = order()
    assert first == order() and sorted(first) == list(range(5, 40)) and first != sorted(first)


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(series=np.zeros(5), seq_length=5), ValueError, "too short"),
    (dict(series=np.zeros((5, 2, 2)), seq_length=2), ValueError, "shape"),
    (dict(series=np.zeros((9, 2)), seq_length=2), ValueError, "needs `targets`"),
    (dict(series=np.zeros(9), seq_length=2, targets=np.zeros(8)), ValueError, "targets must"),
    (dict(series=np.zeros(9), seq_length=2.0), TypeError, "must be an int"),
    (dict(series=np.zeros(9), seq_length=2, ahead=0), ValueError, ">= 1"),
])
def test_make_windows_rejects_bad_input(d2l, kwargs, error, message):
    with pytest.raises(error, match=message):
        d2l.make_windows(**kwargs)


# ----------------------------------------------------------------------------
# make_seq2seq_windows

def test_make_seq2seq_windows_has_targets_at_every_step(d2l, helpers):
    series = np.arange(8, dtype=np.float32)
    data_iter = d2l.make_seq2seq_windows(series, 4, 2, batch_size=2)
    assert isinstance(data_iter, helpers.loader_type)
    X, Y = collect(data_iter)
    assert X.shape == (3, 4) and Y.shape == (3, 4, 2)
    assert X[0].tolist() == [0, 1, 2, 3]
    assert Y[0].tolist() == [[1, 2], [2, 3], [3, 4], [4, 5]]  # step s: days s + 1, s + 2
    # the last step's targets are make_windows' targets, window by window
    X1, Y1 = collect(d2l.make_windows(series, 4, ahead=2))
    assert X.tolist() == X1.tolist() and Y[:, -1].tolist() == Y1.tolist()


def test_make_seq2seq_windows_several_targets_day_by_day(d2l):
    series = np.arange(20, dtype=np.float32).reshape(10, 2)
    X, Y = collect(d2l.make_seq2seq_windows(series, 3, 2, targets=series))
    assert X.shape == (6, 3, 2) and Y.shape == (6, 3, 4)
    assert Y[0, 0].tolist() == [2, 3, 4, 5]  # day 1's two values, then day 2's
    assert Y[:, -1].tolist() == collect(d2l.make_windows(series, 3, 2, targets=series))[1].tolist()


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(series=np.zeros(5), seq_length=4, ahead=2), ValueError, "too short"),
    (dict(series=np.zeros((9, 2)), seq_length=2, ahead=1), ValueError, "needs `targets`"),
    (dict(series=np.zeros(9), seq_length=2, ahead=0), ValueError, ">= 1"),
    (dict(series=np.zeros(9), seq_length=2, ahead=1.0), TypeError, "must be an int"),
])
def test_make_seq2seq_windows_rejects_bad_input(d2l, kwargs, error, message):
    with pytest.raises(error, match=message):
        d2l.make_seq2seq_windows(**kwargs)


def test_predict_matches_predict_windows(d2l, helpers):
    net = helpers.linear(2.0, 1.0)
    x = np.arange(5, dtype=np.float32)[:, None]
    preds = d2l.predict(net, x, batch_size=2)
    assert isinstance(preds, np.ndarray) and preds.shape == (5, 1)
    assert preds[:, 0].tolist() == pytest.approx([1, 3, 5, 7, 9])
    assert d2l.predict(net, helpers.tensor(x)).tolist() == preds.tolist()


# ----------------------------------------------------------------------------
# fit_forecaster and predict_windows, on y = 2 * x, a linear net w * x + b

def test_fit_forecaster_learns_and_restores_the_best_weights(d2l, helpers):
    d2l.seed_everything(0)
    x = np.linspace(-1, 1, 64, dtype=np.float32)[:, None]
    train_iter = d2l.load_array((x, 2 * x), batch_size=8)
    valid_iter = d2l.load_array((x, 2 * x), batch_size=8, shuffle=False)
    net = helpers.linear(0.0, 0.0)
    best = d2l.fit_forecaster(net, train_iter, valid_iter, num_epochs=30, lr=0.1,
                              patience=30, scale=1000, plot_every=10)
    preds, ys = d2l.predict_windows(net, valid_iter)
    assert preds.shape == ys.shape == (64, 1)
    # the restored weights are the best epoch's: their MAE is the one returned
    assert np.abs(preds - ys).mean() * 1000 == pytest.approx(best, rel=1e-4)
    assert best < 50  # from 1,000 (w = 0) to a few units


def _conv_net(fw):
    """A convolution over time (kernel 3, 16 channels), then one output per window."""
    if fw == "mxnet":
        from mxnet.gluon import nn

        class Net(nn.HybridBlock):
            def __init__(self):
                super().__init__()
                self.conv, self.out = nn.Conv1D(16, 3, in_channels=1), nn.Dense(1)

            def hybrid_forward(self, F, X):  # X: (batch, time) -> (batch, 1, time)
                return self.out(F.relu(self.conv(F.expand_dims(X, axis=1))))

        net = Net()
        net.initialize()
        net.hybridize()
        return net
    if fw == "pytorch":
        import torch
        return torch.nn.Sequential(torch.nn.Unflatten(1, (1, 8)), torch.nn.Conv1d(1, 16, 3),
                                   torch.nn.ReLU(), torch.nn.Flatten(), torch.nn.Linear(96, 1))
    import tensorflow as tf
    return tf.keras.Sequential([tf.keras.Input((8,)), tf.keras.layers.Reshape((8, 1)),
                                tf.keras.layers.Conv1D(16, 3, activation="relu"),
                                tf.keras.layers.Flatten(), tf.keras.layers.Dense(1)])


def test_fit_forecaster_restores_the_best_weights_of_a_convolution(d2l, fw):
    """MXNet keeps a convolution's weights in oneDNN's layout after a prediction pass;
    restoring the best epoch must still work, and give the returned MAE."""
    d2l.seed_everything(0)
    series = np.sin(np.arange(80, dtype=np.float32) / 3)
    train_iter = d2l.make_windows(series[:60], 8, shuffle=True)
    valid_iter = d2l.make_windows(series[50:], 8)
    net = _conv_net(fw)
    best = d2l.fit_forecaster(net, train_iter, valid_iter, num_epochs=8, lr=0.01,
                              scale=1000, plot_every=0)
    preds, ys = d2l.predict_windows(net, valid_iter)
    assert np.abs(preds - ys).mean() * 1000 == pytest.approx(best, rel=1e-4)


def test_fit_forecaster_restores_the_best_epoch_not_the_last(d2l, helpers):
    """Trained towards y = 2x but validated on y = x, the net's validation MAE falls while
    w approaches 1 and rises as w goes on to 2: the weights kept are the best epoch's."""
    d2l.seed_everything(0)
    x = np.linspace(-1, 1, 64, dtype=np.float32)[:, None]
    train_iter = d2l.load_array((x, 2 * x), batch_size=8)
    valid_iter = d2l.load_array((x, x), batch_size=8, shuffle=False)
    net = helpers.linear(0.0, 0.0)
    best = d2l.fit_forecaster(net, train_iter, valid_iter, num_epochs=30, lr=0.1, plot_every=0)
    preds, ys = d2l.predict_windows(net, valid_iter)
    assert np.abs(preds - ys).mean() == pytest.approx(best, rel=1e-4)
    assert best < 0.25  # the last epoch's weights (w near 2) score about 0.5


class CountingIter:
    """An iterable that counts the passes made over `data_iter`."""

    def __init__(self, data_iter):
        self.data_iter, self.passes = data_iter, 0

    def __iter__(self):
        self.passes += 1
        return iter(self.data_iter)


def test_fit_forecaster_stops_early(d2l, helpers):
    d2l.seed_everything(0)
    x = np.linspace(-1, 1, 16, dtype=np.float32)[:, None]
    data_iter = d2l.load_array((x, 2 * x), batch_size=16, shuffle=False)
    train_iter, valid_iter = CountingIter(data_iter), CountingIter(data_iter)
    net = helpers.linear(2.0, 0.0)  # exact: its gradient is zero, no epoch improves on the first
    best = d2l.fit_forecaster(net, train_iter, valid_iter, num_epochs=100, lr=0.01,
                              patience=2, plot_every=0)
    assert (train_iter.passes, valid_iter.passes) == (3, 3)  # 1 epoch, then 2 without a new best
    assert best < 0.02
    preds, ys = d2l.predict_windows(net, data_iter)
    assert np.abs(preds - ys).mean() == pytest.approx(best, rel=1e-4)  # scale 1 by default


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(num_epochs=0), ValueError, "num_epochs must be >= 1"),
    (dict(lr=-1.0), ValueError, "lr must be a positive"),
    (dict(delta=0.0), ValueError, "delta must be a positive"),
    (dict(lr="0.1"), TypeError, "lr must be a number"),
    (dict(patience=0), ValueError, "patience must be >= 1"),
    (dict(scale=0.0), ValueError, "scale must be"),
    (dict(plot_every=1.5), TypeError, "plot_every must be an int"),
    (dict(ylabel=None), TypeError, "ylabel must be a str"),
])
def test_fit_forecaster_rejects_bad_arguments(d2l, helpers, kwargs, error, message):
    x = np.zeros((4, 1), np.float32)
    data_iter = d2l.load_array((x, x), batch_size=2)
    args = dict(num_epochs=1, lr=0.1, plot_every=0) | kwargs
    with pytest.raises(error, match=message):
        d2l.fit_forecaster(helpers.linear(0.0, 0.0), data_iter, data_iter, **args)


def test_fit_forecaster_labels_its_plot(d2l, helpers):
    import matplotlib.pyplot as plt
    x = np.zeros((4, 1), np.float32)
    data_iter = d2l.load_array((x, x), batch_size=2)
    for kwargs, label in ((dict(), "MAE"), (dict(ylabel="MAE (riders)"), "MAE (riders)")):
        plt.close("all")
        d2l.fit_forecaster(helpers.linear(0.0, 0.0), data_iter, data_iter, num_epochs=1,
                           lr=0.1, plot_every=1, **kwargs)
        assert [ax.get_ylabel() for ax in plt.gcf().axes] == [label]


# ----------------------------------------------------------------------------
# load_results

def test_load_results_reads_what_record_result_wrote(d2l, fw, tmp_path, monkeypatch):
    monkeypatch.setenv("D2LMINI_RESULTS_DIR", str(tmp_path))
    assert d2l.load_results("nothing-yet") == []
    d2l.record_result("p", "rnn", "valid_mae", 30_000.5, 1)
    assert d2l.load_results("p") == json.loads((tmp_path / fw / "p.json").read_text())
    assert d2l.load_results("p")[0]["value"] == 30_000.5
    with pytest.raises(ValueError, match="plain file stem"):
        d2l.load_results("../p")


def test_learning_rate_decays_along_a_cosine():
    from d2lmini.core import _FitMonitor
    monitor = _FitMonitor(4, 0.1, None, 1.0, 1.0, 0)
    rates = []
    for _ in range(4):
        rates.append(monitor.learning_rate())
        monitor.end_epoch(1.0, 1.0)
    assert rates == pytest.approx([0.1, 0.1 * (1 + 2**-0.5) / 2, 0.05, 0.1 * (1 - 2**-0.5) / 2])
    assert monitor.patience == 4  # patience=None: no early stopping


def test_fit_monitor_plot_labels_patience_and_redraws(monkeypatch):
    from d2lmini import core
    redraws = []
    monkeypatch.setattr(core.TrainingPlot, "add",
                        lambda self, x, ys, redraw=True: redraws.append(redraw))
    monitor = core._FitMonitor(5, 0.1, 2, 0.1, 1.0, plot_every=2)
    assert monitor.fig.config["ylabel"] == "MAE"
    assert monitor.fig.legend == ["train", "valid"]
    assert monitor.end_epoch(1.0, np.inf) == (False, False)
    assert monitor.end_epoch(1.0, np.inf) == (False, True)  # no improvement in 2 epochs
    assert redraws == [False, True]
    assert monitor.unscaled_mae(np.array([2, 4]), 2) == 1.5
    with pytest.raises(ValueError, match="^scale has 2 values but the net has 3 outputs$"):
        core._FitMonitor(5, 0.1, None, 0.1, [1.0, 2.0], 0).unscaled_mae([1, 1, 1], 1)
    with pytest.raises(ValueError, match="^the data yielded no examples$"):
        monitor.unscaled_mae([1], 0)


def test_window_arrays_check_their_lengths_by_name_and_allow_a_single_window():
    from d2lmini.core import _window_arrays
    series = np.arange(6, dtype=np.float32)
    for kwargs, message in ((dict(seq_length=0, ahead=1), "^seq_length must be >= 1, got 0$"),
                            (dict(seq_length=3, ahead=0), "^ahead must be >= 1, got 0$")):
        with pytest.raises(ValueError, match=message):
            _window_arrays(series, **kwargs)
    with pytest.raises(TypeError, match="^seq_length must be an int, got float 2.0$"):
        _window_arrays(series, 2.0, 1)
    with pytest.raises(TypeError, match="^ahead must be an int, got str '1'$"):
        _window_arrays(series, 2, "1")
    with pytest.raises(ValueError, match="^a series with several columns needs `targets`"):
        _window_arrays(series.reshape(3, 2), 1, 1)
    X, Y = _window_arrays(series, 4, 2)  # 6 steps: exactly one window
    assert X.tolist() == [[0, 1, 2, 3]] and Y.tolist() == [[4, 5]]
    assert X.flags.c_contiguous and X.flags.writeable and Y.flags.c_contiguous
