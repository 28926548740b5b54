"""Test settings shared by the whole suite.

Hypothesis profiles (pick one with ``HYPOTHESIS_PROFILE=ci``):

* ``dev`` (the default): 25 examples per property, enough to meet broadcasting, size-1 dims, 0-dim
  tensors and non-contiguous layouts on every run while the core suite stays near a minute
  on two cores;
* ``ci``: 200 examples per property, for a nightly or pre-release run.

No deadline: the first example of a test pays for imports and numba compilation.

The signal tests send SIGINT, SIGTERM and SIGHUP to the processes they start, which inherit an
ignored signal from this one: a suite started by ``nohup`` (SIGHUP ignored) or as a background job
of a script (SIGINT ignored) would see its training runs rightly keep ignoring them. So a signal
this process was started ignoring gets its default back, for the processes the tests start.

This directory is put on ``sys.path`` by pytest (no ``__init__.py``), so any test here or in a
subdirectory can ``from helpers import check_against_torch`` and ``import strategies``.
"""
import os
import signal

import pytest
from hypothesis import HealthCheck, settings

from tinygrad_edu import kernels

_DEFAULTS = (("SIGINT", signal.default_int_handler), ("SIGHUP", signal.SIG_DFL), ("SIGTERM", signal.SIG_DFL))
for _name, _default in _DEFAULTS:
    if hasattr(signal, _name) and signal.getsignal(getattr(signal, _name)) is signal.SIG_IGN:
        signal.signal(getattr(signal, _name), _default)

settings.register_profile("dev", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(params=["numba", "numpy"])
def kernel_path(request):
    """Run the test on one of the two kernel paths, then go back to the one in use before."""
    previous = kernels.use(request.param)
    yield request.param
    kernels.use(previous)
