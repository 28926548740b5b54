"""ONNX export of the activations, poolings and norms beyond the tutorial's (see test_onnx.py for
the exporter itself): each layer's file, run by ONNX Runtime, gives the engine's forward; what ONNX
cannot say exactly is a NotImplementedError naming the op. Then resnet18 exported whole.
"""
from __future__ import annotations

import io

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu import nn  # noqa: E402
from tinygrad_edu.onnx import export  # noqa: E402
from tinygrad_edu.vision import models  # noqa: E402

RTOL, ATOL = 1e-5, 1e-5  # float32, one layer: a few roundings apart
DYNAMIC = {"input": {0: "batch"}, "output": {0: "batch"}}

# (layer, the ONNX nodes its file holds)
LAYERS = {
    "gelu": (lambda: nn.GELU(), {"Erf"}),
    "gelu_tanh": (lambda: nn.GELU("tanh"), {"Tanh"}),
    "silu": (lambda: nn.SiLU(), {"Sigmoid", "Mul"}),
    "leaky_relu": (lambda: nn.LeakyReLU(0.2), {"LeakyRelu"}),
    "elu": (lambda: nn.ELU(0.7), {"Elu"}),
    "softplus": (lambda: nn.Softplus(), {"Softplus", "Where"}),
    "softplus_beta_threshold": (lambda: nn.Softplus(2.0, 5.0), {"Softplus", "Where"}),
    "hardtanh": (lambda: nn.Hardtanh(-0.5, 0.7), {"Clip"}),
    "avg_pool": (lambda: nn.AvgPool2d(2), {"AveragePool"}),
    "avg_pool_padded": (lambda: nn.AvgPool2d(3, 2, 1), {"AveragePool"}),
    "avg_pool_padding_not_counted": (lambda: nn.AvgPool2d((3, 2), (2, 1), (1, 1), count_include_pad=False),
                                     {"AveragePool"}),
    "avg_pool_ceil_mode": (lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True), {"AveragePool"}),
    "avg_pool_ceil_mode_padding_not_counted": (lambda: nn.AvgPool2d(3, 2, 1, ceil_mode=True,
                                                                    count_include_pad=False), {"AveragePool"}),
    "global_avg_pool": (lambda: nn.AdaptiveAvgPool2d(1), {"GlobalAveragePool"}),
    "adaptive_avg_pool_dividing": (lambda: nn.AdaptiveAvgPool2d((2, 3)), {"AveragePool"}),
    "layer_norm": (lambda: nn.LayerNorm([4, 6]), {"ReduceSum", "Sqrt"}),
    "batch_norm_affine_false": (lambda: nn.BatchNorm2d(3, affine=False), {"Sqrt", "Div"}),
}


def run_onnx(proto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": x})[0]


def inputs(seed: int, batch: int) -> np.ndarray:
    """(batch, 3, 4, 6) float32 with a spread of +-30: both sides of every kink and of softplus' threshold."""
    return (np.random.default_rng(seed).standard_normal((batch, 3, 4, 6)) * 10).astype(np.float32)


@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_s_file_gives_the_engine_s_forward(name):
    make, nodes = LAYERS[name]
    tg.manual_seed(0)
    layer = make()
    if isinstance(layer, nn.BatchNorm2d):  # running statistics away from (0, 1), so they matter
        layer.running_mean.array[...] = [0.5, -1.0, 2.0]
        layer.running_var.array[...] = [4.0, 0.25, 9.0]
    proto = export(layer, tg.tensor(inputs(0, 2)), io.BytesIO(), dynamic_axes=DYNAMIC)
    assert nodes <= {n.op_type for n in proto.graph.node}
    for batch in (1, 3):
        x = inputs(batch, batch)
        with tg.no_grad():
            expected = layer.eval()(tg.tensor(x)).numpy()
        got = run_onnx(proto, x)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, err_msg=name)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_is_one_node_from_opset_20(approximate):
    layer, x = nn.GELU(approximate), inputs(4, 2)
    proto = export(layer, tg.tensor(x), io.BytesIO(), opset_version=20)
    assert [(n.op_type, n.attribute[0].s.decode()) for n in proto.graph.node] == [("Gelu", approximate)]
    with tg.no_grad():
        expected = layer(tg.tensor(x)).numpy()
    np.testing.assert_allclose(run_onnx(proto, x), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("layer, message", [
    (nn.AvgPool2d(2, divisor_override=3), "'AvgPool2d' with divisor_override"),
    # 4x6, kernel 2, stride 3, padding 1: ONNX would add a last window starting in the padding
    (nn.AvgPool2d(2, 3, 1, ceil_mode=True), "'AvgPool2d' with ceil_mode=True is not supported where the last"),
    (nn.AdaptiveAvgPool2d((3, 4)), "'AdaptiveAvgPool2d' from 4x6 to 3x4"),
    (nn.AdaptiveMaxPool2d(1), "'AdaptiveMaxPool2d' is not supported"),
])
def test_what_onnx_cannot_say_exactly_is_refused_by_name(layer, message):
    with pytest.raises(NotImplementedError, match=f"ONNX export of op {message}"):
        export(layer, tg.tensor(inputs(5, 1)), io.BytesIO())


def test_resnet18_exports_and_onnxruntime_agrees():
    tg.manual_seed(0)
    model = models.resnet18(num_classes=10)
    for m in model.modules():  # running statistics that are not (0, 1), so eval-mode BN is exercised
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.array[...] = np.linspace(-0.2, 0.2, m.num_features)
            m.running_var.array[...] = np.linspace(0.5, 1.5, m.num_features)
    x = np.random.default_rng(6).standard_normal((1, 3, 64, 64)).astype(np.float32)
    proto = export(model, tg.tensor(x), io.BytesIO(), dynamic_axes=DYNAMIC)
    kinds = {n.op_type for n in proto.graph.node}
    assert {"Conv", "MaxPool", "GlobalAveragePool", "Gemm", "Relu", "Add"} <= kinds
    assert {i.name for i in proto.graph.initializer} >= {"conv1.weight", "layer2.0.downsample.1.running_var",
                                                          "fc.bias"}
    assert model.training  # put back after the eval-mode export
    model.eval()
    x2 = np.random.default_rng(7).standard_normal((2, 3, 64, 64)).astype(np.float32)
    with tg.no_grad():
        expected = model(tg.tensor(x2)).numpy()
    # float32 sums of up to 4608 terms, in a different order in each runtime
    np.testing.assert_allclose(run_onnx(proto, x2), expected, rtol=1e-4, atol=1e-4)


class _Elementwise(nn.Module):
    """One tensor op on the input (scaled into its domain), for the ops with one ONNX node each."""

    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


ELEMENTWISE = {  # op: (the model's forward, its ONNX node)
    "sin": (lambda x: x.sin(), "Sin"), "cos": (lambda x: tg.cos(x), "Cos"), "tan": (lambda x: (x / 30).tan(), "Tan"),
    "asin": (lambda x: (x / 40).asin(), "Asin"), "acos": (lambda x: (x / 40).acos(), "Acos"),
    "atan": (lambda x: x.atan(), "Atan"), "sinh": (lambda x: (x / 10).sinh(), "Sinh"),
    "cosh": (lambda x: (x / 10).cosh(), "Cosh"), "erf": (lambda x: (x / 10).erf(), "Erf"),
    "reciprocal": (lambda x: x.reciprocal(), "Reciprocal"), "sign": (lambda x: x.sign(), "Sign"),
    "floor": (lambda x: x.floor(), "Floor"), "ceil": (lambda x: x.ceil(), "Ceil"),
    "round": (lambda x: (x * 2).round(), "Round"),  # many exact halves: both round them to even
    "maximum": (lambda x: tg.maximum(x, x * -0.5), "Max"), "minimum": (lambda x: tg.minimum(x, -x), "Min"),
}


@pytest.mark.parametrize("name", list(ELEMENTWISE))
def test_elementwise_math_exports_as_one_node_each(name):
    fn, node = ELEMENTWISE[name]
    model = _Elementwise(fn)
    proto = export(model, tg.tensor(inputs(6, 2)), io.BytesIO(), dynamic_axes=DYNAMIC)
    assert node in {n.op_type for n in proto.graph.node}
    x = np.round(inputs(7, 3), 1)  # one decimal: exact halves once doubled, for round
    with tg.no_grad():
        expected = model(tg.tensor(x)).numpy()
    got = run_onnx(proto, x)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL, err_msg=name)


def test_sign_of_nan_is_0_in_the_file_too():
    model = _Elementwise(lambda x: x.sign())
    proto = export(model, tg.tensor(inputs(8, 1)), io.BytesIO(), dynamic_axes=DYNAMIC)
    x = inputs(9, 1)
    x[0, 0, 0, :3] = [np.nan, -0.0, 0.0]
    with tg.no_grad():
        expected = model(tg.tensor(x)).numpy()
    np.testing.assert_array_equal(run_onnx(proto, x), expected)
    assert expected[0, 0, 0, 0] == 0


def test_round_to_decimals_is_refused_by_name():
    with pytest.raises(NotImplementedError, match="ONNX export of op 'Round' with decimals"):
        export(_Elementwise(lambda x: x.round(decimals=1)), tg.tensor(inputs(5, 1)), io.BytesIO())
