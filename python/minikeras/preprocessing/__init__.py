"""keras.preprocessing: image data pipelines (keras.preprocessing.image)."""
from . import image  # noqa: F401

__all__ = ["image"]
from ..utils.image_dataset import image_dataset_from_directory  # noqa: F401,E402  (tfdata)
__all__ += ["image_dataset_from_directory"]
