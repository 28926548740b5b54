"""How a tensor prints: ``repr(t)`` and ``str(t)``, laid out as PyTorch's ``torch/_tensor_str.py`` does."""
from __future__ import annotations

import numpy as np

from . import dtypes


def tensor_repr(t) -> str:
    """``repr(tensor)`` as PyTorch writes it: values, then the dtype and grad info it can't leave out."""
    empty = t.numel() == 0
    extras = [f"size={tuple(t.shape)}"] if empty and t.ndim != 1 else []
    # the dtype is left out where the values imply it; an empty tensor has no values to imply int or bool
    if t.dtype not in ((dtypes.float32,) if empty else (dtypes.float32, dtypes.int64, dtypes.bool_)):
        extras.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        extras.append(f"grad_fn=<{t.grad_fn.name}>")
    elif t.requires_grad:
        extras.append("requires_grad=True")
    body = "[]" if empty else _format_values(t.array)
    text, line = "tensor(" + body, len(body) - body.rfind("\n") + 1  # PyTorch's count of the last line
    for extra in extras:  # an extra that would pass 80 columns starts a new line, as in PyTorch
        if line + len(extra) + 2 > 80:
            text, line = text + ",\n" + " " * len("tensor(") + extra, len("tensor(") + len(extra)
        else:
            text, line = text + ", " + extra, line + len(extra) + 2
    return text + ")"


def _format_values(array: np.ndarray) -> str:
    """Values laid out the way PyTorch prints them (its ``_tensor_str``).

    All values are right-aligned to one width; a row breaks before 80 columns; past 1000
    values only the first and last 3 along each dim are shown, with ``...`` between.
    """
    summarize = array.size > 1000
    shown = array
    if summarize:
        shown = array[np.ix_(*[[i for i in _shown(n, True) if i is not None] for n in array.shape])]
    text, width = _value_format(shown)

    def block(a: np.ndarray, indent: int) -> str:
        if a.ndim == 0:
            return text(a.item()).rjust(width)
        if a.ndim == 1:
            items = [" ..." if i is None else text(a[i].item()).rjust(width)
                     for i in _shown(len(a), summarize)]
            per_line = max(1, (80 - indent) // (width + 2))
            lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
            return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
        rows = ["..." if i is None else block(a[i], indent + 1) for i in _shown(len(a), summarize)]
        return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(rows) + "]"

    return block(array, len("tensor("))


def _shown(n: int, summarize: bool) -> list:
    """The indices printed along a dim of size ``n``; None marks the ``...`` gap."""
    if summarize and n > 6:
        return [0, 1, 2, None, n - 3, n - 2, n - 1]
    return list(range(n))


def _value_format(shown: np.ndarray):
    """How one value prints, and the width every value is padded to.

    Floats get 4 decimals, or ``1.`` when all are whole, or ``1.0000e-05`` when the nonzero
    magnitudes span more than 1000x, pass 1e8 or fall below 1e-4. As in PyTorch, only the
    finite nonzero values set the width.
    """
    if shown.dtype.kind != "f":
        return str, max((len(str(v)) for v in shown.ravel().tolist()), default=1)
    values = shown.astype(np.float64).ravel()
    nonzero = values[np.isfinite(values) & (values != 0)]
    big, small = (np.abs(nonzero).max(), np.abs(nonzero).min()) if nonzero.size else (1.0, 1.0)
    if big / small > 1000 or big > 1e8 or small < 1e-4:
        text = "{:.4e}".format
    elif np.all(nonzero == np.ceil(nonzero)):
        text = lambda v: f"{v:.0f}." if np.isfinite(v) else f"{v:.0f}"  # noqa: E731  (nan, inf get no dot)
    else:
        text = "{:.4f}".format
    return text, max((len(text(v)) for v in nonzero.tolist()), default=1)
