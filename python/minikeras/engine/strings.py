"""String tensors (dtype tf.string).

The C core is numeric only, so a string tensor is a Python object holding a numpy object
array of `bytes` (a 0-d array for scalars).  It has the Tensor surface that code touches
(dtype, shape, ndim, numpy(), `+`, indexing, ==, len/iter, repr) and the generic shape
functions (tf.stack, tf.concat, tf.reshape, tf.gather, tf.expand_dims, tf.squeeze,
tf.unstack, tf.identity, tf.shape/size/rank) dispatch here on string inputs.

Nothing here can be recorded into a C graph: every operation calls `not_traceable` first,
so a tf.function (or a tf.data map function) that touches strings runs eagerly.

Public helpers for tf.data: is_string_tensor(x), string_tensor(np_object_array),
stack(list_of_string_tensors)."""
import numbers

import numpy as np

from .. import _core
from . import dtypes as _dt
from .function import not_traceable
from .tensor import TensorShape, _Ref, convert_to_tensor

_Err = _core.InvalidArgumentError
_EMPTY_KEY = ()

__all__ = ["StringTensor", "is_string_tensor", "is_string_like", "string_tensor", "convert",
           "stack", "concat", "reshape", "gather", "expand_dims", "squeeze", "unstack",
           "identity", "transpose", "tile", "as_bytes_array", "scalar_bytes"]


def _fmt(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


class StringTensor:
    """An eager tensor of dtype tf.string: `self._a` is a numpy object array of bytes."""

    __slots__ = ("_a", "__weakref__")
    __array_priority__ = 100
    _traced = False

    def __init__(self, a):
        self._a = a

    # ---- the Tensor surface ------------------------------------------------------
    @property
    def dtype(self):
        return _dt.string

    @property
    def shape(self):
        return TensorShape(self._a.shape)

    def get_shape(self):
        return self.shape

    @property
    def _shape(self):
        return self._a.shape

    @property
    def _size(self):
        return self._a.size

    @property
    def ndim(self):
        return self._a.ndim

    @property
    def device(self):
        return "/job:localhost/replica:0/task:0/device:CPU:0"

    @property
    def name(self):
        raise AttributeError("Tensor.name is undefined when eager execution is enabled.")

    def numpy(self):
        """bytes for a scalar, else a numpy object array of bytes (a copy), as TF."""
        a = self._a
        return a[()] if a.ndim == 0 else a.copy()

    def __array__(self, dtype=None, copy=None):
        a = self._a if dtype is None else self._a.astype(dtype)
        return a.copy() if copy and a is self._a else a

    def _numpy_text(self, is_repr=False):
        a = self.numpy()
        text = repr(a) if is_repr else str(a)
        if "\n" in text:
            text = "\n" + text
        return text

    def __repr__(self):
        return f"<tf.Tensor: shape={self.shape}, dtype=string, numpy={self._numpy_text(True)}>"

    def __str__(self):
        return f"tf.Tensor({self._numpy_text()}, shape={self.shape}, dtype=string)"

    def __format__(self, spec):
        return format(str(self), spec)

    def __bool__(self):
        # as TF's eager tensors: bool(value) for one element, numpy's error otherwise
        return bool(self._a)

    def __len__(self):
        if self._a.ndim == 0:
            raise TypeError("Scalar tensor has no `len()`")
        return self._a.shape[0]

    def __iter__(self):
        if self._a.ndim == 0:
            raise TypeError("Cannot iterate over a scalar tensor.")
        for i in range(self._a.shape[0]):
            yield StringTensor(self._a[i:i + 1].reshape(self._a.shape[1:]))

    def __hash__(self):
        raise TypeError("Tensor is unhashable. Instead, use tensor.ref() as the key.")

    def ref(self):
        return _Ref(self)

    experimental_ref = ref

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self     # immutable

    def __reduce__(self):
        return string_tensor, (self._a,)

    def set_shape(self, shape):
        want = TensorShape(shape)
        if want.rank is not None and (want.rank != self._a.ndim or any(
                w is not None and w != d for w, d in zip(want, self._a.shape))):
            raise ValueError(f"Tensor's shape {self.shape} is not compatible with supplied shape "
                             f"{list(want)}")

    # ---- operators ---------------------------------------------------------------
    def __add__(self, other):
        not_traceable("tf.strings add (+)")
        o = _operand(other, "add")
        if o is None:
            return NotImplemented
        return _add(self._a, o)

    def __radd__(self, other):
        not_traceable("tf.strings add (+)")
        o = _operand(other, "add")
        if o is None:
            return NotImplemented
        return _add(o, self._a)

    def __eq__(self, other):
        not_traceable("tf.equal on strings")
        return _compare(self, other, True)

    def __ne__(self, other):
        not_traceable("tf.not_equal on strings")
        return _compare(self, other, False)

    def __getitem__(self, key):
        not_traceable("string tensor indexing")
        items = key if type(key) is tuple else (key,)
        clean = []
        for k in items:
            if k is None or k is Ellipsis or isinstance(k, slice):
                if isinstance(k, slice):
                    k = slice(*(None if v is None else _index_int(v) for v in (k.start, k.stop, k.step)))
                clean.append(k)
            else:
                clean.append(_index_int(k))
        a = self._a
        # bounds as TF: out-of-range integer index is an error
        d = 0
        for k in clean:
            if k is Ellipsis:
                d = a.ndim - sum(1 for x in clean if x is not None and x is not Ellipsis) + \
                    sum(1 for x in clean[:clean.index(Ellipsis)] if x is not None)
                continue
            if k is None:
                continue
            if isinstance(k, int):
                if d >= a.ndim:
                    raise _Err(f"Index out of range using input dim {d}; input has only {a.ndim} dims")
                n = a.shape[d]
                if not -n <= k < n:
                    raise _Err(f"slice index {k} of dimension {d} out of bounds. "
                               f"[Op:StridedSlice] name: strided_slice/")
            d += 1
        try:
            r = a[tuple(clean)]
        except IndexError as e:
            raise _Err(f"strided_slice on a string tensor of shape {_fmt(a.shape)}: {e}") from None
        if not isinstance(r, np.ndarray):
            return _scalar(r)
        return StringTensor(r)


def _index_int(k):
    if isinstance(k, (bool, np.bool_)):
        raise TypeError(f"Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and "
                        f"scalar tf.int32/tf.int64 tensors are valid indices, got {k!r}")
    if isinstance(k, numbers.Integral):
        return int(k)
    if isinstance(k, _core.TensorBase) and k.ndim == 0 and k.dtype.is_integer:
        return int(k)
    raise TypeError(f"Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and "
                    f"scalar tf.int32/tf.int64 tensors are valid indices, got {k!r}")


def _scalar(b):
    a = np.empty((), dtype=object)
    a[()] = b
    return StringTensor(a)


def _add(x, y):
    if x.ndim == 0 and y.ndim == 0:
        return _scalar(x[()] + y[()])
    try:
        return StringTensor(np.add(x, y, dtype=object))
    except ValueError:
        raise _Err(f"Incompatible shapes: {_fmt(x.shape)} vs. {_fmt(y.shape)} [Op:AddV2]") from None


def _operand(other, op):
    """The object array of a string operand; None when `other` is not string-like."""
    if type(other) is StringTensor:
        return other._a
    if isinstance(other, (str, bytes)):
        a = np.empty((), dtype=object)
        a[()] = other.encode() if isinstance(other, str) else bytes(other)
        return a
    if isinstance(other, (list, tuple, np.ndarray)):
        try:
            return convert(other)._a
        except (TypeError, ValueError):
            pass
    if isinstance(other, _core.TensorBase) or isinstance(other, (numbers.Number, np.ndarray)):
        kind = other.dtype.name if isinstance(other, _core.TensorBase) else \
            ("int32" if isinstance(other, numbers.Integral) else "float32")
        raise _Err(f"cannot compute AddV2 as input #1(zero-based) was expected to be a string "
                   f"tensor but is a {kind} tensor [Op:AddV2]")
    return None


def _compare(x, other, eq):
    if other is None:
        return not eq
    try:
        o = _operand(other, "equal")
    except (TypeError, ValueError):
        o = None
    if o is None:
        return not eq
    try:
        r = (x._a == o) if eq else (x._a != o)
    except ValueError:
        r = None
    if not isinstance(r, (np.ndarray, np.bool_, bool)) or (
            isinstance(r, np.ndarray) and r.shape != np.broadcast_shapes(x._a.shape, o.shape)):
        r = np.asarray(not eq)
    return convert_to_tensor(np.asarray(r, dtype=bool))


# ---- construction -----------------------------------------------------------------

def is_string_tensor(x):
    """True for string tensors."""
    return type(x) is StringTensor


def is_string_like(x):
    """True for string tensors, str/bytes, lists/tuples whose first leaf is one of those,
    and numpy string/object arrays (the inputs the shape functions hand to this module)."""
    t = type(x)
    if t is StringTensor or t is str or t is bytes:
        return True
    if t is list or t is tuple:
        while (type(x) is list or type(x) is tuple) and x:
            x = x[0]
        return isinstance(x, (str, bytes, StringTensor))
    if t is np.ndarray:
        return x.dtype.kind in "OSU"
    return False


def _to_bytes(v):
    if type(v) is bytes:
        return v
    if isinstance(v, str):
        return v.encode("utf-8")
    if isinstance(v, bytes):
        return bytes(v)
    if type(v) is StringTensor and v._a.ndim == 0:
        return v._a[()]
    raise TypeError(f"Failed to convert elements of {v!r} to Tensor of dtype string")


def as_bytes_array(a):
    """numpy array of str / bytes / object -> a new object array of bytes (TypeError if an
    element is not a string)."""
    a = np.asarray(a)
    out = np.empty(a.shape, dtype=object)
    if a.size:
        flat = out.reshape(-1)
        if a.dtype.kind == "S":
            flat[:] = a.reshape(-1).tolist()
        else:
            flat[:] = [_to_bytes(v) for v in a.reshape(-1).tolist()]
    return out


def string_tensor(a):
    """A string tensor over numpy object array `a` of bytes (not copied; str elements and
    'U'/'S' arrays are converted)."""
    a = np.asarray(a) if not isinstance(a, np.ndarray) else a
    if a.dtype != object or not all(type(v) is bytes for v in a.flat):
        a = as_bytes_array(a)
    return StringTensor(a)


def convert(value, dtype=None):
    """convert_to_tensor / tf.constant of str, bytes, (nested) lists of them, numpy str/object
    arrays and string tensors -> string tensor; TypeError/ValueError as TensorFlow otherwise."""
    if dtype is not None and _dt.as_dtype(dtype) != _dt.string:
        if type(value) is StringTensor:
            raise ValueError(f"Tensor conversion requested dtype {_dt.as_dtype(dtype).name} for "
                             f"Tensor with dtype string: {value!r}")
        raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype {_dt.as_dtype(dtype).name}")
    if type(value) is StringTensor:
        return value
    if isinstance(value, (str, bytes)):
        return _scalar(_to_bytes(value))
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        a = np.asarray(value)
        if a.dtype.kind not in "OSU":
            raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype string")
        return StringTensor(as_bytes_array(a))
    if isinstance(value, (list, tuple)):
        leaves = []
        shape = _nested_shape(value, leaves)
        if shape is None:
            raise ValueError(f"Can't convert non-rectangular Python sequence to Tensor: {value!r}")
        out = np.empty(len(leaves), dtype=object)
        try:
            out[:] = [_to_bytes(v) for v in leaves]
        except TypeError:
            raise TypeError(f"Failed to convert elements of {value!r} to Tensor. Consider "
                            f"casting elements to a supported type.") from None
        return StringTensor(out.reshape(shape))
    raise TypeError(f"Cannot convert {value!r} to EagerTensor of dtype string")


def _nested_shape(v, leaves):
    """Shape of a rectangular nested list (leaves appended in order); None if ragged."""
    if isinstance(v, (list, tuple)):
        if not v:
            return (0,)
        shapes = [_nested_shape(x, leaves) for x in v]
        s0 = shapes[0]
        if s0 is None or any(s != s0 for s in shapes[1:]):
            return None
        return (len(v),) + s0
    if type(v) is StringTensor:
        leaves.extend(v._a.reshape(-1).tolist())
        return v._a.shape
    leaves.append(v)
    return ()


def constant(value, dtype=None, shape=None):
    """tf.constant for string values (fills/reshapes to `shape` as tf.constant does)."""
    not_traceable("tf.constant of strings")
    t = convert(value, dtype)
    if shape is None:
        return t
    shape = tuple(int(s) for s in shape)
    n = int(np.prod(shape))
    if t._a.size == 1 and n != 1:
        out = np.empty(shape, dtype=object)
        out[...] = t._a.reshape(-1)[0]
        return StringTensor(out)
    if t._a.size == n:
        return StringTensor(t._a.reshape(shape))
    raise TypeError(f"Eager execution of tf.constant with unsupported shape. Tensor {value!r} "
                    f"(converted from {t._a.shape}) has {t._a.size} elements, but got `shape` "
                    f"{shape} with {n} elements).")


def scalar_bytes(x, op):
    """The bytes of a scalar string input (str, bytes or 0-d string tensor)."""
    t = type(x)
    if t is bytes:
        return x
    if t is StringTensor:
        if x._a.ndim != 0:
            raise _Err(f"{op}: input must be a scalar string, got shape {_fmt(x._a.shape)}")
        return x._a[()]
    if isinstance(x, str):
        return x.encode("utf-8")
    if isinstance(x, bytes):
        return bytes(x)
    if isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "OSU":
        return _to_bytes(x[()])
    if isinstance(x, _core.TensorBase):
        raise TypeError(f"{op}: expected a string tensor, got a {x.dtype.name} tensor")
    raise TypeError(f"{op}: expected a string, got {x!r}")


def _st(x, op="string op"):
    if type(x) is StringTensor:
        return x
    if isinstance(x, _core.TensorBase):
        raise TypeError(f"{op}: expected a string tensor, got a {x.dtype.name} tensor")
    return convert(x)


# ---- generic shape functions on strings (tf.* dispatch here) ------------------------

def _axis(axis, rank, op):
    a = int(axis)
    if not -rank <= a < rank:
        raise _Err(f"{op}: axis {a} is out of bounds for a tensor of rank {rank}")
    return a + rank if a < 0 else a


def _shape_ints(shape):
    if isinstance(shape, TensorShape):
        return tuple(shape.as_list())
    if isinstance(shape, _core.TensorBase):
        return tuple(int(s) for s in np.asarray(shape).reshape(-1))
    if isinstance(shape, numbers.Integral):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def stack(values, axis=0):
    """tf.stack of string tensors (or str/bytes values)."""
    not_traceable("tf.stack of strings")
    from .api.shape import check_stack     # (api.shape imports this module)
    arrs = [_st(v, "stack")._a for v in values]
    a = check_stack([x.shape for x in arrs], axis)
    if arrs[0].ndim == 0:
        out = np.empty(len(arrs), dtype=object)
        out[:] = [x[()] for x in arrs]
        return StringTensor(out)
    return StringTensor(np.stack(arrs, axis=a))


def concat(values, axis):
    not_traceable("tf.concat of strings")
    if type(values) is StringTensor:
        values = [values]
    arrs = [_st(v, "concat")._a for v in values]
    if not arrs:
        raise ValueError("concat: expects at least one input")
    r = arrs[0].ndim
    if r == 0:
        raise _Err("concat: Can't concatenate scalars (use tf.stack instead)")
    ax = _axis(axis, r, "concat")
    for i, x in enumerate(arrs[1:], 1):
        if x.ndim != r or x.shape[:ax] + x.shape[ax + 1:] != arrs[0].shape[:ax] + arrs[0].shape[ax + 1:]:
            raise _Err(f"concat: Dimensions of inputs should match: shape[0] = {_fmt(arrs[0].shape)} "
                       f"vs. shape[{i}] = {_fmt(x.shape)}")
    if len(arrs) == 1:
        return StringTensor(arrs[0])
    return StringTensor(np.concatenate(arrs, axis=ax))


def reshape(tensor, shape):
    not_traceable("tf.reshape of strings")
    a = _st(tensor, "reshape")._a
    s = _shape_ints(shape)
    try:
        return StringTensor(a.reshape(s))
    except ValueError:
        known = int(np.prod([d for d in s if d != -1])) if s else 1
        raise _Err(f"Input to reshape is a tensor with {a.size} values, but the requested shape "
                   f"{'requires a multiple of' if -1 in s else 'has'} {known} [Op:Reshape]") from None


def gather(params, indices, axis=None, batch_dims=0):
    not_traceable("tf.gather of strings")
    a = _st(params, "gather")._a
    idx = np.asarray(indices if not isinstance(indices, _core.TensorBase) else indices.numpy())
    if idx.dtype.kind not in "iu":
        raise TypeError(f"gather: Value passed to parameter 'indices' has DataType {idx.dtype} "
                        f"not in list of allowed values: int32, int64")
    batch_dims = int(batch_dims)
    axis = batch_dims if axis is None else int(axis)
    if a.ndim == 0:
        raise _Err("gather: params must be at least 1 dimensional")
    ax = _axis(axis, a.ndim, "gather")
    if batch_dims < 0:
        batch_dims += idx.ndim
    n = a.shape[ax]
    bad = (idx < 0) | (idx >= n)
    if bad.any():
        raise _Err(f"indices[{','.join(map(str, np.argwhere(bad)[0]))}] = {idx[bad][0]} is not in "
                   f"[0, {n}) [Op:GatherV2]")
    if batch_dims == 0:
        return StringTensor(np.take(a, idx, axis=ax))
    # batched gather: loop over the leading batch dims
    bshape = a.shape[:batch_dims]
    if idx.shape[:batch_dims] != bshape:
        raise _Err(f"gather: batch dimensions of params {_fmt(a.shape)} and indices "
                   f"{_fmt(idx.shape)} must match")
    out = [np.take(a[b], idx[b], axis=ax - batch_dims) for b in np.ndindex(*bshape)]
    first = out[0].shape if out else ()
    res = np.empty((int(np.prod(bshape)),) + first, dtype=object)
    for i, o in enumerate(out):
        res[i] = o
    return StringTensor(res.reshape(bshape + first))


def expand_dims(input, axis):  # noqa: A002
    not_traceable("tf.expand_dims of strings")
    a = _st(input, "expand_dims")._a
    r = a.ndim
    ax = int(axis)
    if not -r - 1 <= ax <= r:
        raise _Err(f"expand_dims: Tried to expand dim index {ax} for tensor with {r} dimensions "
                   f"(shape {_fmt(a.shape)})")
    if ax < 0:
        ax += r + 1
    return StringTensor(a.reshape(a.shape[:ax] + (1,) + a.shape[ax:]))


def squeeze(input, axis=None):  # noqa: A002
    not_traceable("tf.squeeze of strings")
    a = _st(input, "squeeze")._a
    s = a.shape
    if axis is None:
        return StringTensor(a.reshape(tuple(d for d in s if d != 1)))
    axes = {_axis(x, a.ndim, "squeeze") for x in _shape_ints(axis)}
    for x in sorted(axes):
        if s[x] != 1:
            raise _Err(f"squeeze: Can not squeeze dim[{x}], expected a dimension of 1, got {s[x]} "
                       f"(input shape {_fmt(s)})")
    return StringTensor(a.reshape(tuple(d for i, d in enumerate(s) if i not in axes)))


def unstack(value, num=None, axis=0):
    not_traceable("tf.unstack of strings")
    a = _st(value, "unstack")._a
    if a.ndim == 0:
        raise ValueError("unstack: Input shape must have rank >= 1, got a scalar")
    ax = _axis(axis, a.ndim, "unstack")
    n = a.shape[ax]
    if num is not None and num != n:
        raise ValueError(f"unstack: Cannot infer argument `num` from shape {_fmt(a.shape)}: "
                         f"num={num} but dimension {ax} has {n}")
    m = np.moveaxis(a, ax, 0)
    return [StringTensor(m[i:i + 1].reshape(m.shape[1:])) for i in range(n)]


def identity(input):  # noqa: A002
    not_traceable("tf.identity of strings")
    return _st(input, "identity")


def transpose(a, perm=None):
    not_traceable("tf.transpose of strings")
    x = _st(a, "transpose")._a
    return StringTensor(np.transpose(x, None if perm is None else _shape_ints(perm)))


def tile(input, multiples):  # noqa: A002
    not_traceable("tf.tile of strings")
    x = _st(input, "tile")._a
    m = _shape_ints(multiples)
    if len(m) != x.ndim:
        raise _Err(f"tile: Expected multiples argument to be a vector of length {x.ndim} but got "
                   f"length {len(m)}")
    return StringTensor(np.tile(x, m) if x.ndim else x)
