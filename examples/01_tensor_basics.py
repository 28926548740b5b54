# %% [markdown]
# Pytorch基础操作 (tensor basics): make tensors, do arithmetic, reshape, and cross to numpy.
#
# The tutorial's code, run on tinygrad_edu: only the import line differs.
#
#     python examples/01_tensor_basics.py

# %%
import argparse

import numpy

import tinygrad_edu as torch

# %%
parser = argparse.ArgumentParser(description='Pytorch基础操作 (tensor basics)')
parser.add_argument("--full", action="store_true", help="accepted for uniformity; this example is always complete")
parser.parse_known_args()[0]  # a notebook kernel passes flags of its own

# %%
torch.manual_seed(0)  # so randn gives the same numbers on every run
x = torch.empty(2, 2)
x1 = torch.zeros(2, 2)
x2 = torch.randn(2, 2)  # 随机生成指定大小的tensor
print(x)
print(x1)
print(x2)

# %%
y = torch.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 0])
z = torch.tensor([11, 12, 13, 14, 15, 16, 17, 18, 19, 20])
print(y)
print(z)
res01 = torch.add(y, z)
res02 = y.add(z)
print(res01)
print(res02)

# %%
x = torch.view_copy(x, (4, -1))  # 将x转置为4行1列
print(x)
print(x.size())  # 获取x的维度信息

# %%
nx = x.numpy()  # tensor转换为numpy数组
print(nx)

# %%
tensor_x = torch.from_numpy(nx.reshape((2, 2)))  # numpy数组转换为tensor (sharing memory)
print(tensor_x)

# %%
# Two more things the tutorial lists: the index of the largest value, and cat.
print("argmax of y:", torch.argmax(y).item())
print("cat:", torch.cat([y[:3], z[:3]]))
print("from numpy.linspace:", torch.from_numpy(numpy.linspace(6, 10, 5)))

# %%
if torch.cuda.is_available():  # 使用GPU对tensor进行运算
    print("GPU Detected")
else:
    print("GPU is not available")  # tinygrad_edu always runs on the CPU
