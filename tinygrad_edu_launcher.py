"""The ``tinygrad-edu`` command's entry point, kept outside the package so it starts in milliseconds.

Importing anything from ``tinygrad_edu`` first runs ``tinygrad_edu/__init__.py``, which loads
numpy, numba and the whole engine: a second or two before ``tinygrad_edu.cli.main`` can
install its signal handlers. A Ctrl-C in that window used to print Python's
``KeyboardInterrupt`` traceback, and a ``kill`` ended the command silently with -15.

So the command starts here, with nothing imported but ``os``, ``signal`` and ``sys``:
:func:`guard_startup` makes SIGINT, SIGTERM and SIGHUP print one line and exit with the
signal's status (130, 143, 129) until the CLI replaces those handlers with its own. Nothing
has been trained yet, so there is nothing to save; the process ends at once (``os._exit``),
wherever the import stood. A signal the parent ignores (``nohup`` ignores SIGHUP) stays ignored.

``python -m tinygrad_edu`` can't start outside the package, so ``tinygrad_edu/__init__.py``
calls :func:`guard_module_start` as its first statement.
"""
from __future__ import annotations

import os
import signal
import sys

PROG = "tinygrad-edu"
SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


def guard_startup() -> dict:
    """Until replaced, SIGINT, SIGTERM and SIGHUP end the process with one line and status
    128 + the signal's number; returns the previous handlers."""
    return {signum: signal.signal(signum, _stop) for signum in SIGNALS
            if signal.getsignal(signum) is not signal.SIG_IGN}


def guard_module_start() -> None:
    """:func:`guard_startup`, when this process is ``python -m tinygrad_edu`` (the package is
    being imported to run its ``__main__``), and for nothing else that imports the package."""
    if sys.argv[:1] == ["-m"] and _module_of_dash_m(getattr(sys, "orig_argv", [])) == "tinygrad_edu":
        guard_startup()
        sys.excepthook = _load_error  # ``tinygrad_edu/__main__.py`` puts Python's back once the engine has loaded


def main(argv: list[str] | None = None) -> int:
    """The ``tinygrad-edu`` console script: guard the start, then run ``tinygrad_edu.cli.main``."""
    previous = guard_startup()
    try:
        from tinygrad_edu.cli import main as cli_main
    except ValueError as error:  # a TINYGRAD_EDU_* setting the engine checks as it loads: one line
        _say(error)
        return 1

    try:
        return cli_main(argv)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _load_error(kind, error, traceback) -> None:
    """A ``ValueError`` while ``python -m tinygrad_edu`` loads the engine (a bad ``TINYGRAD_EDU_*``
    setting) is one line, as :func:`main` makes it; Python then exits with status 1."""
    if issubclass(kind, ValueError):
        _say(error)
    else:
        sys.__excepthook__(kind, error, traceback)


def _say(error) -> None:
    sys.stderr.write(f"{PROG}: error: {error}\n")


def _stop(signum, frame) -> None:
    line = f"{PROG}: interrupted by {signal.Signals(signum).name} before training started; nothing to save\n"
    try:
        os.write(2, line.encode())
    except OSError:  # no terminal any more (SIGHUP)
        pass
    os._exit(128 + signum)


def _module_of_dash_m(argv: list[str]) -> str | None:
    """The module named by ``-m`` on the interpreter's command line (``-m NAME`` or ``-mNAME``)."""
    args = iter(argv[1:])
    for arg in args:
        if arg == "-m":
            return next(args, None)
        if arg.startswith("-m"):
            return arg[2:]
        if arg in ("-X", "-W", "--check-hash-based-pycs"):  # options whose value is the next argument
            next(args, None)
        elif not arg.startswith("-") or arg.startswith("-c"):  # a script or -c command comes first
            return None
    return None
