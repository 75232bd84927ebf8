"""TensorFlow-style indexing, sorting and creation functions over the C index family
(csrc/kernels/index.c): tf.gather, tf.gather_nd, tf.boolean_mask, tf.where, tf.sort,
tf.argsort, tf.math.top_k, tf.one_hot, tf.range, tf.linspace, tf.eye, tf.fill,
tf.zeros/ones(_like), tf.scatter_nd, tf.math.unsorted_segment_sum, tf.math.in_top_k."""
import builtins
import collections
import numbers

import numpy as np

from ... import _core
from .. import dtypes as _dt
from ..tensor import TensorShape, convert_to_tensor
from .. import strings as _strings

C = _core.ops
_INDEX_DTYPES = (_dt.int32._id, _dt.int64._id)


def _t(x, dtype=None, dtype_hint=None):
    if isinstance(x, _core.TensorBase):
        if dtype is not None and x._dtype_id != _dt.as_dtype(dtype)._id:
            return convert_to_tensor(x, dtype=dtype)   # raises TF's conversion error
        return x
    conv = getattr(x, "_as_tensor", None)
    if conv is not None:
        return convert_to_tensor(conv(), dtype=dtype)
    return convert_to_tensor(x, dtype=dtype, dtype_hint=dtype_hint)


def _indices(x, what="indices", op="gather"):
    t = _t(x, dtype_hint=_dt.int32)
    if t._dtype_id not in _INDEX_DTYPES:
        raise TypeError(f"{op}: Value passed to parameter '{what}' has DataType {t.dtype.name} "
                        f"not in list of allowed values: int32, int64")
    return t


def _int(x, what):
    """A Python int from an int, numpy scalar or a concrete scalar tensor."""
    if isinstance(x, (builtins.bool, np.bool_)):
        raise TypeError(f"{what} must be an integer, got {x!r}")
    if isinstance(x, numbers.Integral):
        return int(x)
    if isinstance(x, _core.TensorBase) or hasattr(x, "_as_tensor"):
        t = _t(x)
        if not t.dtype.is_integer:
            raise TypeError(f"{what} must be an integer tensor, got {t.dtype.name}")
        return int(t)
    if isinstance(x, np.ndarray) and x.ndim == 0 and x.dtype.kind in "iu":
        return int(x)
    raise TypeError(f"{what} must be an integer, got {x!r}")


def _dims(shape, what="shape"):
    """A tuple of ints from an int, a list/tuple (of ints or scalar tensors), a TensorShape,
    or a 1-D integer tensor / numpy array."""
    if isinstance(shape, TensorShape):
        if not shape.is_fully_defined():
            raise ValueError(f"{what} must be fully defined, got {shape}")
        return tuple(shape.as_list())
    if isinstance(shape, numbers.Integral) and not isinstance(shape, builtins.bool):
        return (int(shape),)
    if isinstance(shape, (list, tuple)):
        return tuple(_int(d, what) for d in shape)
    if isinstance(shape, _core.TensorBase) or hasattr(shape, "_as_tensor") or isinstance(shape, np.ndarray):
        a = np.asarray(_t(shape) if not isinstance(shape, np.ndarray) else shape)
        if a.dtype.kind not in "iu" or a.ndim > 1:
            raise TypeError(f"{what} must be a 1-D integer tensor, got {a.dtype} of shape {a.shape}")
        return tuple(int(d) for d in a.reshape(-1))
    raise TypeError(f"{what} must be a list of integers or an integer tensor, got {shape!r}")


# ---- gather / scatter ------------------------------------------------------------

def gather(params, indices, validate_indices=None, axis=None, batch_dims=0, name=None):
    """tf.gather: slices of params along `axis` at `indices` (default axis: batch_dims).
    Out-of-range indices raise InvalidArgumentError naming the index and the valid range."""
    if _strings.is_string_like(params): return _strings.gather(params, indices, axis, batch_dims)  # noqa: E701
    params = _t(params)
    indices = _indices(indices)
    batch_dims = _int(batch_dims, "batch_dims")
    axis = batch_dims if axis is None else _int(axis, "axis")
    return C["gather"](params, indices, ints=(axis, batch_dims))


def gather_nd(params, indices, batch_dims=0, name=None):
    """tf.gather_nd: indices[..., K] index the first K axes of params (after batch_dims)."""
    params = _t(params)
    indices = _indices(indices, op="gather_nd")
    batch_dims = _int(batch_dims, "batch_dims")
    if batch_dims:
        if batch_dims < 0:
            raise ValueError(f"gather_nd does not allow negative batch_dims, got {batch_dims}")
        if indices._traced:
            raise NotImplementedError("gather_nd with batch_dims inside a traced graph")
        ia = np.asarray(indices)
        bshape = ia.shape[:batch_dims]
        if tuple(params._shape[:batch_dims]) != bshape:
            raise _core.InvalidArgumentError(
                f"gather_nd: batch dimensions of params {list(params._shape)} and indices "
                f"{list(ia.shape)} differ (batch_dims={batch_dims})")
        grids = np.indices(bshape, dtype=ia.dtype)
        extra = ia.ndim - 1 - batch_dims
        coords = [np.broadcast_to(g.reshape(bshape + (1,) * extra), ia.shape[:-1]) for g in grids]
        ia = np.concatenate([np.stack(coords, -1).astype(ia.dtype), ia], axis=-1) if coords else ia
        indices = convert_to_tensor(ia)
    return C["gather_nd"](params, indices)


def scatter_nd(indices, updates, shape, name=None):
    """tf.scatter_nd: a zero tensor of `shape` with updates added at indices (duplicates sum)."""
    indices = _indices(indices, op="scatter_nd")
    updates = _t(updates)
    return C["scatter_nd"](indices, updates, ints=_dims(shape))


def unsorted_segment_sum(data, segment_ids, num_segments, name=None):
    """tf.math.unsorted_segment_sum: out[s] = sum of data rows whose id is s (negative ids
    are dropped)."""
    data = _t(data)
    segment_ids = _indices(segment_ids, "segment_ids", "unsorted_segment_sum")
    return C["unsorted_segment_sum"](data, segment_ids, ints=(_int(num_segments, "num_segments"),))


# ---- masks -------------------------------------------------------------------------

def boolean_mask(tensor, mask, axis=None, name=None):
    """tf.boolean_mask: the entries of tensor where mask (covering axes axis..axis+k) is
    True, flattened into one axis.  Eager only inside fit/tf.function (dynamic shape)."""
    tensor = _t(tensor)
    mask = _t(mask)
    if mask._dtype_id != _dt.bool._id:
        raise TypeError(f"boolean_mask: mask must be a bool tensor, got {mask.dtype.name}")
    if mask.ndim == 0:
        raise ValueError("mask cannot be scalar.")
    axis = 0 if axis is None else _int(axis, "axis")
    return C["boolean_mask"](tensor, mask, ints=(axis,))


def where(condition, x=None, y=None, name=None):
    """tf.where: with x and y, pick elementwise (broadcasting); with the condition alone, the
    int64 coordinates [num_true, rank] of its true (non-zero) elements."""
    if x is None and y is None:
        cond = _t(condition, dtype_hint=_dt.bool)
        return C["where_indices"](cond)
    from .elementwise import where as _where3
    return _where3(condition, x, y)


# ---- sorting -----------------------------------------------------------------------

def _direction(direction):
    if direction not in ("ASCENDING", "DESCENDING"):
        raise ValueError(f"`direction` should be one of ASCENDING, DESCENDING; got {direction!r}")
    return 1 if direction == "DESCENDING" else 0


def _sortable(values, op):
    values = _t(values)
    if values._dtype_id == _dt.bool._id:
        raise TypeError(f"{op}: values must be numeric, got bool")
    if values.ndim == 0:
        raise _core.InvalidArgumentError(f"{op}: input must be at least rank 1, got shape []")
    return values


def sort(values, axis=-1, direction="ASCENDING", name=None):
    """tf.sort (stable: equal values keep their order)."""
    d = _direction(direction)
    values = _sortable(values, "sort")
    return C["sort"](values, ints=(_int(axis, "axis"), d))[0]


def argsort(values, axis=-1, direction="ASCENDING", stable=False, name=None):
    """tf.argsort: int32 indices that sort values (always stable, so deterministic)."""
    d = _direction(direction)
    values = _sortable(values, "argsort")
    return C["sort"](values, ints=(_int(axis, "axis"), d))[1]


TopKV2 = collections.namedtuple("TopKV2", ["values", "indices"])


def top_k(input, k=1, sorted=True, index_type=_dt.int32, name=None):  # noqa: A002
    """tf.math.top_k: the k largest entries along the last axis, largest first (ties:
    lower index first), and their indices."""
    input = _t(input)
    if input._dtype_id == _dt.bool._id:
        raise TypeError("top_k: input must be numeric, got bool")
    v, i = C["top_k"](input, ints=(_int(k, "k"), 1 if sorted else 0))
    index_type = _dt.as_dtype(index_type)
    if index_type._id != _dt.int32._id:
        i = C["cast"](i, ints=(index_type._id,))
    return TopKV2(v, i)


def in_top_k(targets, predictions, k, name=None):
    """tf.math.in_top_k (TF2 argument order): is predictions[i, targets[i]] among the k
    largest of row i (ties count as in; non-finite predictions never are)."""
    predictions = _t(predictions)
    targets = _indices(targets, "targets", "in_top_k")
    return C["in_top_k"](predictions, targets, ints=(_int(k, "k"),))


# ---- one_hot and creation ops ------------------------------------------------------------

def _scalar_value(v, what):
    """(float, int) from a Python number or a one-element tensor."""
    if isinstance(v, _core.TensorBase) or hasattr(v, "_as_tensor") or isinstance(v, np.ndarray):
        a = np.asarray(_t(v) if not isinstance(v, np.ndarray) else v)
        if a.size != 1:
            raise ValueError(f"{what} must be a scalar, got shape {a.shape}")
        v = a.reshape(()).item()
    if isinstance(v, (builtins.bool, np.bool_)):
        return float(v), int(v)
    if isinstance(v, numbers.Integral):
        return float(v), int(v)
    if isinstance(v, numbers.Real):
        f = float(v)
        return f, int(f) if np.isfinite(f) else 0
    raise TypeError(f"{what} must be a number, got {v!r}")


def _value_dtype(v):
    if isinstance(v, _core.TensorBase) or hasattr(v, "_as_tensor"):
        return _t(v).dtype
    if isinstance(v, (np.ndarray, np.generic)):
        return _dt.as_dtype(np.asarray(v).dtype)
    if isinstance(v, (builtins.bool, np.bool_)):
        return _dt.bool
    if isinstance(v, numbers.Integral):
        return _dt.int32 if -2**31 <= v < 2**31 else _dt.int64
    return _dt.float32


def one_hot(indices, depth, on_value=None, off_value=None, axis=None, dtype=None, name=None):
    """tf.one_hot: indices outside [0, depth) give all-off rows."""
    indices = _t(indices, dtype_hint=_dt.int32)
    if indices._dtype_id not in _INDEX_DTYPES + (_dt.uint8._id,):
        raise TypeError(f"one_hot: indices must be uint8, int32 or int64, got {indices.dtype.name}")
    if dtype is None:
        if on_value is not None:
            dtype = _value_dtype(on_value)
        elif off_value is not None:
            dtype = _value_dtype(off_value)
        else:
            dtype = _dt.float32
    dtype = _dt.as_dtype(dtype)
    if on_value is not None and off_value is not None:
        a, b = _value_dtype(on_value), _value_dtype(off_value)
        if not isinstance(on_value, numbers.Number) and not isinstance(off_value, numbers.Number) \
                and a != b:
            raise TypeError(f"dtype of on_value ({a.name}) is different from off_value ({b.name})")
    on = _scalar_value(1 if on_value is None else on_value, "on_value")[0]
    off = _scalar_value(0 if off_value is None else off_value, "off_value")[0]
    axis = -1 if axis is None else _int(axis, "axis")
    return C["one_hot"](indices, ints=(_int(depth, "depth"), axis, dtype._id), floats=(on, off))


_RANGE_ORDER = [_dt.int32, _dt.int64, _dt.float32, _dt.float64]


def range(start, limit=None, delta=1, dtype=None, name="range"):  # noqa: A001
    """tf.range: [start, limit) in steps of delta; dtype inferred as TF does (Python ints ->
    int32, floats -> float32, the widest argument dtype wins)."""
    if limit is None:
        start, limit = 0, start
    args = (start, limit, delta)
    if dtype is None:
        kinds = [_value_dtype(a) for a in args]
        for k in kinds:
            if k not in _RANGE_ORDER:
                raise TypeError(f"range: unsupported argument dtype {k.name}")
        dtype = builtins.max(kinds, key=_RANGE_ORDER.index)
    dtype = _dt.as_dtype(dtype)
    vals = [_scalar_value(a, n) for a, n in zip(args, ("start", "limit", "delta"))]
    if not dtype.is_floating:
        ivals = [int(f) if not isinstance(a, numbers.Integral) else i
                 for (f, i), a in zip(vals, args)]
        return C["range"](ints=(dtype._id,) + tuple(ivals), floats=tuple(float(i) for i in ivals))
    return C["range"](ints=(dtype._id, 0, 0, 0), floats=tuple(f for f, _ in vals))


def linspace(start, stop, num, name=None, axis=0):
    """tf.linspace: num evenly spaced values from start to stop (both included).  Tensor
    start/stop broadcast against each other, the new axis at `axis`."""
    num = _int(num, "num")
    if num < 0:
        raise _core.InvalidArgumentError(f"linspace: Requires num >= 0: {num}")
    dt = _value_dtype(start)
    if not dt.is_floating:   # TF: int start/stop -> (stop - start) / n is a float64 truediv
        dt = _dt.float64
    sa = np.asarray(_t(start)) if not isinstance(start, numbers.Number) else np.asarray(start)
    ea = np.asarray(_t(stop)) if not isinstance(stop, numbers.Number) else np.asarray(stop)
    if sa.ndim == 0 and ea.ndim == 0:
        return C["linspace"](ints=(dt._id, num), floats=(float(sa), float(ea)))
    out = np.linspace(sa.astype(np.float64), ea.astype(np.float64), num, axis=axis)
    return convert_to_tensor(out.astype(dt.as_numpy_dtype))


def eye(num_rows, num_columns=None, batch_shape=None, dtype=_dt.float32, name=None):
    """tf.eye: identity matrices [*batch_shape, num_rows, num_columns]."""
    rows = _int(num_rows, "num_rows")
    cols = rows if num_columns is None else _int(num_columns, "num_columns")
    batch = () if batch_shape is None else _dims(batch_shape, "batch_shape")
    return C["eye"](ints=(_dt.as_dtype(dtype)._id, rows, cols) + batch)


def _fill(dims, v, dtype):
    f, i = v
    return C["fill"](ints=(dtype._id, i) + tuple(dims), floats=(f,))


def fill(dims, value, name=None):
    """tf.fill: a tensor of shape dims holding value (its dtype is value's)."""
    dims = _dims(dims, "dims")
    return _fill(dims, _scalar_value(value, "value"), _value_dtype(value))


def zeros(shape, dtype=_dt.float32, name=None):
    return _fill(_dims(shape), (0.0, 0), _dt.as_dtype(dtype))


def ones(shape, dtype=_dt.float32, name=None):
    return _fill(_dims(shape), (1.0, 1), _dt.as_dtype(dtype))


def _like(input, dtype, v):  # noqa: A002
    t = _t(input)
    dtype = t.dtype if dtype is None else _dt.as_dtype(dtype)
    return _fill(t._shape, v, dtype)


def zeros_like(input, dtype=None, name=None):  # noqa: A002
    return _like(input, dtype, (0.0, 0))


def ones_like(input, dtype=None, name=None):  # noqa: A002
    return _like(input, dtype, (1.0, 1))


__all__ = ["gather", "gather_nd", "scatter_nd", "unsorted_segment_sum", "boolean_mask", "where",
           "sort", "argsort", "top_k", "in_top_k", "one_hot", "range", "linspace", "eye", "fill",
           "zeros", "ones", "zeros_like", "ones_like"]
