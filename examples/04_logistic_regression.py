# %% [markdown]
# 逻辑回归 (logistic regression): fit y = sigmoid(kx + b) to 20 noisy points with BCELoss.
#
# The tutorial's model and 1000 full-batch SGD epochs (lr 0.01). The noise is drawn from a
# seeded generator and clipped to [0, 1], since BCELoss needs targets in that range.
#
#     python examples/04_logistic_regression.py [--plot logistic_regression.png]

# %%
import argparse

import matplotlib

# %%
matplotlib.use("Agg")  # write PNG files; no window
import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as torch

# %%
class LogicRegressionModel(torch.nn.Module):
    def __init__(self, input_dim, output_dim):
        super(LogicRegressionModel, self).__init__()
        self.linear = torch.nn.Linear(input_dim, output_dim)

    def forward(self, x):
        out = torch.sigmoid(self.linear(x))
        return out

# %%
parser = argparse.ArgumentParser(description='逻辑回归 (logistic regression)')
parser.add_argument("--full", action="store_true", help="accepted for uniformity; the run is always the tutorial's")
parser.add_argument("--plot", default="logistic_regression.png", help="where to save the plot")
args = parser.parse_known_args()[0]  # a notebook kernel passes flags of its own
torch.manual_seed(0)

# %%
x = np.linspace(-5, 5, 20, dtype=np.float32)
_b = 1 / (1 + np.exp(-x))
y = np.clip(np.random.default_rng(0).normal(_b, 0.005), 0, 1)  # 添加随机值
x = np.float32(x.reshape(-1, 1))
y = np.float32(y.reshape(-1, 1))

# %%
input_dim = 1
output_dim = 1
model = LogicRegressionModel(input_dim, output_dim)  # 初始化逻辑回归模型
criterion = torch.nn.BCELoss()  # 计算交叉熵损失函数
learning_rate = 0.01
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)  # 优化器优化模型参数

# %%
for epoch in range(1000):
    epoch += 1
    inputs = torch.from_numpy(x).requires_grad_()
    labels = torch.from_numpy(y)
    optimizer.zero_grad()
    outputs = model(inputs)  # 将获取模型输出值
    loss = criterion(outputs, labels)  # 计算loss
    loss.backward()  # 计算梯度
    optimizer.step()  # 优化模型参数
    if epoch % 100 == 0:  # the tutorial prints all 1000; every 100th is enough to watch
        print('epoch {}, loss {}'.format(epoch, loss.item()))

# %%
predicted_y = model(torch.from_numpy(x).requires_grad_()).data.numpy()
print("标签Y：", y.ravel().round(3))
print("预测Y：", predicted_y.ravel().round(3))

# %%
plt.clf()  # 清除当前figure的所有axes
plt.plot(x, predicted_y, '--', label='Predictions', alpha=0.5)
plt.plot(x, y, 'go', label='True data', alpha=0.5)
plt.legend(loc='best')
plt.savefig(args.plot)
print("plot saved to", args.plot)
