# %% [markdown]
# 数据集与DataLoader (Dataset and DataLoader): the built-in MNIST digits in batches, and a
# custom landmark dataset read from a text file of image paths and coordinates.
#
# Part 1 is the tutorial's MNIST loading (``load_mnist`` gives the 4,000/1,000 built-in digits
# when ./data holds no MNIST). Part 2 is its FaceLandmarksDataset: no face photos ship with
# this project, so the script first draws a few synthetic images with OpenCV into a temporary
# folder and writes the annotation file the dataset reads (one line per image: the path, then
# five x, y landmark pairs, separated by tabs).
#
#     python examples/05_dataset_dataloader.py

# %%
import argparse
import os
import tempfile

import cv2 as cv
import numpy as np

import tinygrad_edu as torch
import tinygrad_edu.vision as tv
from tinygrad_edu.utils.data import DataLoader, Dataset
from tinygrad_edu.vision import transforms

# %%
def mnist_batches() -> None:
    transformer = tv.transforms.Compose([tv.transforms.ToTensor(),
                                         tv.transforms.Normalize((0.5,), (0.5,)),  # 归一化到-1~1
                                         ])
    train_ts = tv.datasets.load_mnist(root='./data', train=True, transform=transformer)
    test_ts = tv.datasets.load_mnist(root='./data', train=False, transform=transformer)
    print(train_ts.source)
    print(test_ts.source)
    train_dl = DataLoader(train_ts, batch_size=32, shuffle=True, drop_last=False)  # 按指定批量大小读取数据集
    test_dl = DataLoader(test_ts, batch_size=64, shuffle=True, drop_last=False)
    print(len(train_dl), "training batches,", len(test_dl), "test batches")

    index = 0
    for i_batch, sample_batched in enumerate(train_dl):
        print(i_batch, sample_batched[0].size(), sample_batched[1].size())
        if index == 4:
            break
        index += 1

# %%
class FaceLandmarksDataset(Dataset):
    def __init__(self, txt_file):
        self.transform = transforms.Compose([transforms.ToTensor(),
                                             transforms.Normalize(mean=[0.5, 0.5, 0.5],
                                                                  std=[0.5, 0.5, 0.5]),
                                             transforms.Resize((64, 64))
                                             ])
        lines = []
        with open(txt_file) as read_file:
            for line in read_file:  # 逐行遍历并添加到lines数组中
                line = line.replace('\n', '')
                lines.append(line)
        self.landmarks_frame = lines

    def __len__(self):
        return len(self.landmarks_frame)

    def num_of_samples(self):
        return len(self.landmarks_frame)

    def __getitem__(self, idx):
        if torch.is_tensor(idx):
            idx = idx.tolist()
        contents = self.landmarks_frame[idx].split('\t')
        image_path = contents[0]
        img = cv.imread(image_path)  # BGR order
        h, w, c = img.shape
        landmarks = np.zeros(10, dtype=np.float32)
        for i in range(1, len(contents), 2):
            landmarks[i - 1] = np.float32(contents[i]) / w  # w与h转换为0~1
            landmarks[i] = np.float32(contents[i + 1]) / h
        landmarks = landmarks.astype('float32').reshape(-1, 2)  # 矩阵大小转换为5行2列

        sample = {'image': self.transform(img), 'landmarks': torch.from_numpy(landmarks)}  # 图像与其对应的标注信息
        return sample

# %%
def write_synthetic_landmarks(folder: str, count: int = 10) -> str:
    """Draw ``count`` face-like images (an ellipse, two eyes, a nose, two mouth corners) of
    varying sizes, and write their five landmarks to ``folder/landmark_output.txt``."""
    rng = np.random.default_rng(0)
    lines = []
    for n in range(count):
        h, w = int(rng.integers(80, 160)), int(rng.integers(80, 160))
        img = np.full((h, w, 3), 40, dtype=np.uint8)
        cx, cy = w / 2 + rng.uniform(-5, 5), h / 2 + rng.uniform(-5, 5)
        cv.ellipse(img, (int(cx), int(cy)), (int(w * 0.35), int(h * 0.42)), 0, 0, 360, (150, 180, 210), -1)
        points = [(cx - w * 0.15, cy - h * 0.12), (cx + w * 0.15, cy - h * 0.12),  # eyes
                  (cx, cy + h * 0.02),  # nose
                  (cx - w * 0.12, cy + h * 0.2), (cx + w * 0.12, cy + h * 0.2)]  # mouth corners
        for px, py in points:
            cv.circle(img, (int(px), int(py)), 3, (30, 30, 120), -1)
        path = os.path.join(folder, f"face_{n}.png")
        cv.imwrite(path, img)
        lines.append("\t".join([path] + [f"{v:.1f}" for point in points for v in point]))
    txt_file = os.path.join(folder, "landmark_output.txt")
    with open(txt_file, "w") as f:
        f.write("\n".join(lines) + "\n")
    return txt_file

# %%
def landmark_batches() -> None:
    with tempfile.TemporaryDirectory() as folder:
        ds = FaceLandmarksDataset(write_synthetic_landmarks(folder))
        for i in range(len(ds)):
            sample = ds[i]
            print(i, sample['image'].size(), sample['landmarks'].size())
            if i == 3:
                break

        dataloader = DataLoader(ds, batch_size=4, shuffle=True)
        for i_batch, sample_batched in enumerate(dataloader):
            print(i_batch, sample_batched['image'].size(), sample_batched['landmarks'].size())

# %%
parser = argparse.ArgumentParser(description='数据集与DataLoader (Dataset and DataLoader)')
parser.add_argument("--full", action="store_true", help="accepted for uniformity; this example is always complete")
parser.parse_known_args()[0]  # a notebook kernel passes flags of its own
torch.manual_seed(0)  # the shuffled order of the DataLoaders
mnist_batches()
landmark_batches()
