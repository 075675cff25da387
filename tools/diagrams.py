"""The book's diagrams, drawn with matplotlib from the code in this file.

    python -m tools.diagrams OUT_DIR          # write every diagram as OUT_DIR/<name>.svg
    python -m tools.diagrams OUT_DIR --png    # and a PNG beside each, to look at

The site build (``python -m tools render``) writes them into the staged book as
``_build/site/book/diagrams/<name>.svg``; a chapter shows one with a MyST figure in a
markdown cell::

    ```{figure} diagrams/rnn_unrolled.svg
    :alt: what the picture shows, in words
    :name: fig-rnn-unrolled

    The caption.
    ```

``DIAGRAMS`` says which chapter each diagram belongs to (tests/book/test_diagrams.py
checks that the chapter shows it, with alt text). Colors, fonts, line widths and box
shapes live in ``STYLE`` and the ``KINDS`` table below, and nowhere else: restyle there.
The SVG output is byte-for-byte reproducible (fixed ``svg.hashsalt``, no date in the
metadata, text drawn as paths with matplotlib's own DejaVu fonts), so a rebuild that
changes nothing rewrites nothing.
"""

from __future__ import annotations

import argparse
import io
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch  # noqa: E402

# --- style: the one place to restyle every diagram -------------------------------------

STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 15,
    "mathtext.fontset": "dejavusans",
    "svg.fonttype": "path",  # glyphs as paths: identical in every browser, offline
    "svg.hashsalt": "d2lmini-diagrams",  # stable element ids
    "lines.linewidth": 1.4,
}
INK = "#1f2933"  # text, outlines of plain nodes, forward arrows
MUTED = "#52606d"  # annotations
GRADIENT = "#c62828"  # backward (gradient) arrows and their labels
SMALL = 13  # font size of arrow labels and notes
LINE = 1.4
ARROW_HEAD = 12  # mutation scale of arrow heads

# Node kinds: fill color, edge color, and shape ("box" rounded rectangle, "op" circle).
KINDS = {
    "input": ("#dbeafe", "#1d4ed8", "box"),  # x_t, data
    "state": ("#dcfce7", "#15803d", "box"),  # h_t, c_t, recurrent cells
    "output": ("#ffedd5", "#c2410c", "box"),  # o_t, forecasts
    "loss": ("#fee2e2", "#b91c1c", "box"),  # losses
    "gate": ("#fef3c7", "#b45309", "box"),  # sigmoid gates
    "layer": ("#ede9fe", "#6d28d9", "box"),  # tanh, dense, conv, linear maps
    "plain": ("#f1f5f9", "#475569", "box"),  # anything else
    "op": ("#ffffff", INK, "op"),  # elementwise products and sums
}


# --- drawing helpers ---------------------------------------------------------------------


@dataclass
class Node:
    x: float
    y: float
    w: float
    h: float
    shape: str

    @property
    def center(self) -> tuple[float, float]:
        return (self.x, self.y)

    def top(self, dx: float = 0.0) -> tuple[float, float]:
        return (self.x + dx, self.y + self.h / 2)

    def bottom(self, dx: float = 0.0) -> tuple[float, float]:
        return (self.x + dx, self.y - self.h / 2)

    def left(self, dy: float = 0.0) -> tuple[float, float]:
        return (self.x - self.w / 2, self.y + dy)

    def right(self, dy: float = 0.0) -> tuple[float, float]:
        return (self.x + self.w / 2, self.y + dy)

    def toward(self, px: float, py: float) -> tuple[float, float]:
        """The point of the outline on the way from the center to (px, py)."""
        dx, dy = px - self.x, py - self.y
        if dx == 0 and dy == 0:
            return self.center
        if self.shape == "op":
            r = self.w / 2
            d = math.hypot(dx, dy)
            return (self.x + r * dx / d, self.y + r * dy / d)
        scale = min(
            (self.w / 2) / abs(dx) if dx else math.inf,
            (self.h / 2) / abs(dy) if dy else math.inf,
        )
        return (self.x + dx * scale, self.y + dy * scale)


class Canvas:
    """A figure whose data units are inches, so sizes and fonts keep their proportions."""

    def __init__(self, width: float, height: float) -> None:
        self.fig = plt.figure(figsize=(width, height))
        self.ax = self.fig.add_axes((0, 0, 1, 1))
        self.ax.set_xlim(0, width)
        self.ax.set_ylim(0, height)
        self.ax.set_axis_off()
        self.texts: list[str] = []  # every string drawn, for the tests

    def node(self, x: float, y: float, text: str = "", kind: str = "plain", w: float = 0.9,
             h: float = 0.5, size: float | None = None) -> Node:
        face, edge, shape = KINDS[kind]
        if shape == "op":
            w = h = min(w, h)
            self.ax.add_patch(Circle((x, y), w / 2, facecolor=face, edgecolor=edge, lw=LINE, zorder=3))
        else:
            self.ax.add_patch(FancyBboxPatch(
                (x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,rounding_size=0.09",
                facecolor=face, edgecolor=edge, lw=LINE, zorder=3))
        if text:
            self.text(x, y, text, size=size, zorder=4)
        return Node(x, y, w, h, shape)

    def op(self, x: float, y: float, symbol: str, d: float = 0.36) -> Node:
        return self.node(x, y, symbol, "op", w=d, h=d, size=13)

    def text(self, x: float, y: float, s: str, size: float | None = None, color: str = INK,
             ha: str = "center", va: str = "center", zorder: int = 5, **kw: object) -> None:
        self.texts.append(s)
        self.ax.text(x, y, s, fontsize=size or STYLE["font.size"], color=color, ha=ha, va=va,
                     zorder=zorder, **kw)

    def label(self, x: float, y: float, s: str, color: str = MUTED, **kw: object) -> None:
        """A small label with a white halo, so it stays readable over lines."""
        self.texts.append(s)
        self.ax.text(x, y, s, fontsize=kw.pop("size", SMALL), color=color,
                     ha=kw.pop("ha", "center"), va=kw.pop("va", "center"), zorder=6,
                     bbox={"boxstyle": "round,pad=0.12", "facecolor": "white", "edgecolor": "none",
                           "alpha": 0.9}, **kw)

    def arrow(self, start: tuple[float, float], end: tuple[float, float], color: str = INK,
              dashed: bool = False, rad: float = 0.0, head: bool = True) -> None:
        self.ax.add_patch(FancyArrowPatch(
            start, end, arrowstyle="-|>" if head else "-", mutation_scale=ARROW_HEAD,
            color=color, lw=LINE, linestyle=(0, (4, 2.5)) if dashed else "solid",
            connectionstyle=f"arc3,rad={rad}", shrinkA=0, shrinkB=0, zorder=2))

    def link(self, a: Node, b: Node, **kw: object) -> None:
        """Arrow from node a to node b, outline to outline."""
        self.arrow(a.toward(*b.center), b.toward(*a.center), **kw)

    def path(self, points: Sequence[tuple[float, float]], color: str = INK, head: bool = True,
             dashed: bool = False) -> None:
        """A polyline with an arrow head at its last point."""
        xs, ys = zip(*points[:-1], strict=True)
        if len(points) > 2:
            self.ax.plot(xs, ys, color=color, lw=LINE, solid_capstyle="butt", zorder=2,
                         linestyle=(0, (4, 2.5)) if dashed else "solid")
        self.arrow(points[-2], points[-1], color=color, head=head, dashed=dashed)

    def dot(self, x: float, y: float, color: str = INK) -> None:
        self.ax.add_patch(Circle((x, y), 0.045, color=color, zorder=4))

    def svg(self) -> bytes:
        buffer = io.BytesIO()
        self.fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        plt.close(self.fig)
        return buffer.getvalue()


# Frequently used symbols (matplotlib mathtext).
def bold(name: str, sub: str = "", sup: str = "") -> str:
    s = rf"\mathbf{{{name}}}"
    if sub:
        s += f"_{{{sub}}}"
    if sup:
        s += f"^{{{sup}}}"
    return f"${s}$"


# --- the diagrams ------------------------------------------------------------------------


def rnn_unrolled() -> Canvas:
    """ridership_rnns: the simple RNN, folded and unrolled, with its shared weights."""
    c = Canvas(11.4, 5.0)
    cell_y, x_y = 2.4, 0.8
    # Folded: one cell and its loop.
    c.text(1.35, 4.6, "folded", size=SMALL, color=MUTED)
    cell = c.node(1.35, cell_y, r"$\tanh$", "state", w=1.0)
    x = c.node(1.35, x_y, bold("x", "t"), "input", w=0.7)
    c.link(x, cell)
    c.label(1.6, 1.6, bold("W", "xh"), ha="left")
    out_y = 3.9
    c.text(1.35, out_y + 0.3, bold("h", "t"))
    c.arrow(cell.top(), (1.35, out_y))
    c.dot(1.35, 3.25)
    c.path([(1.35, 3.25), (0.45, 3.25), (0.45, cell_y), cell.left()])
    c.label(0.45, 2.8, bold("W", "hh"))
    c.text(2.55, cell_y, "=", size=20, color=MUTED)

    # Unrolled over the days of a window.
    c.text(6.9, 4.6, "unrolled over the T days of a window", size=SMALL, color=MUTED)
    h0 = c.node(3.4, cell_y, bold("h", "0") + r"$=\mathbf{0}$", "plain", w=1.05)
    xs = [4.9, 6.4, 7.9, 10.3]
    subs = ["1", "2", "3", "T"]
    cells = []
    for xpos, sub in zip(xs, subs, strict=True):
        cells.append(c.node(xpos, cell_y, r"$\tanh$", "state", w=0.9))
        xin = c.node(xpos, x_y, bold("x", sub), "input", w=0.7)
        c.link(xin, cells[-1])
        c.label(xpos + 0.08, 1.6, bold("W", "xh"), ha="left")
    prev = h0
    for i, (node, sub) in enumerate(zip(cells, subs, strict=True)):
        if sub == "T":
            c.text(9.05, cell_y, r"$\cdots$", size=16)
            c.arrow(prev.right(), (8.75, cell_y))
            c.label(8.55, cell_y + 0.3, bold("h", "3"))
            c.arrow((9.3, cell_y), node.left())
            c.label(9.55, cell_y - 0.32, bold("W", "hh"))
        else:
            c.link(prev, node)
            mid = (prev.right()[0] + node.left()[0]) / 2
            c.label(mid, cell_y - 0.32, bold("W", "hh"))
            if i > 0:
                c.label(mid, cell_y + 0.3, bold("h", subs[i - 1]))
        prev = node
    dense = c.node(10.3, 3.55, "dense", "layer", w=0.9)
    c.link(cells[-1], dense)
    c.label(10.6, 2.98, bold("h", "T"), ha="left")
    forecast = c.node(10.3, 4.5, "forecast", "output", w=1.1, h=0.42, size=SMALL)
    c.link(dense, forecast)
    c.text(6.65, 0.15, r"every step: $\mathbf{h}_t = \tanh(\mathbf{x}_t \mathbf{W}_{xh} + "
           r"\mathbf{h}_{t-1}\mathbf{W}_{hh} + \mathbf{b}_h)$, with the same $\mathbf{W}_{xh}$, "
           r"$\mathbf{W}_{hh}$, $\mathbf{b}_h$", size=SMALL, color=MUTED)
    return c


def deep_rnn() -> Canvas:
    """ridership_rnns: three recurrent layers stacked, the dense layer on the top one."""
    c = Canvas(10.6, 6.2)
    rows = {1: 2.05, 2: 3.4, 3: 4.75}
    x_y = 0.75
    cols = [3.3, 4.8, 6.3, 8.3]
    subs = ["1", "2", "3", "T"]
    for layer, y in rows.items():
        c.text(0.15, y, f"layer {layer}", ha="left")
        c.text(0.15, y - 0.3, "32 units", ha="left", size=SMALL, color=MUTED)
        c.text(1.85, y, r"$\mathbf{0}$", color=MUTED)
        prev_x = 2.0
        for xpos, sub in zip(cols, subs, strict=True):
            node = c.node(xpos, y, bold("h", sub, f"({layer})"), "state", w=0.95, h=0.55)
            if sub == "T":
                c.text(7.3, y, r"$\cdots$", size=16)
                c.arrow((prev_x, y), (7.0, y))
                c.arrow((7.6, y), node.left())
            else:
                c.arrow((prev_x, y), node.left())
            prev_x = node.right()[0]
            below = rows.get(layer - 1, x_y)
            c.arrow((xpos, below + 0.28), node.bottom())
    c.text(0.15, x_y, "inputs", ha="left")
    for xpos, sub in zip(cols, subs, strict=True):
        c.node(xpos, x_y, bold("x", sub), "input", w=0.7)
    c.text(7.3, x_y, r"$\cdots$", size=16)
    dense = c.node(9.7, rows[3], "dense", "layer", w=0.9)
    c.arrow((cols[-1] + 0.475, rows[3]), dense.left())
    forecast = c.node(9.7, 5.75, "forecast", "output", w=1.1, h=0.42, size=SMALL)
    c.link(dense, forecast)
    c.text(5.3, 0.15, "each layer has its own weights, shared by its steps; "
           "a layer reads the sequence of states of the layer below", size=SMALL, color=MUTED)
    return c


def bptt_graph() -> Canvas:
    """rnn_language_model: the unrolled graph for T = 3, forward and backward."""
    c = Canvas(11.4, 8.9)
    cols = {1: 3.3, 2: 6.3, 3: 9.3}
    ys = {"x": 1.25, "a": 2.7, "h": 4.15, "o": 5.6, "l": 6.95}
    c.text(0.15, 8.55, "forward", ha="left", size=SMALL)
    c.arrow((1.0, 8.55), (1.7, 8.55))
    c.text(2.0, 8.55, "backward (gradients)", ha="left", size=SMALL, color=GRADIENT)
    c.arrow((4.15, 8.55), (4.85, 8.55), color=GRADIENT, dashed=True)
    h0 = c.node(0.9, ys["h"], bold("h", "0"), "state", w=0.7)
    loss = c.node(6.3, 8.05, r"$L = \frac{1}{T}\sum_s \ell_s$", "loss", w=1.9, h=0.55)
    prev_h = h0
    g = 0.11  # offset of a backward arrow beside its forward one
    for t, xpos in cols.items():
        x = c.node(xpos, ys["x"], bold("x", str(t)), "input", w=0.7)
        a = c.node(xpos, ys["a"], bold("a", str(t)), "plain", w=0.7)
        h = c.node(xpos, ys["h"], bold("h", str(t)), "state", w=0.7)
        o = c.node(xpos, ys["o"], bold("o", str(t)), "output", w=0.7)
        ell = c.node(xpos, ys["l"], rf"$\ell_{t}$", "loss", w=0.7)
        # forward
        c.arrow(x.top(-g), a.bottom(-g))
        c.arrow(a.top(-g), h.bottom(-g))
        c.arrow(h.top(-g), o.bottom(-g))
        c.arrow(o.top(-g), ell.bottom(-g))
        c.label(xpos - 0.5, (ys["x"] + ys["a"]) / 2, bold("W", "xh"))
        c.label(xpos - 0.45, (ys["a"] + ys["h"]) / 2, r"$\tanh$")
        c.label(xpos - 0.5, (ys["h"] + ys["o"]) / 2, bold("W", "hq"))
        c.arrow(ell.toward(*loss.center), loss.toward(*ell.center), rad=-0.15 if t == 1 else
                (0.15 if t == 3 else 0.0))
        # backward
        c.arrow(ell.bottom(g), o.top(g), color=GRADIENT, dashed=True)
        c.arrow(o.bottom(g), h.top(g), color=GRADIENT, dashed=True)
        c.arrow(h.bottom(g), a.top(g), color=GRADIENT, dashed=True)
        c.label(xpos + 0.5, ys["a"] - 0.05, rf"$\mathbf{{\delta}}_{t}$", color=GRADIENT, size=13, ha="left")
        # the state path, forward and back, through W_hh
        start, end = prev_h.right(0.08), a.left(0.08)
        c.arrow(start, end)
        back_from, back_to = a.left(-0.1), prev_h.right(-0.1)
        if t > 1:
            c.arrow(back_from, back_to, color=GRADIENT, dashed=True)
            mx, my = (back_from[0] + back_to[0]) / 2, (back_from[1] + back_to[1]) / 2
            c.label(mx + 0.35, my - 0.32, rf"$\mathbf{{\delta}}_{t}\mathbf{{W}}_{{hh}}^\top$", color=GRADIENT)
        fx, fy = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        c.label(fx - 0.3, fy + 0.28, bold("W", "hh"))
        prev_h = h
    # What the middle column's backward arrows carry.
    c.label(6.3 + 0.55, (ys["l"] + ys["o"]) / 2,
            r"$\mathrm{softmax}(\mathbf{o}_2) - \mathbf{e}_{y_2}$", color=GRADIENT, ha="left")
    c.label(6.3 + 0.55, (ys["o"] + ys["h"]) / 2, r"$\cdot\,\mathbf{W}_{hq}^\top$",
            color=GRADIENT, ha="left")
    c.text(5.7, 0.62, r"$\frac{\partial L}{\partial \mathbf{h}_t} = \frac{1}{T}(\mathrm{softmax}"
           r"(\mathbf{o}_t) - \mathbf{e}_{y_t})\,\mathbf{W}_{hq}^\top + \mathbf{\delta}_{t+1}\mathbf{W}_{hh}^\top$,"
           r"   $\mathbf{\delta}_t = \frac{\partial L}{\partial \mathbf{a}_t} = \frac{\partial L}{\partial "
           r"\mathbf{h}_t} \odot (1 - \mathbf{h}_t \odot \mathbf{h}_t)$,   $\mathbf{\delta}_4 = \mathbf{0}$",
           size=SMALL + 1, color=GRADIENT)
    c.text(5.7, 0.17, r"$\frac{\partial L}{\partial \mathbf{W}_{hh}} = \mathbf{h}_0^\top\mathbf{\delta}_1 + "
           r"\mathbf{h}_1^\top\mathbf{\delta}_2 + \mathbf{h}_2^\top\mathbf{\delta}_3$: one term per step, "
           "as the same matrix serves every step", size=SMALL + 1, color=GRADIENT)
    return c


def _two_lanes(c: Canvas, h_y: float, x_y: float, h_end: float, x_end: float,
               x_in: float) -> None:
    """The bottom lanes of a gated cell: h_{t-1} from the left, x_t from below."""
    c.text(0.45, h_y + 0.3, bold("h", "t-1"))
    c.ax.plot([0.2, h_end], [h_y, h_y], color=INK, lw=LINE, zorder=2)
    c.text(x_in, 0.12, bold("x", "t"))
    c.ax.plot([x_in, x_in, x_end], [0.32, x_y, x_y], color=INK, lw=LINE, zorder=2)


def _gate_inputs(c: Canvas, box: Node, h_y: float, x_y: float, h: bool = True,
                 x: bool = True) -> None:
    if h:
        c.dot(box.x - 0.18, h_y)
        c.arrow((box.x - 0.18, h_y), box.bottom(-0.18))
    if x:
        c.dot(box.x + 0.18, x_y)
        c.arrow((box.x + 0.18, x_y), box.bottom(0.18))


def _gate(c: Canvas, x: float, y: float, fn: str, name: str, kind: str = "gate") -> Node:
    """A gate box: its squashing function and, below it in small type, its name."""
    box = c.node(x, y, "", kind, w=0.95, h=0.72)
    c.text(x, y + 0.14, fn)
    c.text(x, y - 0.18, name, size=SMALL - 1, color=MUTED)
    return box


def lstm_cell() -> Canvas:
    """gated_cells: the LSTM cell with its input, forget and output gates."""
    c = Canvas(10.4, 6.0)
    top, gate_y, h_y, x_y = 5.1, 2.5, 1.25, 0.6
    _two_lanes(c, h_y, x_y, h_end=6.9 - 0.18, x_end=6.9 + 0.18, x_in=1.2)
    c.text(0.45, top + 0.3, bold("c", "t-1"))
    mul_f = c.op(2.6, top, r"$\odot$")
    add = c.op(4.5, top, "+")
    c.arrow((0.2, top), mul_f.left())
    c.arrow(mul_f.right(), add.left())
    c.arrow(add.right(), (10.2, top))
    c.text(9.9, top + 0.3, bold("c", "t"))
    gates = {}
    for name, xpos, kind, fn, what in [("f", 2.6, "gate", r"$\sigma$", "forget"),
                                        ("i", 3.9, "gate", r"$\sigma$", "input"),
                                        ("g", 5.2, "layer", r"$\tanh$", "candidate"),
                                        ("o", 6.9, "gate", r"$\sigma$", "output")]:
        box = _gate(c, xpos, gate_y, fn, what, kind)
        _gate_inputs(c, box, h_y, x_y)
        gates[name] = box
    c.arrow(gates["f"].top(), mul_f.bottom())
    c.label(2.85, 3.85, bold("f", "t"), ha="left")
    mul_ig = c.op(4.5, 3.85, r"$\odot$")
    c.path([gates["i"].top(), (3.9, 3.85), mul_ig.left()])
    c.label(3.65, 3.45, bold("i", "t"))
    c.path([gates["g"].top(), (5.2, 3.85), mul_ig.right()])
    c.label(5.45, 3.45, bold("g", "t"))
    c.arrow(mul_ig.top(), add.bottom())
    # h_t = o_t * tanh(c_t)
    c.dot(8.3, top)
    tanh_c = c.node(8.3, 3.85, r"$\tanh$", "layer", w=0.75, h=0.45)
    c.arrow((8.3, top), tanh_c.top())
    mul_o = c.op(8.3, gate_y, r"$\odot$")
    c.arrow(tanh_c.bottom(), mul_o.top())
    c.arrow(gates["o"].right(), mul_o.left())
    c.label(7.65, gate_y + 0.25, bold("o", "t"))
    c.path([mul_o.bottom(), (8.3, h_y), (10.2, h_y)])
    c.text(9.9, h_y + 0.3, bold("h", "t"))
    c.text(2.6, 0.12, r"each gate box: $\mathbf{x}_t\mathbf{W}_{x\cdot} + "
           r"\mathbf{h}_{t-1}\mathbf{W}_{h\cdot} + \mathbf{b}_\cdot$, then $\sigma$ or $\tanh$",
           size=SMALL, color=MUTED, ha="left")
    return c


def gru_cell() -> Canvas:
    """gated_cells: the GRU cell as the frameworks implement it (reset after the product)."""
    c = Canvas(10.4, 6.0)
    top, gate_y, h_y, x_y = 5.1, 2.5, 1.25, 0.6
    _two_lanes(c, h_y, x_y, h_end=5.4, x_end=7.0 + 0.18, x_in=1.2)
    # h_{t-1} also runs along the top, to be mixed with the candidate.
    c.dot(0.9, h_y)
    c.path([(0.9, h_y), (0.9, top), (6.2 - 0.18, top)])
    mul_z = c.op(6.2, top, r"$\odot$")
    add = c.op(8.3, top, "+")
    c.arrow(mul_z.right(), add.left())
    c.arrow(add.right(), (10.2, top))
    c.text(9.9, top + 0.3, bold("h", "t"))
    z = _gate(c, 2.4, gate_y, r"$\sigma$", "update")
    r = _gate(c, 3.8, gate_y, r"$\sigma$", "reset")
    _gate_inputs(c, z, h_y, x_y)
    _gate_inputs(c, r, h_y, x_y)
    # z_t: to the product with h_{t-1}, and as 1 - z_t to the product with n_t.
    one_minus = c.op(7.25, 4.15, r"$1-$", d=0.5)
    c.path([z.top(), (2.4, 4.15), one_minus.left()])
    c.dot(6.2, 4.15)
    c.arrow((6.2, 4.15), mul_z.bottom())
    c.label(2.65, 3.75, bold("z", "t"), ha="left")
    mul_n = c.op(8.3, 4.15, r"$\odot$")
    c.arrow(one_minus.right(), mul_n.left())
    c.arrow(mul_n.top(), add.bottom())
    # the candidate n_t
    lin_h = c.node(5.4, 2.2, r"$\cdot\,\mathbf{W}_{hn} + \mathbf{b}_{hn}$", "layer", w=1.5, h=0.5,
                   size=SMALL + 1)
    c.dot(5.4, h_y)
    c.arrow((5.4, h_y), lin_h.bottom())
    mul_r = c.op(5.4, 3.25, r"$\odot$")
    c.arrow(lin_h.top(), mul_r.bottom())
    c.path([r.top(), (3.8, 3.25), mul_r.left()])
    c.label(4.35, 3.47, bold("r", "t"))
    lin_x = c.node(7.0, 1.6, r"$\cdot\,\mathbf{W}_{xn} + \mathbf{b}_{xn}$", "layer", w=1.5, h=0.5,
                   size=SMALL + 1)
    c.arrow((7.0 + 0.18, x_y), lin_x.bottom(0.18))
    plus_n = c.op(7.0, 3.25, "+")
    c.arrow(mul_r.right(), plus_n.left())
    c.arrow(lin_x.top(), plus_n.bottom())
    tanh_n = c.node(8.3, 3.25, r"$\tanh$", "layer", w=0.75, h=0.45)
    c.arrow(plus_n.right(), tanh_n.left())
    c.arrow(tanh_n.top(), mul_n.bottom())
    c.label(8.55, 3.72, bold("n", "t"), ha="left")
    c.text(2.6, 0.12, r"each gate box: $\mathbf{x}_t\mathbf{W}_{x\cdot} + \mathbf{b}_{x\cdot} + "
           r"\mathbf{h}_{t-1}\mathbf{W}_{h\cdot} + \mathbf{b}_{h\cdot}$, then $\sigma$",
           size=SMALL, color=MUTED, ha="left")
    return c


def _window(c: Canvas, x0: float, y: float, n: int = 7, size: float = 0.32, gap: float = 0.14,
            kind: str = "input", dots_at: int | None = 4) -> list[float]:
    """A row of small squares standing for days; returns their centers."""
    centers = []
    xpos = x0
    for i in range(n):
        if i == dots_at:
            c.text(xpos + size / 2, y, r"$\cdots$", size=SMALL)
        else:
            c.node(xpos + size / 2, y, "", kind, w=size, h=size)
            centers.append(xpos + size / 2)
        xpos += size + gap
    return centers


def _rnn_over(c: Canvas, centers: list[float], y_in: float, y: float) -> list[Node]:
    """A chain of small recurrent cells over the days at ``centers``."""
    cells = []
    for i, xpos in enumerate(centers):
        cell = c.node(xpos, y, "", "state", w=0.3, h=0.3)
        c.arrow((xpos, y_in + 0.16), cell.bottom())
        if cells:
            gap = xpos - cells[-1].x
            if gap > 0.5:
                c.text((xpos + cells[-1].x) / 2, y, r"$\cdots$", size=SMALL)
            else:
                c.link(cells[-1], cell, head=True)
        cells.append(cell)
    return cells


def _strategy_panel(c: Canvas, y: float, title_dy: float, title: str, subtitle: str,
                    window_label: str, cell_dy: float) -> tuple[list[float], list]:
    """One strategy's header and its RNN over a 56-day window (the part the three share)."""
    c.text(0.15, y + title_dy, title, ha="left", weight="bold")
    c.text(0.15, y + title_dy - 0.33, subtitle, ha="left", size=SMALL, color=MUTED)
    centers = _window(c, 3.5, y, n=8, dots_at=4)
    c.text(5.2, y - 0.4, window_label, size=SMALL, color=MUTED)
    return centers, _rnn_over(c, centers, y, y + cell_dy)


def multistep_strategies() -> Canvas:
    """ridership_multistep: iterative, vector and sequence-to-sequence forecasting."""
    c = Canvas(12.1, 7.3)
    panel_ys = {"a": 5.9, "b": 3.5, "c": 0.6}
    # (a) iterative
    y = panel_ys["a"]
    centers, cells = _strategy_panel(c, y, 0.6, "1. iterative", "a one-step model, run 14 times",
                                     "56 days: rail, bus, next day type", 0.9)
    dense = c.node(7.9, y + 0.9, "dense", "layer", w=0.8, h=0.4, size=SMALL)
    c.link(cells[-1], dense)
    out = c.node(9.1, y + 0.9, "", "output", w=0.32, h=0.32)
    c.link(dense, out)
    c.text(9.4, y + 0.9, "day t+1: rail, bus", size=SMALL, ha="left")
    appended = c.node(centers[-1] + 0.46, y, "", "output", w=0.32, h=0.32)
    c.path([out.bottom(), (9.1, y), appended.right()])
    c.text(9.3, y + 0.1, "appended as if observed,", size=SMALL, color=MUTED, ha="left")
    c.text(9.3, y - 0.22, "the oldest day dropped;", size=SMALL, color=MUTED, ha="left")
    c.text(9.3, y - 0.54, "repeated 14 times", size=SMALL, color=MUTED, ha="left")
    # (b) vector
    y = panel_ys["b"]
    centers, cells = _strategy_panel(c, y, 0.6, "2. one vector", "14 outputs from the last state",
                                     "56 days", 0.9)
    dense = c.node(7.9, y + 0.9, "dense", "layer", w=0.8, h=0.4, size=SMALL)
    c.link(cells[-1], dense)
    outs = _window(c, 8.8, y + 0.9, n=8, size=0.3, gap=0.06, kind="output", dots_at=5)
    c.arrow(dense.right(), (8.78, y + 0.9))
    c.text((outs[0] + outs[-1]) / 2, y + 1.35, "days t+1 ... t+14, at once", size=SMALL)
    # (c) sequence to sequence
    y = panel_ys["c"]
    centers, cells = _strategy_panel(c, y, 0.95, "3. sequence to sequence",
                                     "14 outputs from every state", "56 days", 0.8)
    for i, cell in enumerate(cells):
        last = i == len(cells) - 1
        stack_y = y + 1.35
        for k in range(3):
            c.node(cell.x, stack_y + k * 0.2, "", "output" if last else "plain", w=0.26, h=0.17)
        c.arrow(cell.top(), (cell.x, stack_y - 0.09))
    c.text(7.7, y + 1.55, "at every day s: days s+1 ... s+14", size=SMALL, ha="left")
    c.text(7.7, y + 1.2, "trained on all of them; forecasts", size=SMALL, ha="left", color=MUTED)
    c.text(7.7, y + 0.9, "use the last step's (orange)", size=SMALL, ha="left", color=MUTED)
    return c


def conv_gru() -> Canvas:
    """conv_wavenet: 112 days, a stride-2 convolution (kernel 4, 32 filters), a GRU."""
    c = Canvas(11.2, 6.6)
    size, step = 0.36, 0.48
    x0 = 3.0
    days = list(range(10)) + [None] + list(range(106, 112))
    day_y = 1.05
    pos = {}
    for i, day in enumerate(days):
        xpos = x0 + i * step
        if day is None:
            c.text(xpos, day_y, r"$\cdots$", size=SMALL)
            continue
        c.node(xpos, day_y, "", "input", w=size, h=size)
        pos[day] = xpos
        c.text(xpos, day_y - 0.36, str(day), size=SMALL - 3, color=MUTED)
    c.text(0.15, day_y, "112 days", ha="left")
    c.text(0.15, day_y - 0.3, "5 features each", ha="left", size=SMALL, color=MUTED)
    conv_y, gru_y, out_y = 2.75, 4.15, 5.5
    c.text(0.15, conv_y, "conv, stride 2", ha="left")
    c.text(0.15, conv_y - 0.3, "32 filters, kernel 4", ha="left", size=SMALL, color=MUTED)
    c.text(0.15, gru_y, "GRU", ha="left")
    c.text(0.15, gru_y - 0.3, "32 units", ha="left", size=SMALL, color=MUTED)
    c.text(0.15, out_y, "dense", ha="left")
    c.text(0.15, out_y - 0.3, "14 outputs per step", ha="left", size=SMALL, color=MUTED)
    steps = [0, 1, 2, 3, None, 53, 54]
    fan_colors = ["#1d4ed8", "#c2410c"]
    prev = None
    for k, j in enumerate(steps):
        if j is None:
            xpos = (pos[9] + pos[106]) / 2
            for yy in (conv_y, gru_y, out_y):
                c.text(xpos, yy, r"$\cdots$", size=SMALL)
            prev = None
            continue
        xpos = sum(pos[d] for d in range(2 * j, 2 * j + 4)) / 4
        conv = c.node(xpos, conv_y, "", "layer", w=0.5, h=0.4)
        color = fan_colors[k % 2]
        for d in range(2 * j, 2 * j + 4):
            c.ax.plot([pos[d], xpos + (d - 2 * j - 1.5) * 0.08], [day_y + size / 2, conv_y - 0.2],
                      color=color, lw=1.0, alpha=0.8, zorder=1)
        c.text(xpos, conv_y + 0.02, str(j), size=SMALL - 1)
        gru = c.node(xpos, gru_y, "", "state", w=0.5, h=0.4)
        c.link(conv, gru)
        out = c.node(xpos, out_y, "14", "output", w=0.5, h=0.4, size=SMALL - 1)
        c.link(gru, out)
        if prev is not None:
            c.link(prev, gru)
        prev = gru
    c.text(6.85, 0.2, "output step j reads days 2j to 2j+3, so neighboring steps share two days",
           size=SMALL, color=MUTED)
    c.text(6.85, 6.25, "55 steps instead of 112; the last step's 14 outputs are scored",
           size=SMALL, color=MUTED)
    return c


@dataclass(frozen=True)
class Diagram:
    name: str
    chapter: str
    draw: Callable[[], Canvas]


DIAGRAMS = (
    Diagram("rnn_unrolled", "ridership_rnns", rnn_unrolled),
    Diagram("deep_rnn", "ridership_rnns", deep_rnn),
    Diagram("multistep_strategies", "ridership_multistep", multistep_strategies),
    Diagram("lstm_cell", "gated_cells", lstm_cell),
    Diagram("gru_cell", "gated_cells", gru_cell),
    Diagram("conv_gru", "conv_wavenet", conv_gru),
    Diagram("bptt_graph", "rnn_language_model", bptt_graph),
)


def render(diagram: Diagram) -> bytes:
    """The diagram as SVG bytes, the same on every run."""
    with matplotlib.rc_context(STYLE):
        return diagram.draw().svg()


def write_all(out_dir: Path, png: bool = False, names: Iterable[str] = ()) -> list[Path]:
    """Write each diagram (or those named) to out_dir/<name>.svg, touching only changed files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = set(names)
    written = []
    for diagram in DIAGRAMS:
        if wanted and diagram.name not in wanted:
            continue
        path = out_dir / f"{diagram.name}.svg"
        data = render(diagram)
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        written.append(path)
        if png:
            with matplotlib.rc_context(STYLE):
                canvas = diagram.draw()
                canvas.fig.savefig(out_dir / f"{diagram.name}.png", dpi=110)
                plt.close(canvas.fig)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draw the book's diagrams as SVG files.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--png", action="store_true", help="also write a PNG of each, to look at")
    parser.add_argument("--only", action="append", default=[], help="only this diagram (repeatable)")
    args = parser.parse_args(argv)
    for path in write_all(args.out_dir, png=args.png, names=args.only):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
