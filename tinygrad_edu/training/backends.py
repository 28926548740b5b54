"""What differs between training on this engine (``edu``) and on PyTorch (``torch``).

Almost nothing: both backends are a framework module with the same API, so datasets,
loaders, models and optimizers are made the same way, through ``backend.torch``. What is
left is where tensors live (the torch backend can use a GPU), how images are tiled into a
grid (``tinygrad_edu.vision.utils`` or ``torchvision.utils``) and which TensorBoard writer is
used (the torch backend uses torch's ``SummaryWriter``; the engine writes event files
without torch).

Weights and optimizer state cross between backends, and into checkpoints, as numpy arrays.

Same start on both backends: the initial weights are always drawn by the engine
(``tinygrad_edu.manual_seed(seed)``, then the model is built), and the torch backend copies
them into its own model. So ``--backend edu`` and ``--backend torch`` with the same seed
start from identical weights; torch's own RNG is seeded too, but nothing draws from it.
"""
from __future__ import annotations

import copy
import os
from types import ModuleType

import numpy as np

import tinygrad_edu
import tinygrad_edu.utils.data  # noqa: F401  (``import tinygrad_edu`` alone doesn't load it)
from tinygrad_edu.vision.utils import make_grid

from . import warm_up
from .errors import UserError
from .logging import EventWriter
from .recipes import Recipe


class Backend:
    """A framework module (``self.torch``) and the device its tensors live on."""

    name: str
    torch: ModuleType
    device: str = "cpu"

    def make_model(self, recipe: Recipe, seed: int, dtype: str):
        """The recipe's model with the engine's initial weights for ``seed``, as ``dtype``."""
        raise NotImplementedError

    def dataset(self, x: np.ndarray, y: np.ndarray):
        """A ``TensorDataset`` of the arrays, on the backend's device."""
        return self.torch.utils.data.TensorDataset(self.as_tensor(x), self.as_tensor(y))

    def loader(self, dataset, batch_size: int, order: list[int]):
        """A ``DataLoader`` visiting ``dataset`` in exactly the given ``order``."""
        return self.torch.utils.data.DataLoader(dataset, batch_size=batch_size, sampler=order)

    def as_tensor(self, array: np.ndarray):
        """A tensor of ``array`` on the device (on the CPU it shares the array's memory)."""
        return self.torch.from_numpy(array)

    def weights_to_numpy(self, model) -> dict[str, np.ndarray]:
        """A numpy copy of every entry of ``model.state_dict()``."""
        return {name: to_numpy(t) for name, t in model.state_dict().items()}

    def load_weights(self, model, arrays: dict[str, np.ndarray]) -> None:
        """Copy numpy ``arrays`` into ``model`` (each cast to its parameter's dtype)."""
        try:
            model.load_state_dict({name: self.torch.tensor(a) for name, a in arrays.items()})
        except RuntimeError as e:
            raise UserError(f"the weights don't fit the model: {e}".replace("\n", " ")) from None

    def optimizer_state_to_numpy(self, optimizer) -> dict:
        """``optimizer.state_dict()`` with its tensors (Adam's ``exp_avg``...) as numpy copies."""
        saved = optimizer.state_dict()
        state = {index: {key: to_numpy(v) if hasattr(v, "detach") else v for key, v in per_param.items()}
                 for index, per_param in saved["state"].items()}
        return {"state": state, "param_groups": copy.deepcopy(saved["param_groups"])}

    def load_optimizer_state(self, optimizer, saved: dict) -> None:
        """Inverse of ``optimizer_state_to_numpy``."""
        state = {index: {key: self.torch.tensor(v) if isinstance(v, np.ndarray) else v
                         for key, v in per_param.items()}
                 for index, per_param in saved["state"].items()}
        optimizer.load_state_dict({"state": state, "param_groups": copy.deepcopy(saved["param_groups"])})

    def image_grid(self, images) -> np.ndarray:
        """A batch of normalised images ``(N, 1, H, W)`` in [-1, 1] tiled into one
        ``(3, H', W')`` image in [0, 1] (``make_grid``, 8 per row)."""
        raise NotImplementedError

    def start_warm_up(self, model, optimizer: str, dtype: str) -> int | None:
        """A child process compiling kernels ahead of the first step, or None (the base: none)."""
        return None

    def summary_writer(self, logdir: str):
        """A TensorBoard writer with ``add_scalar``, ``add_image`` and ``close``."""
        raise NotImplementedError


class EduBackend(Backend):
    name = "edu"

    def __init__(self, device: str = "cpu"):
        if device != "cpu":
            raise UserError(f"the edu backend runs on the CPU only; for --device {device} use --backend torch")
        self.torch = tinygrad_edu

    def make_model(self, recipe: Recipe, seed: int, dtype: str):
        self.torch.manual_seed(seed)
        return recipe.build(self.torch).to(getattr(self.torch, dtype))

    def image_grid(self, images) -> np.ndarray:
        return make_grid(images, normalize=True, value_range=(-1.0, 1.0)).numpy()

    def summary_writer(self, logdir: str):
        return EventWriter(logdir)

    def start_warm_up(self, model, optimizer: str, dtype: str) -> int | None:
        """On an empty numba cache, a child process compiling the backward pass's kernels (``warm_up``)."""
        nn = self.torch.nn
        kinds = {nn.Conv2d: "conv", nn.MaxPool2d: "pool", nn.ReLU: "relu", nn.Linear: "matmul"}
        uses = {kind for module in model.modules() for cls, kind in kinds.items() if isinstance(module, cls)}
        return warm_up.start(dtype, uses | ({"adam"} if optimizer == "adam" else set()))


class TorchBackend(Backend):
    name = "torch"

    def __init__(self, device: str = "cpu"):
        self.torch = _import_torch()
        if device == "cuda" and not self.torch.cuda.is_available():
            raise UserError("--device cuda: PyTorch sees no CUDA GPU here (torch.cuda.is_available() is "
                            "False); use --device cpu")
        self.device = device

    def make_model(self, recipe: Recipe, seed: int, dtype: str):
        edu = EduBackend()
        initial = edu.weights_to_numpy(edu.make_model(recipe, seed, "float32"))
        self.torch.manual_seed(seed)
        model = recipe.build(self.torch)
        self.load_weights(model, initial)
        return model.to(device=self.device, dtype=getattr(self.torch, dtype))

    def as_tensor(self, array: np.ndarray):
        return self.torch.from_numpy(array).to(self.device)

    def image_grid(self, images) -> np.ndarray:
        from torchvision.utils import make_grid as torchvision_make_grid
        return to_numpy(torchvision_make_grid(images, normalize=True, value_range=(-1.0, 1.0)))

    def summary_writer(self, logdir: str):
        try:
            from torch.utils.tensorboard import SummaryWriter
        except ImportError:
            raise UserError("--logdir needs the tensorboard package: pip install 'tinygrad_edu[tensorboard]'") from None
        return SummaryWriter(logdir)


def get_backend(name: str, device: str = "cpu") -> Backend:
    """``"edu"`` or ``"torch"``, on ``device`` (``"cpu"`` or ``"cuda"``)."""
    return {"edu": EduBackend, "torch": TorchBackend}[name](device)


def to_numpy(t) -> np.ndarray:
    """A numpy copy of a tensor of either framework."""
    return t.detach().cpu().numpy().copy()


def _import_torch() -> ModuleType:
    """Import PyTorch, using every core this process may run on unless the user chose a
    thread count through the environment (``OMP_NUM_THREADS``)."""
    try:
        import torch
    except ImportError:
        raise UserError("--backend torch needs PyTorch: pip install 'tinygrad_edu[torch]'") from None
    if "OMP_NUM_THREADS" not in os.environ:
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        torch.set_num_threads(cores or 1)
    return torch
