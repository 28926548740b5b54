"""After one warm-up step, a CNN training step compiles no numba kernel and allocates a fixed budget.

Counted, not timed, so the test holds on a loaded machine:

* numba compilations: numba's ``numba:compile`` event, which a dispatcher fires before it
  compiles a new specialisation (a first call, or a call with new dtypes or layouts), and the
  specialisations each kernel module's dispatchers hold, which also grow when one is loaded
  from the on-disk cache (that fires no event, and costs milliseconds too);
* new numpy arrays: each op's output that owns its memory (``Tensor._make``; views excluded) and
  each gradient the backward pass sends along an edge that owns its memory (``_fit_gradient``);
* numpy memory: the peak of numpy's traced allocations (tracemalloc, numpy's domain) during the
  step, above what was live before it, and what stays live after it.
"""
import tracemalloc
from types import ModuleType

import numpy as np
import pytest
from numba import njit
from numba.core import event
from numba.core.registry import CPUDispatcher

import tinygrad_edu
from tinygrad_edu import autograd, kernels
from tinygrad_edu.kernels import loops
from tinygrad_edu.tutorial import build_models

# The CNN step at batch 8 makes 22 arrays in the forward pass (conv, pool, relu, linear, loss
# outputs: the 25 op outputs less 3 views) and 19 gradients in the backward pass: 41 arrays,
# measured. The budget leaves 3 for a change that turns a view into a copy; more is a regression.
ARRAY_BUDGET = 44
# Measured peak above the live memory: 1.36 MiB (a few (8, 8, 28, 28)-sized float32 temporaries
# in flight at once). A quarter more is allowed before the test calls it a regression.
PEAK_BUDGET_BYTES = int(1.25 * 1.36 * 2 ** 20)


class _CompileCounter(event.Listener):
    def __init__(self):
        self.count = 0

    def on_start(self, ev):
        self.count += 1

    def on_end(self, ev):
        pass


def _specialisations() -> int:
    """How many compiled specialisations the kernel modules' numba dispatchers hold."""
    modules = [m for m in vars(kernels).values() if isinstance(m, ModuleType)]
    dispatchers = [f for m in modules for f in vars(m).values() if isinstance(f, CPUDispatcher)]
    assert dispatchers, "no numba kernels found in tinygrad_edu.kernels"
    return sum(len(d.overloads) for d in dispatchers)


@pytest.fixture
def cnn_step():
    previous = kernels.use("numba")
    tinygrad_edu.manual_seed(0)
    model = build_models(tinygrad_edu).CNN_Mnist()
    opt = tinygrad_edu.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = tinygrad_edu.nn.CrossEntropyLoss()
    rng = np.random.default_rng(0)
    x = tinygrad_edu.from_numpy(rng.standard_normal((8, 1, 28, 28)).astype(np.float32))
    y = tinygrad_edu.from_numpy(rng.integers(0, 10, 8))

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    step()  # the warm-up: compiles (or loads from the cache) every kernel the step uses
    if loops.wait():  # on an empty cache the parallel loops were compiling elsewhere: load them now
        step()
    yield step
    kernels.use(previous)


def test_the_compile_counter_sees_a_compilation():
    counter = _CompileCounter()

    @njit
    def fresh(a):
        return a + 1

    with event.install_listener("numba:compile", counter):
        fresh(1)
    assert counter.count == 1


def test_no_numba_compilation_after_warm_up(cnn_step):
    counter = _CompileCounter()
    held = _specialisations()
    with event.install_listener("numba:compile", counter):
        for _ in range(2):
            cnn_step()
    assert counter.count == 0, f"{counter.count} numba compilations inside a warmed-up training step"
    assert _specialisations() == held, "a warmed-up training step compiled or loaded a numba kernel"


def test_the_specialisation_count_sees_a_new_one(monkeypatch):
    @njit
    def fresh(a):
        return a + 1

    monkeypatch.setattr(kernels, "fresh_module", ModuleType("fresh_module"), raising=False)
    kernels.fresh_module.fresh = fresh
    held = _specialisations()
    fresh(1)
    assert _specialisations() == held + 1


def test_new_arrays_per_step_within_budget(cnn_step, monkeypatch):
    made = {"forward": 0, "backward": 0}
    make, fit = tinygrad_edu.Tensor._make, autograd._fit_gradient

    def counting_make(array, grad_fn=None):
        out = make(array, grad_fn)
        made["forward"] += out.array.base is None
        return out

    def counting_fit(grad, tensor, fn):
        out = fit(grad, tensor, fn)
        made["backward"] += out.base is None
        return out

    monkeypatch.setattr(tinygrad_edu.Tensor, "_make", staticmethod(counting_make))
    monkeypatch.setattr(autograd, "_fit_gradient", counting_fit)
    cnn_step()
    total = made["forward"] + made["backward"]
    assert made["forward"] > 0 and made["backward"] > 0  # the counters are wired in
    assert total <= ARRAY_BUDGET, f"a training step made {made} new arrays, budget {ARRAY_BUDGET}"


def test_numpy_memory_per_step_within_budget(cnn_step):
    numpy_only = [tracemalloc.DomainFilter(True, np.lib.tracemalloc_domain)]

    def live_blocks() -> int:
        return len(tracemalloc.take_snapshot().filter_traces(numpy_only).traces)

    tracemalloc.start()
    try:
        cnn_step()  # the gradients of the step before tracing began become traced blocks here
        before = live_blocks()
        start = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        cnn_step()
        peak = tracemalloc.get_traced_memory()[1] - start
        after = live_blocks()
    finally:
        tracemalloc.stop()
    assert after <= before, f"a training step left {after - before} more numpy arrays alive"
    assert 0 < peak <= PEAK_BUDGET_BYTES, f"a training step's numpy peak {peak} bytes, budget {PEAK_BUDGET_BYTES}"
