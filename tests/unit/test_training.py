"""seed_everything, devices, load_array, evaluate_loss, and quiet imports."""

import os
import random
import subprocess
import sys

import numpy as np
import pytest

from d2lmini.core import _to_numpy


def batches(data_iter):
    return [[_to_numpy(t) for t in batch] for batch in data_iter]


# ----------------------------------------------------------------------------
# seeding

def seeded_run(d2l, helpers, seed):
    d2l.seed_everything(seed)
    draws = [random.random(), float(np.random.rand()), *helpers.random_draw()]
    X = helpers.tensor(np.arange(24).reshape(12, 2))
    y = helpers.tensor(np.arange(12))
    data_iter = d2l.load_array((X, y), batch_size=5)
    orders = [np.concatenate([b[1] for b in batches(data_iter)]).tolist() for _ in range(2)]
    return draws, orders


def test_seed_everything_makes_runs_repeat(d2l, helpers):
    draws, orders = seeded_run(d2l, helpers, 42)
    assert seeded_run(d2l, helpers, 42) == (draws, orders)
    assert sorted(orders[0]) == list(range(12)) and orders[0] != list(range(12))
    assert seeded_run(d2l, helpers, 7) != (draws, orders)


@pytest.mark.parametrize("seed, error, message", [
    (-1, ValueError, ">= 0"), (2**32, ValueError, "< 2\\*\\*32"),
    (1.5, TypeError, "must be an int"), ("1", TypeError, "must be an int"),
    (True, TypeError, "must be an int"),
])
def test_seed_everything_rejects_bad_seed(d2l, seed, error, message):
    with pytest.raises(error, match=message):
        d2l.seed_everything(seed)


# ----------------------------------------------------------------------------
# devices

def test_try_gpu_falls_back_to_cpu_quietly(d2l, helpers, capfd):
    n = d2l.num_gpus()
    assert isinstance(n, int) and n >= 0
    assert d2l.try_gpu(n) == helpers.cpu  # GPU n never exists
    if n == 0:
        assert d2l.try_gpu() == helpers.cpu
    assert capfd.readouterr() == ("", "")  # MXNet logs if asked for a missing GPU


def test_try_gpu_rejects_bad_index(d2l):
    with pytest.raises(ValueError, match=">= 0, got -1"):
        d2l.try_gpu(-1)
    with pytest.raises(TypeError, match="must be an int"):
        d2l.try_gpu("0")


# ----------------------------------------------------------------------------
# load_array

def test_load_array_batches(d2l, helpers):
    X, y = np.arange(30, dtype=np.float32).reshape(10, 3), np.arange(10, dtype=np.float32)
    for arrays in [(X, y), (helpers.tensor(X), helpers.tensor(y))]:
        data_iter = d2l.load_array(arrays, batch_size=4, shuffle=False)
        assert isinstance(data_iter, helpers.loader_type)
        got = batches(data_iter)
        assert [[b.shape for b in batch] for batch in got] == [
            [(4, 3), (4,)], [(4, 3), (4,)], [(2, 3), (2,)]]
        assert np.concatenate([b[1] for b in got]).tolist() == y.tolist()
        assert np.concatenate([b[0] for b in got]).tolist() == X.tolist()


@pytest.mark.parametrize("arrays, batch_size, error, message", [
    ((), 2, ValueError, "empty"),
    ((np.zeros((0, 2)), np.zeros(0)), 2, ValueError, r"no examples.*\(0, 2\), \(0,\)"),
    ((np.zeros((5, 2)), np.zeros(4)), 2, ValueError, r"same first dimension.*\(5, 2\), \(4,\)"),
    ((np.float32(1.0),), 2, ValueError, r"first \(example\) dimension.*\(\)"),
    ((np.zeros(4),), 0, ValueError, "batch_size must be >= 1, got 0"),
    ((np.zeros(4),), -3, ValueError, "batch_size must be >= 1, got -3"),
    ((np.zeros(4),), 2.0, TypeError, "batch_size must be an int"),
    (np.zeros(4), 2, TypeError, "tuple of arrays"),
])
def test_load_array_rejects_bad_input(d2l, arrays, batch_size, error, message):
    with pytest.raises(error, match=message):
        d2l.load_array(arrays, batch_size)


# ----------------------------------------------------------------------------
# evaluate_loss

def test_evaluate_loss_matches_hand_computed_mean(d2l, helpers):
    # y_hat = 2x + 1 = [3, 5, 7, 9, 11]; squared errors [4, 4, 9, 0, 1], mean 3.6
    X = helpers.tensor([[1], [2], [3], [4], [5]])
    y = helpers.tensor([[1], [3], [4], [9], [10]])
    expected = helpers.loss_factor * 18 / 5
    net = helpers.linear(2.0, 1.0)
    # batches of 2, 2, 1: averaging batch means would give 19/6 instead
    data_iter = d2l.load_array((X, y), batch_size=2, shuffle=False)
    for loss in (helpers.per_example_loss, helpers.mean_loss):
        value = d2l.evaluate_loss(net, data_iter, loss)
        assert isinstance(value, float)
        assert value == pytest.approx(expected, rel=1e-6)


def test_evaluate_loss_turns_dropout_off(d2l, helpers):
    net = helpers.dropout(0.5)  # identity with dropout; a PyTorch module in train mode
    X = helpers.tensor(np.ones((64, 1)))
    data_iter = d2l.load_array((X, X), batch_size=16)
    assert d2l.evaluate_loss(net, data_iter, helpers.mean_loss) == 0.0
    assert getattr(net, "training", True)  # PyTorch: train mode restored afterwards


def test_evaluate_loss_rejects_empty_iterator(d2l, helpers):
    with pytest.raises(ValueError, match="no examples"):
        d2l.evaluate_loss(helpers.linear(1.0, 0.0), [], helpers.mean_loss)


# ----------------------------------------------------------------------------
# imports

def test_imports_are_quiet_and_core_needs_no_framework(d2l, kernel_env):
    # one interpreter for both checks (a TensorFlow import takes seconds); without the
    # book's kernel settings, to check that the module itself keeps quiet
    env = {k: v for k, v in os.environ.items() if k not in kernel_env}
    code = ("import sys, d2lmini, d2lmini.core, d2lmini.data\n"
            "leaked = {'torch', 'mxnet', 'tensorflow', 'keras'} & set(sys.modules)\n"
            f"import {d2l.__name__}\n"
            "sys.stdout.write(repr(sorted(leaked)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=120)
    assert (result.returncode, result.stdout, result.stderr) == (0, "[]", "")
