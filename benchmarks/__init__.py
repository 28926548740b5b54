"""Benchmarks: tinygrad_edu against PyTorch, op by op and model by model (pytest-benchmark).

Full suite (about 2 minutes on two cores), then the report (three runs: each ratio with its spread)::

    for k in 1 2 3; do python -m pytest benchmarks --benchmark-json=benchmarks/results/cpu-$k.json; done
    python -m benchmarks.report benchmarks/results/cpu-1.json benchmarks/results/cpu-2.json benchmarks/results/cpu-3.json

The report writes ``benchmarks/results/REPORT.md`` (medians in ms and ratios to torch-cpu per
case, the machine, thread counts, BLAS, library versions) and PNG charts beside it. JSON
saved on a GPU machine (``--benchmark-json=benchmarks/results/gpu.json``) and left in
``benchmarks/results/`` is picked up too: its torch-cuda figures go beside the CPU ones.

Issue 13's targets are judged on ratios of alternating blocks (``ratio.py``; the suite times each
backend in a block of its own, exposed to load that comes and goes between them). Three runs of
each, kept as JSON in ``benchmarks/results/``, become a table of the report with every target's
verdict::

    for k in 1 2 3; do python -m benchmarks.ratio --processes --json benchmarks/results/ratio-$k.json
                       python -m benchmarks.ratio --processes --sweep --json benchmarks/results/ratio-sweep-$k.json; done

Quick smoke (seconds; tiny sizes, one or two rounds, what CI runs through
``tests/test_benchmarks_smoke.py``)::

    python -m pytest benchmarks --quick        # or TINYGRAD_EDU_BENCH_QUICK=1

``pytest`` with no arguments runs ``tests/`` only (``testpaths`` in pyproject.toml); the
benchmarks run when ``benchmarks`` is named on the command line.

What is measured (every case for each backend, grouped so that the backends of a case are
printed side by side):

* backends: ``edu`` (the engine, numba kernels), ``edu-numpy`` (the engine with
  ``tinygrad_edu.kernels.use("numpy")``: conv/pool by the numpy twins), ``torch-cpu`` and
  ``torch-cuda`` (skipped where ``torch.cuda.is_available()`` is False);
* ``test_ops.py``: single ops, forward and forward+backward (matmul, Linear, conv2d,
  max_pool2d, relu, log_softmax + nll_loss), one Adam step over the CNN's parameters, and a
  chain of 1,000 tiny elementwise ops on a (4,) tensor (the engine's cost per op);
* ``test_models.py``: one training step (forward, loss, backward, Adam) and inference for
  the tutorial's MLP (batch 128, NLLLoss) and CNN (batch 64, CrossEntropyLoss), a full epoch
  over the 4,000 built-in digits, the training step over batch sizes 1 to 512 (how the cost
  grows with the work), and the long-run check: the CNN's step time after 2,000 steps
  against a fresh model's, timed alternately (Adam state drifting into float32 subnormals,
  or allocations growing, would show as a ratio above 1.10).

Every case warms up outside the timed region (numba compilation, first allocations). Torch
runs with as many threads as this process has cores (``torch.set_num_threads``); the JSON's
``machine_info["tinygrad_edu"]`` records them with numba's threads and the BLAS pools seen
by threadpoolctl. Timings on a shared machine are noisy: compare backends as ratios from one
run, never absolute times from different runs.

``conv_candidates.py`` is a separate script comparing conv/pool kernel candidates.
"""
