"""The differentiable ops: one :class:`~tinygrad_edu.autograd.Function` per op.

Each file groups ops of one kind, and each op keeps its forward and backward side by side
with the derivative in its docstring. ``Tensor`` methods call ``SomeOp.apply`` directly,
so from any method you can jump straight to the maths.
"""
