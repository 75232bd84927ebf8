"""The tf.keras 2.x HDF5 format (model.save('model.h5'), model.save_weights('w.h5')).

Full model file:
    attrs  keras_version, backend ('tensorflow'), model_config (JSON of {'class_name',
           'config'}), training_config (JSON, when compiled: loss, metrics,
           weighted_metrics, loss_weights, optimizer_config {'class_name', 'config'})
    /model_weights         attrs layer_names (utf-8 bytes, model.layers order), backend,
                           keras_version
    /model_weights/<layer> attr weight_names (b'dense/kernel:0', ...), one per layer even
                           without weights; datasets at <layer>/<weight name>, so
                           /model_weights/dense/dense/kernel:0
    /optimizer_weights     attr weight_names ('Adam/iter:0', 'Adam/dense/kernel/m:0', ...)
                           and one dataset per optimizer variable
save_weights writes the /model_weights layout at the root of the file.  Attributes larger
than the HDF5 object header limit are split into name0, name1, ...

Writes go to a temporary file in the same directory that replaces the target only once
complete; loads validate every layer's weight count and shapes before assigning any."""
import os

import numpy as np

from .._lazylog import get_logger

_logger = get_logger("minikeras")     # logging is imported at the first message

from . import serialization as _ser

# h5py is imported on first use (a save or a load), not by `import minikeras`:
# _require_h5py() and the module attribute `hdf5_format.h5py` (None when h5py is not
# installed) import it.
def _load_h5py():
    g = globals()
    if "h5py" not in g:
        try:
            import h5py as module
        except ImportError:  # pragma: no cover - h5py is a requirement of saving
            module = None
        g["h5py"] = module
    return g["h5py"]


def __getattr__(name):
    if name == "h5py":
        return _load_h5py()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

HDF5_OBJECT_HEADER_LIMIT = 64512


def _require_h5py():
    if _load_h5py() is None:
        raise ImportError("`save_model` / `load_model` in HDF5 format require h5py "
                          "(pip install h5py).")


def _keras_version():
    from .. import __version__
    return str(__version__)


# ---- attributes -------------------------------------------------------------------------------

def save_attributes_to_hdf5_group(group, name, data):
    """group.attrs[name] = data (a list of bytes), split into name0, name1, ... when it would
    exceed the HDF5 object header limit (64 KB)."""
    bad = [x for x in data if len(x) > HDF5_OBJECT_HEADER_LIMIT]
    if bad:
        raise RuntimeError("The following attributes cannot be saved to HDF5 file because they "
                           f"are larger than {HDF5_OBJECT_HEADER_LIMIT} bytes: {bad[:3]}")
    data_npy = np.asarray(data)
    num_chunks = 1
    chunked = np.array_split(data_npy, num_chunks)
    while any(x.nbytes > HDF5_OBJECT_HEADER_LIMIT for x in chunked):
        num_chunks += 1
        chunked = np.array_split(data_npy, num_chunks)
    if num_chunks > 1:
        for chunk_id, chunk in enumerate(chunked):
            group.attrs["%s%d" % (name, chunk_id)] = chunk
    else:
        group.attrs[name] = data_npy if len(data) else np.zeros((0,), "float64")


def load_attributes_from_hdf5_group(group, name):
    """The list of str stored by save_attributes_to_hdf5_group (chunks joined)."""
    def dec(values):
        return [_ser.decode(v) for v in np.asarray(values).reshape(-1)]
    if name in group.attrs:
        return dec(group.attrs[name])
    data = []
    chunk_id = 0
    while "%s%d" % (name, chunk_id) in group.attrs:
        data.extend(dec(group.attrs["%s%d" % (name, chunk_id)]))
        chunk_id += 1
    return data


# ---- model weights ----------------------------------------------------------------------------

def _legacy_weights(layer):
    """tf.keras's order of a layer's weights in HDF5 files: trainable, then non-trainable."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def save_weights_to_hdf5_group(f, model_or_layers):
    """Write layer_names, backend, keras_version and one group per layer into f."""
    layers = model_or_layers.layers if hasattr(model_or_layers, "layers") else model_or_layers
    layers = list(layers)
    save_attributes_to_hdf5_group(f, "layer_names", [l.name.encode("utf8") for l in layers])
    f.attrs["backend"] = "tensorflow".encode("utf8")
    f.attrs["keras_version"] = _keras_version().encode("utf8")
    for layer in layers:
        if layer.name in f:
            raise ValueError(f"Cannot save the weights: two layers are named '{layer.name}' "
                             "(layer names must be unique in a model).")
        g = f.create_group(layer.name)
        weights = _legacy_weights(layer)
        names = _unique_names([w.name for w in weights])
        save_attributes_to_hdf5_group(g, "weight_names", names)
        for name, w in zip(names, weights):
            val = np.asarray(w.numpy())
            ds = g.create_dataset(name.decode("utf8"), val.shape, dtype=val.dtype)
            if not val.shape:
                ds[()] = val
            else:
                ds[:] = val


def _unique_names(names):
    """Weight names as utf-8 bytes, a repeated name made unique ('w:0', 'w_1:0'): values are
    matched by position on load, the names only label the datasets."""
    out, used = [], set()
    for name in names:
        name = str(name)
        candidate, k = name, 0
        while candidate in used:
            k += 1
            base, sep, suffix = name.rpartition(":")
            candidate = f"{base}_{k}{sep}{suffix}" if sep else f"{name}_{k}"
        used.add(candidate)
        out.append(candidate.encode("utf8"))
    return out


def _layer_weight_values(g):
    names = load_attributes_from_hdf5_group(g, "weight_names")
    values = []
    for n in names:
        if n not in g:
            raise ValueError(f"The weight file is corrupt: layer group '{g.name}' lists weight "
                             f"'{n}' but holds no such dataset.")
        values.append(np.asarray(g[n]))
    return names, values


def _check_model_has_weights(model):
    from ..models import Sequential
    if not getattr(model, "_is_graph_network", True) and not isinstance(model, Sequential) \
            and not model.built:
        raise ValueError("Unable to load weights saved in HDF5 format into a subclassed Model "
                         "which has not created its variables yet. Call the Model first, then "
                         "load the weights.")


def _assign_all(pairs):
    for var, value in pairs:
        var.assign(np.asarray(value).astype(var.dtype.as_numpy_dtype, copy=False))


def _shape_error(k, layer, saved_name, var, value):
    return ValueError(
        f"Layer #{k} (named \"{layer.name}\" in the current model) was found to correspond to "
        f"layer {saved_name} in the save file. Its weight {var.name} has shape "
        f"{tuple(var.shape)}, but the saved weight has shape {tuple(value.shape)}.")


def load_weights_from_hdf5_group(f, layers):
    """Assign the weights of f (the /model_weights layout) to `layers` (a model's layers),
    layer by layer in order, skipping layers without weights on both sides.  Every count and
    shape is checked before anything is assigned."""
    layers = list(layers.layers if hasattr(layers, "layers") else layers)
    layer_names = load_attributes_from_hdf5_group(f, "layer_names")
    if not layer_names and "layer_names0" not in f.attrs:
        raise ValueError(f"The file {f.file.filename} holds no Keras weights (no 'layer_names' "
                         "attribute).")
    filtered_layers = [l for l in layers if _legacy_weights(l)]
    saved = []
    for name in layer_names:
        if name not in f:
            raise ValueError(f"The weight file is corrupt: it lists layer '{name}' but has no "
                             "group for it.")
        weight_names, values = _layer_weight_values(f[name])
        if weight_names:
            saved.append((name, values))
    if len(saved) != len(filtered_layers):
        raise ValueError(
            f"You are trying to load a weight file containing {len(saved)} layers into a model "
            f"with {len(filtered_layers)} layers.")
    pairs = []
    for k, ((name, values), layer) in enumerate(zip(saved, filtered_layers)):
        symbolic = _legacy_weights(layer)
        if len(values) != len(symbolic):
            raise ValueError(
                f"Layer #{k} (named \"{layer.name}\" in the current model) was found to "
                f"correspond to layer {name} in the save file. However the new layer "
                f"{layer.name} expects {len(symbolic)} weights, but the saved weights have "
                f"{len(values)} elements.")
        for var, value in zip(symbolic, values):
            if tuple(var.shape) != tuple(value.shape):
                raise _shape_error(k, layer, name, var, value)
            pairs.append((var, value))
    _assign_all(pairs)


def load_weights_from_hdf5_group_by_name(f, layers, skip_mismatch=False):
    """Assign saved weights to the layers with the same name (layers absent from the file
    keep their weights).  skip_mismatch: skip, with a warning, layers whose weight count or
    shapes differ instead of raising."""
    layers = list(layers.layers if hasattr(layers, "layers") else layers)
    layer_names = load_attributes_from_hdf5_group(f, "layer_names")
    index = {}
    for layer in layers:
        if layer.name:
            index.setdefault(layer.name, []).append(layer)
    pairs = []
    for k, name in enumerate(layer_names):
        if name not in f:
            raise ValueError(f"The weight file is corrupt: it lists layer '{name}' but has no "
                             "group for it.")
        _, values = _layer_weight_values(f[name])
        for layer in index.get(name, []):
            symbolic = _legacy_weights(layer)
            if len(values) != len(symbolic):
                if skip_mismatch:
                    _logger.warning(f"Skipping loading of weights for layer {layer.name} due to "
                                  f"mismatch in number of weights ({len(symbolic)} vs "
                                  f"{len(values)}).")
                    continue
                raise ValueError(
                    f"Layer #{k} (named \"{layer.name}\") expects {len(symbolic)} weight(s), but "
                    f"the saved weights have {len(values)} element(s).")
            for var, value in zip(symbolic, values):
                if tuple(var.shape) != tuple(value.shape):
                    if skip_mismatch:
                        _logger.warning(f"Skipping loading of weights for layer {layer.name} due "
                                      f"to mismatch in shape ({tuple(var.shape)} vs "
                                      f"{tuple(value.shape)}).")
                        continue
                    raise ValueError(
                        f"Layer #{k} (named \"{layer.name}\"), weight {var.name} has shape "
                        f"{tuple(var.shape)}, but the saved weight has shape "
                        f"{tuple(value.shape)}.")
                pairs.append((var, value))
    _assign_all(pairs)


# ---- optimizer weights ------------------------------------------------------------------------

def save_optimizer_weights_to_hdf5_group(hdf5_group, optimizer):
    """/optimizer_weights: attr weight_names and one dataset per optimizer variable."""
    weights = list(optimizer.weights)
    if not weights:
        return
    g = hdf5_group.create_group("optimizer_weights")
    names = _unique_names([w.name for w in weights])
    save_attributes_to_hdf5_group(g, "weight_names", names)
    for name, w in zip(names, weights):
        val = np.asarray(w.numpy() if hasattr(w, "numpy") else w)
        ds = g.create_dataset(name.decode("utf8"), val.shape, dtype=val.dtype)
        if not val.shape:
            ds[()] = val
        else:
            ds[:] = val


def load_optimizer_weights_from_hdf5_group(hdf5_group):
    """The saved optimizer weights, in order, as numpy arrays."""
    names, values = load_optimizer_weights_with_names(hdf5_group)
    return values


def load_optimizer_weights_with_names(hdf5_group):
    g = hdf5_group["optimizer_weights"]
    names = load_attributes_from_hdf5_group(g, "weight_names")
    return names, [np.asarray(g[n]) for n in names]


# ---- whole models -------------------------------------------------------------------------------

def _write_model(f, model, include_optimizer):
    model_config = _ser.model_config_of(model)
    f.attrs["keras_version"] = _keras_version().encode("utf8")
    f.attrs["backend"] = "tensorflow".encode("utf8")
    f.attrs["model_config"] = _ser.dumps(model_config).encode("utf8")
    training_config = _ser.training_config_of(model) if include_optimizer else None
    if training_config is not None:
        f.attrs["training_config"] = _ser.dumps(training_config).encode("utf8")
    model_weights_group = f.create_group("model_weights")
    save_weights_to_hdf5_group(model_weights_group, model)
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None and hasattr(optimizer, "weights"):
        save_optimizer_weights_to_hdf5_group(f, optimizer)


def save_model_to_hdf5(model, filepath, overwrite=True, include_optimizer=True):
    """Save the architecture, weights and (include_optimizer) training config and optimizer
    state.  filepath: a path (written atomically) or an open h5py.File / Group."""
    _require_h5py()
    if isinstance(filepath, (h5py.File, h5py.Group)):
        _write_model(filepath, model, include_optimizer)
        filepath.file.flush()
        return
    filepath = os.fspath(filepath)
    _ser.check_overwrite(filepath, overwrite)
    with _ser.atomic_path(filepath) as tmp:
        with h5py.File(tmp, mode="w") as f:
            _write_model(f, model, include_optimizer)


def _open(filepath):
    _require_h5py()
    if isinstance(filepath, (h5py.File, h5py.Group)):
        return filepath, False
    filepath = os.fspath(filepath)
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"No file or directory found at {filepath}")
    if os.path.isdir(filepath) or not h5py.is_hdf5(filepath):
        raise ValueError(f"{filepath} is not an HDF5 file (the .h5 / .hdf5 format saved by "
                         "model.save or model.save_weights).")
    return h5py.File(filepath, mode="r"), True


def load_model_from_hdf5(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Rebuild the model saved by save_model_to_hdf5: architecture from model_config, weights
    by layer order, then (compile=True and a training config present) compile it as it was
    and restore the optimizer's state so that training resumes where it stopped."""
    f, opened = _open(filepath)
    try:
        model_config = f.attrs.get("model_config")
        if model_config is None:
            where = getattr(f.file, "filename", filepath)
            raise ValueError(f"No model found in config file {where}: it holds only weights "
                             "(written by save_weights?). Build the model in code and call "
                             "model.load_weights instead.")
        model_config = _ser.loads(model_config)
        _ser.check_safe_mode(model_config, safe_mode)
        custom = _ser.all_custom_objects(custom_objects)
        model = _ser.model_from_config(model_config, custom_objects=custom)
        load_weights_from_hdf5_group(f["model_weights"], model.layers)
        if compile:
            training_config = f.attrs.get("training_config")
            if training_config is None:
                _logger.warning("No training configuration found in the save file, so the model "
                              "was *not* compiled. Compile it manually.")
                return model
            training_config = _ser.loads(training_config)
            optimizer = _ser.compile_from_training_config(model, training_config, custom)
            if "optimizer_weights" in f:
                names, values = load_optimizer_weights_with_names(f)
                _ser.restore_optimizer_state(model, optimizer, names, values)
        return model
    finally:
        if opened:
            f.close()


def save_weights_to_hdf5(model, filepath, overwrite=True):
    """model.save_weights('w.h5'): the /model_weights layout at the root of the file."""
    _require_h5py()
    if isinstance(filepath, (h5py.File, h5py.Group)):
        save_weights_to_hdf5_group(filepath, model)
        return
    filepath = os.fspath(filepath)
    _ser.check_overwrite(filepath, overwrite)
    with _ser.atomic_path(filepath) as tmp:
        with h5py.File(tmp, mode="w") as f:
            save_weights_to_hdf5_group(f, model)


def is_legacy_weights_file(f):
    root = f["model_weights"] if "model_weights" in f else f
    return "layer_names" in root.attrs or "layer_names0" in root.attrs


def load_weights_from_hdf5(model, filepath, by_name=False, skip_mismatch=False):
    """model.load_weights('w.h5') (also accepts a full model file: its /model_weights)."""
    f, opened = _open(filepath)
    try:
        if "layer_names" not in f.attrs and "model_weights" in f:
            f = f["model_weights"]
        _check_model_has_weights(model)
        if by_name:
            load_weights_from_hdf5_group_by_name(f, model.layers, skip_mismatch=skip_mismatch)
        else:
            load_weights_from_hdf5_group(f, model.layers)
    finally:
        if opened:
            f.file.close()
