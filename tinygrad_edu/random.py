"""The engine's own random numbers: same seed, same numbers, on every machine.

A :class:`Generator` wraps numpy's PCG64 bit generator. ``manual_seed`` reseeds the
default one, which ``randn``, ``rand``, layer initialisation and dropout use unless they
are handed a generator of their own (as ``DataLoader(generator=...)`` is).
"""
from __future__ import annotations

import numpy as np


class Generator:
    """A seedable source of random numbers (PyTorch's ``torch.Generator``)."""

    def __init__(self, device: str = "cpu"):
        self.device = device
        self.manual_seed(0)

    def manual_seed(self, seed: int) -> "Generator":
        self._seed = int(seed)
        self.np = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def initial_seed(self) -> int:
        return self._seed

    def seed(self) -> int:
        """Reseed from the operating system's entropy and return the new seed."""
        return self.manual_seed(int(np.random.SeedSequence().entropy % 2**63)).initial_seed()

    def get_state(self) -> dict:
        return self.np.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.np.bit_generator.state = state


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator: after ``manual_seed(s)`` the same calls give the same numbers."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def numpy_generator(generator: Generator | None) -> np.random.Generator:
    """The numpy generator behind ``generator``, or behind the default one."""
    return (generator or default_generator).np
