"""Picking and placing by index against PyTorch: gather, scatter, scatter_add, index_select,
masked_fill, sort, argsort and topk. Values and gradients on hypothesis shapes and layouts, index
tensors drawn in range (repeats included), and the errors for a bad index.
"""
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
EXAMPLES = settings(max_examples=20)


@st.composite
def index_along(draw, shape, dim, limit=None):
    """An int64 index for gather/scatter along ``dim`` of ``shape``: as many dims, each no larger than
    ``limit`` (default ``shape``) apart from ``dim``, values in [0, shape[dim]) with repeats."""
    limit = limit or shape
    index_shape = tuple(draw(st.integers(1, 4)) if d == dim else draw(st.integers(1, limit[d]))
                        for d in range(len(shape)))
    return draw(hnp.arrays(np.int64, index_shape, elements=st.integers(0, shape[dim] - 1)))


@st.composite
def unique_index_along(draw, shape, dim):
    """An index for scatter whose positions along ``dim`` never repeat within a slice, so which write
    wins is not left to chance."""
    index_shape = tuple(draw(st.integers(1, shape[dim])) if d == dim else draw(st.integers(1, n))
                        for d, n in enumerate(shape))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    rows = np.argsort(rng.random(index_shape[:dim] + (shape[dim],) + index_shape[dim + 1:]), axis=dim)
    return np.take(rows, np.arange(index_shape[dim]), axis=dim).astype(np.int64)


@DTYPES
@EXAMPLES
@given(data=st.data())
def test_gather(dtype, data):
    shape, dim = data.draw(S.shape_and_dim())
    x = data.draw(S.arrays(shape))
    index = data.draw(index_along(shape, dim % len(shape)))
    check_against_torch(lambda t, i: t.gather(dim, i), None, [x, index], dtype)
    check_against_torch(lambda t, i: te.gather(t, dim, i), lambda t, i: torch.gather(t, dim, i), [x, index], dtype)


@DTYPES
@EXAMPLES
@given(data=st.data())
def test_scatter_with_a_tensor_and_a_number(dtype, data):
    shape, dim = data.draw(S.shape_and_dim())
    d = dim % len(shape)
    index = data.draw(unique_index_along(shape, d))
    x, src = data.draw(S.arrays(shape)), data.draw(S.arrays(index.shape))
    flags = data.draw(st.sampled_from([(True, False, True), (True, False, False), (False, False, True)]))
    check_against_torch(lambda t, i, s: t.scatter(dim, i, s), None, [x, index, src], dtype, requires_grad=flags)
    # src may be larger than index (only its leading part is used); torch cannot differentiate src then
    larger = data.draw(S.arrays(tuple(n + 1 for n in index.shape)))
    check_against_torch(lambda t, i, s: t.scatter(dim, i, s), None, [x, index, larger], dtype,
                        requires_grad=(True, False, False))
    check_against_torch(lambda t, i: t.scatter(dim, i, 2.5), None, [x, index], dtype)
    check_against_torch(lambda t, i: te.scatter(t, dim, i, value=-1.0),
                        lambda t, i: torch.scatter(t, dim, i, value=-1.0), [x, index], dtype)


@DTYPES
@EXAMPLES
@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
@given(data=st.data())
def test_scatter_add_with_repeated_indices(dtype, data):
    shape, dim = data.draw(S.shape_and_dim())
    index = data.draw(index_along(shape, dim % len(shape)))  # repeats add up
    x, src = data.draw(S.arrays(shape)), data.draw(S.arrays(index.shape))
    check_against_torch(lambda t, i, s: t.scatter_add(dim, i, s), None, [x, index, src], dtype)
    check_against_torch(lambda t, i, s: t.scatter(dim, i, s, reduce="add"), None, [x, index, src], dtype,
                        requires_grad=False)
    check_against_torch(lambda t, i, s: t.scatter(dim, i, s, reduce="multiply"), None, [x, index, src], dtype,
                        requires_grad=False)


@DTYPES
@EXAMPLES
@given(data=st.data())
def test_index_select(dtype, data):
    shape, dim = data.draw(S.shape_and_dim())
    x = data.draw(S.arrays(shape))
    n = shape[dim % len(shape)]
    index = data.draw(hnp.arrays(np.int64, st.integers(0, 5), elements=st.integers(0, n - 1)))  # repeats too
    index = index.astype(data.draw(st.sampled_from([np.int64, np.int32])))
    check_against_torch(lambda t, i: t.index_select(dim, i), None, [x, index], dtype)
    check_against_torch(lambda t, i: te.index_select(t, dim, i), lambda t, i: torch.index_select(t, dim, i),
                        [x, index], dtype)


@DTYPES
@EXAMPLES
@given(data=st.data())
def test_masked_fill_broadcasts_the_mask(dtype, data):
    shape_x, shape_m = data.draw(S.broadcastable_shapes())
    x = data.draw(S.arrays(shape_x))
    mask = data.draw(hnp.arrays(np.bool_, shape_m))
    check_against_torch(lambda t, m: t.masked_fill(m, -7.5), None, [x, mask], dtype)
    check_against_torch(lambda t, m, v: t.masked_fill(m, v), None, [x, mask, np.array(3.0)], dtype)  # v gets a grad
    check_against_torch(lambda t, m: te.masked_fill(t, m, 1.0), lambda t, m: torch.masked_fill(t, m, 1.0),
                        [x, mask], dtype)


@DTYPES
@EXAMPLES
@given(data=st.data())
def test_index_fill(dtype, data):
    shape, dim = data.draw(S.shape_and_dim())
    x = data.draw(S.arrays(shape))
    n = shape[dim % len(shape)]
    index = data.draw(hnp.arrays(np.int64, st.integers(0, 4), elements=st.integers(-n, n - 1)))  # repeats too
    check_against_torch(lambda t, i: t.index_fill(dim, i, -2.5), None, [x, index], dtype)
    check_against_torch(lambda t, i: te.index_fill(t, dim, i, 0.0), lambda t, i: torch.index_fill(t, dim, i, 0.0),
                        [x, index], dtype)
    # a value tensor gets a gradient; torch's backward then fails on negative indices, so they are wrapped here
    check_against_torch(lambda t, i, v: t.index_fill(dim, i, v), None, [x, index % n, np.array(1.5)], dtype)
    check_against_torch(lambda t, i, v: (t * 1).index_fill_(dim, i, v), None, [x, index % n, np.array(1.5)], dtype)


@DTYPES
@EXAMPLES
@given(data=st.data(), descending=st.booleans())
def test_sort_and_argsort_are_stable(dtype, data, descending):
    shape, dim = data.draw(S.shape_and_dim())
    x = data.draw(S.grid_arrays(shape))  # many ties: a stable sort keeps their order
    check_against_torch(lambda t: t.sort(dim=dim, descending=descending, stable=True), None, [x], dtype)
    check_against_torch(lambda t: te.sort(t, dim=dim, descending=descending, stable=True),
                        lambda t: torch.sort(t, dim=dim, descending=descending, stable=True), [x], dtype)
    check_against_torch(lambda t: t.argsort(dim=dim, descending=descending, stable=True), None, [x], dtype)


@DTYPES
@EXAMPLES
@given(data=st.data(), largest=st.booleans())
def test_sort_and_topk_on_distinct_values(dtype, data, largest):
    # torch's default (unstable) sort and topk order ties as they like: compared on tie-free inputs
    shape, dim = data.draw(S.shape_and_dim())
    x = data.draw(S.distinct_arrays(shape))
    k = data.draw(st.integers(0, shape[dim % len(shape)]))
    check_against_torch(lambda t: t.sort(dim, descending=largest), None, [x], dtype)
    check_against_torch(lambda t: t.argsort(dim, descending=largest), None, [x], dtype)
    check_against_torch(lambda t: t.topk(k, dim, largest), None, [x], dtype)
    check_against_torch(lambda t: te.topk(t, k, dim=dim, largest=largest),
                        lambda t: torch.topk(t, k, dim=dim, largest=largest), [x], dtype)


def test_results_are_named_like_torchs():
    x = [[3.0, 1.0, 2.0]]
    for method, args in (("sort", ()), ("topk", (2,))):
        ours, theirs = getattr(te.tensor(x), method)(*args), getattr(torch.tensor(x), method)(*args)
        assert type(ours).__name__ == type(theirs).__name__ == method
        assert_same_tensor(ours.values, theirs.values, 0, 0, "values")
        assert_same_tensor(ours.indices, theirs.indices, 0, 0, "indices")


def test_nan_sorts_as_the_largest_value():
    x = [2.0, float("nan"), -1.0, float("inf")]
    for descending in (False, True):
        ours, theirs = te.tensor(x).sort(descending=descending), torch.tensor(x).sort(descending=descending)
        assert_same_tensor(ours.values, theirs.values, 0, 0, "values")
        assert_same_tensor(ours.indices, theirs.indices, 0, 0, "indices")


def test_dtypes_and_zero_dim_inputs():
    for expr in ["lib.tensor([[3, 1, 2]]).sort(1).values", "lib.tensor([True, False]).sort().indices",
                 "lib.tensor(3.).sort().values", "lib.tensor(3.).topk(1).indices",
                 "lib.tensor([5, 1, 4]).topk(2).values",
                 "lib.tensor([[1, 2, 3]]).long().masked_fill(lib.tensor([True, False, True]), 2.7)",
                 "lib.tensor([[1., 2]]).masked_fill(lib.ones(2, 1, 2, dtype=lib.bool), 9.)",
                 "lib.arange(6).reshape(2, 3).gather(1, lib.tensor([[2, 0]], dtype=lib.int32))",
                 "lib.arange(6).reshape(2, 3).index_select(1, lib.tensor(1))",
                 "lib.zeros(2, 3).scatter(1, lib.tensor([[0, 0]]), 2)"]:
        assert_same_tensor(eval(expr, {"lib": te}), eval(expr, {"lib": torch}), 0, 0, expr)


ERRORS = {
    "gather index too large": ("lib.ones(2, 3).gather(1, lib.tensor([[0, 3]]))", RuntimeError,
                               "index 3 is out of bounds for dimension 1 with size 3"),
    "gather negative index": ("lib.ones(2, 3).gather(1, lib.tensor([[0, -1]]))", RuntimeError,
                              "index -1 is out of bounds for dimension 1 with size 3"),
    "gather index dims": ("lib.ones(2, 3).gather(1, lib.tensor([0, 1]))", RuntimeError,
                          "Index tensor must have the same number of dimensions as input tensor"),
    "gather float index": ("lib.ones(2, 3).gather(1, lib.tensor([[0.]]))", RuntimeError,
                           "gather(): Expected dtype int32/int64 for index"),
    "gather index size": ("lib.ones(2, 3).gather(0, lib.tensor([[0, 1, 1, 0]]))", RuntimeError,
                          "Size does not match at dimension 1 expected index [1, 4] to be no larger than self [2, 3] "
                          "apart from dimension 0"),
    "scatter index too large": ("lib.ones(2, 3).scatter(1, lib.tensor([[0, 5]]), 1.0)", RuntimeError,
                                "index 5 is out of bounds for dimension 1 with size 3"),
    "scatter dtypes": ("lib.ones(2, 3).scatter(1, lib.tensor([[0, 1]]), lib.ones(1, 2, dtype=lib.float64))",
                       RuntimeError, "scatter(): Expected self.dtype to be equal to src.dtype"),
    "scatter reduce grad": ("lib.ones(2, 3, requires_grad=True).scatter(1, lib.tensor([[0]]), lib.ones(1, 1), "
                            "reduce='add').sum().backward()", RuntimeError,
                            "derivative for aten::scatter is not implemented"),
    "scatter reduce name": ("lib.ones(2, 3).scatter(1, lib.tensor([[0]]), 1.0, reduce='max')", RuntimeError,
                            "reduce argument must be either add or multiply."),
    "index_select 2-D index": ("lib.ones(2, 3).index_select(1, lib.tensor([[0, 1]]))", IndexError,
                               "index_select(): Index is supposed to be a vector"),
    "index_select float index": ("lib.ones(2, 3).index_select(1, lib.tensor([0.]))", RuntimeError,
                                 "index_select(): Expected dtype int32 or int64 for index"),
    "index_select negative": ("lib.ones(2, 3).index_select(0, lib.tensor([-1]))", IndexError,
                              "index out of range in self"),
    "masked_fill int mask": ("lib.ones(3).masked_fill(lib.tensor([1, 0, 1]), 9.)", RuntimeError,
                             "masked_fill_ only supports boolean masks, but got mask with dtype"),
    "masked_fill mask shape": ("lib.ones(2, 3).masked_fill(lib.tensor([True, False]), 9.)", RuntimeError,
                               "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
                               "dimension 1"),
    "masked_fill value dims": ("lib.ones(3).masked_fill(lib.tensor([True, False, True]), lib.ones(3))", RuntimeError,
                               "masked_fill_ only supports a 0-dimensional value tensor, but got tensor with 1 "
                               "dimension(s)."),
    "index_fill int32 index": ("lib.ones(2, 3).index_fill(1, lib.tensor([0], dtype=lib.int32), 1.)", IndexError,
                               "index_fill_(): Expected dtype int64 for index."),
    "index_fill range": ("lib.ones(2, 3).index_fill(1, lib.tensor([0, 3]), 1.)", IndexError,
                         "index 3 is out of bounds for dimension 1 with size 3"),
    "index_fill 2-D index": ("lib.ones(2, 3).index_fill(1, lib.tensor([[0]]), 1.)", RuntimeError,
                             "Index has to be a vector/scalar"),
    "topk k": ("lib.ones(2, 3).topk(4)", RuntimeError, "selected index k out of range"),
    "sort dim": ("lib.ones(2, 3).sort(2)", IndexError, "Dimension out of range"),
}


@pytest.mark.parametrize("case", ERRORS)
@pytest.mark.filterwarnings("ignore:The reduce argument of torch.scatter")
def test_errors_read_like_torchs(case):
    raise_the_same(*ERRORS[case])


@DTYPES
def test_inplace_forms_record_the_op(dtype):
    x = np.arange(6.0).reshape(2, 3) / 4
    index = np.array([[2, 0], [1, 1]])
    mask = np.array([True, False, True])
    check_against_torch(lambda t, i, s: (t * 1).scatter_(1, i, s), None, [x, np.array([[2, 0], [1, 0]]), x[:, :2]],
                        dtype, requires_grad=(True, False, True))
    check_against_torch(lambda t, i: (t * 1).scatter_(1, i, value=5.0), None, [x, index], dtype)
    check_against_torch(lambda t, i, s: (t * 1).scatter_add_(1, i, s), None, [x, index, x[:, :2]], dtype)
    check_against_torch(lambda t, m: (t * 1).masked_fill_(m, -1.0), None, [x, mask], dtype)
    check_against_torch(lambda t, m, v: (t * 1).masked_fill_(m, v), None, [x, mask, np.array(2.0)], dtype)
