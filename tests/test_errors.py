"""Bad input gets a clear error that reads like PyTorch's and names the shapes involved.

Most cases run the same code on both engines and require the same exception type and
message; where the engine's message deliberately differs, the test says so.
"""
import re

import numpy as np
import pytest
import torch

import tinygrad_edu as te


def raise_the_same(code: str, exc: type, message: str) -> None:
    """``code`` raises ``exc`` whose text contains ``message``, in tinygrad_edu and in torch."""
    for lib in (te, torch):
        with pytest.raises(exc, match=re.escape(message)):
            exec(code, {"lib": lib, "np": np})


CASES = {
    "matmul shapes": ("lib.ones(2, 3) @ lib.ones(4, 5)", RuntimeError,
                      "mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)"),
    "matmul 1-D @ 2-D": ("lib.ones(3) @ lib.ones(4, 5)", RuntimeError,
                         "mat1 and mat2 shapes cannot be multiplied (1x3 and 4x5)"),
    "broadcast": ("lib.ones(2, 3) + lib.ones(2, 4)", RuntimeError,
                  "The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1"),
    "broadcast, more dims": ("lib.ones(5, 3) * lib.ones(4, 1, 2)", RuntimeError,
                             "The size of tensor a (3) must match the size of tensor b (2) at non-singleton "
                             "dimension 2"),
    "broadcast in a comparison": ("lib.ones(3) < lib.ones(4)", RuntimeError,
                                  "The size of tensor a (3) must match the size of tensor b (4)"),
    "requires_grad on int": ("lib.tensor([1, 2]).requires_grad_()", RuntimeError,
                             "only Tensors of floating point"),
    "backward without grad": ("lib.tensor([1., 2.]).sum().backward()", RuntimeError,
                              "element 0 of tensors does not require grad and does not have a grad_fn"),
    "backward on an integer tensor": ("lib.tensor([1, 2]).sum().backward()", RuntimeError,
                                      "element 0 of tensors does not require grad and does not have a grad_fn"),
    "backward on non-scalar": ("(lib.ones(2, requires_grad=True) * 2).backward()", RuntimeError,
                               "grad can be implicitly created only for scalar outputs"),
    "item of many": ("lib.ones(2).item()", RuntimeError, "a Tensor with 2 elements cannot be converted to Scalar"),
    "view size": ("lib.ones(12).view(3, 5)", RuntimeError, "shape '[3, 5]' is invalid for input of size 12"),
    "view size with -1": ("lib.ones(2, 3).view(-1, 4)", RuntimeError,
                          "shape '[-1, 4]' is invalid for input of size 6"),
    "reshape size": ("lib.ones(2, 3).reshape(4, 2)", RuntimeError, "shape '[4, 2]' is invalid for input of size 6"),
    "two -1": ("lib.ones(2, 3).reshape(-1, -1)", RuntimeError, "only one dimension can be inferred"),
    "view of non-contiguous": ("lib.ones(3, 4).T.view(12)", RuntimeError,
                               "view size is not compatible with input tensor's size and stride (at least one "
                               "dimension spans across two contiguous subspaces). Use .reshape(...) instead."),
    "numpy with grad": ("lib.ones(2, requires_grad=True).numpy()", RuntimeError,
                        "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead."),
    "dim out of range": ("lib.ones(2, 3).sum(2)", IndexError,
                         "Dimension out of range (expected to be in range of [-2, 1], but got 2)"),
    "negative dim out of range": ("lib.ones(2, 3).max(-3)", IndexError,
                                  "Dimension out of range (expected to be in range of [-2, 1], but got -3)"),
    "softmax dim": ("lib.ones(2, 3).softmax(2)", IndexError, "Dimension out of range"),
    "unsqueeze dim": ("lib.ones(2, 3).unsqueeze(3)", IndexError,
                      "Dimension out of range (expected to be in range of [-3, 2], but got 3)"),
    "mean of int": ("lib.tensor([1, 2]).mean()", RuntimeError,
                    "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
                    "dtype. Got: Long"),
    "expand": ("lib.ones(2, 3).expand(3, 3)", RuntimeError,
               "The expanded size of the tensor (3) must match the existing size (2) at non-singleton dimension 0."),
    "permute": ("lib.ones(2, 3).permute(0)", RuntimeError, "number of dimensions in the tensor input does not match"),
    "t of 3-D": ("lib.ones(2, 3, 4).t()", RuntimeError, "t() expects a tensor with <= 2 dimensions, but self is 3D"),
    "stack sizes": ("lib.stack([lib.ones(2, 3), lib.ones(2, 4)])", RuntimeError,
                    "stack expects each tensor to be equal size, but got [2, 3] at entry 0 and [2, 4] at entry 1"),
    "cat sizes": ("lib.cat([lib.ones(2, 3), lib.ones(2, 4)])", RuntimeError,
                  "Sizes of tensors must match except in dimension 0."),
    "bool of many": ("bool(lib.ones(2))", RuntimeError,
                     "Boolean value of Tensor with more than one value is ambiguous"),
    "len of 0-dim": ("len(lib.tensor(1.))", TypeError, "len() of a 0-d tensor"),
    "clamp without bounds": ("lib.clamp(lib.ones(2))", RuntimeError,
                             "torch.clamp: At least one of 'min' or 'max' must not be None"),
    "in-place on a leaf": ("lib.ones(2, requires_grad=True).zero_()", RuntimeError,
                           "a leaf Variable that requires grad is being used in an in-place operation."),
    "max of empty": ("lib.ones(0).max()", RuntimeError,
                     "max(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction "
                     "dim with the 'dim' argument."),
    "gradient shape": ("(lib.ones(2, requires_grad=True) * 2).backward(lib.ones(3))", RuntimeError,
                       "Mismatch in shape: grad_output[0] has a shape of"),
    "requires_grad off a non-leaf": ("x = lib.ones(2, requires_grad=True) * 2\nx.requires_grad = False", RuntimeError,
                                     "you can only change requires_grad flags of leaf variables."),
}


@pytest.mark.parametrize("case", CASES)
def test_error_reads_like_torch(case):
    raise_the_same(*CASES[case])


def test_requires_grad_on_int_at_creation():
    # torch capitalises this one ("Only Tensors ..."); the engine has a single message for both paths
    with pytest.raises(RuntimeError, match="Only Tensors of floating point"):
        torch.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="only Tensors of floating point and complex dtype can require gradients"):
        te.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="only Tensors of floating point"):
        te.zeros(2, dtype=te.int64, requires_grad=True)


def test_second_backward_after_buffers_are_freed():
    message = ("Trying to backward through the graph a second time (or directly access saved tensors after they "
               "have already been freed)")
    raise_the_same("x = lib.ones(2, requires_grad=True)\ny = (x * x).sum()\ny.backward()\ny.backward()",
                   RuntimeError, message)
    x = te.ones(2, requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    y.backward()  # retained: fine
    with pytest.raises(RuntimeError, match="Specify retain_graph=True"):
        y.backward()


def test_gradient_shape_mismatch_names_both_shapes():
    x = te.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError) as ours:
        x.backward(te.ones(3))
    assert str(ours.value) == ("Mismatch in shape: grad_output[0] has a shape of tinygrad_edu.Size([3]) and "
                               "output[0] has a shape of tinygrad_edu.Size([2]).")


def test_messages_that_deliberately_differ_from_torch():
    # matmul: torch words each kind differently ("inconsistent tensor size", "size mismatch, got
    # input (2), mat (2x3), vec (4)", "Expected size for first two dimensions of batch2 tensor");
    # the engine always names both matrix shapes, a 1-D operand as a row (left) or column (right).
    for code, shapes in [("te.ones(3) @ te.ones(4)", "(1x3 and 4x1)"), ("te.ones(2, 3) @ te.ones(4)", "(2x3 and 4x1)"),
                         ("te.ones(2, 3, 4) @ te.ones(2, 5, 6)", "(3x4 and 5x6)")]:
        with pytest.raises(RuntimeError, match=re.escape(f"mat1 and mat2 shapes cannot be multiplied {shapes}")):
            eval(code)
    # cat: torch names one size and the tensor's number; the engine shows both full shapes
    with pytest.raises(RuntimeError, match=re.escape("Expected [2, 3] but got [2, 4]")):
        te.cat([te.ones(2, 3), te.ones(2, 4)])
    # an integer tensor to a negative integer power: numpy's ValueError, torch's RuntimeError, same text
    with pytest.raises(ValueError, match="Integers to negative integer powers are not allowed"):
        te.tensor([1, 2]) ** -1
    # no CUDA in the engine: a clear refusal instead of torch's driver message
    with pytest.raises(RuntimeError, match="tinygrad_edu runs on the CPU only"):
        te.ones(2).cuda()
    with pytest.raises(RuntimeError, match="device 'cuda' is not available"):
        te.ones(2).to("cuda")


def test_unsupported_data_is_refused():
    with pytest.raises(TypeError, match="can't convert np.ndarray of type"):
        te.tensor("a")
    with pytest.raises(TypeError, match="can't convert np.ndarray of type complex128"):
        te.from_numpy(np.ones(2, dtype=np.complex128))

