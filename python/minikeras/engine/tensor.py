"""The Tensor class (a thin Python layer over the C TensorBase), TensorShape,
and conversion of Python/numpy values into tensors with TensorFlow's rules."""
import numbers

import numpy as np

from .. import _core
from . import dtypes as _dt
from .dtypes import DType, as_dtype

C = _core.ops


class TensorShape:
    """A shape that compares equal to tuples and lists, as tf.TensorShape."""

    __slots__ = ("_dims",)

    def __init__(self, dims):
        if isinstance(dims, TensorShape):
            dims = dims._dims
        self._dims = None if dims is None else tuple(None if d is None else int(d) for d in dims)

    @property
    def rank(self):
        return None if self._dims is None else len(self._dims)

    ndims = rank

    @property
    def dims(self):
        return None if self._dims is None else list(self._dims)

    def as_list(self):
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def num_elements(self):
        if self._dims is None or None in self._dims:
            return None
        return int(np.prod(self._dims, dtype=np.int64))

    def is_fully_defined(self):
        return self._dims is not None and None not in self._dims

    def concatenate(self, other):
        return TensorShape(self._dims + TensorShape(other)._dims)

    def __len__(self):
        if self._dims is None:
            raise ValueError("Cannot take the length of shape with unknown rank.")
        return len(self._dims)

    def __iter__(self):
        return iter(self._dims or ())

    def __getitem__(self, key):
        if isinstance(key, slice):
            return TensorShape(self._dims[key])
        return self._dims[key]

    def __eq__(self, other):
        if isinstance(other, TensorShape):
            return self._dims == other._dims
        if isinstance(other, (tuple, list)):
            return self._dims == tuple(other)
        return NotImplemented

    def __ne__(self, other):
        r = self.__eq__(other)
        return r if r is NotImplemented else not r

    def __hash__(self):
        return hash(self._dims)

    def __add__(self, other):
        return self.concatenate(other)

    def __repr__(self):
        if self._dims is None:
            return "TensorShape(None)"
        return f"TensorShape({list(self._dims)})"

    def __str__(self):
        if self._dims is None:
            return "<unknown>"
        if len(self._dims) == 1:
            return f"({'None' if self._dims[0] is None else self._dims[0]},)"
        return "(" + ", ".join("None" if d is None else str(d) for d in self._dims) + ")"


class Tensor(_core.TensorBase):
    """An n-dimensional array computed by the C core (tf.Tensor)."""

    __slots__ = ()
    __array_priority__ = 100

    @property
    def shape(self):
        return TensorShape(self._shape)

    def get_shape(self):
        return self.shape

    @property
    def dtype(self):
        return _dt.ALL[self._dtype_id]

    @property
    def device(self):
        return "/job:localhost/replica:0/task:0/device:CPU:0" if self._device_id == 0 else \
            "/job:localhost/replica:0/task:0/device:GPU:0"

    def numpy(self):
        if self._traced:
            raise AttributeError(
                "'Tensor' object has no attribute 'numpy': inside tf.function / fit the tensor's "
                "value is not known while the graph is traced")
        a = np.array(self, copy=True)
        return a[()] if a.ndim == 0 else a   # TF: a numpy scalar for 0-d tensors

    def __array__(self, dtype=None, copy=None):
        a = np.asarray(memoryview(self)) if self._size else np.zeros(self._shape, self.dtype.as_numpy_dtype)
        if dtype is not None:
            a = a.astype(dtype, copy=False)
        return a

    def _numpy_text(self, is_repr=False):
        a = self.numpy()
        if is_repr:   # TF (numpy 2): scalars as their Python item, `numpy=3.0`
            text = repr(a.item()) if np.ndim(a) == 0 else repr(a)
        else:
            text = str(a)
        if "\n" in text:
            text = "\n" + text
        return text

    def __str__(self):
        if self._traced:
            return f"Tensor(\"traced\", shape={self.shape}, dtype={self.dtype.name})"
        return f"tf.Tensor({self._numpy_text()}, shape={self.shape}, dtype={self.dtype.name})"

    def __repr__(self):
        if self._traced:
            return f"<tf.Tensor 'traced' shape={self.shape} dtype={self.dtype.name}>"
        return f"<tf.Tensor: shape={self.shape}, dtype={self.dtype.name}, numpy={self._numpy_text(True)}>"

    def __format__(self, spec):
        if self.ndim == 0 and not self._traced:
            return format(self.numpy().item(), spec)
        return format(str(self), spec)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        for i in range(self._shape[0]):
            yield self[i]

    def __hash__(self):
        raise TypeError("Tensor is unhashable. Instead, use tensor.ref() as the key.")

    def ref(self):
        return _Ref(self)

    experimental_ref = ref

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return convert_to_tensor(self.numpy())

    def __reduce__(self):
        return convert_to_tensor, (self.numpy(),)

    # reflected operators come from the C number slots (they accept either order);
    # these two are the ones Python looks up by name only
    def __rtruediv__(self, other):
        return convert_to_tensor(other, dtype=self.dtype) / self

    def __rmatmul__(self, other):
        return convert_to_tensor(other, dtype=self.dtype) @ self

    def __rpow__(self, other):
        return convert_to_tensor(other, dtype=self.dtype) ** self


class _Ref:
    """Hashable reference to a tensor (tensor.ref())."""

    __slots__ = ("_t",)

    def __init__(self, t):
        self._t = t

    def deref(self):
        return self._t

    def __hash__(self):
        return id(self._t)

    def __eq__(self, other):
        return isinstance(other, _Ref) and other._t is self._t


_core.set_tensor_class(Tensor)

_PY_DEFAULT = {float: _dt.float32, int: _dt.int32, bool: _dt.bool}


def _from_numpy(a, dtype):
    """Copy numpy array `a` into a new tensor of DType `dtype`."""
    target = dtype.as_numpy_dtype
    if a.dtype != target:
        if dtype.is_integer and a.dtype.kind == "f" and not np.all(np.isfinite(a) & (a == np.floor(a))):
            raise TypeError(f"Cannot convert {a!r} to EagerTensor of dtype {dtype.name}")
        a = a.astype(target)
    if a.dtype.byteorder == ">":
        a = a.astype(a.dtype.newbyteorder("="))
    return _core.from_buffer(a)


def convert_to_tensor(value, dtype=None, dtype_hint=None, name=None):
    """TensorFlow's conversion: Python floats -> float32, ints -> int32, numpy arrays keep
    their dtype; `dtype` forces a type (int <-> float where exact), `dtype_hint` is tried first."""
    if dtype is not None:
        dtype = as_dtype(dtype)
    if isinstance(value, _core.TensorBase):
        if dtype is not None and value._dtype_id != dtype._id:
            raise ValueError(
                f"Tensor conversion requested dtype {dtype.name} for Tensor with dtype "
                f"{_dt.ALL[value._dtype_id].name}: {value!r}")
        return value
    conv = getattr(value, "_as_tensor", None)
    if conv is not None:          # Variables and other tensor-likes
        t = conv()
        if dtype is not None and t._dtype_id != dtype._id:
            raise ValueError(f"Tensor conversion requested dtype {dtype.name} for a "
                             f"{_dt.ALL[t._dtype_id].name} value")
        return t
    if type(value) in _STRING_TYPES or dtype is _dt.string:   # string tensors: engine/strings.py
        return _strings.convert(value, dtype)
    if dtype is None and dtype_hint is not None:
        try:
            return convert_to_tensor(value, dtype=dtype_hint)
        except (TypeError, ValueError):
            pass
    if isinstance(value, (np.ndarray, np.generic)):
        a = np.asarray(value)
        if a.dtype.kind in "US" or a.dtype == object:
            return _strings.convert(a, dtype)
        return _from_numpy(a, dtype or as_dtype(a.dtype))
    if isinstance(value, (bool, numbers.Number)) and not isinstance(value, complex):
        if dtype is None:
            dtype = _PY_DEFAULT.get(type(value)) or (_dt.float32 if isinstance(value, numbers.Real)
                                                      and not isinstance(value, numbers.Integral)
                                                      else _dt.int32)
            if dtype == _dt.int32 and not (-2**31 <= value < 2**31):
                dtype = _dt.int64
        if dtype.is_integer and isinstance(value, float) and value != int(value):
            raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {dtype.name}")
        return _core.scalar(value, dtype._id)
    # lists, tuples, nested sequences (possibly holding tensors)
    if isinstance(value, (list, tuple)):
        if any(isinstance(v, _core.TensorBase) or hasattr(v, "_as_tensor") for v in _flat(value)):
            from .api.shape import stack
            return stack([convert_to_tensor(v, dtype=dtype) for v in value])
        a = np.asarray(value)
        if a.dtype == object or a.dtype.kind in "US":
            return _strings.convert(value, dtype)
        if dtype is None:
            if a.dtype.kind == "f":
                dtype = _dt.float32
            elif a.dtype.kind in "iu":
                dtype = _dt.int32 if a.size == 0 or (a.min() >= -2**31 and a.max() < 2**31) else _dt.int64
            elif a.dtype.kind == "b":
                dtype = _dt.bool
            else:
                dtype = as_dtype(a.dtype)
            if a.size == 0 and a.dtype.kind == "f":
                dtype = _dt.float32
        return _from_numpy(a, dtype)
    if hasattr(value, "__array__"):
        return convert_to_tensor(np.asarray(value), dtype=dtype)
    raise TypeError(f"Failed to convert object of type {type(value).__name__} to Tensor. "
                    f"Contents: {value!r}.")


def _flat(v):
    if isinstance(v, (list, tuple)):
        for x in v:
            yield from _flat(x)
    else:
        yield v


def _c_converter(obj, hint):
    """Called by the C core for operands that are neither tensors nor Python scalars."""
    if hint >= 0 and not isinstance(obj, _core.TensorBase) and not hasattr(obj, "_as_tensor"):
        try:
            return convert_to_tensor(obj, dtype=_dt.ALL[hint])
        except (TypeError, ValueError):
            pass
    t = convert_to_tensor(obj)
    if _strings.is_string_tensor(t):     # a string operand of a numeric op
        raise TypeError(f"Cannot convert {obj!r} to EagerTensor of dtype "
                        f"{_dt.ALL[hint].name if hint >= 0 else 'numeric'}")
    return t


_core.set_converter(_c_converter)


def constant(value, dtype=None, shape=None, name="Const"):
    """tf.constant: a new tensor holding a copy of `value` (cast to `dtype`; reshaped or
    filled to `shape`)."""
    if _strings.is_string_like(value) or (dtype is not None and as_dtype(dtype) is _dt.string):
        return _strings.constant(value, dtype, shape)
    if isinstance(value, _core.TensorBase):
        value = value.numpy()
    elif hasattr(value, "_as_tensor"):
        value = value._as_tensor().numpy()
    if dtype is not None:
        a = np.asarray(value)
        if a.dtype == object or a.dtype.kind in "US":
            raise TypeError(f"Cannot convert {value!r} to a tensor")
        t = _from_numpy(a, as_dtype(dtype))
    else:
        t = convert_to_tensor(value)
    if shape is not None:
        shape = tuple(int(s) for s in shape)
        if t._size == 1 and int(np.prod(shape)) != 1:
            t = convert_to_tensor(np.full(shape, t.numpy().reshape(()), dtype=t.dtype.as_numpy_dtype))
        elif t._size == int(np.prod(shape)):
            t = convert_to_tensor(t.numpy().reshape(shape))
        else:
            raise TypeError(f"Eager execution of tf.constant with unsupported shape. Tensor "
                            f"{value!r} (converted from {t._shape}) has {t._size} elements, but "
                            f"got `shape` {shape} with {int(np.prod(shape))} elements).")
    if _core.get_default_device() == _core.GPU or _core.get_device_scope() == _core.GPU:
        from . import device as _device     # TF: a constant lives on the device ops run on
        if _device.current() == _core.GPU:
            t = C["to_device"](t, ints=(_core.GPU,))
    return t


def is_tensor(x):
    return isinstance(x, _core.TensorBase) or hasattr(x, "_as_tensor") or _strings.is_string_tensor(x)


from .api.shape import getitem as _getitem  # noqa: E402  (api.shape imports this module)

Tensor.__getitem__ = _getitem

from . import strings as _strings  # noqa: E402  (string tensors; imports this module)

_STRING_TYPES = (str, bytes, _strings.StringTensor)
