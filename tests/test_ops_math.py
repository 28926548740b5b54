"""The math a beginner meets, against PyTorch: elementwise functions, maximum/minimum, reductions
(prod, amax, logsumexp, norm, cumsum), matrix products (bmm, addmm, outer, dot, einsum), and a
few shape helpers. Forward values, dtypes and gradients in float64 and float32 on hypothesis
shapes and layouts (``helpers.check_against_torch``); the edges (x = 0, ties, integer inputs)
are tested separately against torch's own answers.
"""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import strategies as S
import tinygrad_edu as te
from helpers import assert_same_tensor, check_against_torch, raise_the_same

DTYPES = pytest.mark.parametrize("dtype", ["float64", "float32"])
GRAD_FLAGS = st.sampled_from([(True, True), (True, False), (False, True)])
EXAMPLES = settings(max_examples=20)


def both(name):
    return getattr(te, name), getattr(torch, name)


# ---------------------------------------------------------------------------- elementwise, one tensor

# name: (lo, hi, points to keep away from): each function on its natural domain
UNARY = {
    "sin": (-3, 3, ()), "cos": (-3, 3, ()), "tan": (-1.3, 1.3, ()),
    "asin": (-0.95, 0.95, ()), "acos": (-0.95, 0.95, ()), "atan": (-3, 3, ()),
    "sinh": (-3, 3, ()), "cosh": (-3, 3, ()),
    "log2": (0.1, 5, ()), "log10": (0.1, 5, ()), "log1p": (-0.9, 3, ()), "expm1": (-3, 3, ()),
    "reciprocal": (-3, 3, (0.0,)), "rsqrt": (0.1, 5, ()), "erf": (-3, 3, ()), "square": (-3, 3, ()),
    "sign": (-3, 3, (0.0,)), "floor": (-3, 3, ()), "ceil": (-3, 3, ()), "trunc": (-3, 3, ()),
    "round": (-3, 3, ()),
}


@DTYPES
@pytest.mark.parametrize("name", UNARY)
@EXAMPLES
@given(data=st.data())
def test_unary_math(name, dtype, data):
    lo, hi, avoid = UNARY[name]
    x = data.draw(S.arrays(S.shapes(), lo=lo, hi=hi, avoid=avoid, margin=0.2))
    check_against_torch(lambda t: getattr(t, name)(), None, [x], dtype)   # x.sin()
    check_against_torch(*both(name), [x], dtype)                           # torch.sin(x)


@DTYPES
@EXAMPLES
@given(data=st.data())
def test_round_with_decimals(dtype, data):
    x = data.draw(S.arrays(S.shapes(max_dims=2), lo=-300, hi=300))
    for decimals in (-1, 0, 2):
        check_against_torch(lambda t: t.round(decimals=decimals), None, [x], dtype)


@pytest.mark.parametrize("name", list(UNARY) + ["exp", "sqrt", "abs", "neg"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
def test_unary_math_dtypes_on_integers_and_bools(name, dtype):
    # integers become float32 for sin & co; floor/round/sign/square/abs keep them; bool is refused by some
    values = [[0, 1], [2, 3]] if dtype != "bool" else [[True, False], [False, True]]
    outcomes = []
    for lib in (te, torch):
        try:
            outcomes.append(getattr(lib.tensor(values, dtype=getattr(lib, dtype)), name)())
        except (NotImplementedError, RuntimeError) as error:
            outcomes.append(type(error))
    if isinstance(outcomes[1], type):
        assert outcomes[0] is outcomes[1], f"{name}({dtype}): {outcomes[0]} but torch raises {outcomes[1]}"
    else:
        rtol = 1e-6 if outcomes[1].dtype.is_floating_point else 0
        assert_same_tensor(outcomes[0], outcomes[1], rtol=rtol, atol=0, what=f"{name}({dtype})")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gradients_at_the_edges_are_torchs(dtype):
    # sign, round & co are flat (0); sqrt/rsqrt at 0 and log1p at -1 are infinite; abs at 0 is 0
    cases = {
        "sign": [-1.0, 0.0, 2.0], "round": [0.5, 1.5, -2.5], "floor": [-1.0, 0.0, 1.0], "abs": [0.0, -1.0],
        "sqrt": [0.0, 4.0], "rsqrt": [0.0, 4.0], "log1p": [-1.0, 0.0], "reciprocal": [1.0, -2.0],
        "asin": [0.0, 0.5], "tan": [0.0, 1.0], "erf": [0.0, 10.0],
    }
    for name, x in cases.items():
        check_against_torch(lambda t: getattr(t, name)(), None, [np.array(x)], dtype)


def test_sign_of_nan_and_rounding_of_halves():
    x = [float("nan"), -0.0, 0.5, 1.5, 2.5, -0.5, -1.5]
    for name in ("sign", "round", "floor", "ceil", "trunc"):
        ours, theirs = getattr(te.tensor(x), name)(), getattr(torch.tensor(x), name)()
        assert_same_tensor(ours, theirs, 0, 0, name)


# ---------------------------------------------------------------------------- elementwise, two tensors

@DTYPES
@pytest.mark.parametrize("name", ["maximum", "minimum", "atan2"])
@EXAMPLES
@given(data=st.data())
def test_binary_math_broadcast(name, dtype, data):
    shape_x, shape_y = data.draw(S.broadcastable_shapes())
    x, y = data.draw(S.arrays(shape_x)), data.draw(S.arrays(shape_y, avoid=(0.0,), margin=0.2))
    flags = data.draw(GRAD_FLAGS)
    check_against_torch(lambda a, b: getattr(a, name)(b), None, [x, y], dtype, requires_grad=flags)
    check_against_torch(*both(name), [x, y], dtype, requires_grad=flags)


@DTYPES
@EXAMPLES
@given(data=st.data())
def test_maximum_minimum_split_ties_half_half(dtype, data):
    shape_x, shape_y = data.draw(S.broadcastable_shapes(max_dims=2))
    x, y = data.draw(S.grid_arrays(shape_x)), data.draw(S.grid_arrays(shape_y))  # many equal pairs
    for name in ("maximum", "minimum"):
        check_against_torch(lambda a, b: getattr(a, name)(b), None, [x, y], dtype)
    check_against_torch(te.max, torch.max, [x, y], dtype)   # torch.max(a, b) is maximum
    check_against_torch(te.min, torch.min, [x, y], dtype)
    check_against_torch(lambda a, b: a.max(b), None, [x, y], dtype)
    check_against_torch(lambda a, b: a.min(b), None, [x, y], dtype)


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_with_nan_send_the_gradient_to_both(name):
    x, y = np.array([np.nan, 1.0, 2.0, np.nan, 3.0]), np.array([1.0, np.nan, 2.0, np.nan, -1.0])
    check_against_torch(lambda a, b: getattr(a, name)(b), None, [x, y], "float64")


def test_binary_math_dtypes_and_errors():
    for expr in ["lib.maximum(lib.tensor([1, 5]), lib.tensor([3., 2.]))",
                 "lib.tensor([1, 2]).atan2(lib.tensor([3, 1]))",
                 "lib.minimum(lib.tensor([True, False]), lib.tensor([0, 2]))", "lib.tensor([1, 2]).square()",
                 "lib.tensor([True, False]).square()"]:
        assert_same_tensor(eval(expr, {"lib": te}), eval(expr, {"lib": torch}), 1e-6, 0, expr)
    raise_the_same("lib.ones(2).maximum(2.0)", TypeError,
                   "maximum(): argument 'other' (position 1) must be Tensor, not float")


# ---------------------------------------------------------------------------- reductions

@DTYPES
@EXAMPLES
@given(data=st.data(), keepdim=st.booleans())
def test_prod(dtype, data, keepdim):
    shape, dim = data.draw(S.shape_and_dim())
    x = data.draw(S.grid_arrays(shape))  # halves in [-2, 2]: zeros (one or several) are common
    check_against_torch(lambda t: t.prod(), None, [x], dtype)
    check_against_torch(lambda t: t.prod(dim, keepdim), None, [x], dtype)
    check_against_torch(lambda t: te.prod(t, dim, keepdim=keepdim), lambda t: torch.prod(t, dim, keepdim=keepdim),
                        [x], dtype)


@DTYPES
@EXAMPLES
@given(data=st.data(), keepdim=st.booleans())
def test_amax_amin_share_ties(dtype, data, keepdim):
    shape, dims = data.draw(S.shape_and_dims())
    x = data.draw(S.grid_arrays(shape))  # ties are common: they share the gradient evenly
    for name in ("amax", "amin"):
        check_against_torch(lambda t: getattr(t, name)(dims, keepdim), None, [x], dtype)
        check_against_torch(lambda t: getattr(t, name)(), None, [x], dtype)


@DTYPES
@EXAMPLES
@given(data=st.data(), keepdim=st.booleans())
def test_logsumexp(dtype, data, keepdim):
    shape, dims = data.draw(S.shape_and_dims())
    x = data.draw(S.arrays(shape, lo=-30, hi=30))
    check_against_torch(lambda t: t.logsumexp(dims, keepdim), None, [x], dtype)
    check_against_torch(lambda t: te.logsumexp(t, dims[0]), lambda t: torch.logsumexp(t, dims[0]), [x], dtype)


def test_logsumexp_of_infinities_and_large_values():
    for x in ([[-math.inf, -math.inf], [1.0, -math.inf]], [[math.inf, 0.0]], [[1000.0, 1000.0]]):
        assert_same_tensor(te.tensor(x).logsumexp(1), torch.tensor(x).logsumexp(1), 1e-6, 0, str(x))


NORMS = [2, "fro", 1, math.inf, -math.inf, 3, 0.5, 0]


@DTYPES
@pytest.mark.parametrize("p", NORMS)
@EXAMPLES
@given(data=st.data(), keepdim=st.booleans())
def test_norm(p, dtype, data, keepdim):
    shape, dims = data.draw(S.shape_and_dims())
    dims = dims[:2] if p == "fro" else dims  # "fro" over more dims is refused (ERRORS below)
    x = data.draw(S.distinct_arrays(shape))  # distinct: the inf-norm has one maximum
    check_against_torch(lambda t: t.norm(p), None, [x], dtype)
    check_against_torch(lambda t: t.norm(p, dims, keepdim), None, [x], dtype)
    check_against_torch(lambda t: te.norm(t, p, dims[0]), lambda t: torch.norm(t, p, dims[0]), [x], dtype)


@pytest.mark.parametrize("p", NORMS)
def test_norm_gradient_at_zero_is_zero(p):
    check_against_torch(lambda t: t.norm(p), None, [np.zeros((2, 3))], "float64")
    check_against_torch(lambda t: t.norm(p, 1), None, [np.array([[0.0, 0.0], [3.0, -4.0]])], "float64")


@DTYPES
@EXAMPLES
@given(data=st.data())
def test_cumsum(dtype, data):
    shape, dim = data.draw(S.shape_and_dim())
    x = data.draw(S.arrays(shape))
    check_against_torch(lambda t: t.cumsum(dim), None, [x], dtype)
    check_against_torch(lambda t: te.cumsum(t, dim, dtype=te.float64),
                        lambda t: torch.cumsum(t, dim, dtype=torch.float64), [x], dtype)


def test_reduction_dtypes_and_errors():
    for expr in ["lib.tensor([1, 2], dtype=lib.int32).prod()", "lib.tensor([[1, 2]]).prod(1, keepdim=True)",
                 "lib.tensor([True, True]).cumsum(0)", "lib.tensor([1, 2], dtype=lib.int32).cumsum(0)",
                 "lib.tensor([[3, 1]]).amax(1)", "lib.tensor([1, 2]).logsumexp(0)", "lib.tensor(3.).cumsum(0)",
                 "lib.tensor(2.).amax()", "lib.tensor(2.).prod(0)", "lib.tensor(-2.).norm()",
                 "lib.ones(2, 3).all(1)", "lib.tensor([[1, 0], [1, 1]]).any(0, keepdim=True)",
                 "lib.tensor([1, 0], dtype=lib.uint8).all()", "lib.tensor([0.5, 0]).all()"]:
        assert_same_tensor(eval(expr, {"lib": te}), eval(expr, {"lib": torch}), 1e-6, 0, expr)
    raise_the_same("lib.tensor([1, 2]).norm()", RuntimeError,
                   "linalg.vector_norm: Expected a floating point or complex tensor as input. Got Long")
    raise_the_same("lib.ones(2, 3).cumsum(2)", IndexError, "Dimension out of range")


@EXAMPLES
@given(data=st.data())
def test_value_questions(data):
    shape_x, shape_y = data.draw(S.broadcastable_shapes())
    specials = st.sampled_from([np.nan, np.inf, -np.inf, 0.0, 1.0, 1.0 + 1e-6, -2.0])
    x = data.draw(hnp.arrays(np.float64, shape_x, elements=specials))
    y = data.draw(hnp.arrays(np.float64, shape_y, elements=specials))
    for name in ("isnan", "isinf", "isfinite"):
        check_against_torch(lambda t: getattr(t, name)(), None, [x], requires_grad=False)
        check_against_torch(*both(name), [x], requires_grad=False)
    for kwargs in ({}, {"rtol": 0, "atol": 1e-5}, {"equal_nan": True}):
        check_against_torch(lambda a, b: a.isclose(b, **kwargs), None, [x, y], requires_grad=False)
        assert te.allclose(te.tensor(x), te.tensor(y), **kwargs) == torch.allclose(
            torch.tensor(x), torch.tensor(y), **kwargs)


# ---------------------------------------------------------------------------- matrix products

@DTYPES
@EXAMPLES
@given(data=st.data())
def test_bmm_addmm_outer_dot(dtype, data):
    b, n, k, m = (data.draw(st.integers(1, 4)) for _ in range(4))
    arr = lambda shape: data.draw(S.arrays(shape))  # noqa: E731
    check_against_torch(*both("bmm"), [arr((b, n, k)), arr((b, k, m))], dtype)
    check_against_torch(lambda x, y: x.bmm(y), None, [arr((b, n, k)), arr((b, k, m))], dtype)
    base_shape = data.draw(st.sampled_from([(n, m), (m,), (1, m), (n, 1), ()]))
    beta, alpha = data.draw(st.sampled_from([(1, 1), (0.5, -2.0), (0, 1.5)]))
    check_against_torch(lambda c, x, y: te.addmm(c, x, y, beta=beta, alpha=alpha),
                        lambda c, x, y: torch.addmm(c, x, y, beta=beta, alpha=alpha),
                        [arr(base_shape), arr((n, k)), arr((k, m))], dtype)
    check_against_torch(*both("outer"), [arr((n,)), arr((m,))], dtype)
    check_against_torch(*both("dot"), [arr((k,)), arr((k,))], dtype)
    check_against_torch(lambda x, y: x.dot(y), None, [arr((k,)), arr((k,))], dtype)


def test_addmm_with_beta_zero_ignores_nan_in_input():
    check_against_torch(lambda c, x, y: te.addmm(c, x, y, beta=0), lambda c, x, y: torch.addmm(c, x, y, beta=0),
                        [np.array([1.0, np.nan]), np.ones((2, 3)), np.ones((3, 2))], "float64")


EINSUM = {  # equation: operand shapes
    "ij,jk->ik": [(2, 3), (3, 4)], "bij,bjk->bik": [(2, 3, 4), (2, 4, 2)], "i,i->": [(3,), (3,)],
    "ij->ji": [(2, 3)], "ii->i": [(3, 3)], "ij->": [(2, 3)], "bi,bi->b": [(2, 3), (2, 3)],
    "ij,jk": [(2, 3), (3, 4)], "i,j->ij": [(3,), (2,)], "ij,j->i": [(2, 3), (3,)], "ii": [(3, 3)],
    "ij,ij->ij": [(2, 3), (1, 3)], "ijk->kj": [(2, 3, 4)], "ij,kj->ik": [(2, 3), (4, 3)],
}


@DTYPES
@pytest.mark.parametrize("equation", EINSUM)
@settings(max_examples=5)
@given(data=st.data())
def test_einsum_common_forms(equation, dtype, data):
    operands = [data.draw(S.arrays(shape)) for shape in EINSUM[equation]]
    check_against_torch(lambda *xs: te.einsum(equation, *xs), lambda *xs: torch.einsum(equation, *xs),
                        operands, dtype)
    check_against_torch(lambda *xs: te.einsum(equation, list(xs)), lambda *xs: torch.einsum(equation, list(xs)),
                        operands, dtype)


ERRORS = {
    "bmm shapes": ("lib.bmm(lib.ones(2, 3, 4), lib.ones(2, 5, 4))", RuntimeError,
                   "Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [2, 5]."),
    "bmm dims": ("lib.bmm(lib.ones(3, 4), lib.ones(4, 4))", RuntimeError, "batch1 must be a 3D tensor"),
    "bmm dtypes": ("lib.bmm(lib.ones(2, 3, 4), lib.ones(2, 4, 4, dtype=lib.float64))", RuntimeError,
                   "expected scalar type Float but found Double"),
    "addmm shapes": ("lib.addmm(lib.ones(3), lib.ones(2, 3), lib.ones(4, 3))", RuntimeError,
                     "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x3)"),
    "addmm input": ("lib.addmm(lib.ones(5), lib.ones(2, 3), lib.ones(3, 3))", RuntimeError,
                    "The expanded size of the tensor (3) must match the existing size (5) at non-singleton "
                    "dimension 1"),
    "outer dims": ("lib.outer(lib.ones(3, 1), lib.ones(3))", RuntimeError,
                   "outer: Expected 1-D argument self, but got 2-D"),
    "dot sizes": ("lib.dot(lib.ones(3), lib.ones(4))", RuntimeError,
                  "inconsistent tensor size, expected tensor [3] and src [4] to have the same number of elements, "
                  "but got 3 and 4 elements respectively"),
    "dot dims": ("lib.dot(lib.ones(3, 1), lib.ones(3))", RuntimeError,
                 "1D tensors expected, but got 2D and 1D tensors"),
    "dot dtypes": ("lib.dot(lib.ones(3), lib.ones(3, dtype=lib.float64))", RuntimeError,
                   "dot : expected both vectors to have same dtype, but found Float and Double"),
    "einsum sizes": ("lib.einsum('ij,jk->ik', lib.ones(2, 3), lib.ones(4, 5))", RuntimeError,
                     "einsum(): subscript j has size 4 for operand 1 which does not broadcast with previously "
                     "seen size 3"),
    "einsum few": ("lib.einsum('ij,jk->ik', lib.ones(2, 3))", RuntimeError,
                   "einsum(): fewer operands were provided than specified in the equation"),
    "einsum many": ("lib.einsum('ij', lib.ones(2, 3), lib.ones(2, 3))", RuntimeError,
                    "einsum(): more operands were provided than specified in the equation"),
    "einsum output": ("lib.einsum('ij->ik', lib.ones(2, 3))", RuntimeError,
                      "einsum(): output subscript k does not appear in the equation for any input operand"),
    "einsum dims": ("lib.einsum('ijk->i', lib.ones(2, 3))", RuntimeError,
                    "einsum(): the number of subscripts in the equation (3) does not match the number of dimensions "
                    "(2) for operand 0 and no ellipsis was given"),
    "einsum diagonal": ("lib.einsum('ii->i', lib.ones(2, 3))", RuntimeError,
                        "einsum(): subscript i is repeated for operand 0 but the sizes don't match, 3 != 2"),
    "fro over 3 dims": ("lib.ones(2, 2, 2).norm('fro', (0, 1, 2))", RuntimeError,
                        "linalg.matrix_norm: dim must be a 2-tuple. Got 0 1 2"),
    "squeeze twice": ("lib.ones(1, 2).squeeze((0, 0))", RuntimeError,
                      "dim 0 appears multiple times in the list of dims"),
    "softmax int dtype": ("lib.ones(2).softmax(0, dtype=lib.int64)", NotImplementedError, "not implemented for 'Long'"),
    "chunk 0": ("lib.ones(5).chunk(0)", RuntimeError, "chunk expects `chunks` to be greater than 0, got: 0"),
    "split sizes": ("lib.ones(5).split([2, 2])", RuntimeError,
                    "split_with_sizes expects split_sizes to sum exactly to 5 (input tensor's size at dimension 0), "
                    "but got split_sizes=[2, 2]"),
    "isclose dtypes": ("lib.isclose(lib.ones(2), lib.ones(2, dtype=lib.float64))", RuntimeError,
                       "Float did not match Double"),
    "roll dims": ("lib.ones(2, 3).roll((1, -1), (0,))", RuntimeError,
                  "shifts and dimensions must align. shifts: 2, dims:1"),
}


@pytest.mark.parametrize("case", ERRORS)
def test_errors_read_like_torchs(case):
    raise_the_same(*ERRORS[case])


# ---------------------------------------------------------------------------- shape helpers, softmax dtype

@DTYPES
@EXAMPLES
@given(data=st.data())
def test_flip_roll_split_chunk_unbind(dtype, data):
    shape, dims = data.draw(S.shape_and_dims())
    x = data.draw(S.arrays(shape))
    dim = dims[0]
    shifts = tuple(data.draw(st.integers(-5, 5)) for _ in dims)
    check_against_torch(lambda t: t.flip(dims), None, [x], dtype)
    check_against_torch(lambda t: t.roll(shifts, dims), None, [x], dtype)
    check_against_torch(lambda t: t.roll(shifts[0]), None, [x], dtype)
    size = data.draw(st.integers(1, 4))
    check_against_torch(lambda t: t.split(size, dim), None, [x], dtype)
    check_against_torch(lambda t: t.chunk(size, dim), None, [x], dtype)
    check_against_torch(lambda t: t.unbind(dim), None, [x], dtype)


@EXAMPLES
@given(data=st.data())
def test_squeeze_of_several_dims(data):
    shape = data.draw(S.shapes(min_dims=1, max_side=2))
    dims = tuple(data.draw(st.lists(st.integers(-len(shape), len(shape) - 1), max_size=len(shape),
                                    unique_by=lambda d: d % len(shape))))
    check_against_torch(lambda t: t.squeeze(dims), None, [np.ones(shape)], "float64")
    check_against_torch(lambda t: te.squeeze(t, dims), lambda t: torch.squeeze(t, dims), [np.ones(shape)], "float64")


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_with_dtype(name):
    x = np.random.default_rng(0).standard_normal((3, 4))
    check_against_torch(lambda t: getattr(t, name)(1, dtype=te.float64),
                        lambda t: getattr(t, name)(1, dtype=torch.float64), [x], "float32")
    check_against_torch(lambda t: getattr(te, name)(t, 0, dtype=te.float64),
                        lambda t: getattr(torch, name)(t, 0, dtype=torch.float64), [x], "float32")


# ---------------------------------------------------------------------------- in-place forms

@DTYPES
@pytest.mark.parametrize("name", UNARY)
def test_inplace_forms_record_the_op(name, dtype):
    # (x * 1).sin_() changes a non-leaf in place: the graph records it, so x gets sin's gradient
    lo, hi, avoid = UNARY[name]
    x = np.linspace(lo + 0.05, hi - 0.05, 6)
    x = x[[all(abs(v - p) > 0.1 for p in avoid) for v in x]]  # away from sign's and reciprocal's 0
    check_against_torch(lambda t: getattr(t * 1, name + "_")(), None, [x], dtype)


INPLACE = ["sin_", "cos_", "tan_", "asin_", "acos_", "atan_", "sinh_", "cosh_", "log2_", "log10_", "log1p_",
           "expm1_", "reciprocal_", "rsqrt_", "erf_", "square_", "sign_", "floor_", "ceil_", "trunc_", "fix_",
           "sgn_", "arcsin_", "arccos_", "arctan_"]


@pytest.mark.parametrize("name", INPLACE)
def test_each_inplace_form_against_torch(name):
    x = np.array([[0.3, -0.6, 0.9], [-0.2, 0.5, 0.1]])
    grad = name != "sgn_"  # torch's sgn backward hands back a ZeroTensor that cannot become numpy
    check_against_torch(lambda t: getattr(t * 1, name)(), None, [x], "float64", requires_grad=grad)


ALIASES = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "sgn": "sign", "fix": "trunc"}


@pytest.mark.parametrize("alias", ALIASES)
def test_aliases_as_torch(alias):
    x = np.array([0.3, -0.6, 0.0, 0.9])
    grad = alias != "sgn"  # torch's sgn backward hands back a ZeroTensor that cannot become numpy
    check_against_torch(lambda t: getattr(t, alias)(), None, [x], "float64", requires_grad=grad)
    check_against_torch(*both(alias), [x], "float64", requires_grad=grad)


def test_arctan2_ger_and_clip_as_torch():
    x, y = np.array([0.3, -0.6, 0.0, 0.9]), np.array([1.5, 0.2, -0.7, 2.0])
    check_against_torch(lambda a, b: te.arctan2(a, b), lambda a, b: torch.arctan2(a, b), [x, y], "float64")
    check_against_torch(lambda a, b: a.arctan2(b), None, [x, y], "float64")
    check_against_torch(lambda a, b: te.ger(a, b), lambda a, b: torch.ger(a, b), [x, y[:2]], "float64")
    check_against_torch(lambda t: (t * 1).clip_(-0.5, 0.5), None, [x], "float64")


def test_inplace_forms_keep_the_dtype_and_refuse_a_leaf():
    assert_same_tensor(te.tensor([1.5, -2.5]).round_(), torch.tensor([1.5, -2.5]).round_(), 0, 0, "round_")
    check_against_torch(lambda t: (t * 1).round_(decimals=1), None, [np.array([1.26, -2.31])], "float64")
    check_against_torch(lambda a, b: (a * 1).atan2_(b), None, [np.array([1.0, -2.0]), np.array([0.5, 3.0])], "float64")
    check_against_torch(lambda t: (t * 1).cumsum_(0), None, [np.array([1.0, -2.0, 4.0])], "float64")
    raise_the_same("lib.tensor([1, 2]).sin_()", RuntimeError,
                   "result type Float can't be cast to the desired output type Long")
    raise_the_same("lib.ones(2, requires_grad=True).sin_()", RuntimeError,
                   "a leaf Variable that requires grad is being used in an in-place operation.")


EMPTY = ["x.sin()", "x.cumsum(1)", "x.sort(1).values", "x.topk(0, 1).values", "x.amax(0)", "x.amax(1)", "x.amax()",
         "x.logsumexp(0)", "x.logsumexp(1)", "x.norm()", "x.norm(dim=1)", "x.norm(float('inf'), 1)",
         "x.norm(float('-inf'))", "x.prod(1)", "x.prod()", "lib.einsum('ij->j', x)", "x.flip(1)", "x.roll(1, 1)",
         "x.split(2, 1)", "x.chunk(2, 1)", "x.unbind(1)", "x.round()", "x.argsort(1)", "x.all(1)", "x.any()",
         "lib.outer(lib.zeros(0), lib.ones(2))", "lib.dot(lib.zeros(0), lib.zeros(0))", "x.squeeze((0, 1))",
         "x.index_select(1, lib.zeros(0, dtype=lib.int64))"]


@pytest.mark.parametrize("expr", EMPTY)
def test_empty_tensors_give_torchs_results_or_errors(expr):
    outcomes = []
    for lib in (te, torch):
        try:
            result = eval(expr, {"lib": lib, "x": lib.zeros(2, 0)})
            outcomes.append(result if isinstance(result, (tuple, list)) else (result,))
        except (RuntimeError, IndexError) as error:
            outcomes.append(type(error))
    if isinstance(outcomes[1], type):
        assert outcomes[0] is outcomes[1], f"{expr}: {outcomes[0]} but torch raises {outcomes[1]}"
    else:
        assert len(outcomes[0]) == len(outcomes[1]), expr
        for ours, theirs in zip(*outcomes):
            assert_same_tensor(ours, theirs, 0, 0, expr)


@pytest.mark.parametrize("expr", ["x.flip(0)", "x.roll(0, 0)", "x.roll(1, 1)"])
def test_results_that_are_copies_in_torch_are_copies_here(expr):
    # numpy would hand back a view for flip; torch returns a new tensor, so writing it leaves x alone
    for lib in (te, torch):
        x = lib.ones(2, 2, requires_grad=True)
        out = eval(expr, {"lib": lib, "x": x})
        out.mul_(3)
        assert x.detach().tolist() == [[1.0, 1.0], [1.0, 1.0]], (lib.__name__, expr)


def test_einsum_always_returns_a_new_tensor():
    # Deliberate difference: torch's einsum returns a view for a pure transpose or diagonal ("ij->ji",
    # "ii->i"); the engine's is always a copy (Einsum.is_view is False), so writing it leaves x alone.
    x = te.ones(2, 2)
    out = te.einsum("ij->ji", x)
    out.mul_(3)
    assert x.tolist() == [[1.0, 1.0], [1.0, 1.0]] and not type(
        te.einsum("ij->ji", te.ones(2, 2, requires_grad=True)).grad_fn).is_view
