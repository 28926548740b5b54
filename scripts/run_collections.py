"""Run the public PyTorch teaching programs on real PyTorch and on this engine, offline, and tabulate.

    python scripts/run_collections.py --scratch /tmp/programs [--tutorials-git DIR] [--examples-git DIR]
    python scripts/run_collections.py --scratch /tmp/programs --program my_script.py [--program other.py]

The programs themselves are not part of this repository: they are PyTorch's own (repositories
pytorch/tutorials and pytorch/examples), copied into the scratch folder, either by hand to
``SCRATCH/<dest>`` (see ``PROGRAMS``) or from local git checkouts with ``--tutorials-git`` /
``--examples-git`` (a git dir; the files are taken from its HEAD unchanged).

Each program runs twice in a fresh process, with the scratch folder's ``run/`` as working
directory: under real PyTorch, and under ``python -m tinygrad_edu.run`` (``import torch`` gives
the engine). The table shows, for each engine, the program's last lines, or the first line of
its failure (for the engine: the PyTorch name it lacks). Programs run as they are; the examples
are shortened only by their own flags (``--epochs 1``).

Offline data: small synthetic datasets, made once, in torchvision's exact on-disk layout
(``SCRATCH/data``, reachable as ``data``, ``./data`` and ``../data`` from ``run/``):
FashionMNIST and MNIST as raw IDX files, CIFAR-10 as the pickled ``cifar-10-batches-py``
batches, and the ``mnist/mnist.pkl.gz`` pickle that "What is torch.nn really?" reads. Each
class has its own pattern plus noise, so a model can learn something. With the files present,
torchvision's ``download=True`` skips the download: for MNIST it only checks that the files
exist; for CIFAR-10 it checks their MD5 sums, which synthetic files cannot pass. The harness
therefore patches, in the PyTorch run only, torchvision's CIFAR-10 integrity check to "the file
exists" (``_torch_run``); nothing else of PyTorch is changed. The engine's datasets skip a
download when the files exist without needing any patch. For the "Save and Load" tutorial,
which asks for VGG-16's ImageNet weights, a checkpoint of the right shapes with random values is
put where ``torch.hub`` caches downloads (``SCRATCH/torch_home``), with ``--vgg-weights``.
"""
from __future__ import annotations

import argparse
import gzip
import os
import pickle
import runpy
import subprocess
import sys
from dataclasses import dataclass

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TUTORIALS, EXAMPLES = "pytorch/tutorials", "pytorch/examples"


@dataclass(frozen=True)
class Program:
    collection: str
    repo: str  # where it comes from
    source: str  # its path in that repository
    dest: str  # its path under the scratch folder
    args: tuple[str, ...] = ()
    key: str = ""  # the table shows the last line holding this (its result), then the last line


def _tutorial(collection: str, source: str, dest: str, key: str = "") -> Program:
    return Program(collection, TUTORIALS, f"beginner_source/{source}", dest, key=key)


PROGRAMS = [
    *(_tutorial("Learn the Basics", f"basics/{name}.py", f"basics/{name}.py", key) for name, key in (
        ("tensorqs_tutorial", "<class"), ("data_tutorial", "Feature batch"), ("transforms_tutorial", ""),
        ("buildmodel_tutorial", "Predicted class"), ("autogradqs_tutorial", ""),
        ("optimization_tutorial", "Accuracy"), ("saveloadrun_tutorial", ""), ("quickstart_tutorial", "Accuracy"))),
    *(_tutorial("60 Minute Blitz", f"blitz/{name}.py", f"blitz/{name}.py", key) for name, key in (
        ("tensor_tutorial", ""), ("autograd_tutorial", ""), ("neural_networks_tutorial", ""),
        ("cifar10_tutorial", "Accuracy of the network"))),
    *(_tutorial("Learning PyTorch with Examples", f"{folder}/{name}.py", f"with_examples/{name}.py")
      for folder, name in (("examples_tensor", "polynomial_tensor"), ("examples_autograd", "polynomial_autograd"),
                           ("examples_autograd", "polynomial_custom_function"), ("examples_nn", "polynomial_nn"),
                           ("examples_nn", "polynomial_optim"), ("examples_nn", "polynomial_module"))),
    _tutorial("What is torch.nn really?", "nn_tutorial.py", "nn_tutorial.py"),
    Program("pytorch/examples", EXAMPLES, "mnist/main.py", "examples/mnist_main.py", ("--epochs", "1"), "Test set"),
    Program("pytorch/examples", EXAMPLES, "regression/main.py", "examples/regression_main.py", (), "Learned function"),
]

# Sizes of the synthetic datasets: small enough that every program runs in seconds.
N_TRAIN, N_TEST = 600, 200


# ---------------------------------------------------------------------- synthetic data


def _images(rng: np.random.Generator, n: int, shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """``n`` uint8 images of ``shape`` and their labels 0-9: each class a fixed pattern plus noise."""
    patterns = np.random.default_rng(1234).uniform(0, 1, size=(10, *shape))
    labels = rng.integers(0, 10, size=n)
    pixels = 200 * patterns[labels] + rng.normal(0, 40, size=(n, *shape))
    return np.clip(pixels, 0, 255).astype(np.uint8), labels.astype(np.int64)


def _write_idx(path: str, array: np.ndarray) -> None:
    """An IDX file as MNIST ships them: magic (0, 0, 0x08 for uint8, ndim), big-endian sizes, bytes."""
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 0x08, array.ndim]))
        f.write(np.asarray(array.shape, dtype=">u4").tobytes())
        f.write(np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def make_idx_dataset(root: str, name: str, rng: np.random.Generator) -> None:
    """``root/<name>/raw/{train,t10k}-{images-idx3,labels-idx1}-ubyte``, uncompressed (torchvision's
    MNIST checks for these names)."""
    raw = os.path.join(root, name, "raw")
    os.makedirs(raw, exist_ok=True)
    for prefix, n in (("train", N_TRAIN), ("t10k", N_TEST)):
        images, labels = _images(rng, n, (28, 28))
        _write_idx(os.path.join(raw, f"{prefix}-images-idx3-ubyte"), images)
        _write_idx(os.path.join(raw, f"{prefix}-labels-idx1-ubyte"), labels.astype(np.uint8))


def make_cifar10(root: str, rng: np.random.Generator) -> None:
    """``root/cifar-10-batches-py/``: five training batches, a test batch and ``batches.meta``,
    pickled dicts as the python version of CIFAR-10 has them (rows of 3072 = R, G, B planes)."""
    folder = os.path.join(root, "cifar-10-batches-py")
    os.makedirs(folder, exist_ok=True)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    batches = [(f"data_batch_{i}", N_TRAIN // 5) for i in range(1, 6)] + [("test_batch", N_TEST)]
    for name, n in batches:
        images, labels = _images(rng, n, (3, 32, 32))
        entry = {"batch_label": name, "labels": labels.tolist(), "data": images.reshape(n, -1),
                 "filenames": [f"{i}.png" for i in range(n)]}
        with open(os.path.join(folder, name), "wb") as f:
            pickle.dump(entry, f)
    with open(os.path.join(folder, "batches.meta"), "wb") as f:
        pickle.dump({"label_names": names, "num_cases_per_batch": N_TRAIN // 5, "num_vis": 3072}, f)


def make_mnist_pickle(root: str, rng: np.random.Generator) -> None:
    """``root/mnist/mnist.pkl.gz``: ``((x_train, y_train), (x_valid, y_valid), (x_test, y_test))``, images
    float32 rows of 784 in [0, 1], labels int64, the layout of deeplearning.net's file."""
    os.makedirs(os.path.join(root, "mnist"), exist_ok=True)
    splits = []
    for n in (N_TRAIN, N_TEST, N_TEST):
        images, labels = _images(rng, n, (784,))
        splits.append(((images / np.float32(255)).astype(np.float32), labels))
    with gzip.open(os.path.join(root, "mnist", "mnist.pkl.gz"), "wb") as f:
        pickle.dump(tuple(splits), f)


def make_vgg16_checkpoint(torch_home: str) -> None:
    """A checkpoint with VGG-16's parameter names and shapes (random values) where ``torch.hub`` looks
    for the downloaded ImageNet weights, so ``vgg16(weights='IMAGENET1K_V1')`` loads offline."""
    import torch
    import torchvision
    target = os.path.join(torch_home, "hub", "checkpoints", "vgg16-397923af.pth")
    if not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        torch.save(torchvision.models.vgg16().state_dict(), target)


def make_data(scratch: str, vgg_weights: bool = False) -> str:
    """Make the synthetic datasets under ``scratch/data`` (once) and the working directory
    ``scratch/run`` where ``data`` and ``../data`` both reach them; returns the working directory."""
    data, run = os.path.join(scratch, "data"), os.path.join(scratch, "run")
    os.makedirs(run, exist_ok=True)
    if not os.path.exists(os.path.join(data, "complete")):
        rng = np.random.default_rng(0)
        make_idx_dataset(data, "FashionMNIST", rng)
        make_idx_dataset(data, "MNIST", rng)
        make_cifar10(data, rng)
        make_mnist_pickle(data, rng)
        open(os.path.join(data, "complete"), "w").close()
    if not os.path.lexists(os.path.join(run, "data")):
        os.symlink(os.path.join("..", "data"), os.path.join(run, "data"))
    if vgg_weights:
        make_vgg16_checkpoint(os.path.join(scratch, "torch_home"))
    return run


# ---------------------------------------------------------------------- copying the programs


def copy_programs(scratch: str, git_dirs: dict[str, str]) -> None:
    """Take each program from the HEAD of its repository's local git dir, unchanged."""
    for program in PROGRAMS:
        git_dir = git_dirs.get(program.repo)
        if git_dir is None:
            continue
        text = subprocess.run(["git", "--git-dir", git_dir, "show", f"HEAD:{program.source}"],
                              capture_output=True, check=True).stdout
        target = os.path.join(scratch, program.dest)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "wb") as f:
            f.write(text)


# ---------------------------------------------------------------------- running


def _torch_run(script: str, args: list[str]) -> None:
    """Run ``script`` under real PyTorch as ``python script args`` would, with torchvision's CIFAR-10
    MD5 check reduced to "the file exists" (the synthetic batches cannot match the real sums)."""
    import torchvision.datasets.cifar as cifar
    cifar.check_integrity = lambda fpath, md5=None: os.path.isfile(fpath)
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    runpy.run_path(script, run_name="__main__")


def run_program(script: str, args: list[str], engine: str, cwd: str, timeout: float, env: dict[str, str],
                key: str = "") -> str:
    """Run ``script`` on ``engine`` ("torch" or "engine") in a fresh process; a short account of how it went."""
    script = os.path.abspath(script)
    if engine == "torch":
        command = [sys.executable, os.path.abspath(__file__), "--torch-run", script, *args]
    else:
        command = [sys.executable, "-m", "tinygrad_edu.run", script, *args]
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return f"TIMEOUT after {timeout:g} s"
    if done.returncode == 0:
        lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
        keyed = [line for line in lines if key and key in line][-1:]
        shown = keyed + [line for line in lines[-2 + len(keyed):] if line not in keyed]
        return "ok: " + (" / ".join(shown) if lines else "(printed nothing)")
    errors = [line.strip() for line in done.stderr.splitlines() if line.strip()]
    return f"FAILED: {errors[-1] if errors else f'exit status {done.returncode}'}"


def child_env(scratch: str) -> dict[str, str]:
    """The programs' environment: the engine importable, plots off screen, torch.hub's cache in scratch."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (REPO, env.get("PYTHONPATH")) if p)
    env["MPLBACKEND"] = "Agg"
    env["TORCH_HOME"] = os.path.join(scratch, "torch_home")
    return env


def table(rows: list[tuple[str, str, str, str]]) -> str:
    """A Markdown table of (collection, program, torch result, engine result)."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|")
    lines = ["| collection | program | PyTorch | tinygrad_edu |", "|---|---|---|---|"]
    lines += [f"| {' | '.join(cell(c) for c in row)} |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--torch-run"]:
        _torch_run(argv[1], argv[2:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scratch", required=True, help="folder for the programs, the data and the runs")
    parser.add_argument("--tutorials-git", help="git dir of a pytorch/tutorials checkout to copy programs from")
    parser.add_argument("--examples-git", help="git dir of a pytorch/examples checkout to copy programs from")
    parser.add_argument("--program", action="append", default=[],
                        help="run this script instead of the collections (repeatable)")
    parser.add_argument("--only", help="run only the collections' programs whose path contains this")
    parser.add_argument("--engines", default="torch,engine", help="which to run: torch, engine or both")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per program per engine")
    parser.add_argument("--vgg-weights", action="store_true",
                        help="plant random VGG-16 weights in torch.hub's cache (528 MB) for the Save and Load tutorial")
    args = parser.parse_args(argv)
    scratch = os.path.abspath(args.scratch)
    copy_programs(scratch, {TUTORIALS: args.tutorials_git, EXAMPLES: args.examples_git})
    cwd, env = make_data(scratch, args.vgg_weights), child_env(scratch)
    if args.program:
        programs = [Program("(given)", "", path, os.path.abspath(path)) for path in args.program]
    else:
        programs = [p for p in PROGRAMS if args.only is None or args.only in p.dest]
    rows = []
    for program in programs:
        script = os.path.join(scratch, program.dest)
        if not os.path.isfile(script):
            results = [f"missing: copy {program.repo}'s {program.source} to {script}"] * 2
        else:
            results = [run_program(script, list(program.args), engine, cwd, args.timeout, env, program.key)
                       if engine in args.engines.split(",") else "not run" for engine in ("torch", "engine")]
        rows.append((program.collection, os.path.basename(program.dest), *results))
        print(f"{program.dest}\n  torch:  {results[0]}\n  engine: {results[1]}", flush=True)
    report = table(rows)
    with open(os.path.join(scratch, "results.md"), "w") as f:
        f.write(report + "\n")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
