"""The package's layers, read from the source with ``ast`` (so an import inside a function counts too).

* Nothing under ``tinygrad_edu/`` imports ``reference_torch`` (the PyTorch yardstick sits above).
* The engine core never imports its applications: ``training``, ``onnx``, ``cli``.
* ``dtypes`` does not import ``tensor``: promotion needs only dtypes and ranks.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "tinygrad_edu"
APPLICATIONS = ("tinygrad_edu.training", "tinygrad_edu.onnx", "tinygrad_edu.cli", "tinygrad_edu.__main__")
# the core the layering is about; every other module that is not an application is checked too
CORE = ["tensor", "autograd", "dtypes", "ops", "kernels", "creation", "functions", "random", "nn", "optim",
        "utils", "vision"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, name: str, is_package: bool) -> set[str]:
    """Every module an ``import`` or ``from ... import`` in ``source`` may load, as absolute names.

    ``from pkg import x`` counts as importing both ``pkg`` and ``pkg.x`` (x may be a submodule).
    """
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - (node.level - 1)]
                base = ".".join(base + ([node.module] if node.module else []))
            else:
                base = node.module
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def all_modules() -> dict[str, set[str]]:
    return {module_name(p): imported_modules(p.read_text(), module_name(p), p.name == "__init__.py")
            for p in sorted(PACKAGE.rglob("*.py"))}


MODULES = all_modules()
ENGINE = sorted(m for m in MODULES if not any(within(m, a) for a in APPLICATIONS))


def test_the_parser_resolves_relative_imports():
    source = "from ..training import loop\nfrom . import tensor\ndef f():\n    import reference_torch\n"
    found = imported_modules(source, "tinygrad_edu.nn.functional", is_package=False)
    assert {"tinygrad_edu.training.loop", "tinygrad_edu.nn.tensor", "reference_torch"} <= found
    found = imported_modules("from .tensor import Tensor\n", "tinygrad_edu", is_package=True)
    assert "tinygrad_edu.tensor" in found


def test_the_core_is_all_there():
    for name in CORE:
        assert f"tinygrad_edu.{name}" in ENGINE, f"tinygrad_edu.{name} is missing: update CORE in this test"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_imports_reference_torch(module):
    bad = sorted(m for m in MODULES[module] if within(m, "reference_torch"))
    assert not bad, f"{module} imports {bad}: the engine must not depend on the PyTorch reference"


@pytest.mark.parametrize("module", ENGINE)
def test_engine_does_not_import_its_applications(module):
    bad = sorted(m for m in MODULES[module] if any(within(m, a) for a in APPLICATIONS))
    assert not bad, f"{module} imports {bad}: training, onnx and the CLI build on the engine, not the reverse"


def test_dtypes_does_not_import_tensor():
    bad = sorted(m for m in MODULES["tinygrad_edu.dtypes"] if within(m, "tinygrad_edu.tensor"))
    assert not bad, f"tinygrad_edu.dtypes imports {bad}: type promotion needs only dtypes and ranks"
