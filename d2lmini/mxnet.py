"""MXNet versions of the d2lmini helpers. Usage: ``from d2lmini import mxnet as d2l``.

Only what MXNet does its own way is written here; the rest comes from `d2lmini.core`
(see `core.FrameworkHelpers`, bound at the end of this file) and `d2lmini.data`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon

from . import core
from .core import (Timer, TrainingPlot, _batch_loss_sum, _check_arrays, _check_device_index,
                   _mean_loss, _seed_python_numpy, _stack_predictions, plot, set_figsize)
from .data import (DATA_HUB, RIDERSHIP_SCALE, DownloadError, download, extract, load_names,
                   load_ridership, load_time_machine)
from .text import Vocab

__all__ = list(core.PUBLIC_NAMES)

FRAMEWORK = "mxnet"  # folder name under results/
Device = mx.Context  # what try_gpu returns
DataIter = gluon.data.DataLoader  # what load_array returns


def seed_everything(seed: int) -> None:
    """Seed Python, numpy (which also drives gluon's shuffling) and MXNet.

    For GPUs it also asks for deterministic cuDNN algorithms, chosen without timing
    runs (autotuning may pick differently per run); the CPU build ignores both settings.
    """
    seed = _seed_python_numpy(seed)
    # read when an operator is created, so they apply to everything built after this
    os.environ.setdefault("MXNET_ENFORCE_DETERMINISM", "1")
    os.environ.setdefault("MXNET_CUDNN_AUTOTUNE_DEFAULT", "0")
    mx.random.seed(seed)  # seeds every device


def num_gpus() -> int:
    """Number of visible GPUs."""
    return mx.context.num_gpus()


def try_gpu(i: int = 0) -> Device:
    """Return GPU i if it exists, else the CPU."""
    i = _check_device_index(i)
    # count first: creating a GPU context on a CPU-only machine makes MXNet log an error
    return mx.gpu(i) if i < num_gpus() else mx.cpu()


def _context_of(net: Any) -> Device:
    """Where `net` computes: the context of its first parameter, else the CPU.

    The evaluation helpers run a net where it is rather than moving it, so that the
    reader's own code that calls it with NDArrays in that context keeps working.
    """
    if isinstance(net, gluon.Block):
        for param in net.collect_params().values():
            return param.list_ctx()[0]
    return mx.cpu()


def _on(ctx: Device, batch: Sequence[Any]) -> list[Any]:
    """The NDArrays of `batch` in `ctx` (no copy where they are there already)."""
    return [a.as_in_context(ctx) if isinstance(a, mx.nd.NDArray) else a for a in batch]


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
    (no dropout). The batches are moved to the context of the net's parameters; the
    net stays where it is.
    """
    ctx = _context_of(net)
    total, count = 0.0, 0
    with autograd.predict_mode():
        for batch in data_iter:
            *X, y = _on(ctx, batch)
            total += _batch_loss_sum(loss(net(*X), y), y.shape[0])
            count += y.shape[0]
    return _mean_loss(total, count)


def _count_params(net: Any) -> int:
    """Trainable parameters of an initialized Gluon block."""
    if not isinstance(net, gluon.Block):
        raise TypeError(f"net must be a gluon.Block, got {type(net).__name__}")
    params = [p for p in net.collect_params().values() if p.grad_req != "null"]
    return int(sum(p.data().size for p in params))


def _abs_error_sums(net: Any, data_iter: Iterable[Any]) -> tuple[np.ndarray, int]:
    ctx = _context_of(net)
    total, count = 0.0, 0
    with autograd.predict_mode():
        for batch in data_iter:
            X, y = _on(ctx, batch)
            total = total + (net(X) - y).abs().sum(axis=0).astype("float64")
            count += y.shape[0]
    return np.asarray(total.asnumpy() if count else total), count


class _GluonTrainer:
    """MXNet's part of `fit_forecaster` (see `d2lmini.core.ForecastTrainer`)."""

    def __init__(self, net: gluon.Block, train_iter: Iterable[Any], valid_iter: Iterable[Any],
                 lr: float, delta: float) -> None:
        self.net, self.train_iter, self.valid_iter = net, train_iter, valid_iter
        self.ctx = try_gpu()
        if _context_of(net) != self.ctx:  # reset_ctx copies every parameter: only when needed
            net.collect_params().reset_ctx(self.ctx)
        self.delta = delta
        self.huber = gluon.loss.HuberLoss(rho=delta)  # the others' Huber loss divided by delta
        self.params = net.collect_params()
        self.trainer = gluon.Trainer(self.params, "adam", {"learning_rate": lr})

    def set_learning_rate(self, lr: float) -> None:
        self.trainer.set_learning_rate(lr)

    def train_epoch(self) -> tuple[np.ndarray, int]:
        total, count = 0.0, 0
        for batch in self.train_iter:
            X, y = _on(self.ctx, batch)
            with autograd.record():
                y_hat = self.net(X)
                l = self.delta * self.huber(y_hat, y)
            l.backward()
            self.trainer.step(y.shape[0])  # the gradient of the summed loss, per example
            total = total + (y_hat - y).abs().sum(axis=0).astype("float64")
            count += y.shape[0]
        return np.asarray(total.asnumpy() if count else 0.0), count

    def valid_error_sums(self) -> tuple[np.ndarray, int]:
        return _abs_error_sums(self.net, self.valid_iter)

    def get_weights(self) -> dict[str, mx.nd.NDArray]:
        return {name: p.data().copy() for name, p in self.params.items()}

    def set_weights(self, weights: dict[str, mx.nd.NDArray]) -> None:
        for name, p in self.params.items():
            # Not p.set_data: after a pass in prediction mode a convolution's weights may
            # sit in oneDNN's own memory layout, which set_data cannot overwrite in place;
            # fresh arrays holding the weights can replace them.
            p._init_impl(weights[name], p.list_ctx())


def predict_windows(net: Any, data_iter: Iterable[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The predictions of `net` on every batch of `data_iter` and the targets, as two
    numpy arrays of shape (examples, outputs), in the order of the batches.

    The windows are moved to the context of the net's parameters; the net stays there."""
    ctx = _context_of(net)
    preds, ys = [], []
    with autograd.predict_mode():
        for X, y in data_iter:
            preds.append(net(X.as_in_context(ctx)).asnumpy())
            ys.append(y.asnumpy())
    return _stack_predictions(preds, ys)


# The helpers written once for every framework, bound to MXNet's pieces defined above.
_shared = core.FrameworkHelpers(FRAMEWORK, load_array=load_array,
                                predict_windows=predict_windows, count_params=_count_params,
                                trainer=_GluonTrainer)
(record_result, load_results, record_training, load_training, load_benchmark,
 make_windows, make_seq2seq_windows, predict, fit_forecaster) = _shared.functions()
