"""The Optimizer base class: parameter groups, per-parameter state, zero_grad and state_dict."""
from __future__ import annotations

import copy
from collections import defaultdict

import numpy as np

from ..tensor import Tensor


class Optimizer:
    """Holds ``param_groups`` (lists of parameters with their own hyper-parameters) and ``state``
    (per parameter: momentum buffers, Adam's moments...). Subclasses write ``step``.
    """

    def __init__(self, params, defaults: dict):
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
        group = dict(group)
        group["params"] = list(group["params"]) if not isinstance(group["params"], Tensor) else [group["params"]]
        for p in group["params"]:
            if not p.requires_grad or not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor" if not p.is_leaf
                                 else "optimizer got a parameter that doesn't require grad")
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

    def _params_with_grad(self):
        """(group, parameter) for every parameter that has a gradient this step."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    yield group, p

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
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        params = []
        for saved, own in zip(groups, self.param_groups):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match the size "
                                 "of optimizer's group")
            params += list(zip(saved["params"], own["params"]))
        by_index = dict(params)
        self.state = defaultdict(dict)
        for key, values in state_dict["state"].items():
            p = by_index[int(key)]
            self.state[p] = {k: _copy_state(v, p) for k, v in values.items()}
        for saved, own in zip(groups, self.param_groups):
            own.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})


def _copy_state(value, param: Tensor):
    """A private copy of a saved state value; float tensors take the parameter's dtype."""
    if isinstance(value, Tensor) or isinstance(value, np.ndarray):
        array = value.array if isinstance(value, Tensor) else value
        if array.ndim and array.dtype.kind == "f":
            array = array.astype(param.array.dtype)
        return Tensor._make(np.array(array, copy=True))
    return value
