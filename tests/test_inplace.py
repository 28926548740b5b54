"""In-place ops and autograd, against PyTorch: recording, version counters, leaves, views, ``.grad``.

Each test runs the same code on both engines (``lib`` is ``tinygrad_edu`` or ``torch``) and
compares values, gradients and errors; docs/inplace.md explains the rules these tests pin down.
"""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import tinygrad_edu as te
from helpers import assert_same_tensor, check_against_torch

LIBS = pytest.mark.parametrize("lib", [te, torch], ids=["edu", "torch"])


def both(fn):
    """fn(lib) on each engine: the pair of results (or of exceptions raised)."""
    out = []
    for lib in (te, torch):
        try:
            out.append(fn(lib))
        except Exception as e:  # noqa: BLE001
            out.append(e)
    return out


def same_error(fn, first_sentence: str):
    """Both engines raise the same class, and both messages start with ``first_sentence``."""
    edu, ref = both(fn)
    assert isinstance(ref, Exception) and isinstance(edu, type(ref)), (edu, ref)
    assert str(ref).startswith(first_sentence) and str(edu).startswith(first_sentence), (str(edu), str(ref))
    return str(edu), str(ref)


# ---------------------------------------------------------------------------- recorded in the graph

def test_in_place_on_a_non_leaf_is_recorded():
    """y = x * 2; y.mul_(3): d(sum y)/dx is 6, not 2."""
    check_against_torch(lambda x: _mul_in_place(x * 2, 3), None, [np.array([1.0, -2.0, 3.0])])


def _mul_in_place(y, factor):
    y.mul_(factor)
    return y


@LIBS
def test_the_in_place_result_takes_over_the_graph_node(lib):
    x = lib.ones(3, requires_grad=True)
    y = x * 2
    before = y.grad_fn
    assert y.mul_(3) is y
    assert y.grad_fn is not before and not y.is_leaf and y.requires_grad


def test_ops_recorded_before_the_change_keep_their_gradient():
    """z = y * 3 was recorded before y changed: it still sends its gradient to the old y."""
    def fn(x):
        y = x * 2
        z = y * 3
        y.mul_(5)
        return z + y
    check_against_torch(fn, None, [np.array([1.0, 2.0, 3.0])])


def test_a_plain_tensor_joins_the_graph_through_an_in_place_op():
    def fn(x):
        y = (te if isinstance(x, te.Tensor) else torch).zeros(2, 3, dtype=x.dtype)
        y.add_(x, alpha=2)
        return y
    check_against_torch(fn, None, [np.arange(6.0).reshape(2, 3)])


def test_augmented_assignment_is_recorded_as_torch_records_it():
    def fn(x, w):
        y = x * 2
        y *= w
        y += x
        y -= 1
        y /= w
        return y
    check_against_torch(fn, None, [np.array([1.0, 2.0, 3.0]), np.array([0.5, -1.5, 2.0])])


def test_every_in_place_method_matches_torch():
    ops = {"add_": lambda y, w: y.add_(w), "sub_": lambda y, w: y.sub_(w, alpha=3), "mul_": lambda y, w: y.mul_(w),
           "div_": lambda y, w: y.div_(w), "pow_": lambda y, w: y.abs().pow_(w), "clamp_": lambda y, w: y.clamp_(-1, 1),
           "neg_": lambda y, w: y.neg_(), "exp_": lambda y, w: y.exp_(), "log_": lambda y, w: y.abs().log_(),
           "sqrt_": lambda y, w: y.abs().sqrt_(), "abs_": lambda y, w: y.abs_(), "relu_": lambda y, w: y.relu_(),
           "sigmoid_": lambda y, w: y.sigmoid_(), "tanh_": lambda y, w: y.tanh_(), "zero_": lambda y, w: y.zero_(),
           "fill_": lambda y, w: y.fill_(2.5), "copy_": lambda y, w: y.copy_(w), "clip_": lambda y, w: y.clip_(-1, 1)}
    for name, op in ops.items():
        check_against_torch(lambda x, w: op(x * 1, w) * x, None, [np.array([0.5, -1.5, 2.0]), np.array([1.5, 2.0, -0.7])])


# ---------------------------------------------------------------------------- version counters

def test_a_saved_output_changed_in_place_is_refused_with_torchs_text():
    def fn(lib):
        x = lib.ones(3, requires_grad=True)
        y = x.exp()
        y.add_(1)
        y.sum().backward()
    edu, ref = same_error(fn, "one of the variables needed for gradient computation has been modified by an "
                              "inplace operation: ")
    tail = "], which is output 0 of Exp, is at version 1; expected version 0 instead. Hint:"
    assert tail in edu and tail in ref
    assert "[tinygrad_edu.FloatTensor [3]]" in edu and "[torch.FloatTensor [3]]" in ref


def test_a_saved_input_names_its_current_op_and_version():
    def fn(lib):
        x = lib.ones(2, 3, dtype=lib.float64, requires_grad=True)
        y = x * 2
        z = y.log()
        y.add_(1)
        y.add_(1)
        z.sum().backward()
    edu, ref = same_error(fn, "one of the variables needed for gradient computation")
    for text in (edu, ref):
        assert "DoubleTensor [2, 3]], which is output 0 of Add, is at version 2; expected version 0" in text


def test_a_weight_changed_under_no_grad_between_forward_and_backward():
    def fn(lib):
        w = lib.ones(3, requires_grad=True)
        loss = (w * w).sum()
        with lib.no_grad():
            w.mul_(2)
        loss.backward()
    edu, ref = same_error(fn, "one of the variables needed for gradient computation")
    assert "FloatTensor [3]] is at version 1; expected version 0 instead." in edu


def test_a_change_after_backward_is_fine():
    for lib in (te, torch):
        w = lib.ones(3, requires_grad=True)
        (w * w).sum().backward()
        with lib.no_grad():
            w.sub_(0.5 * w.grad)
        assert w.grad.tolist() == [2.0, 2.0, 2.0] and w.tolist() == [0.0, 0.0, 0.0]


@LIBS
def test_version_counters_are_shared_with_views_and_detach_but_not_data(lib):
    x = lib.zeros(2, 3)
    views = [x[0], x.view(6), x.t(), x.detach(), x[:, 1:], x.reshape(3, 2), x.permute(1, 0), x.unsqueeze(0)]
    data = x.data
    x.add_(1)
    views[0].mul_(2)
    x[1, 1] = 5.0
    assert x._version == 3 and all(v._version == 3 for v in views)
    assert data._version == 0
    copy = x.reshape(3, 2).t().reshape(6)  # the last reshape must copy
    x.zero_()
    assert copy._version == 0 and copy.tolist() != x.reshape(6).tolist()


# ---------------------------------------------------------------------------- leaves and views of leaves

@LIBS
def test_in_place_on_a_leaf_that_requires_grad_is_refused(lib):
    w = lib.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad is being used in an in-place "
                                           "operation.$"):
        w.mul_(5)
    with pytest.raises(RuntimeError, match="^a leaf Variable that requires grad"):
        w += 1


@LIBS
@pytest.mark.parametrize("view", ["w[0:2]", "w[0]", "w.view(3)", "w.reshape(1, 3)", "w.unsqueeze(0)", "w[None]"])
def test_in_place_on_a_view_of_such_a_leaf_is_refused(lib, view):
    w = lib.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="^a view of a leaf Variable that requires grad is being used in an "
                                           "in-place operation.$"):
        eval(view).mul_(5)
    with pytest.raises(RuntimeError, match="view of a leaf Variable"):
        w[0] = 2.0
    assert w.tolist() == [1.0, 1.0, 1.0]


@LIBS
def test_under_no_grad_a_view_changes_its_base(lib):
    w = lib.ones(3, requires_grad=True)
    with lib.no_grad():
        w[0:2].mul_(5)
        w[2] = 7.0
    assert w.tolist() == [5.0, 5.0, 7.0] and w.is_leaf and w._version == 2


@LIBS
def test_writing_into_an_expanded_tensor_is_refused(lib):
    with pytest.raises(RuntimeError, match="unsupported operation: more than one element of the written-to tensor"):
        lib.ones(3).expand(2, 3).add_(1)


@LIBS
def test_result_that_does_not_fit_is_refused(lib):
    with pytest.raises(RuntimeError, match=r"output with shape \[3\] doesn't match the broadcast shape \[2, 3\]"):
        lib.ones(3).add_(lib.ones(2, 3))
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        lib.ones(3, dtype=lib.int64).mul_(1.5)


# ---------------------------------------------------------------------------- through views of non-leaves

def test_in_place_through_a_slice_of_a_non_leaf_rebases_the_base():
    def fn(x):
        y = x * 2
        y[0:2].mul_(3)
        return y
    check_against_torch(fn, None, [np.arange(8.0).reshape(4, 2)])


def test_item_assignment_under_grad_mode():
    def column(x, v):
        y = x * 2
        y[:, 0] = v * 7
        return y

    def rows(x, v):
        y = x.exp()
        y = y * 1
        y[(te if isinstance(x, te.Tensor) else torch).tensor([1, 0])] = v
        return y
    check_against_torch(column, None, [np.arange(6.0).reshape(2, 3), np.array([1.0, -1.0])])
    check_against_torch(rows, None, [np.arange(6.0).reshape(2, 3), np.array([0.5, 1.5, 2.5])])


def test_in_place_through_a_transposed_view_and_a_view_of_a_view():
    def fn(x):
        y = x * 1
        y.t()[1:].mul_(x.t()[1:])
        y.view(-1)[::2].add_(1)
        return y
    check_against_torch(fn, None, [np.arange(1.0, 7.0).reshape(2, 3)])


@given(st.lists(st.tuples(st.sampled_from(["add_", "mul_", "sub_", "div_", "clamp_", "copy_"]),
                          st.sampled_from(["all", "row", "col", "elem"]), st.booleans()),
                min_size=1, max_size=4))
@settings(max_examples=30)
def test_random_sequences_of_in_place_ops_match_torch(steps):
    """Any sequence of in-place ops, on the whole tensor or through slices, with operands that do or do not need grad."""
    where = {"all": (slice(None),), "row": (1,), "col": (slice(None), 2), "elem": (0, 1)}

    def fn(x, w):
        y = x * 1
        for op, place, with_grad in steps:
            target = y[where[place]]
            operand = w[where[place]] if with_grad else w.detach()[where[place]] + 0.5
            getattr(target, op)(*((-1.0, 1.0) if op == "clamp_" else (operand,)))
        return y
    check_against_torch(fn, None, [np.arange(1.0, 13.0).reshape(3, 4) / 4, np.linspace(0.5, 2.0, 12).reshape(3, 4)])


# ---------------------------------------------------------------------------- the one mechanism

def test_the_ops_marked_is_view_are_the_ones_whose_results_share_memory():
    from tinygrad_edu.autograd import Function
    from tinygrad_edu.ops import movement
    viewing = {cls.__name__ for cls in vars(movement).values()
               if isinstance(cls, type) and issubclass(cls, Function) and cls.is_view}
    assert viewing == {"Reshape", "Permute", "Expand", "Index"}
    x = te.ones(2, 3)
    assert x[0]._base is x and x.t()._base is x and x[te.tensor([0])]._base is None and x.exp()._base is None


def test_apply_inplace_is_the_mechanism_for_new_in_place_ops():
    x = te.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 1
    assert y._apply_inplace(te.Tensor.mul, 3) is y and y._version == 1
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 3.0, 3.0]


# ---------------------------------------------------------------------------- .grad assignment

@LIBS
def test_grad_assignment_is_checked(lib):
    p = lib.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="attempting to assign a gradient of size '\\[2\\]' to a tensor of size"):
        p.grad = lib.ones(2)
    with pytest.raises(RuntimeError, match="attempting to assign a gradient with dtype 'float64'|"
                                           "attempting to assign a gradient with dtype 'double'"):
        p.grad = lib.ones(3, dtype=lib.float64)
    with pytest.raises(TypeError, match="assigned grad expected to be a Tensor or None"):
        p.grad = np.ones(3)
    p.grad = lib.full((3,), 2.0)
    assert p.grad.tolist() == [2.0, 2.0, 2.0]
    p.grad = None
    assert p.grad is None


def test_an_optimizer_step_still_runs_on_the_leaf():
    results = []
    for lib in (te, torch):
        w = lib.tensor([1.0, -2.0], requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.5, momentum=0.9)
        for _ in range(2):
            opt.zero_grad()
            (w * w).sum().backward()
            opt.step()
        assert w.is_leaf
        results.append(w.detach().numpy().copy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


def test_a_graph_that_saved_a_weight_refuses_backward_after_an_optimizer_step():
    """optimizer.step() changes parameters in place: like torch's, it moves their version."""
    for lib in (torch, te):
        w = lib.nn.Parameter(lib.tensor([1.0, 2.0, 3.0]))
        x = lib.tensor([4.0, 5.0, 6.0], requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1)
        (x * w).sum().backward()
        y = (x * w).sum()  # Mul saved w
        opt.step()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()
