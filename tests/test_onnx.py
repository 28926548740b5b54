"""ONNX export: the engine, ONNX Runtime and OpenCV's dnn module give the same outputs for the
tutorial's MLP and CNN on real digits, and the file agrees with the one ``torch.onnx.export``
writes for the same weights. Also: every op the exporter knows, the errors it gives instead
of a wrong file, the graph picture, and the checkpoint and OpenCV inference helpers.
"""
from __future__ import annotations

import io

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
cv = pytest.importorskip("cv2")

import tinygrad_edu as tg  # noqa: E402
from tinygrad_edu.tutorial import build_models  # noqa: E402
from tinygrad_edu.onnx import export, export_checkpoint, predict_onnx, render, to_dot  # noqa: E402
from tinygrad_edu.training.errors import UserError  # noqa: E402
from tinygrad_edu.onnx.digits import tutorial_blob  # noqa: E402
from tinygrad_edu.vision.datasets import builtin_digits  # noqa: E402

TOL = 1e-4  # float32 sums of up to 1568 terms, done in a different order by each runtime
DYNAMIC = {"input": {0: "batch"}, "output": {0: "batch"}}
SHAPES = {"mlp": (784,), "cnn": (1, 28, 28)}


# ---------------------------------------------------------------------------- data and models

@pytest.fixture(scope="module")
def digits():
    """The built-in 5,000 MNIST digits in a fixed shuffled order (the file is sorted by label):
    uint8 images (5000, 28, 28) and int64 labels. Rows 0-3999 train, the rest test."""
    images, labels = builtin_digits()
    order = np.random.default_rng(0).permutation(len(labels))
    return images[order], labels[order].astype(np.int64)


def normalise(images: np.ndarray, name: str) -> np.ndarray:
    """The tutorial's training transform, ToTensor then Normalize((0.5,), (0.5,)), shaped for the model."""
    x = (images.astype(np.float32) / 255 - 0.5) / 0.5
    return x.reshape((len(images),) + SHAPES[name])


def make_model(name: str):
    models = build_models(tg)
    return models.mlp() if name == "mlp" else models.CNN_Mnist()


@pytest.fixture(scope="module")
def models(digits):
    """For each of mlp and cnn: random weights, and weights after 30 Adam steps on 64 digits each."""
    images, labels = digits
    out = {}
    for name in ("mlp", "cnn"):
        tg.manual_seed(0)
        out[name, "random"] = make_model(name)
        tg.manual_seed(0)
        model = make_model(name)
        optimizer = tg.optim.Adam(model.parameters(), lr=1e-3)
        for step in range(30):
            batch = slice(64 * step, 64 * step + 64)
            loss = tg.nn.NLLLoss()(model(tg.from_numpy(normalise(images[batch], name))),
                                   tg.from_numpy(labels[batch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        out[name, "trained"] = model.eval()
    return out


def run_engine(model, x: np.ndarray) -> np.ndarray:
    with tg.no_grad():
        return model(tg.from_numpy(x)).numpy()


def run_ort(data: bytes, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def run_opencv(data: bytes, x: np.ndarray) -> np.ndarray:
    net = cv.dnn.readNetFromONNX(np.frombuffer(data, np.uint8))
    net.setInput(x)
    return net.forward()


def export_bytes(model, example, **kwargs) -> bytes:
    f = io.BytesIO()
    export(model, (tg.from_numpy(example),), f, input_names=["input"], output_names=["output"], **kwargs)
    return f.getvalue()


# ---------------------------------------------------------------------------- the tutorial's models

@pytest.mark.parametrize("weights", ["random", "trained"])
@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_engine_onnxruntime_and_opencv_agree(models, digits, name, weights):
    model, images = models[name, weights], digits[0]
    data = export_bytes(model, normalise(images[:1], name), dynamic_axes=DYNAMIC)
    for batch in (images[4000:4001], images[4000:4064]):  # one file serves both batch sizes
        x = normalise(batch, name)
        engine = run_engine(model, x)
        assert engine.shape == (len(batch), 10)
        np.testing.assert_allclose(run_ort(data, x), engine, rtol=0, atol=TOL)
        np.testing.assert_allclose(run_opencv(data, x), engine, rtol=0, atol=TOL)


def test_graph_is_one_node_per_op_with_named_parameters(models):
    proto = onnx.load_from_string(export_bytes(models["cnn", "random"], np.zeros((1, 1, 28, 28), np.float32),
                                               dynamic_axes=DYNAMIC))
    assert [n.op_type for n in proto.graph.node] == [
        "Conv", "MaxPool", "Relu", "Conv", "MaxPool", "Relu", "Reshape",
        "Gemm", "Relu", "Gemm", "Relu", "Gemm", "LogSoftmax"]
    initializers = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    assert set(models["cnn", "random"].state_dict()) < set(initializers)
    reshape = next(n for n in proto.graph.node if n.op_type == "Reshape")
    assert initializers[reshape.input[1]].tolist() == [-1, 7 * 7 * 32]  # view(-1, 1568), batch left free
    dims = lambda v: [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]  # noqa: E731
    assert dims(proto.graph.input[0]) == ["batch", 1, 28, 28]
    assert dims(proto.graph.output[0]) == ["batch", 10]


def test_without_dynamic_axes_the_shapes_are_fixed(models):
    proto = onnx.load_from_string(export_bytes(models["mlp", "random"], np.zeros((2, 784), np.float32)))
    assert [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim] == [2, 784]
    assert [d.dim_value for d in proto.graph.output[0].type.tensor_type.shape.dim] == [2, 10]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch's exporter warns that it is the legacy one
@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_same_outputs_as_torch_onnx_export(models, digits, name, tmp_path):
    torch = pytest.importorskip("torch")
    model = models[name, "trained"]
    reference = getattr(build_models(torch), "mlp" if name == "mlp" else "CNN_Mnist")()
    reference.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()})
    reference.eval()
    x = normalise(digits[0][4000:4064], name)
    # torch 2.14 defaults to the dynamo exporter, which needs onnxscript; the TorchScript one runs offline
    torch.onnx.export(reference, (torch.from_numpy(x[:1]),), tmp_path / "torch.onnx", dynamo=False,
                      input_names=["input"], output_names=["output"], dynamic_axes=DYNAMIC, opset_version=17)
    ours = run_ort(export_bytes(model, x[:1], dynamic_axes=DYNAMIC), x)
    theirs = run_ort((tmp_path / "torch.onnx").read_bytes(), x)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=TOL)


def test_tutorial_opencv_preprocessing_gives_the_engines_digit(models, digits, tmp_path):
    """The tutorial feeds OpenCV ``blobFromImage(img, 0.00392, (28, 28), 127) / 0.5``, i.e.
    (p - 127) / 127.55, where training used (p / 255 - 0.5) / 0.5 = (p - 127.5) / 127.5: at most
    0.0044 apart per pixel, which moves the trained CNN's log-probabilities by a few hundredths."""
    model, images = models["cnn", "trained"], digits[0][4000:]
    path = tmp_path / "cnn.onnx"
    export(model, (tg.zeros(1, 1, 28, 28),), path, input_names=["input"], output_names=["output"],
           dynamic_axes=DYNAMIC)
    blobs = np.concatenate([tutorial_blob(image) for image in images])
    x = normalise(images, "cnn")
    assert blobs.shape == x.shape and np.abs(blobs - x).max() < 0.0044
    engine, opencv = run_engine(model, x), run_opencv(path.read_bytes(), blobs)
    assert np.abs(opencv - engine).max() < 0.05
    assert (opencv.argmax(1) == engine.argmax(1)).mean() > 0.99  # a near-tie can flip: 1 of these 1000 does
    for image, expected in zip(images[:20], engine[:20]):
        digit, probabilities = predict_onnx(image, path)
        assert digit == expected.argmax()
        np.testing.assert_allclose(probabilities, np.exp(expected), atol=0.01)
    cv.imwrite(str(tmp_path / "digit.png"), images[0])  # from an image file, as the tutorial reads it
    assert predict_onnx(tmp_path / "digit.png", path)[0] == engine[0].argmax()


# ---------------------------------------------------------------------------- every op

class EveryOp(tg.nn.Module):
    """Uses each op the exporter converts, on x (N, 2, 6); N is dynamic."""

    def __init__(self):
        super().__init__()
        self.fc = tg.nn.Linear(6, 6)  # on a 3-D input: Transpose, MatMul, Add
        self.mask = tg.tensor([[True, False, True, True, False, True]]).bool()

    def forward(self, x):
        y = self.fc(x) * 2 - x / 3 + 1
        y = (y.abs() + 1).sqrt().log().exp() ** 2 - y.sigmoid() + (-y).tanh()
        y = y.clamp(-0.5, 3.0) + y.clamp(min=0.1) + y.clone()
        z = y.permute(0, 2, 1) @ y  # (N, 6, 6)
        z = tg.where(self.mask, z, z.relu()) + z.sum(dim=2, keepdim=True) / z.sum() + z.max()
        z = tg.cat([z.softmax(dim=2), x.sum(dim=1, keepdim=True).expand(-1, 3, 6)], dim=1)
        values, indices = z.max(dim=1)
        return z.flatten(1).log_softmax(dim=1), values, indices


def test_every_supported_op_matches_onnxruntime():
    tg.manual_seed(0)
    model = EveryOp()
    f = io.BytesIO()
    proto = export(model, (tg.randn(2, 2, 6),), f, input_names=["x"], output_names=["logp", "values", "indices"],
                   dynamic_axes={"x": [0]})
    assert model.training  # export ran it in eval mode, then put the mode back
    assert {n.op_type for n in proto.graph.node} >= {
        "Add", "Sub", "Mul", "Div", "Pow", "Neg", "Exp", "Log", "Sqrt", "Abs", "Relu", "Sigmoid", "Tanh", "Clip",
        "Where", "Identity", "ReduceSum", "ReduceMax", "ArgMax", "Transpose", "Expand", "Concat", "MatMul",
        "Softmax", "LogSoftmax", "Reshape"}
    session = ort.InferenceSession(f.getvalue(), providers=["CPUExecutionProvider"])
    for n in (1, 5):
        x = np.random.default_rng(n).normal(size=(n, 2, 6)).astype(np.float32)
        with tg.no_grad():
            expected = [t.numpy() for t in model(tg.from_numpy(x))]
        for got, want in zip(session.run(None, {"x": x}), expected):
            assert got.dtype == want.dtype
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=TOL)


# ---------------------------------------------------------------------------- errors, not wrong files

def test_unknown_op_is_named():
    with pytest.raises(NotImplementedError, match="ONNX export of op 'Index' is not supported"):
        export(lambda x: x[:, :3].relu(), (tg.randn(2, 5),), io.BytesIO())


def test_tensor_computed_outside_the_ops_is_refused():
    with pytest.raises(RuntimeError, match="computed from the input outside the engine's ops"):
        export(lambda x: x + x.detach(), (tg.randn(2, 5),), io.BytesIO())


def test_shape_that_only_fits_the_example_batch_is_refused():
    with pytest.raises(RuntimeError, match="squeeze"):
        export(lambda x: x.squeeze().relu(), (tg.randn(1, 5),), io.BytesIO(), dynamic_axes={"input": [0]})


def test_control_flow_on_values_is_refused():
    with pytest.raises(RuntimeError, match="different ops"):
        # the second run sees x * 0.5 + 0.25 = 0.05, so the sum changes sign and the other branch runs
        export(lambda x: x.relu() if x.sum().item() > 0 else x.tanh(), (tg.full((2, 3), -0.4),), io.BytesIO())


def test_bad_arguments():
    with pytest.raises(ValueError, match="neither an input"):
        export(lambda x: x.relu(), (tg.randn(2, 3),), io.BytesIO(), dynamic_axes={"images": [0]})
    with pytest.raises(ValueError, match="opset_version"):
        export(lambda x: x.relu(), (tg.randn(2, 3),), io.BytesIO(), opset_version=11)


# ---------------------------------------------------------------------------- the graph picture

def test_to_dot_draws_one_box_per_op_and_names_parameters(models):
    model = models["cnn", "random"]
    dot = to_dot((model, (tg.zeros(1, 1, 28, 28),)))
    boxes = [line for line in dot.splitlines() if "shape=box" in line]
    ellipses = [line for line in dot.splitlines() if "shape=ellipse" in line]
    assert len(boxes) == 13  # 2 x (Conv2d, MaxPool2d, Relu), Reshape, 3 x Linear, 2 x Relu, LogSoftmax
    assert len(ellipses) == 1 + len(model.state_dict())
    assert 'label="Conv2d\\n(1, 8, 28, 28)"' in dot and 'label="Reshape\\n(1, 1568)"' in dot
    assert 'label="input\\n(1, 1, 28, 28)"' in dot
    for name, t in model.state_dict().items():
        assert f'label="{name}\\n({", ".join(map(str, t.shape))})"' in dot
    assert dot.count("->") == 13 + 10  # one arrow per op input: 13 ops' data inputs and 10 parameters
    assert dot.startswith("digraph") and dot.rstrip().endswith("}")


def test_to_dot_follows_grad_fn(models):
    model = models["mlp", "random"]
    out = model(tg.zeros(3, 784))
    dot = to_dot(out, params=dict(model.named_parameters()))
    assert sum("shape=box" in line for line in dot.splitlines()) == 4  # Linear, Relu, Linear, LogSoftmax
    assert '"0.weight\\n(100, 784)"' in dot and '"2.bias\\n(10)"' in dot


def test_render_without_graphviz_writes_the_dot_text(tmp_path, monkeypatch):
    monkeypatch.setattr("shutil.which", lambda name: None)
    with pytest.warns(UserWarning, match="'dot' program was not found"):
        written = render("digraph g { a -> b; }\n", tmp_path / "graph.png")
    assert written == str(tmp_path / "graph.dot")
    assert (tmp_path / "graph.dot").read_text() == "digraph g { a -> b; }\n"


# ---------------------------------------------------------------------------- checkpoint and OpenCV helpers

@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_export_checkpoint_and_predict_onnx(models, digits, name, tmp_path):
    from tinygrad_edu.serialization import load, save
    from tinygrad_edu.training import TrainConfig, train

    model, images = models[name, "trained"], digits[0]
    # a whole checkpoint of `tinygrad-edu train` (one short step), holding the trained weights
    train(TrainConfig(model=name, limit_train=8, epochs=1, checkpoint=str(tmp_path / "checkpoint.pt")))
    checkpoint = load(tmp_path / "checkpoint.pt")
    checkpoint["model_state_dict"] = {k: v.numpy() for k, v in model.state_dict().items()}
    save(checkpoint, tmp_path / "checkpoint.pt")
    save(model.state_dict(), tmp_path / "state_dict.pt")  # a bare state_dict, as the tutorial saves
    x = normalise(images[4000:4008], name)
    for checkpoint in ("checkpoint.pt", "state_dict.pt"):
        out = export_checkpoint(tmp_path / checkpoint, tmp_path / f"{name}.onnx")
        np.testing.assert_allclose(run_ort((tmp_path / f"{name}.onnx").read_bytes(), x), run_engine(model, x),
                                   rtol=0, atol=TOL)
    digit, probabilities = predict_onnx(images[4001], out)
    assert probabilities.shape == (10,) and abs(probabilities.sum() - 1) < 1e-6
    blob = tutorial_blob(images[4001]).reshape((1,) + SHAPES[name])
    assert digit == run_engine(model, blob).argmax()


def test_export_checkpoint_rejects_other_files(tmp_path):
    from tinygrad_edu.serialization import save

    save({"weights": np.zeros(3)}, tmp_path / "other.pt")
    with pytest.raises(UserError, match="neither a 'tinygrad-edu train' checkpoint nor a state_dict"):
        export_checkpoint(tmp_path / "other.pt", tmp_path / "x.onnx")
