"""Hostile files and killed saves, made for real on disk.

Every hostile file is refused in one line naming it, at once and in bounded memory (measured
in a subprocess that forks one child per file); a save killed with SIGKILL leaves the old or
the new checkpoint, and the next save removes the temporary file it left.
"""
import bz2
import contextlib
import io
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from tinygrad_edu import serialization
from tinygrad_edu.serialization import load, save

MiB = 1 << 20
BOMB_SIZE = 64 * MiB  # what one compressed member of a few hundred bytes inflates to
MEMORY_BOUND = 100 * MiB
TIME_BOUND = 5.0  # seconds, on two shared cores


# ---------------------------------------------------------------------------------- makers


def safetensors_file(path: Path, header, data: bytes = b"", length: int | None = None) -> Path:
    """A file laid out as safetensors: 8-byte header length, header, data; ``length`` can lie."""
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(text) if length is None else length) + text + data)
    return path


def metadata(node, **fields) -> dict:
    return {"format": "tinygrad_edu.checkpoint", "version": "2", "data": json.dumps(node), **fields}


def tensor_node(name="w", dtype="float32", shape=(2,), kind="tensor", **extra) -> dict:
    return {"type": kind, "tensor": name, "dtype": dtype, "shape": list(shape), "requires_grad": False, **extra}


def f32(shape, begin=0, end=None) -> dict:
    end = begin + 4 * int(np.prod(shape)) if end is None else end
    return {"dtype": "F32", "shape": list(shape), "data_offsets": [begin, end]}


def zip_file(path: Path, members: dict, compression=zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def patch(path: Path, signature: bytes, offset: int, fmt: str, value: int) -> Path:
    """Overwrite one field of the first zip record that starts with ``signature``."""
    data = bytearray(path.read_bytes())
    at = data.index(signature) + offset
    struct.pack_into(fmt, data, at, value)
    path.write_bytes(bytes(data))
    return path


def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_header(shape, descr="<f8") -> bytes:
    """A .npy file that is all header: it declares ``shape`` and holds no data."""
    text = repr({"descr": descr, "fortran_order": False, "shape": tuple(shape)}).encode()
    text += b" " * (-(10 + len(text) + 1) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text


def manifest(data) -> str:
    return json.dumps({"format": "tinygrad_edu.checkpoint", "version": 1, "data": data})


def empty_lists(n: int) -> bytes:
    """A header of ``2n + 4`` JSON tokens, the most Python objects per byte of text."""
    return b'{"x":[' + b"[]," * n + b"[]]}"


LEGACY_NODE = {"type": "tensor", "file": "arrays/0.npy", "dtype": "float64", "shape": [2], "requires_grad": False}
TOKENS = serialization.MAX_HEADER_TOKENS


@pytest.fixture(scope="module")
def bombs():
    """Compressed once per run: 64 MiB of zeros, deflated (~65 KB) and bzip2ed (~100 bytes)."""
    zeros = bytes(BOMB_SIZE)
    return {"deflate": zlib.compress(zeros, 9), "bzip2": bz2.compress(zeros, 9)}


def bomb_zip(path: Path, bombs, method: str) -> Path:
    """A zip whose member inflates to BOMB_SIZE bytes (the stored stream is swapped in)."""
    kind = {"deflate": zipfile.ZIP_DEFLATED, "bzip2": zipfile.ZIP_BZIP2}[method]
    info = zipfile.ZipInfo("manifest.json")
    info.compress_type = kind
    with zipfile.ZipFile(path, "w") as zf:
        with zf.open(info, "w", force_zip64=True) as member:  # writes the real compressed stream
            for _ in range(BOMB_SIZE // MiB):
                member.write(bytes(MiB))
    assert path.stat().st_size < 100_000
    return path


# (name, maker(tmp_path, bombs) -> path, what the one-line error must say after the path)
HOSTILE = [
    # -- safetensors: sizes and offsets
    ("header length past the end", lambda p, b: safetensors_file(p, {}, length=1000),
     r"is truncated or corrupt \(its header of 1000 bytes runs past the end of the file, 10 bytes\)"),
    ("header length 4 GiB - 1", lambda p, b: safetensors_file(p, b"{}" + bytes(64), length=(1 << 32) - 1),
     r"is truncated or corrupt \(its header of 4294967295 bytes runs past the end of the file, 74 bytes\)"),
    ("header length 2**63", lambda p, b: safetensors_file(p, b"{}" + bytes(64), length=1 << 63),
     r"is not a tinygrad_edu checkpoint \(neither safetensors nor a zip archive"),
    ("header over the size limit (sparse file)", lambda p, b: sparse(safetensors_file(p, b"{}", length=40 * MiB), 41 * MiB),
     rf"its header of {40 * MiB} bytes is over the limit of {serialization.MAX_HEADER_BYTES} bytes"),
    ("header of too many JSON values", lambda p, b: safetensors_file(p, empty_lists(TOKENS // 2)),
     rf"its header holds {TOKENS + 4} JSON values, over the limit of {TOKENS}"),
    ("header just under the JSON limit", lambda p, b: safetensors_file(p, empty_lists(TOKENS // 2 - 2)),
     r"bad header entry for tensor 'x'"),
    ("header not JSON", lambda p, b: safetensors_file(p, b"{not json"), r"is truncated or corrupt \(JSONDecodeError"),
    ("header nested 100,000 deep", lambda p, b: safetensors_file(p, b'{"x":' + b"[" * 100_000),
     r"is truncated or corrupt \((RecursionError|JSONDecodeError)"),
    ("offsets past the data", lambda p, b: safetensors_file(p, {"w": f32([4])}, bytes(8)),
     r"its tensors need 16 bytes of data, the file holds 8"),
    ("overlapping offsets", lambda p, b: safetensors_file(p, {"a": f32([2]), "b": f32([2], 4)}, bytes(16)),
     r"tensor 'b' at offsets \[4, 12\] should start at 8"),
    ("a gap between tensors", lambda p, b: safetensors_file(p, {"a": f32([1]), "b": f32([1], 8)}, bytes(12)),
     r"tensor 'b' at offsets \[8, 12\] should start at 4"),
    ("negative offsets", lambda p, b: safetensors_file(p, {"a": f32([1], -4)}, bytes(4)),
     r"tensor 'a' at offsets \[-4, 0\] should start at 0"),
    ("shape x itemsize not the offsets", lambda p, b: safetensors_file(p, {"w": f32([3], 0, 16)}, bytes(16)),
     r"tensor 'w' of shape \[3\] and dtype F32 needs 12 bytes, its offsets \[0, 16\] hold 16"),
    ("giant shape", lambda p, b: safetensors_file(p, {"w": f32([1 << 40, 1 << 40], 0, 8)}, bytes(8)),
     r"tensor 'w' of shape \[1099511627776, 1099511627776\] and dtype F32 needs \d+ bytes"),
    ("negative shape", lambda p, b: safetensors_file(p, {"w": f32([-2], 0, 8)}, bytes(8)),
     r"bad header entry for tensor 'w'"),
    ("unknown dtype", lambda p, b: safetensors_file(p, {"w": {"dtype": "F128", "shape": [1], "data_offsets": [0, 16]}},
                                                    bytes(16)), r"bad header entry for tensor 'w'"),
    ("data cut short", lambda p, b: safetensors_file(p, {"w": f32([4])}, bytes(15)),
     r"its tensors need 16 bytes of data, the file holds 15"),
    ("bool bytes other than 0 and 1", lambda p, b: safetensors_file(
        p, {"m": {"dtype": "BOOL", "shape": [2], "data_offsets": [0, 2]}}, b"\x01\x02"),
     r"bool tensor 'm' holds bytes other than 0 and 1"),
    ("BF16, which the engine has no dtype for", lambda p, b: safetensors_file(
        p, {"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, bytes(4)),
     r"holds tensor 'w' of dtype BF16, which tinygrad_edu has no dtype for"),
    # -- safetensors: our metadata
    ("metadata holding only the format key", lambda p, b: safetensors_file(
        p, {"__metadata__": {"format": "tinygrad_edu.checkpoint"}}),
     r"is truncated or corrupt \(format version None in its __metadata__\)"),
    ("metadata of a newer version", lambda p, b: safetensors_file(p, {"__metadata__": metadata(None, version="9")}),
     r"was written by a newer tinygrad_edu \(format version 9"),
    ("metadata without data", lambda p, b: safetensors_file(
        p, {"__metadata__": {"format": "tinygrad_edu.checkpoint", "version": "2"}}), r"its __metadata__ has no 'data'"),
    ("metadata not a map of strings", lambda p, b: safetensors_file(p, {"__metadata__": {"format": 1}}),
     r"__metadata__ is not a map of strings"),
    ("metadata data not JSON", lambda p, b: safetensors_file(p, {"__metadata__": metadata(None, data="{oops")}),
     r"is truncated or corrupt \(JSONDecodeError"),
    ("metadata data of too many JSON values", lambda p, b: safetensors_file(
        p, {"__metadata__": metadata(None, data="[" + "0," * TOKENS + "0]")}), r"its header holds \d+ JSON values"),
    ("metadata data just under the JSON limit", lambda p, b: safetensors_file(
        p, {"__metadata__": metadata({"type": "list", "items": [{"type": "list", "items": []}] * (TOKENS // 6 - 10)
                                      + [{"type": "pickle"}]})}), r"unknown node type 'pickle'"),
    ("one tensor read as two objects", lambda p, b: safetensors_file(
        p, {"__metadata__": metadata({"type": "list", "items": [tensor_node(), tensor_node(kind="parameter")]}),
            "w": f32([2])}, bytes(8)), r"w is read as two different objects"),
    ("metadata of one string just under the size limit", lambda p, b: safetensors_file(
        p, {"__metadata__": metadata({"type": "list", "items": ["x" * (serialization.MAX_HEADER_BYTES - 200),
                                                                {"type": "pickle"}]})}), r"unknown node type 'pickle'"),
    ("a node naming a missing tensor", lambda p, b: safetensors_file(
        p, {"__metadata__": metadata(tensor_node("nowhere")), "w": f32([2])}, bytes(8)), r"tensor 'nowhere' is missing"),
    ("a node's shape not its tensor's", lambda p, b: safetensors_file(
        p, {"__metadata__": metadata(tensor_node(shape=[1, 2])), "w": f32([2])}, bytes(8)),
     r"w holds float32 \[2\], the metadata says float32 \[1, 2\]"),
    ("a node of dtype object", lambda p, b: safetensors_file(
        p, {"__metadata__": metadata(tensor_node(dtype="object", kind="ndarray")), "w": f32([2])}, bytes(8)),
     r"w: unknown dtype 'object'"),
    ("a node of a record dtype", lambda p, b: safetensors_file(
        p, {"__metadata__": metadata(tensor_node(dtype="[('a', '<f4')]", kind="ndarray")), "w": f32([2])}, bytes(8)),
     r"unknown dtype"),
    ("a node of a huge string dtype", lambda p, b: safetensors_file(
        p, {"__metadata__": metadata(tensor_node(dtype="<U1000000000", shape=[1000], kind="ndarray")),
            "w": {"dtype": "U8", "shape": [8], "data_offsets": [0, 8]}}, bytes(8)),
     r"w: unknown dtype '<U1000000000'"),
    ("an int tensor that requires grad", lambda p, b: safetensors_file(
        p, {"__metadata__": metadata(tensor_node(dtype="int32", requires_grad=True)),
            "w": {"dtype": "I32", "shape": [2], "data_offsets": [0, 8]}}, bytes(8)),
     r"a int32 tensor can't require grad"),
    # -- old zip checkpoints
    ("deflate bomb", lambda p, b: bomb_zip(p, b, "deflate"),
     r"is not a tinygrad_edu checkpoint \(zip member manifest.json is compressed with deflate; save stores members "
     r"uncompressed, and a compressed one could inflate without bound\)"),
    ("bzip2 bomb", lambda p, b: bomb_zip(p, b, "bzip2"), r"zip member manifest.json is compressed with bzip2"),
    ("lzma member", lambda p, b: zip_file(p, {"manifest.json": manifest(None)}, zipfile.ZIP_LZMA),
     r"zip member manifest.json is compressed with lzma"),
    ("encrypted flag", lambda p, b: patch(patch(zip_file(p, {"manifest.json": manifest(None)}), b"PK\x03\x04", 6, "<H", 1),
                                          b"PK\x01\x02", 8, "<H", 1),
     r"is encrypted \(zip member manifest.json\); tinygrad_edu checkpoints never are"),
    ("member size past the archive", lambda p, b: patch(patch(zip_file(p, {"manifest.json": manifest(None)}),
                                                              b"PK\x01\x02", 20, "<I", 4_000_000_000),
                                                        b"PK\x01\x02", 24, "<I", 4_000_000_000),
     r"zip member manifest.json declares 4000000000 bytes at offset 0, the archive holds \d+"),
    ("table of contents over the limit", lambda p, b: patch(zip_file(p, {"manifest.json": manifest(None)}),
                                                            b"PK\x05\x06", 12, "<I", 0xFFFFFFF0),
     r"a zip table of contents of 1 members in 4294967280 bytes, over the limits"),
    ("manifest of too many JSON values", lambda p, b: zip_file(p, {"manifest.json": "[" + "0," * TOKENS + "0]"}),
     rf"its manifest.json holds {TOKENS + 1} JSON values"),
    ("manifest holding only the format key", lambda p, b: zip_file(
        p, {"manifest.json": json.dumps({"format": "tinygrad_edu.checkpoint"})}), r"format version None in manifest.json"),
    ("giant .npy shape", lambda p, b: zip_file(p, {"manifest.json": manifest(LEGACY_NODE), "arrays/0.npy": npy_header([1 << 40])}),
     r"arrays/0.npy declares shape \[1099511627776\] of float64, 8796093022208 bytes, and holds 0"),
    ("giant .npy shape whose product wraps", lambda p, b: zip_file(
        p, {"manifest.json": manifest(LEGACY_NODE), "arrays/0.npy": npy_header([1 << 62, 4]) + bytes(16)}),
     r"arrays/0.npy declares shape \[4611686018427387904, 4\] of float64, \d+ bytes, and holds 16"),
    ("negative .npy shape", lambda p, b: zip_file(
        p, {"manifest.json": manifest(LEGACY_NODE), "arrays/0.npy": npy_header([-1, -16]) + bytes(16)}),
     r"is truncated or corrupt"),
    (".npy of Python objects", lambda p, b: zip_file(
        p, {"manifest.json": manifest(LEGACY_NODE), "arrays/0.npy": npy_header([1], "|O") + bytes(8)}),
     r"arrays/0.npy holds Python objects"),
    (".npy cut short", lambda p, b: zip_file(p, {"manifest.json": manifest(LEGACY_NODE), "arrays/0.npy": npy(np.ones(2))[:-3]}),
     r"arrays/0.npy declares shape \[2\] of float64, 16 bytes, and holds 13"),
]


def sparse(path: Path, size: int) -> Path:
    with open(path, "r+b") as f:
        f.truncate(size)
    return path


@contextlib.contextmanager
def within(seconds: float):
    """Fail, instead of hanging, if the block takes longer (SIGALRM interrupts a blocked open)."""
    def timeout(signum, frame):
        raise TimeoutError(f"took more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, timeout)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("name, make, match", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_file_is_refused_in_one_line_naming_it(tmp_path, bombs, name, make, match):
    path = make(tmp_path / "hostile.pt", bombs)
    with within(TIME_BOUND), pytest.raises(RuntimeError) as error:
        load(path)
    message = str(error.value)
    assert "\n" not in message
    assert message.startswith(f"{path} ") and re.search(match, message), message


def special_files(tmp_path: Path) -> list[tuple[Path, type, str]]:
    """(path, exception type, message) for paths that are not regular files."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link-to-fifo"
    link.symlink_to(fifo)
    listening = socket.socket(socket.AF_UNIX)
    listening.bind(str(tmp_path / "sock"))
    special_files.keep = listening  # bound for as long as the test runs
    (tmp_path / "directory").mkdir()
    return [(fifo, RuntimeError, f"{fifo} is not a regular file (it is a FIFO); load reads checkpoints from "
                                 "regular files only"),
            (link, RuntimeError, f"{link} is not a regular file (it is a FIFO)"),
            (Path("/dev/zero"), RuntimeError, "/dev/zero is not a regular file (it is a character device)"),
            (Path("/dev/null"), RuntimeError, "/dev/null is not a regular file (it is a character device)"),
            (tmp_path / "sock", RuntimeError, f"{tmp_path / 'sock'} is not a regular file (it is a socket)"),
            (tmp_path / "directory", IsADirectoryError, f"[Errno 21] Is a directory: '{tmp_path / 'directory'}'")]


@pytest.mark.skipif(os.name != "posix", reason="FIFOs, sockets and /dev/zero are POSIX")
def test_fifos_devices_sockets_and_directories_are_refused_at_once(tmp_path):
    for path, kind, message in special_files(tmp_path):
        start = time.perf_counter()
        with within(TIME_BOUND), pytest.raises(kind) as error:
            load(path)
        assert message in str(error.value) and "\n" not in str(error.value)
        assert time.perf_counter() - start < 1.0, path


@pytest.mark.skipif(os.name != "posix", reason="FIFOs")
def test_a_fifo_swapped_in_after_the_check_is_refused_without_blocking(tmp_path, monkeypatch):
    regular, fifo = tmp_path / "ckpt.pt", tmp_path / "fifo"
    save({}, regular)
    os.mkfifo(fifo)
    real_stat = os.stat
    monkeypatch.setattr(serialization.os, "stat", lambda path, *args, **kwargs: real_stat(regular))
    with within(TIME_BOUND), pytest.raises(RuntimeError, match=f"{re.escape(str(fifo))} is not a regular file "
                                                               r"\(it is a FIFO\)"):
        load(fifo)


def test_a_directory_is_refused_as_pytorch_does(tmp_path):
    torch = pytest.importorskip("torch")
    with pytest.raises(IsADirectoryError) as ours:
        load(tmp_path)
    with pytest.raises(IsADirectoryError) as theirs:
        torch.load(tmp_path)
    assert str(ours.value) == str(theirs.value)


MEASURE = r"""
import os, sys, time
import tinygrad_edu
import tinygrad_edu.nn.parameter  # imported by load on first use: not part of what a file costs

def status(field):  # VmHWM: the peak resident size, which a forked child starts afresh
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith(field + ":")) * 1024

for path in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        base, start = status("VmRSS"), time.perf_counter()
        try:
            tinygrad_edu.load(path)
            code = 1
        except (RuntimeError, OSError) as e:
            code = 0 if path in str(e) else 2
        seconds = time.perf_counter() - start
        os.write(1, f"{path} {code} {status('VmHWM') - base} {seconds}\n".encode())
        os._exit(0)
    os.waitpid(pid, 0)
"""


@pytest.mark.skipif(not hasattr(os, "fork") or not os.path.exists("/proc/self/status"), reason="needs fork and /proc")
def test_loading_each_hostile_file_takes_bounded_memory_and_time(tmp_path, bombs):
    paths = [str(make(tmp_path / f"{i}.pt", bombs)) for i, (_, make, _) in enumerate(HOSTILE)]
    paths += [str(path) for path, _, _ in special_files(tmp_path)]
    result = subprocess.run([sys.executable, "-c", MEASURE, *paths], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    rows = [line.rsplit(" ", 3) for line in result.stdout.splitlines()]
    assert [row[0] for row in rows] == paths
    names = [h[0] for h in HOSTILE] + [Path(p).name for p in paths[len(HOSTILE):]]
    report = sorted(((int(extra), float(seconds), name, int(code)) for name, (_, code, extra, seconds) in zip(names, rows)),
                    reverse=True)
    print(f"\n{len(report)} hostile files; worst memory: {report[0][2]} +{report[0][0] / MiB:.1f} MiB; "
          f"worst time: {max(report, key=lambda r: r[1])[2]} {max(r[1] for r in report):.2f} s")
    for extra, seconds, name, code in report:
        assert code == 0, f"{name}: not refused with a RuntimeError or OSError naming the file"
        assert extra < MEMORY_BOUND, f"{name}: {extra / MiB:.0f} MiB"
        assert seconds < TIME_BOUND, f"{name}: {seconds:.1f} s"


# ---------------------------------------------------------------------------------- content that loads


def test_a_string_lr_in_optimizer_state_loads_as_saved(tmp_path):
    """A string ``lr`` is data to ``load`` (as to torch.load); it is the optimizer that must
    refuse it, not the reader."""
    state = {"state": {}, "param_groups": [{"lr": "0.1", "momentum": 0, "params": [0]}]}
    save(state, tmp_path / "opt.pt")
    assert load(tmp_path / "opt.pt") == state


# ---------------------------------------------------------------------------------- killed saves

SAVER = r"""
import sys
import numpy as np
from tinygrad_edu.serialization import save
path, first = sys.argv[1], int(sys.argv[2])
print("ready", flush=True)
for i in range(first, first + 100000):
    save({"i": i, "w": np.full(1 << 21, i, dtype=np.int64)}, path)  # 16 MiB
"""


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_a_save_killed_mid_write_leaves_a_good_file_and_the_next_save_cleans_up(tmp_path):
    path = tmp_path / "ckpt.pt"
    save({"i": -1, "w": np.full(1 << 21, -1, dtype=np.int64)}, path)
    rng = np.random.default_rng(0)
    stale_seen, last, kill = 0, -1, 0
    while kill < 5 or (stale_seen == 0 and kill < 20):  # until a kill has landed mid-write
        saver = subprocess.Popen([sys.executable, "-c", SAVER, str(path), str(1000 * (kill + 1))],
                                 stdout=subprocess.PIPE, text=True)
        assert saver.stdout.readline() == "ready\n"
        time.sleep(0.2 + rng.uniform(0, 0.4))
        saver.send_signal(signal.SIGKILL)
        saver.wait()
        saver.stdout.close()
        checkpoint = load(path)  # the old or a new file, whole
        assert checkpoint["i"] == last or 1000 * (kill + 1) <= checkpoint["i"] < 1000 * (kill + 2)
        assert (checkpoint["w"] == checkpoint["i"]).all() and checkpoint["w"].shape == (1 << 21,)
        last = checkpoint["i"]
        left = [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
        assert len(left) <= 1  # the killed save's own, if any: each save removed the ones before
        stale_seen += len(left)
        kill += 1
    print(f"\n{kill} kills left {stale_seen} temp files behind (each removed by the next save)")
    assert stale_seen > 0, "no kill landed mid-save: the test proved nothing"
    save({"i": 0, "w": np.zeros(3)}, path)
    assert os.listdir(tmp_path) == ["ckpt.pt"]
