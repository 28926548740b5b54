"""What of PyTorch the engine covers, namespace by namespace, as a Markdown table for the README.

    python scripts/coverage_table.py             # the table
    python scripts/coverage_table.py --missing torch.nn   # PyTorch's names there that the engine lacks
    python scripts/coverage_table.py --write README.md    # put the table between the README's markers

A name is covered when the engine's namespace has it under PyTorch's name (the same public name in
``torch.X`` and ``tinygrad_edu.X``; for vision, ``torchvision.X`` and ``tinygrad_edu.vision.X``);
names that PyTorch's namespace only imports from elsewhere (``typing``, ``collections``...) are not
counted. ``NOT_COVERED`` says what is left out on purpose, and names examples of it; the script
checks that each of those is indeed absent, so the table cannot claim less than the engine has.
Everything else PyTorch has there is simply not written yet.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import types


# (PyTorch's namespace, the engine's, what the engine leaves out on purpose, PyTorch names that show it)
NAMESPACES = [
    ("torch", "tinygrad_edu",
     "complex, sparse, quantized and bfloat16 tensors; torch.linalg, fft, special, distributions; "
     "torch.compile, jit, vmap; distributed; `torch.save` of a whole module (pickle: see Saving and loading)",
     ["complex64", "sparse_coo_tensor", "quantize_per_tensor", "bfloat16", "compile", "vmap"]),
    ("torch.Tensor", "tinygrad_edu.Tensor",
     "storage on a GPU (`.cuda()` refuses: `torch.cuda.is_available()` is False), sparse and named tensors, "
     "raw storage and strides",
     ["to_sparse", "refine_names", "storage", "stride", "pin_memory", "share_memory_"]),
    ("torch.nn", "tinygrad_edu.nn",
     "recurrent and attention layers (RNN, LSTM, GRU, Transformer), embeddings, 1-d and 3-d and transposed "
     "convolutions, lazy modules, DataParallel",
     ["RNN", "LSTM", "GRU", "Transformer", "MultiheadAttention", "Embedding", "Conv1d", "Conv3d",
      "ConvTranspose2d", "LazyLinear", "DataParallel"]),
    ("torch.nn.functional", "tinygrad_edu.nn.functional",
     "the functional forms of those layers, interpolation and grid sampling",
     ["scaled_dot_product_attention", "embedding", "conv1d", "conv_transpose2d", "interpolate", "grid_sample"]),
    ("torch.nn.init", "tinygrad_edu.nn.init", "orthogonal, sparse and Dirac initialisation",
     ["orthogonal_", "sparse_", "dirac_"]),
    ("torch.optim", "tinygrad_edu.optim", "LBFGS (a closure-driven line search) and SparseAdam",
     ["LBFGS", "SparseAdam"]),
    ("torch.optim.lr_scheduler", "tinygrad_edu.optim.lr_scheduler", "", []),
    ("torch.utils.data", "tinygrad_edu.utils.data",
     "worker processes (`num_workers` is accepted and batches are made in the main process), "
     "distributed sampling",
     ["DistributedSampler", "get_worker_info"]),
    ("torchvision.datasets", "tinygrad_edu.vision.datasets",
     "downloads other than MNIST, Fashion-MNIST and CIFAR-10 (ImageFolder, CIFAR100, ImageNet...); "
     "a sample's image is a uint8 numpy array, not a PIL image",
     ["ImageFolder", "CIFAR100", "ImageNet"]),
    ("torchvision.transforms", "tinygrad_edu.vision.transforms",
     "PIL conversions and most augmentations", ["ToPILImage", "PILToTensor", "ColorJitter", "AutoAugment"]),
    ("torchvision.io", "tinygrad_edu.vision.io", "video and writing or encoding images",
     ["read_video", "write_png", "encode_jpeg"]),
    ("torchvision.utils", "tinygrad_edu.vision.utils", "drawing boxes, masks and keypoints",
     ["draw_bounding_boxes", "draw_segmentation_masks"]),
    ("torchvision.models", "tinygrad_edu.vision.models",
     "pretrained weights (`vgg16(weights='IMAGENET1K_V1')` is refused: build with `weights=None`); "
     "architectures beyond VGG and ResNet-18", ["resnet50", "mobilenet_v2", "vit_b_16"]),
    ("torch.autograd", "tinygrad_edu.autograd",
     "`autograd.grad` and higher-order gradients, forward mode, the functional API (jacobian, hessian), "
     "anomaly detection, the profiler",
     ["grad", "gradgradcheck", "detect_anomaly", "functional", "forward_ad", "profiler"]),
    ("torch.onnx", "tinygrad_edu.onnx", "the dynamo exporter, custom symbolic ops",
     ["dynamo_export", "register_custom_op_symbolic"]),
    ("torch.cuda", "tinygrad_edu.cuda",
     "tensors on a GPU (only the CUDA kernels exist, docs/gpu.md), streams, events, memory statistics",
     ["Stream", "Event", "memory_allocated"]),
]


def _resolve(path: str):
    """The module or class at a dotted path; None when the engine has no such module."""
    module, _, attr = path.rpartition(".")
    if attr[:1].isupper() and module:  # a class: torch.Tensor
        return getattr(importlib.import_module(module), attr)
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError:
        return None


def public_names(namespace, home: str | None = None) -> set[str]:
    """The public names of a module or class, without submodules; with ``home`` (for PyTorch's modules),
    without what it imports from elsewhere: anything from outside PyTorch (``typing``, ``bisect``) and
    classes from other namespaces (``torch.Tensor`` in ``torch.nn.functional``)."""
    if namespace is None:
        return set()
    names = set()
    for name in dir(namespace):
        if name.startswith("_") or name == "annotations":
            continue
        try:
            value = getattr(namespace, name)
        except Exception:  # noqa: BLE001  (a lazy attribute that fails to import is not there)
            continue
        if isinstance(value, types.ModuleType):
            continue
        defined_in = getattr(value, "__module__", None)
        if home and isinstance(defined_in, str) and (not defined_in.startswith(home.partition(".")[0]) or (
                isinstance(value, type) and not defined_in.startswith(home))):
            continue
        names.add(name)
    return names


def coverage(torch_path: str, engine_path: str) -> tuple[list[str], set[str]]:
    """(covered names, sorted; PyTorch's public names there)."""
    home = "torch" if torch_path in ("torch", "torch.Tensor") else torch_path
    theirs = public_names(_resolve(torch_path), home)
    ours = public_names(_resolve(engine_path))
    return sorted(theirs & ours), theirs


def check_claims() -> list[str]:
    """The names ``NAMESPACES`` gives as left out but that the engine has."""
    wrong = []
    for torch_path, engine_path, _, examples in NAMESPACES:
        engine = _resolve(engine_path)
        wrong += [f"{engine_path}.{name}" for name in examples if engine is not None and hasattr(engine, name)]
    return wrong


def table() -> str:
    lines = ["| namespace | covered (PyTorch's names the engine has) | left out on purpose |", "|---|---|---|"]
    for torch_path, engine_path, left_out, _ in NAMESPACES:
        covered, theirs = coverage(torch_path, engine_path)
        names = ", ".join(f"`{n}`" for n in covered) if covered else "none"
        lines.append(f"| `{torch_path}` | {len(covered)} of {len(theirs)}: {names} | {left_out or '-'} |")
    return "\n".join(lines)


BEGIN, END = "<!-- coverage_table.py: begin -->", "<!-- coverage_table.py: end -->"


def write(path: str) -> None:
    """Replace the table between ``BEGIN`` and ``END`` in ``path``."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not (begin and end):
        raise SystemExit(f"coverage_table: {path} has no {BEGIN} ... {END} markers")
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{head}{BEGIN}\n{table()}\n{END}{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--missing", metavar="NAMESPACE", help="list PyTorch's names in NAMESPACE the engine lacks")
    parser.add_argument("--write", metavar="README", help="write the table between the markers in this file")
    args = parser.parse_args(argv)
    wrong = check_claims()
    if wrong:
        print(f"coverage_table: NAMESPACES says these are left out, but the engine has them: {', '.join(wrong)}",
              file=sys.stderr)
        return 1
    if args.missing:
        pairs = {t: e for t, e, _, _ in NAMESPACES}
        if args.missing not in pairs:
            print(f"coverage_table: no namespace {args.missing!r}; one of {', '.join(pairs)}", file=sys.stderr)
            return 2
        covered, theirs = coverage(args.missing, pairs[args.missing])
        print("\n".join(sorted(theirs - set(covered))))
        return 0
    if args.write:
        write(args.write)
    else:
        print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
