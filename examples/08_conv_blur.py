# %% [markdown]
# Pytorch中的卷积 (convolution): blur an image with a 7x7 averaging kernel via F.conv2d.
#
# The tutorial blurs lena.jpg; no photo ships with this project, so the script draws a test
# image (shapes and text) with OpenCV. It saves the input and the blurred result as PNGs in
# the current folder, and checks the result against OpenCV's own box blur away from the
# border (where padding makes them differ: conv2d pads with zeros, cv.blur reflects).
#
#     python examples/08_conv_blur.py

# %%
import argparse

import cv2 as cv
import numpy

import tinygrad_edu as torch
import tinygrad_edu.nn.functional as F  # 导入torch.nn中的functional模块进行卷积运算

# %%
def test_image() -> numpy.ndarray:
    img = numpy.zeros((160, 240), dtype=numpy.uint8)
    cv.rectangle(img, (20, 20), (100, 120), 255, -1)
    cv.circle(img, (170, 70), 45, 160, -1)
    cv.putText(img, "edu", (120, 150), cv.FONT_HERSHEY_SIMPLEX, 1.2, 220, 3)
    return img

# %%
parser = argparse.ArgumentParser(description='Pytorch中的卷积 (convolution)')
parser.add_argument("--full", action="store_true", help="accepted for uniformity; this example is always complete")
parser.parse_known_args()[0]  # a notebook kernel passes flags of its own

# %%
input_img = test_image()
cv.imwrite("conv_input.png", input_img)
h, w = input_img.shape  # 获取输入图像的宽高信息

# %%
img = numpy.reshape(input_img, (1, 1, h, w))  # 转换为四个维度 (N, C, H, W)
img = numpy.float32(img)

# %%
# 7 * 7 的均值卷积核：49个像素的和再除以49.0
k = torch.ones((1, 1, 7, 7), dtype=torch.float) / 49.0
res = F.conv2d(torch.from_numpy(img), k, padding=3)  # 边缘填充3个像素
out = numpy.reshape(res.numpy(), (h, w))
cv.imwrite("conv_result.png", numpy.uint8(out))
print(f"blurred a {h}x{w} image: conv_input.png -> conv_result.png")

# %%
reference = cv.blur(numpy.float32(input_img), (7, 7))
inner = (slice(3, h - 3), slice(3, w - 3))
difference = numpy.abs(out[inner] - reference[inner]).max()
print(f"largest difference from cv.blur away from the border: {difference:.2e}")
assert difference < 1e-3
