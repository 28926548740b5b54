"""The Optimizer base class: parameter groups, per-parameter state, zero_grad and state_dict."""
from __future__ import annotations

import copy
import numbers
from collections import defaultdict

import numpy as np

from ..tensor import Tensor


class Optimizer:
    """Holds ``param_groups`` (lists of parameters with their own hyper-parameters) and ``state``
    (per parameter: momentum buffers, Adam's moments...). Subclasses write ``step``.

    A parameter that does not require grad is accepted, as in torch: it has no gradient, so
    ``step`` leaves it alone.
    """

    def __init__(self, params, defaults: dict):
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of Tensors or dicts, "
                            f"but got {_typename(params)}")
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)  # a parameter gets an entry once step() stores some
        self.param_groups: list[dict] = []
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        if not isinstance(group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(group)}")
        group = dict(group)
        if isinstance(group["params"], set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the ordering "
                            "of tensors in sets will change between runs. Please use a list instead.")
        params = list(group["params"]) if not isinstance(group["params"], Tensor) else [group["params"]]
        names = [p[0] for p in params if isinstance(p, tuple)]  # from model.named_parameters()
        group["params"] = [p[1] if isinstance(p, tuple) else p for p in params]
        if names:
            if len(names) != len(params):
                raise ValueError("all optimizer params should be with/without names. Some param names are missing")
            group["param_names"] = names
        for other in self.param_groups:
            if ("param_names" in other) != bool(names):
                raise ValueError("all optimizer param groups should be with/without names. cannot add param group "
                                 f"{'with' if names else 'without'} names to the optimizer")
        for p in group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is {_typename(p)}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in group["params"]):
            raise ValueError("some parameters appear in more than one parameter group")
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.array[...] = 0

    def step(self):
        raise NotImplementedError

    def _new_state(self, group: dict, p: Tensor) -> dict:
        """The state a parameter starts with, keys in torch's order. Subclasses that keep state
        from the first step (Adam's moments...) say what it is; SGD makes its buffer itself."""
        return {}

    def _state(self, group: dict, p: Tensor) -> dict:
        """``p``'s state, started with ``_new_state`` the first time."""
        state = self.state[p]
        if not state:
            state.update(self._new_state(group, p))
        return state

    def _params_with_grad(self) -> list[tuple[dict, Tensor]]:
        """(group, parameter) for every parameter that has a gradient this step.

        Every gradient is checked against its parameter (shape and dtype) before any is used,
        so a bad one stops the step before it changes anything.
        """
        found, index = [], 0  # the step changes each found parameter in place: its version moves (below)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    grad = p.grad.array
                    if grad.shape != p.array.shape or grad.dtype != p.array.dtype:
                        raise RuntimeError(
                            f"{type(self).__name__}.step: the gradient of parameter {index} has shape "
                            f"{tuple(grad.shape)} and dtype {grad.dtype}, but the parameter has shape "
                            f"{tuple(p.array.shape)} and dtype {p.array.dtype}")
                    found.append((group, p))
                index += 1
        for _, p in found:
            p._counter[0] += 1  # as torch's in-place update does: a graph that saved p now refuses backward
        return found

    # ------------------------------------------------------------------ state_dict

    def state_dict(self) -> dict:
        """PyTorch's layout: parameters are numbered in group order; state is keyed by those numbers."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {index[id(p)]: {k: (v.detach() if isinstance(v, Tensor) else v) for k, v in s.items()}
                 for p, s in self.state.items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Load ``state_dict()``'s output (ours, or torch's with its tensors as numpy arrays).

        Everything is checked before anything changes, so a bad entry leaves the optimizer as it
        was: group count and sizes (torch's messages), hyper-parameter types, every state
        tensor's shape against its parameter, and that each parameter's state has what this
        optimizer keeps (Adam's exp_avg...). Tensors are copied; float ones take the
        parameter's dtype, except ``step``.
        """
        name = f"{type(self).__name__}.load_state_dict"
        for key in ("state", "param_groups"):
            if key not in state_dict:
                raise KeyError(f"{name}: the state dict has no '{key}' entry")
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        by_index, loaded_group = {}, {}  # saved index -> parameter; id(parameter) -> its group once loaded
        for g, (saved, own) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size "
                                 "of optimizer's group")
            by_index.update(zip(saved["params"], own["params"]))
            loaded_group.update((id(p), {**own, **saved}) for p in own["params"])
            for key, value in saved.items():
                if key != "params" and key in own:
                    _check_hyper_parameter(f"{name}: param_groups[{g}]['{key}']", value, own[key])

        if len(by_index) != sum(len(saved["params"]) for saved in groups):
            raise ValueError(f"{name}: the saved param_groups list a parameter index more than once")

        state = defaultdict(dict)
        for index, values in state_dict["state"].items():
            if isinstance(index, str) and index.isdigit():  # keys of a checkpoint stored as text
                index = int(index)
            if index not in by_index:
                raise ValueError(f"{name}: state for parameter {index}, but the saved groups number "
                                 f"{len(by_index)} parameters")
            p = by_index[index]
            if not isinstance(values, dict):
                raise TypeError(f"{name}: the state of parameter {index} must be a dict, not {_typename(values)}")
            state[p] = {key: _copy_state(f"{name}: state[{index}]['{key}']", key, value, p)
                        for key, value in values.items()}
            missing = [key for key in self._new_state(loaded_group[id(p)], p) if key not in values] if values else []
            if missing:
                raise ValueError(f"{name}: state[{index}] has no {', '.join(map(repr, missing))}, which "
                                 f"{type(self).__name__} keeps with these hyper-parameters")

        self.state = state
        for saved, own in zip(groups, self.param_groups):
            own.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})


def step_count() -> Tensor:
    """A new step counter: torch keeps it as a float32 scalar tensor."""
    return Tensor._make(np.array(0.0, dtype=np.float32))


def zeros_like(p: Tensor) -> Tensor:
    """A new state buffer for parameter ``p``: zeros of its shape and dtype."""
    return Tensor._make(np.zeros_like(p.array))


def _typename(value) -> str:
    kind = type(value)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _check_hyper_parameter(what: str, value, current) -> None:
    """A loaded hyper-parameter must be of the kind the optimizer holds: bool, number, tuple of numbers."""
    if current is None or isinstance(current, str):
        return
    if isinstance(current, (bool, np.bool_)):
        ok = isinstance(value, (bool, np.bool_))
    elif _is_number(current):
        ok = _is_number(value)
    elif isinstance(current, (tuple, list)):
        ok = (isinstance(value, (tuple, list)) and len(value) == len(current)
              and all(_is_number(v) for v in value))
    else:
        return
    if not ok:
        raise TypeError(f"{what} is {value!r} ({_typename(value)}); expected a value like the optimizer's "
                        f"{current!r}")


def _copy_state(what: str, key: str, value, param: Tensor):
    """A private copy of a saved state value, checked against its parameter.

    ``step`` becomes a float32 scalar tensor (torch's type); other tensors must have the
    parameter's shape and take its dtype.
    """
    if value is None:
        return None
    if _is_number(value) and key == "step":
        value = np.array(value, dtype=np.float32)
    if isinstance(value, (Tensor, np.ndarray)):
        array = value.array if isinstance(value, Tensor) else value
        if array.dtype.kind not in "biuf":
            raise TypeError(f"{what} is an array of {array.dtype}; expected numbers")
        if key == "step":
            if array.size != 1:
                raise ValueError(f"{what} must hold one number, but has shape {tuple(array.shape)}")
            return Tensor._make(np.array(array.reshape(()), dtype=np.float32))
        if array.shape != param.array.shape:
            raise ValueError(f"{what} has shape {tuple(array.shape)}, but its parameter has shape "
                             f"{tuple(param.array.shape)}")
        return Tensor._make(np.array(array, dtype=param.array.dtype, copy=True))
    if _is_number(value) or isinstance(value, (bool, np.bool_)):
        return value
    raise TypeError(f"{what} is {_typename(value)}; expected a tensor, an array or a number")
