"""TensorFlow (Keras 3) versions of the d2lmini helpers.
Usage: ``from d2lmini import tensorflow as d2l``.

Only what TensorFlow does its own way is written here; the rest comes from `d2lmini.core`
(see `core.FrameworkHelpers`, bound at the end of this file) and `d2lmini.data`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

# Keep `import` quiet unless the user asked otherwise: TensorFlow's C++ side logs notices
# to stderr, and oneDNN's custom ops announce themselves (and make results depend on the
# CPU: README, "Reproducibility").
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from . import core  # noqa: E402
from .core import (Timer, TrainingPlot, _batch_loss_sum, _check_arrays,  # noqa: E402
                   _check_device_index, _mean_loss, _seed_python_numpy, _stack_predictions,
                   plot, set_figsize)
from .data import (DATA_HUB, RIDERSHIP_SCALE, DownloadError, download, extract,  # noqa: E402
                   load_names, load_ridership, load_time_machine)
from .text import Vocab  # noqa: E402

__all__ = list(core.PUBLIC_NAMES)

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


def _count_params(net: Any) -> int:
    """Trainable parameters of a built Keras layer or model."""
    if not isinstance(net, tf.keras.layers.Layer):
        raise TypeError(f"net must be a Keras layer or model, got {type(net).__name__}")
    return int(sum(np.prod(w.shape) for w in net.trainable_weights))


def _compile(step: Callable[..., Any], data_iter: Iterable[Any]) -> Callable[..., Any]:
    """tf.function of `step`, with the batch dimension left open if `data_iter` says
    what its batches look like (a tf.data.Dataset does)."""
    spec = getattr(data_iter, "element_spec", None)
    if isinstance(spec, tuple) and all(isinstance(s, tf.TensorSpec) for s in spec):
        signature = [tf.TensorSpec([None, *s.shape[1:]], s.dtype) for s in spec]
        return tf.function(step, input_signature=signature)
    return tf.function(step, reduce_retracing=True)


class _KerasTrainer:
    """TensorFlow's part of `fit_forecaster` (see `d2lmini.core.ForecastTrainer`)."""

    def __init__(self, net: tf.keras.layers.Layer, train_iter: Iterable[Any],
                 valid_iter: Iterable[Any], lr: float, delta: float) -> None:
        self.net, self.train_iter, self.valid_iter = net, train_iter, valid_iter
        loss = tf.keras.losses.Huber(delta=delta)
        self.optimizer = optimizer = tf.keras.optimizers.Adam(learning_rate=lr)

        def train_step(X, y):
            with tf.GradientTape() as tape:
                y_hat = net(X, training=True)
                l = loss(y, y_hat)
            grads = tape.gradient(l, net.trainable_variables)
            optimizer.apply_gradients(zip(grads, net.trainable_variables))
            return tf.reduce_sum(tf.abs(tf.cast(y_hat - y, tf.float64)), axis=0)

        def error_step(X, y):
            return tf.reduce_sum(tf.abs(tf.cast(net(X, training=False) - y, tf.float64)),
                                 axis=0)

        # Compiled steps (eager Keras is about ten times slower), traced once for any batch
        # size when the data is a tf.data.Dataset: tracing an unrolled RNN takes seconds.
        self.train_step = _compile(train_step, train_iter)
        self.error_step = _compile(error_step, valid_iter)

    def set_learning_rate(self, lr: float) -> None:
        self.optimizer.learning_rate.assign(lr)

    def train_epoch(self) -> tuple[np.ndarray, int]:
        return _sums(self.train_step, self.train_iter)

    def valid_error_sums(self) -> tuple[np.ndarray, int]:
        return _sums(self.error_step, self.valid_iter)

    def get_weights(self) -> list[np.ndarray]:
        return self.net.get_weights()

    def set_weights(self, weights: list[np.ndarray]) -> None:
        self.net.set_weights(weights)


def _sums(step: Callable[..., Any], data_iter: Iterable[Any]) -> tuple[np.ndarray, int]:
    """The per-output sums that `step` returns for each batch, added up, and the count."""
    total, count = 0.0, 0
    for X, y in data_iter:
        total = total + step(X, y).numpy()
        count += int(y.shape[0])
    return np.asarray(total), count


def predict_windows(net: Any, data_iter: Iterable[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The predictions of `net` on every batch of `data_iter` and the targets, as two
    numpy arrays of shape (examples, outputs), in the order of the batches."""
    kwargs = {"training": False} if isinstance(net, tf.keras.layers.Layer) else {}
    preds, ys = [], []
    for X, y in data_iter:
        preds.append(np.asarray(net(X, **kwargs)))
        ys.append(np.asarray(y))
    return _stack_predictions(preds, ys)


# The helpers written once for every framework, bound to TensorFlow's pieces defined above.
_shared = core.FrameworkHelpers(FRAMEWORK, load_array=load_array,
                                predict_windows=predict_windows, count_params=_count_params,
                                trainer=_KerasTrainer)
(record_result, load_results, record_training, load_training, load_benchmark,
 make_windows, make_seq2seq_windows, predict, fit_forecaster) = _shared.functions()
