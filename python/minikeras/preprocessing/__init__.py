"""keras.preprocessing: image data pipelines (keras.preprocessing.image)."""
from . import image  # noqa: F401

__all__ = ["image"]
