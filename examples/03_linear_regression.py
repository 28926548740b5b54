# %% [markdown]
# 线性回归 (linear regression): fit Y = kX + b to the tutorial's six points with SGD.
#
# Model, loss (MSE), optimizer (SGD, lr 0.01) and 100 full-batch epochs, as in the tutorial.
# Instead of opening a window, the plot of data and fitted line is saved as a PNG.
#
#     python examples/03_linear_regression.py [--plot linear_regression.png]

# %%
import argparse

import matplotlib

# %%
matplotlib.use("Agg")  # write PNG files; no window
import matplotlib.pyplot as plt
import numpy as np

import tinygrad_edu as torch

# %%
x = np.array([1, 2, 0.5, 2.5, 2.6, 3.1], dtype=np.float32).reshape(-1, 1)
y = np.array([3.7, 4.6, 1.65, 5.68, 5.98, 6.95], dtype=np.float32).reshape(-1, 1)

# %%
class LinearRegressionModel(torch.nn.Module):
    def __init__(self, input_dim, output_dim):
        super(LinearRegressionModel, self).__init__()
        self.linear = torch.nn.Linear(input_dim, output_dim)  # 根据输入输出数据维度初始化一个线性回归模型

    def forward(self, x):
        out = self.linear(x)  # 根据输入数据计算当前线性回归模型的输出值
        return out

# %%
parser = argparse.ArgumentParser(description='线性回归 (linear regression)')
parser.add_argument("--full", action="store_true", help="accepted for uniformity; the run is always the tutorial's")
parser.add_argument("--plot", default="linear_regression.png", help="where to save the plot")
args = parser.parse_known_args()[0]  # a notebook kernel passes flags of its own
torch.manual_seed(0)

# %%
input_dim = 1
output_dim = 1
model = LinearRegressionModel(input_dim, output_dim)
criterion = torch.nn.MSELoss()  # 均方误差
learning_rate = 0.01
optimizer = torch.optim.SGD(model.parameters(), lr=learning_rate)  # 随机梯度下降法

# %%
for epoch in range(100):
    epoch += 1
    inputs = torch.from_numpy(x).requires_grad_()  # 将numpy数组转换为tensor
    labels = torch.from_numpy(y)
    optimizer.zero_grad()  # 将优化器中的梯度清空
    outputs = model(inputs)  # 执行推理，获取模型输出
    loss = criterion(outputs, labels)  # 计算模型输出结果与实际结果的差异
    loss.backward()  # 自动计算梯度
    optimizer.step()  # 更新参数
    print('epoch {}, loss {}'.format(epoch, loss.item()))

# %%
predicted_y = model(torch.from_numpy(x).requires_grad_()).data.numpy()
print("标签Y：", y.ravel())
print("预测Y：", predicted_y.ravel())
k, b = model.linear.weight.item(), model.linear.bias.item()
print(f"fitted line: Y = {k:.3f} X + {b:.3f}   (least squares: Y = 1.84 X + 1.16)")

# %%
plt.clf()
plt.plot(x, y, 'go', label='True data', alpha=0.5)
plt.plot(x, predicted_y, '--', label='Predictions', alpha=0.5)
plt.legend(loc='best')
plt.savefig(args.plot)
print("plot saved to", args.plot)
