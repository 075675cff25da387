"""Framework-free helpers: plotting, timing, seeding, input checks and result records.

Only numpy, matplotlib and the standard library are used here; the framework modules
(`d2lmini.torch`, `d2lmini.mxnet`, `d2lmini.tensorflow`) build on top of this file.
Tensors of any framework are accepted wherever numbers are plotted, via `_to_numpy`.
The helpers whose code is the same in every framework but which call a framework's own
pieces (`record_result`, `make_windows`, `fit_forecaster`, ...) are the methods of
`FrameworkHelpers`; each framework module binds them to its pieces.
"""

from __future__ import annotations

import contextlib
import json
import math
import numbers
import os
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes

from ._atomic import replace_atomically

__all__ = ["set_figsize", "plot", "TrainingPlot", "Timer"]

FRAMEWORKS = ("mxnet", "pytorch", "tensorflow")


# ----------------------------------------------------------------------------
# conversions and input checks (private; shared by the framework modules)

def _to_numpy(x: Any) -> np.ndarray:
    """Return `x` as a numpy array; tensors of any framework are recognised by duck typing."""
    if hasattr(x, "asnumpy"):  # MXNet NDArray
        return x.asnumpy()
    if hasattr(x, "detach"):  # PyTorch: drop the autograd graph and leave the GPU first
        x = x.detach()
        x = x.cpu() if hasattr(x, "cpu") else x
    if hasattr(x, "numpy"):  # PyTorch, TensorFlow
        return np.asarray(x.numpy())
    if isinstance(x, (list, tuple)) and any(hasattr(v, "shape") for v in x):
        return np.asarray([_to_numpy(v) for v in x])  # e.g. a list of scalar tensors
    return np.asarray(x)


def _is_scalar(x: Any) -> bool:
    return x is None or np.ndim(_to_numpy(x)) == 0


def _check_int(value: Any, name: str, minimum: int = 0) -> int:
    """Return `value` as an int, or raise TypeError/ValueError naming `name`."""
    # bool is an int subclass, but True as a seed or batch size is always a mistake
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _check_seed(seed: Any) -> int:
    seed = _check_int(seed, "seed")
    if seed >= 2**32:  # numpy's legacy seeding accepts 32 bits only
        raise ValueError(f"seed must be < 2**32, got {seed}")
    return seed


def _check_device_index(i: Any) -> int:
    return _check_int(i, "GPU index i")


def _check_arrays(arrays: Any, batch_size: Any) -> list[tuple[int, ...]]:
    """Check the arguments of `load_array`; return the shapes of the arrays."""
    if not isinstance(arrays, (tuple, list)):
        raise TypeError("arrays must be a tuple of arrays/tensors such as (X, y), "
                        f"got {type(arrays).__name__}")
    shapes = [tuple(int(d) for d in (a.shape if hasattr(a, "shape") else np.shape(a)))
              for a in arrays]
    if not shapes:
        raise ValueError("arrays is empty; pass a tuple such as (X, y)")
    if any(len(s) == 0 for s in shapes):
        raise ValueError(f"every array needs a first (example) dimension, got shapes {shapes}")
    if len({s[0] for s in shapes}) > 1:
        raise ValueError(f"arrays must have the same first dimension, got shapes {shapes}")
    if shapes[0][0] == 0:
        raise ValueError(f"arrays hold no examples, got shapes {shapes}")
    _check_int(batch_size, "batch_size", minimum=1)
    return shapes


def _as_series(S: Any, name: str) -> list[np.ndarray]:
    """Turn one series or a list of series (or a 2-D array, one series a row) into 1-D arrays."""
    if isinstance(S, (list, tuple)) and len(S) > 0 and not _is_scalar(S[0]):
        series = [_to_numpy(s) for s in S]
    else:
        arr = _to_numpy(S)
        series = list(arr) if arr.ndim == 2 else [arr]
    for i, s in enumerate(series):
        if s.ndim != 1:
            raise ValueError(f"{name} series {i} must be 1-D, got shape {s.shape}")
    return series


def _check_series(X: list[np.ndarray], Y: list[np.ndarray]) -> tuple[list, list]:
    """Pair up X and Y series; one X series is shared by all Y series."""
    if len(X) == 1 and len(Y) > 1:
        X = X * len(Y)
    if len(X) != len(Y):
        raise ValueError(f"got {len(X)} X series but {len(Y)} Y series; "
                         "pass one X series for all, or one per Y series")
    for i, (x, y) in enumerate(zip(X, Y)):
        if len(x) != len(y):
            raise ValueError(f"series {i}: X has {len(x)} points but Y has {len(y)}")
    return X, Y


def _check_legend(legend: Any, n: int | None) -> list[str] | None:
    if not legend:
        return None
    legend = [legend] if isinstance(legend, str) else [str(s) for s in legend]
    if n is not None and len(legend) != n:
        raise ValueError(f"legend has {len(legend)} entries {legend} but there are {n} series")
    return legend


def _check_figsize(figsize: Any) -> tuple[float, float]:
    try:
        w, h = (float(v) for v in figsize)
    except (TypeError, ValueError):
        raise TypeError(f"figsize must be (width, height) in inches, got {figsize!r}") from None
    if not (w > 0 and h > 0):
        raise ValueError(f"figsize must be positive, got {figsize!r}")
    return w, h


# ----------------------------------------------------------------------------
# plotting

def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where rich display outputs are recorded)."""
    ipython = sys.modules.get("IPython")  # never import IPython just to ask
    shell = ipython.get_ipython() if ipython is not None else None
    return getattr(shell, "kernel", None) is not None


def _use_png() -> None:
    """Ask the inline backend for PNG output (small, stable notebooks); no-op elsewhere."""
    if not _in_notebook():
        return  # set_matplotlib_formats would create an IPython shell otherwise
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:
        return
    set_matplotlib_formats("png")


def set_figsize(figsize: tuple[float, float] = (3.5, 2.5)) -> None:
    """Use PNG figures in notebooks and set matplotlib's default figure size (inches)."""
    _use_png()
    plt.rcParams["figure.figsize"] = _check_figsize(figsize)


def _set_axes(axes: Axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend) -> None:
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    axes.set_xscale(xscale)
    axes.set_yscale(yscale)
    if xlim is not None:
        axes.set_xlim(xlim)
    if ylim is not None:
        axes.set_ylim(ylim)
    if legend:
        axes.legend(legend)
    axes.grid(True)


def plot(X: Any, Y: Any = None, xlabel: str | None = None, ylabel: str | None = None,
         legend: Sequence[str] | None = None, xlim: tuple[float, float] | None = None,
         ylim: tuple[float, float] | None = None, xscale: str = "linear",
         yscale: str = "linear", fmts: Sequence[str] = ("-", "m--", "g-.", "r:"),
         figsize: tuple[float, float] = (3.5, 2.5), axes: Axes | None = None) -> None:
    """Plot one or more series.

    X and Y may each be one series or a list of series (numpy arrays, lists, or tensors
    of any framework). Without Y, X holds the y values and is plotted against 0, 1, ...
    A single X series is shared by all Y series. Line formats in `fmts` repeat cyclically.
    Draws on `axes` if given, else on the current axes of a `figsize` figure; to adjust
    the plot afterwards, pass your own `axes` (or use `plt.gca()`). Returns nothing, so a
    plotting cell shows only the figure.
    """
    X = _as_series(X, "X")
    if Y is None:
        X, Y = [np.arange(len(y)) for y in X], X
    else:
        Y = _as_series(Y, "Y")
    X, Y = _check_series(X, Y)
    legend = _check_legend(legend, len(Y))
    fmts = [fmts] if isinstance(fmts, str) else list(fmts)
    if not fmts:
        raise ValueError("fmts must name at least one line format, e.g. ('-',)")
    if axes is None:
        set_figsize(figsize)
        axes = plt.gca()
    axes.cla()  # redraw from scratch so repeated calls (TrainingPlot) don't stack lines
    for i, (x, y) in enumerate(zip(X, Y)):
        axes.plot(x, y, fmts[i % len(fmts)])
    _set_axes(axes, xlabel, ylabel, xlim, ylim, xscale, yscale, legend)


class TrainingPlot:
    """A live plot of training curves, e.g. train and validation loss per epoch.

    In Jupyter the figure is displayed once and then updated in place, so the cell keeps
    exactly one output that ends as the final picture. Elsewhere it just draws.

    >>> fig = TrainingPlot(legend=["train", "valid"], yscale="log")
    >>> for epoch in range(3):
    ...     fig.add(epoch + 1, [1 / (epoch + 1), 2 / (epoch + 1)])
    """

    def __init__(self, xlabel: str | None = "epoch", ylabel: str | None = None,
                 legend: Sequence[str] | None = None, xlim: tuple[float, float] | None = None,
                 ylim: tuple[float, float] | None = None, yscale: str = "linear",
                 figsize: tuple[float, float] = (3.5, 2.5)) -> None:
        _use_png()
        self.legend = _check_legend(legend, None)
        self.config = dict(xlabel=xlabel, ylabel=ylabel, legend=self.legend,
                           xlim=xlim, ylim=ylim, yscale=yscale)
        self.fig, self.axes = plt.subplots(figsize=_check_figsize(figsize))
        self.X: list[list[float]] = []
        self.Y: list[list[float]] = []
        self._handle = None
        if _in_notebook():
            # We show the figure ourselves via display(); closing it here stops the inline
            # backend from showing a second copy when the cell finishes.
            plt.close(self.fig)

    def add(self, x: float, ys: Sequence[float], redraw: bool = True) -> None:
        """Add the point (x, ys[i]) to each curve i and redraw.

        `ys` has one value per curve (a single number is fine for one curve); a None
        skips that curve, e.g. a validation loss computed every other epoch. With
        `redraw=False` the point is only stored, to be shown by the next redraw.
        """
        ys = [ys] if _is_scalar(ys) else list(ys)
        n = len(self.legend) if self.legend else len(self.Y) or len(ys)
        if len(ys) != n:
            named = f"legend {self.legend}" if self.legend else "earlier calls"
            raise ValueError(f"expected {n} y values (one per curve, as in the {named}), "
                             f"got {len(ys)}")
        if not self.Y:
            self.X, self.Y = [[] for _ in ys], [[] for _ in ys]
        x = float(_to_numpy(x))
        for xs_i, ys_i, y in zip(self.X, self.Y, ys):
            if y is not None:
                xs_i.append(x)
                ys_i.append(float(_to_numpy(y)))
        if redraw:
            plot(self.X, self.Y, axes=self.axes, **self.config)
            self._show()

    def _show(self) -> None:
        if not _in_notebook():
            self.fig.canvas.draw_idle()
            return
        from IPython.display import display
        if self._handle is None:
            self._handle = display(self.fig, display_id=True)
        else:
            self._handle.update(self.fig)  # replace the earlier picture, don't append one


# ----------------------------------------------------------------------------
# timing and seeding

class Timer:
    """Record running times; the clock starts when the Timer is created."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.start()

    def start(self) -> None:
        """Start (or restart) the clock."""
        self._tik = time.perf_counter()

    def stop(self) -> float:
        """Stop the clock, record the interval and return it in seconds."""
        self.times.append(time.perf_counter() - self._tik)
        return self.times[-1]

    def avg(self) -> float:
        """Mean of the recorded intervals (0.0 if none)."""
        return self.sum() / len(self.times) if self.times else 0.0

    def sum(self) -> float:
        """Total of the recorded intervals."""
        return float(sum(self.times))

    def cumsum(self) -> list[float]:
        """Running totals of the recorded intervals."""
        return np.cumsum(self.times).tolist()


def _seed_python_numpy(seed: int) -> int:
    """Seed Python's and numpy's global generators after checking `seed`; return it."""
    seed = _check_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    return seed


def _batch_loss_sum(loss: Any, n: int) -> float:
    """Sum over a batch of `n` examples of the per-example losses, given `loss` as
    one value per example (averaged over any further axes) or as the batch mean."""
    loss = _to_numpy(loss).astype(np.float64)
    if loss.size == 1:
        return float(loss.reshape(())) * n
    if loss.shape[0] != n:
        raise ValueError(f"loss must return one value per example ({n}) or the batch mean, "
                         f"got shape {loss.shape}")
    return float(loss.reshape(n, -1).mean(axis=1).sum())


def _mean_loss(total: float, count: int) -> float:
    if count == 0:
        raise ValueError("data_iter yielded no examples")
    return total / count


def _stack_predictions(preds: list[np.ndarray], ys: list[np.ndarray]
                       ) -> tuple[np.ndarray, np.ndarray]:
    """The batches of predictions and of targets of `predict_windows`, each as one array."""
    if not ys:
        raise ValueError("data_iter yielded no examples")
    return np.concatenate(preds), np.concatenate(ys)


# ----------------------------------------------------------------------------
# result records: results/<framework>/<page>.json, compared across frameworks by the book

def _repository_root() -> Path | None:
    """The book's repository (the first folder upwards holding _config.yml and d2lmini/)."""
    cwd = Path.cwd()
    for folder in (cwd, *cwd.parents):
        if (folder / "_config.yml").is_file() and (folder / "d2lmini").is_dir():
            return folder
    return None


def _results_dir(framework: str) -> Path:
    """$D2LMINI_RESULTS_DIR/<fw>, else <repo root>/results/<fw>, else ./results/<fw>."""
    if os.environ.get("D2LMINI_RESULTS_DIR"):
        return Path(os.environ["D2LMINI_RESULTS_DIR"]) / framework
    # notebooks run from their own folder; the repo root is recognised by its markers
    return (_repository_root() or Path.cwd()) / "results" / framework


def _training_path(framework: str, page: str) -> Path:
    """Where training costs go: beside the results folder, in training/<fw>/<page>.json."""
    return _results_dir(framework).parent / "training" / framework / f"{page}.json"


def _check_name(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, got {type(value).__name__} {value!r}")
    if not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _check_file_stem(page: str) -> str:
    if any(sep in page for sep in ("/", "\\", os.sep)) or page in (".", ".."):
        raise ValueError(f"page must be a plain file stem such as 'rnn-scratch', got {page!r}")
    return page


def _write_json_atomically(path: Path, data: Any) -> None:
    """Write `data` as JSON; a crash never leaves half a file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with replace_atomically(path) as f:
        f.write(json.dumps(data, indent=1) + "\n")


def _read_json(path: Path, default: Any) -> Any:
    """The JSON in `path`, or `default` if there is no such file; a ValueError naming
    the file when it is not valid JSON."""
    if not path.exists():
        return default
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON ({e}): it was damaged or edited by hand; "
                         "restore it (git checkout) or delete it and re-run the page") from None


def _read_rows(path: Path) -> list[dict]:
    """The rows of a results file; a ValueError naming the file when they are not rows."""
    rows = _read_json(path, [])
    keys = {"page", "model", "metric", "value", "seed"}
    if not isinstance(rows, list) or not all(isinstance(r, dict) and keys <= r.keys() for r in rows):
        raise ValueError(f"{path} is not a results file: expected a JSON list of rows with the keys "
                         f"{', '.join(sorted(keys))}; restore it (git checkout) or delete it")
    return rows


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive lock on `folder` (flock on Linux and macOS), so that processes
    updating the files in it one after another lose none of each other's rows."""
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # Windows: no flock; concurrent writers there may lose rows
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


# ----------------------------------------------------------------------------
# forecasting: windows cut from a series, and the training loop's bookkeeping

def _window_arrays(series: Any, seq_length: Any, ahead: Any,
                   targets: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Every window of `seq_length` steps of `series` and the `ahead` target steps after it.

    `series` has shape (T,) or (T, C); the windows have shape (N, seq_length) or
    (N, seq_length, C), with N = T - seq_length - ahead + 1. The targets come from
    `targets` (shape (T,) or (T, K), aligned with `series`), by default from `series`
    itself (which must then be 1-D), and have shape (N, ahead * K): the K values of the
    first day after the window, then those of the second day, and so on.
    """
    x = _to_numpy(series).astype(np.float32)
    if x.ndim not in (1, 2):
        raise ValueError(f"series must have shape (T,) or (T, C), got {x.shape}")
    seq_length = _check_int(seq_length, "seq_length", minimum=1)
    ahead = _check_int(ahead, "ahead", minimum=1)
    if targets is None:
        if x.ndim != 1:
            raise ValueError("a series with several columns needs `targets`: which "
                             "series to forecast, e.g. targets=series[:, 0]")
        y = x
    else:
        y = _to_numpy(targets).astype(np.float32)
        if y.ndim not in (1, 2) or len(y) != len(x):
            raise ValueError(f"targets must have shape ({len(x)},) or ({len(x)}, K) like "
                             f"series {x.shape}, got {y.shape}")
    n = len(x) - seq_length - ahead + 1
    if n < 1:
        raise ValueError(f"a series of {len(x)} steps is too short for windows of "
                         f"{seq_length} steps with {ahead} target step(s)")
    y2 = y.reshape(len(y), -1)
    X = np.lib.stride_tricks.sliding_window_view(x, seq_length, axis=0)[:n]
    if x.ndim == 2:
        X = np.moveaxis(X, -1, 1)  # (N, C, seq_length) -> (N, seq_length, C)
    Y = np.lib.stride_tricks.sliding_window_view(y2[seq_length:], ahead, axis=0)[:n]
    Y = np.moveaxis(Y, -1, 1).reshape(n, -1)  # (N, K, ahead) -> (N, ahead * K)
    return np.array(X, order="C"), np.array(Y, order="C")  # writable copies


def _seq2seq_arrays(series: Any, seq_length: Any, ahead: Any,
                    targets: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """The windows of `_window_arrays`, with targets for every step of each window.

    Step s of window i is day i + s of `series`; its targets are the `ahead` days after
    it, i + s + 1 .. i + s + ahead, so Y has shape (N, seq_length, ahead * K), day by day
    like `_window_arrays`, whose targets equal Y[:, -1]. N is the same as there.
    """
    X, _ = _window_arrays(series, seq_length, ahead, targets)  # checks every argument
    y = _to_numpy(series if targets is None else targets).astype(np.float32)
    y2 = y.reshape(len(y), -1)
    # day t's targets: days t + 1 .. t + ahead, flattened day by day
    A = np.lib.stride_tricks.sliding_window_view(y2[1:], int(ahead), axis=0)
    A = np.moveaxis(A, -1, 1).reshape(len(A), -1)  # (T - ahead, ahead * K)
    Y = np.lib.stride_tricks.sliding_window_view(A, int(seq_length), axis=0)[:len(X)]
    return X, np.array(np.moveaxis(Y, -1, 1), order="C")  # (N, seq_length, ahead * K)


class _FitMonitor:
    """Bookkeeping of `fit_forecaster`: the unscaled MAE, best epoch, patience and the plot."""

    def __init__(self, num_epochs: Any, lr: Any, patience: Any, delta: Any, scale: Any,
                 plot_every: Any, ylabel: Any = "MAE") -> None:
        self.num_epochs = _check_int(num_epochs, "num_epochs", minimum=1)
        for value, name in ((lr, "lr"), (delta, "delta")):
            if isinstance(value, bool) or not isinstance(value, numbers.Real):
                raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
            if not value > 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}")
        self.lr = float(lr)
        self.patience = (self.num_epochs if patience is None
                         else _check_int(patience, "patience", minimum=1))
        self.scale = np.atleast_1d(np.asarray(scale, dtype=np.float64))
        if self.scale.ndim != 1 or not np.all(self.scale > 0):
            raise ValueError(f"scale must be a positive number or one per output, got {scale!r}")
        self.plot_every = _check_int(plot_every, "plot_every")
        if not isinstance(ylabel, str):
            raise TypeError(f"ylabel must be a str, got {type(ylabel).__name__} {ylabel!r}")
        self.fig = (TrainingPlot(ylabel=ylabel, legend=["train", "valid"])
                    if self.plot_every else None)
        self.best, self.best_epoch, self.epoch = math.inf, 0, 0

    def learning_rate(self) -> float:
        """The learning rate of the coming epoch: a cosine decay from lr to 0 over
        num_epochs (epoch e of E uses lr * (1 + cos(pi * e / E)) / 2)."""
        return self.lr * (1 + math.cos(math.pi * self.epoch / self.num_epochs)) / 2

    def unscaled_mae(self, abs_error_sum: np.ndarray, count: int) -> float:
        """Mean over outputs of the MAE times `scale`, from per-output sums of |error|."""
        if count == 0:
            raise ValueError("the data yielded no examples")
        mae = np.asarray(abs_error_sum, dtype=np.float64).reshape(-1) / count
        if self.scale.size not in (1, mae.size):
            raise ValueError(f"scale has {self.scale.size} values but the net has "
                             f"{mae.size} outputs")
        return float(np.mean(mae * self.scale))

    def end_epoch(self, train_mae: float, valid_mae: float) -> tuple[bool, bool]:
        """Record an epoch; return (the validation MAE improved, training should stop)."""
        self.epoch += 1
        improved = valid_mae < self.best
        if improved:
            self.best, self.best_epoch = valid_mae, self.epoch
        stop = (self.epoch >= self.num_epochs
                or self.epoch - self.best_epoch >= self.patience)
        if self.fig is not None:  # redrawing costs time: every plot_every epochs and at the end
            redraw = stop or self.epoch % self.plot_every == 0
            self.fig.add(self.epoch, [train_mae, valid_mae], redraw=redraw)
        return improved, stop


class ForecastTrainer(Protocol):
    """What `fit_forecaster` needs from a framework: one object per training run.

    It is made as ``trainer(net, train_iter, valid_iter, lr, delta)``, which puts the
    net where it trains and makes Adam (learning rate `lr`) and the Huber loss (quadratic
    below `delta`). Sums of |error| are per output, in float64, with the example count.
    """

    def set_learning_rate(self, lr: float) -> None:
        """Use `lr` from the next update on."""

    def train_epoch(self) -> tuple[np.ndarray, int]:
        """One pass of updates over train_iter; the sums of |y_hat - y| and the count."""

    def valid_error_sums(self) -> tuple[np.ndarray, int]:
        """The sums of |y_hat - y| over valid_iter in prediction mode, and the count."""

    def get_weights(self) -> Any:
        """A copy of the net's weights, which later updates leave unchanged."""

    def set_weights(self, weights: Any) -> None:
        """Give the net the weights that `get_weights` returned."""


# ----------------------------------------------------------------------------
# the helpers that every framework module exposes with the same code

DataIter = Any  # in each framework module: the type that its load_array returns

#: The public names of d2lmini.mxnet, d2lmini.torch and d2lmini.tensorflow (their __all__).
PUBLIC_NAMES = (
    "DATA_HUB", "DownloadError", "RIDERSHIP_SCALE", "Timer", "TrainingPlot", "Vocab",
    "download", "evaluate_loss", "extract", "fit_forecaster", "load_array", "load_benchmark",
    "load_names", "load_results", "load_ridership", "load_time_machine", "load_training",
    "make_seq2seq_windows", "make_windows", "num_gpus", "plot", "predict", "predict_windows",
    "record_result", "record_training", "seed_everything", "set_figsize", "try_gpu",
)


class FrameworkHelpers:
    """The helpers whose code is the same in every framework, bound to one framework.

    A framework module makes one instance, from its framework's name (its folder under
    results/) and the few framework-specific pieces these helpers call: its
    `load_array`, its `predict_windows`, a function that counts a net's trainable
    parameters, and its `ForecastTrainer` class. It then exports the instance's
    `functions()` under their own names, so that `d2l.record_result` has the same
    signature and docstring in every framework (they are bound methods).
    """

    def __init__(self, framework: str, *, load_array: Callable[..., Any],
                 predict_windows: Callable[..., tuple[np.ndarray, np.ndarray]],
                 count_params: Callable[[Any], int], trainer: Callable[..., ForecastTrainer]
                 ) -> None:
        if framework not in FRAMEWORKS:
            raise ValueError(f"framework must be one of {FRAMEWORKS}, got {framework!r}")
        self.framework = framework
        self._load_array = load_array
        self._predict_windows = predict_windows
        self._count_params = count_params
        self._trainer = trainer

    def functions(self) -> SharedFunctions:
        """The bound helpers, in the order of `SharedFunctions`' fields."""
        return SharedFunctions(*(getattr(self, name) for name in SharedFunctions._fields))

    # -- result records --------------------------------------------------------

    def record_result(self, page: str, model: str, metric: str, value: float, seed: int) -> Path:
        """Insert or update the row (model, metric) of results/<framework>/<page>.json;
        return its path. <framework> is the module's FRAMEWORK: mxnet, pytorch or tensorflow.

        The folder is $D2LMINI_RESULTS_DIR/<framework> if set, else results/<framework> in
        the book's repository root (found from the working directory), else
        ./results/<framework>.
        """
        page, model, metric = (_check_name(v, n) for v, n in
                               ((page, "page"), (model, "model"), (metric, "metric")))
        _check_file_stem(page)
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"value must be a real number (use float(...) on tensors), "
                            f"got {type(value).__name__} {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"value must be finite, got {value!r}")
        seed = _check_seed(seed)
        path = _results_dir(self.framework) / f"{page}.json"
        with _locked(path.parent):  # read, update and replace as one step
            rows = [r for r in _read_rows(path) if (r["model"], r["metric"]) != (model, metric)]
            rows.append(dict(page=page, model=model, metric=metric, value=float(value), seed=seed))
            rows.sort(key=lambda r: (r["model"], r["metric"]))
            _write_json_atomically(path, rows)
        return path

    def load_results(self, page: str) -> list[dict]:
        """The rows recorded by `record_result` for `page` (dicts with page, model, metric,
        value, seed), read from the folder that `record_result` writes to; [] if none."""
        page = _check_file_stem(_check_name(page, "page"))
        return _read_rows(_results_dir(self.framework) / f"{page}.json")

    def record_training(self, page: str, model: str, net: Any, seconds: float) -> Path:
        """Record what training `net` cost: its trainable parameters and `seconds`, under
        `model` in results/training/<framework>/<page>.json; return the file's path.

        Times depend on the machine, so they are kept apart from the results files, which
        re-executions must reproduce exactly; the folder follows $D2LMINI_RESULTS_DIR like
        `record_result`'s (its parent's training/<framework>/). `make benchmark` collects
        both figures as `params` and `train_seconds`.
        """
        params = self._count_params(net)
        page = _check_file_stem(_check_name(page, "page"))
        model = _check_name(model, "model")
        if isinstance(seconds, bool) or not isinstance(seconds, numbers.Real):
            raise TypeError(f"seconds must be a real number, got {type(seconds).__name__} "
                            f"{seconds!r}")
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"seconds must be finite and >= 0, got {seconds!r}")
        path = _training_path(self.framework, page)
        with _locked(path.parent):
            models = _read_json(path, {})
            models[model] = {"params": int(params), "seconds": round(float(seconds), 3)}
            _write_json_atomically(path, dict(sorted(models.items())))
        return path

    def load_training(self, page: str) -> dict[str, dict[str, float]]:
        """model -> {"params": ..., "seconds": ...} recorded by `record_training` for `page`,
        from the folder that `record_training` writes to; {} if none."""
        page = _check_file_stem(_check_name(page, "page"))
        return _read_json(_training_path(self.framework, page), {})

    def load_benchmark(self, page: str) -> dict[tuple[str, str], float]:
        """(model, metric) -> the median over the seeds of `make benchmark`, read from the
        book's committed results/benchmark/<framework>/<page>.json; {} outside a clone of
        the book (Colab, an assignment) or when the page has no benchmark."""
        page = _check_file_stem(_check_name(page, "page"))
        root = _repository_root()
        if root is None:
            return {}
        path = root / "results" / "benchmark" / self.framework / f"{page}.json"
        if not path.is_file():
            return {}
        figures = json.loads(path.read_text())["figures"]
        return {(f["model"], f["metric"]): f["median"] for f in figures}

    # -- forecasting -----------------------------------------------------------

    def make_windows(self, series: Any, seq_length: int, ahead: int = 1, batch_size: int = 32,
                     shuffle: bool = False, targets: Any = None) -> DataIter:
        """Batches of (windows of `seq_length` steps, the `ahead` target steps after each).

        `series` of shape (T,) gives windows of shape (batch, seq_length); of shape (T, C),
        windows of shape (batch, seq_length, C). Targets are taken from `targets` (shape
        (T,) or (T, K), aligned with `series`), by default from `series` itself, and have
        shape (batch, ahead * K), day by day. A series of T steps gives
        T - seq_length - ahead + 1 examples. Shuffled orders repeat after `seed_everything`.
        """
        X, Y = _window_arrays(series, seq_length, ahead, targets)
        return self._load_array((X, Y), batch_size, shuffle=shuffle)

    def make_seq2seq_windows(self, series: Any, seq_length: int, ahead: int,
                             batch_size: int = 32, shuffle: bool = False,
                             targets: Any = None) -> DataIter:
        """Like `make_windows`, but with targets for every step of each window.

        The windows are those of `make_windows`; the targets have shape
        (batch, seq_length, ahead * K): at step s, the `ahead` days after day s of the
        window, day by day, so the targets of the last step are those of `make_windows`.
        """
        X, Y = _seq2seq_arrays(series, seq_length, ahead, targets)
        return self._load_array((X, Y), batch_size, shuffle=shuffle)

    def predict(self, net: Any, X: Any, batch_size: int = 256) -> np.ndarray:
        """The outputs of `net` for the examples X (the first axis), as one numpy array.

        Runs in batches and in prediction mode, like `predict_windows`; for forecasts
        built step by step from numpy windows, e.g. when feeding a model its own output.
        """
        X = _to_numpy(X).astype(np.float32)
        dummy_targets = np.zeros(len(X), dtype=np.float32)  # predict_windows wants (X, y)
        batches = self._load_array((X, dummy_targets), batch_size, shuffle=False)
        preds, _ = self._predict_windows(net, batches)
        return preds

    def fit_forecaster(self, net: Any, train_iter: Iterable[Any], valid_iter: Iterable[Any],
                       num_epochs: int, lr: float, patience: int | None = None,
                       delta: float = 1.0, scale: float | Sequence[float] = 1.0,
                       plot_every: int = 5, ylabel: str = "MAE") -> float:
        """Train a forecaster with Adam on the Huber loss; return its best validation MAE.

        The learning rate decays from `lr` to 0 along a half cosine over `num_epochs`
        epochs. The Huber loss is quadratic for errors below `delta` (in the units of the
        targets) and grows linearly beyond, so a small `delta` makes it close to the MAE.
        After every epoch the MAE on `valid_iter` is computed in the units that `scale`
        converts to (the errors times `scale`, one number or one per output; with several
        outputs, their mean). Training stops after `num_epochs`, or earlier when `patience`
        epochs in a row brought no new best (None: never), and the weights of the best
        epoch are restored. Every `plot_every` epochs (0: never) a live plot shows the
        train and validation MAE, its y axis labelled `ylabel`. The net trains on the GPU
        when there is one (`try_gpu()`): PyTorch and MXNet move its parameters there, where
        they stay, and each batch follows them; TensorFlow places the computation itself.
        """
        monitor = _FitMonitor(num_epochs, lr, patience, delta, scale, plot_every, ylabel)
        trainer = self._trainer(net, train_iter, valid_iter, lr, delta)
        best = None
        stop = False
        while not stop:
            trainer.set_learning_rate(monitor.learning_rate())
            train_mae = monitor.unscaled_mae(*trainer.train_epoch())
            valid_mae = monitor.unscaled_mae(*trainer.valid_error_sums())
            improved, stop = monitor.end_epoch(train_mae, valid_mae)
            if improved:
                best = trainer.get_weights()
        if best is not None:  # None only if no epoch had a finite validation MAE
            trainer.set_weights(best)
        return monitor.best


class SharedFunctions(NamedTuple):
    """The helpers of `FrameworkHelpers.functions()`, one field per public name."""

    record_result: Callable[..., Path]
    load_results: Callable[..., list]
    record_training: Callable[..., Path]
    load_training: Callable[..., dict]
    load_benchmark: Callable[..., dict]
    make_windows: Callable[..., Any]
    make_seq2seq_windows: Callable[..., Any]
    predict: Callable[..., np.ndarray]
    fit_forecaster: Callable[..., float]
