"""The PyTorch yardstick for tinygrad_edu: the tutorial's models, data and loops in real torch.

Two kinds of module live here:

- Framework-free (import without torch, so the engine side reuses them):
  ``tutorial_models`` (``build_models(torch)`` and the regression data) and ``train``
  (training and evaluation loops; the ones that need framework functions take the
  framework module as their first argument).
- Torch-bound: ``models`` (the classes built with real torch) and ``weights`` (moving
  parameters and optimizer state between torch and plain numpy).

This file imports nothing, so ``import reference_torch.tutorial_models`` never loads torch.
"""
