# %% [markdown]
# 模型保存与预测调用 (saving, loading and predicting): state_dict, checkpoints, one image.
#
# 1. Train the MLP briefly (one epoch; ``--full``: the tutorial's five).
# 2. Save its ``state_dict`` and load it into a fresh model; save and restore a checkpoint
#    ``{epoch, model_state_dict, optimizer_state_dict, loss}``.
# 3. The tutorial's inference: read a digit image with OpenCV, scale it, run the model,
#    print the digit. The image is a test digit written to a PNG first.
#
# One difference from PyTorch: ``torch.save(model, PATH)`` (the whole model) pickles the
# model's class, and loading a pickle can run any code, so tinygrad_edu refuses it and
# explains; save the ``state_dict`` instead, which the tutorial recommends anyway. Files are
# written to the current folder.
#
#     python examples/07_save_load_predict.py [--full]

# %%
import argparse

import cv2 as cv
import numpy

import tinygrad_edu as torch
import tinygrad_edu.vision as torchvision
from tinygrad_edu.utils.data import DataLoader

# %%
def make_model():
    return torch.nn.Sequential(torch.nn.Linear(784, 100), torch.nn.ReLU(),
                               torch.nn.Linear(100, 10), torch.nn.LogSoftmax(dim=1))

# %%
parser = argparse.ArgumentParser(description='模型保存与预测调用 (saving, loading and predicting)')
parser.add_argument("--full", action="store_true", help="train 5 epochs instead of 1")
args = parser.parse_known_args()[0]  # a notebook kernel passes flags of its own
torch.manual_seed(0)

# %%
transformer = torchvision.transforms.Compose([torchvision.transforms.ToTensor(),
                                              torchvision.transforms.Normalize((0.5,), (0.5,))])
train_ts = torchvision.datasets.load_mnist(root='./data', train=True, transform=transformer)
test_ts = torchvision.datasets.load_mnist(root='./data', train=False)  # raw uint8 images
train_dl = DataLoader(train_ts, batch_size=128, shuffle=True)

# %%
model = make_model()
loss_fn = torch.nn.NLLLoss()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
epochs = 5 if args.full else 1
for epoch in range(epochs):
    for x_train, y_train in train_dl:
        loss = loss_fn(model(x_train.view(x_train.shape[0], -1)), y_train)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    print(f"epoch {epoch}: loss {loss.item():.4f}")

# %%
# 保存整个模型: refused, with the reason
try:
    torch.save(model, './nn_mnist_model.pt')
except TypeError as e:
    print("torch.save(model, PATH) is refused:", e)

# %%
# 保存推理模型: the state_dict, then load it into a fresh model
print("Model's state_dict:")
for param_tensor in model.state_dict():
    print(param_tensor, "\t", model.state_dict()[param_tensor].size())
torch.save(model.state_dict(), './nn_mnist_model.pt')
model = make_model()
model.load_state_dict(torch.load('./nn_mnist_model.pt'))
model.eval()

# %%
# 保存检查点, and restore it into a new model and optimizer
torch.save({
    'epoch': epochs,
    'model_state_dict': model.state_dict(),
    'optimizer_state_dict': optimizer.state_dict(),
    'loss': loss.item(),
}, './nn_mnist_checkpoint.pt')
model = make_model()
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
checkpoint = torch.load('./nn_mnist_checkpoint.pt')
model.load_state_dict(checkpoint['model_state_dict'])
optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
print(f"restored the checkpoint of epoch {checkpoint['epoch']}, loss {checkpoint['loss']:.4f}")
model.eval()

# %%
# 恢复/推理: one digit image, read the way the tutorial reads D:/images/9.png
digit_index = int(numpy.flatnonzero(test_ts.targets == 9)[0])
cv.imwrite('./9.png', test_ts.data[digit_index])
input = cv.imread('./9.png', cv.IMREAD_GRAYSCALE)
img_f = numpy.float32(input)
img_f = (img_f / 255.0 - 0.5) / 0.5
img_f = numpy.reshape(img_f, (1, 784))
pred_label = model(torch.from_numpy(img_f))
pred = torch.exp(pred_label)
res = list(pred.detach().numpy()[0])
label = res.index(max(res))
print("predict digit number: ", label)
