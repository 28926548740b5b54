"""``tinygrad-edu predict``: the tutorial's single-image inference (模型保存与预测调用).

Read the image as grayscale with OpenCV, resize it to 28x28, scale it like the training
images ((x / 255 - 0.5) / 0.5), run the model, and take ``exp`` of its log-probabilities.
Like MNIST, the digit should be light on a dark background.
"""
from __future__ import annotations

import os

import cv2 as cv
import numpy as np

from . import checkpoint as checkpoints
from .backends import get_backend
from .errors import UserError
from .recipes import RECIPES

MAX_PIXELS = 10**8  # 100 megapixels; a digit needs 784, and decoding is refused beyond this



def read_gray(path: str) -> np.ndarray:
    """The image at ``path`` as a grayscale uint8 array; a UserError if it can't be read."""
    if not os.path.isfile(path):
        raise UserError(f"can't read image {path}: {'a folder' if os.path.isdir(path) else 'no such file'}")
    width, height = _size(path)
    if width * height > MAX_PIXELS:
        raise UserError(f"can't read image {path}: it is {width:,} x {height:,} pixels, more than the "
                        f"{MAX_PIXELS:,} this command decodes; shrink it first (28 x 28 is enough)")
    level = cv.utils.logging.getLogLevel()
    cv.utils.logging.setLogLevel(cv.utils.logging.LOG_LEVEL_SILENT)  # our message replaces its warning
    try:
        image = cv.imread(path, cv.IMREAD_GRAYSCALE)
    except cv.error as e:  # e.g. OpenCV's own size limit, for a format Pillow doesn't know
        raise UserError(f"can't read image {path}: OpenCV refused it ({_opencv_reason(e)})") from None
    finally:
        cv.utils.logging.setLogLevel(level)
    if image is None:
        raise UserError(f"can't read image {path}: OpenCV can't decode it (damaged, or not an image)")
    return image


def _size(path: str) -> tuple[int, int]:
    """``(width, height)`` from the image file's header, without decoding its pixels (Pillow
    reads headers lazily); ``(0, 0)`` for a file Pillow can't identify (OpenCV decides)."""
    from PIL import Image

    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None  # the size is judged here, not by Pillow
    try:
        with Image.open(path) as image:
            return image.size
    except Exception:  # noqa: BLE001  (any file Pillow can't parse; OpenCV gives the verdict)
        return 0, 0
    finally:
        Image.MAX_IMAGE_PIXELS = limit


def _opencv_reason(error: Exception) -> str:
    text = str(error).strip().splitlines()[-1] if str(error).strip() else "no reason given"
    return text.split(") ", 1)[-1] if text.startswith("OpenCV(") else text


def load_image(path: str) -> np.ndarray:
    """The image at ``path`` as float32 ``(1, 1, 28, 28)`` in [-1, 1]."""
    image = read_gray(path)
    if image.shape != (28, 28):
        image = cv.resize(image, (28, 28), interpolation=cv.INTER_AREA)
    img_f = np.float32(image)
    img_f = (img_f / 255.0 - 0.5) / 0.5
    return img_f.reshape(1, 1, 28, 28)


def predict(image_path: str, checkpoint_path: str, backend_name: str = "edu") -> tuple[int, np.ndarray]:
    """The digit the checkpoint's model sees in the image, and its 10 probabilities (on the CPU)."""
    name, weights, dtype = checkpoints.read_weights(checkpoint_path)
    recipe = RECIPES[name]
    if not recipe.classifier:
        raise UserError(f"{checkpoint_path} holds a {name} model; predict needs an mlp or cnn checkpoint")
    image = load_image(image_path).astype(dtype)

    backend = get_backend(backend_name)
    torch = backend.torch
    model = recipe.build(torch).to(getattr(torch, dtype))
    backend.load_weights(model, weights)
    model.eval()
    x = backend.as_tensor(image)
    if recipe.flatten:
        x = x.view(1, 784)
    with torch.no_grad():
        pred = torch.exp(model(x))
    probabilities = pred.numpy()[0]
    return _digit(probabilities, checkpoint_path)


def predict_with_onnx(image_path: str, onnx_path: str) -> tuple[int, np.ndarray]:
    """The tutorial's ONNX inference: OpenCV's dnn module runs the file of ``tinygrad-edu export``."""
    from ..onnx import predict_onnx

    image = read_gray(image_path)  # read once, with the same clear errors as the checkpoint path
    if not os.path.isfile(onnx_path):
        raise UserError(f"no ONNX file at {onnx_path}")
    try:
        _, probabilities = predict_onnx(image, onnx_path)
    except Exception as e:  # a damaged or foreign .onnx file: OpenCV and onnx raise errors of many kinds
        raise UserError(f"can't run {onnx_path}: {str(e).splitlines()[0] if str(e) else type(e).__name__}") from None
    return _digit(probabilities, onnx_path)


def _digit(probabilities: np.ndarray, model_path: str) -> tuple[int, np.ndarray]:
    """The most probable digit; a UserError if the model's output isn't a probability at all."""
    if not np.isfinite(probabilities).all():
        raise UserError(f"the model in {model_path} gives NaN or infinite probabilities for this image "
                        "(its weights are too large, or damaged)")
    return int(probabilities.argmax()), probabilities
