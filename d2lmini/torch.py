"""PyTorch versions of the d2lmini helpers. Usage: ``from d2lmini import torch as d2l``.

Same names and signatures as `d2lmini.mxnet` and `d2lmini.tensorflow`; framework-free
helpers are re-exported from `d2lmini.core` and `d2lmini.data`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, TensorDataset

from .core import (Timer, TrainingPlot, _batch_loss_sum, _check_arrays,
                   _check_device_index, _mean_loss, _record_result, _seed_python_numpy,
                   plot, set_figsize)
from .data import DATA_HUB, DownloadError, download, extract, load_ridership

__all__ = [
    "DATA_HUB", "DownloadError", "Timer", "TrainingPlot", "download", "evaluate_loss",
    "extract", "load_array", "load_ridership", "num_gpus", "plot", "record_result",
    "seed_everything", "set_figsize", "try_gpu",
]

FRAMEWORK = "pytorch"  # folder name under results/
Device = torch.device  # what try_gpu returns
DataIter = DataLoader  # what load_array returns


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and PyTorch, and make PyTorch use deterministic algorithms."""
    seed = _seed_python_numpy(seed)
    # cuBLAS reads this before its first use; without it deterministic mode fails on GPUs
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True)


def num_gpus() -> int:
    """Number of visible GPUs."""
    return torch.cuda.device_count()


def try_gpu(i: int = 0) -> Device:
    """Return GPU i if it exists, else the CPU."""
    i = _check_device_index(i)
    return torch.device(f"cuda:{i}") if i < num_gpus() else torch.device("cpu")


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
    mode (no dropout) for the pass and restored afterwards.
    """
    was_training = isinstance(net, torch.nn.Module) and net.training
    if isinstance(net, torch.nn.Module):
        net.eval()
    total, count = 0.0, 0
    try:
        with torch.no_grad():
            for *X, y in data_iter:
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
