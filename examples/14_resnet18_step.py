"""ResNet-18 训练步 (training steps of a ResNet-18): torchvision's model, built by this engine.

``vision.models.resnet18(num_classes=10)`` has torchvision's module tree, parameter names and
init; here it takes a few SGD steps (momentum 0.9, weight decay 5e-4) with CrossEntropyLoss on a
CIFAR-shaped batch made with a fixed numpy seed, in train mode (BatchNorm uses the batch's
statistics and updates its running ones). The same code runs on this engine or on PyTorch with
torchvision (``--backend``), from the same initial weights (drawn by the engine): the losses agree.

    python examples/14_resnet18_step.py [--backend edu|torch] [--dtype float32|float64] [--steps N]
"""
# %%
import argparse
import types

import numpy as np

from tinygrad_edu.training.backends import get_backend


def build(torch):
    """torchvision.models.resnet18 for PyTorch, tinygrad_edu.vision.models.resnet18 for the engine."""
    models = torch.vision.models if hasattr(torch, "vision") else __import__("torchvision").models
    return models.resnet18(num_classes=10)


def batch(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n images (n, 3, 32, 32) in [-1, 1] and labels (n,): one smooth pattern per class plus noise."""
    patterns = np.random.default_rng(2024).normal(size=(10, 3, 4, 4)).repeat(8, axis=2).repeat(8, axis=3)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n)
    images = patterns[labels] + rng.normal(0, 0.5, size=(n, 3, 32, 32))
    return np.tanh(images / 2), labels.astype(np.int64)


# %%
def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["edu", "torch"], default="edu", help="edu: this engine; torch: PyTorch")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=8)
    args, _ = parser.parse_known_args(argv)
    backend = get_backend(args.backend)
    torch = backend.torch
    model = backend.make_model(types.SimpleNamespace(build=build), seed=0, dtype=args.dtype)
    model.train()
    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    x, y = batch(args.batch_size, seed=1)
    inputs, labels = backend.as_tensor(x.astype(args.dtype)), backend.as_tensor(y)
    losses = []
    for step in range(args.steps):  # the same batch each step: the loss must fall
        optimizer.zero_grad()
        loss = criterion(model(inputs), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        print(f"step {step + 1}: loss {loss.item():.6f}")
    running_mean = backend.weights_to_numpy(model)["bn1.running_mean"]
    return {"losses": losses, "bn1_running_mean": running_mean}


if __name__ == "__main__":
    main()
