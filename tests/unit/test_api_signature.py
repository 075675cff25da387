"""The three framework modules must offer the same public API.

Each environment imports only its own framework, so the API is compared through its
runtime description: {name: str(inspect.signature(...)), or 'class', or the type's name}.
Every framework's description must equal the committed tests/unit/api.json, so a
signature that changes in one framework only fails in that framework's run. With
$D2LMINI_API_DUMP_DIR set, the description is also written to <dir>/<framework>.json (the
pipeline compares the three dumps), and compared with the dumps of the frameworks that
the same folder already holds.
"""

import inspect
import json
import os
from pathlib import Path

import pytest

from d2lmini import core

REFERENCE = Path(__file__).with_name("api.json")


def describe(obj) -> str:
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return str(inspect.signature(obj))
    return type(obj).__name__  # e.g. DATA_HUB: dict, RIDERSHIP_SCALE: float


def api_of(d2l) -> dict[str, str]:
    return {name: describe(getattr(d2l, name)) for name in sorted(d2l.__all__)}


def test_dump_api(d2l, fw):
    assert len(d2l.__all__) == len(set(d2l.__all__))
    api = api_of(d2l)
    public = {name for name, obj in vars(d2l).items()
              if not name.startswith("_") and getattr(obj, "__module__", "").startswith("d2lmini")
              and (inspect.isfunction(obj) or inspect.isclass(obj))}
    assert public <= set(api), f"public but not in __all__: {sorted(public - set(api))}"
    for name in api:
        assert inspect.getdoc(getattr(d2l, name)), f"{name} has no docstring"
    if os.environ.get("D2LMINI_API_DUMP_DIR"):
        folder = Path(os.environ["D2LMINI_API_DUMP_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{fw}.json").write_text(json.dumps(api, indent=1, sort_keys=True) + "\n")


def test_api_matches_the_committed_reference(d2l, fw):
    reference = json.loads(REFERENCE.read_text())
    api = api_of(d2l)
    assert sorted(api) == sorted(reference), (
        f"{fw} names differ from {REFERENCE.name}: {sorted(set(api) ^ set(reference))}")
    differ = {name: (api[name], reference[name]) for name in api if api[name] != reference[name]}
    assert not differ, f"{fw} signatures differ from {REFERENCE.name} (got, expected): {differ}"


def test_api_matches_the_other_frameworks_dumps(d2l, fw):
    folder = os.environ.get("D2LMINI_API_DUMP_DIR")
    others = sorted(Path(folder).glob("*.json")) if folder else []
    others = [p for p in others if p.stem in core.FRAMEWORKS and p.stem != fw]
    if not others:
        pytest.skip("no other framework's API dump in $D2LMINI_API_DUMP_DIR")
    api = api_of(d2l)
    for path in others:
        assert json.loads(path.read_text()) == api, f"{fw} API differs from {path}"


def test_all_is_the_shared_list_of_public_names(d2l):
    assert list(d2l.__all__) == list(core.PUBLIC_NAMES)
    assert all(hasattr(d2l, name) for name in d2l.__all__)


def test_the_framework_specific_functions_are_the_modules_own(d2l):
    for name in ("seed_everything", "num_gpus", "try_gpu", "load_array", "evaluate_loss",
                 "predict_windows"):
        assert inspect.isfunction(getattr(d2l, name))
        assert getattr(d2l, name).__module__ == d2l.__name__, name


def test_the_shared_functions_are_bound_to_this_framework(d2l):
    for name in core.SharedFunctions._fields:
        function = getattr(d2l, name)
        assert function.__name__ == name  # the tuple at the end of the module is in order
        assert function.__self__.framework == d2l.FRAMEWORK
        # the signature and docstring are core's, without `self`
        shared = getattr(core.FrameworkHelpers, name)
        assert function.__doc__ == shared.__doc__
        parameters = list(inspect.signature(shared).parameters.values())[1:]
        assert inspect.signature(function) == inspect.signature(shared).replace(
            parameters=parameters)
