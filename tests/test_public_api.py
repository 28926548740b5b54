"""Every public name has a test: each name the user-facing namespaces export, and each public
member of Tensor and Function, must appear in some test file under tests/ (as ``.name``,
``name(``, ``(name)`` or ``"name"``). The lists are read at test time, so a new public name
without a test fails here.
"""
from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

import tinygrad_edu

TESTS = Path(__file__).resolve().parent
NAMESPACES = ["tinygrad_edu", "tinygrad_edu.nn", "tinygrad_edu.nn.functional", "tinygrad_edu.nn.init",
              "tinygrad_edu.optim", "tinygrad_edu.optim.lr_scheduler", "tinygrad_edu.utils.data",
              "tinygrad_edu.vision", "tinygrad_edu.vision.transforms", "tinygrad_edu.vision.datasets",
              "tinygrad_edu.vision.utils", "tinygrad_edu.autograd", "tinygrad_edu.testing", "tinygrad_edu.viz"]
CLASSES = {"Tensor": tinygrad_edu.Tensor, "Function": tinygrad_edu.autograd.Function}


def public_names(module_name: str) -> list[str]:
    """The names the module defines or re-exports from inside itself (a package's submodules):
    not private, not modules, not helpers it imports from elsewhere (``nn.functional`` uses op
    classes from ``ops``; they are ``ops``' business, not ``nn.functional``'s API). The top-level
    package re-exports from everywhere in the engine, so all of its names count."""
    module = importlib.import_module(module_name)
    names = []
    for name in dir(module):
        obj = getattr(module, name)
        if name.startswith("_") or inspect.ismodule(obj):
            continue
        origin = getattr(obj, "__module__", None) or type(obj).__module__
        scope = "tinygrad_edu" if module_name == "tinygrad_edu" else module_name
        if origin == scope or (origin or "").startswith(scope + "."):
            names.append(name)
    return names


def public_members(cls: type) -> list[str]:
    return [name for name in dir(cls) if not name.startswith("_")]


def read_test_sources() -> str:
    return "\n".join(p.read_text() for p in sorted(TESTS.rglob("test_*.py")) if p.name != Path(__file__).name)


SOURCES = read_test_sources()
ALL = sorted({(m, n) for m in NAMESPACES for n in public_names(m)}
             | {(c, n) for c, cls in CLASSES.items() for n in public_members(cls)})


def is_tested(name: str) -> bool:
    n = re.escape(name)  # x.name, name(...), class C(name), or "name" in a table the test getattr()s
    return re.search(rf"(\.{n}\b|\b{n}\(|\({n}\)|[\"']{n}[\"'])", SOURCES) is not None


def test_the_lists_are_not_empty():
    assert len(ALL) > 200
    for needle in [("tinygrad_edu", "tensor"), ("Tensor", "clamp_"), ("Function", "next_functions"),
                   ("tinygrad_edu.nn.init", "xavier_uniform_"), ("tinygrad_edu.nn.functional", "one_hot")]:
        assert needle in ALL, needle


@pytest.mark.parametrize("where, name", ALL)
def test_every_public_name_is_tested(where, name):
    assert is_tested(name), (f"{where}.{name} is public but no test under tests/ mentions .{name} or {name}(: "
                             f"add a parity test (tests/test_api_coverage.py collects the small ones)")
