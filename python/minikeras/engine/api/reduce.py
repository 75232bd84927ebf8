"""TensorFlow-style reductions (tf.math.reduce_*, argmax, cumsum, tf.nn.moments,
tf.norm, count_nonzero, tf.experimental.numpy.nanmean) over the C reduce family.

The C axis reductions take ints = (keepdims, mask of reduced axes) or
(keepdims, 0, 1) for every axis; this module normalises TF's axis arguments
(None, an int, a list/tuple/array/tensor of ints, negative axes) into that mask.
Composite functions (variance, std, norms, moments, nanmean) are built from ops,
so their gradients come from their parts."""
import numbers

import numpy as np

from ... import _core
from .. import dtypes as _dt
from ..tensor import convert_to_tensor

C = _core.ops


def _t(x, dtype=None):
    if hasattr(x, "_as_tensor") and not isinstance(x, _core.TensorBase):
        x = x._as_tensor()
    return convert_to_tensor(x, dtype=dtype)


def _s(x, v):
    """Python scalar as a 0-d tensor of x's dtype."""
    return _core.scalar(v, x._dtype_id)


def _axis_list(axis, x, op):
    """TF axis argument -> sorted list of distinct non-negative axes, or None (all)."""
    if axis is None:
        return None
    if isinstance(axis, _core.TensorBase) or hasattr(axis, "_as_tensor"):
        a = np.asarray(_t(axis))
    else:
        a = np.asarray(axis)
    if a.size and a.dtype.kind not in "iu":
        raise TypeError(f"{op}: axis must be an int or a list of ints, got {axis!r}")
    nd = x.ndim
    out = set()
    for v in a.reshape(-1).tolist():
        v = int(v)
        if not -nd <= v < nd:
            raise _core.InvalidArgumentError(
                f"{op}: Invalid reduction dimension {v} for input with {nd} dimensions "
                f"(shape {list(x._shape)})")
        out.add(v % nd)
    return sorted(out)


def _mask(axes):
    m = 0
    for a in axes:
        m |= 1 << a
    return m


def _ints(axes, keepdims):
    k = int(bool(keepdims))
    return (k, 0, 1) if axes is None else (k, _mask(axes))


def _reduce(op, input_tensor, axis, keepdims):
    x = _t(input_tensor)
    return C[op](x, ints=_ints(_axis_list(axis, x, op), keepdims))


def _all_axes(x, axes):
    return list(range(x.ndim)) if axes is None else axes


def _drop_axes(t, axes):
    """Remove size-1 axes `axes` of t (a squeeze)."""
    if not axes:
        return t
    shape = tuple(s for d, s in enumerate(t._shape) if d not in axes)
    if "reshape" in C:
        return C["reshape"](t, ints=shape)
    return C["reduce_sum"](t, ints=(0, _mask(axes)))   # summing size-1 axes squeezes them


def _cast(x, dtype):
    dtype = _dt.as_dtype(dtype)
    return x if x._dtype_id == dtype._id else C["cast"](x, ints=(dtype._id,))


# ---- the C reductions ------------------------------------------------------------

def reduce_sum(input_tensor, axis=None, keepdims=False, name=None):
    """Sum over `axis` (all axes when None). Integer sums wrap in the input dtype."""
    return _reduce("reduce_sum", input_tensor, axis, keepdims)


def reduce_mean(input_tensor, axis=None, keepdims=False, name=None):
    """Mean over `axis`; for integer tensors the truncating integer division, as TF."""
    return _reduce("reduce_mean", input_tensor, axis, keepdims)


def reduce_max(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce("reduce_max", input_tensor, axis, keepdims)


def reduce_min(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce("reduce_min", input_tensor, axis, keepdims)


def reduce_prod(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce("reduce_prod", input_tensor, axis, keepdims)


def reduce_any(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce("reduce_any", input_tensor, axis, keepdims)


def reduce_all(input_tensor, axis=None, keepdims=False, name=None):
    return _reduce("reduce_all", input_tensor, axis, keepdims)


def reduce_logsumexp(input_tensor, axis=None, keepdims=False, name=None):
    """log(sum(exp(x))) computed stably (max-shifted, one fused C op)."""
    return _reduce("reduce_logsumexp", input_tensor, axis, keepdims)


# ---- composites ---------------------------------------------------------------

def reduce_variance(input_tensor, axis=None, keepdims=False, name=None):
    x = _t(input_tensor)
    if not x.dtype.is_floating:
        raise TypeError(f"reduce_variance: input must be a floating-point tensor, got {x.dtype.name}")
    ints_k = _ints(_axis_list(axis, x, "reduce_variance"), True)
    mean = C["reduce_mean"](x, ints=ints_k)
    sq = C["squared_difference"](x, mean)
    return C["reduce_mean"](sq, ints=_ints(_axis_list(axis, x, "reduce_variance"), keepdims))


def reduce_std(input_tensor, axis=None, keepdims=False, name=None):
    x = _t(input_tensor)
    if not x.dtype.is_floating:
        raise TypeError(f"reduce_std: input must be a floating-point tensor, got {x.dtype.name}")
    return C["sqrt"](reduce_variance(x, axis, keepdims))


def reduce_euclidean_norm(input_tensor, axis=None, keepdims=False, name=None):
    """sqrt(sum(x**2)); integer inputs are computed in float64 and truncated back (as TF)."""
    x = _t(input_tensor)
    ints = _ints(_axis_list(axis, x, "reduce_euclidean_norm"), keepdims)
    if not x.dtype.is_floating:
        xf = _cast(x, _dt.float64)
        return _cast(C["sqrt"](C["reduce_sum"](C["square"](xf), ints=ints)), x.dtype)
    return C["sqrt"](C["reduce_sum"](C["square"](x), ints=ints))


def argmax(input, axis=None, output_type=_dt.int64, name=None):  # noqa: A002
    """Index of the largest value along `axis` (0 when None); ties: the first one."""
    return _arg("argmax", input, axis, output_type)


def argmin(input, axis=None, output_type=_dt.int64, name=None):  # noqa: A002
    return _arg("argmin", input, axis, output_type)


def _int_arg(v, what, op):
    if isinstance(v, _core.TensorBase) or hasattr(v, "_as_tensor"):
        v = np.asarray(_t(v))
    if isinstance(v, np.ndarray):
        if v.size != 1 or v.dtype.kind not in "iu":
            raise TypeError(f"{op}: {what} must be an integer scalar, got {v!r}")
        v = v.reshape(()).item()
    if isinstance(v, bool) or not isinstance(v, numbers.Integral):
        raise TypeError(f"{op}: {what} must be an integer, got {v!r}")
    return int(v)


def _arg(op, input, axis, output_type):  # noqa: A002
    x = _t(input)
    out = _dt.as_dtype(output_type)
    if out not in (_dt.int32, _dt.int64):
        raise TypeError(f"{op}: output_type must be int32 or int64, got {out.name}")
    ax = 0 if axis is None else _int_arg(axis, "axis", op)
    return C[op](x, ints=(ax, out._id))


def cumsum(x, axis=0, exclusive=False, reverse=False, name=None):
    x = _t(x)
    ax = _int_arg(axis, "axis", "cumsum")
    return C["cumsum"](x, ints=(ax, int(bool(exclusive)), int(bool(reverse))))


def moments(x, axes, shift=None, keepdims=False, name=None):
    """tf.nn.moments: (mean, variance) over `axes`; float16 is computed in float32."""
    x = _t(x)
    y = _cast(x, _dt.float32) if x.dtype == _dt.float16 else x
    ax = _all_axes(y, _axis_list(axes, y, "moments"))
    mean_k = C["reduce_mean"](y, ints=(1, _mask(ax)))
    var_k = C["reduce_mean"](C["squared_difference"](y, C["stop_gradient"](mean_k)), ints=(1, _mask(ax)))
    mean, var = (mean_k, var_k) if keepdims else (_drop_axes(mean_k, ax), _drop_axes(var_k, ax))
    if x.dtype == _dt.float16:
        mean, var = _cast(mean, _dt.float16), _cast(var, _dt.float16)
    return mean, var


def _is_inf_ord(o):
    return isinstance(o, numbers.Real) and not isinstance(o, bool) and o == np.inf


def norm(tensor, ord="euclidean", axis=None, keepdims=None, name=None):  # noqa: A002
    """tf.norm / tf.linalg.norm: vector norms ('euclidean', 1, 2, np.inf, any p > 0) over
    one axis (or all entries when axis is None), matrix norms ('fro'/'euclidean', 1,
    np.inf) over a pair of axes."""
    x = _t(tensor)
    keep = bool(keepdims)
    is_matrix = isinstance(axis, (tuple, list)) and len(axis) == 2
    if is_matrix:
        if not all(isinstance(a, numbers.Integral) for a in axis):
            raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}")
        a0, a1 = (_axis_list(a, x, "norm")[0] for a in axis)
        if a0 == a1:
            raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}")
        if ord in ("euclidean", "fro"):
            return C["sqrt"](C["reduce_sum"](C["square"](x), ints=(int(keep), _mask([a0, a1]))))
        if ord == 1 or _is_inf_ord(ord):
            # 1: max over columns of the column sums (sum over a0); inf: the same with a0/a1 swapped
            s_ax, m_ax = (a0, a1) if ord == 1 else (a1, a0)
            s = C["reduce_sum"](C["abs"](x), ints=(int(keep), _mask([s_ax])))
            if not keep and m_ax > s_ax:
                m_ax -= 1
            return C["reduce_max"](s, ints=(int(keep), _mask([m_ax])))
        if ord == 2:
            raise ValueError("norm: the matrix 2-norm (largest singular value) is not supported")
        raise ValueError(f"'ord' must be a supported matrix norm in ['euclidean', 'fro', 1, 2, inf], got {ord!r}")
    if axis is not None and not isinstance(axis, numbers.Integral) and not (
            isinstance(axis, (tuple, list)) and len(axis) == 1):
        raise ValueError(f"'axis' must be None, an integer, or a tuple of 2 unique integers, got {axis}")
    axes = _axis_list(axis, x, "norm")
    ints = _ints(axes, keep)
    if ord in ("euclidean", "fro") or (isinstance(ord, numbers.Real) and not isinstance(ord, bool) and ord == 2):
        return C["sqrt"](C["reduce_sum"](C["square"](x), ints=ints))
    if isinstance(ord, str) or isinstance(ord, bool) or not isinstance(ord, numbers.Real) or not ord > 0:
        raise ValueError(f"'ord' must be a supported vector norm ('euclidean', 1, 2, inf, or a "
                         f"positive real number), got {ord!r}")
    ax = C["abs"](x)
    if ord == 1:
        return C["reduce_sum"](ax, ints=ints)
    if _is_inf_ord(ord):
        return C["reduce_max"](ax, ints=ints)
    p = float(ord)
    return C["pow"](C["reduce_sum"](C["pow"](ax, _s(ax, p)), ints=ints), _s(ax, 1.0 / p))


def count_nonzero(input, axis=None, keepdims=None, dtype=_dt.int64, name=None):  # noqa: A002
    x = _t(input)
    nz = x if x.dtype == _dt.bool else C["not_equal"](x, _s(x, 0))
    n = C["reduce_sum"](C["cast"](nz, ints=(_dt.int64._id,)),
                        ints=_ints(_axis_list(axis, x, "count_nonzero"), keepdims))
    return _cast(n, dtype)


def nanmean(a, axis=None, dtype=None, keepdims=None):
    """tf.experimental.numpy.nanmean: the mean ignoring NaN (NaN where all are NaN).
    Integer and bool inputs give the float64 mean, as NumPy."""
    x = _t(a)
    if dtype is not None:
        x = _cast(x, dtype)
    if not x.dtype.is_floating:
        x = _cast(x, _dt.float64)
    ints = _ints(_axis_list(axis, x, "nanmean"), keepdims)
    isnan = C["is_nan"](x)
    keep = C["logical_not"](isnan)
    total = C["reduce_sum"](C["where"](isnan, _s(x, 0.0), x), ints=ints)
    cnt = C["reduce_sum"](C["cast"](keep, ints=(x._dtype_id,)), ints=ints)
    return total / cnt


__all__ = ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod", "reduce_any",
           "reduce_all", "reduce_logsumexp", "reduce_variance", "reduce_std",
           "reduce_euclidean_norm", "argmax", "argmin", "cumsum", "moments", "norm",
           "count_nonzero", "nanmean"]
