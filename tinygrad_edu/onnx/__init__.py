"""ONNX export and a picture of the computation graph.

* :func:`export`: write a model to an ``.onnx`` file, following ``torch.onnx.export``; run the
  file with ONNX Runtime or OpenCV (``cv2.dnn.readNetFromONNX``), as the tutorial does.
* :func:`to_dot` and :func:`render`: the graph of one forward pass, drawn with graphviz.
* :func:`export_checkpoint` and :func:`predict_onnx`: the tutorial's digit models, from a
  checkpoint to an ONNX file, and from an image to a digit through OpenCV.

The ``onnx`` package is needed to export (``pip install tinygrad_edu[onnx]``); it is imported
only when used. Both export and the picture record the ops with the ``trace.Tracer`` context manager (see
``trace.py``).
"""
from .digits import export_checkpoint, predict_onnx
from .export import export
from .graph import render, to_dot

__all__ = ["export", "export_checkpoint", "predict_onnx", "render", "to_dot"]
