"""keras.saving: save_model / load_model (tf.keras 2.x HDF5 '.h5', Keras 3 '.keras'),
save_weights / load_weights ('.h5', '.weights.h5')."""
from . import hdf5_format, keras_format, serialization  # noqa: F401
from .saving_api import load_model, load_weights, save_model, save_weights

__all__ = ["save_model", "load_model", "save_weights", "load_weights"]
