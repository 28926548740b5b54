"""The element types a tensor can hold, and how two of them combine (type promotion).

Each dtype wraps the numpy dtype that stores it. Promotion follows PyTorch's rules for
the cases the tutorial meets:

* categories rank bool < integer < floating; the higher category wins,
* within a category the wider type wins (float32 + float64 -> float64),
* a Python number (or a numpy scalar, which counts as the Python number of its kind) or a
  0-dim tensor only changes the result when it is of a higher category than the sized tensors
  (float32 tensor * 2.0 stays float32, but an int64 tensor * 0.5 becomes the default float type, float32).
"""
from __future__ import annotations

import numpy as np


class dtype:
    """One element type: ``tinygrad_edu.float32`` and friends."""

    def __init__(self, name: str, np_dtype, scalar_name: str):
        self.name = name
        self.scalar_name = scalar_name  # PyTorch's name in messages and tensor types: "Long" for int64
        self.np = np.dtype(np_dtype)
        self.is_floating_point = self.np.kind == "f"
        self.itemsize = self.np.itemsize

    def __repr__(self) -> str:
        return f"tinygrad_edu.{self.name}"

    def __reduce__(self):
        return (from_numpy_dtype, (self.np,))


float16 = dtype("float16", np.float16, "Half")
float32 = dtype("float32", np.float32, "Float")
float64 = dtype("float64", np.float64, "Double")
uint8 = dtype("uint8", np.uint8, "Byte")
int8 = dtype("int8", np.int8, "Char")
int16 = dtype("int16", np.int16, "Short")
int32 = dtype("int32", np.int32, "Int")
int64 = dtype("int64", np.int64, "Long")
bool_ = dtype("bool", np.bool_, "Bool")

ALL = (float16, float32, float64, uint8, int8, int16, int32, int64, bool_)
_BY_NUMPY = {d.np: d for d in ALL}
default_float = float32


def set_default_dtype(d: dtype) -> None:
    """Make ``d`` the type of Python floats in new tensors (``tensor([1.0])``, ``zeros(2)``, ``rand``...)
    and of int ops that give floats (``/``, ``sin``). Floats only, as in PyTorch."""
    global default_float
    if not isinstance(d, dtype) or not d.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    default_float = d


def get_default_dtype() -> dtype:
    return default_float


def from_numpy_dtype(np_dtype) -> dtype:
    """The engine dtype stored as ``np_dtype``; a TypeError for kinds we do not support."""
    d = _BY_NUMPY.get(np_dtype)  # an array's own dtype object: found without building np.dtype (every op asks)
    if d is not None:
        return d
    try:
        return _BY_NUMPY[np.dtype(np_dtype)]
    except (KeyError, TypeError):
        raise TypeError(f"can't convert np.ndarray of type {np.dtype(np_dtype)}. The only supported "
                        "types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool.")


def to_dtype(d) -> dtype:
    """Accept an engine dtype, a numpy dtype or the Python types float/int/bool."""
    if isinstance(d, dtype):
        return d
    python_types = {float: default_float, int: int64, bool: bool_}
    if d in python_types:
        return python_types[d]
    return from_numpy_dtype(d)


def _category(d: dtype) -> int:
    return 0 if d is bool_ else 2 if d.is_floating_point else 1


def _scalar_dtype(x) -> dtype:
    """A Python number's kind; a numpy scalar counts as the Python number of its kind (np.int64 as int),
    except np.bool_, which PyTorch reads as a float."""
    if isinstance(x, bool):
        return bool_
    if isinstance(x, (int, np.integer)):
        return int64
    return default_float


def has_engine_dtype(x) -> bool:
    """Whether ``x`` is a tensor, told apart by its engine dtype (a numpy array's dtype is numpy's)."""
    return isinstance(getattr(x, "dtype", None), dtype)


def _rank(x) -> tuple[dtype, int]:
    """(dtype, tier) of one operand: 0 for a tensor with dims, 1 for a 0-dim tensor, 2 for a number."""
    d = getattr(x, "dtype", None)
    if isinstance(d, dtype):
        return d, 0 if x.ndim else 1
    return _scalar_dtype(x), 2


def _widest(ds: list[dtype]) -> dtype | None:
    """The widest dtype of the highest category (int64 with float32 gives float32, as in PyTorch)."""
    if len(ds) <= 1:  # the common case (one tensor, one number) needs no search
        return ds[0] if ds else None
    top = max(_category(d) for d in ds)
    return from_numpy_dtype(np.result_type(*[d.np for d in ds if _category(d) == top]))


def result_type(*operands) -> dtype:
    """The dtype of an elementwise op on ``operands`` (tensors and Python numbers).

    Operands are ranked in three tiers, as PyTorch does: tensors with dims, 0-dim tensors,
    Python numbers. A lower tier only matters when its category is higher. Promotion needs
    only each operand's dtype and rank, so a tensor here is anything whose ``.dtype`` is one of
    ours (and that has ``.ndim``); everything else counts as a Python number.
    """
    ranked = [_rank(x) for x in operands]
    d, tier = ranked[0]
    if tier == 0 and all(e is d if t < 2 else _category(e) <= _category(d) for e, t in ranked[1:]):
        return d  # the common case: a sized tensor and like operands
    tiers: list[list[dtype]] = [[], [], []]
    for e, t in ranked:
        tiers[t].append(e)
    result = None
    for tier, ds in enumerate(tiers):
        best = _widest(ds)
        if best is None:
            continue
        if result is None:
            result = best
        elif _category(best) > _category(result):
            # a float scalar lifts an int tensor to the default float type, not to float64
            result = default_float if tier == 2 and best.is_floating_point else best
    return result



def can_cast(src: dtype, dst: dtype) -> bool:
    """Whether an op may write a ``src`` result into a ``dst`` tensor (in-place ops): never to a lower
    category (float into int, int into bool), as PyTorch's ``can_cast``."""
    return _category(src) <= _category(dst)
