# %% [markdown]
# Tensorboard可视化 (TensorBoard): log a grid of training images, the loss and the accuracy.
#
# The tutorial's CNN run, writing TensorBoard event files as it goes. PyTorch writes them
# with ``torch.utils.tensorboard.SummaryWriter``; tinygrad_edu does without torch through the
# ``tensorboard`` package's own event-file writer (``tinygrad_edu.training.logging.EventWriter``,
# same methods). By default one epoch on the first 500 built-in digits; ``--full``: the
# tutorial's five epochs on all of them. Afterwards the script reads the event file back and
# lists what it holds. View it with::
#
#     tensorboard --logdir=runs/experiment_01      # then open http://localhost:6006
#
#     python examples/10_tensorboard.py [--full] [--logdir runs/experiment_01]

# %%
import argparse

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

import tinygrad_edu as t
import tinygrad_edu.vision as tv
from tinygrad_edu.tutorial import build_models
from tinygrad_edu.training.logging import EventWriter as SummaryWriter
from tinygrad_edu.utils.data import DataLoader, Subset

# %%
CNN_Mnist = build_models(t).CNN_Mnist  # the class of 09_mnist_cnn.py, written once for both frameworks

# %%
def train_and_test(train_dl, test_dl, writer, epochs: int) -> None:
    model = CNN_Mnist()
    loss = t.nn.CrossEntropyLoss()
    optimizer = t.optim.Adam(model.parameters(), lr=1e-3)
    # writer.add_graph(model, images) is torch-only: it traces the model with TorchScript.

    for s in range(epochs):
        m_loss = 0.0
        print("run in epoch : %d" % s)
        for i, (x_train, y_train) in enumerate(train_dl):
            y_pred = model.forward(x_train)
            train_loss = loss(y_pred, y_train)
            m_loss += train_loss.item()
            optimizer.zero_grad()
            train_loss.backward()
            optimizer.step()
        writer.add_scalar('training/loss', m_loss / len(train_dl), (s + 1) * len(train_dl))

        total = 0
        correct_count = 0
        with t.no_grad():
            for test_images, test_labels in test_dl:
                predicted = t.max(model(test_images), 1)[1]
                correct_count += (predicted == test_labels).sum().item()
                total += len(test_labels)
        writer.add_scalar('training/accuracy', correct_count / total, (s + 1) * len(train_dl))
        print("epoch %d: loss %.4f, test acc %.2f" % (s, m_loss / len(train_dl), correct_count / total))

    t.save(model.state_dict(), './cnn_mnist_model_vis.pt')

# %%
parser = argparse.ArgumentParser(description='Tensorboard可视化 (TensorBoard)')
parser.add_argument("--full", action="store_true", help="the tutorial's 5 epochs on every training digit")
parser.add_argument("--logdir", default="runs/experiment_01", help="where the event files go")
args = parser.parse_known_args()[0]  # a notebook kernel passes flags of its own
t.manual_seed(0)

# %%
transform = tv.transforms.Compose([tv.transforms.ToTensor(),
                                   tv.transforms.Normalize((0.5,), (0.5,)),
                                   ])
train_ts = tv.datasets.load_mnist(root='./data', train=True, transform=transform)
test_ts = tv.datasets.load_mnist(root='./data', train=False, transform=transform)
if not args.full:
    train_ts = Subset(train_ts, range(500))
train_dl = DataLoader(train_ts, batch_size=32, shuffle=True, drop_last=False)
test_dl = DataLoader(test_ts, batch_size=64, shuffle=True, drop_last=False)
writer = SummaryWriter(args.logdir)  # 数据保存路径

# %%
dataiter = iter(train_dl)  # 将数据集中若干图片展示在tensorboard中
images, labels = dataiter.next()
img_grid = tv.utils.make_grid(images / 2 + 0.5)  # undo Normalize((0.5,), (0.5,)) so digits show as [0, 1]
writer.add_image('mnist_images', img_grid)

# %%
train_and_test(train_dl, test_dl, writer, 5 if args.full else 1)
writer.close()  # 使用完要关闭writer()

# %%
events = EventAccumulator(args.logdir)
events.Reload()
print("event files in", args.logdir, "hold:", events.Tags()["scalars"], events.Tags()["images"])
