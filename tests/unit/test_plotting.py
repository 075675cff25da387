"""plot, TrainingPlot, set_figsize and Timer."""

import time

import matplotlib.pyplot as plt
import numpy as np
import pytest

import d2lmini.core as core


def line_data(axes):
    return [(line.get_xdata().tolist(), line.get_ydata().tolist()) for line in axes.get_lines()]


def test_plot_accepts_tensors_and_shares_x(d2l, helpers):
    x = helpers.tensor([0, 1, 2])
    d2l.plot(x, [helpers.tensor([1, 2, 3]), helpers.tensor([3, 2, 1])],
                    xlabel="t", legend=["up", "down"])
    axes = plt.gca()
    assert line_data(axes) == [([0, 1, 2], [1, 2, 3]), ([0, 1, 2], [3, 2, 1])]
    assert axes.get_xlabel() == "t"
    assert [t.get_text() for t in axes.get_legend().get_texts()] == ["up", "down"]


def test_plot_without_y_uses_indices_and_2d_rows(d2l, helpers):
    assert d2l.plot(helpers.tensor([[5, 6], [7, 8]])) is None  # a cell shows only the figure
    axes = plt.gca()
    assert line_data(axes) == [([0, 1], [5, 6]), ([0, 1], [7, 8])]


def test_plot_draws_on_given_axes_with_cycling_formats(d2l):
    _, axes = plt.subplots()
    d2l.plot([0, 1], [[0, 1], [1, 2], [2, 3]], fmts=("-", "r:"), axes=axes)
    assert [line.get_linestyle() for line in axes.get_lines()] == ["-", ":", "-"]


def test_plot_length_mismatch_says_lengths(d2l):
    with pytest.raises(ValueError, match="X has 3 points but Y has 2"):
        d2l.plot([1, 2, 3], [1, 2])


def test_plot_series_count_mismatch(d2l):
    with pytest.raises(ValueError, match="2 X series but 3 Y series"):
        d2l.plot([[1, 2], [1, 2]], [[1, 2], [1, 2], [1, 2]])


def test_plot_legend_count_mismatch(d2l):
    with pytest.raises(ValueError, match="legend has 1 entries"):
        d2l.plot([1, 2], [[1, 2], [2, 1]], legend=["only one"])


def test_plot_rejects_3d(d2l):
    with pytest.raises(ValueError, match="must be 1-D"):
        d2l.plot([np.zeros((2, 2))])


def test_set_figsize(d2l):
    d2l.set_figsize((4, 3))
    assert tuple(plt.rcParams["figure.figsize"]) == (4.0, 3.0)
    with pytest.raises(ValueError, match="positive"):
        d2l.set_figsize((0, 3))
    with pytest.raises(TypeError, match="width, height"):
        d2l.set_figsize(3)


def test_training_plot_outside_ipython(d2l, helpers):
    fig = d2l.TrainingPlot(legend=["train", "valid"], yscale="log")
    fig.add(1, [1.0, 2.0])
    fig.add(2, [helpers.tensor(0.5), None])  # tensors accepted; None skips a curve
    fig.add(3, (0.25, 1.0))
    assert line_data(fig.axes) == [([1, 2, 3], [1.0, 0.5, 0.25]), ([1, 3], [2.0, 1.0])]
    assert fig.axes.get_yscale() == "log" and fig.axes.get_xlabel() == "epoch"
    assert fig.fig.number in plt.get_fignums()  # left open, for plt.show() in scripts


def test_training_plot_checks_number_of_values(d2l):
    fig = d2l.TrainingPlot(legend=["train", "valid"])
    with pytest.raises(ValueError, match=r"expected 2 y values.*got 1"):
        fig.add(1, [1.0])
    free = d2l.TrainingPlot()  # without a legend the first call fixes the number of curves
    free.add(1, 0.5)
    with pytest.raises(ValueError, match=r"expected 1 y values.*got 2"):
        free.add(2, [0.1, 0.2])


def test_training_plot_updates_one_display_in_place(d2l, monkeypatch):
    shown, updates = [], []

    class Handle:
        def update(self, obj):
            updates.append(obj)

    def fake_display(obj, display_id=False):
        shown.append((obj, display_id))
        return Handle()

    import IPython.display
    monkeypatch.setattr(core, "_in_notebook", lambda: True)
    monkeypatch.setattr(core, "_use_png", lambda: None)
    monkeypatch.setattr(IPython.display, "display", fake_display)
    fig = d2l.TrainingPlot(legend=["loss"])
    assert fig.fig.number not in plt.get_fignums()  # closed: no duplicate at cell end
    for epoch in range(1, 4):
        fig.add(epoch, [1 / epoch])
    assert shown == [(fig.fig, True)]
    assert updates == [fig.fig, fig.fig]


def test_timer():
    timer = core.Timer()
    time.sleep(0.01)
    first = timer.stop()
    timer.start()
    second = timer.stop()
    assert first >= 0.009 and second >= 0
    assert timer.sum() == pytest.approx(first + second)
    assert timer.avg() == pytest.approx((first + second) / 2)
    assert timer.cumsum() == pytest.approx([first, first + second])
