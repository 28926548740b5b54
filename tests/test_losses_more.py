"""L1Loss, SmoothL1Loss, HuberLoss, BCEWithLogitsLoss (pos_weight) and CrossEntropyLoss with
label_smoothing against PyTorch: values and gradients over random shapes and every reduction,
the layers' reprs and state_dicts, and the errors."""
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
REDUCTIONS = ["mean", "sum", "none"]


@st.composite
def pair_away_from(draw, kinks, max_dims=3):
    """input and target of one shape whose differences keep 0.05 away from each kink (|d| = k)."""
    shape = draw(strategies.shapes(min_dims=0, max_dims=max_dims))
    target = draw(strategies.arrays(shape))
    diff = draw(strategies.arrays(shape, avoid=[s * k for k in kinks for s in (-1, 1)] + [0.0]))
    return target + diff, target


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("loss, param", [("l1_loss", None), ("smooth_l1_loss", 1.0), ("smooth_l1_loss", 0.4),
                                         ("smooth_l1_loss", 0.0), ("huber_loss", 1.0), ("huber_loss", 2.5)])
@settings(max_examples=20)
@given(data=st.data(), reduction=st.sampled_from(REDUCTIONS))
def test_regression_losses_match_torch(loss, param, reduction, dtype, data):
    x, y = data.draw(pair_away_from([param] if param else []))
    kwargs = {"reduction": reduction}
    if param is not None:
        kwargs["beta" if loss == "smooth_l1_loss" else "delta"] = param
    check_against_torch(lambda a, b: getattr(F, loss)(a, b, **kwargs), lambda a, b: getattr(TF, loss)(a, b, **kwargs),
                        [x, y], dtype)


@pytest.mark.parametrize("loss, param", [("smooth_l1_loss", "beta"), ("huber_loss", "delta")])
def test_regression_losses_at_their_kinks(loss, param):
    """|d| exactly 0 and exactly at beta/delta, where the two branches meet."""
    x = np.array([0.0, 0.5, -0.5, 1.5, -1.5, 2.0, 3.0])
    y = np.array([0.0, 0.0, 0.0, 1.0, -1.0, 0.0, 1.0])
    for value in (0.5, 2.0):
        kw = {param: value}
        check_against_torch(lambda a, b: getattr(F, loss)(a, b, reduction="none", **kw),
                            lambda a, b: getattr(TF, loss)(a, b, reduction="none", **kw), [x, y])
    check_against_torch(lambda a, b: F.l1_loss(a, b), lambda a, b: TF.l1_loss(a, b), [x, y])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("loss", ["l1_loss", "huber_loss"])
def test_weighted_l1_and_huber_match_torch(loss, reduction):
    rng = np.random.default_rng(0)
    x, y, w = rng.normal(size=(3, 4)), rng.normal(size=(3, 4)), rng.uniform(0.1, 2, size=(3, 4))
    check_against_torch(lambda a, b, c: getattr(F, loss)(a, b, reduction=reduction, weight=c),
                        lambda a, b, c: getattr(TF, loss)(a, b, reduction=reduction, weight=c), [x, y, w],
                        requires_grad=[True, True, False])


def test_legacy_size_average_and_reduce_flags():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    for size_average, reduce in [(False, None), (None, False), (True, True)]:
        with pytest.warns(UserWarning):
            check_against_torch(lambda a, b: F.l1_loss(a, b, size_average, reduce),
                                lambda a, b: TF.l1_loss(a, b, size_average, reduce), [x, y])


@st.composite
def logits_case(draw):
    """(N, C) or (N, C, L) logits, targets in [0, 1], and a pos_weight / weight broadcasting along the
    trailing dims."""
    shape = draw(st.sampled_from([(4,), (3, 4), (2, 3, 4), (1, 5)]))
    x = draw(strategies.arrays(shape, lo=-60, hi=60))  # far enough out that log(sigmoid) would overflow
    y = draw(strategies.arrays(shape, lo=0, hi=1))
    pw_shape = draw(st.sampled_from([shape[-1:], (1,), shape, ()]))
    w_shape = draw(st.sampled_from([shape[-1:], shape]))
    return x, y, draw(strategies.arrays(pw_shape, lo=0.2, hi=4)), draw(strategies.arrays(w_shape, lo=0, hi=2))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@settings(max_examples=40)
@given(case=logits_case(), use=st.sampled_from(["plain", "pos_weight", "weight", "both"]),
       reduction=st.sampled_from(REDUCTIONS))
def test_bce_with_logits_matches_torch(use, reduction, dtype, case):
    x, y, pw, w = case
    kw_arrays = {"pos_weight": pw, "weight": w}
    names = {"plain": [], "pos_weight": ["pos_weight"], "weight": ["weight"], "both": ["pos_weight", "weight"]}[use]

    def call(fn):
        return lambda a, b, *extra: fn(a, b, reduction=reduction, **dict(zip(names, extra)))
    check_against_torch(call(F.binary_cross_entropy_with_logits), call(TF.binary_cross_entropy_with_logits),
                        [x, y] + [kw_arrays[n] for n in names], dtype,
                        requires_grad=[True, True] + [False] * len(names))


def test_bce_with_logits_layer_buffers_repr_and_state_dict():
    pw, w = np.array([1.0, 2.0, 3.0]), np.array([0.5, 1.0, 2.0])
    edu = tinygrad_edu.nn.BCEWithLogitsLoss(weight=tinygrad_edu.tensor(w), pos_weight=tinygrad_edu.tensor(pw))
    ref = torch.nn.BCEWithLogitsLoss(weight=torch.tensor(w), pos_weight=torch.tensor(pw))
    assert repr(edu) == repr(ref)
    assert list(edu.state_dict()) == list(ref.state_dict()) == ["weight", "pos_weight"]
    back = tinygrad_edu.nn.BCEWithLogitsLoss(weight=tinygrad_edu.zeros(3), pos_weight=tinygrad_edu.zeros(3))
    back.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(5, 3)), rng.uniform(size=(5, 3))
    check_against_torch(back, ref, [x, y])
    assert list(tinygrad_edu.nn.BCEWithLogitsLoss().state_dict()) == list(torch.nn.BCEWithLogitsLoss().state_dict())


@st.composite
def class_case(draw):
    n, c = draw(st.integers(1, 5)), draw(st.integers(2, 5))
    x = draw(strategies.arrays((n, c), lo=-5, hi=5))
    labels = np.array(draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)), dtype=np.int64)
    ignored = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    if any(ignored) and not all(ignored):  # PyTorch gives nan when every target is ignored, as we do
        labels[np.array(ignored)] = -100
    return x, labels, draw(strategies.arrays((c,), lo=0.1, hi=2))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("weighted", [False, True])
@settings(max_examples=30)
@given(case=class_case(), smoothing=st.sampled_from([0.0, 0.1, 0.75, 1.0]), reduction=st.sampled_from(REDUCTIONS))
def test_cross_entropy_label_smoothing_with_class_indices(weighted, smoothing, reduction, dtype, case):
    x, labels, w = case

    def call(fn):
        if weighted:
            return lambda a, t, c: fn(a, t, weight=c, reduction=reduction, label_smoothing=smoothing)
        return lambda a, t: fn(a, t, reduction=reduction, label_smoothing=smoothing)
    inputs = [x, labels, w] if weighted else [x, labels]
    check_against_torch(call(F.cross_entropy), call(TF.cross_entropy), inputs, dtype,
                        requires_grad=[True, False, False][:len(inputs)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.1, 0.6])
def test_cross_entropy_label_smoothing_with_probabilities_and_one_sample(smoothing, reduction):
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(4, 3)), rng.uniform(0.5, 2, size=3)
    p = rng.dirichlet(np.ones(3), size=4)
    check_against_torch(lambda a, b: F.cross_entropy(a, b, reduction=reduction, label_smoothing=smoothing),
                        lambda a, b: TF.cross_entropy(a, b, reduction=reduction, label_smoothing=smoothing), [x, p])
    check_against_torch(lambda a, b, c: F.cross_entropy(a, b, c, reduction=reduction, label_smoothing=smoothing),
                        lambda a, b, c: TF.cross_entropy(a, b, c, reduction=reduction, label_smoothing=smoothing),
                        [x, p, w], requires_grad=[True, True, False])
    check_against_torch(lambda a, t: F.cross_entropy(a, t, label_smoothing=smoothing, reduction=reduction),
                        lambda a, t: TF.cross_entropy(a, t, label_smoothing=smoothing, reduction=reduction),
                        [x[0], np.array(2)], requires_grad=[True, False])


def test_negative_label_smoothing_is_ignored_as_torch_does():
    x, t = np.array([[1.0, 2.0, 0.5]]), np.array([1])
    check_against_torch(lambda a, b: F.cross_entropy(a, b, label_smoothing=-0.2),
                        lambda a, b: TF.cross_entropy(a, b, label_smoothing=-0.2), [x, t], requires_grad=[True, False])


@pytest.mark.parametrize("name, kwargs", [
    ("L1Loss", {}), ("L1Loss", {"reduction": "sum"}), ("SmoothL1Loss", {"beta": 0.5}), ("HuberLoss", {"delta": 2.0}),
    ("CrossEntropyLoss", {"label_smoothing": 0.2}), ("CrossEntropyLoss", {"label_smoothing": 0.2, "ignore_index": 1}),
])
def test_loss_layers_match_torch(name, kwargs):
    edu, ref = getattr(tinygrad_edu.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    assert repr(edu) == repr(ref)
    assert list(edu.state_dict()) == list(ref.state_dict())
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4, 3))
    if name == "CrossEntropyLoss":
        check_against_torch(edu, ref, [x, np.array([0, 1, 2, 1])], requires_grad=[True, False])
    else:
        check_against_torch(edu, ref, [x, rng.normal(size=(4, 3))])


def test_cross_entropy_layer_weight_is_a_buffer_that_round_trips():
    w = np.array([0.2, 1.0, 3.0])
    edu = tinygrad_edu.nn.CrossEntropyLoss(weight=tinygrad_edu.tensor(w), label_smoothing=0.3)
    ref = torch.nn.CrossEntropyLoss(weight=torch.tensor(w), label_smoothing=0.3)
    assert list(edu.state_dict()) == list(ref.state_dict()) == ["weight"]
    back = tinygrad_edu.nn.CrossEntropyLoss(weight=tinygrad_edu.zeros(3, dtype=tinygrad_edu.float64),
                                            label_smoothing=0.3)
    back.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    x = np.random.default_rng(5).normal(size=(4, 3))
    check_against_torch(back, ref, [x, np.array([0, 2, 2, 1])], requires_grad=[True, False])


@pytest.mark.parametrize("call", [
    lambda F, T: F.smooth_l1_loss(T.zeros(3), T.zeros(3), beta=-1.0),
    lambda F, T: F.huber_loss(T.zeros(3), T.zeros(3), delta=0.0),
    lambda F, T: F.huber_loss(T.zeros(3), T.zeros(3), delta=-1.0),
    lambda F, T: F.binary_cross_entropy_with_logits(T.zeros(3), T.zeros(4)),
    lambda F, T: F.binary_cross_entropy_with_logits(T.zeros(3), T.zeros(3), reduction="avg"),
    lambda F, T: F.binary_cross_entropy_with_logits(T.zeros(3), T.zeros(3), pos_weight=T.ones(3, requires_grad=True)),
    lambda F, T: F.binary_cross_entropy_with_logits(T.zeros(3), T.zeros(3), weight=T.ones(3, requires_grad=True)),
    lambda F, T: F.binary_cross_entropy_with_logits(T.zeros(3), T.zeros(3), pos_weight=T.ones(2, 3)),
    lambda F, T: F.binary_cross_entropy_with_logits(T.zeros(3, 2), T.zeros(3, 2, dtype=T.int64)),
    lambda F, T: F.cross_entropy(T.zeros(3, 4), T.zeros(3, dtype=T.int64), label_smoothing=1.5),
    lambda F, T: F.l1_loss(T.zeros(3), T.zeros(3), reduction="x"),
    lambda F, T: F.l1_loss(T.zeros(3), T.zeros(3), weight=T.ones(2)),
    lambda F, T: F.huber_loss(T.zeros(3), T.zeros(3), weight=T.ones(1)),
])
def test_loss_errors_match_torch(call):
    with pytest.raises(Exception) as ref:
        call(TF, torch)
    with pytest.raises(type(ref.value)) as edu:
        call(F, tinygrad_edu)
    assert str(edu.value) == str(ref.value).replace("torch.Size", "tinygrad_edu.Size")


@pytest.mark.parametrize("loss", ["l1_loss", "smooth_l1_loss", "huber_loss"])
def test_mismatched_target_shape_is_refused_where_torch_broadcasts(loss):
    """A deliberate difference (as for mse_loss): PyTorch warns and broadcasts to a wrong loss."""
    with pytest.raises(ValueError, match="different to the input size"):
        getattr(F, loss)(tinygrad_edu.zeros(3, 1), tinygrad_edu.zeros(3))
