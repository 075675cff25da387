"""Fixtures for the d2lmini unit tests.

The framework under test is named by $D2LMINI_TEST_FRAMEWORK (mxnet, pytorch or
tensorflow); run the suite once in each framework's environment, e.g.

    D2LMINI_TEST_FRAMEWORK=pytorch .venv/pytorch/bin/python -m pytest tests/unit
"""

import importlib
import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = {"mxnet": "d2lmini.mxnet", "pytorch": "d2lmini.torch",
           "tensorflow": "d2lmini.tensorflow"}
FRAMEWORK = os.environ.get("D2LMINI_TEST_FRAMEWORK")


def _kernel_env() -> dict:
    """The settings of tools/kernel.env (single-threaded, quiet framework logs)."""
    path = REPO / "tools" / "kernel.env"
    lines = path.read_text().splitlines() if path.is_file() else []
    pairs = (line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))
    return {k.strip(): v.strip() for k, v in pairs}


# Apply them before any framework is imported, in case the caller did not source the file.
KERNEL_ENV = _kernel_env()
for _key, _value in KERNEL_ENV.items():
    os.environ.setdefault(_key, _value)
os.environ.setdefault("MPLBACKEND", "Agg")


def pytest_configure(config):
    if FRAMEWORK not in MODULES:
        raise pytest.UsageError(
            f"D2LMINI_TEST_FRAMEWORK must be one of {sorted(MODULES)}, got {FRAMEWORK!r}; "
            "e.g. D2LMINI_TEST_FRAMEWORK=pytorch .venv/pytorch/bin/python -m pytest tests/unit")
    # deprecation notices raised inside the pinned libraries are not ours to fix
    for module in ("matplotlib", "mxnet", "pyparsing", "keras", "tensorflow"):
        config.addinivalue_line("filterwarnings", f"ignore::DeprecationWarning:{module}.*")


@pytest.fixture(scope="session")
def fw() -> str:
    return FRAMEWORK


@pytest.fixture(scope="session")
def kernel_env() -> dict:
    return dict(KERNEL_ENV)


@pytest.fixture(scope="session")
def d2l(fw):
    return importlib.import_module(MODULES[fw])


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt
    plt.close("all")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test may read or write the real data cache, mirror or results folder."""
    for name in ("D2LMINI_DATA_MIRROR", "D2LMINI_RESULTS_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("D2LMINI_DATA_DIR", str(tmp_path / "default-cache"))


# ----------------------------------------------------------------------------
# small framework-specific pieces the tests need: tensors, a random draw, a linear model
# y_hat = w * x + b and squared-error losses (per example, and batch mean)

def _torch_helpers():
    import torch

    def linear(w, b):
        net = torch.nn.Linear(1, 1)
        with torch.no_grad():
            net.weight.fill_(w)
            net.bias.fill_(b)
        return net

    return SimpleNamespace(
        tensor=lambda a: torch.as_tensor(np.asarray(a, dtype=np.float32)),
        random_draw=lambda: torch.rand(4).tolist(),
        linear=linear,
        dropout=lambda p: torch.nn.Dropout(p).train(),
        per_example_loss=torch.nn.MSELoss(reduction="none"),
        mean_loss=torch.nn.MSELoss(),
        loss_factor=1.0,  # loss = factor * (y_hat - y)**2
        cpu=torch.device("cpu"),
        loader_type=torch.utils.data.DataLoader,
    )


def _mxnet_helpers():
    import mxnet as mx
    from mxnet import gluon

    def linear(w, b):
        net = gluon.nn.Dense(1, in_units=1)
        net.initialize()
        net.weight.set_data(mx.nd.array([[w]]))
        net.bias.set_data(mx.nd.array([b]))
        return net

    l2 = gluon.loss.L2Loss()  # 0.5 * (y_hat - y)**2 per example
    return SimpleNamespace(
        tensor=lambda a: mx.nd.array(np.asarray(a, dtype=np.float32)),
        random_draw=lambda: mx.nd.random.uniform(shape=4).asnumpy().tolist(),
        linear=linear,
        dropout=gluon.nn.Dropout,
        per_example_loss=l2,
        mean_loss=lambda y_hat, y: l2(y_hat, y).mean(),
        loss_factor=0.5,
        cpu=mx.cpu(),
        loader_type=gluon.data.DataLoader,
    )


def _tensorflow_helpers():
    import tensorflow as tf

    def linear(w, b):
        net = tf.keras.layers.Dense(1)
        net.build((None, 1))
        net.set_weights([np.array([[w]], np.float32), np.array([b], np.float32)])
        return net

    return SimpleNamespace(
        tensor=lambda a: tf.constant(np.asarray(a, dtype=np.float32)),
        random_draw=lambda: tf.random.uniform((4,)).numpy().tolist(),
        linear=linear,
        dropout=tf.keras.layers.Dropout,
        per_example_loss=tf.keras.losses.MeanSquaredError(reduction=None),
        mean_loss=tf.keras.losses.MeanSquaredError(),
        loss_factor=1.0,
        cpu="/CPU:0",
        loader_type=tf.data.Dataset,
    )


@pytest.fixture(scope="session")
def helpers(fw, d2l):
    return {"pytorch": _torch_helpers, "mxnet": _mxnet_helpers,
            "tensorflow": _tensorflow_helpers}[fw]()

