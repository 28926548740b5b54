"""训练一个图像分类器 (training a classifier): the 60-minute blitz's CIFAR-10 network.

The blitz's Net (conv 5x5 -> pool -> conv 5x5 -> pool -> three linear layers), CrossEntropyLoss
and SGD (lr 0.001, momentum 0.9), batches of 4. Instead of downloading CIFAR-10 it trains on a
CIFAR-shaped data set made here with a fixed numpy seed: 3x32x32 images in [-1, 1] (what the
blitz's Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5)) gives), each one of ten smooth class patterns
with its own contrast, shift and noise. By default one epoch on 500 images, a few seconds, too
short for the blitz's small learning rate to get far; ``--full`` runs its two epochs, on 5,000
images (100% test accuracy: ten patterns are easier than CIFAR's photos). The same code runs on
this engine or on PyTorch (``--backend``), from the same initial weights (drawn by the engine)
and the same batches.

    python examples/12_cifar10_classifier.py [--full] [--backend edu|torch] [--dtype float32|float64]
"""
import argparse
import types

import numpy as np

from tinygrad_edu.training.backends import get_backend

classes = ('plane', 'car', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck')


def synthetic_cifar(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n images (n, 3, 32, 32) in [-1, 1] and their labels (n,): class pattern * contrast + noise.

    The ten patterns are the same for every seed (they define the classes); ``seed`` draws the samples.
    """
    patterns = np.random.default_rng(2024).normal(size=(10, 3, 4, 4))
    patterns = patterns.repeat(8, axis=2).repeat(8, axis=3)  # smooth 8x8 blocks, 32x32 in all
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=n)
    contrast = rng.uniform(0.5, 1.0, size=(n, 1, 1, 1))
    shift = rng.uniform(-0.2, 0.2, size=(n, 3, 1, 1))
    images = contrast * patterns[labels] + shift + rng.normal(0, 0.5, size=(n, 3, 32, 32))
    return np.tanh(images / 2), labels.astype(np.int64)


def build(torch):
    """The blitz's network, written once for either framework."""
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(3, 6, 5)
            self.pool = nn.MaxPool2d(2, 2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = self.pool(F.relu(self.conv1(x)))
            x = self.pool(F.relu(self.conv2(x)))
            x = torch.flatten(x, 1)  # flatten all dimensions except batch
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            x = self.fc3(x)
            return x

    return Net()


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["edu", "torch"], default="edu", help="edu: this engine; torch: PyTorch")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    parser.add_argument("--full", action="store_true", help="the blitz's 2 epochs, on 5,000 images")
    parser.add_argument("--epochs", type=int, help="default 1 (2 with --full)")
    parser.add_argument("--train-size", type=int, help="training images, default 500 (5,000 with --full)")
    parser.add_argument("--lr", type=float, default=0.001)
    args = parser.parse_args(argv)
    epochs = args.epochs or (2 if args.full else 1)
    train_size = args.train_size or (5000 if args.full else 500)
    backend = get_backend(args.backend)
    torch = backend.torch
    net = backend.make_model(types.SimpleNamespace(build=build), seed=0, dtype=args.dtype)

    x_train, y_train = synthetic_cifar(train_size, seed=1)
    x_test, y_test = synthetic_cifar(200, seed=2)
    trainset = backend.dataset(x_train.astype(args.dtype), y_train)
    testset = backend.dataset(x_test.astype(args.dtype), y_test)
    batch_size = 4
    testloader = torch.utils.data.DataLoader(testset, batch_size=batch_size, shuffle=False)

    criterion = torch.nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(net.parameters(), lr=args.lr, momentum=0.9)
    losses = []
    for epoch in range(epochs):  # loop over the dataset multiple times
        order = np.random.default_rng(epoch).permutation(len(x_train)).tolist()  # the same shuffle on both
        trainloader = backend.loader(trainset, batch_size, order)
        running_loss = 0.0
        for i, data in enumerate(trainloader, 0):
            # get the inputs; data is a list of [inputs, labels]
            inputs, labels = data
            # zero the parameter gradients
            optimizer.zero_grad()
            # forward + backward + optimize
            outputs = net(inputs)
            loss = criterion(outputs, labels)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            running_loss += loss.item()
            if i % 100 == 99:  # print every 100 mini-batches (the blitz: every 2000 of 12,500)
                print(f'[{epoch + 1}, {i + 1:5d}] loss: {running_loss / 100:.3f}')
                running_loss = 0.0
    print('Finished Training')

    correct = 0
    total = 0
    # since we're not training, we don't need to calculate the gradients for our outputs
    with torch.no_grad():
        for data in testloader:
            images, labels = data
            # calculate outputs by running images through the network
            outputs = net(images)
            # the class with the highest energy is what we choose as prediction
            _, predicted = torch.max(outputs.data, 1)
            total += labels.size(0)
            correct += (predicted == labels).sum().item()
    accuracy = correct / total
    print(f'Accuracy of the network on the {total} test images: {100 * accuracy:.1f} %')
    return {"losses": losses, "accuracy": accuracy}


if __name__ == "__main__":
    main()
