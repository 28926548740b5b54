"""Losses against PyTorch: values and gradients for every reduction, in the functional and the
module form, plus the edge cases (clamped logs, ignored targets) and PyTorch-like errors.
"""
import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

import strategies
import tinygrad_edu as tg
from helpers import check_against_torch

F, TF = tg.nn.functional, torch.nn.functional
REDUCTIONS = st.sampled_from(["mean", "sum", "none"])
DTYPES = st.sampled_from(["float64", "float32"])
FORMS = st.sampled_from(["functional", "module"])

# name of the nn class and of the nn.functional function, and the options each takes
LOSSES = {"mse": ("MSELoss", "mse_loss"), "bce": ("BCELoss", "binary_cross_entropy"),
          "nll": ("NLLLoss", "nll_loss"), "cross_entropy": ("CrossEntropyLoss", "cross_entropy")}


def loss_fns(loss: str, form: str, **options):
    """The loss as (ours, torch's): ``fn(input, target, weight=None)``, in functional or module form.

    The weight is a third argument (not an option), so it can be an input of the comparison.
    """
    module, function = LOSSES[loss]

    def make(engine, functional):
        if form == "module":
            return lambda x, y, w=None: getattr(engine.nn, module)(
                **options, **({"weight": w} if w is not None else {}))(x, y)
        return lambda x, y, w=None: getattr(functional, function)(
            x, y, **options, **({"weight": w} if w is not None else {}))

    return make(tg, F), make(torch, TF)


@st.composite
def class_targets(draw, n: int, classes: int, ignore_index: int | None = None):
    """int64 class indices (n,), some equal to ``ignore_index`` but never all of them.

    (With every target ignored the mean is 0/0: torch gives a nan loss but zero gradients, we
    give nan gradients too; a known difference, left untested.)
    """
    choices = st.integers(0, classes - 1)
    if ignore_index is not None:
        choices = st.one_of(choices, st.just(ignore_index))
    labels = draw(st.lists(choices, min_size=n, max_size=n))
    if ignore_index is not None and all(t == ignore_index for t in labels):
        counted = [k for k in range(classes) if k != ignore_index]
        assume(counted)
        labels[0] = counted[0]
    return np.array(labels, dtype=np.int64)


# ---------------------------------------------------------------------------- MSE

@given(shape=strategies.shapes(0, 3), reduction=REDUCTIONS, dtype=DTYPES, form=FORMS, data=st.data())
def test_mse_loss(shape, reduction, dtype, form, data):
    x, y = data.draw(strategies.arrays(shape)), data.draw(strategies.arrays(shape))
    check_against_torch(*loss_fns("mse", form, reduction=reduction), [x, y], dtype)  # target gets a grad too


def test_mse_loss_refuses_mismatched_shapes_where_torch_warns():
    """Deliberate difference: torch warns and broadcasts (N, 1) against (N,) into an (N, N)
    loss, a classic silent bug of the tutorial's regression; we raise instead."""
    x, y = np.zeros((4, 1)), np.zeros(4)
    with pytest.warns(UserWarning, match="target size"):
        TF.mse_loss(torch.tensor(x), torch.tensor(y))
    for fn in (F.mse_loss, tg.nn.MSELoss()):
        with pytest.raises(ValueError, match=r"target size \(tinygrad_edu.Size\(\[4\]\)\) that is different to "
                                             r"the input size \(tinygrad_edu.Size\(\[4, 1\]\)\)"):
            fn(tg.tensor(x), tg.tensor(y))


# ---------------------------------------------------------------------------- BCE

@given(shape=strategies.shapes(0, 3), reduction=REDUCTIONS, dtype=DTYPES, form=FORMS, weighted=st.booleans(),
       data=st.data())
def test_binary_cross_entropy(shape, reduction, dtype, form, weighted, data):
    """Inputs anywhere in [0, 1], the ends included; gradients of the input."""
    x = data.draw(strategies.arrays(shape, lo=0.0, hi=1.0))
    y = data.draw(strategies.arrays(shape, lo=0.0, hi=1.0))
    inputs = [x, y]
    if weighted:
        weight_shape = data.draw(st.sampled_from([shape, shape[-1:], ()]))
        inputs.append(data.draw(strategies.arrays(weight_shape, lo=0.0, hi=2.0)))
    check_against_torch(*loss_fns("bce", form, reduction=reduction), inputs, dtype,
                        requires_grad=[True] + [False] * (len(inputs) - 1))


@given(shape=strategies.shapes(1, 3), reduction=REDUCTIONS, dtype=DTYPES, data=st.data())
def test_binary_cross_entropy_target_gradient(shape, reduction, dtype, data):
    """Inside (0, 1) the target's gradient, log(1 - x) - log(x), is torch's too."""
    x = data.draw(strategies.arrays(shape, lo=0.02, hi=0.98))
    y = data.draw(strategies.arrays(shape, lo=0.0, hi=1.0))
    check_against_torch(*loss_fns("bce", "functional", reduction=reduction), [x, y], dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_cross_entropy_clamps_logs_at_exactly_0_and_1(dtype, reduction):
    """log(0) is clamped to -100: a confidently wrong prediction costs 100, not inf, and the
    input's gradient (x - y) / max(x (1 - x), 1e-12) stays finite, as torch's does (a float32
    sigmoid saturates to exactly 1.0 for inputs above ~17)."""
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.5])
    y = np.array([0.0, 1.0, 1.0, 0.0, 0.3, 0.7, 0.5])
    _, outs, _, _ = check_against_torch(*loss_fns("bce", "functional", reduction=reduction), [x, y], dtype,
                                        requires_grad=[True, False])
    if reduction == "none":
        np.testing.assert_allclose(outs[0].detach().numpy()[:4], [0, 0, 100, 100], atol=1e-6)
    saturated = tg.tensor([40.0], requires_grad=True)
    F.binary_cross_entropy(saturated.sigmoid(), tg.tensor([0.0])).backward()
    assert np.isfinite(saturated.grad.numpy()).all()


def test_binary_cross_entropy_target_gradient_is_finite_at_the_ends():
    """Deliberate difference: at x = 0 or 1 torch's target gradient, -logit(x), is infinite;
    ours is the derivative of the clamped loss, max(log(1 - x), -100) - max(log x, -100)."""
    x = tg.tensor([0.0, 1.0, 0.25])
    y = tg.tensor([0.5, 0.5, 0.5], requires_grad=True)
    F.binary_cross_entropy(x, y, reduction="sum").backward()
    np.testing.assert_allclose(y.grad.numpy(), [100.0, -100.0, np.log(3.0)], rtol=1e-6)


# ---------------------------------------------------------------------------- NLL and cross-entropy

@given(n=st.integers(1, 5), classes=st.integers(1, 5), reduction=REDUCTIONS, dtype=DTYPES, form=FORMS,
       weighted=st.booleans(), ignore=st.sampled_from([None, -100, 0, 2]), data=st.data())
def test_nll_loss(n, classes, reduction, dtype, form, weighted, ignore, data):
    x = data.draw(strategies.arrays((n, classes)))
    target = data.draw(class_targets(n, classes, ignore))
    options = dict(reduction=reduction) | ({"ignore_index": ignore} if ignore is not None else {})
    inputs = [x, target] + ([data.draw(strategies.arrays((classes,), lo=0.1, hi=2.0))] if weighted else [])
    check_against_torch(*loss_fns("nll", form, **options), inputs, dtype,
                        requires_grad=[True, False, False][:len(inputs)])


@given(n=st.integers(1, 5), classes=st.integers(1, 5), reduction=REDUCTIONS, dtype=DTYPES, form=FORMS,
       weighted=st.booleans(), ignore=st.sampled_from([None, -100, 1]), data=st.data())
def test_cross_entropy_with_class_indices(n, classes, reduction, dtype, form, weighted, ignore, data):
    x = data.draw(strategies.arrays((n, classes), lo=-5, hi=5))
    target = data.draw(class_targets(n, classes, ignore))
    options = dict(reduction=reduction) | ({"ignore_index": ignore} if ignore is not None else {})
    inputs = [x, target] + ([data.draw(strategies.arrays((classes,), lo=0.1, hi=2.0))] if weighted else [])
    check_against_torch(*loss_fns("cross_entropy", form, **options), inputs, dtype,
                        requires_grad=[True, False, False][:len(inputs)])


@given(n=st.integers(1, 5), classes=st.integers(2, 5), extra=st.sampled_from([(), (3,), (2, 2)]),
       reduction=REDUCTIONS, dtype=DTYPES, form=FORMS, weighted=st.booleans(), data=st.data())
def test_cross_entropy_with_class_probabilities(n, classes, extra, reduction, dtype, form, weighted, data):
    """A float target of the input's shape, (N, C) or (N, C, d1, ...), holds class probabilities;
    its gradient is compared too. The mean is over N * d1 * ..., whatever the weights."""
    x = data.draw(strategies.arrays((n, classes) + extra, lo=-5, hi=5))
    p = data.draw(strategies.arrays((n, classes) + extra, lo=0.0, hi=1.0))
    inputs = [x, p] + ([data.draw(strategies.arrays((classes,), lo=0.1, hi=2.0))] if weighted else [])
    check_against_torch(*loss_fns("cross_entropy", form, reduction=reduction), inputs, dtype,
                        requires_grad=[True, True, False][:len(inputs)])


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("loss", ["nll", "cross_entropy"])
def test_unbatched_input(loss, dtype):
    """input (C,) and a 0-d target: one sample."""
    x = np.array([0.3, -1.2, 2.0, 0.1])
    check_against_torch(*loss_fns(loss, "functional"), [x, np.array(2)], dtype, requires_grad=[True, False])
    check_against_torch(*loss_fns("cross_entropy", "functional"), [x, np.array([0.1, 0.2, 0.3, 0.4])], dtype)


def test_cross_entropy_of_log_probabilities_equals_nll():
    """Why the tutorial's CNN may use CrossEntropyLoss on its LogSoftmax output."""
    logp = tg.tensor(np.random.default_rng(0).standard_normal((6, 10))).log_softmax(1)
    target = tg.tensor(np.arange(6))
    np.testing.assert_allclose(tg.nn.CrossEntropyLoss()(logp, target).numpy(),
                               tg.nn.NLLLoss()(logp, target).numpy(), rtol=1e-12)


# ---------------------------------------------------------------------------- errors

def raises_like_torch(edu_call, torch_call, error, match: str | None = None):
    """Both engines raise ``error``; ours with a message matching ``match``."""
    with pytest.raises(error):
        torch_call()
    with pytest.raises(error, match=match):
        edu_call()


LOGP = np.log(np.full((3, 4), 0.25))


@pytest.mark.parametrize("loss", ["nll", "cross_entropy"])
@pytest.mark.parametrize("form", ["functional", "module"])
def test_class_index_errors(loss, form):
    edu, ref = loss_fns(loss, form)
    cases = [  # target, error, what our message says
        (np.array([0.0, 1.0, 2.0]), RuntimeError, "Long"),  # float class indices
        (np.array([0, 1]), ValueError, r"Expected input batch_size \(3\) to match target batch_size \(2\)"),
        (np.array([0, 1, 4]), IndexError, "Target 4 is out of bounds"),
        (np.array([0, -1, 2]), IndexError, "Target -1 is out of bounds"),
    ]
    for target, error, match in cases:
        raises_like_torch(lambda: edu(tg.tensor(LOGP), tg.tensor(target)),
                          lambda: ref(torch.tensor(LOGP), torch.tensor(target)), error, match)


def test_cross_entropy_probability_target_errors():
    x = np.zeros((3, 4))
    cases = [(np.zeros((3, 3)), RuntimeError, "multi-target not supported"),  # not the input's shape: indices
             (np.zeros((3, 4), dtype=np.int64), RuntimeError, "floating point type for target")]
    for target, error, match in cases:
        raises_like_torch(lambda: F.cross_entropy(tg.tensor(x), tg.tensor(target)),
                          lambda: TF.cross_entropy(torch.tensor(x), torch.tensor(target)), error, match)


@pytest.mark.parametrize("form", ["functional", "module"])
def test_bce_errors(form):
    edu, ref = loss_fns("bce", form)
    cases = [  # input, target, error, what our message says
        (np.full(3, 0.5), np.full(2, 0.5), ValueError, "target size .* different to the input size"),
        (np.full((3, 1), 0.5), np.full(3, 0.5), ValueError, "target size .* different to the input size"),
        (np.full(3, 0.5), np.array([0, 1, 1]), RuntimeError, "expected Float"),
        (np.array([0.5, 1.5, 0.5]), np.full(3, 0.5), RuntimeError, "between 0 and 1"),
        (np.array([-0.1, 0.5, 0.5]), np.full(3, 0.5), RuntimeError, "between 0 and 1"),
    ]
    for x, y, error, match in cases:
        raises_like_torch(lambda: edu(tg.tensor(x), tg.tensor(y)), lambda: ref(torch.tensor(x), torch.tensor(y)),
                          error, match)


@pytest.mark.parametrize("loss", list(LOSSES))
def test_invalid_reduction(loss):
    """Torch complains when the loss runs; our modules already at construction."""
    x, y = np.full((2, 3), 0.5), (np.array([0, 1]) if loss in ("nll", "cross_entropy") else np.full((2, 3), 0.5))
    edu, ref = loss_fns(loss, "functional", reduction="average")
    raises_like_torch(lambda: edu(tg.tensor(x), tg.tensor(y)), lambda: ref(torch.tensor(x), torch.tensor(y)),
                      ValueError, "average is not a valid value for reduction")
    with pytest.raises(ValueError, match="average is not a valid value for reduction"):
        getattr(tg.nn, LOSSES[loss][0])(reduction="average")
