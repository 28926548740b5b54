"""The tutorial's digit models as ONNX files: export a checkpoint, and read a digit from an image
with OpenCV's dnn module exactly as the tutorial's inference code does."""
from __future__ import annotations

import os

import numpy as np

from .export import export

# model name -> (the builder in reference_torch.tutorial_models.build_models, one input's shape)
MODELS = {"mlp": ("mlp", (1, 784)), "cnn": ("CNN_Mnist", (1, 1, 28, 28))}


def export_checkpoint(checkpoint_path, out_path, opset_version: int = 17) -> str:
    """Write the MLP or CNN of a checkpoint to ``out_path`` as ONNX, in float32 with a dynamic batch dim
    (input ``input`` of shape (batch, 784) or (batch, 1, 28, 28), output ``output`` (batch, 10)).

    The checkpoint is read with ``tinygrad_edu.load``: a dict holding ``model_state_dict`` and
    ``model`` ("mlp" or "cnn"), as ``tinygrad-edu train`` saves, or a bare ``state_dict`` of one of
    the two models, as the tutorial saves. Returns ``out_path``.
    """
    import tinygrad_edu
    from reference_torch.tutorial_models import build_models

    from ..serialization import load

    content = load(checkpoint_path)
    models = build_models(tinygrad_edu)
    if isinstance(content, dict) and "model_state_dict" in content:
        name, state = content.get("model"), content["model_state_dict"]
        if name not in MODELS:
            raise ValueError(f"{checkpoint_path}: model {name!r} has no ONNX export; expected one of {list(MODELS)}")
    else:
        state = content
        name = next((n for n, (builder, _) in MODELS.items() if isinstance(content, dict)
                     and set(content) == set(getattr(models, builder)().state_dict())), None)
        if name is None:
            raise ValueError(f"{checkpoint_path} holds neither a checkpoint with 'model_state_dict' nor a "
                             f"state_dict of the {' or '.join(MODELS)}")
    builder, shape = MODELS[name]
    model = getattr(models, builder)()
    model.load_state_dict(state)  # copies into the model's float32 weights
    export(model, (tinygrad_edu.zeros(*shape),), out_path, input_names=["input"], output_names=["output"],
           dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, opset_version=opset_version)
    return os.fspath(out_path)


def tutorial_blob(image: np.ndarray) -> np.ndarray:
    """The tutorial's preprocessing: a grayscale uint8 image -> a float32 blob (1, 1, 28, 28).

    ``blobFromImage`` resizes to 28x28 and computes (pixel - 127) * 0.00392; the tutorial
    then divides by 0.5, so a pixel p becomes (p - 127) / 127.55, within 0.005 of the training
    normalisation (p / 255 - 0.5) / 0.5 = (p - 127.5) / 127.5.
    """
    import cv2 as cv

    return cv.dnn.blobFromImage(image, 0.00392, (28, 28), (127.0)) / 0.5


def predict_onnx(image_path, onnx_path) -> tuple[int, np.ndarray]:
    """The digit in an image and the 10 class probabilities, by the tutorial's OpenCV inference:
    ``readNetFromONNX``, ``blobFromImage`` preprocessing, ``forward``.

    ``image_path`` is an image file (read as grayscale) or a grayscale uint8 array. Works for
    MLP files (input (N, 784): the blob is flattened) and CNN files (input (N, 1, 28, 28)).
    """
    import cv2 as cv
    import onnx

    if isinstance(image_path, np.ndarray):
        image = image_path
    else:
        image = cv.imread(os.fspath(image_path), cv.IMREAD_GRAYSCALE)
        if image is None:
            raise FileNotFoundError(f"can't read an image from {image_path}")
    blob = tutorial_blob(image)
    graph = onnx.load(os.fspath(onnx_path)).graph
    if len(graph.input[0].type.tensor_type.shape.dim) == 2:  # the MLP takes rows of 784 pixels
        blob = blob.reshape(1, -1)
    net = cv.dnn.readNetFromONNX(os.fspath(onnx_path))
    net.setInput(blob)
    scores = net.forward()[0].astype(np.float64)
    probabilities = np.exp(scores - scores.max())  # softmax: log-probabilities and logits alike
    probabilities /= probabilities.sum()
    return int(np.argmax(probabilities)), probabilities
