"""PyTorch versions of the d2lmini helpers. Usage: ``from d2lmini import torch as d2l``.

Only what PyTorch does its own way is written here; the rest comes from `d2lmini.core`
(see `core.FrameworkHelpers`, bound at the end of this file) and `d2lmini.data`.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

from . import core
from .core import (Timer, TrainingPlot, _batch_loss_sum, _check_arrays, _check_device_index,
                   _mean_loss, _seed_python_numpy, _stack_predictions, _to_numpy, plot,
                   set_figsize)
from .data import (DATA_HUB, RIDERSHIP_SCALE, DownloadError, download, extract, load_names,
                   load_ridership, load_time_machine)
from .text import Vocab

__all__ = list(core.PUBLIC_NAMES)

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


def _count_params(net: Any) -> int:
    """Trainable parameters of a module."""
    if not isinstance(net, torch.nn.Module):
        raise TypeError(f"net must be a torch.nn.Module, got {type(net).__name__}")
    return int(sum(p.numel() for p in net.parameters() if p.requires_grad))


def _abs_error_sums(net: torch.nn.Module, data_iter: Iterable[Any]) -> tuple[np.ndarray, int]:
    device = _device_of(net)
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in data_iter:
            X, y = _on(device, batch)
            total = total + (net(X) - y).abs().sum(dim=0).double()
            count += y.shape[0]
    return np.asarray(_to_numpy(total) if count else total), count


class _TorchTrainer:
    """PyTorch's part of `fit_forecaster` (see `d2lmini.core.ForecastTrainer`)."""

    def __init__(self, net: torch.nn.Module, train_iter: Iterable[Any],
                 valid_iter: Iterable[Any], lr: float, delta: float) -> None:
        self.net, self.train_iter, self.valid_iter = net, train_iter, valid_iter
        self.device = try_gpu()
        net.to(self.device)
        self.loss = torch.nn.HuberLoss(delta=delta)
        self.optimizer = torch.optim.Adam(net.parameters(), lr=lr)

    def set_learning_rate(self, lr: float) -> None:
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def train_epoch(self) -> tuple[np.ndarray, int]:
        self.net.train()
        total, count = 0.0, 0
        for batch in self.train_iter:
            X, y = _on(self.device, batch)
            self.optimizer.zero_grad()
            y_hat = self.net(X)
            self.loss(y_hat, y).backward()
            self.optimizer.step()
            total = total + (y_hat.detach() - y).abs().sum(dim=0).double()
            count += y.shape[0]
        self.net.eval()
        return np.asarray(_to_numpy(total) if count else 0.0), count

    def valid_error_sums(self) -> tuple[np.ndarray, int]:
        return _abs_error_sums(self.net, self.valid_iter)

    def get_weights(self) -> dict[str, torch.Tensor]:
        return copy.deepcopy(self.net.state_dict())

    def set_weights(self, weights: dict[str, torch.Tensor]) -> None:
        self.net.load_state_dict(weights)


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
    return _stack_predictions(preds, ys)


# The helpers written once for every framework, bound to PyTorch's pieces defined above.
_shared = core.FrameworkHelpers(FRAMEWORK, load_array=load_array,
                                predict_windows=predict_windows, count_params=_count_params,
                                trainer=_TorchTrainer)
(record_result, load_results, record_training, load_training, load_benchmark,
 make_windows, make_seq2seq_windows, predict, fit_forecaster) = _shared.functions()
