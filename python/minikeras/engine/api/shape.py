"""TensorFlow-style shape and data-movement functions over the C shape family
(csrc/kernels/shape.c).

reshape / transpose / broadcast_to / strided_slice / split return views that share
the input's storage (no copy), except for a Variable's buffer (a copy, so that the
result is a value as in TensorFlow) and for a reshape that the input's strides do not
allow as a view (the C op then copies).  expand_dims, squeeze, stack, unstack and
Tensor.__getitem__ are compositions of those.  concat, pad, tile, reverse copy."""
import builtins
import operator

import numpy as np

from ... import _core
from .. import dtypes as _dt
from ..tensor import convert_to_tensor
from .. import strings as _strings

C = _core.ops
_Err = _core.InvalidArgumentError
_slice = builtins.slice  # this module defines tf.slice
_MAXSPLIT = 31          # split takes [axis, size...] in 32 int attributes

__all__ = ["reshape", "transpose", "expand_dims", "squeeze", "concat", "stack", "unstack",
           "split", "pad", "tile", "reverse", "broadcast_to", "slice", "strided_slice",
           "repeat", "getitem", "shape", "shape_n", "rank", "size", "broadcast_static_shape",
           "broadcast_dynamic_shape"]


def _fmt(shape):
    """A shape as the C core writes it: [2,3]."""
    return "[" + ",".join(str(d) for d in shape) + "]"


def _t(x):
    """Any input -> tensor (Variables give their buffer)."""
    if isinstance(x, _core.TensorBase):
        return x
    return convert_to_tensor(x)


def _tensors(values):
    """A list of inputs -> tensors of one dtype (the first tensor's; TF's rules otherwise)."""
    if all(isinstance(v, _core.TensorBase) for v in values):
        return values
    dtype = None
    for v in values:
        if isinstance(v, _core.TensorBase):
            dtype = _dt.ALL[v._dtype_id]
            break
        if hasattr(v, "_as_tensor"):
            dtype = _dt.ALL[v._as_tensor()._dtype_id]
            break
    out = []
    for v in values:
        if isinstance(v, _core.TensorBase):
            out.append(v)
        elif hasattr(v, "_as_tensor"):
            out.append(v._as_tensor())
        else:
            out.append(convert_to_tensor(v, dtype_hint=dtype))
    return out


def _ints(v, what="shape"):
    """A shape-like (list, tuple, TensorShape, numpy array, 1-D int tensor, int) -> tuple of ints."""
    tv = type(v)
    if (tv is tuple or tv is list) and all(type(s) is int for s in v):
        return v
    if isinstance(v, (int, np.integer)):
        return (int(v),)
    if isinstance(v, _core.TensorBase) or hasattr(v, "_as_tensor"):
        v = np.asarray(_t(v))
    if isinstance(v, np.ndarray):
        if v.dtype.kind not in "iu":
            raise TypeError(f"{what} must be integers, got dtype {v.dtype}")
        return tuple(int(s) for s in v.reshape(-1))
    try:
        return tuple(operator.index(s) if not isinstance(s, _core.TensorBase) else int(s) for s in v)
    except TypeError:
        raise TypeError(f"{what} must be a list of integers, got {v!r}") from None


def _norm_axis(axis, rank, op):
    a = operator.index(axis) if not isinstance(axis, _core.TensorBase) else int(axis)
    if not -rank <= a < rank:
        raise _Err(f"{op}: axis {a} is out of bounds for a tensor of rank {rank}")
    return a + rank if a < 0 else a


def _slice_ints(shape, axis, start, stop):
    """strided_slice attributes selecting [start, stop) along one axis."""
    ints = []
    for d, n in enumerate(shape):
        ints += (start, stop, 1) if d == axis else (0, n, 1)
    return ints + [0, 0]


def _slice_axis(t, axis, start, stop):
    return C["strided_slice"](t, ints=_slice_ints(t._shape, axis, start, stop))


def _split_sizes(t, sizes, axis):
    """Views of t split along axis into pieces of the given sizes (no -1)."""
    if len(sizes) == 1:
        return [t]
    if len(sizes) <= _MAXSPLIT:
        return list(C["split"](t, ints=(axis, *sizes), nout=len(sizes)))
    out, start = [], 0
    for s in sizes:
        out.append(_slice_axis(t, axis, start, start + s))
        start += s
    return out


def _zeros(shape, dtype_id):
    """Zeros of `shape` as a broadcast view of one scalar (no memory)."""
    return C["broadcast_to"](_core.scalar(0, dtype_id), ints=tuple(shape))


# ---- views -----------------------------------------------------------------------

def reshape(tensor, shape, name=None):
    """tf.reshape: one entry of `shape` may be -1."""
    if _strings.is_string_like(tensor): return _strings.reshape(tensor, shape)  # noqa: E701
    return C["reshape"](_t(tensor), ints=_ints(shape))


def transpose(a, perm=None, conjugate=False, name="transpose"):
    t = _t(a)
    perm = tuple(range(t.ndim - 1, -1, -1)) if perm is None else _ints(perm, "perm")
    return C["transpose"](t, ints=perm)


def expand_dims(input, axis, name=None):  # noqa: A002
    if _strings.is_string_like(input): return _strings.expand_dims(input, axis)  # noqa: E701
    t = _t(input)
    if not isinstance(axis, (int, np.integer)):
        a = _ints(axis, "axis")
        if len(a) != 1:
            raise _Err(f"expand_dims: 'dim' must be a tensor with a single value, got {axis!r}")
        axis = a[0]
    r = t.ndim
    a = int(axis)
    if not -r - 1 <= a <= r:
        raise _Err(f"expand_dims: Tried to expand dim index {a} for tensor with {r} dimensions "
                   f"(shape {_fmt(t._shape)})")
    if a < 0:
        a += r + 1
    s = t._shape
    return C["reshape"](t, ints=s[:a] + (1,) + s[a:])


def squeeze(input, axis=None, name=None):  # noqa: A002
    if _strings.is_string_like(input): return _strings.squeeze(input, axis)  # noqa: E701
    t = _t(input)
    s = t._shape
    if axis is None:
        return C["reshape"](t, ints=tuple(d for d in s if d != 1))
    axes = {_norm_axis(a, t.ndim, "squeeze") for a in _ints(axis, "axis")}
    for a in sorted(axes):
        if s[a] != 1:
            raise _Err(f"squeeze: Can not squeeze dim[{a}], expected a dimension of 1, got {s[a]} "
                       f"(input shape {_fmt(s)})")
    return C["reshape"](t, ints=tuple(d for i, d in enumerate(s) if i not in axes))


def broadcast_to(input, shape, name=None):  # noqa: A002
    return C["broadcast_to"](_t(input), ints=_ints(shape))


def split(value, num_or_size_splits, axis=0, num=None, name="split"):
    """tf.split: an int (equal parts) or a list of sizes (one may be -1). Returns a list."""
    t = _t(value)
    if t.ndim == 0:
        raise _Err("split: cannot split a scalar (shape [])")
    ax = _norm_axis(axis, t.ndim, "split")
    n = t._shape[ax]
    if isinstance(num_or_size_splits, (int, np.integer)) or (
            isinstance(num_or_size_splits, _core.TensorBase) and num_or_size_splits.ndim == 0):
        k = int(num_or_size_splits)
        if k <= 0:
            raise _Err(f"split: number of ways to split should be > 0, but got {k}")
        if n % k:
            raise _Err(f"split: Number of ways to split should evenly divide the split dimension, "
                       f"but got split_dim {ax} (size = {n}) and num_split {k} "
                       f"(input shape {_fmt(t._shape)})")
        return list(C["split"](t, ints=(ax,), nout=k))
    sizes = list(_ints(num_or_size_splits, "size_splits"))
    if num is not None and num != len(sizes):
        raise ValueError(f"split: num={num} does not match {len(sizes)} size_splits")
    if sizes.count(-1) > 1:
        raise _Err("split: There can only be one -1 in the input sizes")
    if -1 in sizes:
        rest = n - sum(s for s in sizes if s != -1)
        if rest < 0:
            raise _Err(f"split: sizes {sizes} exceed the dimension {n} along axis {ax} "
                       f"(input shape {_fmt(t._shape)})")
        sizes[sizes.index(-1)] = rest
    if any(s < 0 for s in sizes) or sum(sizes) != n:
        raise _Err(f"split: Determined shape must either match input shape along split_dim exactly "
                   f"if fully specified, or be less than the size of the input along split_dim if "
                   f"not fully specified. Got sizes {sizes} for dimension {n} along axis {ax} "
                   f"(input shape {_fmt(t._shape)})")
    if not sizes:
        return []
    return _split_sizes(t, sizes, ax)


def unstack(value, num=None, axis=0, name="unstack"):
    if _strings.is_string_like(value): return _strings.unstack(value, num, axis)  # noqa: E701
    t = _t(value)
    if t.ndim == 0:
        raise ValueError("unstack: Input shape must have rank >= 1, got a scalar")
    ax = _norm_axis(axis, t.ndim, "unstack")
    n = t._shape[ax]
    if num is not None and num != n:
        raise ValueError(f"unstack: Cannot infer argument `num` from shape {_fmt(t._shape)}: "
                         f"num={num} but dimension {ax} has {n}")
    if n == 0:
        return []
    out_shape = t._shape[:ax] + t._shape[ax + 1:]
    parts = [t] if n == 1 else list(C["split"](t, ints=(ax,), nout=n))
    return [C["reshape"](p, ints=out_shape) for p in parts]


# ---- slicing ---------------------------------------------------------------------

_KEY_ERR = ("Only integers, slices (`:`), ellipsis (`...`), tf.newaxis (`None`) and scalar "
            "tf.int32/tf.int64 tensors are valid indices, got {!r}")


def _index_item(k):
    """One key item -> int, slice, Ellipsis or None (TypeError for anything else)."""
    if k is None or k is Ellipsis or isinstance(k, _slice):
        return k
    if isinstance(k, (bool, np.bool_)):
        raise TypeError(_KEY_ERR.format(k))
    if isinstance(k, int):
        return k
    if isinstance(k, _core.TensorBase) or hasattr(k, "_as_tensor"):
        tk = _t(k)
        if tk.ndim == 0 and _dt.ALL[tk._dtype_id].is_integer:
            return int(tk)
        raise TypeError(_KEY_ERR.format(k) + " (boolean masks and integer-tensor indices are "
                        "not supported by __getitem__: use tf.boolean_mask / tf.gather)")
    if isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype.kind in "iu":
        return int(k)
    if isinstance(k, (list, np.ndarray)):
        raise TypeError(_KEY_ERR.format(k) + " (lists and arrays as indices are not supported: "
                        "use tf.gather)")
    try:
        return operator.index(k)
    except TypeError:
        raise TypeError(_KEY_ERR.format(k)) from None


def _key_ints(shape, items):
    """Key items (int, slice, Ellipsis, None, or int-like) -> strided_slice attributes:
    begin, end, stride per input dimension (as slice.indices), new-axis and shrink masks."""
    rank = len(shape)
    n_used = 0
    has_ell = False
    for k in items:
        if k is None:
            continue
        if k is Ellipsis:
            if has_ell:
                raise ValueError("an index can only have a single ellipsis ('...')")
            has_ell = True
        else:
            n_used += 1
    if n_used > rank:
        raise _Err(f"strided_slice: Index out of range using input dim {rank}; input has only "
                   f"{rank} dims (shape {_fmt(shape)}, key {tuple(items)!r})")
    ints = []
    newm = shrink = 0
    d = e = 0
    for k in items:
        tk = type(k)
        if tk is _slice:
            ints += k.indices(shape[d])
        elif k is None:
            newm |= 1 << e
            e += 1
            continue
        elif k is Ellipsis:
            for _ in range(rank - n_used):
                ints += (0, shape[d], 1)
                d += 1
                e += 1
            continue
        else:
            if tk is not int:
                k = _index_item(k)          # int-likes -> int; anything else: TypeError
            n = shape[d]
            i = k + n if k < 0 else k
            if not 0 <= i < n:
                raise _Err(f"strided_slice: slice index {k} of dimension {d} out of bounds "
                           f"(input shape {_fmt(shape)})")
            ints += (i, i + 1, 1)
            shrink |= 1 << d
        d += 1
        e += 1
    while d < rank:
        ints += (0, shape[d], 1)
        d += 1
    ints.append(newm)
    ints.append(shrink)
    return ints


def getitem(tensor, key):
    """Tensor.__getitem__: ints (negative too), slices with any step, Ellipsis, None
    (tf.newaxis) and tuples of them, as numpy basic indexing.  A view.  A scalar integer
    tensor whose value is only known at replay (inside a traced graph) becomes a gather."""
    t = tensor if isinstance(tensor, _core.TensorBase) else _t(tensor)
    items = key if type(key) is tuple else (key,)
    for p, k in enumerate(items):
        if isinstance(k, _core.TensorBase) and k._traced and k.ndim == 0 and \
                _dt.ALL[k._dtype_id].is_integer:
            return _getitem_traced(t, items, p)
    return C["strided_slice"](t, ints=_key_ints(t._shape, items))


def _getitem_traced(t, items, p):
    """t[items] where items[p] is a traced scalar index: slice what comes before, gather
    along that axis (negative indices wrap, out-of-range ones fail at replay), then slice
    what comes after."""
    if any(x is None or x is Ellipsis for x in items[:p]):
        raise TypeError("indexing with a traced tensor after Ellipsis or None is not supported: "
                        "use tf.gather")
    head = getitem(t, items[:p] + (_slice(None),)) if p else t
    axis = sum(1 for x in items[:p] if isinstance(x, _slice))
    k = items[p]
    n = _core.scalar(head._shape[axis], k._dtype_id)
    k = C["where"](C["less"](k, _core.scalar(0, k._dtype_id)), C["add"](k, n), k)
    out = C["gather"](head, k, ints=(axis, 0))
    rest = items[p + 1:]
    return getitem(out, (_slice(None),) * axis + rest) if rest else out


def strided_slice(input_, begin, end, strides=None, begin_mask=0, end_mask=0, ellipsis_mask=0,
                  new_axis_mask=0, shrink_axis_mask=0, var=None, name=None):
    """tf.strided_slice with TensorFlow's mask semantics."""
    t = _t(input_)
    begin = _ints(begin, "begin")
    end = _ints(end, "end")
    strides = (1,) * len(begin) if strides is None else _ints(strides, "strides")
    if not len(begin) == len(end) == len(strides):
        raise _Err(f"strided_slice: Expected begin, end, and strides to be 1D equal size tensors, "
                   f"but got shapes [{len(begin)}], [{len(end)}], and [{len(strides)}] instead.")
    items = []
    for i in range(len(begin)):
        bit = 1 << i
        if ellipsis_mask & bit:
            items.append(Ellipsis)
        elif new_axis_mask & bit:
            items.append(None)
        elif shrink_axis_mask & bit:
            items.append(begin[i])
        else:
            if strides[i] == 0:
                raise ValueError("strided_slice: strides[%d] must be non-zero" % i)
            items.append(_slice(None if begin_mask & bit else begin[i],
                               None if end_mask & bit else end[i], strides[i]))
    return C["strided_slice"](t, ints=_key_ints(t._shape, items))


def slice(input_, begin, size, name=None):  # noqa: A001
    """tf.slice: size[i] == -1 takes the rest of dimension i."""
    t = _t(input_)
    begin, size = _ints(begin, "begin"), _ints(size, "size")
    s = t._shape
    if len(begin) != len(s) or len(size) != len(s):
        raise _Err(f"slice: Expected begin and size arguments to be 1-D tensors of size {len(s)}, "
                   f"but got shapes [{len(begin)}] and [{len(size)}] instead "
                   f"(input shape {_fmt(s)})")
    ints = []
    for i, (b, z, n) in enumerate(zip(begin, size, s)):
        if z == -1:
            z = n - b
        if not (0 <= b <= n and 0 <= z <= n - b):
            raise _Err(f"slice: Expected begin[{i}] in [0, {n}] and size[{i}] in [0, {n - b}], "
                       f"but got begin {b} and size {size[i]} (input shape {_fmt(s)})")
        ints += (b, b + z, 1)
    return C["strided_slice"](t, ints=ints + [0, 0])


# ---- copies ----------------------------------------------------------------------

def concat(values, axis, name="concat"):
    if _strings.is_string_like(values): return _strings.concat(values, axis)  # noqa: E701
    if isinstance(values, _core.TensorBase):
        values = [values]
    ts = _tensors(values)
    if not ts:
        raise ValueError("concat: expects at least one input")
    if len(ts) == 1:
        t = ts[0]
        if t.ndim == 0:
            raise _Err("concat: Can't concatenate scalars (use tf.stack instead)")
        _norm_axis(axis, t.ndim, "concat")
        return t
    return C["concat"](*ts, ints=(int(axis),))


def check_stack(shapes, axis):
    """TF's checks of tf.stack's inputs (also for string tensors): the axis in [0, rank]."""
    if not shapes:
        raise ValueError("stack: expects at least one input")
    s0 = tuple(shapes[0])
    for i, sh in enumerate(shapes[1:], 1):
        if tuple(sh) != s0:
            raise _Err(f"stack: Shapes of all inputs must match: values[0].shape = {_fmt(s0)} != "
                       f"values[{i}].shape = {_fmt(sh)}")
    r = len(s0)
    a = int(axis)
    if not -r - 1 <= a <= r:
        raise _Err(f"stack: axis {a} not in [{-r - 1}, {r}] for inputs of shape {_fmt(s0)}")
    return a + r + 1 if a < 0 else a


def stack(values, axis=0, name="stack"):
    if _strings.is_string_like(values): return _strings.stack(values, axis)  # noqa: E701
    ts = _tensors(values)
    a = check_stack([x._shape for x in ts], axis)
    s0 = ts[0]._shape
    new = s0[:a] + (1,) + s0[a:]
    ex = [C["reshape"](x, ints=new) for x in ts]
    if len(ex) == 1:
        return ex[0]
    return C["concat"](*ex, ints=(a,))


_PAD_MODES = {"CONSTANT": 0, "REFLECT": 1, "SYMMETRIC": 2}


def pad(tensor, paddings, mode="CONSTANT", constant_values=0, name=None):
    t = _t(tensor)
    m = _PAD_MODES.get(str(mode).upper())
    if m is None:
        raise ValueError(f'Value of argument `mode` expected to be one of "CONSTANT", "REFLECT", '
                         f'or "SYMMETRIC". Received: mode={mode}')
    p = np.asarray(_t(paddings) if isinstance(paddings, _core.TensorBase) else paddings)
    if p.shape != (t.ndim, 2) and not (t.ndim == 0 and p.size == 0):
        raise _Err(f"pad: paddings must be a matrix with 2 columns and one row per dimension of "
                   f"the input: got paddings of shape {_fmt(p.shape)} for input shape {_fmt(t._shape)}")
    if p.size and p.dtype.kind not in "iu":
        raise TypeError(f"pad: paddings must be integers, got dtype {p.dtype}")
    cv = constant_values
    if isinstance(cv, _core.TensorBase) or hasattr(cv, "_as_tensor"):
        cv = np.asarray(_t(cv)).reshape(())
    return C["pad"](t, ints=(m, *(int(v) for v in p.reshape(-1))), floats=(float(cv),))


def tile(input, multiples, name=None):  # noqa: A002
    return C["tile"](_t(input), ints=_ints(multiples, "multiples"))


def reverse(tensor, axis, name=None):
    return C["reverse"](_t(tensor), ints=_ints(axis, "axis"))


def repeat(input, repeats, axis=None, name=None):  # noqa: A002
    """tf.repeat: each element repeated `repeats` times along `axis` (flattened when None)."""
    t = _t(input)
    if axis is None:
        t = C["reshape"](t, ints=(-1,))
        axis = 0
    if t.ndim == 0:
        raise _Err("repeat: input must have rank >= 1 when axis is given, got a scalar")
    ax = _norm_axis(axis, t.ndim, "repeat")
    r = np.asarray(_t(repeats) if isinstance(repeats, _core.TensorBase) else repeats)
    if r.dtype.kind not in "iu":
        raise TypeError(f"repeat: repeats must be integers, got {r!r}")
    if r.ndim > 1:
        raise _Err(f"repeat: repeats must be a scalar or a 1-D tensor, got shape {_fmt(r.shape)}")
    s = t._shape
    n = s[ax]
    if r.ndim == 1 and r.size == 1:
        r = r.reshape(())
    if r.ndim == 1 and r.size and (r == r[0]).all():
        r = r[0]
    if (r < 0).any():
        raise _Err(f"repeat: repeats must be non-negative, got {r.tolist()}")
    if r.ndim == 0:
        k = int(r)
        b = C["broadcast_to"](C["reshape"](t, ints=s[:ax + 1] + (1,) + s[ax + 1:]),
                              ints=s[:ax + 1] + (k,) + s[ax + 1:])
        return C["reshape"](b, ints=s[:ax] + (n * k,) + s[ax + 1:])
    if r.size != n:
        raise _Err(f"repeat: repeats has {r.size} entries but dimension {ax} of the input has {n} "
                   f"(input shape {_fmt(s)})")
    if n == 0:
        return t
    parts = [t] if n == 1 else list(C["split"](t, ints=(ax,), nout=n))
    pieces = [C["broadcast_to"](p, ints=s[:ax] + (int(k),) + s[ax + 1:])
              for p, k in zip(parts, r.tolist())]
    return pieces[0] if len(pieces) == 1 else C["concat"](*pieces, ints=(ax,))


# ---- shape queries ---------------------------------------------------------------

def shape(input, out_type=_dt.int32, name=None):  # noqa: A002
    """tf.shape: the shape as a 1-D int32 (or out_type) tensor."""
    t = _t(input)
    return convert_to_tensor(np.array(t._shape, dtype=_dt.as_dtype(out_type).as_numpy_dtype))


def shape_n(input, out_type=_dt.int32, name=None):  # noqa: A002
    return [shape(x, out_type) for x in input]


def rank(input, name=None):  # noqa: A002
    return _core.scalar(_t(input).ndim, _dt.int32._id)


def size(input, out_type=_dt.int32, name=None):  # noqa: A002
    return _core.scalar(_t(input)._size, _dt.as_dtype(out_type)._id)


def broadcast_static_shape(shape_x, shape_y):
    from ..tensor import TensorShape
    try:
        return TensorShape(np.broadcast_shapes(tuple(shape_x), tuple(shape_y)))
    except ValueError:
        raise ValueError(f"Incompatible shapes for broadcasting: {tuple(shape_x)} and "
                         f"{tuple(shape_y)}") from None


def broadcast_dynamic_shape(shape_x, shape_y):
    a, b = _ints(shape_x), _ints(shape_y)
    try:
        s = np.broadcast_shapes(a, b)
    except ValueError:
        raise _Err(f"broadcast_dynamic_shape: Incompatible shapes: {_fmt(a)} vs. {_fmt(b)}") from None
    return convert_to_tensor(np.array(s, dtype=np.int32))
