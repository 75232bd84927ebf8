"""DType objects with TensorFlow's names and properties, mapped onto the C core's dtype ids."""
import builtins

import numpy as np

from .. import _core

_TABLE = _core.dtype_table()   # (name, itemsize, typestr, is_float, is_int, is_signed) by id


class DType:
    """A tensor element type: `tf.float32`, `tf.uint8`, ..."""

    __slots__ = ("_id",)

    def __init__(self, type_id):
        self._id = type_id

    @property
    def name(self):
        return _TABLE[self._id][0]

    @property
    def as_numpy_dtype(self):
        return np.dtype(self.name).type

    @property
    def is_floating(self):
        return builtins.bool(_TABLE[self._id][3])

    @property
    def is_integer(self):
        return builtins.bool(_TABLE[self._id][4])

    @property
    def is_bool(self):
        return self.name == "bool"

    @property
    def is_unsigned(self):
        return self.is_integer and not _TABLE[self._id][5]

    @property
    def is_numpy_compatible(self):
        return True

    @property
    def size(self):
        return _TABLE[self._id][1]

    @property
    def base_dtype(self):
        return self

    @property
    def min(self):
        if self.is_floating:
            return float(np.finfo(self.name).min)
        if self.is_bool:
            return False
        return int(np.iinfo(self.name).min)

    @property
    def max(self):
        if self.is_floating:
            return float(np.finfo(self.name).max)
        if self.is_bool:
            return True
        return int(np.iinfo(self.name).max)

    def __eq__(self, other):
        if isinstance(other, DType):
            return self._id == other._id
        try:
            return self._id == as_dtype(other)._id
        except TypeError:
            return False

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self._id)

    def __repr__(self):
        return "tf." + self.name

    def __reduce__(self):
        return as_dtype, (self.name,)


float32 = DType(0)
float16 = DType(1)
float64 = DType(2)
int32 = DType(3)
int64 = DType(4)
uint8 = DType(5)
bool = DType(6)   # noqa: A001  (TensorFlow's name)
half = float16
double = float64

_BY_NAME = {d.name: d for d in (float32, float16, float64, int32, int64, uint8, bool)}
_BY_NAME.update({"half": float16, "double": float64, "float": float32})
ALL = tuple(DType(i) for i in range(len(_TABLE)))


class _StringDType(DType):
    """tf.string: not a C-core dtype (string tensors live in engine/strings.py)."""
    __slots__ = ()
    name = "string"
    as_numpy_dtype = np.object_
    is_floating = is_integer = is_bool = is_unsigned = False
    size = 8

    @property
    def min(self):
        raise TypeError("Cannot find minimum value of string.")

    max = min


string = _StringDType(-1)
_BY_NAME["string"] = string


def as_dtype(value):
    """DType from a DType, a name, a numpy dtype or a Python type."""
    if isinstance(value, DType):
        return value
    if value is None:
        raise TypeError("Cannot convert None to a DType")
    if isinstance(value, str):
        d = _BY_NAME.get(value)
        if d is None:
            raise TypeError(f"Cannot convert value {value!r} to a TensorFlow DType.")
        return d
    if value is float:
        return float32
    if value is int:
        return int32
    if value is builtins.bool:
        return bool
    if value is str or value is bytes:
        return string
    try:
        name = np.dtype(value).name
    except TypeError:
        raise TypeError(f"Cannot convert value {value!r} to a TensorFlow DType.") from None
    d = _BY_NAME.get(name)
    if d is None and np.dtype(value).kind in "OSU":
        return string
    if d is None:
        raise TypeError(f"Cannot convert value {value!r} to a minikeras DType (unsupported: {name}).")
    return d
