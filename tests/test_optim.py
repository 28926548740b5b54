"""Optimizers against PyTorch: from the same weights and the same batches, N steps of SGD or
Adam leave the same weights (float64: to rounding; float32: within 1e-5), for every option.
"""
import copy

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg

STEPS = 50
BATCHES = np.random.default_rng(1234)
X = BATCHES.standard_normal((STEPS, 8, 5))
Y = BATCHES.standard_normal((STEPS, 8, 3))

# float64 trajectories agree to rounding; float32 ones drift by a few ulps per step
TOL = {torch.float64: dict(rtol=1e-12, atol=1e-14), torch.float32: dict(rtol=1e-5, atol=1e-6)}
EDU_DTYPE = {torch.float64: tg.float64, torch.float32: tg.float32}

SGD_OPTIONS = [
    dict(lr=0.05),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.9, nesterov=True),
    dict(lr=0.05, weight_decay=0.1),
    dict(lr=0.05, momentum=0.8, weight_decay=0.01, nesterov=True),
    dict(lr=0.01, maximize=True),
    dict(lr=0.01, momentum=0.5, dampening=0.5, weight_decay=0.05, maximize=True),
]
ADAM_OPTIONS = [
    dict(),
    dict(lr=0.02),
    dict(lr=0.01, betas=(0.8, 0.99)),
    dict(lr=0.01, betas=(0.3, 0.5)),  # beta1 < 0.5: torch's lerp takes its other branch
    dict(lr=0.01, eps=1e-3),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.01, maximize=True),
    dict(lr=0.01, betas=(0.5, 0.9), weight_decay=0.05, amsgrad=True, maximize=True),
]


def make_models(dtype=torch.float64, seed: int = 0):
    """The same small MLP (5 -> 7 -> 3, tanh) on both engines, with torch's initial weights."""
    torch.manual_seed(seed)
    ref = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.Tanh(), torch.nn.Linear(7, 3)).to(dtype)
    edu = tg.nn.Sequential(tg.nn.Linear(5, 7), tg.nn.Tanh(), tg.nn.Linear(7, 3)).to(EDU_DTYPE[dtype])
    edu.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    return ref, edu


def train(engine, model, opt, steps, start: int = 0, dtype=np.float64) -> None:
    """``steps`` steps of MSE regression on the fixed batches X[start:], Y[start:]."""
    for i in range(start, start + steps):
        opt.zero_grad()
        out = model(engine.tensor(X[i].astype(dtype)))
        loss = engine.nn.functional.mse_loss(out, engine.tensor(Y[i].astype(dtype)))
        loss.backward()
        opt.step()


def assert_same_weights(ref, edu, tol) -> None:
    ref_state, edu_state = ref.state_dict(), edu.state_dict()
    assert list(ref_state) == list(edu_state)
    for name in ref_state:
        np.testing.assert_allclose(edu_state[name].numpy(), ref_state[name].numpy(), err_msg=name, **tol)


def run_both(opt_name: str, options: dict, dtype=torch.float64, steps: int = STEPS):
    ref, edu = make_models(dtype)
    ref_opt = getattr(torch.optim, opt_name)(ref.parameters(), **options)
    edu_opt = getattr(tg.optim, opt_name)(edu.parameters(), **options)
    np_dtype = np.float64 if dtype == torch.float64 else np.float32
    train(torch, ref, ref_opt, steps, dtype=np_dtype)
    train(tg, edu, edu_opt, steps, dtype=np_dtype)
    return ref, edu, ref_opt, edu_opt


@pytest.mark.parametrize("options", SGD_OPTIONS, ids=str)
def test_sgd_trajectory_matches_torch(options):
    ref, edu, ref_opt, edu_opt = run_both("SGD", options)
    assert_same_weights(ref, edu, TOL[torch.float64])
    assert_same_state(ref_opt, edu_opt)


@pytest.mark.parametrize("options", ADAM_OPTIONS, ids=str)
def test_adam_trajectory_matches_torch(options):
    ref, edu, ref_opt, edu_opt = run_both("Adam", options)
    assert_same_weights(ref, edu, TOL[torch.float64])
    assert_same_state(ref_opt, edu_opt)


@settings(max_examples=20, deadline=None)
@given(lr=st.floats(1e-4, 0.1), momentum=st.sampled_from([0.0, 0.5, 0.9]), dampening=st.sampled_from([0.0, 0.2]),
       nesterov=st.booleans(), weight_decay=st.sampled_from([0.0, 1e-3, 0.1]), maximize=st.booleans())
def test_sgd_random_options(lr, momentum, dampening, nesterov, weight_decay, maximize):
    if nesterov and (momentum == 0 or dampening != 0):
        nesterov = False
    options = dict(lr=lr, momentum=momentum, dampening=dampening, nesterov=nesterov,
                   weight_decay=weight_decay, maximize=maximize)
    ref, edu, _, _ = run_both("SGD", options, steps=10)
    assert_same_weights(ref, edu, TOL[torch.float64])


@settings(max_examples=20, deadline=None)
@given(lr=st.floats(1e-4, 0.05), beta1=st.floats(0.0, 0.99), beta2=st.floats(0.5, 0.9999),
       eps=st.sampled_from([1e-8, 1e-6, 1e-2]), weight_decay=st.sampled_from([0.0, 0.01]),
       amsgrad=st.booleans(), maximize=st.booleans())
def test_adam_random_options(lr, beta1, beta2, eps, weight_decay, amsgrad, maximize):
    options = dict(lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                   maximize=maximize)
    ref, edu, _, _ = run_both("Adam", options, steps=10)
    assert_same_weights(ref, edu, TOL[torch.float64])


def test_adam_float32_trajectory():
    ref, edu, _, _ = run_both("Adam", dict(lr=0.01), dtype=torch.float32)
    assert all(p.dtype == tg.float32 for p in edu.parameters())
    assert_same_weights(ref, edu, TOL[torch.float32])


@pytest.mark.parametrize("opt_name, options", [("SGD", dict(lr=0.01, momentum=0.9)), ("Adam", dict(lr=0.01))])
def test_parameter_groups_with_different_lrs(opt_name, options):
    ref, edu = make_models()
    groups = lambda m: [{"params": m[0].parameters(), "lr": 0.1},  # noqa: E731
                        {"params": m[2].parameters(), "weight_decay": 0.01}]
    ref_opt = getattr(torch.optim, opt_name)(groups(ref), **options)
    edu_opt = getattr(tg.optim, opt_name)(groups(edu), **options)
    assert [g["lr"] for g in edu_opt.param_groups] == [0.1, options["lr"]]
    assert [g["weight_decay"] for g in edu_opt.param_groups] == [0, 0.01]
    train(torch, ref, ref_opt, STEPS)
    train(tg, edu, edu_opt, STEPS)
    assert_same_weights(ref, edu, TOL[torch.float64])
    assert_same_state(ref_opt, edu_opt)


def test_logistic_regression_with_sgd():
    """The tutorial's logistic regression: BCELoss on its data, 50 steps of SGD, same weights."""
    from tinygrad_edu.tutorial import build_models, logreg_data
    x, y = (a.astype(np.float64) for a in logreg_data())
    torch.manual_seed(0)
    ref = build_models(torch).LogisticRegressionModel().double()
    edu = build_models(tg).LogisticRegressionModel().double()
    edu.load_state_dict({k: v.numpy() for k, v in ref.state_dict().items()})
    for engine, model in ((torch, ref), (tg, edu)):
        opt = engine.optim.SGD(model.parameters(), lr=0.5)
        loss_fn = engine.nn.BCELoss()
        for _ in range(STEPS):
            opt.zero_grad()
            loss = loss_fn(model(engine.tensor(x)), engine.tensor(y))
            loss.backward()
            opt.step()
    assert_same_weights(ref, edu, TOL[torch.float64])


# ---------------------------------------------------------------------------- zero_grad, closure, errors

def test_zero_grad_set_to_none():
    _, edu = make_models()
    opt = tg.optim.SGD(edu.parameters(), lr=0.1)
    edu(tg.tensor(X[0])).sum().backward()
    grads = [p.grad for p in edu.parameters()]
    opt.zero_grad(set_to_none=False)
    for p, g in zip(edu.parameters(), grads):
        assert p.grad is g and not p.grad.array.any()  # zeroed in place, as torch does
    opt.zero_grad()
    assert all(p.grad is None for p in edu.parameters())


def test_step_skips_parameters_without_grad():
    ref, edu = make_models()
    for engine, model in ((torch, ref), (tg, edu)):
        opt = engine.optim.Adam(model.parameters(), lr=0.1)
        model[2](engine.tensor(np.ones((2, 7)))).sum().backward()
        opt.step()
        assert len(opt.state) == 2  # only the last layer's weight and bias got state
    assert_same_weights(ref, edu, TOL[torch.float64])


def test_step_calls_closure_and_returns_its_loss():
    ref, edu = make_models()
    losses = []
    for engine, model in ((torch, ref), (tg, edu)):
        opt = engine.optim.SGD(model.parameters(), lr=0.1)

        def closure():
            opt.zero_grad()
            loss = engine.nn.functional.mse_loss(model(engine.tensor(X[0])), engine.tensor(Y[0]))
            loss.backward()
            return loss

        losses.append(opt.step(closure).item())
    assert losses[0] == pytest.approx(losses[1], rel=1e-12)
    assert_same_weights(ref, edu, TOL[torch.float64])


@pytest.mark.parametrize("make", [
    lambda e, ps: e.optim.SGD(ps, lr=-1),
    lambda e, ps: e.optim.SGD(ps, lr=0.1, momentum=-0.5),
    lambda e, ps: e.optim.SGD(ps, lr=0.1, weight_decay=-1),
    lambda e, ps: e.optim.SGD(ps, lr=0.1, nesterov=True),
    lambda e, ps: e.optim.SGD(ps, lr=0.1, momentum=0.9, dampening=0.1, nesterov=True),
    lambda e, ps: e.optim.Adam(ps, lr=-1),
    lambda e, ps: e.optim.Adam(ps, betas=(1.0, 0.999)),
    lambda e, ps: e.optim.Adam(ps, betas=(0.9, 1.5)),
    lambda e, ps: e.optim.Adam(ps, eps=-1),
    lambda e, ps: e.optim.Adam(ps, weight_decay=-1),
    lambda e, ps: e.optim.SGD([], lr=0.1),
    lambda e, ps: e.optim.SGD([{"params": ps[:1]}, {"params": ps[:1]}], lr=0.1),
])
def test_invalid_arguments_raise_value_error_like_torch(make):
    ref, edu = make_models()
    with pytest.raises(ValueError):
        make(torch, list(ref.parameters()))
    with pytest.raises(ValueError):
        make(tg, list(edu.parameters()))


def test_non_leaf_parameter_is_refused():
    x = tg.ones(3, requires_grad=True) * 2
    with pytest.raises(ValueError, match="non-leaf"):
        tg.optim.SGD([x], lr=0.1)


# ---------------------------------------------------------------------------- state_dict

def assert_same_state(ref_opt, edu_opt) -> None:
    """``state_dict()`` has torch's layout and the same values: state keyed by parameter index,
    param_groups holding index lists and the hyper-parameters (ours are a subset of torch's).
    """
    ref_sd, edu_sd = ref_opt.state_dict(), edu_opt.state_dict()
    assert sorted(edu_sd) == ["param_groups", "state"]
    assert list(edu_sd["state"]) == list(ref_sd["state"])
    assert all(isinstance(k, int) for k in edu_sd["state"])
    for index, ref_state in ref_sd["state"].items():
        edu_state = edu_sd["state"][index]
        assert list(edu_state) == list(ref_state)
        for key, value in ref_state.items():
            value = value.numpy()
            got = edu_state[key].numpy()
            assert (got.shape, got.dtype) == (value.shape, value.dtype), key  # Adam's step: a float32 scalar
            np.testing.assert_allclose(got, value, err_msg=f"{index}.{key}", **TOL[torch.float64])
    assert len(edu_sd["param_groups"]) == len(ref_sd["param_groups"])
    for ref_group, edu_group in zip(ref_sd["param_groups"], edu_sd["param_groups"]):
        assert edu_group["params"] == ref_group["params"]
        extra = set(edu_group) - set(ref_group)
        assert not extra, f"hyper-parameters torch does not have: {extra}"
        for key, value in edu_group.items():
            assert value == ref_group[key], key


@pytest.mark.parametrize("opt_name, options", [
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
])
def test_resuming_from_state_dict_continues_the_trajectory(opt_name, options):
    assert_resuming_continues_the_trajectory(opt_name, options)


def assert_resuming_continues_the_trajectory(opt_name, options):
    """Stop after 20 steps, checkpoint model and optimizer, restore into fresh objects, go on:
    the 50-step result is bit-for-bit the uninterrupted one."""
    _, edu = make_models()
    opt = getattr(tg.optim, opt_name)(edu.parameters(), **options)
    train(tg, edu, opt, STEPS)

    _, first = make_models()
    opt = getattr(tg.optim, opt_name)(first.parameters(), **options)
    train(tg, first, opt, 20)
    model_ckpt = copy.deepcopy({k: v.numpy() for k, v in first.state_dict().items()})
    opt_ckpt = copy.deepcopy(opt.state_dict())
    train(tg, first, opt, 5)  # training on must not leak into the checkpoint

    _, resumed = make_models(seed=1)
    resumed.load_state_dict(model_ckpt)
    opt = getattr(tg.optim, opt_name)(resumed.parameters(), **options)
    opt.load_state_dict(opt_ckpt)
    train(tg, resumed, opt, STEPS - 20, start=20)
    for (name, a), b in zip(edu.state_dict().items(), resumed.state_dict().values()):
        np.testing.assert_array_equal(b.numpy(), a.numpy(), err_msg=name)


def test_load_state_dict_copies_its_input():
    _, edu = make_models()
    opt = tg.optim.Adam(edu.parameters(), lr=0.01)
    train(tg, edu, opt, 3)
    saved = copy.deepcopy(opt.state_dict())
    reference = copy.deepcopy(saved)
    opt.load_state_dict(saved)
    train(tg, edu, opt, 3, start=3)
    for index, state in reference["state"].items():
        for key, value in state.items():
            np.testing.assert_array_equal(saved["state"][index][key].numpy(), value.numpy())


@pytest.mark.parametrize("opt_name, options", [
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.9), amsgrad=True)),
])
def test_resume_from_a_torch_checkpoint(opt_name, options):
    """torch trains 20 steps; its weights and optimizer state, as numpy, go into the engine;
    both engines go on for 30 steps and agree."""
    from reference_torch.weights import optimizer_state_to_numpy, state_dict_to_numpy
    ref, edu = make_models()
    ref_opt = getattr(torch.optim, opt_name)(ref.parameters(), **options)
    train(torch, ref, ref_opt, 20)
    edu.load_state_dict(state_dict_to_numpy(ref))
    edu_opt = getattr(tg.optim, opt_name)(edu.parameters(), **options)
    edu_opt.load_state_dict(optimizer_state_to_numpy(ref_opt))
    assert_same_state(ref_opt, edu_opt)
    train(torch, ref, ref_opt, STEPS - 20, start=20)
    train(tg, edu, edu_opt, STEPS - 20, start=20)
    assert_same_weights(ref, edu, TOL[torch.float64])
    assert_same_state(ref_opt, edu_opt)


def test_load_state_dict_rejects_mismatched_groups():
    _, edu = make_models()
    opt = tg.optim.SGD(edu.parameters(), lr=0.1)
    other = tg.optim.SGD([{"params": edu[0].parameters()}, {"params": edu[2].parameters()}], lr=0.1)
    with pytest.raises(ValueError, match="number of parameter groups"):
        opt.load_state_dict(other.state_dict())
    small = tg.optim.SGD(edu[0].parameters(), lr=0.1)
    with pytest.raises(ValueError, match="doesn't match the size"):
        small.load_state_dict(opt.state_dict())
