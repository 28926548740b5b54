"""Every op against PyTorch: forward values, dtypes and gradients, in float64 and float32.

Hypothesis draws the shapes (broadcasting pairs, size-1 dims, 0-dim tensors), the values
(kept away from kinks and domain edges) and the memory layout (contiguous, transposed,
sliced); ``helpers.check_against_torch`` runs the same code on both engines.
"""
import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import strategies as S
import tinygrad_edu as te
from helpers import check_against_torch

DTYPES = pytest.mark.parametrize("dtype", ["float64", "float32"])
GRAD_FLAGS = st.sampled_from([(True, True), (True, False), (False, True)])


def both(name):
    """The function ``name`` of each library: (tinygrad_edu.name, torch.name)."""
    return getattr(te, name), getattr(torch, name)


# ---------------------------------------------------------------------------- binary, broadcasting

BINARY = {  # name: (operator form, method form)
    "add": (lambda x, y: x + y, lambda x, y: x.add(y)),
    "sub": (lambda x, y: x - y, lambda x, y: x.sub(y)),
    "mul": (lambda x, y: x * y, lambda x, y: x.mul(y)),
    "div": (lambda x, y: x / y, lambda x, y: x.div(y)),
}


@DTYPES
@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
def test_binary_ops_broadcast(name, dtype, data):
    shape_x, shape_y = data.draw(S.broadcastable_shapes())
    x = data.draw(S.arrays(shape_x))
    y = data.draw(S.arrays(shape_y, avoid=(0.0,), margin=0.25))  # a divisor away from 0
    flags = data.draw(GRAD_FLAGS)
    for fn in BINARY[name]:
        check_against_torch(fn, None, [x, y], dtype, requires_grad=flags)
    check_against_torch(*both(name), [x, y], dtype, requires_grad=flags)  # torch.add(x, y)
    if name in ("add", "sub"):
        check_against_torch(lambda a, b: getattr(a, name)(b, alpha=2.5), None, [x, y], dtype)


def test_broadcast_gradient_is_summed_to_each_input_shape():
    # z = x * y with x (3, 1), y (4,): z[i, j] = x[i] y[j], so dL/dx[i] = sum_j y[j] and
    # dL/dy[j] = sum_i x[i] when L = sum(z).
    x = te.tensor([[1.0], [2.0], [3.0]], requires_grad=True)
    y = te.tensor([1.0, 10.0, 100.0, 1000.0], requires_grad=True)
    (x * y).sum().backward()
    assert x.grad.shape == (3, 1) and y.grad.shape == (4,)
    np.testing.assert_array_equal(x.grad.numpy(), [[1111.0], [1111.0], [1111.0]])
    np.testing.assert_array_equal(y.grad.numpy(), [6.0, 6.0, 6.0, 6.0])


# ---------------------------------------------------------------------------- Python scalars

SCALAR_OPS = {
    "x + s": lambda x, s: x + s, "s + x": lambda x, s: s + x,
    "x - s": lambda x, s: x - s, "s - x": lambda x, s: s - x,
    "x * s": lambda x, s: x * s, "s * x": lambda x, s: s * x,
    "x / s": lambda x, s: x / s, "s / x": lambda x, s: s / x,
}


@DTYPES
@given(data=st.data())
def test_ops_with_python_scalars(dtype, data):
    x = data.draw(S.arrays(S.shapes(max_dims=3), avoid=(0.0,), margin=0.25))  # s / x needs x != 0
    s = data.draw(st.integers(-3, 3).filter(bool) | S.values(-3.0, 3.0, avoid=(0.0,), margin=0.25))
    for fn in SCALAR_OPS.values():
        check_against_torch(lambda t: fn(t, s), None, [x], dtype)


# ---------------------------------------------------------------------------- pow

@DTYPES
@given(data=st.data())
def test_pow_scalar_exponent(dtype, data):
    # integer exponents (x ** -1 included) on either sign of base; float exponents on a positive base
    x = data.draw(S.arrays(S.shapes(max_dims=3), avoid=(0.0,), margin=0.25))
    k = data.draw(st.integers(-2, 3))
    check_against_torch(lambda t: t ** k, None, [x], dtype)
    positive = data.draw(S.arrays(S.shapes(max_dims=3), lo=0.2, hi=3.0))
    e = data.draw(S.values(-2.0, 2.5))
    check_against_torch(lambda t: t ** e, None, [positive], dtype)
    check_against_torch(lambda t: t.pow(e), None, [positive], dtype)


@DTYPES
@given(data=st.data())
def test_pow_tensor_tensor(dtype, data):
    shape_x, shape_y = data.draw(S.broadcastable_shapes(max_dims=3))
    x = data.draw(S.arrays(shape_x, lo=0.2, hi=3.0))  # positive base: d/dy x^y = x^y log x
    y = data.draw(S.arrays(shape_y, lo=-2.0, hi=2.0))
    check_against_torch(lambda a, b: a ** b, None, [x, y], dtype, requires_grad=data.draw(GRAD_FLAGS))
    check_against_torch(*both("pow"), [x, y], dtype)


@DTYPES
@given(data=st.data())
def test_scalar_pow_tensor(dtype, data):
    y = data.draw(S.arrays(S.shapes(max_dims=3), lo=-2.0, hi=2.0))
    base = data.draw(S.values(0.2, 4.0) | st.integers(1, 4))
    check_against_torch(lambda t: base ** t, None, [y], dtype)
    check_against_torch(lambda t: te.pow(base, t), lambda t: torch.pow(base, t), [y], dtype)


# ---------------------------------------------------------------------------- unary

KINKS = (-1.0, -0.5, 0.0, 0.5, 1.0, 1.5)  # relu and abs at 0, the clamp bounds below
UNARY = {  # name: (fn, domain) with domain "real" (away from KINKS) or "positive"
    "neg": (lambda x: -x, "real"),
    "neg()": (lambda x: x.neg(), "real"),
    "exp": (lambda x: x.exp(), "real"),
    "log": (lambda x: x.log(), "positive"),
    "sqrt": (lambda x: x.sqrt(), "positive"),
    "abs": (lambda x: x.abs(), "real"),
    "abs(x)": (lambda x: abs(x), "real"),
    "relu": (lambda x: x.relu(), "real"),
    "sigmoid": (lambda x: x.sigmoid(), "real"),
    "tanh": (lambda x: x.tanh(), "real"),
    "clamp": (lambda x: x.clamp(-1.0, 1.5), "real"),
    "clamp_min": (lambda x: x.clamp(min=0.5), "real"),
    "clamp_max": (lambda x: x.clamp(max=-0.5), "real"),
    "clip": (lambda x: x.clip(-1.0, 1.0), "real"),
}
UNARY_FUNCTIONS = ["neg", "exp", "log", "sqrt", "abs", "relu", "sigmoid", "tanh"]


@DTYPES
@given(data=st.data())
def test_unary_ops(dtype, data):
    shape = data.draw(S.shapes())
    inputs = {"real": data.draw(S.arrays(shape, avoid=KINKS)),
              "positive": data.draw(S.arrays(shape, lo=0.1, hi=5.0))}  # log, sqrt: domain x > 0
    for fn, domain in UNARY.values():
        check_against_torch(fn, None, [inputs[domain]], dtype)
    for name in UNARY_FUNCTIONS:  # torch.exp(x) and friends
        check_against_torch(*both(name), [inputs["positive"]], dtype)
    check_against_torch(lambda t: te.clamp(t, -0.5, 0.5), lambda t: torch.clamp(t, -0.5, 0.5),
                        [inputs["real"]], dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_unary_ops_on_kinks_match_torch(dtype):
    # At the kink itself both engines pick the same one-sided derivative: relu'(0) = 0,
    # abs'(0) = 0, and clamp's gradient is 0 at its bounds.
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    for fn in (lambda t: t.relu(), lambda t: t.abs(), lambda t: t.clamp(0.0, 1.0),
               lambda t: t.clamp(min=0.0), lambda t: t.clamp(max=1.0)):
        check_against_torch(fn, None, [x], dtype)


# ---------------------------------------------------------------------------- matmul

@st.composite
def matmul_shapes(draw):
    """Operand shapes of every matmul kind: 1-D, 2-D, batched with broadcasting, 1-D @ batched."""
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    batch_a, batch_b = draw(S.broadcastable_shapes(min_dims=1, max_dims=2, max_side=3))
    left = {"1d": (k,), "2d": (n, k), "batched": batch_a + (n, k)}
    right = {"1d": (k,), "2d": (k, m), "batched": batch_b + (k, m)}
    return left[draw(st.sampled_from(list(left)))], right[draw(st.sampled_from(list(right)))]


@DTYPES
@given(data=st.data())
def test_matmul(dtype, data):
    shape_a, shape_b = data.draw(matmul_shapes())
    a, b = data.draw(S.arrays(shape_a)), data.draw(S.arrays(shape_b))
    flags = data.draw(GRAD_FLAGS)
    check_against_torch(lambda x, y: x @ y, None, [a, b], dtype, requires_grad=flags)
    check_against_torch(lambda x, y: x.matmul(y), None, [a, b], dtype, requires_grad=flags)
    check_against_torch(*both("matmul"), [a, b], dtype, requires_grad=flags)


@DTYPES
@given(data=st.data())
def test_mm_chain(dtype, data):
    n, k, m, p = (data.draw(st.integers(1, 4)) for _ in range(4))
    a, b, c = (data.draw(S.arrays(s)) for s in [(n, k), (k, m), (m, p)])
    check_against_torch(lambda x, y, z: x.mm(y) @ z, None, [a, b, c], dtype)


# ---------------------------------------------------------------------------- reductions

@DTYPES
@pytest.mark.parametrize("name", ["sum", "mean"])
@given(data=st.data(), keepdim=st.booleans())
def test_sum_mean(name, dtype, data, keepdim):
    shape, dims = data.draw(S.shape_and_dims())
    x = data.draw(S.arrays(shape))
    fn_edu, fn_torch = both(name)
    check_against_torch(lambda t: getattr(t, name)(), None, [x], dtype)
    check_against_torch(fn_edu, fn_torch, [x], dtype)
    check_against_torch(lambda t: getattr(t, name)(dims[0], keepdim), None, [x], dtype)
    check_against_torch(lambda t: getattr(t, name)(dim=dims[0], keepdim=keepdim), None, [x], dtype)
    check_against_torch(lambda t: getattr(t, name)(dims, keepdim), None, [x], dtype)  # a tuple of dims
    check_against_torch(lambda t: fn_edu(t, dims, keepdim), lambda t: fn_torch(t, dims, keepdim), [x], dtype)
    zero_dim = data.draw(S.arrays(()))
    check_against_torch(lambda t: getattr(t, name)(), None, [zero_dim], dtype)


@DTYPES
@pytest.mark.parametrize("name", ["max", "min"])
@given(data=st.data(), keepdim=st.booleans(), ties=st.booleans())
def test_max_min(name, dtype, data, keepdim, ties):
    # On ties torch shares the whole-tensor gradient evenly among the tied extremes, and along
    # a dim returns (and sends the gradient to) the first one; grid values make ties common.
    shape, dim = data.draw(S.shape_and_dim())
    x = data.draw(S.grid_arrays(shape) if ties else S.distinct_arrays(shape))
    fn_edu, fn_torch = both(name)
    check_against_torch(lambda t: getattr(t, name)(), None, [x], dtype)
    check_against_torch(fn_edu, fn_torch, [x], dtype)
    _, outs, _, _ = check_against_torch(lambda t: getattr(t, name)(dim, keepdim), None, [x], dtype)
    assert outs[1].dtype is te.int64  # (values, indices), both compared with torch's
    check_against_torch(lambda t: getattr(t, name)(dim=dim, keepdim=keepdim), None, [x], dtype)
    check_against_torch(lambda t: fn_edu(t, dim), lambda t: fn_torch(t, dim), [x], dtype)
    arg = "argmax" if name == "max" else "argmin"
    check_against_torch(lambda t: getattr(t, arg)(), None, [x], dtype)
    check_against_torch(lambda t: getattr(t, arg)(dim, keepdim), None, [x], dtype)
    check_against_torch(lambda t: getattr(te, arg)(t, dim=dim), lambda t: getattr(torch, arg)(t, dim=dim),
                        [x], dtype)


def test_max_dim_returns_named_values_and_indices():
    x = te.tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 3.0]])
    result = x.max(1)
    np.testing.assert_array_equal(result.values.numpy(), [5.0, 7.0])
    np.testing.assert_array_equal(result.indices.numpy(), [1, 0])
    values, indices = x.min(dim=0)
    np.testing.assert_array_equal(values.numpy(), [1.0, 0.0, 2.0])
    np.testing.assert_array_equal(indices.numpy(), [0, 1, 0])


@DTYPES
@given(data=st.data(), unbiased=st.booleans(), keepdim=st.booleans())
def test_var_std(dtype, data, unbiased, keepdim):
    shape, dims = data.draw(S.shape_and_dims())
    assume(np.prod([shape[d] for d in dims]) >= 2)  # one element: the unbiased estimate divides by zero
    x = data.draw(S.distinct_arrays(shape))  # distinct values: std stays away from its kink at 0
    for name in ("var", "std"):
        check_against_torch(lambda t: getattr(t, name)(unbiased=unbiased), None, [x], dtype)
        check_against_torch(lambda t: getattr(t, name)(dims, unbiased=unbiased, keepdim=keepdim), None, [x], dtype)
        if shape[dims[0]] >= 2:
            check_against_torch(lambda t: getattr(t, name)(dims[0]), None, [x], dtype)


# ---------------------------------------------------------------------------- softmax

@DTYPES
@given(data=st.data())
def test_softmax_log_softmax(dtype, data):
    shape, dim = data.draw(S.shape_and_dim())
    x = data.draw(S.arrays(shape, lo=-5.0, hi=5.0))
    for name in ("softmax", "log_softmax"):
        check_against_torch(lambda t: getattr(t, name)(dim), None, [x], dtype)
        fn_edu, fn_torch = both(name)
        check_against_torch(lambda t: fn_edu(t, dim), lambda t: fn_torch(t, dim), [x], dtype)


@DTYPES
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_is_stable_for_large_inputs(name, dtype):
    # e^1000 overflows; subtracting the max first keeps every value and gradient finite
    x = np.array([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, 999.0], [-1000.0, -1001.0, -1000.0]])
    leaves, (out,), _, _ = check_against_torch(lambda t: getattr(t, name)(1), None, [x], dtype)
    assert np.all(np.isfinite(out.detach().numpy()))
    assert np.all(np.isfinite(leaves[0].grad.numpy()))


# ---------------------------------------------------------------------------- shape

def _divisors(n: int) -> list:
    return [d for d in range(1, n + 1) if n % d == 0]


@st.composite
def reshape_target(draw, shape):
    """Another shape with the same number of elements, one of its sizes sometimes -1."""
    remaining, target = int(np.prod(shape)), []
    for _ in range(draw(st.integers(0, 3))):
        d = draw(st.sampled_from(_divisors(remaining)))
        target.append(d)
        remaining //= d
    target.append(remaining)
    target = draw(st.permutations(target))
    if draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return tuple(target)


@DTYPES
@given(data=st.data())
def test_reshape_and_view(dtype, data):
    x = data.draw(S.arrays(S.shapes()))
    target = data.draw(reshape_target(x.shape))
    check_against_torch(lambda t: t.reshape(target), None, [x], dtype)
    check_against_torch(lambda t: t.reshape(*target), None, [x], dtype)
    check_against_torch(lambda t: te.reshape(t, target), lambda t: torch.reshape(t, target), [x], dtype)
    check_against_torch(lambda t: te.view_copy(t, target) * 2, lambda t: torch.view_copy(t, target) * 2,
                        [x], dtype)
    contiguous = np.ascontiguousarray(x)  # view needs contiguous memory (see test_errors)
    (leaf,), (out,), _, _ = check_against_torch(lambda t: t.view(*target), None, [contiguous], dtype)
    assert np.shares_memory(out.detach().numpy(), leaf.detach().numpy())  # a view never copies
    check_against_torch(lambda t: t.view(target), None, [contiguous], dtype)


@DTYPES
@given(data=st.data())
def test_flatten_squeeze_unsqueeze(dtype, data):
    shape = data.draw(S.shapes(max_side=2))  # side 2 at most, so size-1 dims are common
    x = data.draw(S.arrays(shape))
    check_against_torch(lambda t: t.flatten(), None, [x], dtype)
    check_against_torch(lambda t: t.squeeze(), None, [x], dtype)
    if shape:
        start = data.draw(st.integers(-len(shape), len(shape) - 1))
        end = data.draw(st.integers(start % len(shape), len(shape) - 1))
        check_against_torch(lambda t: t.flatten(start, end), None, [x], dtype)
        check_against_torch(lambda t: te.flatten(t, start), lambda t: torch.flatten(t, start), [x], dtype)
        check_against_torch(lambda t: t.squeeze(start), None, [x], dtype)
    new = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check_against_torch(lambda t: t.unsqueeze(new), None, [x], dtype)
    check_against_torch(lambda t: te.unsqueeze(t, new), lambda t: torch.unsqueeze(t, new), [x], dtype)
    check_against_torch(lambda t: te.squeeze(t), lambda t: torch.squeeze(t), [x], dtype)


@DTYPES
@given(data=st.data())
def test_transpose_permute_T(dtype, data):
    shape = data.draw(S.shapes(min_dims=1))
    x = data.draw(S.arrays(shape))
    d0, d1 = (data.draw(st.integers(-len(shape), len(shape) - 1)) for _ in range(2))
    perm = data.draw(st.permutations(range(len(shape))))
    check_against_torch(lambda t: t.transpose(d0, d1), None, [x], dtype)
    check_against_torch(lambda t: t.permute(*perm), None, [x], dtype)
    check_against_torch(lambda t: t.permute(perm), None, [x], dtype)
    check_against_torch(lambda t: te.transpose(t, d0, d1), lambda t: torch.transpose(t, d0, d1), [x], dtype)
    check_against_torch(lambda t: te.permute(t, perm), lambda t: torch.permute(t, perm), [x], dtype)
    matrix = data.draw(S.arrays(S.shapes(min_dims=2, max_dims=2)))  # torch deprecates .T on other dims
    check_against_torch(lambda t: t.T, None, [matrix], dtype)
    small = data.draw(S.arrays(S.shapes(max_dims=2)))
    check_against_torch(lambda t: t.t(), None, [small], dtype)
    check_against_torch(*both("t"), [small], dtype)


@st.composite
def expand_case(draw):
    """A shape with size-1 dims and sizes it can expand to (new leading dims, -1 to keep one)."""
    shape = draw(S.shapes(min_dims=1, max_dims=3, max_side=3))
    lead = draw(st.lists(st.integers(1, 3), max_size=2))
    sizes = [draw(st.integers(1, 3)) if n == 1 else draw(st.sampled_from([n, -1])) for n in shape]
    return shape, tuple(lead + sizes)


@DTYPES
@given(data=st.data())
def test_expand(dtype, data):
    shape, sizes = data.draw(expand_case())
    x = data.draw(S.arrays(shape))
    check_against_torch(lambda t: t.expand(*sizes), None, [x], dtype)
    check_against_torch(lambda t: t.expand(sizes), None, [x], dtype)
    target = tuple(n if n != -1 else shape[i - len(sizes) + len(shape)] for i, n in enumerate(sizes))
    y = data.draw(S.arrays(target))
    check_against_torch(lambda a, b: a.expand_as(b) * b, None, [x, y], dtype)
    flat = data.draw(S.arrays((int(np.prod(target)),)))
    check_against_torch(lambda a, b: a.reshape_as(b) + b, None, [flat, y], dtype)


# ---------------------------------------------------------------------------- indexing

@st.composite
def basic_index(draw, shape):
    """An index of ints, slices (steps 1-2, negative bounds), None and Ellipsis for ``shape``."""
    parts = []
    for n in shape[:draw(st.integers(0, len(shape)))]:
        kind = draw(st.sampled_from(["int", "slice", "full"]))
        if kind == "int":
            parts.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start, stop = draw(st.integers(-n, n)), draw(st.integers(-n, n) | st.none())
            parts.append(slice(start, stop, draw(st.integers(1, 2))))
        else:
            parts.append(slice(None))
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), None)
    if draw(st.booleans()):
        parts.append(Ellipsis)
    return parts[0] if len(parts) == 1 and draw(st.booleans()) else tuple(parts)


@DTYPES
@given(data=st.data())
def test_basic_indexing_and_slicing(dtype, data):
    x = data.draw(S.arrays(S.shapes(min_dims=1)))
    index = data.draw(basic_index(x.shape))
    check_against_torch(lambda t: t[index], None, [x], dtype)


@DTYPES
@given(data=st.data())
def test_integer_array_indexing_accumulates_repeated_indices(dtype, data):
    # x[idx] gathers; an index repeated k times sends k gradients back to the same element
    x = data.draw(S.arrays(S.shapes(min_dims=1)))
    n = x.shape[0]
    idx = np.array(data.draw(st.lists(st.integers(-n, n - 1), min_size=1, max_size=6)), dtype=np.int64)
    check_against_torch(lambda t, i: t[i], None, [x, idx], dtype)
    check_against_torch(lambda t: t[idx.tolist()], None, [x], dtype)
    if x.ndim >= 2:
        cols = np.array(data.draw(st.lists(st.integers(0, x.shape[1] - 1), min_size=len(idx), max_size=len(idx))))
        check_against_torch(lambda t, i, j: t[i, j], None, [x, idx, cols], dtype)
        check_against_torch(lambda t, j: t[:, j], None, [x, cols], dtype)


def test_gather_gradient_counts_repeats():
    x = te.tensor([10.0, 20.0, 30.0], requires_grad=True)
    x[te.tensor([0, 2, 0, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


@DTYPES
@given(data=st.data())
def test_boolean_mask_indexing(dtype, data):
    x = data.draw(S.arrays(S.shapes(min_dims=1)))
    mask = data.draw(S.hnp.arrays(np.bool_, x.shape))
    row_mask = data.draw(S.hnp.arrays(np.bool_, x.shape[:1]))
    check_against_torch(lambda t, m: t[m], None, [x, mask], dtype)
    check_against_torch(lambda t, m: t[m], None, [x, row_mask], dtype)
    check_against_torch(lambda t: t[t > 0], None, [x], dtype)


# ---------------------------------------------------------------------------- cat, stack, where

@DTYPES
@given(data=st.data())
def test_cat_and_stack(dtype, data):
    shape, dim = data.draw(S.shape_and_dim())
    d = dim % len(shape)
    sizes = data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    xs = [data.draw(S.arrays(shape[:d] + (n,) + shape[d + 1:])) for n in sizes]  # agree except along dim
    flags = [data.draw(st.booleans()) for _ in xs]
    check_against_torch(lambda *ts: te.cat(list(ts), dim), lambda *ts: torch.cat(list(ts), dim), xs, dtype,
                        requires_grad=flags)
    check_against_torch(lambda *ts: te.cat(ts, dim=dim), lambda *ts: torch.cat(ts, dim=dim), xs, dtype)
    same = [data.draw(S.arrays(shape)) for _ in sizes]
    new = data.draw(st.integers(-len(shape) - 1, len(shape)))
    check_against_torch(lambda *ts: te.stack(ts, new), lambda *ts: torch.stack(ts, new), same, dtype,
                        requires_grad=flags)


@DTYPES
@given(data=st.data())
def test_where(dtype, data):
    shape_c, shape_x, shape_y = data.draw(S.broadcastable_shapes(num_shapes=3))
    cond = data.draw(S.hnp.arrays(np.bool_, shape_c))
    x, y = data.draw(S.arrays(shape_x)), data.draw(S.arrays(shape_y))
    check_against_torch(lambda c, a, b: te.where(c, a, b), lambda c, a, b: torch.where(c, a, b),
                        [cond, x, y], dtype, requires_grad=[False, *data.draw(GRAD_FLAGS)])
    check_against_torch(lambda a, b: te.where(a > b, a, 0.5), lambda a, b: torch.where(a > b, a, 0.5),
                        [x, y], dtype)


# ---------------------------------------------------------------------------- comparisons (no gradient)

COMPARISONS = {  # method name: operator form
    "eq": lambda x, y: x == y, "ne": lambda x, y: x != y, "lt": lambda x, y: x < y,
    "le": lambda x, y: x <= y, "gt": lambda x, y: x > y, "ge": lambda x, y: x >= y,
}


@DTYPES
@given(data=st.data())
def test_comparisons(dtype, data):
    # bool results, equal to torch's, and never part of a graph
    shape_x, shape_y = data.draw(S.broadcastable_shapes())
    x, y = data.draw(S.grid_arrays(shape_x)), data.draw(S.grid_arrays(shape_y))  # equal values are common
    s = data.draw(st.sampled_from([0, 0.5, -1]))
    for name, operator in COMPARISONS.items():
        check_against_torch(operator, None, [x, y], dtype)
        check_against_torch(lambda a, b: getattr(a, name)(b), None, [x, y], dtype)
        check_against_torch(lambda a: operator(a, s), None, [x], dtype)
    check_against_torch(*both("eq"), [x, y], dtype)
    check_against_torch(lambda a, b: (a > 0) & (b > 0), None, [x, y], dtype)
    check_against_torch(lambda a, b: (a > 0) | ~(b > 0), None, [x, y], dtype)
    same_shape = data.draw(S.grid_arrays(shape_x))
    assert te.equal(te.tensor(x), te.tensor(same_shape)) == torch.equal(torch.tensor(x), torch.tensor(same_shape))
    assert te.equal(te.tensor(x), te.tensor(x.copy()))


# ---------------------------------------------------------------------------- composites

@DTYPES
@given(data=st.data())
def test_composite_expression(dtype, data):
    # a small network's worth of ops in one graph, each input used more than once
    shape_x, shape_b = data.draw(S.broadcastable_shapes(max_dims=2))
    x = data.draw(S.arrays(shape_x + (3,)))
    w = data.draw(S.arrays((3, 2)))
    b = data.draw(S.arrays(shape_b + (2,)))

    def fn(x, w, b):
        h = (x @ w + b).tanh() * x.sum(-1, keepdim=True).sigmoid()
        return (h.log_softmax(-1) * h.relu()).mean() + (w * w).sum() / 2

    check_against_torch(fn, None, [x, w, b], dtype)


@DTYPES
@given(data=st.data())
def test_clone_and_detach_in_graph(dtype, data):
    x = data.draw(S.arrays(S.shapes()))
    check_against_torch(lambda t: t.clone() * t, None, [x], dtype)
    check_against_torch(lambda t: t.detach() * t, None, [x], dtype)  # detach stops one of the two paths
