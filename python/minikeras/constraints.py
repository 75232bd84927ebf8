"""keras.constraints (tf.keras 2.5): Constraint, MaxNorm, NonNeg, UnitNorm, MinMaxNorm,
their lower-case aliases, get(), serialize() and deserialize().

A constraint is a callable weight -> projected weight; the optimizers assign
`constraint(variable)` back to the variable after each update."""
from . import _core
from . import backend
from .engine.tensor import convert_to_tensor
from .engine.api import elementwise as _ew
from .engine.api import reduce as _red

C = _core.ops


def _t(x):
    if isinstance(x, _core.TensorBase):
        return x
    if hasattr(x, "_as_tensor"):
        return x._as_tensor()
    return convert_to_tensor(x)


def _s(x, v):
    return _core.scalar(float(v), x._dtype_id)


def _norms(w, axis):
    return C["sqrt"](_red.reduce_sum(C["square"](w), axis=axis, keepdims=True))


class Constraint:
    """Base class: the identity."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class MaxNorm(Constraint):
    """Rescale the weights along `axis` whose L2 norm exceeds `max_value`:
    `w * clip(norms, 0, max_value) / (epsilon + norms)`."""

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = _t(w)
        norms = _norms(w, self.axis)
        desired = _ew.clip_by_value(norms, _s(norms, 0), _s(norms, self.max_value))
        return C["multiply"](w, C["divide"](desired, C["add"](_s(norms, backend.epsilon()), norms)))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Zero the negative weights."""

    def __call__(self, w):
        w = _t(w)
        return C["multiply"](w, C["cast"](C["greater_equal"](w, _s(w, 0.)), ints=(w._dtype_id,)))


class UnitNorm(Constraint):
    """Weights along `axis` divided by (epsilon + their L2 norm)."""

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = _t(w)
        norms = _norms(w, self.axis)
        return C["divide"](w, C["add"](_s(norms, backend.epsilon()), norms))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Move the L2 norms along `axis` into [min_value, max_value] at `rate`:
    `desired = rate * clip(norms, min, max) + (1 - rate) * norms`,
    `w * desired / (epsilon + norms)`."""

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = _t(w)
        norms = _norms(w, self.axis)
        clipped = _ew.clip_by_value(norms, _s(norms, self.min_value), _s(norms, self.max_value))
        desired = C["add"](C["multiply"](_s(norms, self.rate), clipped),
                           C["multiply"](_s(norms, 1 - self.rate), norms))
        return C["multiply"](w, C["divide"](desired, C["add"](_s(norms, backend.epsilon()), norms)))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


# aliases, as tf.keras.constraints
max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm
maxnorm = MaxNorm
nonneg = NonNeg
unitnorm = UnitNorm

_ALL = {"Constraint": Constraint, "MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm,
        "MinMaxNorm": MinMaxNorm, "max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
        "min_max_norm": MinMaxNorm, "maxnorm": MaxNorm, "nonneg": NonNeg, "unitnorm": UnitNorm}


def serialize(constraint):
    from .layers.base import serialize_keras_object
    return serialize_keras_object(constraint)


def deserialize(config, custom_objects=None):
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret constraint identifier: {config}")
    name = config["class_name"]
    obj = (custom_objects or {}).get(name) or _ALL.get(name)
    if obj is None:
        from .layers.base import get_registered_object
        obj = get_registered_object(name)
    if obj is None:
        raise ValueError(f"Unknown constraint: {name}. Please ensure this object is passed to the "
                         "`custom_objects` argument. See https://www.tensorflow.org/guide/keras/"
                         "save_and_serialize#registering_the_custom_object for details.")
    if isinstance(obj, type):
        return obj.from_config(config.get("config") or {})
    return obj


def get(identifier):
    """None -> None; 'max_norm' / 'NonNeg' / {'class_name', 'config'} -> an instance;
    a callable is returned as is."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return deserialize(str(identifier))
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret constraint identifier: {identifier}")


__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "max_norm", "non_neg",
           "unit_norm", "min_max_norm", "get", "serialize", "deserialize"]
