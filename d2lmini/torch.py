"""PyTorch versions of the d2lmini helpers. Usage: ``from d2lmini import torch as d2l``.

Same names and signatures as `d2lmini.mxnet` and `d2lmini.tensorflow`; framework-free
helpers are re-exported from `d2lmini.core` and `d2lmini.data`.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

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

FRAMEWORK = "pytorch"  # folder name under results/
Device = torch.device  # what try_gpu returns
DataIter = DataLoader  # what load_array returns


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and PyTorch, and make PyTorch use deterministic algorithms.

    On a GPU this also keeps float32 arithmetic in full precision (no TF32 in cuBLAS or
    cuDNN) and makes cuDNN pick the same deterministic algorithms on every run. None of
    these settings changes what a CPU computes.
    """
    seed = _seed_python_numpy(seed)
    # cuBLAS reads this before its first use; without it deterministic mode fails on GPUs
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.manual_seed(seed)  # seeds the CPU and every GPU
    torch.use_deterministic_algorithms(True)
    _use_full_fp32_on_gpu()
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False  # benchmarking may choose differently per run


def _use_full_fp32_on_gpu() -> None:
    """Turn TF32 off in cuBLAS matmuls and cuDNN convolutions and RNNs."""
    matmul, cudnn = torch.backends.cuda.matmul, torch.backends.cudnn
    if hasattr(matmul, "fp32_precision"):  # PyTorch >= 2.9 warns about the old flags
        matmul.fp32_precision = "ieee"
        cudnn.conv.fp32_precision = "ieee"
        cudnn.rnn.fp32_precision = "ieee"
    else:
        matmul.allow_tf32 = False
        cudnn.allow_tf32 = False


def num_gpus() -> int:
    """Number of visible GPUs."""
    return torch.cuda.device_count()


def try_gpu(i: int = 0) -> Device:
    """Return GPU i if it exists, else the CPU."""
    i = _check_device_index(i)
    return torch.device(f"cuda:{i}") if i < num_gpus() else torch.device("cpu")


def _device_of(net: Any) -> Device:
    """Where `net` computes: the device of its first parameter, else the CPU.

    The evaluation helpers run a net where it is rather than moving it, so that the
    reader's own code that calls it with tensors on that device keeps working.
    """
    if isinstance(net, torch.nn.Module):
        for param in net.parameters():
            return param.device
    return torch.device("cpu")


def _on(device: Device, batch: Sequence[Any]) -> list[Any]:
    """The tensors of `batch` on `device` (no copy where they are there already)."""
    return [t.to(device) if isinstance(t, torch.Tensor) else t for t in batch]


def load_array(arrays: Sequence[Any], batch_size: int, shuffle: bool = True) -> DataIter:
    """Iterate over minibatches of a tuple of same-length tensors, e.g. (X, y).

    Shuffled orders repeat after `seed_everything`: the loader has its own generator,
    seeded from torch's seed, so other random draws in between don't change them.
    """
    _check_arrays(arrays, batch_size)
    dataset = TensorDataset(*(torch.as_tensor(a) for a in arrays))
    generator = torch.Generator().manual_seed(torch.initial_seed()) if shuffle else None
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


def evaluate_loss(net: Callable[..., Any], data_iter: Iterable[Any],
                  loss: Callable[..., Any]) -> float:
    """Mean loss per example of `net` over `data_iter` (batches (X, ..., y)).

    `loss` may return one value per example or the batch mean. Modules are put in eval
    mode (no dropout) for the pass and restored afterwards. The batches are moved to the
    device of the net's parameters; the net stays where it is.
    """
    was_training = isinstance(net, torch.nn.Module) and net.training
    if isinstance(net, torch.nn.Module):
        net.eval()
    device = _device_of(net)
    total, count = 0.0, 0
    try:
        with torch.no_grad():
            for batch in data_iter:
                *X, y = _on(device, batch)
                total += _batch_loss_sum(loss(net(*X), y), y.shape[0])
                count += y.shape[0]
    finally:
        if was_training:
            net.train()
    return _mean_loss(total, count)


def record_result(page: str, model: str, metric: str, value: float, seed: int) -> Path:
    """Insert or update the row (model, metric) of results/pytorch/<page>.json; return its path.

    The folder is $D2LMINI_RESULTS_DIR/pytorch if set, else results/pytorch in the book's
    repository root (found from the working directory), else ./results/pytorch.
    """
    return _record_result(FRAMEWORK, page, model, metric, value, seed)


def load_results(page: str) -> list[dict]:
    """The rows recorded by `record_result` for `page` (dicts with page, model, metric,
    value, seed), read from the folder that `record_result` writes to; [] if none."""
    return _load_results(FRAMEWORK, page)


def record_training(page: str, model: str, net: Any, seconds: float) -> Path:
    """Record what training `net` cost: its trainable parameters and `seconds`, under
    `model` in results/training/pytorch/<page>.json; return the file's path.

    Times depend on the machine, so they are kept apart from the results files, which
    re-executions must reproduce exactly; the folder follows $D2LMINI_RESULTS_DIR like
    `record_result`'s (its parent's training/pytorch/). `make benchmark` collects both
    figures as `params` and `train_seconds`.
    """
    return _record_training(FRAMEWORK, page, model, _count_params(net), seconds)


def load_training(page: str) -> dict[str, dict[str, float]]:
    """model -> {"params": ..., "seconds": ...} recorded by `record_training` for `page`,
    from the folder that `record_training` writes to; {} if none."""
    return _load_training(FRAMEWORK, page)


def _count_params(net: Any) -> int:
    """Trainable parameters of a module."""
    if not isinstance(net, torch.nn.Module):
        raise TypeError(f"net must be a torch.nn.Module, got {type(net).__name__}")
    return int(sum(p.numel() for p in net.parameters() if p.requires_grad))


def load_benchmark(page: str) -> dict[tuple[str, str], float]:
    """(model, metric) -> the median over the seeds of `make benchmark`, read from the
    book's committed results/benchmark/pytorch/<page>.json; {} outside a clone of the book
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


def _abs_error_sums(net: torch.nn.Module, data_iter: Iterable[Any]) -> tuple[np.ndarray, int]:
    device = _device_of(net)
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in data_iter:
            X, y = _on(device, batch)
            total = total + (net(X) - y).abs().sum(dim=0).double()
            count += y.shape[0]
    return np.asarray(_to_numpy(total) if count else total), count


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
    live plot shows the train and validation MAE. The net is moved to `try_gpu()` and
    stays there; each batch follows it.
    """
    monitor = _FitMonitor(num_epochs, lr, patience, delta, scale, plot_every)
    device = try_gpu()
    net.to(device)
    loss = torch.nn.HuberLoss(delta=delta)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    best_state = copy.deepcopy(net.state_dict())
    stop = False
    while not stop:
        for group in optimizer.param_groups:
            group["lr"] = monitor.learning_rate()
        net.train()
        train_sum, count = 0.0, 0
        for batch in train_iter:
            X, y = _on(device, batch)
            optimizer.zero_grad()
            y_hat = net(X)
            loss(y_hat, y).backward()
            optimizer.step()
            train_sum = train_sum + (y_hat.detach() - y).abs().sum(dim=0).double()
            count += y.shape[0]
        net.eval()
        train_mae = monitor.riders(np.asarray(_to_numpy(train_sum) if count else 0.0), count)
        valid_mae = monitor.riders(*_abs_error_sums(net, valid_iter))
        improved, stop = monitor.end_epoch(train_mae, valid_mae)
        if improved:
            best_state = copy.deepcopy(net.state_dict())
    net.load_state_dict(best_state)
    return monitor.best


def predict_windows(net: Any, data_iter: Iterable[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The predictions of `net` on every batch of `data_iter` and the targets, as two
    numpy arrays of shape (examples, outputs), in the order of the batches.

    The windows are moved to the device of the net's parameters; the net stays there."""
    if isinstance(net, torch.nn.Module):
        net.eval()
    device = _device_of(net)
    preds, ys = [], []
    with torch.no_grad():
        for X, y in data_iter:
            preds.append(_to_numpy(net(X.to(device))))
            ys.append(_to_numpy(y))
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
