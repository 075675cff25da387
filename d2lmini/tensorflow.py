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
                   _check_device_index, _mean_loss, _record_result, _seed_python_numpy,
                   plot, set_figsize)
from .data import DATA_HUB, DownloadError, download, extract, load_ridership  # noqa: E402

__all__ = [
    "DATA_HUB", "DownloadError", "Timer", "TrainingPlot", "download", "evaluate_loss",
    "extract", "load_array", "load_ridership", "num_gpus", "plot", "record_result",
    "seed_everything", "set_figsize", "try_gpu",
]

FRAMEWORK = "tensorflow"  # folder name under results/
Device = str  # what try_gpu returns: a device name for `with tf.device(...)`
DataIter = tf.data.Dataset  # what load_array returns


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and TensorFlow, and make TensorFlow ops deterministic."""
    seed = _seed_python_numpy(seed)
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


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
