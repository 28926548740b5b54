"""nn.Module against torch.nn.Module: registration, traversal, state_dict, modes, devices,
dtypes, printing and default initialisation, on the tutorial's own models.
"""
import math

import numpy as np
import pytest
import torch

import tinygrad_edu as tg
from tinygrad_edu.tutorial import build_models

EDU, REF = build_models(tg), build_models(torch)
TUTORIAL = ["mlp", "CNN_Mnist", "LinearRegressionModel", "LogisticRegressionModel"]


def both(name: str):
    """The tutorial model ``name`` built by each engine: (ours, torch's)."""
    return getattr(EDU, name)(), getattr(REF, name)()


def numpy_state(model: torch.nn.Module) -> dict:
    return {k: v.numpy() for k, v in model.state_dict().items()}


def with_bn(engine):
    nn = engine.nn
    return nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(), nn.Flatten(), nn.Linear(12, 4),
                         nn.BatchNorm1d(4), nn.Dropout(0.2))


# ---------------------------------------------------------------------------- registration and traversal

class Custom(tg.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = tg.nn.Parameter(tg.ones(3))
        self.inner = tg.nn.Linear(3, 2)
        self.register_buffer("count", tg.zeros(1))
        self.register_buffer("scratch", tg.zeros(2), persistent=False)
        self.plain = tg.ones(3)  # a plain tensor attribute: neither parameter nor buffer
        self.layers = tg.nn.ModuleList([tg.nn.ReLU(), tg.nn.Linear(2, 2, bias=False)])

    def forward(self, x):
        x = self.inner(x * self.scale)
        for layer in self.layers:
            x = layer(x)
        return x


def test_attribute_assignment_registers_parameters_modules_and_buffers():
    m = Custom()
    assert [n for n, _ in m.named_parameters()] == ["scale", "inner.weight", "inner.bias", "layers.1.weight"]
    assert [n for n, _ in m.named_buffers()] == ["count", "scratch"]
    assert list(m.state_dict()) == ["scale", "count", "inner.weight", "inner.bias", "layers.1.weight"]
    assert [n for n, _ in m.named_children()] == ["inner", "layers"]
    assert [n for n, _ in m.named_modules()] == ["", "inner", "layers", "layers.0", "layers.1"]
    assert m.scale is m._parameters["scale"] and m.inner is m._modules["inner"]
    assert all(p.requires_grad for p in m.parameters())
    assert len(list(m.parameters(recurse=False))) == 1

    m.scale = tg.ones(3)  # replaced by a plain tensor: no longer a parameter
    assert "scale" not in dict(m.named_parameters())
    del m.inner
    assert [n for n, _ in m.named_children()] == ["layers"]
    with pytest.raises(AttributeError, match="has no attribute 'inner'"):
        m.inner


def test_shared_parameter_is_listed_once():
    for engine in (tg, torch):
        lin = engine.nn.Linear(3, 3)
        m = engine.nn.Sequential(lin, engine.nn.ReLU(), lin)
        assert [n for n, _ in m.named_parameters()] == ["0.weight", "0.bias"]
        assert list(m.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_assigning_before_init_is_an_error():
    class Broken(tg.nn.Module):
        def __init__(self):
            self.fc = tg.nn.Linear(1, 1)

    with pytest.raises(AttributeError, match="before Module.__init__"):
        Broken()


def test_missing_forward_raises_not_implemented():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        tg.nn.Module()(tg.ones(1))


@pytest.mark.parametrize("name", TUTORIAL)
def test_tutorial_models_traverse_like_torch(name):
    edu, ref = both(name)
    assert [(n, tuple(p.shape)) for n, p in edu.named_parameters()] == \
           [(n, tuple(p.shape)) for n, p in ref.named_parameters()]
    assert [n for n, _ in edu.named_children()] == [n for n, _ in ref.named_children()]
    assert [(n, type(m).__name__) for n, m in edu.named_modules()] == \
           [(n, type(m).__name__) for n, m in ref.named_modules()]
    assert [type(m).__name__ for m in edu.children()] == [type(m).__name__ for m in ref.children()]
    assert len(list(edu.modules())) == len(list(ref.modules()))


def test_sequential_indexing_like_torch():
    edu, ref = both("mlp")
    assert len(edu) == len(ref) == 4
    assert [type(m).__name__ for m in edu] == [type(m).__name__ for m in ref]
    assert edu[0] is list(edu.children())[0] and edu[-1] is list(edu.children())[-1]
    head = edu[:2]
    assert isinstance(head, tg.nn.Sequential) and list(head.state_dict()) == list(ref[:2].state_dict())
    assert head[0] is edu[0]  # a slice shares the layers
    edu.append(tg.nn.Identity())
    assert len(edu) == 5 and [n for n, _ in edu.named_children()][-1] == "4"


# ---------------------------------------------------------------------------- state_dict

@pytest.mark.parametrize("make", [lambda e: getattr(build_models(e), name)() for name in TUTORIAL] + [with_bn],
                         ids=TUTORIAL + ["with_bn"])
def test_state_dict_keys_and_shapes_equal_torch(make):
    edu, ref = make(tg), make(torch)
    assert [(k, tuple(v.shape)) for k, v in edu.state_dict().items()] == \
           [(k, tuple(v.shape)) for k, v in ref.state_dict().items()]
    assert [v.dtype.name for v in edu.state_dict().values()] == \
           [str(v.dtype).removeprefix("torch.") for v in ref.state_dict().values()]


def test_tutorial_state_dict_shapes():
    assert {k: tuple(v.shape) for k, v in EDU.CNN_Mnist().state_dict().items()} == {
        "cnn_layers.0.weight": (8, 1, 3, 3), "cnn_layers.0.bias": (8,),
        "cnn_layers.3.weight": (32, 8, 3, 3), "cnn_layers.3.bias": (32,),
        "fc_layers.0.weight": (200, 1568), "fc_layers.0.bias": (200,),
        "fc_layers.2.weight": (100, 200), "fc_layers.2.bias": (100,),
        "fc_layers.4.weight": (10, 100), "fc_layers.4.bias": (10,),
    }


def test_state_dict_shares_memory_and_is_detached():
    edu, _ = both("mlp")
    sd = edu.state_dict()
    assert not sd["0.weight"].requires_grad
    sd["0.bias"].array[0] = 123.0
    assert edu[0].bias.array[0] == 123.0
    assert edu.state_dict(keep_vars=True)["0.weight"] is edu[0].weight


@pytest.mark.parametrize("name", TUTORIAL)
def test_load_torch_weights_gives_torch_outputs(name):
    edu, ref = both(name)
    result = edu.load_state_dict(numpy_state(ref))  # numpy arrays are accepted
    assert result.missing_keys == [] and result.unexpected_keys == []
    for k, v in edu.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), ref.state_dict()[k].numpy())
    shape = (5, 1, 28, 28) if name == "CNN_Mnist" else (5, 784) if name == "mlp" else (5, 1)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    np.testing.assert_allclose(edu(tg.tensor(x)).detach().numpy(), ref(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_load_state_dict_copies_and_casts():
    edu, ref = both("mlp")
    state = {k: v.astype(np.float64) for k, v in numpy_state(ref).items()}
    edu.load_state_dict(state)
    assert edu[0].weight.dtype == tg.float32  # the model keeps its dtype, as torch's copy_ does
    state["0.bias"][:] = 7.0
    assert not (edu[0].bias.detach().numpy() == 7.0).any()  # a copy, not a view of the caller's array
    edu.load_state_dict({k: tg.tensor(v) for k, v in numpy_state(ref).items()})  # tensors too
    np.testing.assert_array_equal(edu[2].weight.detach().numpy(), ref[2].weight.detach().numpy())


def test_load_state_dict_errors_read_like_torch():
    errors = []
    for engine in (tg, torch):
        model = build_models(engine).mlp()
        state = {k: v.numpy() for k, v in build_models(torch).mlp().state_dict().items()}
        del state["0.bias"]
        state["extra.weight"] = np.zeros(3, dtype=np.float32)
        state["2.weight"] = np.zeros((5, 100), dtype=np.float32)
        if engine is torch:
            state = {k: torch.from_numpy(v) for k, v in state.items()}
        with pytest.raises(RuntimeError) as info:
            model.load_state_dict(state)
        errors.append(str(info.value))
        with pytest.raises(RuntimeError, match="size mismatch for 2.weight"):  # even when not strict
            model.load_state_dict(state, strict=False)
    assert errors[0] == errors[1].replace("torch.Size", "tinygrad_edu.Size")
    assert 'Missing key(s) in state_dict: "0.bias"' in errors[0]
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in errors[0]


def test_load_state_dict_not_strict_reports_keys_like_torch():
    results = []
    for engine in (tg, torch):
        model = build_models(engine).mlp()
        state = {k: v for k, v in build_models(torch).mlp().state_dict().items() if k != "2.bias"}
        state["head.weight"] = torch.zeros(1)
        if engine is tg:
            state = {k: v.numpy() for k, v in state.items()}
        before = model[2].bias.detach().numpy().copy()
        result = model.load_state_dict(state, strict=False)
        results.append((list(result.missing_keys), list(result.unexpected_keys)))
        np.testing.assert_array_equal(model[2].bias.detach().numpy(), before)  # a missing key is left alone
    assert results[0] == results[1] == (["2.bias"], ["head.weight"])


def test_batchnorm_buffers_round_trip_through_state_dict():
    ref = with_bn(torch)
    ref(torch.randn(6, 2, 4, 4))  # moves the running statistics and num_batches_tracked
    edu = with_bn(tg)
    edu.load_state_dict(numpy_state(ref))
    for k, v in ref.state_dict().items():
        np.testing.assert_array_equal(edu.state_dict()[k].numpy(), v.numpy(), err_msg=k)
    assert edu[1].num_batches_tracked.dtype == tg.int64 and int(edu[1].num_batches_tracked) == 1


# ---------------------------------------------------------------------------- modes, grads, calls

def test_train_and_eval_set_training_everywhere():
    edu = with_bn(tg)
    assert edu.training and all(m.training for m in edu.modules())
    assert edu.eval() is edu
    assert not any(m.training for m in edu.modules())
    edu[5].train()
    assert edu[5].training and not edu.training
    assert edu.train() is edu and all(m.training for m in edu.modules())
    edu.train(False)
    assert not any(m.training for m in edu.modules())


def test_zero_grad_set_to_none_or_zero():
    edu, _ = both("mlp")
    edu(tg.randn(3, 784)).sum().backward()
    grads = [p.grad for p in edu.parameters()]
    assert all(g is not None and g.array.any() for g in grads)
    edu.zero_grad(set_to_none=False)
    assert all(p.grad is g and not g.array.any() for p, g in zip(edu.parameters(), grads))
    edu.zero_grad()
    assert all(p.grad is None for p in edu.parameters())


def test_call_runs_forward():
    class Double(tg.nn.Module):
        def forward(self, x, factor=2):
            return x * factor

    x = tg.tensor([1.0, 2.0])
    np.testing.assert_array_equal(Double()(x).numpy(), [2.0, 4.0])
    np.testing.assert_array_equal(Double()(x, factor=3).numpy(), [3.0, 6.0])


def test_requires_grad_and_apply():
    edu, _ = both("mlp")
    edu.requires_grad_(False)
    assert not any(p.requires_grad for p in edu.parameters())
    seen = []
    edu.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "ReLU", "Linear", "LogSoftmax", "Sequential"]  # children first, as torch


# ---------------------------------------------------------------------------- devices and dtypes

def test_cpu_is_a_no_op_and_cuda_is_a_clear_error():
    edu, _ = both("CNN_Mnist")
    assert edu.cpu() is edu and edu.to("cpu") is edu and edu.to(tg.device("cpu")) is edu
    for move in (lambda: edu.cuda(), lambda: edu.to("cuda"), lambda: edu.to("cuda:0"),
                 lambda: edu.to(device="cuda")):
        with pytest.raises(RuntimeError, match="CPU only; device 'cuda.*' is not available"):
            move()


def test_to_float64_converts_parameters_and_buffers_and_matches_torch():
    edu, ref = with_bn(tg), with_bn(torch)
    edu.load_state_dict(numpy_state(ref))
    assert edu.to(tg.float64) is edu
    ref.to(torch.float64)
    assert all(p.dtype == tg.float64 for p in edu.parameters())
    assert edu[1].running_mean.dtype == tg.float64 and edu[1].num_batches_tracked.dtype == tg.int64
    params = list(edu.parameters())
    x = np.random.default_rng(1).standard_normal((4, 2, 4, 4))
    edu.eval(), ref.eval()
    np.testing.assert_allclose(edu(tg.tensor(x)).detach().numpy(), ref(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    assert all(a is b for a, b in zip(edu.parameters(), params))  # converted in place: optimizers keep working
    edu.float()
    assert all(p.dtype == tg.float32 for p in edu.parameters())
    edu.double()
    assert all(p.dtype == tg.float64 for p in edu.parameters())
    edu.to(dtype=tg.float32)
    assert all(p.dtype == tg.float32 for p in edu.parameters())


# ---------------------------------------------------------------------------- printing

@pytest.mark.parametrize("name", TUTORIAL)
def test_repr_of_tutorial_models_equals_torch(name):
    edu, ref = both(name)
    assert repr(edu) == repr(ref)


@pytest.mark.parametrize("make", [
    lambda nn: nn.Linear(3, 4, bias=False),
    lambda nn: nn.Conv2d(1, 2, 3),
    lambda nn: nn.Conv2d(3, 8, (3, 5), stride=2, padding=(1, 2), bias=False),
    lambda nn: nn.Conv2d(3, 8, 3, padding="same"),
    lambda nn: nn.Conv2d(3, 8, 3, padding="valid"),
    lambda nn: nn.MaxPool2d(2),
    lambda nn: nn.MaxPool2d(3, stride=1, padding=1),
    lambda nn: nn.ReLU(), lambda nn: nn.Sigmoid(), lambda nn: nn.Tanh(),
    lambda nn: nn.Softmax(dim=1), lambda nn: nn.LogSoftmax(dim=-1), lambda nn: nn.LogSoftmax(),
    lambda nn: nn.Flatten(), lambda nn: nn.Flatten(0, 2),
    lambda nn: nn.Dropout(), lambda nn: nn.Dropout(0.25),
    lambda nn: nn.MSELoss(), lambda nn: nn.BCELoss(), lambda nn: nn.NLLLoss(), lambda nn: nn.CrossEntropyLoss(),
    lambda nn: nn.Identity(),
    lambda nn: nn.Sequential(),
])
def test_layer_repr_equals_torch(make):
    assert repr(make(tg.nn)) == repr(make(torch.nn))


def test_batchnorm_repr():
    """torch 2.14's BatchNorm prints a ``bias=`` flag; the engine has the argument too."""
    for make in (lambda nn: nn.BatchNorm2d(3), lambda nn: nn.BatchNorm1d(4, eps=1e-3, momentum=0.2, affine=False)):
        assert repr(make(tg.nn)) == repr(make(torch.nn))


# ---------------------------------------------------------------------------- default initialisation

def assert_uniform(values: np.ndarray, bound: float, what: str) -> None:
    """All in [-bound, bound], spread like U(-bound, bound): std = bound/sqrt(3), mean ~ 0,
    extremes near the bounds, ten equal bins equally full."""
    n = values.size
    assert np.abs(values).max() <= bound, what
    assert np.abs(values).max() > bound * (1 - 20 / n), what
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=6 / math.sqrt(n)), what
    assert abs(values.mean()) < 5 * bound / math.sqrt(3 * n), what
    counts, _ = np.histogram(values, bins=10, range=(-bound, bound))
    assert np.all(np.abs(counts - n / 10) < 5 * math.sqrt(n / 10)), (what, counts)


@pytest.mark.parametrize("make, fan_in", [
    (lambda nn: nn.Linear(256, 1024), 256),
    (lambda nn: nn.Linear(49, 3000), 49),
    (lambda nn: nn.Conv2d(4, 1024, 3), 36),
    (lambda nn: nn.Conv2d(16, 256, (5, 3)), 240),
])
def test_default_init_follows_torch_distribution(make, fan_in):
    """kaiming_uniform(a=sqrt(5)) is U(+-1/sqrt(fan_in)) for the weight; the bias is U(+-1/sqrt(fan_in))."""
    tg.manual_seed(0)
    torch.manual_seed(0)
    bound = 1 / math.sqrt(fan_in)
    for engine in (tg, torch):
        layer = make(engine.nn)
        assert_uniform(layer.weight.detach().numpy().ravel(), bound, f"{engine.__name__} weight")
        assert_uniform(layer.bias.detach().numpy().ravel(), bound, f"{engine.__name__} bias")


def test_manual_seed_gives_identical_init():
    tg.manual_seed(7)
    first = {k: v.numpy().copy() for k, v in EDU.CNN_Mnist().state_dict().items()}
    tg.manual_seed(7)
    second = {k: v.numpy() for k, v in EDU.CNN_Mnist().state_dict().items()}
    for k in first:
        np.testing.assert_array_equal(first[k], second[k], err_msg=k)
    tg.manual_seed(8)
    assert not np.array_equal(EDU.CNN_Mnist().state_dict()["fc_layers.0.weight"].numpy(), first["fc_layers.0.weight"])


def test_layers_take_a_dtype():
    for layer in (tg.nn.Linear(3, 2, dtype=tg.float64), tg.nn.Conv2d(1, 2, 3, dtype=tg.float64),
                  tg.nn.BatchNorm1d(3, dtype=tg.float64)):
        assert all(p.dtype == tg.float64 for p in layer.parameters())
