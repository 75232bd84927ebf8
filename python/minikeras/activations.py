"""keras.activations: the built-in activation functions, get() (name, dict or
callable -> function) and serialize()."""
from . import _core
from . import backend
from .engine.tensor import convert_to_tensor
from .engine.api import elementwise as _ew
from .engine.api import nn as _nn
from .engine.api import reduce as _red

C = _core.ops


def _t(x):
    if isinstance(x, _core.TensorBase):
        return x
    return convert_to_tensor(x)


def _s(x, v):
    return _core.scalar(v, x._dtype_id)


def relu(x, alpha=0., max_value=None, threshold=0):
    """max(x, 0); with alpha a leaky slope below `threshold`, with max_value a cap."""
    x = _t(x)
    negative_part = None
    if alpha != 0.:
        if max_value is None and threshold == 0:
            return _nn.leaky_relu(x, alpha=alpha)
        if threshold != 0:
            negative_part = C["relu"](C["add"](C["negative"](x), _s(x, threshold)))
        else:
            negative_part = C["relu"](C["negative"](x))
    clip_max = max_value is not None
    if threshold != 0:
        x = C["multiply"](x, C["cast"](C["greater"](x, _s(x, threshold)), ints=(x._dtype_id,)))
    elif max_value == 6:
        x = C["relu6"](x)
        clip_max = False
    else:
        x = C["relu"](x)
    if clip_max:
        x = _ew.clip_by_value(x, _s(x, 0), _s(x, max_value))
    if negative_part is not None:
        x = C["subtract"](x, C["multiply"](_s(x, alpha), negative_part))
    return x


def sigmoid(x):
    return C["sigmoid"](_t(x))


def tanh(x):
    return C["tanh"](_t(x))


def softmax(x, axis=-1):
    x = _t(x)
    if x.ndim <= 1:
        raise ValueError(f"Cannot apply softmax to a tensor that is 1D. Received input: {x}")
    if isinstance(axis, int):
        return _nn.softmax(x, axis=axis)
    axis = list(axis)
    e = C["exp"](C["subtract"](x, _red.reduce_max(x, axis=axis, keepdims=True)))
    return C["divide"](e, _red.reduce_sum(e, axis=axis, keepdims=True))


def elu(x, alpha=1.0):
    x = _t(x)
    res = _nn.elu(x)
    if alpha == 1:
        return res
    return _ew.where(C["greater"](x, _s(x, 0)), res, C["multiply"](_s(x, alpha), res))


def selu(x):
    return _nn.selu(_t(x))


def softplus(x):
    return _nn.softplus(_t(x))


def softsign(x):
    return _nn.softsign(_t(x))


def swish(x):
    return _nn.silu(_t(x))


def gelu(x, approximate=False):
    return _nn.gelu(_t(x), approximate=approximate)


def exponential(x):
    return C["exp"](_t(x))


def hard_sigmoid(x):
    x = _t(x)
    x = C["add"](C["multiply"](x, _s(x, 0.2)), _s(x, 0.5))
    return _ew.clip_by_value(x, _s(x, 0.0), _s(x, 1.0))


def linear(x):
    return x


_ALL = {
    "relu": relu, "sigmoid": sigmoid, "tanh": tanh, "softmax": softmax, "elu": elu,
    "selu": selu, "softplus": softplus, "softsign": softsign, "swish": swish, "gelu": gelu,
    "exponential": exponential, "hard_sigmoid": hard_sigmoid, "linear": linear,
}


def serialize(activation):
    """The name of a built-in activation (or of any function); a config dict for objects."""
    if activation is None:
        return "linear"
    if hasattr(activation, "get_config") and not isinstance(activation, type):
        return {"class_name": type(activation).__name__, "config": activation.get_config()}
    name = getattr(activation, "__name__", None)
    if name is None:
        raise ValueError(f"Unknown activation function: {activation!r}")
    return name


def deserialize(name, custom_objects=None):
    if isinstance(name, dict):
        from .layers import deserialize as _layer_deserialize
        return _layer_deserialize(name, custom_objects=custom_objects)
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    fn = _ALL.get(name)
    if fn is None:
        from .layers.base import get_registered_object
        fn = get_registered_object(name)
    if fn is None:
        raise ValueError(f"Unknown activation function: {name}. Please ensure this object is "
                         "passed to the `custom_objects` argument.")
    return fn


def get(identifier):
    """'relu' -> relu, None -> linear, a callable -> itself."""
    if identifier is None:
        return linear
    if isinstance(identifier, (str, dict)):
        return deserialize(identifier)
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret activation function identifier: {identifier}")


__all__ = list(_ALL) + ["get", "serialize", "deserialize"]
del backend
