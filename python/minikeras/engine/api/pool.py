"""tf.nn pooling (csrc/kernels/pool.c) and batch normalisation (csrc/kernels/norm.c):
max_pool2d, avg_pool2d, max_pool1d, avg_pool1d, max_pool, avg_pool, pool,
fused_batch_norm, batch_normalization.

The C ops work on NHWC; channels-first formats are transposed in and out, 1-D pooling
is the 2-D op on [N, 1, W, C]."""
import numbers

import numpy as np

from ... import _core
from .. import dtypes as _dt
from ..tensor import convert_to_tensor

C = _core.ops
_Err = _core.InvalidArgumentError


def _t(x):
    return x if isinstance(x, _core.TensorBase) else convert_to_tensor(x)


def _s(x, v):
    return _core.scalar(float(v), x._dtype_id)


def _fmt(shape):
    return "[" + ",".join(str(d) for d in shape) + "]"


def _seq(value, n, channel_index, name):
    """TF's _get_sequence: an int or a list of 1, n or n + 2 ints -> n + 2 ints."""
    if value is None:
        return [1] * (n + 2)
    if isinstance(value, _core.TensorBase):
        value = np.asarray(value).tolist()
    if isinstance(value, (numbers.Integral, np.integer)):
        value = [int(value)]
    value = [int(v) for v in value]
    if len(value) == n + 2:
        return value
    if len(value) == 1:
        value = value * n
    elif len(value) != n:
        raise ValueError(f"{name} should be of length 1, {n} or {n + 2} but was {len(value)}")
    full = [1] * (n + 2)
    for i, v in enumerate(value):
        full[i + (2 if channel_index == 1 else 1)] = v
    return full


def _padding(padding, fn):
    if isinstance(padding, bytes):
        padding = padding.decode()
    if not isinstance(padding, str) or padding.upper() not in ("VALID", "SAME"):
        raise ValueError(f"{fn}: padding must be 'VALID' or 'SAME' (explicit paddings are not "
                         f"supported), got {padding!r}")
    return 1 if padding.upper() == "SAME" else 0


def _pool2d(kind, x, ksize, strides, padding, data_format, fn):
    x = _t(x)
    if x.ndim != 4:
        raise ValueError(f"{fn}: input must be 4-dimensional, got shape {_fmt(x._shape)}")
    if data_format not in ("NHWC", "NCHW"):
        raise ValueError(f"{fn}: data_format must be 'NHWC' or 'NCHW', got {data_format!r}")
    ci = 1 if data_format == "NCHW" else 3
    k = _seq(ksize, 2, ci, "ksize")
    s = _seq(strides, 2, ci, "strides")
    sp = (2, 3) if ci == 1 else (1, 2)
    for name, v in (("ksize", k), ("strides", s)):
        if v[0] != 1 or v[ci] != 1:
            raise _Err(f"{fn}: pooling over the batch or depth dimension is not supported: "
                       f"{name} {v}")
    pad = _padding(padding, fn)
    if x.dtype not in (_dt.float16, _dt.float32, _dt.float64):
        raise TypeError(f"{fn}: input must be float16, float32 or float64, got {x.dtype.name}")
    if ci == 1:
        x = C["transpose"](x, ints=(0, 2, 3, 1))
    y = C[kind](x, ints=(k[sp[0]], k[sp[1]], s[sp[0]], s[sp[1]], pad))
    if ci == 1:
        y = C["transpose"](y, ints=(0, 3, 1, 2))
    return y


def _pool1d(kind, x, ksize, strides, padding, data_format, fn):
    x = _t(x)
    if x.ndim != 3:
        raise ValueError(f"{fn}: input must be 3-dimensional, got shape {_fmt(x._shape)}")
    if data_format not in ("NWC", "NCW", "NHWC", "NCHW"):
        raise ValueError(f"{fn}: data_format must be 'NWC' or 'NCW', got {data_format!r}")
    cf = data_format in ("NCW", "NCHW")
    k = _seq(ksize, 1, 1 if cf else 2, "ksize")
    s = _seq(strides, 1, 1 if cf else 2, "strides")
    n, a, b = x._shape
    if cf:   # [N, C, W] -> [N, C, 1, W]
        x4 = C["reshape"](x, ints=(n, a, 1, b))
        k4, s4, fmt = [1, 1, 1, k[2]], [1, 1, 1, s[2]], "NCHW"
    else:    # [N, W, C] -> [N, 1, W, C]
        x4 = C["reshape"](x, ints=(n, 1, a, b))
        k4, s4, fmt = [1, 1, k[1], 1], [1, 1, s[1], 1], "NHWC"
    y = _pool2d(kind, x4, k4, s4, padding, fmt, fn)
    sh = y._shape
    return C["reshape"](y, ints=(sh[0], sh[1], sh[3]) if cf else (sh[0], sh[2], sh[3]))


def max_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    """Max pooling over [N, H, W, C] (or NCHW); padding 'VALID' or 'SAME'."""
    return _pool2d("max_pool2d", input, ksize, strides, padding, data_format, "MaxPool")


def avg_pool2d(input, ksize, strides, padding, data_format="NHWC", name=None):  # noqa: A002
    """Average pooling; with 'SAME' each window averages only its elements inside the input."""
    return _pool2d("avg_pool2d", input, ksize, strides, padding, data_format, "AvgPool")


def max_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    return _pool1d("max_pool2d", input, ksize, strides, padding, data_format, "MaxPool")


def avg_pool1d(input, ksize, strides, padding, data_format="NWC", name=None):  # noqa: A002
    return _pool1d("avg_pool2d", input, ksize, strides, padding, data_format, "AvgPool")


def _nd(kind, input, ksize, strides, padding, data_format, fn):  # noqa: A002
    x = _t(input)
    r = x.ndim
    if r == 3:
        return _pool1d(kind, x, ksize, strides, padding, data_format or "NWC", fn)
    if r == 4:
        return _pool2d(kind, x, ksize, strides, padding, data_format or "NHWC", fn)
    if r == 5:
        raise NotImplementedError(f"{fn}: 3-D pooling is not supported in minikeras")
    raise ValueError(f"{fn}: Input tensor must be of rank 3, 4 or 5 but was {r}.")


def max_pool(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """N-D max pooling: rank 3 (NWC/NCW) or rank 4 (NHWC/NCHW) input."""
    return _nd("max_pool2d", input, ksize, strides, padding, data_format, "MaxPool")


def avg_pool(input, ksize, strides, padding, data_format=None, name=None):  # noqa: A002
    """N-D average pooling: rank 3 (NWC/NCW) or rank 4 (NHWC/NCHW) input."""
    return _nd("avg_pool2d", input, ksize, strides, padding, data_format, "AvgPool")


def pool(input, window_shape, pooling_type, strides=None, padding="VALID", data_format=None,  # noqa: A002
         dilations=None, name=None):
    """tf.nn.pool for 1-D and 2-D windows; pooling_type 'MAX' or 'AVG'; dilations of 1."""
    x = _t(input)
    window_shape = [int(w) for w in (window_shape if isinstance(window_shape, (list, tuple))
                                     else [window_shape])]
    n = len(window_shape)
    if n not in (1, 2):
        raise NotImplementedError("tf.nn.pool: only 1-D and 2-D windows are supported")
    if x.ndim != n + 2:
        raise ValueError(f"tf.nn.pool: input must have rank {n + 2}, got shape {_fmt(x._shape)}")
    if pooling_type not in ("MAX", "AVG"):
        raise ValueError(f"tf.nn.pool: pooling_type must be 'MAX' or 'AVG', got {pooling_type!r}")
    strides = [1] * n if strides is None else list(strides)
    if dilations is not None and any(int(d) != 1 for d in dilations):
        raise NotImplementedError("tf.nn.pool: dilation rates other than 1 are not supported")
    if len(strides) != n:
        raise ValueError("tf.nn.pool: len(strides) must equal len(window_shape)")
    kind = "max_pool2d" if pooling_type == "MAX" else "avg_pool2d"
    fn = "MaxPool" if pooling_type == "MAX" else "AvgPool"
    if n == 1:
        return _pool1d(kind, x, window_shape, strides, padding, data_format or "NWC", fn)
    return _pool2d(kind, x, window_shape, strides, padding, data_format or "NHWC", fn)


# ---- batch normalisation -----------------------------------------------------------

_FUSED_MIN_EPSILON = 1.001e-5


def fused_batch_norm(x, scale, offset, mean=None, variance=None, epsilon=0.001,
                     data_format="NHWC", is_training=True, name=None,
                     exponential_avg_factor=1.0):
    """Batch normalisation in one op over the channel axis of a 4-D (or 5-D) tensor.
    Returns (y, mean, variance): in training the batch mean and the unbiased batch
    variance (blended with the given ones when exponential_avg_factor != 1), in
    inference the given mean and variance.  epsilon is raised to at least 1.001e-5."""
    x = _t(x)
    if x.ndim not in (4, 5):
        raise ValueError(f"fused_batch_norm: x must be 4-D or 5-D, got shape {_fmt(x._shape)}")
    if data_format not in ("NHWC", "NCHW", "NDHWC", "NCDHW"):
        raise ValueError(f"fused_batch_norm: unknown data_format {data_format!r}")
    cf = data_format in ("NCHW", "NCDHW")
    in_dtype = x._dtype_id
    if x.dtype not in (_dt.float16, _dt.float32, _dt.float64):
        raise TypeError(f"fused_batch_norm: x must be float16, float32 or float64, got {x.dtype.name}")
    xc = C["cast"](x, ints=(_dt.float32._id,)) if x.dtype == _dt.float16 else x
    pdt = xc._dtype_id

    def _p(v, what):
        if isinstance(v, (_core.TensorBase, np.ndarray)):
            v = _t(v)
        else:   # Python lists / scalars take x's dtype
            v = convert_to_tensor(np.asarray(v, dtype=_dt.ALL[pdt].name))
        if v._dtype_id != pdt:
            raise TypeError(f"fused_batch_norm: {what} must be {_dt.ALL[pdt].name}, got {v.dtype.name}")
        return v

    scale, offset = _p(scale, "scale"), _p(offset, "offset")
    epsilon = epsilon if epsilon > _FUSED_MIN_EPSILON else _FUSED_MIN_EPSILON
    nd = xc.ndim
    if cf:
        xc = C["transpose"](xc, ints=(0,) + tuple(range(2, nd)) + (1,))
    if is_training:
        y, bmean, bvar, _, _ = C["fused_batch_norm"](xc, scale, offset, floats=(float(epsilon),))
        f = float(exponential_avg_factor)
        if f != 1.0:
            if mean is None or variance is None:
                raise ValueError("fused_batch_norm: mean and variance are needed when "
                                 "exponential_avg_factor != 1")
            mean, variance = _p(mean, "mean"), _p(variance, "variance")
            bmean = C["add"](C["multiply"](_s(mean, 1.0 - f), mean), C["multiply"](_s(bmean, f), bmean))
            bvar = C["add"](C["multiply"](_s(variance, 1.0 - f), variance), C["multiply"](_s(bvar, f), bvar))
        out_mean, out_var = bmean, bvar
    else:
        if mean is None or variance is None:
            raise ValueError("Both 'mean' and 'variance' must be a 1-D tensor when is_training is "
                             "False.")
        mean, variance = _p(mean, "mean"), _p(variance, "variance")
        y = C["fused_batch_norm_inference"](xc, scale, offset, mean, variance,
                                            floats=(float(epsilon),))
        out_mean, out_var = mean, variance
    if cf:
        y = C["transpose"](y, ints=(0, nd - 1) + tuple(range(1, nd - 1)))
    if y._dtype_id != in_dtype:
        y = C["cast"](y, ints=(in_dtype,))
    return y, out_mean, out_var


def batch_normalization(x, mean, variance, offset, scale, variance_epsilon, name=None):
    """(x - mean) * rsqrt(variance + epsilon) * scale + offset (all broadcast); offset and
    scale may be None."""
    x = _t(x)

    def _c(v):
        if v is None:
            return None
        v = v if isinstance(v, _core.TensorBase) else convert_to_tensor(v, dtype_hint=x.dtype)
        if v._dtype_id != x._dtype_id:
            raise _Err(f"batch_normalization: cannot compute with {v.dtype.name} and "
                       f"{x.dtype.name} tensors")
        return v

    mean, variance, offset, scale = _c(mean), _c(variance), _c(offset), _c(scale)
    inv = C["rsqrt"](C["add"](variance, _s(variance, variance_epsilon)))
    if scale is not None:
        inv = C["multiply"](inv, scale)
    shift = C["negative"](C["multiply"](mean, inv)) if offset is None else \
        C["subtract"](offset, C["multiply"](mean, inv))
    return C["add"](C["multiply"](x, inv), shift)


__all__ = ["max_pool2d", "avg_pool2d", "max_pool1d", "avg_pool1d", "max_pool", "avg_pool", "pool",
           "fused_batch_norm", "batch_normalization"]
