"""How `make nbval` decides to compare a notebook exactly or number by number: by the
CPU model the notebook was executed on and the framework (tools/host.py, tools/verify.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.host import cpu_model, same_cpu_model
from tools.verify import comparison_plan, read_plan

EMERALD = "GenuineIntel family 6 model 207: Intel(R) Xeon(R) Processor"
EPYC = "AuthenticAMD family 25 model 1: AMD EPYC 7B13"


def test_cpu_model_reads_the_first_processor(tmp_path: Path) -> None:
    cpuinfo = tmp_path / "cpuinfo"
    block = ("processor\t: {n}\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: {m}\n"
             "model name\t: Intel(R) Xeon(R) Processor\nflags\t\t: fpu avx2\n\n")
    cpuinfo.write_text(block.format(n=0, m=207) + block.format(n=1, m=143))
    assert cpu_model(cpuinfo) == EMERALD


@pytest.mark.parametrize("a, b, same", [
    (EMERALD, EMERALD, True),
    (EMERALD, EMERALD.replace("Intel(R) Xeon(R) Processor", "Xeon Platinum 8581C"), True),
    (EMERALD, EMERALD.replace("model 207", "model 143"), False),
    (EMERALD, EPYC, False),
    (None, EMERALD, False),
    ("", EMERALD, False),
])
def test_same_cpu_model_compares_vendor_family_and_model(a, b, same) -> None:
    assert same_cpu_model(a, b) is same


def _notebook(path: Path, cpu: str | None) -> Path:
    meta = {"d2lmini": {"framework": "pytorch"} | ({"cpu": cpu} if cpu else {})}
    path.write_text(json.dumps({"cells": [], "metadata": meta, "nbformat": 4, "nbformat_minor": 5}))
    return path


def test_plan_is_exact_only_for_notebooks_executed_on_this_cpu_model(tmp_path: Path) -> None:
    here = _notebook(tmp_path / "here.ipynb", EMERALD)
    there = _notebook(tmp_path / "there.ipynb", EPYC)
    unknown = _notebook(tmp_path / "unknown.ipynb", None)
    plan = comparison_plan([here, there, unknown], EMERALD)
    assert {page: entry["exact"] for page, entry in plan.items()} == {
        "here": True, "there": False, "unknown": False}
    assert plan["there"] == {"exact": False, "mode": "tolerant", "why": "executed on another CPU model",
                             "reference_cpu": EPYC, "this_cpu": EMERALD}


def test_a_framework_bit_identical_across_cpu_models_is_compared_exactly_everywhere(tmp_path: Path) -> None:
    there = _notebook(tmp_path / "there.ipynb", EPYC)
    assert comparison_plan([there], EMERALD, "mxnet")["there"]["mode"] == "exact"
    assert comparison_plan([there], EMERALD, "pytorch")["there"]["mode"] == "tolerant"


def test_read_plan_fails_when_nbval_did_not_run(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="nbval did not run"):
        read_plan(tmp_path, "pytorch")
