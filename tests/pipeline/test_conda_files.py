"""The conda files give a conda user the same environments as requirements/*.txt."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tools.project import ROOT

# conda file -> the pinned requirement files its environment stands for
CONDA_FILES = {"environment.yml": ["pytorch", "tensorflow"], "environment-mxnet.yml": ["mxnet"]}
TEST_TOOLING = {"pytest", "nbval", "nbclient"}  # in the pinned files for `make test` only


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", requirement).lower()


def _pins(lines: list[str]) -> dict[str, str]:
    """name -> version of `name==version` lines (local versions such as +cpu dropped)."""
    pins = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if "==" in line:
            name, version = line.split("==")
            pins[_name(name)] = version.split("+")[0]
    return pins


def _pip_section(path: Path) -> list[str]:
    spec = yaml.safe_load(path.read_text())
    sections = [d["pip"] for d in spec["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(sections) == 1, f"{path.name}: expected one pip section"
    return sections[0]


@pytest.mark.parametrize("conda_file", CONDA_FILES)
def test_conda_pins_agree_with_requirement_files(conda_file: str) -> None:
    spec = yaml.safe_load((ROOT / conda_file).read_text())
    assert "python=3.11" in spec["dependencies"]
    conda = _pins(_pip_section(ROOT / conda_file))
    assert "-e ." in _pip_section(ROOT / conda_file), "d2lmini itself is installed from the checkout"
    for env in CONDA_FILES[conda_file]:
        locked = _pins((ROOT / "requirements" / f"{env}.txt").read_text().splitlines())
        direct = _pins((ROOT / "requirements" / f"{env}.in").read_text().splitlines())
        for name in direct.keys() - TEST_TOOLING:
            assert name in conda, f"{conda_file} lacks {name} (a direct requirement of {env})"
        for name, version in conda.items():
            if name in locked:
                assert version == locked[name], f"{conda_file}: {name}=={version} but {env}.txt pins {locked[name]}"


def test_every_conda_pin_is_in_some_requirement_file() -> None:
    for conda_file, envs in CONDA_FILES.items():
        locked = {}
        for env in envs:
            locked |= _pins((ROOT / "requirements" / f"{env}.txt").read_text().splitlines())
        missing = _pins(_pip_section(ROOT / conda_file)).keys() - locked.keys()
        assert not missing, f"{conda_file} pins {missing}, which no requirements file tests"
