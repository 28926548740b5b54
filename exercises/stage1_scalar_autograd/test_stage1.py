"""Stage 1, graded against PyTorch: every value and every input's gradient, float64."""
import math

import pytest
import torch


def scalar(x) -> float:
    return float(x)


def run_both(impl, expression, *numbers):
    """The expression on the learner's Values and on torch float64 scalars; both results and leaves."""
    ours = [impl.Value(n) for n in numbers]
    theirs = [torch.tensor(float(n), dtype=torch.float64, requires_grad=True) for n in numbers]
    out, ref = expression(*ours), expression(*theirs)
    out.backward()
    ref.backward()
    assert scalar(out.data) == pytest.approx(ref.item(), rel=1e-12, abs=1e-12), "forward value"
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert scalar(a.grad) == pytest.approx(b.grad.item(), rel=1e-10, abs=1e-12), f"gradient of input {k}"


def test_add(impl):
    run_both(impl, lambda a, b: a + b, 2.0, -3.5)


def test_mul(impl):
    run_both(impl, lambda a, b: a * b, 2.0, -3.5)


def test_pow(impl):
    run_both(impl, lambda a: a ** 3, 1.7)


def test_exp(impl):
    run_both(impl, lambda a: a.exp(), 0.3)


def test_tanh(impl):
    run_both(impl, lambda a: a.tanh(), 0.8)


@pytest.mark.parametrize("x", [1.5, -1.5])
def test_relu(impl, x):
    run_both(impl, lambda a: a.relu() * 2, x)


def test_numbers_on_either_side(impl):
    run_both(impl, lambda a: 3 * a + 1 - a / 4 + 2 / a, 1.3)


def test_a_value_used_twice_accumulates(impl):
    run_both(impl, lambda a: a * a + a, 3.0)


def test_a_neuron(impl):
    # micrograd's neuron: tanh(x1 w1 + x2 w2 + b)
    run_both(impl, lambda x1, x2, w1, w2, b: (x1 * w1 + x2 * w2 + b).tanh(), 2.0, 0.0, -3.0, 1.0, 6.8813735870195432)


def test_a_diamond(impl):
    run_both(impl, lambda a, b: ((a * b).exp() + (a + b) ** 2) * (a - b).tanh(), 0.4, -0.7)


def test_a_long_chain_needs_no_recursion(impl):
    a = impl.Value(1.0)
    out = a
    for _ in range(5000):
        out = out * 1.0001
    out.backward()
    assert scalar(a.grad) == pytest.approx(math.pow(1.0001, 5000), rel=1e-9)
