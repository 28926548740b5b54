"""How the kernels cut their work into blocks of threads, and how one block adds numbers up.

Element-wise kernels (one thread per output element) launch ``launch_1d(n)``: blocks of up to
``THREADS`` threads, enough of them to cover n elements; the threads past n return at once.

A reduction (a gradient that sums over many positions) gives each output element one block:
every thread adds up a strided share of the terms, then ``block_sum`` halves the partial sums
pairwise in shared memory until one is left (a tree: log2(threads) steps, all threads busy in
the first). Blocks have a power-of-two size, at most ``REDUCE_THREADS``, and no more threads than
give each one ``TERMS_PER_THREAD`` terms to add on its own: a step of the tree costs a wait for
the whole block, dearer than a few more additions.
"""
from numba import cuda

THREADS = 256
REDUCE_THREADS = 256  # also the size of each block's shared array: a compile-time constant
TERMS_PER_THREAD = 32


def launch_1d(n: int) -> tuple[int, int]:
    """(blocks, threads per block) for one thread per element of n."""
    threads = max(1, min(THREADS, n))
    return (n + threads - 1) // threads, threads


def reduce_threads(terms: int) -> int:
    """Threads for a block that adds up ``terms`` numbers: a power of two, 1 to REDUCE_THREADS."""
    threads = 1
    while threads * 2 <= min(terms // TERMS_PER_THREAD, REDUCE_THREADS):
        threads *= 2
    return threads


@cuda.jit(device=True)
def block_sum(shared, value):
    """The sum of ``value`` over the threads of this block; every thread must call it.

    shared: a ``cuda.shared.array`` of at least blockDim.x elements, in value's dtype.
    """
    if cuda.blockDim.x == 1:  # a block of one thread already holds the sum
        return value
    t = cuda.threadIdx.x
    shared[t] = value
    cuda.syncthreads()
    step = cuda.blockDim.x // 2
    while step > 0:
        if t < step:
            shared[t] += shared[t + step]
        cuda.syncthreads()  # every partial sum of this step is written before the next reads it
        step //= 2
    return shared[0]
