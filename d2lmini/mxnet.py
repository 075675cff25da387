"""MXNet versions of the d2lmini helpers. Usage: ``from d2lmini import mxnet as d2l``.

Same names and signatures as `d2lmini.torch` and `d2lmini.tensorflow`; framework-free
helpers are re-exported from `d2lmini.core` and `d2lmini.data`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon

from .core import (Timer, TrainingPlot, _batch_loss_sum, _check_arrays,
                   _check_device_index, _mean_loss, _record_result, _seed_python_numpy,
                   plot, set_figsize)
from .data import DATA_HUB, DownloadError, download, extract, load_ridership

__all__ = [
    "DATA_HUB", "DownloadError", "Timer", "TrainingPlot", "download", "evaluate_loss",
    "extract", "load_array", "load_ridership", "num_gpus", "plot", "record_result",
    "seed_everything", "set_figsize", "try_gpu",
]

FRAMEWORK = "mxnet"  # folder name under results/
Device = mx.Context  # what try_gpu returns
DataIter = gluon.data.DataLoader  # what load_array returns


def seed_everything(seed: int) -> None:
    """Seed Python, numpy (which also drives gluon's shuffling) and MXNet."""
    seed = _seed_python_numpy(seed)
    mx.random.seed(seed)


def num_gpus() -> int:
    """Number of visible GPUs."""
    return mx.context.num_gpus()


def try_gpu(i: int = 0) -> Device:
    """Return GPU i if it exists, else the CPU."""
    i = _check_device_index(i)
    # count first: creating a GPU context on a CPU-only machine makes MXNet log an error
    return mx.gpu(i) if i < num_gpus() else mx.cpu()


def load_array(arrays: Sequence[Any], batch_size: int, shuffle: bool = True) -> DataIter:
    """Iterate over minibatches of a tuple of same-length arrays, e.g. (X, y).

    Batches are NDArrays with the dtypes given. Gluon shuffles with numpy's global
    generator, so orders repeat after `seed_everything`.
    """
    _check_arrays(arrays, batch_size)
    # numpy storage keeps per-example indexing cheap; batches are converted to NDArrays
    columns = [a.asnumpy() if isinstance(a, mx.nd.NDArray) else np.asarray(a) for a in arrays]
    dataset = gluon.data.ArrayDataset(*columns)
    return gluon.data.DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)


def evaluate_loss(net: Callable[..., Any], data_iter: Iterable[Any],
                  loss: Callable[..., Any]) -> float:
    """Mean loss per example of `net` over `data_iter` (batches (X, ..., y)).

    `loss` may return one value per example or the batch mean. Runs in predict mode
    (no dropout).
    """
    total, count = 0.0, 0
    with autograd.predict_mode():
        for *X, y in data_iter:
            total += _batch_loss_sum(loss(net(*X), y), y.shape[0])
            count += y.shape[0]
    return _mean_loss(total, count)


def record_result(page: str, model: str, metric: str, value: float, seed: int) -> Path:
    """Insert or update the row (model, metric) of results/mxnet/<page>.json; return its path.

    The folder is $D2LMINI_RESULTS_DIR/mxnet if set, else results/mxnet in the book's
    repository root (found from the working directory), else ./results/mxnet.
    """
    return _record_result(FRAMEWORK, page, model, metric, value, seed)
