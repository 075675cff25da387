"""An nbval plugin: compare every output the book's way (tools/compare.py).

nbval compares text outputs exactly and skips images. Loaded with
``-p tools.nbval_compare`` (tools/verify.py's ``compare_environment`` puts it in
``PYTEST_ADDOPTS``), this plugin

- compares text exactly or number by number, and images pixel for pixel or by RMS, as
  ``D2LMINI_COMPARE_TEXT`` and ``D2LMINI_COMPARE_IMAGES`` say (``exact`` or
  ``tolerant``; tools/verify.py sets them per notebook), with a cell's ``rtol-``,
  ``atol-``, ``rms-`` and ``words-vary`` tags widening the bounds;
- applies display updates (``update_display_data``), which nbval ignores, so that a live
  plot (d2lmini's TrainingPlot) is compared as its final frame, as the committed notebook
  holds it;
- writes, when ``D2LMINI_COMPARE_REPORT`` names a file, per notebook: the modes, the cells
  compared and identical, the images compared, the largest relative difference of a
  printed number and the largest image RMS.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from tools.compare import IMAGE_TYPES, MODES, cell_bounds, compare_image, compare_text

TEXT_MODE = "D2LMINI_COMPARE_TEXT"
IMAGE_MODE = "D2LMINI_COMPARE_IMAGES"
REPORT = "D2LMINI_COMPARE_REPORT"

_stats: dict[str, dict[str, Any]] = {}
_modes: dict[str, str] = {}  # TEXT_MODE and IMAGE_MODE, read once by pytest_configure


def _mode(variable: str) -> str:
    mode = os.environ.get(variable, "exact")
    if mode not in MODES:
        raise ValueError(f"{variable}={mode!r}: expected one of {', '.join(MODES)}")
    return mode


def _values(cell: Any, outputs: list) -> dict[str, list]:
    """Each output field's values, by field (MIME types of ``data`` flattened), as nbval
    groups them, with nbval's skipped fields left out but images kept."""
    skip = set(cell.parent.skip_compare) - set(IMAGE_TYPES)
    values: dict[str, list] = {}
    for output in outputs:
        for key, value in output.items():
            if key in skip:
                continue
            items = value.items() if key == "data" else [(key, value)]
            for field, content in items:
                if field not in skip:
                    values.setdefault(field, []).append(content)
    return values


def compare_outputs(self: Any, test: list, ref: list, skip_compare: Any = None) -> bool:
    """Replaces nbval's IPyNbCell.compare_outputs."""
    from nbval.plugin import transform_streams_for_comparison

    text_mode, image_mode = _modes[TEXT_MODE], _modes[IMAGE_MODE]
    bounds = cell_bounds(self.cell.metadata.get("tags", []))
    stats = _stats.setdefault(Path(str(self.fspath)).name, {
        "text": text_mode, "images": image_mode, "cells_compared": 0, "cells_identical": 0,
        "images_compared": 0, "largest_rel_diff": 0.0, "largest_image_rms": 0.0, "failed_cells": []})
    stats["cells_compared"] += 1
    tested = _values(self, transform_streams_for_comparison(test))
    committed = _values(self, transform_streams_for_comparison(ref))
    self.comparison_traceback = []
    problem = None
    identical = True
    if tested.keys() != committed.keys():
        problem = (f"output fields {sorted(committed)} (committed) became {sorted(tested)}")
    for field in sorted(committed) if problem is None else []:
        if len(tested[field]) != len(committed[field]):
            problem = f"{len(committed[field])} {field} outputs became {len(tested[field])}"
            break
        for a, b in zip(committed[field], tested[field]):
            if field in IMAGE_TYPES:
                stats["images_compared"] += 1
                outcome = compare_image(a, b, image_mode, bounds.rms)
                stats["largest_image_rms"] = max(stats["largest_image_rms"], outcome.rms)
            else:
                a, b = (self.sanitize(x if isinstance(x, str) else json.dumps(x, sort_keys=True))
                        for x in (a, b))
                outcome = compare_text(a, b, text_mode, bounds)
                stats["largest_rel_diff"] = max(stats["largest_rel_diff"], outcome.largest_rel)
            identical = identical and outcome.identical
            if not outcome.ok:
                problem = f"{field}: {outcome.message}"
                if field not in IMAGE_TYPES:
                    self.comparison_traceback += ["committed:", str(a), "re-executed:", str(b)]
                break
        if problem:
            break
    if problem:
        stats["failed_cells"].append(self.cell_num)
        self.comparison_traceback.insert(0, f"{problem} ({text_mode} text, {image_mode} images; {bounds})")
        return False
    stats["cells_identical"] += identical
    return True


def _track_cell(runtest: Any) -> Any:
    def wrapped(self: Any) -> Any:
        self.parent._d2lmini_cell = self  # where display updates go (see below)
        return runtest(self)
    return wrapped


def _apply_display_updates(get_kernel_message: Any) -> Any:
    """Wrap IPyNbFile.get_kernel_message: remember where each displayed output with a
    display id lands in the running cell's outputs, apply each update to it in place,
    and pass every other message on to nbval."""
    def wrapped(self: Any, timeout: Any = None, stream: str = "iopub") -> Any:
        while True:
            msg = get_kernel_message(self, timeout=timeout, stream=stream)
            if stream != "iopub":
                return msg
            cell = getattr(self, "_d2lmini_cell", None)
            display_id = msg["content"].get("transient", {}).get("display_id")
            shown = self.__dict__.setdefault("_d2lmini_displays", {})
            if msg["msg_type"] == "update_display_data":
                if display_id in shown:
                    owner, index = shown[display_id]
                    owner.test_outputs[index]["data"] = msg["content"]["data"]
                    owner.test_outputs[index]["metadata"] = msg["content"]["metadata"]
                continue  # consumed: nbval would only print "unhandled iopub msg"
            if (msg["msg_type"] == "display_data" and display_id and cell is not None
                    and msg["parent_header"].get("msg_id") is not None):
                shown[display_id] = (cell, len(cell.test_outputs))  # nbval appends it next
            return msg
    return wrapped


def pytest_configure(config: Any) -> None:
    from nbval.plugin import IPyNbCell, IPyNbFile

    _modes.update({variable: _mode(variable) for variable in (TEXT_MODE, IMAGE_MODE)})  # fail early
    IPyNbCell.compare_outputs = compare_outputs
    IPyNbCell.runtest = _track_cell(IPyNbCell.runtest)
    IPyNbFile.get_kernel_message = _apply_display_updates(IPyNbFile.get_kernel_message)


def pytest_sessionfinish(session: Any, exitstatus: Any) -> None:
    path = os.environ.get(REPORT)
    if not path:
        return
    report = Path(path)
    report.parent.mkdir(parents=True, exist_ok=True)
    for stats in _stats.values():
        for key in ("largest_rel_diff", "largest_image_rms"):
            stats[key] = None if math.isinf(stats[key]) else float(f"{stats[key]:.3g}")
    report.write_text(json.dumps(_stats, indent=1) + "\n")
