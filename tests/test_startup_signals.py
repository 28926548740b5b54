"""A signal while the command is still starting (importing numpy, numba and the engine, the first
second or two) ends it with one line and the signal's status, never a traceback or a silent -15.

Real processes, real signals, through both entry points: ``python -m tinygrad_edu`` and the
console script's target, ``tinygrad_edu_launcher.main`` (the installed ``tinygrad-edu`` script
calls it; run here through ``python -c`` so the test needs no reinstall). Each signal is sent at
0.05 s, 0.3 s and 0.8 s after the process started, but never before the process has installed its
guard, which ``/proc/PID/status`` shows (SigCgt): the interpreter's own start, before any line of
ours runs (about 0.03-0.15 s), is outside the command's reach.
"""
import os
import signal
import subprocess
import sys
import time

import pytest

import tinygrad_edu_launcher

pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads /proc/PID/status (Linux)")

ENTRY_POINTS = {
    "python -m tinygrad_edu": ["-m", "tinygrad_edu"],
    "console script": ["-c", "import sys, tinygrad_edu_launcher; sys.exit(tinygrad_edu_launcher.main())"],
}
LONG_RUN = ["train", "--model", "linreg", "--epochs", "100000", "--checkpoint", "run.ckpt"]
STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
REPEATS = int(os.environ.get("TINYGRAD_EDU_STARTUP_REPEATS", "1"))  # each entry point, each case


def caught_signals(pid: int) -> int | None:
    """The mask of signals the process has handlers for (None once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1], 16) for line in f if line.startswith("SigCgt:"))
    except (FileNotFoundError, ProcessLookupError, StopIteration):
        return None


def start_and_signal(entry: str, signum: int, delay: float, cwd, preexec_fn=None) -> subprocess.Popen:
    """Start the command, and send ``signum`` ``delay`` s after the start, once its guard is in."""
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, *ENTRY_POINTS[entry], *LONG_RUN], cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, preexec_fn=preexec_fn)
    deadline = started + 60
    while not (caught_signals(process.pid) or 0) & 1 << (signal.SIGTERM - 1):
        assert process.poll() is None and time.monotonic() < deadline, "the guard never went in"
        time.sleep(0.001)
    time.sleep(max(0.0, started + delay - time.monotonic()))
    process.send_signal(signum)
    return process


def assert_one_line_interrupt(process: subprocess.Popen, signum: int) -> None:
    try:
        _, err = process.communicate(timeout=120)
    finally:
        process.kill()
    err = err.decode()
    assert process.returncode == STATUS[signum], err[-1500:]
    assert "Traceback" not in err, err[-1500:]
    lines = [line for line in err.replace("\r", "\n").splitlines() if line.startswith("tinygrad-edu:")]
    assert len(lines) == 1 and lines[0].startswith(f"tinygrad-edu: interrupted by {signal.Signals(signum).name}"), err


@pytest.mark.parametrize("delay", [0.05, 0.3, 0.8])
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: s.name)
def test_a_signal_while_starting_gives_one_line(tmp_path, signum, delay):
    for repeat in range(REPEATS):
        for entry in ENTRY_POINTS:
            process = start_and_signal(entry, signum, delay, tmp_path)
            assert_one_line_interrupt(process, signum)


def test_the_first_moments_say_nothing_was_saved(tmp_path):
    """At 0.05 s the engine is still being imported: the launcher's own line."""
    process = start_and_signal("python -m tinygrad_edu", signal.SIGTERM, 0.05, tmp_path)
    _, err = process.communicate(timeout=120)
    assert (process.returncode, err.decode()) == (
        143, "tinygrad-edu: interrupted by SIGTERM before training started; nothing to save\n")


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_an_ignored_sighup_stays_ignored_while_starting(tmp_path, entry):
    """Under ``nohup`` SIGHUP is ignored from the first instant; SIGTERM still stops the command."""
    process = start_and_signal(entry, signal.SIGHUP, 0.05, tmp_path,
                               preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    time.sleep(0.25)
    assert process.poll() is None
    process.send_signal(signal.SIGTERM)
    assert_one_line_interrupt(process, signal.SIGTERM)


def test_importing_the_package_installs_no_handler(tmp_path):
    """Only the command guards its start; a program that imports tinygrad_edu keeps its signals."""
    code = ("import signal, tinygrad_edu; "
            "print([signal.getsignal(s) is signal.SIG_DFL for s in (signal.SIGTERM, signal.SIGHUP)])")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.stdout == "[True, True]\n", result.stderr


@pytest.mark.parametrize("argv, module", [
    (["python", "-m", "tinygrad_edu", "train"], "tinygrad_edu"),
    (["python", "-mtinygrad_edu"], "tinygrad_edu"),
    (["python", "-X", "importtime", "-W", "error", "-m", "tinygrad_edu"], "tinygrad_edu"),
    (["python", "-B", "-m", "tinygrad_edu.tutorial"], "tinygrad_edu.tutorial"),
    (["python", "script.py", "-m", "tinygrad_edu"], None),
    (["python", "-c", "pass", "-m", "tinygrad_edu"], None),
    (["python", "-m"], None),
])
def test_the_module_named_by_dash_m(argv, module):
    assert tinygrad_edu_launcher._module_of_dash_m(argv) == module


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_run_gives_the_program_pythons_own_sigint(tmp_path, entry):
    """``tinygrad-edu run prog.py``: the guard gives way, and Ctrl-C is the program's KeyboardInterrupt."""
    (tmp_path / "prog.py").write_text("import time\ntry:\n    print('started', flush=True)\n    time.sleep(60)\n"
                                      "except KeyboardInterrupt:\n    print('KeyboardInterrupt caught')\n")
    process = subprocess.Popen([sys.executable, *ENTRY_POINTS[entry], "run", "prog.py"], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdout.readline() == b"started\n"
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert (process.returncode, out, err) == (0, b"KeyboardInterrupt caught\n", b"")
