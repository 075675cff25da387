"""The three framework modules must offer the same public API.

With $D2LMINI_API_DUMP_DIR set, the API of the framework under test is written to
<dir>/<framework>.json as {name: signature, or 'class'}, so that the dumps of the three
environments can be compared. Independently, every environment parses all three module
files and checks that their __all__ lists and the signatures of the functions they define
agree.
"""

import ast
import inspect
import json
import os
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "d2lmini"
FILES = ["mxnet.py", "torch.py", "tensorflow.py"]


def describe(obj) -> str:
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return str(inspect.signature(obj))
    return type(obj).__name__  # e.g. DATA_HUB: dict


def test_dump_api(d2l, fw):
    assert len(d2l.__all__) == len(set(d2l.__all__))
    api = {name: describe(getattr(d2l, name)) for name in sorted(d2l.__all__)}
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


def parse(filename: str) -> tuple[list[str], dict[str, str]]:
    """Return the module's literal __all__ and {function name: its signature as source}."""
    tree = ast.parse((PACKAGE / filename).read_text(), filename)
    names, functions = None, {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            names = ast.literal_eval(node.value)
        elif isinstance(node, ast.FunctionDef):
            returns = ast.unparse(node.returns) if node.returns else ""
            functions[node.name] = f"({ast.unparse(node.args)}) -> {returns}"
    assert names is not None, f"{filename} has no literal __all__"
    return list(names), functions


def test_all_lists_and_signatures_match_across_files():
    parsed = {f: parse(f) for f in FILES}
    reference_all, reference_functions = parsed[FILES[0]]
    assert len(reference_all) == len(set(reference_all))
    for filename, (names, functions) in parsed.items():
        assert set(names) == set(reference_all), (
            f"{filename} vs {FILES[0]}: {sorted(set(names) ^ set(reference_all))}")
        public = {n: s for n, s in functions.items() if n in names}
        expected = {n: s for n, s in reference_functions.items() if n in reference_all}
        assert public == expected, f"{filename} signatures differ from {FILES[0]}"


@pytest.mark.parametrize("filename", FILES)
def test_framework_files_define_the_framework_functions(filename):
    _, functions = parse(filename)
    assert {"seed_everything", "num_gpus", "try_gpu", "load_array", "evaluate_loss",
            "record_result"} <= set(functions)
