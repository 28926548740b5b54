"""The silent divergences from PyTorch seen in the tutorial's code, one test each, against torch.

Each was a wrong number or a numpy error before; each now equals PyTorch or raises its error.
(``test_parity_harness.py`` covers the same ground with generated cases; these say what each was.)
"""
import matplotlib
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as te
from helpers import check_against_torch

LIBS = pytest.mark.parametrize("lib", [te, torch], ids=["edu", "torch"])
matplotlib.use("Agg")


def F(lib):
    return lib.nn.functional


def errors_alike(fn):
    """fn(lib) raises the same exception class on both engines; returns our message."""
    caught = []
    for lib in (torch, te):
        with pytest.raises(Exception) as info:
            fn(lib)
        caught.append(info.value)
    assert type(caught[1]) is type(caught[0]), (caught[1], caught[0])
    return str(caught[1])


# ---------------------------------------------------------------------------- losses

def test_class_targets_shaped_n_by_1_are_refused():
    """They used to average N x N pairs."""
    x = np.random.default_rng(0).standard_normal((4, 3))
    for name in ("nll_loss", "cross_entropy"):
        message = errors_alike(lambda lib: getattr(F(lib), name)(lib.tensor(x), lib.tensor([[0], [1], [2], [0]])))
        assert message == "0D or 1D target tensor expected, multi-target not supported"


@pytest.mark.parametrize("shape", [(2, 3, 4), (2, 3, 2, 3), (1, 4, 1, 1, 2)])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_k_dimensional_class_targets(shape, reduction):
    """Segmentation-style (N, C, d1, ...) inputs with (N, d1, ...) class indices, weights and an ignored class."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    target = rng.integers(0, shape[1], (shape[0],) + shape[2:])
    weight = rng.random(shape[1]) + 0.5
    for lib_fn in ("cross_entropy", "nll_loss"):
        check_against_torch(lambda a, y, w: getattr(te.nn.functional, lib_fn)(a, y, w, ignore_index=1,
                                                                              reduction=reduction),
                            lambda a, y, w: getattr(torch.nn.functional, lib_fn)(a, y, w, ignore_index=1,
                                                                                 reduction=reduction),
                            [x, target, weight], requires_grad=[True, False, False])
    message = errors_alike(lambda lib: F(lib).nll_loss(lib.tensor(x), lib.tensor(target[..., :1])))
    assert message.startswith("Expected target size")


def test_one_dim_input_with_a_zero_dim_target_gives_a_zero_dim_loss():
    check_against_torch(lambda x, y: te.nn.functional.nll_loss(x, y, reduction="none"),
                        lambda x, y: torch.nn.functional.nll_loss(x, y, reduction="none"),
                        [np.array([-1.0, -2.0, -3.0]), np.array(1)])


@pytest.mark.parametrize("name", ["nll_loss", "cross_entropy"])
def test_mean_with_every_target_ignored_is_nan_with_zero_gradients(name):
    x = np.random.default_rng(2).standard_normal((3, 4))
    check_against_torch(lambda a, y: getattr(te.nn.functional, name)(a, y),
                        lambda a, y: getattr(torch.nn.functional, name)(a, y), [x, np.array([-100, -100, -100])])


# ---------------------------------------------------------------------------- clamp with tensor bounds

@given(st.lists(st.floats(-2, 2).map(lambda v: round(v * 4) / 4), min_size=12, max_size=12), st.booleans(),
       st.booleans())
@settings(max_examples=40)
def test_clamp_with_tensor_bounds_sends_gradients_to_the_bounds(values, use_lo, use_hi):
    """Ties (x equal to a bound), lo > hi and broadcasting included: rounding to quarters makes them common."""
    v = np.array(values)
    x, lo, hi = v[:6].reshape(2, 3), v[6:9], v[9:12].reshape(1, 3)
    if not (use_lo or use_hi):
        use_lo = True
    check_against_torch(lambda a, b, c: a.clamp(min=b if use_lo else None, max=c if use_hi else None),
                        None, [x, lo, hi])


def test_clamp_of_an_integer_tensor_by_a_float_gives_float32():
    for bound in (2.5, "tensor"):
        outs = [lib.tensor([1, 5]).clamp(min=lib.tensor([2.0, 2.0]) if bound == "tensor" else bound)
                for lib in (te, torch)]
        assert outs[0].dtype.name == str(outs[1].dtype).removeprefix("torch.") == "float32"
        assert outs[0].tolist() == outs[1].tolist()


# ---------------------------------------------------------------------------- reductions and shapes

@pytest.mark.parametrize("op", ["sum", "mean"])
def test_reducing_over_an_empty_dim_list_reduces_everything(op):
    check_against_torch(lambda x: getattr(x, op)(dim=[]), None, [np.arange(6.0).reshape(2, 3)])
    check_against_torch(lambda x: getattr(x, op)(dim=(), keepdim=True), None, [np.arange(6.0).reshape(2, 3)])


@pytest.mark.parametrize("expr", ["x.sum(0)", "x.mean(-1)", "x.max(0)", "x.min(-1)", "x.max(0, keepdim=True)",
                                  "x.argmax(0)", "x.argmin(-1)", "x.transpose(0, 0)", "x.transpose(-1, 0)",
                                  "x.softmax(0)", "x.sum((0,))", "x.var(0)"])
def test_zero_dim_tensors_accept_dim_0_and_minus_1(expr):
    check_against_torch(lambda x: eval(expr), None, [np.array(2.5)])


@LIBS
def test_zero_dim_tensors_refuse_other_dims(lib):
    for expr in ("x.sum(1)", "x.max(1)", "x.argmax(-2)", "x.transpose(0, 1)"):
        with pytest.raises(IndexError, match="Dimension out of range"):
            eval(expr, {"x": lib.tensor(2.0)})


def test_expand_and_flatten_arguments_that_torch_refuses():
    assert "leading, non-existing dimension" in errors_alike(lambda lib: lib.ones(2).expand(-1, -1, 2))
    assert "must match the existing size" in errors_alike(lambda lib: lib.ones(2).expand(-1, 3))
    assert "leading, non-existing dimension 0" in errors_alike(lambda lib: lib.ones(2).expand(-2, 2))
    assert errors_alike(lambda lib: lib.ones(2, 3, 4).flatten(1, 0)) == (
        "flatten() has invalid args: start_dim cannot come after end_dim")
    check_against_torch(lambda x: x.expand(3, -1), None, [np.ones(2)])


# ---------------------------------------------------------------------------- indices

@LIBS
def test_one_hot_refuses_bad_classes(lib):
    f = F(lib).one_hot
    with pytest.raises(RuntimeError, match="Class values must be non-negative"):
        f(lib.tensor([-1]), 3)
    with pytest.raises(RuntimeError, match="Class values must be smaller than num_classes"):
        f(lib.tensor([3]), 3)
    with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor"):
        f(lib.tensor([1.0]), 3)
    with pytest.raises(RuntimeError, match="Can not infer total number of classes from empty tensor"):
        f(lib.tensor([], dtype=lib.int64))
    assert f(lib.tensor([[0, 2], [1, 1]])).tolist() == [[[1, 0, 0], [0, 0, 1]], [[0, 1, 0], [0, 1, 0]]]


@pytest.mark.parametrize("index", ["[3]", "[-4]", "[0, 7]", "[t.tensor([3])]", "[t.tensor([0, -4])]"])
def test_out_of_range_indices_raise_torchs_index_error(index):
    message = errors_alike(lambda lib: eval(f"x{index}", {"x": lib.ones(3, 2), "t": lib}))
    assert "out of bounds for dimension" in message and "axis" not in message


@pytest.mark.parametrize("loss", ["nll_loss", "cross_entropy"])
@pytest.mark.parametrize("target", [[0, 3, 1], [0, -1, 1], [0, -5, 1]])
def test_loss_targets_out_of_range(loss, target):
    message = errors_alike(lambda lib: getattr(F(lib), loss)(lib.zeros(3, 3), lib.tensor(target)))
    assert message.startswith("Target") and "out of bounds" in message


# ---------------------------------------------------------------------------- numpy scalars and arrays

SCALARS = [np.int64(0), np.int32(3), np.uint8(2), np.float64(0.5), np.float32(1.5), np.bool_(True), np.int64(-2)]
TENSORS = [("int64", [16777217, -3]), ("int32", [7, 2]), ("uint8", [1, 200]), ("float32", [1.5, -2.0]),
           ("float64", [0.25, 3.0]), ("bool", [True, False])]


@given(st.sampled_from(SCALARS), st.sampled_from(TENSORS), st.sampled_from(["+", "*", "-", "/"]), st.booleans())
@settings(max_examples=50)
def test_numpy_scalars_promote_like_python_numbers(scalar, tensor, op, scalar_first):
    """tensor([16777217]) + np.int64(0) was a float32 16777216."""
    dtype, values = tensor
    outs = []
    for lib in (te, torch):
        x = lib.tensor(values, dtype=getattr(lib, dtype if dtype != "bool" else "bool"))
        expr = f"s {op} x" if scalar_first else f"x {op} s"
        try:
            outs.append(eval(expr, {"x": x, "s": scalar}))
        except Exception as e:  # noqa: BLE001
            outs.append(type(e))
    if isinstance(outs[1], type):
        assert outs[0] is outs[1] or isinstance(outs[0], type) and issubclass(outs[0], outs[1])
        return
    assert outs[0].dtype.name == str(outs[1].dtype).removeprefix("torch.")
    np.testing.assert_allclose(outs[0].numpy(), outs[1].numpy(), rtol=1e-6)


def test_the_exact_case_from_the_issue():
    assert (te.tensor([16777217]) + np.int64(0)).tolist() == [16777217]


@LIBS
def test_np_asarray_of_a_tensor_is_a_numeric_array(lib):
    a = np.asarray(lib.tensor([[1.0, 2.0]]))
    assert a.dtype == np.float32 and a.shape == (1, 2)
    assert np.asarray([lib.tensor(1.0), lib.tensor(2.0)]).dtype == np.float32
    assert np.asarray(lib.tensor([1, 2]), dtype=np.float64).dtype == np.float64
    with pytest.raises(RuntimeError, match="Can't call numpy\\(\\) on Tensor that requires grad"):
        np.asarray(lib.ones(2, requires_grad=True))


def test_matplotlib_plots_a_list_of_tensors():
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    (line,) = ax.plot([te.tensor(1.0), te.tensor(3.0)], te.tensor([2.0, 4.0]))
    assert line.get_xydata().tolist() == [[1.0, 2.0], [3.0, 4.0]]
    plt.close(fig)


# ---------------------------------------------------------------------------- zero-size tensors

@pytest.mark.parametrize("expr, shape", [("x.softmax(1)", (2, 0)), ("x.log_softmax(-1)", (2, 0)),
                                         ("x.log_softmax(0)", (0, 3)), ("x.sum(0)", (0, 3)),
                                         ("x.max(1).values", (2, 3)), ("x.reshape(-1, 3)", (0, 3)),
                                         ("x.flatten(1)", (0, 3, 2))])
def test_zero_size_ops(expr, shape):
    check_against_torch(lambda x: eval(expr), None, [np.ones(shape)])


def test_linear_with_no_input_features():
    check_against_torch(lambda x, w, b: te.nn.functional.linear(x, w, b),
                        lambda x, w, b: torch.nn.functional.linear(x, w, b), [np.ones((2, 0)), np.ones((3, 0)),
                                                                              np.array([1.0, 2.0, 3.0])])
    with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
        layer = te.nn.Linear(0, 3)
    assert layer(te.ones(2, 0)).shape == (2, 3) and layer.bias.tolist() == [0.0, 0.0, 0.0]


@LIBS
def test_modules_on_an_empty_batch(lib):
    assert tuple(lib.nn.Flatten()(lib.ones(0, 3, 2)).shape) == (0, 6)
    for bn, shape in ((lib.nn.BatchNorm1d(3), (0, 3)), (lib.nn.BatchNorm2d(3), (0, 3, 2, 2))):
        x = lib.ones(shape, requires_grad=True)
        out = bn(x)
        out.sum().backward()
        assert tuple(out.shape) == shape and bn.weight.grad.tolist() == [0.0, 0.0, 0.0]
        assert bn.running_mean.tolist() == [0.0] * 3 and bn.running_var.tolist() == [1.0] * 3
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        lib.nn.BatchNorm1d(3)(lib.ones(1, 3))


# ---------------------------------------------------------------------------- error texts

def test_where_and_linear_shape_errors_name_the_shapes_as_torch():
    where = errors_alike(lambda lib: lib.where(lib.ones(2, 3) > 0, lib.ones(2, 3), lib.ones(4)))
    assert where == "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"
    for call in (lambda lib: F(lib).linear(lib.ones(2, 3), lib.ones(4, 5)),
                 lambda lib: F(lib).linear(lib.ones(2, 3), lib.ones(4, 3), lib.ones(5))):
        message = errors_alike(call)
        assert "operands could not be broadcast" not in message and ("(2x3 and 5x4)" in message or
                                                                     "Target sizes: [2, 4]" in message)
