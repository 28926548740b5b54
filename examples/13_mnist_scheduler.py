"""学习率调度 (a learning-rate schedule): an MLP on the digits, its learning rate cut by StepLR.

In the style of PyTorch's examples/mnist: ``train`` and ``test`` functions, log-softmax outputs
with ``F.nll_loss``, the inputs normalised with MNIST's mean 0.1307 and std 0.3081, and
``StepLR(step_size=1, gamma=0.7)`` stepping once per epoch (here after SGD with momentum, where
the example uses Adadelta). Trains on the built-in 4,000 digits and tests on the other 1,000.
By default 3 epochs (seconds); ``--full`` runs 10. The same code runs on this engine or on
PyTorch (``--backend``), from the same initial weights (drawn by the engine) and the same batches.

    python examples/13_mnist_scheduler.py [--full] [--backend edu|torch] [--dtype float32|float64]
"""
import argparse
import types

import numpy as np

from tinygrad_edu.training.backends import get_backend
from tinygrad_edu.vision.datasets import BuiltinMNIST


def build(torch):
    """The model, written once for either framework."""
    nn = torch.nn
    return nn.Sequential(
        nn.Flatten(),  # (N, 1, 28, 28) -> (N, 784)
        nn.Linear(784, 128),
        nn.ReLU(),
        nn.Linear(128, 10),
        nn.LogSoftmax(dim=1),
    )


def digits(train: bool, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """The built-in digits as (N, 1, 28, 28) normalised images and (N,) int64 labels."""
    ds = BuiltinMNIST(train=train)
    x = (ds.data.astype(dtype) / 255 - 0.1307) / 0.3081  # transforms.Normalize((0.1307,), (0.3081,))
    return x[:, None].astype(dtype), np.asarray(ds.targets, dtype=np.int64)


def train(args, model, train_loader, optimizer, epoch, F, losses):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if batch_idx % args.log_interval == 0:
            print('Train Epoch: {} [{}/{} ({:.0f}%)]\tLoss: {:.6f}'.format(
                epoch, batch_idx * len(data), len(train_loader.dataset),
                100. * batch_idx / len(train_loader), loss.item()))


def test(model, test_loader, torch, F) -> float:
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction='sum').item()  # sum up batch loss
            pred = output.argmax(dim=1, keepdim=True)  # get the index of the max log-probability
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    accuracy = correct / len(test_loader.dataset)
    print('\nTest set: Average loss: {:.4f}, Accuracy: {}/{} ({:.0f}%)\n'.format(
        test_loss, correct, len(test_loader.dataset), 100. * accuracy))
    return accuracy


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["edu", "torch"], default="edu", help="edu: this engine; torch: PyTorch")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--full", action="store_true", help="10 epochs instead of 3")
    parser.add_argument("--epochs", type=int, help="default 3 (10 with --full)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--gamma", type=float, default=0.7, help="learning rate step gamma")
    parser.add_argument("--log-interval", type=int, default=20)
    args = parser.parse_args(argv)
    epochs = args.epochs or (10 if args.full else 3)
    backend = get_backend(args.backend)
    torch = backend.torch
    F = torch.nn.functional
    model = backend.make_model(types.SimpleNamespace(build=build), seed=0, dtype=args.dtype)

    x_train, y_train = digits(True, args.dtype)
    x_test, y_test = digits(False, args.dtype)
    train_set = backend.dataset(x_train, y_train)
    test_loader = torch.utils.data.DataLoader(backend.dataset(x_test, y_test), batch_size=1000)

    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=args.gamma)
    losses, lrs, accuracies = [], [], []
    for epoch in range(1, epochs + 1):
        order = np.random.default_rng(epoch).permutation(len(x_train)).tolist()  # the same shuffle on both
        train_loader = backend.loader(train_set, args.batch_size, order)
        lrs.append(scheduler.get_last_lr()[0])
        train(args, model, train_loader, optimizer, epoch, F, losses)
        accuracies.append(test(model, test_loader, torch, F))
        scheduler.step()
    print("learning rates by epoch:", lrs)
    return {"losses": losses, "lrs": lrs, "accuracy": accuracies[-1]}


if __name__ == "__main__":
    main()
