# %% [markdown]
# 自动梯度 (autograd): build a small graph x @ y @ z and let backward() compute every gradient.
#
# With f = x y z (matrix products), the chain rule gives df/dz = (x y)^T, df/dy = x^T z^T and
# df/dx = (y z)^T; the script checks backward()'s answers against these formulas.
#
#     python examples/02_autograd.py

# %%
import argparse

import numpy as np

import tinygrad_edu as torch

# %%
parser = argparse.ArgumentParser(description='自动梯度 (autograd)')
parser.add_argument("--full", action="store_true", help="accepted for uniformity; this example is always complete")
parser.parse_known_args()[0]  # a notebook kernel passes flags of its own
torch.manual_seed(0)

# %%
x = torch.randn(1, 5, requires_grad=True)  # randn()函数生成目标尺度的tensor，值随机
y = torch.randn(5, 3, requires_grad=True)
z = torch.randn(3, 1, requires_grad=True)
print("x:\n", x, "\ny\n", y, "\nz\n", z)

# %%
xy = torch.matmul(x, y)  # matmul()函数对两个输入的tensor张量矩阵计算乘积
print("xy\n", xy)
xyz = torch.matmul(xy, z)
xyz.backward()  # backward()函数，自动计算xyz之前的梯度
print(x.grad, y.grad, z.grad)  # grad方法获取该tensor的梯度

# %%
zy = torch.matmul(y, z).view(-1, 5)  # view()函数将矩阵转置为目标形式
print(zy)

# %%
# The chain rule by hand, in numpy: backward() must agree.
xn, yn, zn = x.detach().numpy(), y.detach().numpy(), z.detach().numpy()
np.testing.assert_allclose(z.grad.numpy(), (xn @ yn).T, rtol=1e-5)
np.testing.assert_allclose(y.grad.numpy(), xn.T @ zn.T, rtol=1e-5)
np.testing.assert_allclose(x.grad.numpy(), (yn @ zn).T, rtol=1e-5)
print("backward() agrees with the chain rule worked out by hand")
