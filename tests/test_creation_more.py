"""Creation functions, defaults and devices against PyTorch: dtype= and device= on every creation
function, the *_like family, linspace/logspace/eye/randint/randperm, set_default_dtype and
set_default_device, the CPU-only answers of cuda / backends.mps / accelerator, and out=.
"""
import math

import numpy as np
import pytest
import torch

import tinygrad_edu as te
from helpers import assert_same_tensor, raise_the_same


def dtype_name(t) -> str:
    return t.dtype.name if isinstance(t, te.Tensor) else str(t.dtype).removeprefix("torch.")


@pytest.fixture
def default_dtype():
    """Set the default dtype in both engines with ``default_dtype(d)``; float32 comes back afterwards,
    whatever the test did."""
    def set_both(name: str) -> None:
        te.set_default_dtype(getattr(te, name))
        torch.set_default_dtype(getattr(torch, name))
    yield set_both
    te.set_default_dtype(te.float32)
    torch.set_default_dtype(torch.float32)


# ---------------------------------------------------------------------------- deterministic creation

SAME = [  # evaluated with lib = tinygrad_edu and lib = torch; shapes, dtypes and values must match
    "lib.linspace(0, 1, 5)", "lib.linspace(-2, 3.5, 7, dtype=lib.float64)", "lib.linspace(0, 10, 5, dtype=lib.int64)",
    "lib.linspace(0, 1, 0)", "lib.linspace(2, 3, 1)", "lib.linspace(lib.tensor(0.), lib.tensor(1.), 3)",
    "lib.logspace(0, 2, 3)", "lib.logspace(0, 2, 3, base=2)", "lib.logspace(-1, 1, 4, dtype=lib.float64)",
    "lib.logspace(0, 1, 3, dtype=lib.int64)", "lib.logspace(0, 1, 0)",
    "lib.eye(3)", "lib.eye(2, 3, dtype=lib.int64)", "lib.eye(0)", "lib.eye(3, 1, dtype=lib.float64)",
    "lib.full((2,), 2)", "lib.full((2,), True)", "lib.full((2, 1), 1.5, dtype=lib.int64)", "lib.full((2,), 2.5)",
    "lib.full_like(lib.ones(2), 7, dtype=lib.int64)", "lib.full_like(lib.tensor([1, 2]), 2.7)",
    "lib.empty_like(lib.ones(2, 3), dtype=lib.int64).shape and lib.zeros(2, 3, dtype=lib.int64)",
    "lib.zeros_like(lib.ones(2), device='cpu')", "lib.ones_like(lib.tensor([1, 2]), dtype=lib.float64)",
    "lib.zeros(2, 3, dtype=lib.float64, device='cpu')", "lib.ones((2,), dtype=lib.int32, device=lib.device('cpu'))",
    "lib.empty(2, device='cpu').shape and lib.zeros(2)", "lib.arange(3, device='cpu')",
    "lib.tensor([1., 2.], dtype=lib.float64, device='cpu')", "lib.as_tensor([1, 2], device='cpu')",
    "lib.FloatTensor([2, 3])", "lib.LongTensor([2, 3])", "lib.DoubleTensor([[1, 2]])",
]


@pytest.mark.parametrize("expr", SAME)
def test_creation_matches_torch(expr):
    ours, theirs = eval(expr, {"lib": te}), eval(expr, {"lib": torch})
    rtol = 1e-6 if theirs.dtype == torch.float32 else 1e-12
    assert_same_tensor(ours, theirs, rtol, 0, expr)


# ---------------------------------------------------------------------------- random creation

RANDOM = [  # shape and dtype must match torch's; values are the engine's own
    "lib.rand_like(lib.ones(2, 3))", "lib.rand_like(lib.ones(2), dtype=lib.float64)",
    "lib.randn_like(lib.ones(3, dtype=lib.float64))", "lib.randn_like(lib.ones(2), dtype=lib.float64)",
    "lib.randint(5, (2, 3))", "lib.randint(3, 5, (2,))", "lib.randint(3, 5, (2,), dtype=lib.float32)",
    "lib.randint(0, 2, (4,), dtype=lib.int32, device='cpu')", "lib.randint_like(lib.ones(2), 5)",
    "lib.randint_like(lib.tensor([1, 2]), 3, 5)", "lib.randint_like(lib.ones(2), 5, dtype=lib.int32)",
    "lib.randperm(4)", "lib.randperm(4, dtype=lib.float32)", "lib.randperm(0)",
    "lib.rand(2, 3, dtype=lib.float64, device='cpu')", "lib.randn(2, device='cpu', requires_grad=True)",
    # the size forms of the typed constructors: uninitialised in torch (zeros here), so only shape and dtype
    "lib.FloatTensor(2, 3)", "lib.FloatTensor(2)", "lib.LongTensor(2, 3)", "lib.DoubleTensor(1, 2)",
]


@pytest.mark.parametrize("expr", RANDOM)
def test_random_creation_shapes_and_dtypes_match_torch(expr):
    ours, theirs = eval(expr, {"lib": te}), eval(expr, {"lib": torch})
    assert tuple(ours.shape) == tuple(theirs.shape) and dtype_name(ours) == dtype_name(theirs), expr
    assert ours.requires_grad == theirs.requires_grad


def test_random_integers_stay_in_range_and_permutations_are_permutations():
    te.manual_seed(0)
    values = te.randint(3, 7, (2000,)).numpy()
    assert values.min() == 3 and values.max() == 6
    like = te.randint_like(te.ones(2000), 2, 4).numpy()
    assert set(np.unique(like)) == {2.0, 3.0}
    assert sorted(te.randperm(50).tolist()) == list(range(50))
    u = te.rand_like(te.ones(4000, dtype=te.float64)).numpy()
    assert 0 <= u.min() and u.max() < 1 and abs(u.mean() - 0.5) < 0.03


CREATION_ERRORS = {
    "linspace steps": ("lib.linspace(0, 1, -1)", RuntimeError, "number of steps must be non-negative"),
    "logspace steps": ("lib.logspace(0, 1, -1)", RuntimeError, "number of steps must be non-negative"),
    "eye n": ("lib.eye(-1)", RuntimeError, "n must be greater or equal to 0, got -1"),
    "randint range": ("lib.randint(5, 3, (2,))", RuntimeError,
                      "random_ expects 'from' to be less than 'to', but got from=5 >= to=3"),
    "rand of int": ("lib.rand(2, dtype=lib.int64)", NotImplementedError, "not implemented for 'Long'"),
    "randn_like of int": ("lib.randn_like(lib.tensor([1, 2]))", NotImplementedError, "not implemented for 'Long'"),
    "randperm grad": ("lib.randperm(3, requires_grad=True)", RuntimeError,
                      "nly Tensors of floating point and complex dtype can require gradients"),
    "randint grad": ("lib.randint(5, (2,), requires_grad=True)", RuntimeError,
                     "nly Tensors of floating point and complex dtype can require gradients"),
    "default dtype int": ("lib.set_default_dtype(lib.int64)", TypeError,
                          "only floating-point types are supported as the default type"),
}


@pytest.mark.parametrize("case", CREATION_ERRORS)
def test_creation_errors_read_like_torchs(case):
    raise_the_same(*CREATION_ERRORS[case])


# ---------------------------------------------------------------------------- devices

DEVICE_FUNCTIONS = ["lib.zeros(2, device=DEV)", "lib.ones(2, device=DEV)", "lib.tensor([1.], device=DEV)",
                    "lib.rand(2, device=DEV)", "lib.randn(2, device=DEV)", "lib.full((2,), 1., device=DEV)",
                    "lib.arange(3, device=DEV)", "lib.linspace(0, 1, 3, device=DEV)", "lib.eye(2, device=DEV)",
                    "lib.zeros_like(lib.ones(2), device=DEV)", "lib.rand_like(lib.ones(2), device=DEV)",
                    "lib.randint(5, (2,), device=DEV)", "lib.randperm(3, device=DEV)",
                    "lib.logspace(0, 1, 2, device=DEV)", "lib.empty(2, device=DEV)"]


@pytest.mark.parametrize("code", DEVICE_FUNCTIONS)
def test_every_creation_function_takes_the_cpu_and_refuses_other_devices(code):
    for dev in ("cpu", te.device("cpu")):
        assert eval(code, {"lib": te, "DEV": dev}).device == "cpu"
    for dev in ("cuda", "cuda:0", "mps"):
        with pytest.raises(RuntimeError, match=f"device '{dev}' is not available"):
            eval(code, {"lib": te, "DEV": dev})


def test_default_device():
    te.set_default_device("cpu")
    te.set_default_device(te.device("cpu"))
    te.set_default_device(None)
    assert te.get_default_device() == "cpu" and te.zeros(1).device == "cpu"
    assert str(te.get_default_device()) == str(torch.get_default_device()) == "cpu"
    with pytest.raises(RuntimeError, match="device 'cuda' is not available"):
        te.set_default_device("cuda")


def test_a_cpu_only_machine_answers_no_accelerator():
    # What a CPU-only PyTorch build answers (the venv's torch is a CUDA build on a machine without a GPU,
    # so its current_accelerator() says "cuda"; the answers below are a CPU-only build's).
    assert te.cuda.is_available() is False  # tensors cannot live on a GPU (even where the CUDA kernels run)
    te.cuda.manual_seed(0)
    te.cuda.manual_seed_all(0)
    assert te.backends.mps.is_available() is False and te.backends.mps.is_built() is False
    assert torch.backends.mps.is_available() is False and torch.backends.mps.is_built() is False
    assert te.accelerator.is_available() is False and torch.accelerator.is_available() is False
    assert te.accelerator.current_accelerator() is None
    assert te.accelerator.device_count() == 0 == torch.accelerator.device_count()
    device = te.accelerator.current_accelerator() or te.device("cpu")
    assert te.ones(2).to(device).device == "cpu"


# ---------------------------------------------------------------------------- the default dtype

DEFAULTS = ["lib.tensor([1.0])", "lib.tensor(1.5)", "lib.zeros(2)", "lib.ones(2, 1)", "lib.empty(2)",
            "lib.full((1,), 2.)", "lib.arange(2.)", "lib.linspace(0, 1, 2)", "lib.logspace(0, 1, 2)", "lib.eye(2)",
            "lib.tensor([1]).sin()", "lib.tensor([1]) * 0.5", "lib.tensor([1]) / 2", "lib.Tensor([1])",
            "lib.tensor([1])", "lib.FloatTensor([1])", "lib.tensor([1]).float()", "lib.tensor([1.5]).exp()"]


@pytest.mark.parametrize("name", ["float64", "float16", "float32"])
def test_set_default_dtype_changes_new_float_tensors(default_dtype, name):
    default_dtype(name)
    assert te.get_default_dtype() is getattr(te, name)
    for expr in DEFAULTS:
        ours, theirs = eval(expr, {"lib": te}), eval(expr, {"lib": torch})
        assert dtype_name(ours) == dtype_name(theirs), f"{expr} with default {name}"
    for expr in ("lib.rand(2)", "lib.randn(2)", "lib.rand_like(lib.tensor([1.]))"):
        assert dtype_name(eval(expr, {"lib": te})) == dtype_name(eval(expr, {"lib": torch})), expr


def test_the_fixture_restored_the_default_dtype():
    # runs after the test above (pytest keeps file order): float32 is back in both engines
    assert te.get_default_dtype() is te.float32 and torch.get_default_dtype() is torch.float32
    assert te.tensor([1.0]).dtype is te.float32 and te.zeros(1).dtype is te.float32


# ---------------------------------------------------------------------------- out=

OUT = {  # name: (call with lib, out argument named OUT), input arrays are float32 unless the call says so
    "add": "lib.add(lib.ones(2, 2), 1, out=OUT)", "sub": "lib.sub(lib.ones(2), lib.ones(2), alpha=2, out=OUT)",
    "mul": "lib.mul(lib.ones(2), 3, out=OUT)", "div": "lib.div(lib.ones(2), 4, out=OUT)",
    "matmul": "lib.matmul(lib.ones(2, 3), lib.ones(3, 2), out=OUT)",
    "mm": "lib.mm(lib.ones(2, 3), lib.ones(3, 1), out=OUT)",
    "exp": "lib.exp(lib.zeros(3), out=OUT)", "sin": "lib.sin(lib.ones(3), out=OUT)",
    "sum": "lib.sum(lib.ones(2, 3), 1, out=OUT)", "cat": "lib.cat([lib.ones(2), lib.zeros(1)], out=OUT)",
    "stack": "lib.stack([lib.ones(2), lib.zeros(2)], out=OUT)",
    "maximum": "lib.maximum(lib.ones(2), lib.zeros(2), out=OUT)",
    "cumsum": "lib.cumsum(lib.ones(3), 0, out=OUT)",
    "where": "lib.where(lib.tensor([True, False]), lib.ones(2), lib.zeros(2), out=OUT)",
    "clamp": "lib.clamp(lib.arange(4.), 1, 2, out=OUT)", "pow": "lib.pow(lib.ones(2) * 3, 2, out=OUT)",
    "bmm": "lib.bmm(lib.ones(2, 2, 3), lib.ones(2, 3, 1), out=OUT)",
}


EXACT = {"matmul", "mm", "bmm", "where", "clamp"}  # torch wants out of the result's dtype for these


@pytest.mark.parametrize("name", OUT)
@pytest.mark.parametrize("out", ["lib.empty(0)", "lib.zeros(1, dtype=lib.float64)"])
@pytest.mark.filterwarnings("ignore:An output with one or more elements was resized")
def test_out_writes_into_the_given_tensor(name, out):
    if name in EXACT and "float64" in out:
        for lib in (te, torch):
            with pytest.raises(RuntimeError):
                eval(OUT[name], {"lib": lib, "OUT": eval(out, {"lib": lib})})
        return
    results = []
    for lib in (te, torch):
        target = eval(out, {"lib": lib})
        returned = eval(OUT[name], {"lib": lib, "OUT": target})
        assert returned is target, f"{name}: out= must return out itself"
        results.append(target)
    assert_same_tensor(results[0], results[1], 1e-6, 0, name)


CREATION_OUT = ["lib.zeros(2, 3, out=OUT)", "lib.ones(2, out=OUT)", "lib.full((2,), 7, out=OUT)",
                "lib.arange(4, out=OUT)", "lib.linspace(0, 1, 5, out=OUT)", "lib.logspace(0, 2, 3, out=OUT)",
                "lib.eye(3, out=OUT)", "lib.empty(2, out=OUT).shape and lib.zeros(2, out=OUT)"]


@pytest.mark.parametrize("code", CREATION_OUT)
@pytest.mark.parametrize("out", ["lib.empty(0)", "lib.empty(0, dtype=lib.float64)", "lib.empty(0, dtype=lib.int64)"])
def test_out_on_creation_functions_takes_outs_dtype(code, out):
    results = []
    for lib in (te, torch):
        target = eval(out, {"lib": lib})
        assert eval(code, {"lib": lib, "OUT": target}) is target
        results.append(target)
    assert_same_tensor(results[0], results[1], 1e-6, 0, code)


@pytest.mark.parametrize("code", ["lib.rand(2, 3, out=OUT)", "lib.randn(4, out=OUT)", "lib.randint(5, (3,), out=OUT)",
                                  "lib.randperm(4, out=OUT)"])
def test_out_on_random_creation_functions(code):
    # random values differ between the engines: same shape and dtype (out's), and out itself returned
    targets = []
    for lib in (te, torch):
        target = lib.empty(0, dtype=lib.float64)
        assert eval(code, {"lib": lib, "OUT": target}) is target
        targets.append(target)
    assert tuple(targets[0].shape) == tuple(targets[1].shape)
    assert dtype_name(targets[0]) == dtype_name(targets[1]) == "float64"


def test_out_resizes_a_nonempty_tensor_with_torchs_warning_and_keeps_its_dtype():
    for lib in (te, torch):
        out = lib.ones(3, dtype=lib.float64)
        with pytest.warns(UserWarning, match="An output with one or more elements was resized"):
            lib.add(lib.ones(2, 2), 1, out=out)
        assert tuple(out.shape) == (2, 2) and dtype_name(out) == "float64"


OUT_ERRORS = {
    "out with grad": ("lib.add(lib.ones(2), 1, out=lib.ones(2, requires_grad=True))", RuntimeError,
                      "add(): functions with out=... arguments don't support automatic differentiation, but one of "
                      "the arguments requires grad."),
    "input with grad": ("lib.sin(lib.ones(2, requires_grad=True), out=lib.ones(2))", RuntimeError,
                        "sin(): functions with out=... arguments don't support automatic differentiation"),
    "float into int": ("lib.add(lib.ones(2), 1, out=lib.ones(2, dtype=lib.int64))", RuntimeError,
                       "result type Float can't be cast to the desired output type Long"),
    "int into bool": ("lib.add(lib.tensor([1]), 1, out=lib.zeros(1, dtype=lib.bool))", RuntimeError,
                      "result type Long can't be cast to the desired output type Bool"),
    "creation dtype and out": ("lib.zeros(2, dtype=lib.float64, out=lib.empty(0))", RuntimeError,
                               "dtype Double does not match dtype of out parameter (Float)"),
    "mm into double": ("lib.mm(lib.ones(2, 2), lib.ones(2, 2), out=lib.zeros(1, dtype=lib.float64))", RuntimeError,
                       "Expected out tensor to have dtype float, but got double instead"),
    "gather into double": ("lib.gather(lib.ones(2), 0, lib.tensor([0]), out=lib.zeros(1, dtype=lib.float64))",
                           RuntimeError, "Expected out tensor to have dtype float, but got double instead"),
}


@pytest.mark.parametrize("case", OUT_ERRORS)
def test_out_errors_read_like_torchs(case):
    raise_the_same(*OUT_ERRORS[case])


def test_out_is_allowed_under_no_grad():
    x = te.ones(2, requires_grad=True)
    out = te.empty(0)
    with te.no_grad():
        te.mul(x, 2, out=out)
    assert out.tolist() == [2.0, 2.0] and not out.requires_grad
    assert math.isclose(te.exp(te.zeros(1), out=te.empty(0)).item(), 1.0)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
@pytest.mark.parametrize("size, error", [
    ((2.5,), TypeError), ((2, "a"), TypeError), (((2, 1.0),), TypeError),
    ((-1,), RuntimeError), ((2, -3), RuntimeError)])
def test_a_size_that_is_not_whole_and_non_negative_is_refused_as_torch_refuses_it(name, size, error):
    """int(2.5) would silently give 2 elements: torch refuses float sizes, and negative ones."""
    with pytest.raises(error):
        getattr(torch, name)(*size)
    with pytest.raises(error):
        getattr(te, name)(*size)


@pytest.mark.parametrize("size", [(3,), (np.int64(2), 3), ([2, 3],), ((0, 2),)])
def test_integer_like_sizes_are_accepted_as_torch_accepts_them(size):
    assert tuple(te.zeros(*size).shape) == tuple(torch.zeros(*size).shape)
    assert tuple(te.zeros(*(te.tensor(3),)).shape) == tuple(torch.zeros(torch.tensor(3)).shape)
