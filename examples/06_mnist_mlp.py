# %% [markdown]
# 手写数字识别 (handwritten digits with an MLP): 784 -> 100 -> 10, NLLLoss, Adam.
#
# The tutorial's code on the built-in digits (4,000 train / 1,000 test; full MNIST when ./data
# holds it). By default one epoch, so it finishes in seconds; ``--full`` runs the tutorial's
# five (about 89% test accuracy on the built-in digits).
#
#     python examples/06_mnist_mlp.py [--full]

# %%
import argparse

import tinygrad_edu as torch
import tinygrad_edu.vision as torchvision
from tinygrad_edu.utils.data import DataLoader

# %%
parser = argparse.ArgumentParser(description='手写数字识别 (handwritten digits with an MLP)')
parser.add_argument("--full", action="store_true", help="the tutorial's 5 epochs instead of 1")
args = parser.parse_known_args()[0]  # a notebook kernel passes flags of its own
epochs = 5 if args.full else 1
torch.manual_seed(0)

# %%
transformer = torchvision.transforms.Compose([torchvision.transforms.ToTensor(),
                                              torchvision.transforms.Normalize((0.5,), (0.5,)),
                                              ])
train_ts = torchvision.datasets.load_mnist(root='./data', train=True, transform=transformer)
test_ts = torchvision.datasets.load_mnist(root='./data', train=False, transform=transformer)
print(train_ts.source)
train_dl = DataLoader(train_ts, batch_size=128, shuffle=True, drop_last=False)
test_dl = DataLoader(test_ts, batch_size=64, shuffle=True, drop_last=False)

# %%
model = torch.nn.Sequential(
    torch.nn.Linear(784, 100),  # 输入784个值，输出100个值
    torch.nn.ReLU(),  # 使用ReLU()激活函数
    torch.nn.Linear(100, 10),  # 输入100个值，输出10个值
    torch.nn.LogSoftmax(dim=1)  # dim=1表示对每一行的值进行logsoftmax计算
)
loss_fn = torch.nn.NLLLoss(reduction="mean")  # Negative Log Likelihood Loss
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)  # 自适应梯度优化

# %%
for s in range(epochs):
    print("run in epoch : %d" % s)
    for i, (x_train, y_train) in enumerate(train_dl):
        x_train = x_train.view(x_train.shape[0], -1)  # x_train转置为batch_size行
        y_pred = model(x_train)
        train_loss = loss_fn(y_pred, y_train)
        if (i + 1) % 10 == 0:  # the tutorial prints every 100 steps of full MNIST's 469
            print(i + 1, train_loss.item())
        model.zero_grad()
        train_loss.backward()
        optimizer.step()

# %%
total = 0
correct_count = 0
for test_images, test_labels in test_dl:
    for i in range(len(test_labels)):
        image = test_images[i].view(1, 784)
        with torch.no_grad():  # no graph is recorded: inference only
            pred_labels = model(image)
        plabels = torch.exp(pred_labels)  # log-probabilities -> probabilities
        probs = list(plabels.numpy()[0])
        pred_label = probs.index(max(probs))
        true_label = test_labels.numpy()[i]
        if pred_label == true_label:
            correct_count += 1
        total += 1
print("total acc : %.2f\n" % (correct_count / total))
