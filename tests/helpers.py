"""Shared test helpers.

The parity helper lives in ``tinygrad_edu.testing`` (learners use it too); the tests import it
from here so ``from helpers import check_against_torch`` keeps working:

    check_against_torch(lambda x, y: x @ y, None, [a, b], "float32")
    check_against_torch(lambda x: tinygrad_edu.cat([x, x]), lambda x: torch.cat([x, x]), [a])
"""
from __future__ import annotations

from tinygrad_edu.testing import TOLERANCES, assert_same_tensor, check_against_torch  # noqa: F401


# ---------------------------------------------------------------------------- the command line
# Shared by test_cli.py, test_signals.py and test_cli_fuzz.py.


def run_main(capsys, *argv: str) -> tuple[int, str, str]:
    """``tinygrad-edu ARGV`` in this process: (exit status, stdout, stderr)."""
    from tinygrad_edu.cli import main

    try:
        status = main(list(argv))
    except SystemExit as e:  # argparse rejects bad flags with exit status 2
        status = e.code
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def run_command(*argv: str, cwd, timeout: float = 120, env: dict | None = None):
    """``python -m tinygrad_edu ARGV`` as a real process; a ``subprocess.CompletedProcess``."""
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "tinygrad_edu", *argv], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=env)


def assert_one_line_error(status: int, err: str, expected: str) -> None:
    """A failed command: non-zero status, no traceback, and ``expected`` in its one line on stderr."""
    assert status != 0
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], err


def read_until(stream, marker: bytes, timeout: float) -> bytes:
    """Read a process's pipe until ``marker`` appears (or it closes, or ``timeout`` s pass)."""
    import os
    import time

    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        chunk = os.read(stream.fileno(), 4096)
        if not chunk:
            break
        seen += chunk
    return seen


def checkpoint_weights(path) -> dict:
    """The ``model_state_dict`` of a checkpoint written by ``tinygrad-edu train``."""
    from tinygrad_edu.serialization import load

    return load(str(path))["model_state_dict"]


def raise_the_same(code: str, exc: type, message: str, namespace: dict | None = None) -> None:
    """``code`` (run with ``lib`` bound to each engine) raises ``exc`` whose text contains ``message``,
    in tinygrad_edu and in torch."""
    import re

    import numpy as np
    import pytest
    import torch

    import tinygrad_edu
    for lib in (tinygrad_edu, torch):
        with pytest.raises(exc, match=re.escape(message)):
            exec(code, {"lib": lib, "np": np, **(namespace or {})})
