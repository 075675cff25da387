"""tools/latest.py without building an environment: what it asks pip for and how it
reads nbval's failures (the logs in data_latest/ are nbval 0.11's own output)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools import latest

DATA = Path(__file__).parent / "data_latest"


def test_moving_packages_are_unpinned_and_the_harness_pinned() -> None:
    asked = latest.requirements("tensorflow", environ={})
    assert asked[:2] == ["tensorflow-cpu", "keras"]
    assert set(latest.MOVING) <= set(asked)
    assert all("==" in spec for spec in asked if spec.split("==")[0] in latest.TOOLCHAIN)


def test_torch_stays_at_the_pinned_cpu_build_unless_asked() -> None:
    assert latest.requirements("pytorch", environ={})[0] == latest.pinned("pytorch", "torch")
    assert "+cpu" in latest.pinned("pytorch", "torch")
    assert latest.requirements("pytorch", environ={latest.TORCH_VARIABLE: "torch"})[0] == "torch"


def test_pins_are_found_however_pip_spells_the_name() -> None:
    """The report's "pinned" column: requirements/ spells tensorflow-cpu tensorflow_cpu."""
    assert latest.pinned("tensorflow", "tensorflow-cpu").startswith("tensorflow_cpu==")
    assert latest.pinned("tensorflow", "TensorFlow_CPU") == latest.pinned("tensorflow", "tensorflow-cpu")
    with pytest.raises(ValueError, match="not pinned"):
        latest.pinned("tensorflow", "tensorflow-gpu")


def test_mxnet_is_refused_with_the_reason() -> None:
    with pytest.raises(ValueError, match="numpy < 1.24"):
        latest.requirements("mxnet", environ={})


@pytest.mark.parametrize("log, kind, detail", [
    ("nbval_fmt.log", "format", "committed 'mae 1234.0 ok', now 'mae 1,234.0 ok'"),
    ("nbval_num.log", "numeric", "committed 'mae 1,235.0 ok', now 'mae 1,234.0 ok'"),
    ("nbval_err.log", "error", "ValueError: boom"),
])
def test_first_difference_is_classified(log: str, kind: str, detail: str) -> None:
    found_kind, found_detail = latest.classify((DATA / log).read_text())
    assert found_kind == kind
    assert found_detail.endswith(detail) and "Cell 0" in found_detail
