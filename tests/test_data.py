"""tinygrad_edu.utils.data: Dataset, DataLoader and default_collate, checked against torch's."""
import collections

import numpy as np
import pytest
import torch
import torch.utils.data as torch_data

import tinygrad_edu as tg
from tinygrad_edu.utils.data import (ConcatDataset, DataLoader, Dataset, IterableDataset, Subset, TensorDataset,
                                     default_collate, random_split)


def dataset(n=10, features=3):
    x = tg.from_numpy(np.arange(n * features, dtype=np.float32).reshape(n, features))
    return TensorDataset(x, tg.from_numpy(np.arange(n, dtype=np.int64) % 4))


def labels_seen(loader):
    return [int(v) for _, y in loader for v in y.numpy()]


def to_torch(sample):
    """The same sample with our tensors swapped for torch tensors."""
    if isinstance(sample, tg.Tensor):
        return torch.from_numpy(sample.numpy().copy())
    if isinstance(sample, dict):
        return {k: to_torch(v) for k, v in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*map(to_torch, sample))
    if isinstance(sample, (tuple, list)):
        return type(sample)(map(to_torch, sample))
    return sample


def assert_same_batch(ours, theirs):
    """Same structure, container types, dtypes, shapes and values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, tg.Tensor), type(ours)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        return
    assert type(ours) is type(theirs), (type(ours), type(theirs))
    if isinstance(theirs, dict):
        assert ours.keys() == theirs.keys()
        for k in theirs:
            assert_same_batch(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same_batch(a, b)
    else:
        assert ours == theirs


Point = collections.namedtuple("Point", ["x", "y"])

SAMPLES = {
    "tensors": [tg.tensor([[1.0, 2.0]]), tg.tensor([[3.0, 4.0]])],
    "uint8 arrays": [np.full((2, 2), i, np.uint8) for i in range(3)],
    "float64 arrays": [np.random.default_rng(0).random(4) for _ in range(2)],
    "numpy int32 scalars": [np.int32(1), np.int32(7)],
    "numpy float32 scalars": [np.float32(0.5), np.float32(2)],
    "0-dim arrays": [np.array(1.5), np.array(2.5)],
    "python floats": [0.5, 1.25, 3.0],
    "python ints": [1, 2, 3],
    "python bools": [True, False],
    "strings": ["a", "b"],
    "tuples": [(1, 0.5, "a"), (2, 1.5, "b")],
    "lists": [[1, 2], [3, 4]],
    "dicts": [{"image": np.zeros((3, 2), np.float32), "label": 1}, {"image": np.ones((3, 2), np.float32), "label": 2}],
    "namedtuples": [Point(1, 2.0), Point(3, 4.0)],
    "nested": [({"a": [1, 2.0]}, tg.tensor([1, 2])), ({"a": [3, 4.0]}, tg.tensor([5, 6]))],
}


@pytest.mark.parametrize("kind", SAMPLES)
def test_default_collate_matches_torch(kind):
    batch = SAMPLES[kind]
    assert_same_batch(default_collate(batch), torch_data.default_collate([to_torch(s) for s in batch]))


def test_default_collate_errors_read_like_torch():
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [3]])
    with pytest.raises(TypeError, match="default_collate: batch must contain tensors"):
        default_collate([object()])
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([tg.zeros(2), tg.zeros(3)])


def test_collate_keeps_autograd_for_tensors_that_want_it():
    w = tg.tensor([1.0, 2.0], requires_grad=True)
    default_collate([w * 2, w * 3]).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [5.0, 5.0])


@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (10, 5, False),
                                                      (10, 5, True), (10, 16, False), (10, 16, True)])
def test_batches_and_len(n, batch_size, drop_last):
    loader = DataLoader(dataset(n), batch_size=batch_size, drop_last=drop_last)
    sizes = [len(x) for x, _ in loader]
    full, rest = divmod(n, batch_size)
    assert sizes == [batch_size] * full + ([rest] if rest and not drop_last else [])
    assert len(loader) == len(sizes)


def test_unshuffled_batches_match_torch_dataloader():
    ours = dataset(11)
    theirs = torch_data.TensorDataset(*(torch.from_numpy(t.numpy()) for t in ours.tensors))
    for a, b in zip(DataLoader(ours, batch_size=4), torch_data.DataLoader(theirs, batch_size=4), strict=True):
        assert_same_batch(a, b)


def test_shuffle_is_a_fresh_permutation_each_epoch_and_replays_with_the_same_seed():
    def epochs(seed, count=3):
        loader = DataLoader(dataset(20), batch_size=6, shuffle=True, generator=tg.Generator().manual_seed(seed))
        return [labels_seen(loader) for _ in range(count)]

    first = epochs(seed=5)
    assert first == epochs(seed=5)
    assert first != epochs(seed=6)
    assert first[0] != first[1]  # reshuffled every epoch
    for order in first:
        assert sorted(order) == sorted(np.arange(20) % 4)


def test_shuffle_without_generator_follows_manual_seed():
    loader = DataLoader(dataset(30), batch_size=7, shuffle=True)
    saved = tg.default_generator.get_state()  # leave the global generator as other tests found it
    try:
        tg.manual_seed(3)
        a = [x.numpy().copy() for x, _ in loader]
        tg.manual_seed(3)
        b = [x.numpy().copy() for x, _ in loader]
    finally:
        tg.default_generator.set_state(saved)
    for u, v in zip(a, b, strict=True):
        np.testing.assert_array_equal(u, v)


class LandmarksDataset(Dataset):
    """The tutorial's FaceLandmarksDataset, with random images instead of files."""

    def __init__(self, n=6):
        rng = np.random.default_rng(0)
        self.images = rng.random((n, 3, 8, 8), dtype=np.float32)
        self.landmarks = rng.random((n, 5, 2), dtype=np.float32)

    def __len__(self):
        return len(self.images)

    def __getitem__(self, idx):
        return {"image": tg.from_numpy(self.images[idx]), "landmarks": tg.from_numpy(self.landmarks[idx])}


def test_dict_samples_collate_into_a_dict_of_batches():
    ds = LandmarksDataset()
    batches = list(DataLoader(ds, batch_size=4))
    assert [b["image"].shape for b in batches] == [(4, 3, 8, 8), (2, 3, 8, 8)]
    assert [b["landmarks"].shape for b in batches] == [(4, 5, 2), (2, 5, 2)]
    np.testing.assert_array_equal(batches[1]["landmarks"].numpy(), ds.landmarks[4:])


class CountingTensorDataset(TensorDataset):
    calls = 0

    def __getitem__(self, index):
        CountingTensorDataset.calls += 1
        return super().__getitem__(index)


def test_tensor_dataset_batches_in_one_gather_and_equal_the_sample_by_sample_path():
    x = tg.from_numpy(np.random.default_rng(1).random((50, 4), dtype=np.float32))
    ds = CountingTensorDataset(x, tg.arange(50))
    fast = list(DataLoader(ds, batch_size=8, shuffle=True, generator=tg.Generator().manual_seed(0)))
    assert CountingTensorDataset.calls == 0
    slow = list(DataLoader(ds, batch_size=8, shuffle=True, generator=tg.Generator().manual_seed(0),
                           collate_fn=lambda samples: default_collate(samples)))
    assert CountingTensorDataset.calls == 50
    for a, b in zip(fast, slow, strict=True):
        for u, v in zip(a, b, strict=True):
            assert u.dtype == v.dtype
            np.testing.assert_array_equal(u.numpy(), v.numpy())


def test_subset_keeps_the_fast_path_and_picks_its_indices():
    sub = Subset(dataset(10), [7, 2, 5])
    x, y = sub[1]
    assert x.tolist() == [6.0, 7.0, 8.0] and int(y) == 2
    x, y = next(iter(DataLoader(sub, batch_size=3)))
    np.testing.assert_array_equal(y.numpy(), [3, 2, 1])
    np.testing.assert_array_equal(x.numpy()[:, 0], [21, 6, 15])


def test_torch_style_getitems_hook_is_honoured():
    class Batched(Dataset):
        def __len__(self):
            return 5

        def __getitems__(self, indices):
            return [(i, float(i)) for i in indices]

    ints, floats = next(iter(DataLoader(Batched(), batch_size=5)))
    assert ints.dtype == tg.int64 and floats.dtype == tg.float64
    np.testing.assert_array_equal(ints.numpy(), np.arange(5))


def test_iterable_dataset_is_batched_in_order():
    class Stream(IterableDataset):
        def __iter__(self):
            return iter(range(7))

    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [b.tolist() for b in DataLoader(Stream(), batch_size=3, drop_last=True)] == [[0, 1, 2], [3, 4, 5]]
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Stream(), shuffle=True)


def test_tutorial_style_iterator_next():
    it = iter(DataLoader(dataset(4), batch_size=2))
    x, y = it.next()
    assert x.shape == (2, 3)
    assert next(it)[1].tolist() == [2, 3]
    with pytest.raises(StopIteration):
        next(it)


def test_num_workers_is_accepted_and_changes_nothing():
    a = labels_seen(DataLoader(dataset(9), batch_size=2, num_workers=4))
    assert a == labels_seen(DataLoader(dataset(9), batch_size=2))


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 0}, "batch_size should be a positive integer value"),
    ({"num_workers": -1}, "num_workers option should be non-negative"),
    ({"shuffle": True, "sampler": [0, 1]}, "sampler option is mutually exclusive with shuffle"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DataLoader(dataset(4), **kwargs)


def test_custom_sampler_sets_the_order():
    loader = DataLoader(dataset(6), batch_size=2, sampler=[5, 4, 3, 2, 1, 0])
    assert labels_seen(loader) == [1, 0, 3, 2, 1, 0]
    assert len(loader) == 3


def test_random_split_lengths_fractions_and_determinism():
    ds = dataset(10)
    parts = random_split(ds, [7, 3], generator=tg.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [7, 3]
    assert sorted(parts[0].indices + parts[1].indices) == list(range(10))
    again = random_split(ds, [7, 3], generator=tg.Generator().manual_seed(1))
    assert again[0].indices == parts[0].indices
    assert [len(p) for p in random_split(ds, [0.55, 0.45])] == [6, 4]  # leftover goes to the first
    with pytest.raises(ValueError, match="Sum of input lengths does not equal"):
        random_split(ds, [5, 4])


def test_concat_dataset_and_plus():
    both = dataset(3) + dataset(4)
    assert isinstance(both, ConcatDataset) and len(both) == 7
    assert int(both[3][1]) == 0 and int(both[-1][1]) == 3
    with pytest.raises(ValueError, match="should not exceed dataset length"):
        both[-8]


def test_tensor_dataset_size_mismatch():
    with pytest.raises(ValueError, match="Size mismatch between tensors"):
        TensorDataset(tg.zeros(3, 2), tg.zeros(4))
