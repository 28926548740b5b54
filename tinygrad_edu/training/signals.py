"""Ctrl-C, ``kill`` and a closed terminal stop training cleanly: the signal only raises a flag.

SIGINT (Ctrl-C), SIGTERM (``kill``, ``docker stop``, a batch scheduler's preemption) and
SIGHUP (the terminal went away) are handled alike. While a :class:`SignalGuard` is active,
a signal does nothing but note which one came; the training loop looks at the note between
steps, saves, and stops. So a signal never lands inside an optimizer step, a checkpoint
write or a numba compilation (an exception raised in the middle of those lost runs: a final
checkpoint never written, "no compiled object yet" errors, once a segmentation fault).

Outside a guard, :func:`raise_on_signals` makes all three raise :class:`Interrupted` (a
``KeyboardInterrupt``), as Python does for Ctrl-C alone, so a command that has nothing to
save stops at once with the signal's exit status, 128 + its number (130, 143, 129).
"""
from __future__ import annotations

import signal
import threading

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


class Interrupted(KeyboardInterrupt):
    """A signal stopped the command; ``signum`` says which one."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_status(signum: int) -> int:
    """The shell's status for a process ended by ``signum``: 130 for SIGINT, 143 for SIGTERM."""
    return 128 + signum


def raise_on_signals() -> dict:
    """Make the first SIGINT, SIGTERM or SIGHUP raise :class:`Interrupted`, and any later one
    do nothing (so a second Ctrl-C can't cut the report of the first short); returns the
    previous handlers."""
    raised = []

    def handle(signum, frame):
        if not raised:
            raised.append(signum)
            raise Interrupted(signum)

    return _install(handle)


def python_defaults() -> None:
    """Python's own handling of the three signals, as a plain program starts with: SIGINT raises
    KeyboardInterrupt, SIGTERM and SIGHUP end the process. Replaces the command's start-up guard
    (``tinygrad_edu_launcher``) for ``tinygrad-edu run``, whose program expects Python's."""
    _install(signal.SIG_DFL)
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


def restore(previous: dict) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


class SignalGuard:
    """``with SignalGuard() as guard:`` a signal sets ``guard.signum`` (the first one that
    came) and nothing else; the code inside looks at it when it is safe to stop.

    Off the main thread (where Python can't install handlers) it installs nothing.
    """

    def __init__(self):
        self.signum: int | None = None
        self.previous: dict = {}

    def __enter__(self) -> "SignalGuard":
        self.previous = _install(self._handle)
        return self

    def __exit__(self, *exc) -> None:
        restore(self.previous)

    def _handle(self, signum, frame) -> None:
        if self.signum is None:
            self.signum = signum


def _install(handler) -> dict:
    """Install ``handler`` for each signal the process doesn't ignore (``nohup`` ignores SIGHUP,
    a shell's background job SIGINT: that choice stands)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    return {signum: signal.signal(signum, handler) for signum in SIGNALS
            if signal.getsignal(signum) is not signal.SIG_IGN}
