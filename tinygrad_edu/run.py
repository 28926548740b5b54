"""Run an unchanged PyTorch program on this engine.

    tinygrad-edu run script.py [args...]
    python -m tinygrad_edu.run script.py [args...]

While the script runs, ``import torch`` gives ``tinygrad_edu``, ``torch.X.Y`` gives
``tinygrad_edu.X.Y``, ``torchvision`` gives ``tinygrad_edu.vision`` and ``torchvision.X`` gives
``tinygrad_edu.vision.X``. Only what the engine really has is there: the first time the script
touches anything else, it stops with one line naming the PyTorch name the engine lacks,
``tinygrad_edu has no torch.optim.lr_scheduler.CyclicLR yet``, instead of an error deep inside.

How: a finder at the front of ``sys.meta_path`` (installed for the run only) answers every
``torch``/``torchvision`` import with an :class:`EngineModule`, a module named as PyTorch's
whose attributes are the engine module's; looking up a name the engine lacks raises
:class:`MissingFeature`.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import runpy
import sys
import traceback
import types

# The PyTorch package each root name stands for, in the engine.
ROOTS = {"torch": "tinygrad_edu", "torchvision": "tinygrad_edu.vision"}
# The engine's own modules, which PyTorch does not have (or has with another meaning: torch.ops).
ENGINE_ONLY = ("cli", "creation", "dtypes", "functions", "kernels", "ops", "run", "runtime", "training", "vision")

USAGE = "usage: tinygrad-edu run script.py [args...]   (or: python -m tinygrad_edu.run script.py [args...])"


class MissingFeature(ImportError):
    """A PyTorch name the engine does not have. An ImportError, so ``from torch.x import y`` and
    ``try: import torch.x / except ImportError`` see it as PyTorch programs expect."""

    def __init__(self, torch_name: str):
        super().__init__(f"tinygrad_edu has no {torch_name} yet")
        self.torch_name = torch_name


def engine_name(torch_name: str) -> str | None:
    """``torch.nn.functional`` -> ``tinygrad_edu.nn.functional``; None for a name outside PyTorch."""
    root, dot, rest = torch_name.partition(".")
    return ROOTS[root] + dot + rest if root in ROOTS else None


def _engine_spec(torch_name: str):
    """The spec of the engine module standing for ``torch_name``, or None if the engine has none."""
    root, _, rest = torch_name.partition(".")
    if root == "torch" and rest.partition(".")[0] in ENGINE_ONLY:
        return None
    try:
        return importlib.util.find_spec(engine_name(torch_name))
    except ModuleNotFoundError:  # a missing parent: the engine lacks the whole branch
        return None


class EngineModule(types.ModuleType):
    """The engine's module under PyTorch's name: each attribute is the engine's; a submodule comes
    back as an EngineModule too, and a name the engine lacks raises :class:`MissingFeature`."""

    def __init__(self, torch_name: str, engine: types.ModuleType):
        super().__init__(torch_name, engine.__doc__)
        self.__engine__ = engine

    def __getattr__(self, name: str):  # only called when the name is not in the module's own dict
        engine, torch_name = self.__engine__, f"{self.__name__}.{name}"
        if name == "__all__":  # what `from torch import *` takes: the engine's public names
            return getattr(engine, "__all__", [n for n in dir(engine) if not n.startswith("_")])
        if name.startswith("__"):  # Python's own probes (__path__, __file__...): the engine's answers
            return getattr(engine, name)
        value = getattr(engine, name, None)
        if isinstance(value, types.ModuleType) or (value is None and not hasattr(engine, name)):
            if _engine_spec(torch_name) is None:
                raise MissingFeature(torch_name)
            return importlib.import_module(torch_name)  # the submodule under PyTorch's name, imported if need be
        setattr(self, name, value)  # found once, then a plain attribute
        return value

    def __dir__(self) -> list[str]:
        return sorted(set(dir(self.__engine__)) | set(self.__dict__))


class _TorchFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Answers imports of ``torch``, ``torchvision`` and their submodules with the engine's modules."""

    def find_spec(self, fullname: str, path=None, target=None):
        if engine_name(fullname) is None:
            return None
        spec = _engine_spec(fullname)
        if spec is None:
            raise MissingFeature(fullname)
        return importlib.machinery.ModuleSpec(fullname, self, is_package=spec.submodule_search_locations is not None)

    def create_module(self, spec) -> EngineModule:
        return EngineModule(spec.name, importlib.import_module(engine_name(spec.name)))

    def exec_module(self, module) -> None:
        if module.__spec__.submodule_search_locations is not None:
            module.__path__ = list(module.__engine__.__path__)


def run(script: str, args: list[str]) -> None:
    """Run ``script`` as ``__main__`` with ``sys.argv = [script, *args]`` and PyTorch's names
    resolving to the engine's modules; everything is put back afterwards."""
    saved_modules = {name: sys.modules.pop(name) for name in list(sys.modules)
                     if name.partition(".")[0] in ROOTS}
    saved_argv, saved_path = sys.argv, sys.path[:]
    finder = _TorchFinder()
    sys.meta_path.insert(0, finder)
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))  # as `python script.py` does
    try:
        runpy.run_path(script, run_name="__main__")
    finally:
        sys.meta_path.remove(finder)
        sys.argv, sys.path[:] = saved_argv, saved_path
        for name in [n for n in sys.modules if n.partition(".")[0] in ROOTS]:
            del sys.modules[name]
        sys.modules.update(saved_modules)


def main(argv: list[str] | None = None) -> int:
    """Run a script from the command line; a missing PyTorch name ends it with its one line (exit 1)."""
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    script, *args = argv
    if not os.path.isfile(script):
        print(f"tinygrad-edu run: error: can't open file '{script}': no such file", file=sys.stderr)
        return 2
    from .tensor import Tensor
    try:
        run(script, args)
    except MissingFeature as e:
        print(e, file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001  (the script's own error: its traceback, as Python prints it)
        if isinstance(e, AttributeError) and isinstance(getattr(e, "obj", None), Tensor):
            print(f"tinygrad_edu has no torch.Tensor.{e.name} yet", file=sys.stderr)
            return 1
        traceback.print_exception(type(e), e, _from_script(e.__traceback__, script))
        return 1
    return 0


def _from_script(tb, script: str):
    """The traceback from the script's first frame on, without this module's and runpy's."""
    start, path = tb, os.path.abspath(script)
    while start is not None and os.path.abspath(start.tb_frame.f_code.co_filename) != path:
        start = start.tb_next
    return start or tb


if __name__ == "__main__":
    sys.exit(main())
