"""TensorFlow-style elementwise functions (tf.math.*) over the C elementwise family.

Most are the C callables themselves (`_core.ops[name]`): they take tensors,
numpy arrays, lists or Python scalars (scalars take the other operand's dtype)
and an ignored `name=`; calling them costs one C call."""
from ... import _core
from .. import dtypes as _dt
from ..tensor import convert_to_tensor
from .. import strings as _strings

C = _core.ops

# direct C entry points, TensorFlow names
add = C["add"]
subtract = C["subtract"]
multiply = C["multiply"]
floordiv = C["floordiv"]
floormod = C["mod"]
mod = C["mod"]
pow = C["pow"]  # noqa: A001
maximum = C["maximum"]
minimum = C["minimum"]
squared_difference = C["squared_difference"]
negative = C["negative"]
abs = C["abs"]  # noqa: A001
sign = C["sign"]
square = C["square"]
exp = C["exp"]
expm1 = C["expm1"]
log = C["log"]
log1p = C["log1p"]
sqrt = C["sqrt"]
rsqrt = C["rsqrt"]
reciprocal = C["reciprocal"]
sin = C["sin"]
cos = C["cos"]
tan = C["tan"]
tanh = C["tanh"]
sigmoid = C["sigmoid"]
floor = C["floor"]
ceil = C["ceil"]
round = C["round"]  # noqa: A001
erf = C["erf"]
is_nan = C["is_nan"]
is_inf = C["is_inf"]
is_finite = C["is_finite"]
equal = C["equal"]
not_equal = C["not_equal"]
less = C["less"]
less_equal = C["less_equal"]
greater = C["greater"]
greater_equal = C["greater_equal"]
logical_and = C["logical_and"]
logical_or = C["logical_or"]
logical_xor = C["logical_xor"]
logical_not = C["logical_not"]


def _float_for_int(t):
    # TF's truediv: int8/16, uint8/16 -> float32; int32/int64 -> float64
    return _dt.float64 if t.dtype in (_dt.int32, _dt.int64) else _dt.float32


def truediv(x, y, name=None):
    if not isinstance(x, _core.TensorBase):
        x = convert_to_tensor(x, dtype_hint=y.dtype if isinstance(y, _core.TensorBase) else None)
    y = convert_to_tensor(y, dtype_hint=x.dtype)
    if x._dtype_id != y._dtype_id:
        raise _core.InvalidArgumentError(
            f"truediv: x and y must have the same dtype, got {x.dtype.name} != {y.dtype.name}")
    if x.dtype.is_integer:
        f = _float_for_int(x)
        x, y = cast(x, f), cast(y, f)
    return C["divide"](x, y)


divide = truediv


def divide_no_nan(x, y, name=None):
    """x / y, and 0 where y == 0."""
    x = convert_to_tensor(x)
    y = convert_to_tensor(y, dtype=x.dtype)
    zero = y == 0
    safe = C["where"](zero, C["add"](C["multiply"](y, 0), 1), y)
    return C["where"](zero, C["multiply"](C["divide"](x, safe), 0), C["divide"](x, safe))


def cast(x, dtype, name=None):
    """tf.cast: float -> int truncates toward zero; anything -> bool is x != 0."""
    dtype = _dt.as_dtype(dtype)
    x = convert_to_tensor(x) if not hasattr(x, "_as_tensor") else x._as_tensor()
    if x._dtype_id == dtype._id:
        return x
    return C["cast"](x, ints=(dtype._id,))


def saturate_cast(value, dtype, name=None):
    dtype = _dt.as_dtype(dtype)
    value = convert_to_tensor(value)
    if value.dtype.is_floating and not dtype.is_floating:
        value = clip_by_value(value, float(dtype.min), float(dtype.max))
    return cast(value, dtype)


def clip_by_value(t, clip_value_min, clip_value_max, name=None):
    t = convert_to_tensor(t) if not hasattr(t, "_as_tensor") else t._as_tensor()
    return C["minimum"](C["maximum"](t, clip_value_min), clip_value_max)


def add_n(inputs, name=None):
    if not inputs:
        raise ValueError("inputs must be a non-empty list")
    acc = convert_to_tensor(inputs[0])
    for x in inputs[1:]:
        acc = C["add"](acc, x)
    return acc


def scalar_mul(scalar, x, name=None):
    return C["multiply"](x, scalar)


def identity(input, name=None):  # noqa: A002
    if _strings.is_string_like(input): return _strings.identity(input)  # noqa: E701
    t = convert_to_tensor(input)
    return C["copy"](t)


def where(condition, x=None, y=None, name=None):
    """tf.where with x and y: pick elementwise (broadcasting). The one-argument form
    (coordinates of true elements) lives with the index family."""
    if x is None and y is None:
        from . import index
        return index.where(condition)
    if x is None or y is None:
        raise ValueError("x and y must both be non-None or both be None.")
    cond = convert_to_tensor(condition, dtype=_dt.bool)
    if not isinstance(x, _core.TensorBase):
        x = convert_to_tensor(x, dtype_hint=y.dtype if isinstance(y, _core.TensorBase) else None)
    y = convert_to_tensor(y, dtype_hint=x.dtype)
    return C["where"](cond, x, y)


def xdivy(x, y, name=None):
    x = convert_to_tensor(x)
    return C["where"](x == 0, C["multiply"](x, 0), C["divide"](x, y))


def log_sigmoid(x, name=None):
    return C["negative"](C["softplus"](C["negative"](x)))


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("C", "convert_to_tensor")]
