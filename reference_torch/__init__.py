"""The PyTorch yardstick for tinygrad_edu: the tutorial's models and loops in real torch.

- ``models``: the tutorial's classes built with real torch (their definitions live on the
  engine side, in ``tinygrad_edu.tutorial``, shared by both backends).
- ``weights``: moving parameters and optimizer state between torch and plain numpy.
- ``train``: the tutorial's training loops, which take the framework module as their first
  argument (pass ``torch``); it imports no torch itself.

The engine (``tinygrad_edu``) never imports this package. This file imports nothing.
"""
