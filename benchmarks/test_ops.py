"""Single ops on the tutorial networks' shapes, forward and forward+backward, per backend.

Forward runs with grad mode on and inputs that require grad, so it includes recording the
graph, as in training; forward+backward then adds the backward pass for every input (each
leaf's ``.grad`` is reset first, so nothing accumulates). The batch N is 64 (8 in quick mode).

Also: one Adam step over the CNN's parameters (gradients from one real backward pass), and
the engine's overhead per op: a chain of 1,000 elementwise ops on a (4,) tensor,
``x = x * 1.0001 + 0.0001`` 500 times, forward and forward+backward. ``extra_info["ops"]``
holds the op count, so the report can show the time per op.
"""
import numpy as np
import pytest


def _n(settings) -> int:
    return 8 if settings.quick else 64


def _rng():
    return np.random.default_rng(0)


# Each op: (backend, N) -> (leaves, forward); forward() returns the op's output.

def matmul(b, n):
    a, w = b.tensor(_rng().standard_normal((256, 256), np.float32), True), \
        b.tensor(_rng().standard_normal((256, 256), np.float32), True)
    return [a, w], lambda: a @ w


def linear(b, n):
    r = _rng()
    x = b.tensor(r.standard_normal((2 * n, 784), np.float32), True)
    w = b.tensor(r.standard_normal((100, 784), np.float32) * 0.03, True)
    bias = b.tensor(r.standard_normal(100, np.float32), True)
    return [x, w, bias], lambda: b.F.linear(x, w, bias)


def _conv(c_in, c_out, size):
    def make(b, n):
        r = _rng()
        x = b.tensor(r.standard_normal((n, c_in, size, size), np.float32), True)
        w = b.tensor(r.standard_normal((c_out, c_in, 3, 3), np.float32) * 0.2, True)
        bias = b.tensor(r.standard_normal(c_out, np.float32), True)
        return [x, w, bias], lambda: b.F.conv2d(x, w, bias, stride=1, padding=1)
    return make


def _pool(channels, size):
    def make(b, n):
        x = b.tensor(_rng().standard_normal((n, channels, size, size), np.float32), True)
        return [x], lambda: b.F.max_pool2d(x, kernel_size=2, stride=2)
    return make


def relu(b, n):
    x = b.tensor(_rng().standard_normal((n, 8, 28, 28), np.float32), True)
    return [x], lambda: b.F.relu(x)


def log_softmax_nll(b, n):
    r = _rng()
    x = b.tensor(r.standard_normal((2 * n, 10), np.float32), True)
    y = b.tensor(r.integers(0, 10, 2 * n))
    return [x], lambda: b.F.nll_loss(b.F.log_softmax(x, dim=1), y)


# Names give the full-mode shapes (N = 64); quick mode uses N = 8.
OPS = {
    "matmul 256x256 @ 256x256": matmul,
    "linear (128,784) -> 100": linear,
    "conv2d conv1 (64,1,28,28) -> 8, 3x3": _conv(1, 8, 28),
    "conv2d conv2 (64,8,14,14) -> 32, 3x3": _conv(8, 32, 14),
    "max_pool2d pool1 (64,8,28,28) 2x2": _pool(8, 28),
    "max_pool2d pool2 (64,32,14,14) 2x2": _pool(32, 14),
    "relu (64,8,28,28)": relu,
    "log_softmax+nll_loss (128,10)": log_softmax_nll,
}


@pytest.mark.parametrize("pass_", ["fwd", "fwd+bwd"])
@pytest.mark.parametrize("op", list(OPS))
def test_op(bench, backend, settings, op, pass_):
    leaves, forward = OPS[op](backend, _n(settings))
    if pass_ == "fwd":
        fn = forward
    else:
        out = forward()
        grad = None if out.ndim == 0 else backend.tensor(np.ones(tuple(out.shape), np.float32))

        def fn():
            for t in leaves:
                t.grad = None
            forward().backward(grad)
    bench(f"op: {op} {pass_}", fn, kind="op", op=op, pass_=pass_, batch=_n(settings))


def test_adam_step(bench, backend, settings, digits):
    """One optimizer.step() of Adam (lr 1e-3) over the CNN's 10 parameter tensors (about
    0.4 M numbers); the gradients come from one real backward pass and stay fixed."""
    model, n = backend.model("cnn"), _n(settings)
    x, y = digits
    loss = backend.loss("cnn")(model(backend.tensor(x[:n])), backend.tensor(y[:n]))
    loss.backward()
    opt = backend.adam(model)
    params = sum(int(np.prod(tuple(p.shape))) for p in model.parameters())
    bench("op: adam step (CNN parameters)", opt.step, kind="op", op="adam step", params=params)


CHAIN = 500  # x * a + b: 2 ops per link


@pytest.mark.parametrize("pass_", ["fwd", "fwd+bwd"])
def test_op_chain(bench, backend, pass_):
    """Engine overhead per op: 1,000 elementwise ops on a (4,) tensor."""
    x0 = backend.tensor(np.array([1.0, 2.0, 3.0, 4.0], np.float32), True)
    ones = backend.tensor(np.ones(4, np.float32))

    def forward():
        x = x0
        for _ in range(CHAIN):
            x = x * 1.0001 + 0.0001
        return x

    if pass_ == "fwd":
        fn = forward
    else:
        def fn():
            x0.grad = None
            forward().backward(ones)
    bench(f"op: chain of {2 * CHAIN} tiny ops (4,) {pass_}", fn, kind="op", op="chain", pass_=pass_,
          ops=2 * CHAIN)
