"""The kernel side of `make speed` (tools/speed.py): imported by a copy of a framework's
ridership_rnns notebook, it trains four of the page's models twice, with the published
recipe and with the book's, and records each epoch's kernel CPU seconds and validation MAE.

`install` replaces ``d2l.fit_forecaster`` for the rest of the notebook. When the page
trains one of the four models (found by the page's variable that holds the net), the
replacement takes the net's initial weights, trains it with the published recipe, puts
the initial weights back and trains it with the book's (the page's own arguments), then
leaves the net with the book's best weights and returns that MAE, so that the page's
later cells run as they would. Each training starts from `d2l.seed_everything(seed)`.
Every other call goes to the real function. `save` writes what was measured as JSON.

Both recipes run fit_forecaster itself, without the live plot, on the framework's own
trainer (the private piece fit_forecaster is made of) wrapped to time each epoch; only
the optimizer, the learning-rate schedule, the data scaling and the stopping rule
differ, and those are the recipes.
"""

from __future__ import annotations

import copy
import inspect
import json
import time
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

# The published recipe, from the chapter-15 notebook of Geron's "Hands-On Machine Learning"
# (3rd edition, TensorFlow): `fit_and_evaluate` with SGD, momentum 0.9, a constant learning
# rate, at most 500 epochs, early stopping with patience 50 on the validation MAE (best
# weights restored), Keras' Huber loss (delta 1), batches of 32, values divided by 1e6.
PUBLISHED = dict(num_epochs=500, patience=50, delta=1.0, momentum=0.9, scale=1e6)
PUBLISHED_LR = {"linear": 0.02, "simple_rnn": 0.05, "deep_rnn": 0.01, "multivariate": 0.05}
# The variable that holds each model's net on the page -> the model's name in results/.
PAGE_VARIABLES = {"linear": "linear", "rnn": "simple_rnn", "deep": "deep_rnn",
                  "mv": "multivariate"}

_measured: dict[str, dict[str, Any]] = {}


class _TimedTrainer:
    """A framework's trainer as fit_forecaster drives it, recording after every epoch the
    kernel CPU seconds since the first one began and the validation MAE (in the units of
    `scale`, as fit_forecaster computes it); with `constant_lr`, it ignores the cosine
    schedule and keeps that learning rate (the published recipe)."""

    def __init__(self, inner: Any, scale: Any, constant_lr: float | None = None) -> None:
        self.inner, self.constant_lr = inner, constant_lr
        self.scale = np.atleast_1d(np.asarray(scale, dtype=np.float64))  # one, or per output
        self.history: list[list[float]] = []
        self.start: float | None = None

    def set_learning_rate(self, lr: float) -> None:
        self.inner.set_learning_rate(lr if self.constant_lr is None else self.constant_lr)

    def train_epoch(self) -> Any:
        if self.start is None:
            self.start = time.process_time()
        return self.inner.train_epoch()

    def valid_error_sums(self) -> Any:
        sums, count = self.inner.valid_error_sums()
        mae = float(np.mean(np.asarray(sums, dtype=np.float64).reshape(-1) / count * self.scale))
        self.history.append([round(time.process_time() - self.start, 4), mae])
        return sums, count

    def get_weights(self) -> Any:
        return self.inner.get_weights()

    def set_weights(self, weights: Any) -> None:
        self.inner.set_weights(weights)


def _timed_fit(helpers: Any, trainer: Any, scale: Any, constant_lr: float | None,
               net: Any, train_iter: Any, valid_iter: Any, num_epochs: int, lr: float,
               patience: int | None, delta: float) -> tuple[float, list[list[float]]]:
    """d2l.fit_forecaster itself (its loop, schedule, patience and best-weights restore),
    without the live plot, on `trainer`: the best validation MAE it returns and the
    per-epoch [CPU seconds, validation MAE]."""
    timed: list[_TimedTrainer] = []

    def make(*args: Any) -> _TimedTrainer:
        timed.append(_TimedTrainer(trainer(*args), scale, constant_lr))
        return timed[-1]

    helpers = copy.copy(helpers)
    helpers._trainer = make
    best = helpers.fit_forecaster(net, train_iter, valid_iter, num_epochs, lr, patience,
                                  delta, scale, plot_every=0)
    return best, timed[0].history


def _sgd_trainer(framework: str, trainer_class: Any) -> Any:
    """A factory of the framework's trainer with Adam swapped for SGD with the published
    momentum (made as fit_forecaster makes trainers: net, train_iter, valid_iter, lr, delta)."""
    momentum = PUBLISHED["momentum"]

    def make(net: Any, train_iter: Any, valid_iter: Any, lr: float, delta: float) -> Any:
        if framework == "tensorflow":  # the optimizer is baked into the compiled step
            import tensorflow as tf

            def sgd(learning_rate: float) -> Any:
                return tf.keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum)

            with mock.patch.object(tf.keras.optimizers, "Adam", sgd):
                return trainer_class(net, train_iter, valid_iter, lr, delta)
        trainer = trainer_class(net, train_iter, valid_iter, lr, delta)
        if framework == "pytorch":
            import torch

            trainer.optimizer = torch.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
        else:
            from mxnet import gluon

            trainer.trainer = gluon.Trainer(trainer.params, "sgd",
                                            {"learning_rate": lr, "momentum": momentum})
        return trainer

    return make


def _published_windows(d2l: Any, page: dict[str, Any], model: str) -> tuple[Any, Any]:
    """The page's training and validation windows in millions of riders, unstandardized,
    with the page's columns (rail alone, or rail, bus and the next day's type)."""
    import pandas as pd

    millions, period, seq_length = page["millions"], page["period"], page["seq_length"]
    if model == "multivariate":
        frame = pd.concat([millions, page["next_day"]], axis=1)
        train, valid = period(frame, "train"), period(frame, "valid")
        return (d2l.make_windows(train, seq_length, shuffle=True, targets=train[:, 0]),
                d2l.make_windows(valid, seq_length, targets=valid[:, 0]))
    train, valid = period(millions["rail"], "train"), period(millions["rail"], "valid")
    return (d2l.make_windows(train, seq_length, shuffle=True),
            d2l.make_windows(valid, seq_length))


def install(d2l: Any, page: dict[str, Any]) -> None:
    """Replace d2l.fit_forecaster for the rest of the notebook whose globals are `page`."""
    real = d2l.fit_forecaster
    helpers = real.__self__  # the FrameworkHelpers instance whose method it is
    trainer_class, framework = helpers._trainer, helpers.framework
    signature = inspect.signature(real)

    def fit_forecaster(*args: Any, **kwargs: Any) -> float:
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        a = bound.arguments
        model = next((name for variable, name in PAGE_VARIABLES.items()
                      if page.get(variable) is a["net"] and name not in _measured), None)
        if model is None:
            return real(*args, **kwargs)
        net, seed = a["net"], page["seed"]
        probe = trainer_class(net, a["train_iter"], a["valid_iter"], a["lr"], a["delta"])
        probe.valid_error_sums()  # a forward pass, which MXNet's deferred initialization needs
        initial = probe.get_weights()

        d2l.seed_everything(seed)
        train_iter, valid_iter = _published_windows(d2l, page, model)
        lr = PUBLISHED_LR[model]
        published_best, published = _timed_fit(
            helpers, _sgd_trainer(framework, trainer_class), PUBLISHED["scale"], lr, net,
            train_iter, valid_iter, PUBLISHED["num_epochs"], lr, PUBLISHED["patience"],
            PUBLISHED["delta"])

        probe.set_weights(initial)
        d2l.seed_everything(seed)
        book_best, book = _timed_fit(
            helpers, trainer_class, a["scale"], None, net, a["train_iter"], a["valid_iter"],
            a["num_epochs"], a["lr"], a["patience"], a["delta"])
        _measured[model] = {
            "published": {"lr": lr, **PUBLISHED, "history": published},
            "book": {"lr": a["lr"], "num_epochs": a["num_epochs"], "patience": a["patience"],
                     "delta": a["delta"], "history": book},
        }
        print(f"{model}: published recipe best {published_best:,.0f} riders in "
              f"{len(published)} epochs; book's {book_best:,.0f} in {len(book)} epochs",
              flush=True)
        return book_best

    d2l.fit_forecaster = fit_forecaster


def save(path: str | Path) -> None:
    """Write the measurements (model -> recipe -> settings and history) as JSON."""
    missing = sorted(set(PAGE_VARIABLES.values()) - set(_measured))
    if missing:
        raise RuntimeError(f"the page never trained {missing} (the variables "
                           f"{sorted(PAGE_VARIABLES)} are how the harness finds them)")
    Path(path).write_text(json.dumps(_measured, indent=1) + "\n")
