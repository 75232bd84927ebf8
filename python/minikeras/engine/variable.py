"""tf.Variable: a named, mutable buffer.  Ops read the buffer directly; assign
writes into it in place, so traced graphs that captured it see every update."""
import weakref

import numpy as np

from .. import _core
from . import dtypes as _dt
from .tensor import Tensor, TensorShape, convert_to_tensor

C = _core.ops
_live_variables = weakref.WeakValueDictionary()   # id -> Variable (tf.function restores them)


class VariableAggregation:
    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3


class VariableSynchronization:
    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class Variable:
    """A tensor-valued state that persists across calls (tf.Variable)."""

    _mk_defer_ops = True

    def __init__(self, initial_value=None, trainable=None, validate_shape=True, caching_device=None,
                 name=None, variable_def=None, dtype=None, import_scope=None, constraint=None,
                 synchronization=None, aggregation=None, shape=None):
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        if callable(initial_value):
            initial_value = initial_value()
        if isinstance(initial_value, Variable):
            initial_value = initial_value._value
        if dtype is not None:
            dtype = _dt.as_dtype(dtype)
            if isinstance(initial_value, _core.TensorBase):
                if initial_value._dtype_id != dtype._id:
                    initial_value = C["cast"](initial_value, ints=(dtype._id,))
            else:
                initial_value = np.asarray(initial_value, dtype=dtype.as_numpy_dtype)
        value = convert_to_tensor(initial_value)
        # own, contiguous storage flagged as a variable buffer; made outside any graph
        # being traced, so a replay never re-initialises it
        from .function import init_scope
        with init_scope():
            self._value = C["copy"](value)
        _live_variables[id(self)] = self
        if trainable is None:
            trainable = synchronization != VariableSynchronization.ON_READ
        self._trainable = bool(trainable) and _dt.ALL[self._value._dtype_id].is_floating
        self._value._flags = self._value._flags | _core.T_VARIABLE | (
            _core.T_TRAINABLE if self._trainable else 0)
        # eager TensorFlow does not uniquify: every unnamed variable is 'Variable:0'
        self._name = (name or "Variable").split(":")[0] + ":0"
        self._constraint = constraint
        self._shape = TensorShape(shape) if shape is not None else TensorShape(self._value._shape)

    # -- tensor protocol ------------------------------------------------------
    def _as_tensor(self):
        return self._value

    @property
    def name(self):
        return self._name

    @property
    def trainable(self):
        return self._trainable

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def shape(self):
        return TensorShape(self._value._shape)

    def get_shape(self):
        return self.shape

    @property
    def ndim(self):
        return self._value.ndim

    @property
    def device(self):
        return self._value.device

    @property
    def constraint(self):
        return self._constraint

    def numpy(self):
        return self._value.numpy()

    def value(self):
        return self._value

    def read_value(self):
        return C["copy"](self._value)

    def __array__(self, dtype=None, copy=None):
        a = np.array(self._value)
        return a if dtype is None else a.astype(dtype)

    # -- updates ----------------------------------------------------------------
    def _coerce(self, value):
        v = convert_to_tensor(value, dtype_hint=self._value.dtype)
        if v._dtype_id != self._value._dtype_id:
            raise ValueError(f"Variable {self._name}: cannot assign a {v.dtype.name} value to a "
                             f"{self.dtype.name} variable")
        if v._shape != self._value._shape:
            if v._size == self._value._size and v.ndim == 0:
                v = C["broadcast_to"](v, ints=self._value._shape) if "broadcast_to" in C else v
            else:
                raise ValueError(f"Cannot assign value of shape {tuple(v._shape)} to variable "
                                 f"{self._name} of shape {tuple(self._value._shape)}")
        return v

    def assign(self, value, use_locking=None, name=None, read_value=True):
        C["assign"](self._value, self._coerce(value))
        return self if read_value else None

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        C["assign_add"](self._value, self._coerce(delta))
        return self if read_value else None

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        C["assign_sub"](self._value, self._coerce(delta))
        return self if read_value else None

    # -- Python protocol --------------------------------------------------------
    def __repr__(self):
        if self._value._traced:
            return f"<tf.Variable '{self._name}' shape={self.shape} dtype={self.dtype.name}>"
        return (f"<tf.Variable '{self._name}' shape={self.shape} dtype={self.dtype.name}, "
                f"numpy={self._value._numpy_text(is_repr=True)}>")

    def __str__(self):
        return repr(self)

    def __len__(self):
        return len(self._value)

    def __iter__(self):
        return iter(self._value)

    def __getitem__(self, key):
        return self._value[key]

    def __bool__(self):
        return bool(self._value)

    def __float__(self):
        return float(self._value)

    def __int__(self):
        return int(self._value)

    def __index__(self):
        return self._value.__index__()

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self._value == other

    def __ne__(self, other):
        return self._value != other

    def __format__(self, spec):
        return format(self._value, spec)

    def ref(self):
        return self

    def deref(self):
        return self


def _forward(name):
    def method(self, *args):
        # unwrap Variable operands: the C number slots defer to them (NotImplemented)
        args = [a._value if isinstance(a, Variable) else a for a in args]
        return getattr(self._value, name)(*args)
    method.__name__ = name
    return method


for _name in ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__",
              "__rtruediv__", "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__",
              "__rpow__", "__matmul__", "__rmatmul__", "__neg__", "__abs__", "__pos__", "__lt__",
              "__le__", "__gt__", "__ge__", "__and__", "__rand__", "__or__", "__ror__",
              "__xor__", "__rxor__", "__invert__"):
    if hasattr(Tensor, _name) or hasattr(_core.TensorBase, _name):
        setattr(Variable, _name, _forward(_name))
