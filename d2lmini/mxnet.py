"""MXNet versions of the d2lmini helpers. Usage: ``from d2lmini import mxnet as d2l``.

Same names and signatures as `d2lmini.torch` and `d2lmini.tensorflow`; framework-free
helpers are re-exported from `d2lmini.core` and `d2lmini.data`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon

from .core import (Timer, TrainingPlot, _batch_loss_sum, _check_arrays,
                   _check_device_index, _FitMonitor, _load_benchmark, _load_results,
                   _load_training, _mean_loss, _record_training,
                   _record_result, _seed_python_numpy, _seq2seq_arrays, _to_numpy,
                   _window_arrays, plot, set_figsize)
from .data import (DATA_HUB, DownloadError, download, extract, load_names,
                   load_ridership, load_time_machine)
from .text import Vocab

__all__ = [
    "DATA_HUB", "DownloadError", "Timer", "TrainingPlot", "Vocab", "download", "evaluate_loss",
    "extract", "fit_forecaster", "load_array", "load_benchmark", "load_names",
    "load_results", "load_training",
    "load_ridership", "load_time_machine",
    "make_seq2seq_windows", "make_windows", "num_gpus", "plot", "predict", "predict_windows",
    "record_result", "record_training",
    "seed_everything", "set_figsize", "try_gpu",
]

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


def record_result(page: str, model: str, metric: str, value: float, seed: int) -> Path:
    """Insert or update the row (model, metric) of results/mxnet/<page>.json; return its path.

    The folder is $D2LMINI_RESULTS_DIR/mxnet if set, else results/mxnet in the book's
    repository root (found from the working directory), else ./results/mxnet.
    """
    return _record_result(FRAMEWORK, page, model, metric, value, seed)


def load_results(page: str) -> list[dict]:
    """The rows recorded by `record_result` for `page` (dicts with page, model, metric,
    value, seed), read from the folder that `record_result` writes to; [] if none."""
    return _load_results(FRAMEWORK, page)


def record_training(page: str, model: str, net: Any, seconds: float) -> Path:
    """Record what training `net` cost: its trainable parameters and `seconds`, under
    `model` in results/training/mxnet/<page>.json; return the file's path.

    Times depend on the machine, so they are kept apart from the results files, which
    re-executions must reproduce exactly; the folder follows $D2LMINI_RESULTS_DIR like
    `record_result`'s (its parent's training/mxnet/). `make benchmark` collects both
    figures as `params` and `train_seconds`.
    """
    return _record_training(FRAMEWORK, page, model, _count_params(net), seconds)


def load_training(page: str) -> dict[str, dict[str, float]]:
    """model -> {"params": ..., "seconds": ...} recorded by `record_training` for `page`,
    from the folder that `record_training` writes to; {} if none."""
    return _load_training(FRAMEWORK, page)


def _count_params(net: Any) -> int:
    """Trainable parameters of an initialized Gluon block."""
    if not isinstance(net, gluon.Block):
        raise TypeError(f"net must be a gluon.Block, got {type(net).__name__}")
    params = [p for p in net.collect_params().values() if p.grad_req != "null"]
    return int(sum(p.data().size for p in params))


def load_benchmark(page: str) -> dict[tuple[str, str], float]:
    """(model, metric) -> the median over the seeds of `make benchmark`, read from the
    book's committed results/benchmark/mxnet/<page>.json; {} outside a clone of the book
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


def _abs_error_sums(net: Any, data_iter: Iterable[Any]) -> tuple[np.ndarray, int]:
    ctx = _context_of(net)
    total, count = 0.0, 0
    with autograd.predict_mode():
        for batch in data_iter:
            X, y = _on(ctx, batch)
            total = total + (net(X) - y).abs().sum(axis=0).astype("float64")
            count += y.shape[0]
    return np.asarray(total.asnumpy() if count else total), count


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
    live plot shows the train and validation MAE. The net's parameters are moved to
    `try_gpu()` and stay there; each batch follows them.
    """
    monitor = _FitMonitor(num_epochs, lr, patience, delta, scale, plot_every)
    ctx = try_gpu()
    if _context_of(net) != ctx:  # reset_ctx copies every parameter: only when needed
        net.collect_params().reset_ctx(ctx)
    huber = gluon.loss.HuberLoss(rho=delta)  # Gluon's version is the others' divided by delta

    def loss(y_hat, y):
        return delta * huber(y_hat, y)

    params = net.collect_params()
    trainer = gluon.Trainer(params, "adam", {"learning_rate": lr})
    best = None  # copied after the first epoch: parameters may wait for the first batch
    stop = False
    while not stop:
        trainer.set_learning_rate(monitor.learning_rate())
        train_sum, count = 0.0, 0
        for batch in train_iter:
            X, y = _on(ctx, batch)
            with autograd.record():
                y_hat = net(X)
                l = loss(y_hat, y)
            l.backward()
            trainer.step(y.shape[0])  # the gradient of the summed loss, per example
            train_sum = train_sum + (y_hat - y).abs().sum(axis=0).astype("float64")
            count += y.shape[0]
        train_mae = monitor.riders(np.asarray(train_sum.asnumpy() if count else 0.0), count)
        valid_mae = monitor.riders(*_abs_error_sums(net, valid_iter))
        improved, stop = monitor.end_epoch(train_mae, valid_mae)
        if improved:
            best = {name: p.data().copy() for name, p in params.items()}
    for name, p in params.items():  # (valid_mae < inf, so epoch 1 always saved them)
        # Not p.set_data: after a pass in prediction mode a convolution's weights may sit
        # in oneDNN's own memory layout, which set_data cannot overwrite in place
        # ("Check failed: to.IsDefaultData()"); fresh arrays with the best values can.
        p._init_impl(best[name], p.list_ctx())
    return monitor.best


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
