"""Conv / max-pool kernel candidates against torch on the tutorial CNN's shapes.

    python -m benchmarks.conv_candidates [--rounds 5] [--sections step]
    python -m benchmarks.conv_candidates --sections rates   # conv2's forward in multiply-adds a second
    python -m benchmarks.conv_candidates --sections split   # the kernels' thread pool against OpenMP

Everything runs in this one process. Each round times every candidate in turn, in a block of
back-to-back calls after a short rest (so threads left spinning by one candidate do not slow
the next), and load from other processes hits all candidates alike. Per section, the table
shows each candidate's per-call median and minimum (ms) and their ratios to torch's (2 threads).
On a shared machine the minimum is the better estimate of what a kernel can do, the median of
what it does under that load. Compilation happens before any timing.

Candidates:
  numpy twin              im2col through sliding_window_view + one tensordot GEMM (OpenBLAS)
  numba planes (Tt)       the shipped kernels: direct loops, 4 taps per sweep, T threads
  numba im2col+BLAS       numba im2col/col2im copies, GEMMs by numpy matmul (OpenBLAS)
The "step" section times the tutorial network's forward+backward (conv, relu, pool, conv, relu,
pool, linear, mean) on the kernels plus numpy under numba x OpenBLAS thread counts, against
the same network in torch: that is where numba's and OpenBLAS's threads meet. Its kernels are
called directly, so OpenBLAS's workers spin on beside them after each matmul (the fight that
made the step 2-5x slower on two cores), except in the "engine" row, which calls them through
``tinygrad_edu.kernels`` as the engine does: there the runtime's policy puts BLAS on one thread
and stops its idle workers before each kernel (``tinygrad_edu/runtime.py``). Its numpy side
allocates megabyte arrays at every step, which glibc hands back to the kernel and then takes
page faults on again; MALLOC_MMAP_THRESHOLD_=1000000000 MALLOC_TRIM_THRESHOLD_=1000000000 in
the environment shows what that costs.
The "rates" section puts conv2's forward on one thread beside the core's sgemm rate (torch.mm on
1024x1024 matrices): per-call times and useful multiply-adds per second (N*F*OH*OW*C*KH*KW, junk
columns not counted), and the implementation oneDNN reports for torch's conv (``ONEDNN_VERBOSE``).
The "split" section weighs the engine's two ways of running a kernel on two threads
(``tinygrad_edu/kernels/threads.py``): numba's parallel loops (``prange``, on OpenMP here, torch's
runtime too) and a pool of Python threads; a memory-bound call (ReLU at the benchmark report's
size) each way, then the engine's CNN training step each way, in alternating blocks in this process
(OpenMP's threads spin on into the pool's blocks for a while: run alone, the two differ more).
"""
import argparse
import os
import tempfile
import time
import types

import numba
import numpy as np
import torch
import torch.nn.functional as TF
from numba import njit
from threadpoolctl import threadpool_limits

from tinygrad_edu import kernels
from tinygrad_edu.kernels import conv, pool, relu, threads

CONVS = {"conv1 1->8 @28": ((64, 1, 28, 28), (8, 1, 3, 3)), "conv2 8->32 @14": ((64, 8, 14, 14), (32, 8, 3, 3))}
POOLS = {"pool 8@28": (64, 8, 28, 28), "pool 32@14": (64, 32, 14, 14)}
S, P = (1, 1), (1, 1)


@njit(cache=True)
def _im2col(xpad, KH, KW, OH, OW, cols):
    """cols[c, i, j, n, oh, ow] = xpad[n, c, oh + i, ow + j] (stride 1)."""
    N, C = xpad.shape[:2]
    for c in range(C):
        for i in range(KH):
            for j in range(KW):
                for n in range(N):
                    for oh in range(OH):
                        cols[c, i, j, n, oh, :] = xpad[n, c, oh + i, j:j + OW]


@njit(cache=True)
def _col2im(dcols, dxpad):
    C, KH, KW, N, OH, OW = dcols.shape
    for n in range(N):
        for c in range(C):
            for i in range(KH):
                for j in range(KW):
                    for oh in range(OH):
                        dxpad[n, c, oh + i, j:j + OW] += dcols[c, i, j, n, oh]


def _cols(x, w):
    (N, C, H, W), (_, _, KH, KW) = x.shape, w.shape
    cols = np.empty((C, KH, KW, N, H, W), x.dtype)  # 'same' padding: OH, OW = H, W
    _im2col(conv._pad(x, P), KH, KW, H, W, cols)
    return cols.reshape(C * KH * KW, -1)


def im2col_forward(x, w, b):
    N, _, H, W = x.shape
    F = w.shape[0]
    out = (w.reshape(F, -1) @ _cols(x, w)).reshape(F, N, H, W)
    return np.ascontiguousarray((out + b[:, None, None, None]).transpose(1, 0, 2, 3))


def im2col_backward(g, x, w, needs):
    N, C, H, W = x.shape
    F = w.shape[0]
    g2 = np.ascontiguousarray(g.transpose(1, 0, 2, 3)).reshape(F, -1)
    dx = None
    if needs[0]:
        dxpad = np.zeros((N, C, H + 2, W + 2), x.dtype)
        _col2im((w.reshape(F, -1).T @ g2).reshape(C, *w.shape[2:], N, H, W), dxpad)
        dx = dxpad[:, :, 1:-1, 1:-1].copy()
    return dx, (g2 @ _cols(x, w).T).reshape(w.shape), g.sum(axis=(0, 2, 3))


def with_threads(fn, numba_threads, blas_threads=2):
    """fn to be timed with this many numba and OpenBLAS threads."""
    return fn, numba_threads, blas_threads


def measure(candidates, rounds, block_s=0.1, rest_s=0.2):
    """Per-call (median, min) in ms of each candidate, and the median of its blocks' process CPU
    time over wall time (above 1: more than one thread worked).

    Each round times every candidate in a block of back-to-back calls, after a rest: OpenBLAS's
    threads spin for ~0.1 s after a call, and spinning threads of one candidate would otherwise
    be charged to the next one.
    """
    candidates = {name: c if isinstance(c, tuple) else with_threads(c, 2) for name, c in candidates.items()}
    times, cpus = {name: [] for name in candidates}, {name: [] for name in candidates}
    for _ in range(rounds):
        for name, (fn, numba_threads, blas_threads) in candidates.items():
            numba.set_num_threads(numba_threads)
            with threadpool_limits(blas_threads, user_api="blas"):
                fn()
                time.sleep(rest_s)
                cpu, start = time.process_time(), time.perf_counter()
                while time.perf_counter() - start < block_s:
                    t = time.perf_counter()
                    fn()
                    times[name].append(time.perf_counter() - t)
                cpus[name].append((time.process_time() - cpu) / (time.perf_counter() - start))
    return {name: (1e3 * float(np.median(ts)), 1e3 * min(ts), float(np.median(cpus[name])))
            for name, ts in times.items()}


def report(title, results, baseline="torch"):
    base_median, base_min, _ = results[baseline]
    print(f"\n{title:<36s}{'median':>9s}  {'ratio':>6s}  {'min':>9s}  {'ratio':>6s}")
    for name, (median, fastest, _) in results.items():
        print(f"  {name:<34s}{median:9.3f}  {median / base_median:6.2f}  {fastest:9.3f}  {fastest / base_min:6.2f}")


def conv_sections(rounds, rng):
    for label, (xs, ws) in CONVS.items():
        x, w = rng.standard_normal(xs, dtype=np.float32), rng.standard_normal(ws, dtype=np.float32)
        b = rng.standard_normal(ws[0], dtype=np.float32)
        needs = (xs[1] > 1, True, True)  # the first layer's input needs no gradient
        g = rng.standard_normal((xs[0], ws[0], xs[2], xs[3]), dtype=np.float32)
        xt, wt, bt = (torch.tensor(a, requires_grad=r) for a, r in ((x, needs[0]), (w, True), (b, True)))
        gt = torch.from_numpy(g)
        ref = TF.conv2d(xt, wt, bt, S, P).detach().numpy()
        for fwd in (conv.conv2d_forward_numba, conv.conv2d_forward_numpy):
            np.testing.assert_allclose(fwd(x, w, b, S, P), ref, rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(im2col_forward(x, w, b), ref, rtol=1e-4, atol=1e-3)

        def torch_step():
            TF.conv2d(xt, wt, bt, S, P).backward(gt)

        def ours(path):
            fwd, bwd = getattr(conv, "conv2d_forward_" + path), getattr(conv, "conv2d_backward_" + path)
            return lambda: (fwd(x, w, b, S, P), bwd(g, x, w, S, P, needs))

        forward = {"torch": lambda: TF.conv2d(xt.detach(), wt.detach(), bt.detach(), S, P),
                   "numpy twin": lambda: conv.conv2d_forward_numpy(x, w, b, S, P),
                   "numba planes (2t)": with_threads(lambda: conv.conv2d_forward_numba(x, w, b, S, P), 2),
                   "numba planes (1t)": with_threads(lambda: conv.conv2d_forward_numba(x, w, b, S, P), 1),
                   "numba im2col+BLAS(2t)": with_threads(lambda: im2col_forward(x, w, b), 1, 2),
                   "numba im2col+BLAS(1t)": with_threads(lambda: im2col_forward(x, w, b), 1, 1)}
        report(f"{label} forward", measure(forward, rounds))
        both = {"torch": torch_step,
                "numpy twin": ours("numpy"),
                "numba planes (2t)": with_threads(ours("numba"), 2),
                "numba planes (1t)": with_threads(ours("numba"), 1),
                "numba im2col+BLAS(2t)": with_threads(lambda: (im2col_forward(x, w, b), im2col_backward(g, x, w, needs)), 1, 2),
                "numba im2col+BLAS(1t)": with_threads(lambda: (im2col_forward(x, w, b), im2col_backward(g, x, w, needs)), 1, 1)}
        report(f"{label} forward+backward (dx: {needs[0]})", measure(both, rounds))


def pool_sections(rounds, rng):
    for label, shape in POOLS.items():
        x = rng.standard_normal(shape, dtype=np.float32)
        g = rng.standard_normal((*shape[:2], shape[2] // 2, shape[3] // 2), dtype=np.float32)
        xt, gt = torch.tensor(x, requires_grad=True), torch.from_numpy(g)

        def ours(path, backward):
            fwd, bwd = getattr(pool, "max_pool2d_forward_" + path), getattr(pool, "max_pool2d_backward_" + path)
            if not backward:
                return lambda: fwd(x, (2, 2), (2, 2), (0, 0))
            return lambda: bwd(g, fwd(x, (2, 2), (2, 2), (0, 0))[1], shape)

        def torch_step():
            TF.max_pool2d(xt, 2, 2).backward(gt)

        for backward in (False, True):
            results = measure({"torch": torch_step if backward else (lambda: TF.max_pool2d(xt.detach(), 2, 2)),
                               "numpy twin": ours("numpy", backward),
                               "numba (2t)": with_threads(ours("numba", backward), 2),
                               "numba (1t)": with_threads(ours("numba", backward), 1)}, rounds)
            report(f"{label} {'forward+backward' if backward else 'forward'}", results)


def step_section(rounds, rng):
    """The tutorial CNN's forward+backward: kernels + numpy (+ OpenBLAS for the linear layer)."""
    x = rng.standard_normal((64, 1, 28, 28), dtype=np.float32)
    w1, b1 = 0.3 * rng.standard_normal((8, 1, 3, 3), dtype=np.float32), np.zeros(8, np.float32)
    w2, b2 = 0.1 * rng.standard_normal((32, 8, 3, 3), dtype=np.float32), np.zeros(32, np.float32)
    wl = 0.02 * rng.standard_normal((10, 32 * 7 * 7), dtype=np.float32)

    direct = types.SimpleNamespace(conv2d_forward=conv.conv2d_forward_numba, conv2d_backward=conv.conv2d_backward_numba,
                                   max_pool2d_forward=pool.max_pool2d_forward_numba,
                                   max_pool2d_backward=pool.max_pool2d_backward_numba)

    def ours(k=direct):
        h1 = k.conv2d_forward(x, w1, b1, S, P)
        r1 = np.maximum(h1, 0)
        p1, a1 = k.max_pool2d_forward(r1, (2, 2), (2, 2), (0, 0))
        h2 = k.conv2d_forward(p1, w2, b2, S, P)
        r2 = np.maximum(h2, 0)
        p2, a2 = k.max_pool2d_forward(r2, (2, 2), (2, 2), (0, 0))
        flat = p2.reshape(64, -1)
        logits = flat @ wl.T
        g_logits = np.full_like(logits, 1 / logits.size)
        g_wl = g_logits.T @ flat
        g_p2 = (g_logits @ wl).reshape(p2.shape)
        g_h2 = k.max_pool2d_backward(g_p2, a2, r2.shape) * (h2 > 0)
        g_p1, g_w2, g_b2 = k.conv2d_backward(g_h2, p1, w2, S, P)
        g_h1 = k.max_pool2d_backward(g_p1, a1, r1.shape) * (h1 > 0)
        return g_wl, g_w2, k.conv2d_backward(g_h1, x, w1, S, P, (False, True, True))

    tx, tw1, tb1, tw2, tb2, twl = (torch.tensor(a, requires_grad=r) for a, r in
                                   ((x, False), (w1, True), (b1, True), (w2, True), (b2, True), (wl, True)))

    def torch_step():
        h = TF.max_pool2d(TF.relu(TF.conv2d(tx, tw1, tb1, S, P)), 2)
        h = TF.max_pool2d(TF.relu(TF.conv2d(h, tw2, tb2, S, P)), 2)
        (h.reshape(64, -1) @ twl.T).mean().backward()

    candidates = {"torch": torch_step}
    for nt in (2, 1):
        for bt in (2, 1):
            candidates[f"numba {nt}t + OpenBLAS {bt}t"] = with_threads(ours, nt, bt)
    previous = kernels.use("numba")
    candidates["engine: 2t, BLAS by the policy"] = with_threads(lambda: ours(kernels), 2, 2)
    report("tutorial CNN forward+backward (no optimizer)", measure(candidates, rounds, block_s=0.3))
    kernels.use(previous)


def _onednn_implementation(fn) -> str:
    """The implementation and algorithm oneDNN reports for the convolution ``fn`` runs (its verbose
    lines go to the process's stdout, so file descriptor 1 is pointed at a file meanwhile)."""
    with tempfile.TemporaryFile(mode="w+") as log:
        saved = os.dup(1)
        os.dup2(log.fileno(), 1)
        try:
            with torch.backends.mkldnn.verbose(torch.backends.mkldnn.VERBOSE_ON):
                fn()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        log.seek(0)
        lines = [line.split(",") for line in log if ",exec,cpu,convolution," in line]
    if not lines:
        return "nothing (not oneDNN)"
    fields = lines[-1]
    return f"{fields[fields.index('convolution') + 1]}, {next((f for f in fields if f.startswith('alg:')), 'alg:?')}"


def rates_section(rounds, rng):
    """conv2's forward on one thread: ours, torch's, and the core's sgemm rate, in useful GMAC/s,
    with each block's CPU / wall (``measure``): above 1 a second thread worked."""
    xs, ws = CONVS["conv2 8->32 @14"]
    x, w = rng.standard_normal(xs, dtype=np.float32), rng.standard_normal(ws, dtype=np.float32)
    b = rng.standard_normal(ws[0], dtype=np.float32)
    xt, wt, bt = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b)
    a, c = torch.randn(1024, 1024), torch.randn(1024, 1024)
    geo = conv._geometry(x.shape, w.shape, S, P, (1, 1))
    useful = xs[0] * ws[0] * xs[2] * xs[3] * ws[1] * ws[2] * ws[3]  # N*F*OH*OW*C*KH*KW
    candidates = {"torch conv2d": (lambda: TF.conv2d(xt, wt, bt, S, P), useful),
                  "numba planes": (lambda: conv.conv2d_forward_numba(x, w, b, S, P), useful),
                  "  of which the planes": (lambda: conv._to_planes(x, S, P, geo), None),
                  "torch.mm 1024x1024": (lambda: torch.mm(a, c), 1024 ** 3)}
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        print(f"\ntorch's conv2 forward: oneDNN's {_onednn_implementation(candidates['torch conv2d'][0])}")
        results = measure({name: with_threads(fn, 1, 1) for name, (fn, _) in candidates.items()}, rounds)
    finally:
        torch.set_num_threads(threads)
    print(f"{'conv2 8->32 @14 forward, one thread':<36s}{'ms/call':>9s}  {'CPU/wall':>8s}  {'useful GMAC/s':>13s}")
    for name, (_, macs) in candidates.items():
        median, _, cpu_per_wall = results[name]
        rate = f"{macs / (1e-3 * median) / 1e9:13.1f}" if macs else ""
        print(f"  {name:<34s}{median:9.3f}  {cpu_per_wall:8.2f}  {rate}")


@njit(nogil=True, cache=True)
def _relu_pieces(start, stop, x, z):
    """ReLU over elements 4096*start .. 4096*stop - 1, for the thread pool (``threads._split``)."""
    relu._relu_forward_loop(x[4096 * start:4096 * stop], z[4096 * start:4096 * stop])


def split_section(rounds, rng, batches=(16, 32, 64)):
    """numba's parallel loops against the thread pool: a ReLU forward alone, then whole training steps."""
    from .conftest import make_backend
    from .ratio import _block, _train

    x = rng.standard_normal(64 * 8 * 28 * 28, dtype=np.float32)
    z, xt = np.empty_like(x), torch.from_numpy(x)
    jobs = -(-x.size // 4096)
    report("relu (64,8,28,28) forward", measure({
        "torch": lambda: torch.relu(xt),
        "numba loop, one thread": lambda: relu._relu_forward_loop(x, z),
        "the loop on the thread pool": lambda: threads._split(_relu_pieces, jobs, 2, threads.PIECES_PER_THREAD,
                                                               (x, z)),
        "the loop in a parallel loop": lambda: relu._relu_forward_parallel(x, z)}, rounds))

    modes = {"parallel loops": True, "thread pool": False}
    try:
        for batch in batches:
            step = _train("cnn", batch, False)(make_backend("edu"))
            for on in modes.values():  # compiles, and starts each way's threads
                threads.use_parallel_loops(on)
                for _ in range(3):
                    step()
            reps, times = max(3, 320 // batch), {mode: [] for mode in modes}
            for _ in range(10 * rounds):
                for mode, on in modes.items():
                    threads.use_parallel_loops(on)
                    times[mode].append(_block(step, reps))
            base = np.median(times["thread pool"])
            print(f"\nCNN training step, batch {batch:<18d}{'median':>9s}  {'ratio':>6s}")
            for mode, ts in times.items():
                print(f"  {mode:<34s}{1e3 * np.median(ts):9.3f}  {np.median(ts) / base:6.2f}")
    finally:
        threads.use_parallel_loops(None)


SECTIONS = {"conv": conv_sections, "pool": pool_sections, "step": step_section, "rates": rates_section,
            "split": split_section}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS))
    args = parser.parse_args(argv)
    numba.get_num_threads()  # starts numba's threading layer (OpenMP here), which resets torch's thread count
    torch.set_num_threads(2)
    print(f"numba {numba.__version__} ({numba.config.NUMBA_NUM_THREADS} threads), torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), float32, per-call times in ms over {args.rounds} rounds")
    rng = np.random.default_rng(0)
    for name in args.sections:
        SECTIONS[name](args.rounds, rng)
    numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)


if __name__ == "__main__":
    main()
