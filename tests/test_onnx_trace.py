"""The ONNX tracer is a context manager: it records the ops run inside its block, and leaving
the block (normally or by an exception) leaves no hook set and grad mode as it was."""
import pytest

import tinygrad_edu as tg
from tinygrad_edu import autograd
from tinygrad_edu.onnx.trace import Tracer, trace


def test_tracer_records_ops_in_order_with_their_arguments():
    x = tg.ones(2, 3, requires_grad=True)
    with Tracer() as t:
        assert not tg.is_grad_enabled()
        y = (x * 2).reshape(3, 2).sum()
    assert [op.name for op in t.ops] == ["Mul", "Reshape", "Sum"]
    assert t.ops[1].args[1] == (3, 2) and t.ops[-1].outputs == (y,)
    assert y.grad_fn is None  # no backward graph inside the trace
    assert autograd.observer.tracer is None and tg.is_grad_enabled()
    assert (x * 2).grad_fn is not None  # recording is back to normal, and nothing more is traced
    assert len(t.ops) == 3


def test_an_exception_leaves_no_tracer_and_grad_mode_restored():
    x = tg.ones(2, requires_grad=True)
    with pytest.raises(ValueError, match="boom"):
        with Tracer() as t:
            x + 1
            raise ValueError("boom")
    assert autograd.observer.tracer is None and tg.is_grad_enabled()
    assert (x + 1).grad_fn is not None and len(t.ops) == 1

    def model(a):
        return a.reshape(5, 5)  # 2 elements: reshape raises inside trace()

    with pytest.raises(RuntimeError, match="invalid for input of size 2"):
        trace(model, (x,))
    assert autograd.observer.tracer is None and tg.is_grad_enabled()


def test_traces_do_not_nest():
    with Tracer() as outer:
        with pytest.raises(RuntimeError, match="does not nest"):
            with Tracer():
                pass
        tg.ones(2) * 3
        assert autograd.observer.tracer is not None  # the outer trace keeps recording
    assert [op.name for op in outer.ops] == ["Mul"]
    assert autograd.observer.tracer is None


def test_the_tracer_is_per_thread():
    import threading
    seen = []
    with Tracer():
        worker = threading.Thread(target=lambda: seen.append(autograd.observer.tracer))
        worker.start()
        worker.join()
    assert seen == [None]
