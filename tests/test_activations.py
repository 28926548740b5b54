"""LeakyReLU, ELU, GELU, SiLU, Softplus and Hardtanh against PyTorch: values and gradients on
random shapes (float64 tight, float32 1e-5), at their kinks exactly, as layers (reprs, inplace),
and their errors."""
import numpy as np
import pytest
import torch
from helpers import check_against_torch
from hypothesis import given, settings
from hypothesis import strategies as st

import strategies
import tinygrad_edu
import tinygrad_edu.nn.functional as F

TF = torch.nn.functional

# name -> (edu function, torch function, kinks to keep random values away from)
CASES = {
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2), (0.0,)),
    "leaky_relu_default": (F.leaky_relu, TF.leaky_relu, (0.0,)),
    "elu": (lambda x: F.elu(x, 1.5), lambda x: TF.elu(x, 1.5), (0.0,)),
    "gelu": (F.gelu, TF.gelu, ()),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh"), ()),
    "silu": (F.silu, TF.silu, ()),
    "softplus": (F.softplus, TF.softplus, ()),
    "softplus_beta_threshold": (lambda x: F.softplus(x, beta=2.0, threshold=3.0),
                                lambda x: TF.softplus(x, beta=2.0, threshold=3.0), (1.5,)),
    "hardtanh": (F.hardtanh, TF.hardtanh, (-1.0, 1.0)),
    "hardtanh_bounds": (lambda x: F.hardtanh(x, -0.5, 2.0), lambda x: TF.hardtanh(x, -0.5, 2.0), (-0.5, 2.0)),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(CASES))
@settings(max_examples=20)
@given(data=st.data())
def test_activation_matches_torch(name, dtype, data):
    edu, ref, kinks = CASES[name]
    x = data.draw(strategies.arrays(data.draw(strategies.shapes(max_dims=3)), lo=-4, hi=4, avoid=kinks))
    check_against_torch(edu, ref, [x], dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", sorted(CASES))
def test_activation_at_its_kinks_and_far_out(name, dtype):
    """Exactly at 0, at the bounds and threshold, and where exp over- or underflows."""
    x = np.array([0.0, -1.0, 1.0, -0.5, 2.0, 1.5, 1.49, 1.51, 10.0, 10.5, 25.0, -30.0, -100.0, 100.0, 800.0, -800.0])
    edu, ref, _ = CASES[name]
    check_against_torch(edu, ref, [x], dtype)


def test_softplus_edge_parameters():
    x = np.array([-3.0, -0.1, 0.0, 0.7, 5.0])
    check_against_torch(lambda t: F.softplus(t, beta=0.5, threshold=0.0), lambda t: TF.softplus(t, 0.5, 0.0), [x])
    check_against_torch(lambda t: F.softplus(t, beta=-1.0), lambda t: TF.softplus(t, -1.0), [x])


def test_elu_negative_alpha_and_leaky_relu_negative_slope():
    x = np.array([-3.0, -0.1, 0.0, 0.7, 5.0])
    check_against_torch(lambda t: F.elu(t, -0.5), lambda t: TF.elu(t, -0.5), [x])
    check_against_torch(lambda t: F.leaky_relu(t, -2.0), lambda t: TF.leaky_relu(t, -2.0), [x])


def test_grad_fn_names_are_torch_s():
    x = np.array([0.5, -0.5])
    pairs = [(F.leaky_relu, TF.leaky_relu), (F.elu, TF.elu), (F.gelu, TF.gelu), (F.silu, TF.silu),
             (F.softplus, TF.softplus), (F.hardtanh, TF.hardtanh)]
    for edu, ref in pairs:
        _, (e,), _, (t,) = check_against_torch(edu, ref, [x])
        assert e.grad_fn.name == type(t.grad_fn).__name__


def test_hardtanh_keeps_integer_dtype():
    x = np.array([-3, 0, 2], dtype=np.int64)
    check_against_torch(F.hardtanh, TF.hardtanh, [x])


LAYERS = [
    ("LeakyReLU", (), {}), ("LeakyReLU", (0.2, True), {}), ("ELU", (), {"alpha": 2.0, "inplace": True}),
    ("ELU", (), {}), ("GELU", (), {}), ("GELU", (), {"approximate": "tanh"}), ("SiLU", (), {}),
    ("SiLU", (True,), {}), ("Softplus", (), {}), ("Softplus", (2, 10), {}), ("Hardtanh", (), {}),
    ("Hardtanh", (-2, 3, True), {}), ("ReLU", (), {"inplace": True}), ("ReLU", (), {}),
]


@pytest.mark.parametrize("name, args, kwargs", LAYERS)
def test_layer_repr_values_gradients_and_empty_state_dict(name, args, kwargs):
    edu_layer = getattr(tinygrad_edu.nn, name)(*args, **kwargs)
    ref_layer = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(edu_layer) == repr(ref_layer)
    assert list(edu_layer.state_dict()) == list(ref_layer.state_dict()) == []
    x = np.linspace(-3, 3, 24).reshape(2, 3, 4)
    if kwargs.get("inplace") or True in args:  # torch's in-place layer would overwrite a leaf: use a non-leaf
        check_against_torch(lambda t: edu_layer(t * 1.0), lambda t: ref_layer(t * 1.0), [x])
    else:
        check_against_torch(edu_layer, ref_layer, [x])


@pytest.mark.parametrize("fn, kwargs", [("leaky_relu", {"negative_slope": 0.3}), ("elu", {}), ("silu", {}),
                                        ("hardtanh", {"min_val": -0.5}), ("relu", {})])
def test_functional_inplace_without_grad_overwrites_the_input(fn, kwargs):
    x = np.linspace(-2, 2, 9)
    e, t = tinygrad_edu.tensor(x), torch.tensor(x)
    e_out = getattr(F, fn)(e, inplace=True, **kwargs)
    t_out = getattr(TF, fn)(t, inplace=True, **kwargs)
    assert e_out is e
    np.testing.assert_allclose(e.numpy(), t.numpy(), rtol=1e-12)
    np.testing.assert_allclose(e_out.numpy(), t_out.numpy(), rtol=1e-12)


@pytest.mark.parametrize("fn, kwargs", [("leaky_relu", {"negative_slope": 0.3}), ("elu", {}), ("silu", {}),
                                        ("hardtanh", {"min_val": -1.5, "max_val": 3.0}), ("relu", {})])
def test_functional_inplace_on_a_graph_is_recorded_like_torch(fn, kwargs):
    """inplace=True on a non-leaf: the input takes over the activation's node; the leaf's gradient is torch's."""
    grads = []
    for lib, functional in ((torch, TF), (tinygrad_edu, F)):
        w = lib.tensor(np.linspace(-2, 2, 9), requires_grad=True)
        x = w * 2
        assert getattr(functional, fn)(x, inplace=True, **kwargs) is x
        (x * x).sum().backward()
        grads.append(w.grad.numpy())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-12, atol=1e-15)


def test_functional_inplace_on_a_leaf_that_requires_grad_is_refused_like_torch():
    for lib, functional in ((torch, TF), (tinygrad_edu, F)):
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
            functional.elu(lib.tensor([1.0, -1.0], requires_grad=True), inplace=True)


@pytest.mark.parametrize("fn", ["leaky_relu", "elu", "gelu", "silu", "softplus"])
def test_integer_input_is_refused_like_torch(fn):
    x = np.array([1, -2])
    with pytest.raises(NotImplementedError) as ref:
        getattr(TF, fn)(torch.from_numpy(x))
    with pytest.raises(NotImplementedError, match=f'"{fn}" not implemented for \'Long\'') as edu:
        getattr(F, fn)(tinygrad_edu.from_numpy(x))
    assert "not implemented for 'Long'" in str(ref.value)


def test_errors_match_torch():
    x = np.array([0.5])
    for edu_call, ref_call in [
        (lambda: F.gelu(tinygrad_edu.tensor(x), approximate="fast"),
         lambda: TF.gelu(torch.tensor(x), approximate="fast")),
        (lambda: F.hardtanh(tinygrad_edu.tensor(x), 2.0, 1.0), lambda: TF.hardtanh(torch.tensor(x), 2.0, 1.0)),
        (lambda: tinygrad_edu.nn.Hardtanh(2, 1), lambda: torch.nn.Hardtanh(2, 1)),
        (lambda: tinygrad_edu.nn.Hardtanh(1, 1), lambda: torch.nn.Hardtanh(1, 1)),
    ]:
        with pytest.raises(Exception) as ref:
            ref_call()
        with pytest.raises(type(ref.value)) as edu:
            edu_call()
        assert str(edu.value) == str(ref.value)


def test_erf_kernel_matches_torch():
    from tinygrad_edu.ops.activation import erf
    x = np.linspace(-6, 6, 1001)
    np.testing.assert_allclose(erf(x), torch.erf(torch.from_numpy(x)).numpy(), rtol=1e-15, atol=1e-16)
    assert erf(x.astype(np.float32)).dtype == np.float32
