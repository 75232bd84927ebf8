"""keras.models.save_model / load_model and Model.save_weights / load_weights: pick the
format from save_format or the file name (.h5 / .hdf5: tf.keras 2.x HDF5; .keras: the
Keras 3 zip; .weights.h5: Keras 3's weights file), and from the file's content on load."""
import os
import sys

from . import hdf5_format, keras_format

_H5_EXT = (".h5", ".hdf5", ".keras_h5")
_TF_FORMAT_MSG = (
    "minikeras saves only to HDF5 ('.h5' / '.hdf5', tf.keras 2.x layout) and to the Keras 3 "
    "formats ('.keras' for models, '.weights.h5' for weights); TensorFlow SavedModel and "
    "checkpoint formats are not available.")


def _is_h5py_object(filepath):
    # an h5py object exists only once h5py has been imported: no import here
    h5py = sys.modules.get("h5py")
    return h5py is not None and isinstance(filepath, (h5py.File, h5py.Group))


def _model_format(filepath, save_format):
    if _is_h5py_object(filepath):
        return "h5"
    path = os.fspath(filepath)
    if save_format is not None:
        fmt = str(save_format).lower().strip()
        if fmt in ("h5", "hdf5", "keras_h5"):
            return "h5"
        if fmt == "keras":
            return "keras"
        if fmt in ("tf", "tensorflow"):
            raise ValueError(f"save_format={save_format!r} is not supported: {_TF_FORMAT_MSG}")
        raise ValueError(f"Unknown save_format: {save_format!r}. Use 'h5' or 'keras'.")
    low = path.lower()
    if low.endswith(".keras"):
        return "keras"
    if low.endswith(_H5_EXT):
        return "h5"
    raise ValueError(f"Cannot choose a format for {path!r}: {_TF_FORMAT_MSG} Add one of these "
                     "extensions or pass save_format='h5'.")


def save_model(model, filepath, overwrite=True, include_optimizer=True, save_format=None,
               signatures=None, options=None, save_traces=True):
    """Save the model (architecture, weights, training config and optimizer state) to
    filepath: '.h5' / '.hdf5' in tf.keras 2.x's HDF5 layout, '.keras' as Keras 3's zip.
    The file is written to a temporary file first and then renamed over filepath, so an
    error never leaves a half-written file.  overwrite=False raises FileExistsError when
    filepath exists.  signatures / options / save_traces concern SavedModel only: they are
    accepted for tf.keras compatibility and must be left at their defaults."""
    if signatures is not None:
        raise ValueError(f"`signatures` applies to the SavedModel format only. {_TF_FORMAT_MSG}")
    fmt = _model_format(filepath, save_format)
    if fmt == "keras":
        keras_format.save_model_to_keras(model, filepath, overwrite=overwrite,
                                         include_optimizer=include_optimizer)
    else:
        hdf5_format.save_model_to_hdf5(model, filepath, overwrite=overwrite,
                                       include_optimizer=include_optimizer)


def _sniff(path):
    """'h5', 'zip' or None from the content of the file at path."""
    h5py = hdf5_format.h5py
    if h5py is not None:
        try:
            if h5py.is_hdf5(path):
                return "h5"
        except OSError:
            pass
    import zipfile
    if zipfile.is_zipfile(path):
        return "zip"
    return None


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True, options=None):
    """Load a model saved by save_model ('.h5' / '.hdf5' or '.keras', told apart by content).
    custom_objects: {name: class or function} for custom layers, losses, metrics...
    compile: compile the model as it was saved (loss, metrics, optimizer with its state).
    safe_mode: refuse Lambda layers that hold Python bytecode (pass False to trust the file)."""
    if _is_h5py_object(filepath):
        return hdf5_format.load_model_from_hdf5(filepath, custom_objects, compile, safe_mode)
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No file or directory found at {path}")
    if os.path.isdir(path):
        raise ValueError(f"{path} is a directory (a SavedModel?). {_TF_FORMAT_MSG}")
    kind = _sniff(path)
    if kind == "h5":
        return hdf5_format.load_model_from_hdf5(path, custom_objects, compile, safe_mode)
    if kind == "zip":
        return keras_format.load_model_from_keras(path, custom_objects, compile, safe_mode)
    raise ValueError(f"File format not supported: filepath={path}. {_TF_FORMAT_MSG} This file "
                     "is neither an HDF5 file nor a zip archive.")


def _weights_format(filepath, save_format):
    if _is_h5py_object(filepath):
        return "h5"
    path = os.fspath(filepath)
    if save_format is not None:
        fmt = str(save_format).lower().strip()
        if fmt in ("h5", "hdf5", "keras_h5"):
            return "h5"
        raise ValueError(f"save_format={save_format!r} is not supported for weights: "
                         f"{_TF_FORMAT_MSG}")
    low = path.lower()
    if low.endswith(".weights.h5"):
        return "keras3"
    if low.endswith(_H5_EXT):
        return "h5"
    raise ValueError(f"Cannot save weights to {path!r}: only '.h5' / '.hdf5' (tf.keras 2.x "
                     "layout) and '.weights.h5' (Keras 3 layout) files are supported, or pass "
                     "save_format='h5'. TensorFlow checkpoints are not available.")


def save_weights(model, filepath, overwrite=True, save_format=None, options=None):
    """model.save_weights: '.h5' / '.hdf5' -> tf.keras 2.x's layout (layer_names, one group
    per layer); '.weights.h5' -> Keras 3's (layers/<name>/vars/<i>).  Written atomically."""
    fmt = _weights_format(filepath, save_format)
    if fmt == "keras3":
        keras_format.save_weights_to_keras3(model, filepath, overwrite=overwrite)
    else:
        hdf5_format.save_weights_to_hdf5(model, filepath, overwrite=overwrite)


def load_weights(model, filepath, by_name=False, skip_mismatch=False, options=None):
    """model.load_weights from a file written by save_weights (either layout, recognised by
    content) or by save_model('.h5').  Without by_name, weights go to the layers in order
    (layers without weights skipped); by_name=True matches layer names (tf.keras 2.x
    layout only) and skip_mismatch=True then skips layers whose weights do not fit."""
    if skip_mismatch and not by_name:
        raise ValueError("When calling model.load_weights, skip_mismatch can only be set to "
                         "True when by_name is True.")
    if _is_h5py_object(filepath):
        return hdf5_format.load_weights_from_hdf5(model, filepath, by_name, skip_mismatch)
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No file or directory found at {path}")
    kind = None if os.path.isdir(path) else _sniff(path)
    if kind == "zip":
        if by_name:
            raise ValueError("by_name=True is only supported for weights in the tf.keras 2.x "
                             ".h5 layout.")
        import io
        import zipfile
        with zipfile.ZipFile(path) as zf:
            if keras_format.VARS_FILENAME not in zf.namelist():
                raise ValueError(f"{path} is a zip archive but not a .keras file.")
            data = zf.read(keras_format.VARS_FILENAME)
        hdf5_format._check_model_has_weights(model)
        with hdf5_format.h5py.File(io.BytesIO(data), "r") as f:
            keras_format.load_weights_from_keras3(model, f)
        return None
    if kind != "h5":
        raise ValueError(f"Cannot load weights from {path}: it is not an HDF5 file. Only '.h5' / "
                         "'.hdf5' and '.weights.h5' files (and '.keras' models) are supported; "
                         "TensorFlow checkpoints are not available.")
    with hdf5_format.h5py.File(path, "r") as f:
        if hdf5_format.is_legacy_weights_file(f):
            return hdf5_format.load_weights_from_hdf5(model, f, by_name, skip_mismatch)
        if keras_format.is_keras3_weights_file(f):
            if by_name:
                raise ValueError("by_name=True is only supported for weights in the tf.keras "
                                 "2.x .h5 layout, not in the Keras 3 '.weights.h5' layout.")
            hdf5_format._check_model_has_weights(model)
            keras_format.load_weights_from_keras3(model, f)
            return None
        raise ValueError(f"{path} is an HDF5 file but holds no Keras weights.")
