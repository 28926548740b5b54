"""Every flag of every command, given wrong types, out-of-range values and unusable paths:
each command line fails with a non-zero status and one line on stderr, never a traceback.

The table runs through ``cli.main`` in this process (fast); a handful run as real processes.
Unwritable paths are made the way they are for root too: under /proc and /sys, under a
regular file, or a folder where a file is wanted (permission bits don't stop root).
"""
import os
import struct
import zlib

import cv2
import numpy as np
import pytest

import tinygrad_edu
from helpers import assert_one_line_error, run_command, run_main
from tinygrad_edu.serialization import load, save

BAD_INTS = ["abc", "", "1.5", "1e3", "nan", "inf", "0x10", "-1", "0", "-99999999999999999999999"]
BAD_FLOATS = ["fast", "", "0", "-1", "-0.0", "nan", "inf", "-inf", "1e400", "1e-400", "0x1p3"]
BAD_SEEDS = ["-1", "18446744073709551616", "99999999999999999999999999", "x", "1.0", "nan", ""]
UNWRITABLE_FILES = ["/proc/x.out", "/proc/self/x/y.out", "/sys/x.out", "/sys/kernel/x.out", "{file}/x.out",
                    "{dir}", "/dev/null"]


def train_lines() -> list[list[str]]:
    mlp = ["train", "--model", "mlp"]
    lines = [["train"], ["train", "--model"], ["train", "--model", "rnn"], ["train", "--model", ""],
             mlp + ["--backend", "jax"], mlp + ["--optimizer", "rmsprop"], mlp + ["--dtype", "float16"],
             mlp + ["--device", "tpu"], mlp + ["--device", "cuda"], mlp + ["--resume", "yes"], mlp + ["--bogus"],
             mlp + ["--epochs"], mlp + ["--data-root", "{missing}"], mlp + ["--data-root", "{file}"],
             mlp + ["--resume", "--checkpoint", "{missing}"], mlp + ["--resume", "--checkpoint", "{dir}"],
             mlp + ["--resume", "--checkpoint", "{file}"], mlp + ["--resume", "--checkpoint", "{linreg}"],
             mlp + ["--resume", "--checkpoint", "{ckpt}", "--lr", "0.5"],
             mlp + ["--checkpoint", "{dir}/same", "--metrics", "{dir}/same"],
             mlp + ["--checkpoint", "{dir}/a.ckpt", "--plot", "{dir}/a.ckpt"],
             mlp + ["--plot", "{dir}/curves.xyz"], mlp + ["--plot", "{dir}/curves"],
             mlp + ["--logdir", "{file}"], mlp + ["--logdir", "/proc/x"], mlp + ["--logdir", "/sys/tb"],
             mlp + ["--logdir", "{file}/tb"], mlp + ["--logdir", "/proc/self/tb"]]
    for flag in ("--epochs", "--batch-size", "--limit-train"):
        lines += [mlp + [flag, value] for value in BAD_INTS]
    lines += [mlp + ["--lr", value] for value in BAD_FLOATS]
    lines += [mlp + ["--seed", value] for value in BAD_SEEDS]
    for flag in ("--checkpoint", "--metrics", "--plot"):
        lines += [mlp + [flag, path.replace(".out", ".png") if flag == "--plot" else path] for path in UNWRITABLE_FILES]
    return lines


def other_lines() -> list[list[str]]:
    lines = [[], ["fly"], ["predict"], ["predict", "{digit}"], ["predict", "{digit}", "--checkpoint", "{ckpt}", "--onnx", "x"],
             ["predict", "{digit}", "--checkpoint", "{ckpt}", "--backend", "jax"]]
    for image in ("{missing}", "{dir}", "{file}", "{huge}", "/proc/self/x.png"):
        lines.append(["predict", image, "--checkpoint", "{ckpt}"])
    for checkpoint in ("{missing}", "{dir}", "{file}", "{nan}", "{shape}", "{bare_shape}", "{linreg}", "{digit}", "/dev/null"):
        lines.append(["predict", "{digit}", "--checkpoint", checkpoint])
        lines.append(["export", "--checkpoint", checkpoint, "--out", "{dir}/x.onnx"])
    lines += [["predict", "{digit}", "--onnx", onnx] for onnx in ("{missing}", "{file}", "{dir}", "{ckpt}")]
    lines += [["predict", "{digit}", "--checkpoint", "{overflow}", "--backend", backend] for backend in ("edu", "torch")]
    lines += [["export"], ["export", "--checkpoint", "{ckpt}"], ["export", "--out", "{dir}/x.onnx"],
              ["export", "--checkpoint", "{ckpt}", "--out", "{dir}/x.txt"]]
    lines += [["export", "--checkpoint", "{ckpt}", "--out", path.replace(".out", ".onnx")] for path in UNWRITABLE_FILES]
    lines += [["graph"], ["graph", "--model", "rnn", "--out", "{dir}/g.dot"],
              ["graph", "--model", "cnn"], ["graph", "--model", "cnn", "--out", "{dir}/g.xyz"]]
    lines += [["graph", "--model", "mlp", "--out", path.replace(".out", ".dot")] for path in UNWRITABLE_FILES]
    return lines


LINES = train_lines() + other_lines()


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG file whose header claims ``width`` x ``height`` grayscale pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(1000))) + chunk(b"IEND", b""))


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict:
    """What the placeholders in LINES stand for."""
    folder = tmp_path_factory.mktemp("fuzz")
    names = {"dir": folder / "a_folder", "file": folder / "a_file", "missing": folder / "missing",
             "ckpt": folder / "mlp.ckpt", "linreg": folder / "linreg.ckpt", "digit": folder / "digit.png",
             "huge": folder / "huge.png", "nan": folder / "nan.ckpt", "shape": folder / "shape.ckpt",
             "bare_shape": folder / "bare_shape.pt", "overflow": folder / "overflow.ckpt"}
    names["dir"].mkdir()
    names["file"].write_bytes(os.urandom(100))
    from tinygrad_edu.cli import main

    for model, path in (("mlp", "ckpt"), ("linreg", "linreg")):
        assert main(["train", "--model", model, "--epochs", "1", "--limit-train", "64", "--checkpoint", str(names[path]),
                     "--metrics", str(folder / f"{path}.json")]) == 0
    cv2.imwrite(str(names["digit"]), np.zeros((28, 28), np.uint8))
    names["huge"].write_bytes(png_claiming(100_000, 100_000))  # 10^10 pixels
    checkpoint = load(str(names["ckpt"]))
    weights = checkpoint["model_state_dict"]
    first = next(iter(weights))
    save({**checkpoint, "model_state_dict": {**weights, first: weights[first] * np.nan}}, str(names["nan"]))
    save({**checkpoint, "model_state_dict": {**weights, first: weights[first][:5]}}, str(names["shape"]))
    save({k: tinygrad_edu.tensor(v[:3] if k == first else v) for k, v in weights.items()}, str(names["bare_shape"]))
    save({**checkpoint, "model_state_dict": {k: v * 1e36 for k, v in weights.items()}}, str(names["overflow"]))
    return {k: str(v) for k, v in names.items()}


def fill(argv: list[str], files: dict) -> list[str]:
    return [a.format(**files) for a in argv]


def test_the_table_is_large():
    assert len(LINES) >= 100


@pytest.mark.parametrize("argv", LINES, ids=[" ".join(a) or "(nothing)" for a in LINES])
def test_bad_command_line_gives_one_line(capsys, files, argv):
    status, _, err = run_main(capsys, *fill(argv, files))
    assert_one_line_error(status, err, "tinygrad-edu")
    assert status in (1, 2), err


@pytest.mark.parametrize("argv, expected", [
    (["train", "--model", "mlp", "--logdir", "/proc/x"], "--logdir /proc/x: can't create the folder"),
    (["export", "--checkpoint", "{ckpt}", "--out", "{dir}"], "is a folder"),
    (["train", "--model", "mlp", "--backend", "torch", "--seed", str(2**64)], "--seed: must be from 0 to 2**64 - 1"),
    (["predict", "{huge}", "--checkpoint", "{ckpt}"], "100,000 x 100,000 pixels"),
])
def test_through_the_real_command(files, tmp_path, argv, expected):
    result = run_command(*fill(argv, files), cwd=tmp_path, timeout=120)
    assert_one_line_error(result.returncode, result.stderr, expected)
    assert result.stdout == ""


def test_huge_but_valid_values_train(capsys, tmp_path):
    """A batch size or sample limit beyond any data set (and beyond sys.maxsize) means all of it."""
    huge = str(10**30)
    for name, size in (("huge", huge), ("all", "64")):
        status, _, err = run_main(capsys, "train", "--model", "mlp", "--epochs", "1", "--limit-train", "64",
                                  "--batch-size", size, "--checkpoint", str(tmp_path / f"{name}.ckpt"))
        assert status == 0, err
    huge_weights, all_weights = (load(str(tmp_path / f"{n}.ckpt"))["model_state_dict"] for n in ("huge", "all"))
    for key in all_weights:
        np.testing.assert_array_equal(huge_weights[key], all_weights[key])
    status, _, err = run_main(capsys, "train", "--model", "linreg", "--epochs", "2", "--limit-train", huge,
                              "--seed", str(2**64 - 1), "--checkpoint", str(tmp_path / "linreg.ckpt"))
    assert status == 0, err
