# %% [markdown]
# 卷积神经网络 (a CNN for handwritten digits): two conv + pool stages, three linear layers.
#
# The tutorial's CNN_Mnist, trained with CrossEntropyLoss and Adam (lr 1e-3, batch 64). On
# its LogSoftmax output CrossEntropyLoss equals NLLLoss, since log_softmax of
# log-probabilities changes nothing. By default one epoch on the first 2,000 built-in
# training digits, to finish quickly on a laptop CPU; ``--full`` runs the tutorial's five
# epochs on all of them (full MNIST when ./data holds it). The weights are saved to
# ./cnn_mnist_model.pt.
#
#     python examples/09_mnist_cnn.py [--full]

# %%
import argparse

import tinygrad_edu as torch
import tinygrad_edu.vision as torchvision
from tinygrad_edu.utils.data import DataLoader, Subset

# %%
class CNN_Mnist(torch.nn.Module):
    def __init__(self):
        super(CNN_Mnist, self).__init__()
        self.cnn_layers = torch.nn.Sequential(
            torch.nn.Conv2d(in_channels=1, out_channels=8, kernel_size=3, stride=1, padding=1),
            torch.nn.MaxPool2d(kernel_size=2, stride=2),
            torch.nn.ReLU(),
            torch.nn.Conv2d(in_channels=8, out_channels=32, kernel_size=3, stride=1, padding=1),
            torch.nn.MaxPool2d(kernel_size=2, stride=2),
            torch.nn.ReLU()
        )
        self.fc_layers = torch.nn.Sequential(
            torch.nn.Linear(7 * 7 * 32, 200),
            torch.nn.ReLU(),
            torch.nn.Linear(200, 100),
            torch.nn.ReLU(),
            torch.nn.Linear(100, 10),
            torch.nn.LogSoftmax(dim=1)
        )

    def forward(self, x):
        out = self.cnn_layers(x)
        out = out.view(-1, 7 * 7 * 32)
        out = self.fc_layers(out)
        return out

# %%
parser = argparse.ArgumentParser(description='卷积神经网络 (a CNN for handwritten digits)')
parser.add_argument("--full", action="store_true", help="the tutorial's 5 epochs on every training digit")
args = parser.parse_known_args()[0]  # a notebook kernel passes flags of its own
torch.manual_seed(0)

# %%
transformers = torchvision.transforms.Compose([torchvision.transforms.ToTensor(),
                                               torchvision.transforms.Normalize((0.5,), (0.5,))])
train_ts = torchvision.datasets.load_mnist(root='./data', train=True, transform=transformers)
test_ts = torchvision.datasets.load_mnist(root='./data', train=False, transform=transformers)
print(train_ts.source)
if not args.full:
    train_ts = Subset(train_ts, range(2000))
train_dl = DataLoader(train_ts, batch_size=64, shuffle=True, drop_last=False)
test_dl = DataLoader(test_ts, batch_size=32, shuffle=True, drop_last=False)

# %%
model = CNN_Mnist()  # the tutorial adds .cuda(); tinygrad_edu runs on the CPU

# %%
print("Model's state_dict: ")
for param_tensor in model.state_dict():
    print(param_tensor, "\t", model.state_dict()[param_tensor].size())

# %%
loss = torch.nn.CrossEntropyLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

# %%
for s in range(5 if args.full else 1):
    print("run in epoch : %d" % s)
    for i, (x_train, y_train) in enumerate(train_dl):
        y_pred = model.forward(x_train)
        train_loss = loss(y_pred, y_train)
        if (i + 1) % 10 == 0:  # the tutorial prints every 100 steps of full MNIST's 938
            print(i + 1, train_loss.item())

        optimizer.zero_grad()
        train_loss.backward()
        optimizer.step()

# %%
torch.save(model.state_dict(), './cnn_mnist_model.pt')
model.eval()

# %%
total = 0
correct_count = 0
with torch.no_grad():  # the tutorial leaves this out; without it every test batch records a graph
    for test_images, test_labels in test_dl:
        pred_labels = model(test_images)
        predicted = torch.max(pred_labels, 1)[1]
        correct_count += (predicted == test_labels).sum()
        total += len(test_labels)
print("total acc : %.2f\n" % (correct_count / total))
