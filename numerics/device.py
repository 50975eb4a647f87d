"""Device and dtype choice for every simulation (``--device auto|cpu|cuda``)."""

from __future__ import annotations

import torch

DEVICE_CHOICES = ("auto", "cpu", "cuda")
DTYPE_CHOICES = {"float32": torch.float32, "float64": torch.float64}


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """``auto`` is CUDA when available, else CPU; asking for CUDA without one is an error."""
    if isinstance(name, torch.device):
        return name
    if not isinstance(name, str):
        raise TypeError(f"device must be a string, got {type(name).__name__}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError("device 'cuda' requested but no CUDA device is available")
        return torch.device(name)
    raise ValueError(f"device must be one of {DEVICE_CHOICES}, got {name!r}")


def resolve_dtype(name: str | torch.dtype | None, device: torch.device) -> torch.dtype:
    """Default float64 on CPU (exactness), float32 on CUDA (throughput)."""
    if isinstance(name, torch.dtype):
        if name not in DTYPE_CHOICES.values():
            raise ValueError(f"dtype must be float32 or float64, got {name}")
        return name
    if name is None:
        return torch.float64 if device.type == "cpu" else torch.float32
    if name not in DTYPE_CHOICES:
        raise ValueError(f"dtype must be one of {tuple(DTYPE_CHOICES)}, got {name!r}")
    return DTYPE_CHOICES[name]
