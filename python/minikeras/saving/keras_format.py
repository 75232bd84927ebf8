"""The Keras 3 formats: the `.keras` zip and the `.weights.h5` weights file.

`model.keras` is a zip (stored, not compressed) of
    metadata.json     {"keras_version": ..., "date_saved": "%Y-%m-%d@%H:%M:%S"}
    config.json       {"module", "class_name", "config": model.get_config(),
                       "registered_name", "compile_config" (when compiled)}
    model.weights.h5  the variables, by object path, as Keras 3's H5IOStore:
                      /vars (the model's own), /layers/<snake_case(ClassName)>[_n]/vars/0, 1, ...
                      in model.layers order (nested models: .../layers/<...>/layers/...;
                      layers held by a custom layer: <path>/<attribute name>/vars),
                      /optimizer/vars/0.. (iterations, then the slot variables).
`model.save_weights('x.weights.h5')` writes the same variable layout without the optimizer.
Loading checks every variable count and shape before assigning anything."""
import datetime
import io
import json
import os

import numpy as np

from .._lazylog import get_logger

_logger = get_logger("minikeras")     # logging is imported at the first message

from . import serialization as _ser

# h5py is imported on first use (a save or a load), not by `import minikeras`:
# _require_h5py() and the module attribute `keras_format.h5py` (None when h5py is not
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

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
VARS_FILENAME = "model.weights.h5"


def _require_h5py():
    if _load_h5py() is None:
        raise ImportError("Saving in the .keras / .weights.h5 formats requires h5py "
                          "(pip install h5py).")


# ---- walking the layers as Keras 3 does -----------------------------------------------------

def _own_variables(layer):
    d = layer.__dict__
    return list(d.get("_trainable_weights", [])) + list(d.get("_non_trainable_weights", []))


def _is_layer(obj):
    from ..layers.base import Layer
    return isinstance(obj, Layer)


def _join(path, name):
    return f"{path}/{name}" if path else name


def _walk_container(container, path, visited, out):
    used = {}
    values = container.values() if isinstance(container, dict) else container
    for obj in values:
        if not _is_layer(obj):
            continue
        name = _ser.to_snake_case(type(obj).__name__)
        if name in used:
            used[name] += 1
            name = f"{name}_{used[name]}"
        else:
            used[name] = 0
        _walk(obj, _join(path, name), visited, out)


def _walk(layer, path, visited, out):
    """Append (path, layer) for layer and every layer under it, each once."""
    if id(layer) in visited:
        return
    visited.add(id(layer))
    out.append((path, layer))
    if getattr(layer, "_is_graph_network", False):
        _walk_container(layer.layers, _join(path, "layers"), visited, out)
    tracked = layer.__dict__.get("_tracked", {})
    for attr in sorted(tracked):
        value = layer.__dict__.get(attr)
        if _is_layer(value):
            _walk(value, _join(path, attr), visited, out)
        elif isinstance(value, (list, tuple, dict)):
            _walk_container(value, _join(path, attr), visited, out)


def layer_paths(model):
    out = []
    _walk(model, "", set(), out)
    return out


# ---- writing / reading the variable store ---------------------------------------------------

def _write_vars(group, variables):
    for i, v in enumerate(variables):
        val = np.asarray(v.numpy() if hasattr(v, "numpy") else v)
        ds = group.create_dataset(str(i), val.shape, dtype=val.dtype)
        if val.shape:
            ds[:] = val
        else:
            ds[()] = val


def write_weights_store(f, model, optimizer=None):
    for path, layer in layer_paths(model):
        group = f.create_group(_join(path, "vars")) if path else f.create_group("vars")
        _write_vars(group, _own_variables(layer))
    if optimizer is not None:
        _write_vars(f.create_group("optimizer/vars"), list(optimizer.weights))


def _read_vars(f, path):
    key = _join(path, "vars")
    if key not in f:
        return None
    g = f[key]
    n = len(g.keys())
    for i in range(n):
        if str(i) not in g:
            raise ValueError(f"The weights file is corrupt: group {g.name} misses variable {i}.")
    return [np.asarray(g[str(i)]) for i in range(n)]


def read_weights_store(f, model, skip_mismatch=False):
    """Assign the variables of f to the model's layers, matched by object path."""
    pairs = []
    for path, layer in layer_paths(model):
        variables = _own_variables(layer)
        values = _read_vars(f, path)
        where = f"'{layer.name}' (at '{path or '/'}' in the file)"
        if values is None:
            if not variables:
                continue
            msg = (f"Layer {where} has {len(variables)} variables, but the file holds none for "
                   "it: the file was saved from a different model.")
            if skip_mismatch:
                _logger.warning(msg)
                continue
            raise ValueError(msg)
        if len(values) != len(variables):
            msg = (f"Layer {where} expected {len(variables)} variables, but received "
                   f"{len(values)} variables during loading. Expected: "
                   f"{[v.name for v in variables]}")
            if skip_mismatch:
                _logger.warning(msg)
                continue
            raise ValueError(msg)
        layer_pairs = []
        for v, a in zip(variables, values):
            if tuple(v.shape) != a.shape:
                msg = (f"Layer {where}: variable {v.name} has shape {tuple(v.shape)}, but the "
                       f"saved variable has shape {a.shape}.")
                if skip_mismatch:
                    _logger.warning(msg)
                    layer_pairs = None
                    break
                raise ValueError(msg)
            layer_pairs.append((v, a))
        if layer_pairs:
            pairs += layer_pairs
    for v, a in pairs:
        v.assign(a.astype(v.dtype.as_numpy_dtype, copy=False))


def is_keras3_weights_file(f):
    return "layers" in f or ("vars" in f and "layer_names" not in f.attrs)


# ---- .keras zip --------------------------------------------------------------------------------

def _compile_config(model):
    tc = _ser.training_config_of(model)
    if tc is None:
        return None
    return {"optimizer": tc["optimizer_config"], "loss": tc["loss"], "metrics": tc["metrics"],
            "loss_weights": tc["loss_weights"], "weighted_metrics": tc["weighted_metrics"]}


def save_model_to_keras(model, filepath, overwrite=True, include_optimizer=True):
    import zipfile
    _require_h5py()
    from .. import __version__
    filepath = os.fspath(filepath)
    model_config = _ser.model_config_of(model)
    config = {"module": type(model).__module__.rsplit(".", 1)[0],
              "class_name": model_config["class_name"], "config": model_config["config"],
              "registered_name": None}
    optimizer = getattr(model, "optimizer", None) if include_optimizer else None
    if include_optimizer:
        compile_config = _compile_config(model)
        if compile_config is not None:
            config["compile_config"] = compile_config
    metadata = {"keras_version": str(__version__),
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    config_json = _ser.dumps(config)
    buf = io.BytesIO()
    with h5py.File(buf, mode="w") as f:
        write_weights_store(f, model, optimizer if optimizer is not None
                            and hasattr(optimizer, "weights") else None)
    _ser.check_overwrite(filepath, overwrite)
    with _ser.atomic_path(filepath) as tmp:
        with zipfile.ZipFile(tmp, "w") as zf:
            zf.writestr(METADATA_FILENAME, json.dumps(metadata))
            zf.writestr(CONFIG_FILENAME, config_json)
            zf.writestr(VARS_FILENAME, buf.getvalue())


def load_model_from_keras(filepath, custom_objects=None, compile=True, safe_mode=True):
    import zipfile
    _require_h5py()
    filepath = os.fspath(filepath)
    try:
        zf = zipfile.ZipFile(filepath, "r")
    except zipfile.BadZipFile as e:
        raise ValueError(f"{filepath} is not a .keras file (a zip archive): {e}") from e
    with zf:
        names = set(zf.namelist())
        missing = [n for n in (CONFIG_FILENAME, VARS_FILENAME) if n not in names]
        if missing:
            raise ValueError(f"{filepath} is not a valid .keras file: it lacks {missing}.")
        config = json.loads(zf.read(CONFIG_FILENAME).decode("utf-8"))
        weights = zf.read(VARS_FILENAME)
    if not isinstance(config, dict) or "class_name" not in config or "config" not in config:
        raise ValueError(f"{filepath}: config.json is not a model config.")
    model_config = {"class_name": config["class_name"], "config": config["config"]}
    _ser.check_safe_mode(model_config, safe_mode)
    custom = _ser.all_custom_objects(custom_objects)
    model = _ser.model_from_config(model_config, custom_objects=custom)
    with h5py.File(io.BytesIO(weights), mode="r") as f:
        read_weights_store(f, model)
        compile_config = config.get("compile_config")
        if compile and compile_config:
            tc = {"optimizer_config": compile_config["optimizer"],
                  "loss": compile_config.get("loss"), "metrics": compile_config.get("metrics"),
                  "weighted_metrics": compile_config.get("weighted_metrics"),
                  "loss_weights": compile_config.get("loss_weights")}
            optimizer = _ser.compile_from_training_config(model, tc, custom)
            values = _read_vars(f, "optimizer")
            if values:
                _ser.restore_optimizer_state(model, optimizer, None, values)
    return model


# ---- .weights.h5 -------------------------------------------------------------------------------

def save_weights_to_keras3(model, filepath, overwrite=True):
    _require_h5py()
    filepath = os.fspath(filepath)
    _ser.check_overwrite(filepath, overwrite)
    with _ser.atomic_path(filepath) as tmp:
        with h5py.File(tmp, mode="w") as f:
            write_weights_store(f, model)


def load_weights_from_keras3(model, f, skip_mismatch=False):
    read_weights_store(f, model, skip_mismatch=skip_mismatch)
