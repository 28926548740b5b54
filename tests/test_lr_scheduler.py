"""Learning-rate schedulers against PyTorch: the same options give the same sequence of lrs
(and momenta, for OneCycleLR) over 100+ steps, bit for bit, and the same state_dict; a run
checkpointed mid-way and resumed in fresh objects goes on as the uninterrupted one."""
import copy
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu.optim.lr_scheduler import StepLR

STEPS = 120
# torch keeps a flag for its "call get_last_lr() instead of get_lr()" warning; we have no such warning
TORCH_ONLY_KEYS = {"_get_lr_called_within_step"}

SCHEDULES = [
    ("StepLR", dict(step_size=7)),
    ("StepLR", dict(step_size=1, gamma=0.9)),
    ("MultiStepLR", dict(milestones=[3, 10, 10, 40], gamma=0.5)),
    ("MultiStepLR", dict(milestones=[50, 5])),
    ("ExponentialLR", dict(gamma=0.97)),
    ("CosineAnnealingLR", dict(T_max=13)),
    ("CosineAnnealingLR", dict(T_max=50, eta_min=0.001)),
    ("CosineAnnealingLR", dict(T_max=1, eta_min=0.01)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=STEPS + 1)),
    ("OneCycleLR", dict(max_lr=[0.5, 2.0], total_steps=STEPS + 1, anneal_strategy="linear", pct_start=0.25)),
    ("OneCycleLR", dict(max_lr=0.3, epochs=11, steps_per_epoch=11, three_phase=True, div_factor=10.0)),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=STEPS + 1, cycle_momentum=False, final_div_factor=100.0)),
    ("OneCycleLR", dict(max_lr=0.3, total_steps=STEPS + 1, base_momentum=[0.7, 0.8], max_momentum=0.99)),
]


def make_optimizer(engine, kind: str = "SGD", lrs=(0.1, 0.02)):
    """Two parameter groups with their own lrs (SGD with momentum, or Adam)."""
    a, b = engine.zeros(3, requires_grad=True), engine.zeros(2, requires_grad=True)
    groups = [{"params": [a], "lr": lrs[0]}, {"params": [b], "lr": lrs[1]}]
    return engine.optim.SGD(groups, momentum=0.9) if kind == "SGD" else engine.optim.Adam(groups)


def momenta(opt) -> list:
    return [g["betas"] if "betas" in g else g["momentum"] for g in opt.param_groups]


def run(opt, scheduler, steps: int, metrics=None, start: int = 0) -> list:
    """Step optimizer and scheduler ``steps`` times; the lrs and momenta after each step."""
    seen = []
    for i in range(start, start + steps):
        opt.step()
        scheduler.step(metrics[i]) if metrics is not None else scheduler.step()
        seen.append((scheduler.get_last_lr(), [g["lr"] for g in opt.param_groups], momenta(opt)))
    return seen


def assert_same_state_dict(ref_state: dict, edu_state: dict) -> None:
    assert set(ref_state) - set(edu_state) <= TORCH_ONLY_KEYS
    assert not set(edu_state) - set(ref_state)
    for key, value in edu_state.items():
        assert value == ref_state[key], key


def both(name: str, options: dict, kind: str = "SGD"):
    ref_opt, edu_opt = make_optimizer(torch, kind), make_optimizer(tg, kind)
    ref = getattr(torch.optim.lr_scheduler, name)(ref_opt, **options)
    edu = getattr(tg.optim.lr_scheduler, name)(edu_opt, **options)
    return ref_opt, ref, edu_opt, edu


@pytest.mark.parametrize("kind", ["SGD", "Adam"])
@pytest.mark.parametrize("name, options", SCHEDULES, ids=str)
def test_lr_sequence_matches_torch(name, options, kind):
    ref_opt, ref, edu_opt, edu = both(name, options, kind)
    assert edu.get_last_lr() == ref.get_last_lr()
    assert all(e.keys() <= r.keys() for e, r in zip(edu_opt.param_groups, ref_opt.param_groups))
    assert run(edu_opt, edu, STEPS) == run(ref_opt, ref, STEPS)
    assert_same_state_dict(ref.state_dict(), edu.state_dict())
    for ref_group, edu_group in zip(ref_opt.param_groups, edu_opt.param_groups):
        for key in ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"):
            assert edu_group.get(key) == ref_group.get(key), key


@pytest.mark.parametrize("name, options", SCHEDULES, ids=str)
def test_resume_mid_way_from_state_dicts(name, options):
    """Checkpoint optimizer and scheduler after 50 steps, restore into fresh objects (a fresh
    scheduler overwrites the optimizer's lrs until its state is loaded), go on: torch's sequence."""
    ref_opt, ref, edu_opt, edu = both(name, options)
    expected = run(ref_opt, ref, STEPS)
    run(edu_opt, edu, 50)
    opt_state, sched_state = copy.deepcopy(edu_opt.state_dict()), copy.deepcopy(edu.state_dict())
    run(edu_opt, edu, 5)  # going on must not leak into the checkpoint

    fresh_opt = make_optimizer(tg, lrs=(7.0, 7.0))
    fresh_opt.load_state_dict(opt_state)
    resumed = getattr(tg.optim.lr_scheduler, name)(fresh_opt, **options)
    resumed.load_state_dict(sched_state)
    fresh_opt.load_state_dict(opt_state)  # the constructor's first step wrote lr: put the saved ones back
    assert run(fresh_opt, resumed, STEPS - 50) == expected[50:]


@pytest.mark.parametrize("name, options", SCHEDULES[:8], ids=str)
def test_torch_scheduler_state_loads(name, options):
    """torch's scheduler state_dict, taken mid-way, continues in the engine as in torch."""
    ref_opt, ref, edu_opt, edu = both(name, options)
    run(ref_opt, ref, 30)
    edu.load_state_dict(copy.deepcopy(ref.state_dict()))
    for ref_group, edu_group in zip(ref_opt.param_groups, edu_opt.param_groups):
        edu_group["lr"] = ref_group["lr"]
    assert run(edu_opt, edu, 90) == run(ref_opt, ref, 90)


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(["StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR"]),
       gamma=st.floats(0.05, 1.0), step_size=st.integers(1, 30), T_max=st.integers(1, 60),
       eta_min=st.sampled_from([0.0, 1e-4, 0.05]), milestones=st.lists(st.integers(0, 110), max_size=6),
       lr=st.floats(1e-4, 1.0))
def test_random_schedules(name, gamma, step_size, T_max, eta_min, milestones, lr):
    options = {"StepLR": dict(step_size=step_size, gamma=gamma),
               "MultiStepLR": dict(milestones=milestones, gamma=gamma),
               "ExponentialLR": dict(gamma=gamma), "CosineAnnealingLR": dict(T_max=T_max, eta_min=eta_min)}[name]
    ref_opt, edu_opt = make_optimizer(torch, lrs=(lr, lr / 3)), make_optimizer(tg, lrs=(lr, lr / 3))
    ref = getattr(torch.optim.lr_scheduler, name)(ref_opt, **options)
    edu = getattr(tg.optim.lr_scheduler, name)(edu_opt, **options)
    assert run(edu_opt, edu, STEPS) == run(ref_opt, ref, STEPS)


@settings(max_examples=20, deadline=None)
@given(max_lr=st.floats(1e-3, 2.0), total_steps=st.integers(2, 150), pct_start=st.floats(0.0, 1.0),
       anneal_strategy=st.sampled_from(["cos", "linear"]), three_phase=st.booleans(),
       kind=st.sampled_from(["SGD", "Adam"]))
def test_random_one_cycle(max_lr, total_steps, pct_start, anneal_strategy, three_phase, kind):
    options = dict(max_lr=max_lr, total_steps=total_steps, pct_start=pct_start, anneal_strategy=anneal_strategy,
                   three_phase=three_phase)
    # every step gives the same lrs as torch's or the same error: a step past total_steps, or a
    # phase of length 0 (pct_start * total_steps <= 1), which torch divides by
    engines = [(torch, make_optimizer(torch, kind)), (tg, make_optimizer(tg, kind))]
    schedulers = [outcome(lambda: engine.optim.lr_scheduler.OneCycleLR(opt, **options)) for engine, opt in engines]
    if isinstance(schedulers[0], tuple):
        assert schedulers[1] == schedulers[0]
        return
    assert not isinstance(schedulers[1], tuple), schedulers[1]
    for _ in range(total_steps + 1):
        results = [outcome(lambda: run(opt, scheduler, 1)) for (_, opt), scheduler in zip(engines, schedulers)]
        assert results[1] == results[0]


def outcome(action):
    """What ``action()`` returns, or the type and message of the error it raises."""
    try:
        return action()
    except (ValueError, ZeroDivisionError) as error:
        return type(error), str(error)


class Warmup:
    """A callable lr_lambda whose attributes go into LambdaLR's state_dict."""

    def __init__(self, steps: int):
        self.steps = steps

    def __call__(self, epoch: int) -> float:
        return min(1.0, (epoch + 1) / self.steps)


def test_lambda_lr():
    lambdas = [lambda epoch: 0.95 ** epoch, Warmup(10)]
    ref_opt, edu_opt = make_optimizer(torch), make_optimizer(tg)
    ref = torch.optim.lr_scheduler.LambdaLR(ref_opt, lambdas)
    edu = tg.optim.lr_scheduler.LambdaLR(edu_opt, lambdas)
    assert run(edu_opt, edu, 40) == run(ref_opt, ref, 40)
    state = edu.state_dict()
    assert state["lr_lambdas"] == [None, {"steps": 10}]  # a plain function is not saved, an object's attributes are
    assert_same_state_dict(ref.state_dict(), state)

    warmup = Warmup(3)
    resumed = tg.optim.lr_scheduler.LambdaLR(make_optimizer(tg), [lambdas[0], warmup])
    resumed.load_state_dict(state)
    assert warmup.steps == 10 and resumed.last_epoch == 40
    with pytest.raises(ValueError, match="Expected 2 lr_lambdas, but got 1"):
        tg.optim.lr_scheduler.LambdaLR(edu_opt, [Warmup(1)])


PLATEAU_OPTIONS = [
    dict(),
    dict(patience=2),
    dict(mode="max", patience=1, factor=0.5),
    dict(patience=0, cooldown=3, factor=0.3, min_lr=0.004),
    dict(patience=1, threshold=0.05, threshold_mode="abs", min_lr=[0.01, 0.001]),
    dict(mode="max", threshold_mode="abs", threshold=0.0, patience=3, eps=1e-3),
]


@pytest.mark.parametrize("options", PLATEAU_OPTIONS, ids=str)
def test_reduce_lr_on_plateau(options):
    # a metric that improves, stalls, wiggles and improves again
    metrics = [1.0 / (1 + i) if i < 20 else 0.05 + 0.01 * ((i * 7) % 5) if i < 70 else 0.05 - 0.001 * i
               for i in range(STEPS)]
    ref_opt, ref, edu_opt, edu = both("ReduceLROnPlateau", options)
    assert run(edu_opt, edu, 60, metrics) == run(ref_opt, ref, 60, metrics)
    assert_same_state_dict(ref.state_dict(), edu.state_dict())
    expected = run(ref_opt, ref, STEPS - 60, metrics, start=60)

    state = copy.deepcopy(edu.state_dict())
    fresh_opt = make_optimizer(tg)
    fresh_opt.load_state_dict(copy.deepcopy(edu_opt.state_dict()))
    resumed = tg.optim.lr_scheduler.ReduceLROnPlateau(fresh_opt, **options)
    resumed.load_state_dict(state)
    assert run(fresh_opt, resumed, STEPS - 60, metrics, start=60) == expected
    assert ref_opt.param_groups[0]["lr"] < 0.1, "the schedule never reduced"


def test_step_with_an_epoch_uses_the_closed_form():
    for name, options in SCHEDULES[:6]:
        ref_opt, ref, edu_opt, edu = both(name, options)
        with pytest.warns(UserWarning, match="epoch parameter"):
            edu.step(25)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ref.step(25)
        assert edu.get_last_lr() == ref.get_last_lr()


def test_resuming_with_last_epoch_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        torch.optim.lr_scheduler.StepLR(make_optimizer(torch), 3, last_epoch=4)
    with pytest.raises(KeyError, match="initial_lr"):
        StepLR(make_optimizer(tg), 3, last_epoch=4)


@pytest.mark.parametrize("make, error", [
    (lambda e, o: e.optim.lr_scheduler.StepLR("not an optimizer", 3), TypeError),
    (lambda e, o: e.optim.lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError),
    (lambda e, o: e.optim.lr_scheduler.ReduceLROnPlateau(o, mode="up"), ValueError),
    (lambda e, o: e.optim.lr_scheduler.ReduceLROnPlateau(o, threshold_mode="x"), ValueError),
    (lambda e, o: e.optim.lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError),
    (lambda e, o: e.optim.lr_scheduler.OneCycleLR(o, 1.0), ValueError),
    (lambda e, o: e.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=0), ValueError),
    (lambda e, o: e.optim.lr_scheduler.OneCycleLR(o, 1.0, epochs=2, steps_per_epoch=-1), ValueError),
    (lambda e, o: e.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, pct_start=1.5), ValueError),
    (lambda e, o: e.optim.lr_scheduler.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="exp"), ValueError),
    (lambda e, o: e.optim.lr_scheduler.OneCycleLR(o, [1.0], total_steps=10), ValueError),
    (lambda e, o: e.optim.lr_scheduler.OneCycleLR(e.optim.Adagrad(o.param_groups[0]["params"]), 1.0,
                                                  total_steps=10), ValueError),
])
def test_invalid_arguments_raise_like_torch(make, error):
    with pytest.raises(error) as ref_error:
        make(torch, make_optimizer(torch))
    with pytest.raises(error) as edu_error:
        make(tg, make_optimizer(tg))
    assert str(edu_error.value) == str(ref_error.value)


def test_import_paths():
    import tinygrad_edu.optim.lr_scheduler as module
    assert tg.optim.lr_scheduler is module and module.StepLR is StepLR
    names = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR", "OneCycleLR",
             "ReduceLROnPlateau"]
    for name in names:
        assert issubclass(getattr(module, name), module.LRScheduler)


def test_plateau_takes_a_loss_tensor():
    ref_opt, ref, edu_opt, edu = both("ReduceLROnPlateau", dict(patience=0))
    for value in (1.0, 2.0, 0.5, 0.6):
        ref.step(torch.tensor(value))
        edu.step(tg.tensor(value))
        assert edu.get_last_lr() == ref.get_last_lr()
    assert edu.best == ref.best == 0.5
