"""The grader's one fixture: ``impl`` is the module a stage's tests grade.

By default that is the learner's ``exercise.py`` next to the test file; with
``TINYGRAD_EDU_EXERCISES=reference`` (``tinygrad-edu exercises check N --reference``) it is
``reference.py``, which only imports the engine's own implementation, so the same tests prove
that the engine passes them.
"""
import importlib.util
import os
from pathlib import Path

import pytest


def load_stage(folder: Path):
    which = "reference" if os.environ.get("TINYGRAD_EDU_EXERCISES") == "reference" else "exercise"
    spec = importlib.util.spec_from_file_location(f"{folder.name}_{which}", folder / f"{which}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def impl(request):
    return load_stage(Path(request.module.__file__).parent)
