"""keras.models: Model, Sequential (and Functional, what Model(inputs, outputs) returns)."""
from .model import Model
from .functional import Functional
from .sequential import Sequential

__all__ = ["Model", "Sequential", "Functional"]
from ..saving import load_model, save_model  # noqa: E402,F401
