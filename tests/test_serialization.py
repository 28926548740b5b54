"""save/load: exact round trips, the safetensors format read by PyTorch and back, old (zip)
checkpoints, atomic writes, and files that must be refused (never unpickled).

Hostile files (bombs, FIFOs, giant shapes) and killed saves are in test_hostile_files.py."""
import io
import json
import math
import os
import pickle
import re
import stat
import struct
import zipfile
from collections import OrderedDict, namedtuple
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tg
from tinygrad_edu import dtypes, serialization
from tinygrad_edu.serialization import load, save

LEGACY = Path(__file__).parent / "data" / "checkpoint_v1.pt"


def assert_same(a, b, where="obj"):
    """``b`` is ``a`` rebuilt: same types all the way down, same key order, the same bits."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} became {type(b).__name__}"
    if isinstance(a, tg.Tensor):
        assert (a.dtype, a.shape, a.requires_grad) == (b.dtype, b.shape, b.requires_grad), where
        assert b.is_leaf and b.grad is None, where
        assert a.array.tobytes() == b.array.tobytes(), where
    elif isinstance(a, (np.ndarray, np.generic)):
        assert (a.dtype, np.shape(a)) == (b.dtype, np.shape(b)), where
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), where
    elif isinstance(a, dict):
        assert [(type(k), k) for k in a] == [(type(k), k) for k in b], where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert struct.pack(">d", a) == struct.pack(">d", b), f"{where}: {a!r} became {b!r}"
    else:
        assert a == b, where


def round_trip(obj, **load_kwargs):
    buffer = io.BytesIO()
    save(obj, buffer)
    buffer.seek(0)
    return load(buffer, **load_kwargs)


# ---------------------------------------------------------------------------------- strategies

engine_arrays = hnp.arrays(st.sampled_from([d.np for d in dtypes.ALL]),
                           hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))


@st.composite
def tensors(draw):
    t = tg.from_numpy(draw(engine_arrays))
    if t.is_floating_point():
        t.requires_grad_(draw(st.booleans()))
    return t


numpy_values = hnp.arrays(hnp.scalar_dtypes(), hnp.array_shapes(min_dims=0, max_dims=2, max_side=3))
leaves = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=4), tensors(),
                   numpy_values, numpy_values.map(lambda a: a.reshape(-1)[0] if a.size else a))
keys = st.one_of(st.text(max_size=4), st.integers(), st.booleans(), st.none())
nested = st.recursive(leaves, lambda kids: st.one_of(
    st.lists(kids, max_size=3), st.lists(kids, max_size=3).map(tuple),
    st.dictionaries(keys, kids, max_size=3), st.dictionaries(keys, kids, max_size=3).map(OrderedDict)),
    max_leaves=12)


# ---------------------------------------------------------------------------------- round trips


@given(nested)
def test_round_trip_of_nested_structures_is_exact(obj):
    assert_same(obj, round_trip(obj))


@given(nested)
def test_every_file_save_writes_is_valid_safetensors(obj):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    buffer = io.BytesIO()
    save(obj, buffer)
    names = safetensors_numpy.load(buffer.getvalue())  # safetensors' own (Rust) parser and checks
    (length,) = struct.unpack("<Q", buffer.getvalue()[:8])
    assert sorted(names) == sorted(n for n in json.loads(buffer.getvalue()[8:8 + length]) if n != "__metadata__")


@pytest.mark.parametrize("dtype", dtypes.ALL, ids=lambda d: d.name)
@pytest.mark.parametrize("shape", [(), (0, 3), (2, 3, 4)])
def test_tensors_keep_dtype_shape_and_bits(tmp_path, dtype, shape):
    raw = np.random.default_rng(0).integers(0, 256, size=int(np.prod(shape)) * dtype.itemsize, dtype=np.uint8)
    array = raw.view(dtype.np).reshape(shape)  # every bit pattern, NaN payloads included
    if dtype is dtypes.bool_:
        array = np.asarray(raw.reshape(shape) % 2 == 1)
    t = tg.from_numpy(array)
    if dtype.is_floating_point:
        t.requires_grad_()
    save({"t": t, "transposed": t.T, "array": array}, tmp_path / "ckpt.pt")
    back = load(tmp_path / "ckpt.pt")
    assert back["t"].dtype is dtype
    assert_same({"t": t, "transposed": t.T, "array": array}, back)


def test_python_scalars_keep_their_type_and_every_bit():
    values = [0, -1, 2**100, 1.0, -0.0, 0.1, 5e-324, 1.7976931348623157e308, math.inf, -math.inf,
              struct.unpack(">d", bytes.fromhex("fff8000000000123"))[0], True, False, None, "", "ü\n\"'"]
    assert_same(values, round_trip(values))


def test_state_dict_key_order_and_type_are_kept():
    state = OrderedDict((name, tg.randn(2)) for name in ["fc.weight", "b", "a.bias", "0.weight"])
    back = round_trip(state)
    assert type(back) is OrderedDict and list(back) == ["fc.weight", "b", "a.bias", "0.weight"]
    plain = {"z": 1, "a": 2, 10: 3, 2: 4}
    assert_same(plain, round_trip(plain))


def test_optimizer_state_dict_round_trips_with_int_keys_and_tuples():
    state = {"state": {0: {"step": tg.tensor(3.0), "exp_avg": tg.randn(2, 3), "exp_avg_sq": tg.rand(2, 3)},
                       1: {"step": 3, "momentum_buffer": None}},
             "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0,
                               "amsgrad": False, "params": [0, 1]}]}
    back = round_trip(state)
    assert_same(state, back)
    assert back["param_groups"][0]["betas"] == (0.9, 0.999) and list(back["state"]) == [0, 1]


@pytest.mark.parametrize("loss_kind", ["float", "tensor"])
def test_tutorial_checkpoint_restores_model_and_optimizer(tmp_path, loss_kind):
    tg.manual_seed(0)
    model, x, y = tg.nn.Linear(3, 2), tg.randn(4, 3), tg.randn(4, 2)
    optimizer = tg.optim.Adam(model.parameters(), lr=0.01)
    loss = ((model(x) - y) ** 2).mean()
    loss.backward()
    optimizer.step()
    path = tmp_path / "ckpt.pt"
    save({"epoch": 5, "model_state_dict": model.state_dict(), "optimizer_state_dict": optimizer.state_dict(),
          "loss": loss.item() if loss_kind == "float" else loss}, path)

    checkpoint = load(path)
    restored = tg.nn.Linear(3, 2)
    restored.load_state_dict(checkpoint["model_state_dict"])
    restored_optimizer = tg.optim.Adam(restored.parameters(), lr=0.5)
    restored_optimizer.load_state_dict(checkpoint["optimizer_state_dict"])
    assert checkpoint["epoch"] == 5
    assert_same(model.state_dict(), restored.state_dict())
    assert_same(optimizer.state_dict(), restored_optimizer.state_dict())
    if loss_kind == "float":
        assert type(checkpoint["loss"]) is float and checkpoint["loss"] == loss.item()
    else:  # as in PyTorch: the graph is gone, the flag stays
        assert checkpoint["loss"].is_leaf and checkpoint["loss"].requires_grad
        assert checkpoint["loss"].item() == loss.item()


def test_parameters_load_as_parameters_and_shared_tensors_stay_shared():
    weight = tg.nn.Parameter(tg.randn(2, 2))
    frozen = tg.nn.Parameter(tg.randn(2), requires_grad=False)
    back = round_trip({"encoder": weight, "decoder": weight, "frozen": frozen, "copy": weight.detach()})
    assert type(back["encoder"]) is tg.nn.Parameter and back["encoder"].requires_grad
    assert back["encoder"] is back["decoder"]  # tied weights stay tied
    assert back["copy"] is not back["encoder"] and type(back["copy"]) is tg.Tensor
    assert type(back["frozen"]) is tg.nn.Parameter and not back["frozen"].requires_grad


def test_paths_and_file_objects(tmp_path):
    obj = {"w": tg.randn(3), "n": 1}
    save(obj, str(tmp_path / "a.pt"))
    assert_same(obj, load(str(tmp_path / "a.pt")))
    with open(tmp_path / "b.pt", "wb") as f:
        save(obj, f)
    with open(tmp_path / "b.pt", "rb") as f:
        assert_same(obj, load(f))

    class Stream(io.RawIOBase):  # a pipe-like reader that can't seek
        def __init__(self, data):
            self.data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self.data.readinto(b)

    assert_same(obj, load(Stream((tmp_path / "b.pt").read_bytes())))


def test_map_location_and_weights_only():
    obj = {"w": tg.randn(2)}
    for where in [None, "cpu", tg.device("cpu"), {"cuda:0": "cpu"}, lambda storage, location: storage]:
        assert_same(obj, round_trip(obj, map_location=where, weights_only=False))
    with pytest.raises(RuntimeError, match="CPU only.*cuda:0"):
        round_trip(obj, map_location="cuda:0")


def test_the_format_is_safetensors_with_the_structure_in_its_metadata(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    save({"w": tg.ones(2, 3), "step": 7, "opt": {0: tg.zeros(2, dtype=tg.float64)}}, tmp_path / "ckpt.pt")
    raw = (tmp_path / "ckpt.pt").read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + length])
    assert length % 8 == 0 and list(header) == ["__metadata__", "w", "opt.0"]
    tensors = safetensors_numpy.load_file(tmp_path / "ckpt.pt")
    np.testing.assert_array_equal(tensors["w"], np.ones((2, 3), np.float32))
    assert tensors["opt.0"].dtype == np.float64
    metadata = header["__metadata__"]
    assert (metadata["format"], metadata["version"]) == ("tinygrad_edu.checkpoint", "2")
    assert json.loads(metadata["data"]) == {"type": "dict", "items": [
        ["w", {"type": "tensor", "tensor": "w", "dtype": "float32", "shape": [2, 3], "requires_grad": False}],
        ["step", 7],
        ["opt", {"type": "dict", "items": [[0, {"type": "tensor", "tensor": "opt.0", "dtype": "float64",
                                                  "shape": [2], "requires_grad": False}]]}]]}


def test_a_header_whose_length_starts_like_a_pickle_is_read():
    """A 640-byte header (0x280) makes the file start b"\\x80\\x02", as a protocol-2 pickle does."""
    for n in range(640):
        obj = {"pad": "x" * n, "w": tg.ones(2)}
        buffer = io.BytesIO()
        save(obj, buffer)
        if buffer.getvalue()[:2] == b"\x80\x02":
            break
    else:
        pytest.fail("no padding made a 640-byte header")
    buffer.seek(0)
    assert_same(obj, load(buffer))


def test_colliding_tensor_names_get_a_suffix_and_tied_tensors_one_name(tmp_path):
    safetensors_numpy = pytest.importorskip("safetensors.numpy")
    a, b, c = tg.ones(1), tg.zeros(1), tg.full((1,), 2.0)
    obj = {"x.y": a, "x": {"y": b}, "__metadata__": c, "tied": a}
    save(obj, tmp_path / "ckpt.pt")
    names = list(safetensors_numpy.load_file(tmp_path / "ckpt.pt"))
    assert len(names) == 3 and "x.y" in names and "__metadata__" not in names
    back = load(tmp_path / "ckpt.pt")
    assert_same(obj, back)
    assert back["tied"] is back["x.y"]


def engine_and_torch_mlps(torch):
    tg.manual_seed(0)
    edu = tg.nn.Sequential(tg.nn.Linear(4, 3), tg.nn.ReLU(), tg.nn.Linear(3, 2))
    ref = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    return edu, ref


def test_an_engine_state_dict_loads_into_pytorch_with_safetensors(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    edu, ref = engine_and_torch_mlps(torch)
    save(edu.state_dict(), tmp_path / "model.safetensors")
    ref.load_state_dict(safetensors_torch.load_file(tmp_path / "model.safetensors"))
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    for name, value in ref.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), edu.state_dict()[name].detach().numpy(), err_msg=name)
    np.testing.assert_allclose(ref(torch.from_numpy(x)).detach().numpy(), edu(tg.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_a_pytorch_state_dict_saved_with_safetensors_loads_into_the_engine(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    edu, ref = engine_and_torch_mlps(torch)
    safetensors_torch.save_file(ref.state_dict(), tmp_path / "model.safetensors")
    loaded = load(tmp_path / "model.safetensors")
    assert sorted(loaded) == sorted(ref.state_dict())
    edu.load_state_dict(loaded)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(edu(tg.from_numpy(x)).detach().numpy(), ref(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)
    for name, value in ref.state_dict().items():
        assert type(loaded[name]) is tg.Tensor and not loaded[name].requires_grad
        np.testing.assert_array_equal(loaded[name].numpy(), value.numpy(), err_msg=name)


def test_a_safetensors_file_of_every_engine_dtype_from_pytorch_loads(tmp_path):
    torch = pytest.importorskip("torch")
    safetensors_torch = pytest.importorskip("safetensors.torch")
    tensors = {d.name: torch.arange(6).reshape(2, 3).to(getattr(torch, d.name)) for d in dtypes.ALL}
    safetensors_torch.save_file(tensors, tmp_path / "all.safetensors")
    loaded = load(tmp_path / "all.safetensors")
    for name, value in tensors.items():
        assert loaded[name].dtype.name == name
        np.testing.assert_array_equal(loaded[name].numpy(), value.numpy())
    safetensors_torch.save_file({"w": torch.ones(2, dtype=torch.bfloat16)}, tmp_path / "bf16.safetensors")
    with pytest.raises(RuntimeError, match="bf16.safetensors holds tensor 'w' of dtype BF16, which tinygrad_edu "
                                           "has no dtype for"):
        load(tmp_path / "bf16.safetensors")


# ---------------------------------------------------------------------------------- old checkpoints


def test_an_old_zip_checkpoint_still_loads():
    """tests/data/checkpoint_v1.pt was written by tinygrad_edu.save as of commit 2ea4f78 (format
    version 1, a zip of .npy files) from the object built here."""
    weight = tg.nn.Parameter(tg.from_numpy(np.arange(6, dtype=np.float32).reshape(2, 3) / 4))
    bias = tg.from_numpy(np.array([0.5, -1.25], dtype=np.float64)).requires_grad_()
    expected = {
        "epoch": 3,
        "model_state_dict": OrderedDict([("fc.weight", weight), ("fc.bias", bias), ("tied", weight)]),
        "optimizer_state_dict": {
            "state": {0: {"step": tg.tensor(3.0), "exp_avg": tg.from_numpy(np.full((2, 3), 0.125, np.float32))},
                      1: {"momentum_buffer": None}},
            "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "params": [0, 1]}]},
        "loss": math.nan, "inf": -math.inf,
        "big_endian": np.arange(4, dtype=">i4"),
        "fortran": np.asfortranarray(np.arange(6, dtype=np.int16).reshape(2, 3)),
        "scalar": np.float64(2.5), "mask": tg.from_numpy(np.array([True, False])), "empty": tg.zeros(0, 3),
    }
    back = load(LEGACY)
    assert_same(expected, back)
    assert back["model_state_dict"]["tied"] is back["model_state_dict"]["fc.weight"]
    assert back["fortran"].flags.f_contiguous
    assert_same(back, round_trip(back))  # and saves again in the new format


# ---------------------------------------------------------------------------------- atomic writes


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failed_save_keeps_the_previous_file_and_leaves_no_temp_files(tmp_path, monkeypatch, error):
    path = tmp_path / "ckpt.pt"
    save({"epoch": 1, "w": tg.zeros(3)}, path)
    (tmp_path / ".ckpt.pt.0123abcd.tmp").write_bytes(b"left by a killed save")

    def crash_after_the_first_array(out, header, arrays):
        out.write(header)
        out.write(arrays[0].tobytes())
        raise error

    monkeypatch.setattr(serialization, "_write", crash_after_the_first_array)
    with pytest.raises(type(error)):
        save({"epoch": 2, "w": tg.ones(3), "b": tg.ones(3)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    assert load(path)["epoch"] == 1


def test_stale_temp_files_of_the_target_are_removed_and_no_others(tmp_path):
    fcntl = pytest.importorskip("fcntl")
    path = tmp_path / "ckpt.pt"
    stale = [".ckpt.pt.0123abcd.tmp", ".ckpt.pt.deadbeef.tmp"]
    others = [".other.pt.0123abcd.tmp", ".ckpt.pt.notours.tmp", "ckpt.pt.0123abcd.tmp", ".ckpt.pt.0123abcd.tmp.bak"]
    live = ".ckpt.pt.feedf00d.tmp"  # a save still writing, in another process, holds its lock
    for name in stale + others + [live]:
        (tmp_path / name).write_bytes(b"partial")
    (tmp_path / ".ckpt.pt.00000000.tmp").mkdir()  # not a file: left alone
    with open(tmp_path / live, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        save({"w": tg.ones(2)}, path)
    assert sorted(os.listdir(tmp_path)) == sorted(["ckpt.pt", live, ".ckpt.pt.00000000.tmp", *others])
    save({"w": tg.ones(2)}, path)  # the lock is gone: so is that file
    assert live not in os.listdir(tmp_path)


@pytest.mark.skipif(os.name != "posix", reason="symlinks")
def test_saving_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path):
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "epoch3.pt"
    save({"epoch": 3}, target)
    link = tmp_path / "latest.pt"
    link.symlink_to("runs/epoch3.pt")
    save({"epoch": 4}, link)
    assert os.readlink(link) == "runs/epoch3.pt"
    assert load(target)["epoch"] == 4 and load(link)["epoch"] == 4
    assert sorted(os.listdir(tmp_path)) == ["latest.pt", "runs"] and os.listdir(tmp_path / "runs") == ["epoch3.pt"]
    dangling = tmp_path / "next.pt"
    dangling.symlink_to(tmp_path / "runs" / "epoch5.pt")
    save({"epoch": 5}, dangling)
    assert dangling.is_symlink() and load(tmp_path / "runs" / "epoch5.pt")["epoch"] == 5


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_resaving_keeps_the_files_permissions(tmp_path):
    path = tmp_path / "ckpt.pt"
    save({}, path)
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    for mode in (0o600, 0o640, 0o604):
        path.chmod(mode)
        save({"mode": mode}, path)
        assert stat.S_IMODE(path.stat().st_mode) == mode and load(path)["mode"] == mode


@pytest.mark.skipif(os.name != "posix" or os.geteuid() != 0, reason="only root can give a file to another user")
def test_resaving_as_root_keeps_the_files_owner(tmp_path):
    path = tmp_path / "ckpt.pt"
    save({}, path)
    os.chown(path, 65534, 65534)
    save({"again": True}, path)
    assert (path.stat().st_uid, path.stat().st_gid) == (65534, 65534) and load(path) == {"again": True}


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root may write a read-only file")
def test_a_read_only_file_is_not_replaced(tmp_path):
    path = tmp_path / "ckpt.pt"
    save({"epoch": 1}, path)
    path.chmod(0o444)
    with pytest.raises(PermissionError, match=re.escape(str(path))):
        save({"epoch": 2}, path)
    assert load(path)["epoch"] == 1 and os.listdir(tmp_path) == ["ckpt.pt"]


def test_save_to_a_missing_directory_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        save({}, tmp_path / "nowhere" / "ckpt.pt")


# ---------------------------------------------------------------------------------- refusals on save


def test_saving_a_whole_model_explains_why_and_what_to_do(tmp_path):
    model = tg.nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"whole model \(Linear\).*pickle.*refuses by design.*state_dict\(\)"):
        save(model, tmp_path / "model.pt")
    with pytest.raises(TypeError, match=r"obj\['model'\], a whole model"):
        save({"epoch": 1, "model": model}, tmp_path / "model.pt")
    with pytest.raises(TypeError, match=r"Adam.*save its state_dict\(\) instead"):
        save(tg.optim.Adam(model.parameters()), tmp_path / "model.pt")
    assert os.listdir(tmp_path) == []  # no file and no temp file


class Point:
    pass


@pytest.mark.parametrize("obj, match", [
    ({"a": [1, Point()]}, r"obj\['a'\]\[1\] of type Point"),
    (namedtuple("Pair", "x y")(1, 2), "of type Pair"),
    ({1.5: 1}, "dict keys must be str, int, bool or None"),
    (np.array([{}, 1], dtype=object), "objects needs pickle"),
    (np.zeros(2, dtype=[("x", "<f4"), ("n", "<i8")]), r"dtype \[\('x', '<f4'\), \('n', '<i8'\)\] \(records"),
    ({1, 2}, "of type set"),
])
def test_objects_that_would_need_pickle_are_refused(obj, match):
    with pytest.raises(TypeError, match=match):
        save(obj, io.BytesIO())


def test_a_structure_that_contains_itself_is_refused():
    loop = [1]
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        save(loop, io.BytesIO())


# ---------------------------------------------------------------------------------- refusals on load


class MakesMarker:
    """Unpickling this creates ``path``: the file appearing would mean code ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def evil_pickle(marker: Path) -> bytes:
    payload = pickle.dumps(MakesMarker(marker))
    pickle.loads(payload)  # prove the payload works: plain pickle does run it
    assert marker.exists()
    marker.unlink()
    return payload


def write_zip(path: Path, members: dict) -> Path:
    """An archive laid out as the old format's (members stored uncompressed)."""
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def manifest(data, **header) -> str:
    return json.dumps({"format": "tinygrad_edu.checkpoint", "version": 1, "data": data, **header})


def test_a_pickle_is_refused_without_running_it(tmp_path):
    marker = tmp_path / "pwned"
    payload = evil_pickle(marker)
    path = tmp_path / "evil.pt"
    path.write_bytes(payload)
    with pytest.raises(RuntimeError, match=f"{re.escape(str(path))} is not a tinygrad_edu checkpoint: it is a pickle"):
        load(path)
    npy_node = {"type": "ndarray", "file": "arrays/0.npy", "dtype": "object", "shape": []}
    object_npy = io.BytesIO()
    np.save(object_npy, np.array(MakesMarker(marker), dtype=object), allow_pickle=True)
    for members in [{"archive/data.pkl": payload, "archive/version": "3"},  # dressed as PyTorch's
                    {"manifest.json": manifest(npy_node), "arrays/0.npy": payload},  # pickle as .npy
                    {"manifest.json": manifest(npy_node), "arrays/0.npy": object_npy.getvalue()}]:
        with pytest.raises(RuntimeError, match=re.escape(str(path))):
            load(write_zip(path, members))
    assert not marker.exists()


@pytest.mark.parametrize("data, match", [
    ({"type": "pickle", "data": "gASV"}, "unknown node type 'pickle'"),
    ({"type": "tensor", "file": "arrays/9.npy", "dtype": "float32", "shape": [], "requires_grad": False},
     "arrays/9.npy is missing"),
    ({"type": "tensor", "file": "arrays/0.npy", "dtype": "float64", "shape": [2], "requires_grad": False},
     "holds float32 \\[2\\], the metadata says float64"),
    ({"type": "tensor", "file": "arrays/0.npy", "dtype": "float32", "shape": [3], "requires_grad": False},
     "holds float32 \\[2\\], the metadata says float32 \\[3\\]"),
    ({"type": "tensor", "file": "arrays/0.npy", "dtype": "float32", "shape": [2], "requires_grad": "yes"},
     "a bool 'requires_grad'"),
    ({"type": "dict", "items": [[[1], 2]]}, "bad dict item"),
    ({"type": "list", "items": {"a": 1}}, "a list 'items'"),
    ({"type": "float", "bits": "00"}, "needs 8 bytes"),
    ([1, 2], "expected a node"),
])
def test_a_manifest_naming_unknown_or_inconsistent_entries_is_refused(tmp_path, data, match):
    npy = io.BytesIO()
    np.save(npy, np.zeros(2, np.float32))
    path = write_zip(tmp_path / "crafted.pt", {"manifest.json": manifest(data), "arrays/0.npy": npy.getvalue()})
    with pytest.raises(RuntimeError, match=f"{re.escape(str(path))} is truncated or corrupt .*{match}"):
        load(path)


@pytest.mark.parametrize("content, match", [
    (b"hello world", "is not a tinygrad_edu checkpoint \\(neither safetensors nor a zip archive"),
    ({"weights.npy": b""}, "is not a tinygrad_edu checkpoint \\(a zip archive without manifest.json"),
    ({"manifest.json": json.dumps({"format": "other", "version": 1})},
     "is not a tinygrad_edu checkpoint \\(manifest.json does not name the format"),
    ({"manifest.json": manifest(None, version=3)}, "was written by a newer tinygrad_edu \\(format version 3"),
    ({"manifest.json": manifest(None, version=2)}, "is truncated or corrupt \\(format version 2 in manifest.json"),
    ({"manifest.json": json.dumps({"format": "tinygrad_edu.checkpoint"})},
     "is truncated or corrupt \\(format version None in manifest.json"),
    ({"manifest.json": manifest(None, version="1")}, "is truncated or corrupt \\(format version '1'"),
    ({"manifest.json": "{not json"}, "is truncated or corrupt \\(JSONDecodeError"),
    ({"manifest.json": "[" * 100_000}, "is truncated or corrupt"),
    (b"", "is truncated or corrupt \\(too short"),
])
def test_foreign_files_are_named_and_refused(tmp_path, content, match):
    path = tmp_path / "foreign.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        write_zip(path, content)
    with pytest.raises(RuntimeError, match=f"{re.escape(str(path))} {match}"):
        load(path)


@pytest.mark.parametrize("version", [2, 1])
def test_every_truncation_and_byte_flip_is_a_clear_error(tmp_path, version):
    buffer = io.BytesIO()
    save({"w": tg.randn(3, 2), "step": 3, "betas": (0.9, 0.999)}, buffer)
    data = buffer.getvalue() if version == 2 else LEGACY.read_bytes()
    path = tmp_path / "ckpt.pt"
    for n in range(0, len(data), 7):
        path.write_bytes(data[:n])
        with pytest.raises(RuntimeError, match=f"{re.escape(str(path))} is truncated or corrupt"):
            load(path)
    for i in range(0, len(data), 1 if version == 2 else 5):  # a flip changes nothing read, or is caught
        damaged = bytearray(data)
        damaged[i] ^= 0xFF
        try:
            load(io.BytesIO(bytes(damaged)))
        except RuntimeError as e:
            assert str(e).startswith("<BytesIO> ")


def test_a_pytorch_checkpoint_is_recognised(tmp_path):
    torch = pytest.importorskip("torch")
    path = tmp_path / "torch.pt"
    torch.save({"w": torch.ones(2)}, path)
    with pytest.raises(RuntimeError, match=f"{re.escape(str(path))} is not a tinygrad_edu checkpoint: this looks like a "
                                           "PyTorch checkpoint.*reference_torch"):
        load(path)
    torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="it is a pickle .*old torch.save"):
        load(path)
