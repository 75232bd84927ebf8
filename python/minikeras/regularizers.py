"""keras.regularizers (tf.keras 2.5): Regularizer, L1, L2, L1L2, the aliases l1, l2,
l1_l2, get(), serialize() and deserialize().

A regularizer is a callable weight -> scalar penalty; Layer.add_weight(regularizer=...)
adds `regularizer(variable)` to the layer's losses.  Penalty factors are stored as
floatx values (np.float32 by default) as tf.keras does, so get_config() gives
{'l2': 0.009999999776482582} for the default L2."""
import math
import numbers

import numpy as np

from . import _core
from . import backend
from .engine.tensor import convert_to_tensor
from .engine.api import reduce as _red

C = _core.ops


def _t(x):
    if isinstance(x, _core.TensorBase):
        return x
    if hasattr(x, "_as_tensor"):
        return x._as_tensor()
    return convert_to_tensor(x)


def _check_penalty_number(x):
    """Raise ValueError for a penalty that is not a finite number."""
    if not isinstance(x, (float, int, numbers.Real)) or isinstance(x, bool):
        raise ValueError(f"Value: {x} is not a valid regularization penalty number, expected an "
                         "int or float value")
    if math.isinf(x) or math.isnan(x):
        raise ValueError(f"Value: {x} is not a valid regularization penalty number, a positive/"
                         "negative infinity or NaN is not a property value")


def _floatx(v):
    return np.asarray(v, dtype=backend.floatx())[()]


def _scalar(value, x):
    return _core.scalar(float(value), x._dtype_id)


class Regularizer:
    """Base class: `__call__(x)` returns a scalar penalty (0 here)."""

    def __call__(self, x):
        return 0.

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        raise NotImplementedError(str(self) + " does not implement get_config()")


class L1L2(Regularizer):
    """`l1 * reduce_sum(abs(x)) + l2 * reduce_sum(square(x))` (class defaults 0, 0)."""

    def __init__(self, l1=0., l2=0.):
        l1 = 0. if l1 is None else l1
        l2 = 0. if l2 is None else l2
        _check_penalty_number(l1)
        _check_penalty_number(l2)
        self.l1 = _floatx(l1)
        self.l2 = _floatx(l2)

    def __call__(self, x):
        x = _t(x)
        regularization = _core.scalar(0.0, x._dtype_id)
        if self.l1:
            regularization = C["add"](regularization, C["multiply"](
                _scalar(self.l1, x), _red.reduce_sum(C["abs"](x))))
        if self.l2:
            regularization = C["add"](regularization, C["multiply"](
                _scalar(self.l2, x), _red.reduce_sum(C["square"](x))))
        return regularization

    def get_config(self):
        return {"l1": float(self.l1), "l2": float(self.l2)}


class L1(Regularizer):
    """`l1 * reduce_sum(abs(x))`, l1=0.01 by default."""

    def __init__(self, l1=0.01, **kwargs):
        l1 = kwargs.pop("l", l1)   # backwards compatibility
        if kwargs:
            raise TypeError(f"Argument(s) not recognized: {kwargs}")
        l1 = 0.01 if l1 is None else l1
        _check_penalty_number(l1)
        self.l1 = _floatx(l1)

    def __call__(self, x):
        x = _t(x)
        return C["multiply"](_scalar(self.l1, x), _red.reduce_sum(C["abs"](x)))

    def get_config(self):
        return {"l1": float(self.l1)}


class L2(Regularizer):
    """`l2 * reduce_sum(square(x))`, l2=0.01 by default."""

    def __init__(self, l2=0.01, **kwargs):
        l2 = kwargs.pop("l", l2)   # backwards compatibility
        if kwargs:
            raise TypeError(f"Argument(s) not recognized: {kwargs}")
        l2 = 0.01 if l2 is None else l2
        _check_penalty_number(l2)
        self.l2 = _floatx(l2)

    def __call__(self, x):
        x = _t(x)
        return C["multiply"](_scalar(self.l2, x), _red.reduce_sum(C["square"](x)))

    def get_config(self):
        return {"l2": float(self.l2)}


def l1_l2(l1=0.01, l2=0.01):
    """L1L2 with both penalties 0.01 by default (unlike the L1L2 class)."""
    return L1L2(l1=l1, l2=l2)


# aliases, as tf.keras.regularizers
l1 = L1
l2 = L2

_ALL = {"Regularizer": Regularizer, "L1L2": L1L2, "L1": L1, "L2": L2, "l1": L1, "l2": L2,
        "l1_l2": l1_l2}


def serialize(regularizer):
    """None -> None; an instance -> {'class_name': ..., 'config': ...}; a function -> its name."""
    from .layers.base import serialize_keras_object
    return serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    if config == "l1_l2":
        # the string 'l1_l2' means 0.01 for both, unlike the L1L2 class defaults
        return L1L2(l1=0.01, l2=0.01)
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret regularizer identifier: {config}")
    name = config["class_name"]
    obj = (custom_objects or {}).get(name) or _ALL.get(name)
    if obj is None:
        from .layers.base import get_registered_object
        obj = get_registered_object(name)
    if obj is None:
        raise ValueError(f"Unknown regularizer: {name}. Please ensure this object is passed to the "
                         "`custom_objects` argument. See https://www.tensorflow.org/guide/keras/"
                         "save_and_serialize#registering_the_custom_object for details.")
    cfg = config.get("config") or {}
    if isinstance(obj, type):
        if hasattr(obj, "from_config"):
            return obj.from_config(cfg)
        return obj(**cfg)
    if obj is l1_l2:
        return l1_l2(**cfg)
    return obj


def get(identifier):
    """None -> None; 'l1' / 'l2' / 'l1_l2' / 'L1L2' / {'class_name', 'config'} -> an instance;
    a callable is returned as is."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize(str(identifier))
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret regularizer identifier: {identifier}")


__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize",
           "deserialize"]
