"""TensorFlow (Keras 3) versions of the d2lmini helpers.
Usage: ``from d2lmini import tensorflow as d2l``.

Same names and signatures as `d2lmini.torch` and `d2lmini.mxnet`; framework-free
helpers are re-exported from `d2lmini.core` and `d2lmini.data`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

# Keep `import` quiet unless the user asked otherwise: TensorFlow's C++ side logs notices
# to stderr, and oneDNN's custom ops announce themselves (they also make results vary
# slightly between CPUs, which is why the book's kernels turn them off as well).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from .core import (Timer, TrainingPlot, _batch_loss_sum, _check_arrays,  # noqa: E402
                   _check_device_index, _FitMonitor, _load_benchmark, _load_results,
                   _load_training, _mean_loss, _record_training,
                   _record_result, _seed_python_numpy, _seq2seq_arrays, _to_numpy,
                   _window_arrays, plot, set_figsize)
from .data import (DATA_HUB, DownloadError, download, extract, load_names,  # noqa: E402
                   load_ridership, load_time_machine)
from .text import Vocab  # noqa: E402

__all__ = [
    "DATA_HUB", "DownloadError", "Timer", "TrainingPlot", "Vocab", "download", "evaluate_loss",
    "extract", "fit_forecaster", "load_array", "load_benchmark", "load_names",
    "load_results", "load_training",
    "load_ridership", "load_time_machine",
    "make_seq2seq_windows", "make_windows", "num_gpus", "plot", "predict", "predict_windows",
    "record_result", "record_training",
    "seed_everything", "set_figsize", "try_gpu",
]

FRAMEWORK = "tensorflow"  # folder name under results/
Device = str  # what try_gpu returns: a device name for `with tf.device(...)`
DataIter = tf.data.Dataset  # what load_array returns


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and TensorFlow, and make TensorFlow ops deterministic.

    On a GPU this also keeps float32 arithmetic in full precision: TensorFlow would use
    TF32 in matmuls and convolutions on recent NVIDIA GPUs. A CPU computes the same
    either way.
    """
    seed = _seed_python_numpy(seed)
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    tf.config.experimental.enable_tensor_float_32_execution(False)


def num_gpus() -> int:
    """Number of visible GPUs."""
    return len(tf.config.list_physical_devices("GPU"))


def try_gpu(i: int = 0) -> Device:
    """Return the name of GPU i ('/GPU:0') if it exists, else '/CPU:0'."""
    i = _check_device_index(i)
    return f"/GPU:{i}" if i < num_gpus() else "/CPU:0"


def load_array(arrays: Sequence[Any], batch_size: int, shuffle: bool = True) -> DataIter:
    """A tf.data.Dataset of minibatches of a tuple of same-length tensors, e.g. (X, y).

    The shuffle seed is drawn from numpy, which `seed_everything` seeds, so orders
    repeat across runs; each pass over the dataset is shuffled anew.
    """
    shapes = _check_arrays(arrays, batch_size)
    dataset = tf.data.Dataset.from_tensor_slices(tuple(arrays))
    if shuffle:
        seed = int(np.random.randint(2**31 - 1))
        dataset = dataset.shuffle(shapes[0][0], seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size)


def evaluate_loss(net: Callable[..., Any], data_iter: Iterable[Any],
                  loss: Callable[..., Any]) -> float:
    """Mean loss per example of `net` over `data_iter` (batches (X, ..., y)).

    `loss` is called Keras-style as loss(y, y_hat) and may return one value per example
    (reduction=None) or the batch mean (Keras' default). Keras layers are called with
    training=False (no dropout).
    """
    kwargs = {"training": False} if isinstance(net, tf.keras.layers.Layer) else {}
    total, count = 0.0, 0
    for *X, y in data_iter:
        # Keras losses take (y_true, y_pred), the other way round from torch and gluon
        total += _batch_loss_sum(loss(y, net(*X, **kwargs)), y.shape[0])
        count += y.shape[0]
    return _mean_loss(total, count)


def record_result(page: str, model: str, metric: str, value: float, seed: int) -> Path:
    """Insert or update the row (model, metric) of results/tensorflow/<page>.json; return
    its path.

    The folder is $D2LMINI_RESULTS_DIR/tensorflow if set, else results/tensorflow in the
    book's repository root (found from the working directory), else ./results/tensorflow.
    """
    return _record_result(FRAMEWORK, page, model, metric, value, seed)


def load_results(page: str) -> list[dict]:
    """The rows recorded by `record_result` for `page` (dicts with page, model, metric,
    value, seed), read from the folder that `record_result` writes to; [] if none."""
    return _load_results(FRAMEWORK, page)


def record_training(page: str, model: str, net: Any, seconds: float) -> Path:
    """Record what training `net` cost: its trainable parameters and `seconds`, under
    `model` in results/training/tensorflow/<page>.json; return the file's path.

    Times depend on the machine, so they are kept apart from the results files, which
    re-executions must reproduce exactly; the folder follows $D2LMINI_RESULTS_DIR like
    `record_result`'s (its parent's training/tensorflow/). `make benchmark` collects both
    figures as `params` and `train_seconds`.
    """
    return _record_training(FRAMEWORK, page, model, _count_params(net), seconds)


def load_training(page: str) -> dict[str, dict[str, float]]:
    """model -> {"params": ..., "seconds": ...} recorded by `record_training` for `page`,
    from the folder that `record_training` writes to; {} if none."""
    return _load_training(FRAMEWORK, page)


def _count_params(net: Any) -> int:
    """Trainable parameters of a built Keras layer or model."""
    if not isinstance(net, tf.keras.layers.Layer):
        raise TypeError(f"net must be a Keras layer or model, got {type(net).__name__}")
    return int(sum(np.prod(w.shape) for w in net.trainable_weights))


def load_benchmark(page: str) -> dict[tuple[str, str], float]:
    """(model, metric) -> the median over the seeds of `make benchmark`, read from the
    book's committed results/benchmark/tensorflow/<page>.json; {} outside a clone of the book
    (Colab, an assignment) or when the page has no benchmark."""
    return _load_benchmark(FRAMEWORK, page)


def make_windows(series: Any, seq_length: int, ahead: int = 1, batch_size: int = 32,
                 shuffle: bool = False, targets: Any = None) -> DataIter:
    """Batches of (windows of `seq_length` steps, the `ahead` target steps after each).

    `series` of shape (T,) gives windows of shape (batch, seq_length); of shape (T, C),
    windows of shape (batch, seq_length, C). Targets are taken from `targets` (shape
    (T,) or (T, K), aligned with `series`), by default from `series` itself, and have
    shape (batch, ahead * K), day by day. A series of T steps gives
    T - seq_length - ahead + 1 examples. Shuffled orders repeat after `seed_everything`.
    """
    X, Y = _window_arrays(series, seq_length, ahead, targets)
    return load_array((X, Y), batch_size, shuffle=shuffle)


def make_seq2seq_windows(series: Any, seq_length: int, ahead: int, batch_size: int = 32,
                         shuffle: bool = False, targets: Any = None) -> DataIter:
    """Like `make_windows`, but with targets for every step of each window.

    The windows are those of `make_windows`; the targets have shape
    (batch, seq_length, ahead * K): at step s, the `ahead` days after day s of the
    window, day by day, so the targets of the last step are those of `make_windows`.
    """
    X, Y = _seq2seq_arrays(series, seq_length, ahead, targets)
    return load_array((X, Y), batch_size, shuffle=shuffle)


def _compile(step: Callable[..., Any], data_iter: Iterable[Any]) -> Callable[..., Any]:
    """tf.function of `step`, with the batch dimension left open if `data_iter` says
    what its batches look like (a tf.data.Dataset does)."""
    spec = getattr(data_iter, "element_spec", None)
    if isinstance(spec, tuple) and all(isinstance(s, tf.TensorSpec) for s in spec):
        signature = [tf.TensorSpec([None, *s.shape[1:]], s.dtype) for s in spec]
        return tf.function(step, input_signature=signature)
    return tf.function(step, reduce_retracing=True)


def fit_forecaster(net: Any, train_iter: Iterable[Any], valid_iter: Iterable[Any],
                   num_epochs: int, lr: float, patience: int | None = None, delta: float = 1.0,
                   scale: Any = 1e6, plot_every: int = 5) -> float:
    """Train a forecaster with Adam on the Huber loss; return its best validation MAE.

    The learning rate decays from `lr` to 0 along a half cosine over `num_epochs`
    epochs. The Huber loss is quadratic for errors below `delta` (in the units of the targets)
    and grows linearly beyond, so a small `delta` makes it close to the MAE. After every
    epoch the MAE on `valid_iter` is computed in riders (errors times `scale`, one
    number or one per output; with several outputs, their mean). Training
    stops after `num_epochs`, or earlier when `patience` epochs in a row brought no new
    best (None: never), and the weights of the best epoch are restored. Every `plot_every` epochs (0: never) a
    live plot shows the train and validation MAE. TensorFlow places the computation on
    the GPU when there is one, so nothing here names a device.
    """
    monitor = _FitMonitor(num_epochs, lr, patience, delta, scale, plot_every)
    loss = tf.keras.losses.Huber(delta=delta)
    optimizer = tf.keras.optimizers.Adam(learning_rate=lr)

    def train_step(X, y):
        with tf.GradientTape() as tape:
            y_hat = net(X, training=True)
            l = loss(y, y_hat)
        grads = tape.gradient(l, net.trainable_variables)
        optimizer.apply_gradients(zip(grads, net.trainable_variables))
        return tf.reduce_sum(tf.abs(tf.cast(y_hat - y, tf.float64)), axis=0)

    def error_step(X, y):
        return tf.reduce_sum(tf.abs(tf.cast(net(X, training=False) - y, tf.float64)), axis=0)

    # Compiled steps (eager Keras is about ten times slower), traced once for any batch
    # size when the data is a tf.data.Dataset: tracing an unrolled RNN takes seconds.
    train_step = _compile(train_step, train_iter)
    error_step = _compile(error_step, valid_iter)

    def sums(step, data_iter):
        total, count = 0.0, 0
        for X, y in data_iter:
            total = total + step(X, y).numpy()
            count += int(y.shape[0])
        return np.asarray(total), count

    best = net.get_weights()
    stop = False
    while not stop:
        optimizer.learning_rate.assign(monitor.learning_rate())
        train_mae = monitor.riders(*sums(train_step, train_iter))
        valid_mae = monitor.riders(*sums(error_step, valid_iter))
        improved, stop = monitor.end_epoch(train_mae, valid_mae)
        if improved:
            best = net.get_weights()
    net.set_weights(best)
    return monitor.best


def predict_windows(net: Any, data_iter: Iterable[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The predictions of `net` on every batch of `data_iter` and the targets, as two
    numpy arrays of shape (examples, outputs), in the order of the batches."""
    kwargs = {"training": False} if isinstance(net, tf.keras.layers.Layer) else {}
    preds, ys = [], []
    for X, y in data_iter:
        preds.append(np.asarray(net(X, **kwargs)))
        ys.append(np.asarray(y))
    if not ys:
        raise ValueError("data_iter yielded no examples")
    return np.concatenate(preds), np.concatenate(ys)


def predict(net: Any, X: Any, batch_size: int = 256) -> np.ndarray:
    """The outputs of `net` for the examples X (the first axis), as one numpy array.

    Runs in batches and in prediction mode, like `predict_windows`; for forecasts
    built step by step from numpy windows, e.g. when feeding a model its own output.
    """
    X = _to_numpy(X).astype(np.float32)
    dummy_targets = np.zeros(len(X), dtype=np.float32)  # predict_windows wants (X, y) batches
    preds, _ = predict_windows(net, load_array((X, dummy_targets), batch_size, shuffle=False))
    return preds
