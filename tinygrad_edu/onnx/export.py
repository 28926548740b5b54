"""``export``: write a model's forward pass to an ONNX file, as ``torch.onnx.export`` does.

How it works:

1. :func:`~tinygrad_edu.onnx.trace.trace` runs the model once on ``args`` (in eval mode, as
   PyTorch exports) and records every op with its arguments.
2. It runs the model a second time on changed inputs: values scaled, and each dynamic axis
   doubled in size. The two runs must perform the same ops on the same values, or the file
   would be right for one input only (Python control flow on tensor values, or a tensor
   computed outside the engine's ops, e.g. via ``.detach()`` or ``.numpy()``): that is an
   error. The dims whose sizes differ between the runs are the dynamic ones, so a reshape
   writes ``-1`` there (``view(-1, 1568)`` becomes Reshape to ``[-1, 1568]``).
3. Each op becomes one ONNX node (see ``_CONVERTERS``; an op missing there is a
   ``NotImplementedError`` naming it). Parameters and buffers become initializers named as in
   ``state_dict()``; any other tensor an op read is a constant initializer.

The ``onnx`` package (``pip install tinygrad_edu[onnx]``) is imported only when exporting.
"""
from __future__ import annotations

import contextlib
import os

import numpy as np

from ..ops import activation, binary, binary_math, conv, linalg, movement, reduce, softmax, unary
from ..tensor import Tensor
from .trace import Op, needed, trace

MIN_OPSET = 13  # Softmax/LogSoftmax act on one axis, ReduceSum takes its axes as an input


def export(model, args, f, input_names: list[str] | None = None, output_names: list[str] | None = None,
           dynamic_axes: dict | None = None, opset_version: int = 17):
    """Run ``model(*args)`` and write the ops it ran to ``f`` (a path or a binary file) as ONNX.

    ``args``: one Tensor or a tuple of arguments; the Tensors among them become the graph's
    inputs, named by ``input_names`` (default ``input``, or ``input_0, input_1, ...``). The
    outputs are named by ``output_names`` (default ``output``...). ``dynamic_axes`` maps an
    input or output name to the dims whose size may change, as ``{dim: name}`` or a list of
    dims, e.g. ``{"input": {0: "batch"}, "output": {0: "batch"}}``.

    Returns the ``onnx.ModelProto`` that was written (it passed ``onnx.checker.check_model``).
    """
    import onnx

    if opset_version < MIN_OPSET:
        raise ValueError(f"opset_version must be at least {MIN_OPSET}, got {opset_version}")
    args = args if isinstance(args, tuple) else (args,)
    inputs = [a for a in args if isinstance(a, Tensor)]
    input_names = _names(input_names, "input", len(inputs))
    params = _parameter_names(model)
    with _eval_mode(model):
        ops, outputs = trace(model, args)
        output_names = _names(output_names, "output", len(outputs))
        axes = _check_dynamic_axes(dynamic_axes or {}, dict(zip(input_names, inputs)),
                                   dict(zip(output_names, outputs)))
        ops = needed(ops, outputs)
        _check_supported(ops)
        dynamic = _second_run(model, args, [set(axes.get(n, ())) for n in input_names], (ops, outputs, inputs), params)
    proto = _model_proto(ops, dict(zip(input_names, inputs)), dict(zip(output_names, outputs)), params, dynamic,
                         axes, opset_version, graph_name=type(model).__name__)
    onnx.checker.check_model(proto, full_check=True)
    if hasattr(f, "write"):
        f.write(proto.SerializeToString())
    else:
        onnx.save(proto, os.fspath(f))
    return proto


def _model_proto(ops: list, inputs: dict, outputs: dict, params: dict, dynamic: dict, axes: dict, opset: int,
                 graph_name: str):
    """The ONNX model: one node per op (``_CONVERTERS``), the graph's inputs and outputs by name."""
    from onnx import helper

    from .. import __version__

    names = {id(t): name for name, t in inputs.items()}
    produced = {id(t) for op in ops for t in op.outputs}
    for name, t in outputs.items():  # an op's result that is an output takes the output's name
        if id(t) in produced and id(t) not in names:
            names[id(t)] = name
    b = _Builder(names, params, dynamic, opset)
    for j, op in enumerate(ops):
        node = f"{op.name}_{j}"
        outs = [names.setdefault(id(t), f"{node}_out{m or ''}") for m, t in enumerate(op.outputs)]
        _CONVERTERS[type(op.fn)](b, op, node, outs)
    for name, t in outputs.items():
        if b.value(t) != name:  # an input, parameter or constant returned as it is, or one result returned twice
            b.node("Identity", [b.value(t)], [name], f"Identity_{name}")

    def value_info(name: str, t: Tensor):
        labels = axes.get(name, {})
        shape = [labels.get(d) or (_axis_label(name, d) if d in dynamic[id(t)] else n) for d, n in enumerate(t.shape)]
        return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(t.array.dtype), shape)

    graph = helper.make_graph(b.nodes, graph_name, [value_info(n, t) for n, t in inputs.items()],
                              [value_info(n, t) for n, t in outputs.items()], b.initializers)
    opsets = [helper.make_opsetid("", opset)]
    return helper.make_model(graph, opset_imports=opsets, producer_name="tinygrad_edu", producer_version=__version__,
                             ir_version=helper.find_min_ir_version_for(opsets))


# ---------------------------------------------------------------------------- the two runs

def _names(given, stem: str, count: int) -> list[str]:
    names = list(given or ([stem] if count == 1 else [f"{stem}_{i}" for i in range(count)]))
    if len(names) != count or len(set(names)) != count:
        raise ValueError(f"expected {count} distinct {stem} names, got {names}")
    return names


def _axis_label(name: str, dim: int) -> str:
    return f"{name}_dynamic_axes_{dim + 1}"  # PyTorch's name for an axis given without one


def _check_dynamic_axes(dynamic_axes: dict, inputs: dict, outputs: dict) -> dict:
    """``{name: {dim: label}}``, with lists of dims given labels and every dim checked."""
    axes = {}
    for name, dims in dynamic_axes.items():
        t = inputs.get(name, outputs.get(name))
        if t is None:
            raise ValueError(f"dynamic_axes names '{name}', which is neither an input ({list(inputs)}) "
                             f"nor an output ({list(outputs)})")
        labels = dict(dims) if isinstance(dims, dict) else {d: _axis_label(name, d) for d in dims}
        for d in labels:
            if not 0 <= d < t.ndim:
                raise ValueError(f"dynamic_axes['{name}'] has dim {d}, but '{name}' has shape {list(t.shape)}")
        axes[name] = labels
    return axes


def _second_run(model, args: tuple, dims: list[set], run1: tuple, params: dict) -> dict:
    """Run ``model`` again on varied inputs (see ``_vary``); return ``_dynamic_dims`` of the two runs
    (``run1``: the needed ops, the outputs and the inputs of the first)."""
    varied = _vary(args, dims)
    try:
        ops, outputs = trace(model, varied)
    except Exception as e:
        raise RuntimeError("export runs the model a second time with every dynamic axis doubled in size, "
                           f"and that run failed: {e}") from e
    return _dynamic_dims(run1, (needed(ops, outputs), outputs, [a for a in varied if isinstance(a, Tensor)]), params)


def _vary(args: tuple, dims: list[set]) -> tuple:
    """``args`` with each Tensor's dynamic dims doubled in size and its float values changed."""
    tensors, varied = iter(dims), []
    for a in args:
        if isinstance(a, Tensor):
            array = a.array
            for d in sorted(next(tensors)):
                array = np.concatenate([array, array], axis=d)
            varied.append(Tensor._make(array * 0.5 + 0.25 if array.dtype.kind == "f" else array))
        else:
            varied.append(a)
    return tuple(varied)


def _describe(ops: list, outputs: list, inputs: list, params: dict) -> tuple[list, list]:
    """Where every Tensor argument of every op comes from (an input, a parameter, an earlier op or
    a constant), and the constants in the order they were met, with the op that read each."""
    where = {i: ("parameter", n) for i, n in params.items()}
    where.update((id(t), ("input", k)) for k, t in enumerate(inputs))
    structure, constants = [], []
    for j, op in enumerate(ops):
        refs = []
        for a in op.args:
            if isinstance(a, Tensor) and id(a) not in where:
                where[id(a)] = ("constant", len(constants))
                constants.append((a.array, op.name))
            if isinstance(a, np.ndarray):
                refs.append(("constant", len(constants)))
                constants.append((a, op.name))
            elif isinstance(a, Tensor):
                refs.append(where[id(a)])
        structure.append((op.name, tuple(refs)))
        where.update((id(t), ("op", j, m)) for m, t in enumerate(op.outputs))
    structure.append(("outputs", tuple(where.get(id(t), "constant") for t in outputs)))
    return structure, constants


def _dynamic_dims(run1: tuple, run2: tuple, params: dict) -> dict:
    """For each Tensor of run 1, the dims whose size changed in run 2; an error if the runs differ
    in anything that the file could not express."""
    (ops1, outputs1, inputs1), (ops2, outputs2, inputs2) = run1, run2
    structure1, constants1 = _describe(ops1, outputs1, inputs1, params)
    structure2, constants2 = _describe(ops2, outputs2, inputs2, params)
    if structure1 != structure2:
        step = next((i for i, (s1, s2) in enumerate(zip(structure1, structure2)) if s1 != s2),
                    min(len(structure1), len(structure2)))
        raise RuntimeError(f"the model ran different ops when its input changed (op {step}: "
                           f"{structure1[step][0] if step < len(structure1) else 'nothing'} then "
                           f"{structure2[step][0] if step < len(structure2) else 'nothing'}); it has control flow "
                           "that depends on tensor values, and one recorded graph cannot serve every input")
    for (c1, reader), (c2, _) in zip(constants1, constants2):
        if c1.shape != c2.shape or not np.array_equal(c1, c2, equal_nan=c1.dtype.kind == "f"):
            raise RuntimeError(f"op '{reader}' reads a tensor that no recorded op made (so the file would store it "
                               "as a constant), but it changed when the model's input changed: it was computed "
                               "from the input outside the engine's ops (e.g. via .detach(), .numpy(), a "
                               "comparison or a shape read from the input), which ONNX export cannot record")
    dynamic = {}
    for t1, t2 in zip(inputs1 + outputs1, inputs2 + outputs2):
        dynamic[id(t1)] = {d for d, (n1, n2) in enumerate(zip(t1.shape, t2.shape)) if n1 != n2}
    for op1, op2 in zip(ops1, ops2):
        for t1, t2 in zip(op1.outputs, op2.outputs):
            if t1.ndim != t2.ndim:
                raise RuntimeError(f"op '{op1.name}' gave a {t1.ndim}-D result for the example input but a "
                                   f"{t2.ndim}-D one when a dynamic axis changed size (e.g. squeeze() of a "
                                   "batch of 1): the exported graph would be wrong for other sizes")
            dynamic[id(t1)] = {d for d, (n1, n2) in enumerate(zip(t1.shape, t2.shape)) if n1 != n2}
    return dynamic


def _parameter_names(model) -> dict:
    """id(tensor) -> its ``state_dict`` name, for every parameter and persistent buffer."""
    from ..nn import Module

    names = {}
    if isinstance(model, Module):
        for name, t in model.state_dict(keep_vars=True).items():
            names.setdefault(id(t), name)  # a tied weight keeps its first name
    return names


@contextlib.contextmanager
def _eval_mode(model):
    """Export in evaluation mode (Dropout off, BatchNorm on running statistics), as PyTorch does."""
    from ..nn import Module

    modules = list(model.modules()) if isinstance(model, Module) else []
    modes = [m.training for m in modules]
    for m in modules:
        object.__setattr__(m, "training", False)
    try:
        yield
    finally:
        for m, mode in zip(modules, modes):
            object.__setattr__(m, "training", mode)


def _check_supported(ops: list) -> None:
    for op in ops:
        if type(op.fn) not in _CONVERTERS:
            raise NotImplementedError(f"ONNX export of op '{op.name}' is not supported")


# ---------------------------------------------------------------------------- the nodes

class _Builder:
    """Collects nodes and initializers, naming each value once."""

    def __init__(self, names: dict, params: dict, dynamic: dict, opset: int):
        self.names = names  # id(Tensor) -> value name
        self.params = params  # id(Tensor) -> state_dict name, made an initializer when first read
        self._dynamic = dynamic  # id(Tensor) -> dims whose size follows a dynamic input axis
        self.opset = opset
        self.nodes, self.initializers = [], []
        self.constants = 0

    def value(self, t: Tensor) -> str:
        """The name of ``t``'s value; a parameter or constant becomes an initializer the first time."""
        if id(t) not in self.names:
            if id(t) in self.params:
                name = self.params[id(t)]
            else:
                name, self.constants = f"constant_{self.constants}", self.constants + 1
            self.names[id(t)] = self.const(t.array, name)
        return self.names[id(t)]

    def dynamic(self, t: Tensor) -> set:
        """The dims of ``t`` whose size follows a dynamic input axis (none for parameters and constants)."""
        return self._dynamic.get(id(t), set())

    def const(self, array, name: str) -> str:
        from onnx import numpy_helper

        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op_type: str, inputs: list, outputs: list, name: str, **attributes) -> None:
        from onnx import helper

        while inputs and inputs[-1] == "":  # absent optional inputs at the end are left out
            inputs = inputs[:-1]
        self.nodes.append(helper.make_node(op_type, inputs, outputs, name=name, **attributes))

    def reduce(self, op_type: str, x: str, axes, keepdims: bool, outs: list, name: str) -> None:
        """A Reduce* node; its axes became an input in opset 13 (ReduceSum) or 18 (the others)."""
        if axes is None:
            self.node(op_type, [x], outs, name, keepdims=int(keepdims))
        elif self.opset >= (13 if op_type == "ReduceSum" else 18):
            self.node(op_type, [x, self.const(np.array(axes, np.int64), f"{name}_axes")], outs, name,
                      keepdims=int(keepdims))
        else:
            self.node(op_type, [x], outs, name, axes=list(axes), keepdims=int(keepdims))


def _arg(op: Op, i: int, key: str, default):
    """Argument ``i`` (or keyword ``key``) of the op's apply call."""
    return op.args[i] if len(op.args) > i else op.kwargs.get(key, default)


def _same(op_type: str):
    """An op whose ONNX node takes the same inputs; a numpy array argument (where's condition) is a constant."""
    def convert(b: _Builder, op: Op, name: str, outs: list) -> None:
        inputs = [b.value(a) if isinstance(a, Tensor) else b.const(a, f"{name}_arg{i}")
                  for i, a in enumerate(op.args)]
        b.node(op_type, inputs, outs, name)
    return convert


def _cast(b, op, name, outs):
    from onnx import helper

    b.node("Cast", [b.value(op.inputs[0])], outs, name,
           to=helper.np_dtype_to_tensor_dtype(np.dtype(_arg(op, 1, "np_dtype", None))))


def _clamp(b, op, name, outs):
    x = op.inputs[0]
    bound = lambda v, which: "" if v is None else b.const(np.array(v, x.array.dtype), f"{name}_{which}")  # noqa: E731
    b.node("Clip", [b.value(x), bound(op.fn.lo, "min"), bound(op.fn.hi, "max")], outs, name)


def _reshape(b, op, name, outs):
    out = op.outputs[0]
    shape, dynamic = list(out.shape), sorted(b.dynamic(out))
    if len(dynamic) > 1:
        raise NotImplementedError(f"ONNX export of op 'Reshape' to shape {shape} with {len(dynamic)} dynamic dims "
                                  f"{dynamic} is not supported (only one can be written as -1)")
    for d in dynamic:
        shape[d] = -1
    b.node("Reshape", [b.value(op.inputs[0]), b.const(np.array(shape, np.int64), f"{name}_shape")], outs, name)


def _expand(b, op, name, outs):
    x, out = op.inputs[0], op.outputs[0]
    shape, lead = list(out.shape), out.ndim - x.ndim
    for d in b.dynamic(out):  # ONNX's Expand broadcasts, so 1 keeps the input's (dynamic) size
        if d < lead or d - lead not in b.dynamic(x):
            raise NotImplementedError(f"ONNX export of op 'Expand' to a dynamic size along dim {d} is not supported")
        shape[d] = 1
    b.node("Expand", [b.value(x), b.const(np.array(shape, np.int64), f"{name}_shape")], outs, name)


def _permute(b, op, name, outs):
    b.node("Transpose", [b.value(op.inputs[0])], outs, name, perm=list(op.fn.dims))


def _cat(b, op, name, outs):
    b.node("Concat", [b.value(t) for t in op.inputs], outs, name, axis=op.fn.dim)


def _sum(b, op, name, outs):
    b.reduce("ReduceSum", b.value(op.inputs[0]), op.fn.dims, op.fn.keepdim, outs, name)


def _max_all(b, op, name, outs):
    largest = _arg(op, 1, "largest", True)
    b.reduce("ReduceMax" if largest else "ReduceMin", b.value(op.inputs[0]), None, False, outs, name)


def _max_dim(b, op, name, outs):
    """values and indices: ReduceMax and ArgMax (both pick the first maximum, as the engine does)."""
    largest, x = _arg(op, 3, "largest", True), b.value(op.inputs[0])
    b.reduce("ReduceMax" if largest else "ReduceMin", x, [op.fn.dim], op.fn.keepdim, outs[:1], name)
    b.node("ArgMax" if largest else "ArgMin", [x], outs[1:], f"{name}_indices", axis=op.fn.dim,
           keepdims=int(op.fn.keepdim))


def _softmax(op_type: str):
    def convert(b, op, name, outs):
        b.node(op_type, [b.value(op.inputs[0])], outs, name, axis=op.fn.dim)
    return convert


def _linear(b, op, name, outs):
    """y = x W^T + b: one Gemm for a 2-D x; Gemm takes matrices only, so MatMul (+ Add) otherwise."""
    x, w, *bias = [b.value(t) for t in op.inputs]
    if op.inputs[0].ndim == 2:
        b.node("Gemm", [x, w, *bias], outs, name, transB=1)
        return
    b.node("Transpose", [w], [f"{name}_weight_t"], f"{name}_transpose", perm=[1, 0])
    b.node("MatMul", [x, f"{name}_weight_t"], [f"{name}_matmul"] if bias else outs, f"{name}_matmul")
    if bias:
        b.node("Add", [f"{name}_matmul", bias[0]], outs, name)


def _conv2d(b, op, name, outs):
    (ph, pw), w = op.fn.padding, op.inputs[1]
    b.node("Conv", [b.value(t) for t in op.inputs], outs, name, kernel_shape=list(w.shape[2:]),
           strides=list(op.fn.stride), pads=[ph, pw, ph, pw], dilations=list(op.fn.dilation), group=op.fn.groups)


def _max_pool2d(b, op, name, outs):
    kernel, stride, (ph, pw), dilation, ceil_mode = (op.args[1:] + ((1, 1), False))[:5]
    if op.kwargs.get("return_indices"):
        raise NotImplementedError("ONNX export of op 'MaxPool2d' with return_indices=True is not supported")
    b.node("MaxPool", [b.value(op.inputs[0])], outs, name, kernel_shape=list(kernel), strides=list(stride),
           pads=[ph, pw, ph, pw], dilations=list(dilation), ceil_mode=int(ceil_mode))


def _scalar(b, op: Op, name: str, value) -> str:
    """A constant scalar in the dtype of the op's first input (ONNX's binary ops take one dtype)."""
    return b.const(np.array(value, op.inputs[0].array.dtype), name)


def _leaky_relu(b, op, name, outs):
    b.node("LeakyRelu", [b.value(op.inputs[0])], outs, name, alpha=float(op.fn.slope))


def _elu(b, op, name, outs):
    b.node("Elu", [b.value(op.inputs[0])], outs, name, alpha=float(op.fn.alpha))


def _hardtanh(b, op, name, outs):
    lo, hi = op.fn.bounds
    b.node("Clip", [b.value(op.inputs[0]), _scalar(b, op, f"{name}_min", lo), _scalar(b, op, f"{name}_max", hi)],
           outs, name)


def _silu(b, op, name, outs):
    """silu(x) = x * sigmoid(x): ONNX has no SiLU node."""
    x = b.value(op.inputs[0])
    b.node("Sigmoid", [x], [f"{name}_sigmoid"], f"{name}_sigmoid")
    b.node("Mul", [x, f"{name}_sigmoid"], outs, name)


def _sign(b, op, name, outs):
    """sign(nan) is 0 in PyTorch and nan in ONNX's Sign: Where(IsNaN(x), 0, Sign(x))."""
    x = b.value(op.inputs[0])
    b.node("IsNaN", [x], [f"{name}_isnan"], f"{name}_isnan")
    b.node("Sign", [x], [f"{name}_sign"], f"{name}_sign")
    b.node("Where", [f"{name}_isnan", _scalar(b, op, f"{name}_zero", 0), f"{name}_sign"], outs, name)


def _round(b, op, name, outs):
    """Round (halves to even, as torch.round); rounding to decimals has no ONNX node."""
    if _arg(op, 1, "decimals", 0):
        raise NotImplementedError("ONNX export of op 'Round' with decimals is not supported")
    b.node("Round", [b.value(op.inputs[0])], outs, name)


def _gelu(b, op, name, outs):
    """The Gelu node from opset 20; before it, its formula: x/2 (1 + erf(x / sqrt 2)), or with
    approximate="tanh", x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    x, approximate = b.value(op.inputs[0]), op.fn.approximate
    if b.opset >= 20:
        b.node("Gelu", [x], outs, name, approximate=approximate)
        return
    half = f"{name}_half_x"
    b.node("Mul", [x, _scalar(b, op, f"{name}_half", 0.5)], [half], half)
    if approximate == "tanh":
        b.node("Mul", [x, x], [f"{name}_x2"], f"{name}_x2")
        b.node("Mul", [f"{name}_x2", x], [f"{name}_x3"], f"{name}_x3")
        b.node("Mul", [f"{name}_x3", _scalar(b, op, f"{name}_kappa", 0.044715)], [f"{name}_kx3"], f"{name}_kx3")
        b.node("Add", [x, f"{name}_kx3"], [f"{name}_inner"], f"{name}_inner")
        b.node("Mul", [f"{name}_inner", _scalar(b, op, f"{name}_beta", np.sqrt(2 / np.pi))], [f"{name}_u"],
               f"{name}_u")
        b.node("Tanh", [f"{name}_u"], [f"{name}_s"], f"{name}_s")
    else:
        b.node("Div", [x, _scalar(b, op, f"{name}_sqrt2", np.sqrt(2))], [f"{name}_u"], f"{name}_u")
        b.node("Erf", [f"{name}_u"], [f"{name}_s"], f"{name}_s")
    b.node("Add", [f"{name}_s", _scalar(b, op, f"{name}_one", 1)], [f"{name}_1s"], f"{name}_1s")
    b.node("Mul", [half, f"{name}_1s"], outs, name)


def _softplus(b, op, name, outs):
    """x where beta x > threshold, else log(1 + e^(beta x)) / beta: ONNX's Softplus is the beta = 1
    curve with no threshold, so the scaling and the switch are nodes of their own."""
    x, beta, threshold = b.value(op.inputs[0]), op.fn.beta, op.fn.threshold
    bx = x
    if beta != 1:
        bx = f"{name}_bx"
        b.node("Mul", [x, _scalar(b, op, f"{name}_beta", beta)], [bx], bx)
    curve = f"{name}_curve"
    b.node("Softplus", [bx], [curve], curve)
    if beta != 1:
        b.node("Div", [curve, _scalar(b, op, f"{name}_beta_div", beta)], [f"{name}_scaled"], f"{name}_scaled")
        curve = f"{name}_scaled"
    b.node("Greater", [bx, _scalar(b, op, f"{name}_threshold", threshold)], [f"{name}_linear"], f"{name}_linear")
    b.node("Where", [f"{name}_linear", x, curve], outs, name)


def _avg_pool2d(b, op, name, outs):
    kernel, stride, (ph, pw), ceil_mode, count_include_pad, divisor_override = op.fn.options
    if divisor_override is not None:
        raise NotImplementedError("ONNX export of op 'AvgPool2d' with divisor_override is not supported")
    x = op.inputs[0]
    if ceil_mode:
        # torch drops a last window that would start in the right-hand padding; ONNX's output size,
        # ceil((n + 2p - k) / s) + 1, keeps it (runtimes differ), so export only where the two agree
        onnx_size = tuple(-(-(n + 2 * p - k) // s) + 1 for n, p, k, s in zip(x.shape[2:], (ph, pw), kernel, stride))
        if onnx_size != tuple(op.outputs[0].shape[2:]) or b.dynamic(x) & {2, 3}:
            raise NotImplementedError("ONNX export of op 'AvgPool2d' with ceil_mode=True is not supported where "
                                      "the last window would start in the padding, or H or W is dynamic")
    b.node("AveragePool", [b.value(x)], outs, name, kernel_shape=list(kernel), strides=list(stride),
           pads=[ph, pw, ph, pw], count_include_pad=int(count_include_pad), ceil_mode=int(ceil_mode))


def _adaptive_avg_pool2d(b, op, name, outs):
    """(1, 1): GlobalAveragePool, whatever H and W; a size that divides H and W evenly: windows of
    H/OH x W/OW that do not overlap, an AveragePool. Others have windows of varying size."""
    x, (OH, OW) = op.inputs[0], op.outputs[0].shape[2:]
    H, W = x.shape[2:]
    if (OH, OW) == (1, 1):
        b.node("GlobalAveragePool", [b.value(x)], outs, name)
    elif H % OH == 0 and W % OW == 0 and not b.dynamic(x) & {2, 3}:
        kernel = [H // OH, W // OW]
        b.node("AveragePool", [b.value(x)], outs, name, kernel_shape=kernel, strides=kernel)
    else:
        raise NotImplementedError(f"ONNX export of op 'AdaptiveAvgPool2d' from {H}x{W} to {OH}x{OW} is not "
                                  "supported (only to 1x1, or to a size that divides the input's)")


_CONVERTERS = {
    binary.Add: _same("Add"), binary.Sub: _same("Sub"), binary.Mul: _same("Mul"), binary.Div: _same("Div"),
    binary.Pow: _same("Pow"), binary.Where: _same("Where"),
    unary.Neg: _same("Neg"), unary.Exp: _same("Exp"), unary.Log: _same("Log"), unary.Sqrt: _same("Sqrt"),
    unary.Abs: _same("Abs"), unary.Relu: _same("Relu"), unary.Sigmoid: _same("Sigmoid"), unary.Tanh: _same("Tanh"),
    unary.Clamp: _clamp, unary.Cast: _cast, unary.Clone: _same("Identity"),
    reduce.Sum: _sum, reduce.MaxAll: _max_all, reduce.MaxDim: _max_dim,
    movement.Reshape: _reshape, movement.Permute: _permute, movement.Expand: _expand, movement.Cat: _cat,
    linalg.MatMul: _same("MatMul"), linalg.Linear: _linear,
    softmax.Softmax: _softmax("Softmax"), softmax.LogSoftmax: _softmax("LogSoftmax"),
    conv.Conv2d: _conv2d, conv.MaxPool2d: _max_pool2d, conv.AvgPool2d: _avg_pool2d,
    conv.AdaptiveAvgPool2d: _adaptive_avg_pool2d,
    activation.LeakyRelu: _leaky_relu, activation.Elu: _elu, activation.Gelu: _gelu, activation.Silu: _silu,
    activation.Softplus: _softplus, activation.Hardtanh: _hardtanh,
    # elementwise math whose ONNX node computes the same function; Max and Min may give 0.0 where
    # torch gives -0.0 for a pair of zeros (equal values)
    unary.Sin: _same("Sin"), unary.Cos: _same("Cos"), unary.Tan: _same("Tan"), unary.Asin: _same("Asin"),
    unary.Acos: _same("Acos"), unary.Atan: _same("Atan"), unary.Sinh: _same("Sinh"), unary.Cosh: _same("Cosh"),
    unary.Erf: _same("Erf"), unary.Reciprocal: _same("Reciprocal"), unary.Sign: _sign,
    unary.Floor: _same("Floor"), unary.Ceil: _same("Ceil"), unary.Round: _round,
    binary_math.Maximum: _same("Max"), binary_math.Minimum: _same("Min"),
}
