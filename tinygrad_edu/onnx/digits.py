"""The tutorial's digit models as ONNX files: export a checkpoint, and read a digit from an image
with OpenCV's dnn module exactly as the tutorial's inference code does."""
from __future__ import annotations

import os

import numpy as np

from .export import export

def export_checkpoint(checkpoint_path, out_path, opset_version: int = 17) -> str:
    """Write the MLP or CNN of a checkpoint to ``out_path`` as ONNX, in float32 with a dynamic batch dim
    (input ``input`` of shape (batch, 784) or (batch, 1, 28, 28), output ``output`` (batch, 10)).

    The checkpoint is read as ``tinygrad-edu predict`` reads it (``training.checkpoint.read_weights``):
    a checkpoint of ``tinygrad-edu train`` from either backend, or a bare ``state_dict`` of one of the
    two models saved with ``tinygrad_edu.save``, as the tutorial saves. Returns ``out_path``.
    """
    import tinygrad_edu

    from ..training.checkpoint import read_weights
    from ..training.errors import UserError
    from ..training.recipes import RECIPES

    name, weights, _ = read_weights(os.fspath(checkpoint_path))
    recipe = RECIPES[name]
    if not recipe.classifier:
        raise UserError(f"{checkpoint_path} holds a {name} model; ONNX export is for the mlp and cnn")
    model = recipe.build(tinygrad_edu)
    model.load_state_dict(weights)  # copies into the model's float32 weights
    shape = (1, 784) if recipe.flatten else (1, 1, 28, 28)
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
