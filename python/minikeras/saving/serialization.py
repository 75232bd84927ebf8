"""Helpers shared by the .h5 and .keras formats: JSON encoding of configs, rebuilding a
model from its config (custom objects, safe mode), the training config (what compile was
given) and restoring an optimizer's state, atomic file writes."""
import contextlib
import json
import os
import re

import numpy as np

from .._lazylog import get_logger

_logger = get_logger("minikeras")     # logging is imported at the first message


# ---- JSON ---------------------------------------------------------------------------------

def get_json_type(obj):
    """json.dumps default: TensorShapes, dtypes, numpy values, functions / classes by name,
    objects with get_config as {'class_name', 'config'} (tf.keras json_utils.get_json_type)."""
    from ..engine import dtypes as _dt
    from ..engine.tensor import TensorShape
    if isinstance(obj, TensorShape):
        return obj.as_list() if obj.rank is not None else None
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, _dt.DType):
        return obj.name
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "value": obj.decode("utf-8")}
    if isinstance(obj, (set, frozenset)):
        return sorted(obj, key=str)
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    if callable(obj) and hasattr(obj, "__name__"):
        return obj.__name__
    if type(obj).__name__ == type.__name__:
        return obj.__name__
    raise TypeError(f"Not JSON Serializable: {obj!r}")


def dumps(obj):
    return json.dumps(obj, default=get_json_type)


def decode(value):
    """An HDF5 attribute (str, bytes or a numpy scalar of either) as a str."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, (bytes, np.bytes_)):
        return bytes(value).decode("utf-8")
    return str(value)


def loads(value):
    return json.loads(decode(value))


def to_snake_case(name):
    """Keras 3's naming.to_snake_case: 'BatchNormalization' -> 'batch_normalization'."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub("([a-z])([A-Z])", r"\1_\2", name)
    return name.lower()


# ---- custom objects ---------------------------------------------------------------------------

def all_custom_objects(custom_objects):
    """The global custom objects (custom_object_scope, register_keras_serializable) updated
    with the ones given to the loading function."""
    from ..layers.base import get_custom_objects
    objs = dict(get_custom_objects())
    objs.update(custom_objects or {})
    return objs


# ---- safe mode (Lambda layers carry Python bytecode) --------------------------------------

_LAMBDA_TYPE_KEYS = ("function_type", "output_shape_type", "mask_type")


def _find_lambda(config):
    if isinstance(config, dict):
        if config.get("class_name") == "Lambda" and isinstance(config.get("config"), dict):
            cfg = config["config"]
            if any(cfg.get(k) == "lambda" for k in _LAMBDA_TYPE_KEYS):
                return cfg.get("name", "lambda")
        for v in config.values():
            found = _find_lambda(v)
            if found is not None:
                return found
    elif isinstance(config, (list, tuple)):
        for v in config:
            found = _find_lambda(v)
            if found is not None:
                return found
    return None


def check_safe_mode(model_config, safe_mode):
    """Keras 3's rule: deserializing a Lambda layer holding a Python lambda (its bytecode is
    in the config) may run arbitrary code, so it needs safe_mode=False."""
    if not safe_mode:
        return
    name = _find_lambda(model_config)
    if name is not None:
        raise ValueError(
            f"Requested the deserialization of a `Lambda` layer (named '{name}') with a Python "
            "`lambda` inside it. This carries a potential risk of arbitrary code execution and "
            "thus it is disallowed by default. If you trust the source of the saved model, you "
            "can pass `safe_mode=False` to the loading function in order to allow `Lambda` "
            "layer loading.")


# ---- models from configs ------------------------------------------------------------------------

def model_from_config(model_config, custom_objects=None):
    """A model (or layer) from {'class_name', 'config'}; layer classes are resolved by name
    from minikeras.layers / minikeras.models, the registered custom objects and
    custom_objects (which win)."""
    from ..layers import deserialize
    from ..layers.base import custom_object_scope
    if not isinstance(model_config, dict) or "class_name" not in model_config:
        raise ValueError(f"Improper model config format: {str(model_config)[:200]}")
    with custom_object_scope(custom_objects or {}):
        return deserialize(model_config, custom_objects=custom_objects)


def model_config_of(model):
    """{'class_name', 'config'} of a Sequential or Functional model (tf.keras 2.5 refuses
    subclassed models in HDF5: their structure is Python code)."""
    from ..models import Sequential
    if not getattr(model, "_is_graph_network", False) and not isinstance(model, Sequential):
        raise NotImplementedError(
            "Saving the model to HDF5 format requires the model to be a Functional model or a "
            "Sequential model. It does not work for subclassed models, because such models are "
            "defined via the body of a Python method, which isn't safely serializable. Consider "
            "using `save_weights` (and rebuilding the model in code before `load_weights`).")
    return {"class_name": type(model).__name__, "config": model.get_config()}


# ---- training config ------------------------------------------------------------------------

def is_compiled(model):
    return bool(model.__dict__.get("_is_compiled", False) or getattr(model, "_is_compiled", False))


def _serialize_fn(obj):
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    if hasattr(obj, "__name__"):
        return obj.__name__
    raise ValueError(f"Cannot serialize {obj!r} in the training config")


def _serialize_nested(config):
    if isinstance(config, dict):
        return {k: _serialize_nested(v) for k, v in config.items()}
    if isinstance(config, (list, tuple)):
        return [_serialize_nested(v) for v in config]
    return _serialize_fn(config)


def _compile_args(model):
    """(loss, metrics, weighted_metrics, loss_weights) as given to compile."""
    getter = getattr(model, "_get_compile_args", None)
    if getter is not None:
        try:
            args = getter(user_metrics=True)
        except TypeError:
            args = getter()
        return (args.get("loss"), args.get("metrics"), args.get("weighted_metrics"),
                args.get("loss_weights"))
    cl = getattr(model, "compiled_loss", None)
    cm = getattr(model, "compiled_metrics", None)
    loss = getattr(cl, "_user_losses", None) if cl is not None else getattr(model, "loss", None)
    loss_weights = getattr(cl, "_user_loss_weights", None)
    metrics = getattr(cm, "_user_metrics", None)
    weighted = getattr(cm, "_user_weighted_metrics", None)
    return loss, metrics, weighted, loss_weights


def optimizer_config(optimizer):
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def training_config_of(model):
    """tf.keras 2.5's training_config: loss, metrics, weighted_metrics, loss_weights (as given
    to compile, functions by name, Loss/Metric objects as {'class_name', 'config'}) and
    optimizer_config; None when the model was not compiled or has no optimizer."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not is_compiled(model):
        return None
    loss, metrics, weighted, loss_weights = _compile_args(model)
    config = {"loss": _serialize_nested(loss), "metrics": _serialize_nested(metrics),
              "weighted_metrics": _serialize_nested(weighted),
              "loss_weights": _serialize_nested(loss_weights)}
    config["optimizer_config"] = optimizer_config(optimizer)
    return config


def _is_single(config):
    if isinstance(config, dict):
        return "class_name" in config
    return not isinstance(config, (list, tuple))


def _deserialize_nested(fn, config):
    if config is None:
        return None
    if _is_single(config):
        return fn(config)
    if isinstance(config, dict):
        return {k: _deserialize_nested(fn, v) for k, v in config.items()}
    return [_deserialize_nested(fn, v) for v in config]


def compile_args_from_training_config(training_config, custom_objects=None):
    """The keyword arguments of compile for a training config (tf.keras 2.5's
    saving_utils.compile_args_from_training_config)."""
    from .. import losses as _losses
    from .. import metrics as _metrics
    from .. import optimizers as _optimizers
    custom_objects = all_custom_objects(custom_objects)
    optimizer = _optimizers.deserialize(training_config["optimizer_config"],
                                        custom_objects=custom_objects)

    def loss_fn(c):
        return _losses.deserialize(c, custom_objects=custom_objects)

    def metric_fn(c):
        if isinstance(c, str):
            if c in custom_objects:
                return custom_objects[c]
            if c not in ("accuracy", "acc", "crossentropy", "ce"):
                _metrics.deserialize(c)   # an unknown name fails here, clearly
            return c       # compile resolves it (and names the History key) as it was given
        return _metrics.deserialize(c, custom_objects=custom_objects)

    return dict(optimizer=optimizer,
                loss=_deserialize_nested(loss_fn, training_config.get("loss")),
                metrics=_deserialize_nested(metric_fn, training_config.get("metrics")),
                weighted_metrics=_deserialize_nested(metric_fn,
                                                     training_config.get("weighted_metrics")),
                loss_weights=training_config.get("loss_weights"))


def compile_from_training_config(model, training_config, custom_objects=None):
    """Compile `model` as the saved one was; returns the optimizer (set as model.optimizer
    even when the model class has no compile)."""
    args = compile_args_from_training_config(training_config, custom_objects)
    compile_fn = getattr(model, "compile", None)
    if compile_fn is not None:
        compile_fn(**args)
    else:
        model.optimizer = args["optimizer"]
    return model.optimizer


def restore_optimizer_state(model, optimizer, names, values):
    """Create the optimizer's slot variables for the model's trainable variables, then set
    them to the saved values (matched by name when every saved name is found, else in
    order).  A mismatch leaves the optimizer fresh, with a warning (as tf.keras)."""
    if not values:
        return False
    create = getattr(optimizer, "_create_all_weights", None)
    if create is not None:
        create(model.trainable_variables)
    current = list(optimizer.weights)
    by_name = {}
    for v in current:
        by_name.setdefault(v.name, []).append(v)
    values = [np.asarray(a) for a in values]
    try:
        if len(values) != len(current):
            raise ValueError(f"the optimizer has {len(current)} weights, the file holds "
                             f"{len(values)}")
        if names and len(set(names)) == len(names) and \
                all(len(by_name.get(n, ())) == 1 for n in names):
            targets = [by_name[n][0] for n in names]
        else:
            targets = current
        for v, a in zip(targets, values):
            if tuple(v.shape) != a.shape:
                raise ValueError(f"optimizer weight {v.name} has shape {tuple(v.shape)}, the "
                                 f"saved one has shape {a.shape}")
    except ValueError as e:
        _logger.warning("Error in loading the saved optimizer state. As a result, your model is "
                        f"starting with a freshly initialized optimizer. ({e})")
        return False
    for v, a in zip(targets, values):
        v.assign(a.astype(v.dtype.as_numpy_dtype, copy=False))
    return True


# ---- files ----------------------------------------------------------------------------------------

def check_overwrite(filepath, overwrite):
    if not overwrite and os.path.exists(filepath):
        raise FileExistsError(f"File {filepath} exists and overwrite=False: not overwriting it.")


def _new_file_mode(filepath):
    try:
        return os.stat(filepath).st_mode & 0o7777
    except OSError:
        return 0o666 & ~_umask()


def _umask():
    try:   # Linux: read it without changing it (os.umask is process-wide, racy in threads)
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


@contextlib.contextmanager
def atomic_path(filepath):
    """Yield a temporary path in the directory of filepath; on success it replaces filepath
    (os.replace, atomic), on any error it is removed and filepath is left as it was."""
    filepath = os.fspath(filepath)
    directory = os.path.dirname(os.path.abspath(filepath))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"Cannot save to {filepath}: directory {directory} does not exist")
    if os.path.isdir(filepath):
        raise IsADirectoryError(f"Cannot save to {filepath}: it is a directory")
    mode = _new_file_mode(filepath)
    import tempfile
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(filepath) + ".",
                               suffix=".tmp")
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, mode)
        os.replace(tmp, filepath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
