"""The engine's CUDA kernels (``edu-cuda``) against PyTorch's (``torch-cuda``), kernel by kernel.

Both backends skip without a GPU (``tinygrad_edu.cuda.is_available()``,
``torch.cuda.is_available()``). The engine's Tensor does not run on the GPU yet (docs/gpu.md),
so these rows time the kernels themselves, on float32 arrays already on the GPU, against the
torch calls that do the same work with nothing else around them:

* conv2d forward: ``F.conv2d`` (cuDNN); backward (dx, dw, db): ``aten.convolution_backward``;
* max_pool2d forward with argmax: ``aten.max_pool2d_with_indices``; backward:
  ``aten.max_pool2d_with_indices_backward``;
* one Adam step over 0.4 M numbers (the CNN's parameter count) in one tensor:
  ``torch.optim.Adam`` as a user gets it (its default on CUDA: the foreach path);
* the batch-size sweep: conv2 forward + backward for N = 1 to 512.

TF32 is off for torch, so both sides compute in true float32. Every call ends with a
synchronize inside the timed region (``bench``). Shapes are the tutorial CNN's (N = 64; 8 in
quick mode). Groups start with "gpu kernel:", kind "cuda-kernel"; the report puts them in a
table of their own with the edu-cuda / torch-cuda ratio.
"""
import numpy as np
import pytest

BACKENDS = pytest.mark.backends("edu-cuda", "torch-cuda")
CONVS = {"conv1 (N,1,28,28) -> 8, 3x3": (1, 8, 28), "conv2 (N,8,14,14) -> 32, 3x3": (8, 32, 14)}
POOLS = {"pool1 (N,8,28,28) 2x2": (8, 28), "pool2 (N,32,14,14) 2x2": (32, 14)}
SWEEP = (1, 8, 64, 512)
ADAM_NUMBERS = 421_642  # the tutorial CNN's parameters


def _n(settings) -> int:
    return 8 if settings.quick else 64


def _on_gpu(backend, *arrays):
    """float32 copies of numpy arrays on the GPU: CuPy arrays for edu-cuda, torch tensors for torch-cuda."""
    if backend.is_edu:
        import cupy
        return [cupy.asarray(a, dtype=np.float32) for a in arrays]
    import torch
    torch.backends.cudnn.allow_tf32 = False
    return [torch.tensor(a, dtype=torch.float32, device="cuda") for a in arrays]


def _conv_calls(backend, n, c_in, c_out, size):
    """(forward, backward) closures for a 3x3, stride 1, padding 1 conv on the backend."""
    r = np.random.default_rng(0)
    x, w, b = _on_gpu(backend, r.standard_normal((n, c_in, size, size)), 0.2 * r.standard_normal((c_out, c_in, 3, 3)),
                      r.standard_normal(c_out))
    (g,) = _on_gpu(backend, r.standard_normal((n, c_out, size, size)))
    if backend.is_edu:
        from tinygrad_edu.kernels import cuda as kernels
        return (lambda: kernels.conv2d_forward(x, w, b, (1, 1), (1, 1)),
                lambda: kernels.conv2d_backward(g, x, w, (1, 1), (1, 1)))
    import torch
    return (lambda: torch.nn.functional.conv2d(x, w, b, 1, 1),
            lambda: torch.ops.aten.convolution_backward(g, x, w, [c_out], [1, 1], [1, 1], [1, 1], False, [0, 0], 1,
                                                        [True, True, True]))


@BACKENDS
@pytest.mark.parametrize("pass_", ["fwd", "bwd"])
@pytest.mark.parametrize("conv", list(CONVS))
def test_conv2d_kernel(bench, backend, settings, conv, pass_):
    n = _n(settings)
    forward, backward = _conv_calls(backend, n, *CONVS[conv])
    bench(f"gpu kernel: conv2d {conv} {pass_}", forward if pass_ == "fwd" else backward, kind="cuda-kernel",
          op="conv2d", pass_=pass_, batch=n)


@BACKENDS
@pytest.mark.parametrize("pass_", ["fwd", "bwd"])
@pytest.mark.parametrize("pool", list(POOLS))
def test_max_pool2d_kernel(bench, backend, settings, pool, pass_):
    n = _n(settings)
    channels, size = POOLS[pool]
    r = np.random.default_rng(0)
    x, g = _on_gpu(backend, r.standard_normal((n, channels, size, size)), r.standard_normal((n, channels, size // 2,
                                                                                             size // 2)))
    if backend.is_edu:
        from tinygrad_edu.kernels import cuda as kernels
        _, argmax = kernels.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0))
        def forward():
            return kernels.max_pool2d_forward(x, (2, 2), (2, 2), (0, 0))

        def backward():
            return kernels.max_pool2d_backward(g, argmax, x.shape)
    else:
        import torch
        aten = torch.ops.aten
        _, argmax = aten.max_pool2d_with_indices(x, [2, 2], [2, 2], [0, 0])
        def forward():
            return aten.max_pool2d_with_indices(x, [2, 2], [2, 2], [0, 0])

        def backward():
            return aten.max_pool2d_with_indices_backward(g, x, [2, 2], [2, 2], [0, 0], [1, 1], False, argmax)
    bench(f"gpu kernel: max_pool2d {pool} {pass_}", forward if pass_ == "fwd" else backward, kind="cuda-kernel",
          op="max_pool2d", pass_=pass_, batch=n)


@BACKENDS
def test_adam_kernel(bench, backend):
    r = np.random.default_rng(0)
    p, g = _on_gpu(backend, r.standard_normal(ADAM_NUMBERS), r.standard_normal(ADAM_NUMBERS))
    if backend.is_edu:
        from tinygrad_edu.kernels import cuda as kernels
        m, v = p * 0, p * 0
        state = {"step": 0}

        def step():
            state["step"] += 1
            kernels.adam_update(p, g, m, v, None, 1e-3, 0.9, 0.999, 1e-8, 0.0, state["step"], False)
    else:
        import torch
        param = torch.nn.Parameter(p)
        param.grad = g
        step = torch.optim.Adam([param], lr=1e-3).step
    bench("gpu kernel: adam step (0.4 M numbers)", step, kind="cuda-kernel", op="adam", params=ADAM_NUMBERS)


@BACKENDS
@pytest.mark.parametrize("batch", SWEEP)
def test_conv2d_kernel_batch_sweep(bench, backend, batch):
    forward, backward = _conv_calls(backend, batch, *CONVS["conv2 (N,8,14,14) -> 32, 3x3"])

    def both():
        forward()
        backward()
    bench(f"gpu kernel: conv2d conv2 fwd+bwd, batch {batch}", both, kind="cuda-kernel", op="conv2d sweep",
          batch=batch, items=batch)
