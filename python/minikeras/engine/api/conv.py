"""tf.nn convolutions over the C conv family (csrc/kernels/conv.c): conv1d, conv2d,
conv2d_transpose, conv1d_transpose, depthwise_conv2d (+ its two backprops),
separable_conv2d, convolution, atrous_conv2d, and the tf.compat.v1 names
conv2d_backprop_input / conv2d_backprop_filter.

The kernels work in NHWC with HWIO filters; NCHW / NCW inputs are transposed in and
out.  Explicit paddings ([[0, 0], [pt, pb], [pl, pr], [0, 0]]) are a tf.pad followed by a
VALID convolution (a crop for the transposed ones)."""
import numpy as np

from ... import _core
from ..tensor import convert_to_tensor
from . import shape as _sh

C = _core.ops
_Err = _core.InvalidArgumentError

__all__ = ["conv1d", "conv2d", "conv2d_transpose", "conv1d_transpose", "conv_transpose",
           "depthwise_conv2d", "depthwise_conv2d_backprop_input", "depthwise_conv2d_backprop_filter",
           "separable_conv2d", "convolution", "conv2d_backprop_input", "conv2d_backprop_filter",
           "atrous_conv2d", "atrous_conv2d_transpose"]


# ---- argument handling ------------------------------------------------------------------

def _t(x, like=None):
    if isinstance(x, _core.TensorBase):
        return x
    if like is not None:
        return convert_to_tensor(x, dtype_hint=like.dtype)
    return convert_to_tensor(x)


def _seq(value, n, channel_index, name, fn):
    """TF's _get_sequence: an int or a list of 1, n or n+2 ints -> n spatial ints."""
    if value is None:
        return (1,) * n
    if isinstance(value, _core.TensorBase):
        value = np.asarray(value).tolist()
    if isinstance(value, (int, np.integer)):
        return (int(value),) * n
    value = [int(v) for v in value]
    if len(value) == 1:
        return (value[0],) * n
    if len(value) == n:
        return tuple(value)
    if len(value) == n + 2:
        spatial = [i for i in range(n + 2) if i != 0 and i != channel_index]
        if value[0] != 1 or value[channel_index] != 1:
            raise _Err(f"{fn}: {name} in the batch and depth dimensions must be 1: got {value}")
        return tuple(value[i] for i in spatial)
    raise ValueError(f"{name} should be of length 1, {n} or {n + 2} but was {len(value)}")


def _padding(padding, nspatial, channels_first, fn):
    """'SAME' / 'VALID' (as given), or explicit pairs -> tuple of (before, after) per spatial dim."""
    if isinstance(padding, (bytes, str)):
        p = padding.decode() if isinstance(padding, bytes) else padding
        if p.upper() not in ("SAME", "VALID"):
            raise ValueError(f"{fn}: padding must be 'SAME', 'VALID' or a list of explicit paddings, got {padding!r}")
        return p.upper()
    pads = [[int(a) for a in pr] for pr in (np.asarray(padding).tolist())]
    if len(pads) != nspatial + 2 or any(len(pr) != 2 for pr in pads):
        raise ValueError(f"{fn}: explicit padding must have {nspatial + 2} pairs, got {padding!r}")
    if any(v < 0 for pr in pads for v in pr):
        raise ValueError(f"{fn}: explicit paddings must be nonnegative, got {padding!r}")
    ci = 1 if channels_first else nspatial + 1
    if pads[0] != [0, 0] or pads[ci] != [0, 0]:
        raise ValueError(f"{fn}: explicit padding in the batch and depth dimensions must be 0, got {padding!r}")
    spatial = [i for i in range(nspatial + 2) if i != 0 and i != ci]
    return tuple(tuple(pads[i]) for i in spatial)


def _ints(strides, dil, pad):
    return (strides[0], strides[1], dil[0], dil[1], 1 if pad == "SAME" else 0)


def _nchw_to_nhwc(x):
    return C["transpose"](x, ints=(0, 2, 3, 1))


def _nhwc_to_nchw(x):
    return C["transpose"](x, ints=(0, 3, 1, 2))


def _check_format(data_format, allowed, fn):
    if data_format not in allowed:
        raise ValueError(f"{fn}: data_format must be one of {allowed}, got {data_format!r}")
    return data_format.startswith("NC")


def _rank_check(x, rank, what, fn):
    if x.ndim != rank:
        raise ValueError(f"{fn}: {what} must be {rank}-D, got shape {list(x._shape)}")


def _pad_spatial(x, pads):
    return _sh.pad(x, [[0, 0], list(pads[0]), list(pads[1]), [0, 0]])


def _crop_spatial(x, pads, size):
    (pt, _), (pl, _) = pads
    n, _, _, c = x._shape
    return _sh.slice(x, [0, pt, pl, 0], [n, size[0], size[1], c])


def _conv2d_nhwc(x, w, strides, dil, pad):
    if not isinstance(pad, str):
        x = _pad_spatial(x, pad)
        pad = "VALID"
    return C["conv2d"](x, w, ints=_ints(strides, dil, pad))


# ---- conv2d --------------------------------------------------------------------------------

def conv2d(input, filters, strides, padding, data_format="NHWC", dilations=None, name=None):  # noqa: A002
    """2-D convolution: input [batch, h, w, in] (or NCHW), filters [fh, fw, in / groups, out]."""
    fn = "conv2d"
    cf = _check_format(data_format, ("NHWC", "NCHW"), fn)
    x = _t(input)
    w = _t(filters, x)
    if x.ndim < 4:
        raise ValueError(f"{fn}: input must be at least 4-D, got shape {list(x._shape)}")
    _rank_check(w, 4, "filters", fn)
    ci = 1 if cf else 3
    s = _seq(strides, 2, ci, "strides", fn)
    d = _seq(dilations, 2, ci, "dilations", fn)
    pad = _padding(padding, 2, cf, fn)
    batch = None
    if x.ndim > 4:               # extra batch dimensions
        batch = tuple(x._shape[:-3])
        x = C["reshape"](x, ints=(int(np.prod(batch, dtype=np.int64)),) + tuple(x._shape[-3:]))
    if cf:
        x = _nchw_to_nhwc(x)
    y = _conv2d_nhwc(x, w, s, d, pad)
    if cf:
        y = _nhwc_to_nchw(y)
    if batch is not None:
        y = C["reshape"](y, ints=batch + tuple(y._shape[1:]))
    return y


def _input_sizes(output_shape, fn):
    if isinstance(output_shape, _core.TensorBase):
        output_shape = np.asarray(output_shape)
    if hasattr(output_shape, "as_list"):
        output_shape = output_shape.as_list()
    return [int(v) for v in np.asarray(output_shape).reshape(-1).tolist()]


def _backprop_input_nhwc(dy, w, size, strides, dil, pad):
    """dx of shape size = [N, H, W, C] (NHWC)."""
    n, h, wd, c = size
    if not isinstance(pad, str):
        (pt, pb), (pl, pr) = pad
        dxp = C["conv2d_backprop_input"](dy, w, ints=_ints(strides, dil, "VALID") + (h + pt + pb, wd + pl + pr, c))
        return _crop_spatial(dxp, pad, (h, wd))
    return C["conv2d_backprop_input"](dy, w, ints=_ints(strides, dil, pad) + (h, wd, c))


def conv2d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NHWC",  # noqa: A002
                     dilations=None, name=None):
    """The gradient of conv2d with respect to its input: filters [fh, fw, out, in]."""
    fn = "conv2d_transpose"
    cf = _check_format(data_format, ("NHWC", "NCHW"), fn)
    x = _t(input)
    w = _t(filters, x)
    _rank_check(x, 4, "input", fn)
    _rank_check(w, 4, "filters", fn)
    ci = 1 if cf else 3
    s = _seq(strides, 2, ci, "strides", fn)
    d = _seq(dilations, 2, ci, "dilations", fn)
    pad = _padding(padding, 2, cf, fn)
    size = _input_sizes(output_shape, fn)
    if len(size) != 4:
        raise ValueError(f"{fn}: output_shape must have 4 elements, got {size}")
    if cf:
        size = [size[0], size[2], size[3], size[1]]
        x = _nchw_to_nhwc(x)
    if size[0] != x._shape[0]:
        raise _Err(f"{fn}: output_shape batch {size[0]} does not match the input batch {x._shape[0]} "
                   f"(input shape {list(x._shape)})")
    if size[3] != w._shape[2]:
        raise ValueError(f"{fn}: output_shape's depth {size[3]} must equal the filter's output "
                         f"channels (filters shape {list(w._shape)})")
    y = _backprop_input_nhwc(x, w, size, s, d, pad)
    return _nhwc_to_nchw(y) if cf else y


def conv2d_backprop_input(input_sizes, filter=None, out_backprop=None, strides=None, padding=None,  # noqa: A002
                          use_cudnn_on_gpu=True, data_format="NHWC", dilations=(1, 1, 1, 1), name=None,
                          filters=None):
    """tf.compat.v1.nn.conv2d_backprop_input."""
    if filters is None:
        filters = filter
    if padding is None:
        raise ValueError("conv2d_backprop_input: padding is required")
    return conv2d_transpose(out_backprop, filters, input_sizes, strides, padding, data_format,
                            dilations, name)


def conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding,  # noqa: A002
                           use_cudnn_on_gpu=True, data_format="NHWC", dilations=(1, 1, 1, 1), name=None):
    """tf.compat.v1.nn.conv2d_backprop_filter: filter_sizes [fh, fw, in / groups, out]."""
    fn = "conv2d_backprop_filter"
    cf = _check_format(data_format, ("NHWC", "NCHW"), fn)
    x = _t(input)
    dy = _t(out_backprop, x)
    ci = 1 if cf else 3
    s = _seq(strides, 2, ci, "strides", fn)
    d = _seq(dilations, 2, ci, "dilations", fn)
    pad = _padding(padding, 2, cf, fn)
    fs = _input_sizes(filter_sizes, fn)
    if len(fs) != 4:
        raise ValueError(f"{fn}: filter_sizes must have 4 elements, got {fs}")
    if cf:
        x, dy = _nchw_to_nhwc(x), _nchw_to_nhwc(dy)
    if not isinstance(pad, str):
        x = _pad_spatial(x, pad)
        pad = "VALID"
    if dy.ndim == 4 and fs[3] != dy._shape[3]:
        raise _Err(f"{fn}: filter_sizes out depth {fs[3]} does not match out_backprop {list(dy._shape)}")
    return C["conv2d_backprop_filter"](x, dy, ints=_ints(s, d, pad) + tuple(fs[:3]))


# ---- conv1d ----------------------------------------------------------------------------------

def conv1d(input, filters, stride, padding, data_format="NWC", dilations=None, name=None):  # noqa: A002
    """1-D convolution: input [batch, width, in] (or NCW), filters [fw, in, out]."""
    fn = "conv1d"
    cf = _check_format(data_format, ("NWC", "NCW"), fn)
    x = _t(input)
    w = _t(filters, x)
    _rank_check(x, 3, "input", fn)
    _rank_check(w, 3, "filters", fn)
    ci = 1 if cf else 2
    s = _seq(stride, 1, ci, "stride", fn)[0]
    d = _seq(dilations, 1, ci, "dilations", fn)[0]
    pad = _padding(padding, 1, cf, fn)
    if cf:
        x = C["transpose"](x, ints=(0, 2, 1))
    x4 = C["reshape"](x, ints=(x._shape[0], 1) + tuple(x._shape[1:]))
    w4 = C["reshape"](w, ints=(1,) + tuple(w._shape))
    y = _conv2d_nhwc(x4, w4, (1, s), (1, d), pad if isinstance(pad, str) else ((0, 0), pad[0]))
    y = C["reshape"](y, ints=(y._shape[0], y._shape[2], y._shape[3]))
    return C["transpose"](y, ints=(0, 2, 1)) if cf else y


def conv1d_transpose(input, filters, output_shape, strides, padding="SAME", data_format="NWC",  # noqa: A002
                     dilations=None, name=None):
    """filters [fw, out, in]; output_shape [batch, width, out] (NWC)."""
    fn = "conv1d_transpose"
    cf = _check_format(data_format, ("NWC", "NCW"), fn)
    x = _t(input)
    w = _t(filters, x)
    _rank_check(x, 3, "input", fn)
    _rank_check(w, 3, "filters", fn)
    ci = 1 if cf else 2
    s = _seq(strides, 1, ci, "strides", fn)[0]
    d = _seq(dilations, 1, ci, "dilations", fn)[0]
    pad = _padding(padding, 1, cf, fn)
    size = _input_sizes(output_shape, fn)
    if len(size) != 3:
        raise ValueError(f"{fn}: output_shape must have 3 elements, got {size}")
    if cf:
        size = [size[0], size[2], size[1]]
        x = C["transpose"](x, ints=(0, 2, 1))
    x4 = C["reshape"](x, ints=(x._shape[0], 1) + tuple(x._shape[1:]))
    w4 = C["reshape"](w, ints=(1,) + tuple(w._shape))
    if size[0] != x._shape[0] or size[2] != w._shape[1]:
        raise _Err(f"{fn}: output_shape {size} does not match input {list(x._shape)} / filters "
                   f"{list(w._shape)}")
    y = _backprop_input_nhwc(x4, w4, [size[0], 1, size[1], size[2]], (1, s), (1, d),
                             pad if isinstance(pad, str) else ((0, 0), pad[0]))
    y = C["reshape"](y, ints=(y._shape[0], y._shape[2], y._shape[3]))
    return C["transpose"](y, ints=(0, 2, 1)) if cf else y


def conv_transpose(input, filters, output_shape, strides, padding="SAME", data_format=None,  # noqa: A002
                   dilations=None, name=None):
    """tf.nn.conv_transpose: 1-D or 2-D by the rank of output_shape."""
    n = len(_input_sizes(output_shape, "conv_transpose"))
    if n == 3:
        return conv1d_transpose(input, filters, output_shape, strides, padding, data_format or "NWC",
                                dilations, name)
    if n == 4:
        return conv2d_transpose(input, filters, output_shape, strides, padding, data_format or "NHWC",
                                dilations, name)
    raise ValueError(f"conv_transpose: only 1-D and 2-D transposed convolutions are supported "
                     f"(output_shape {output_shape})")


# ---- depthwise / separable -------------------------------------------------------------------

def _dw_common(fn, data_format, strides, dilations, padding):
    data_format = data_format or "NHWC"
    cf = _check_format(data_format, ("NHWC", "NCHW"), fn)
    ci = 1 if cf else 3
    s = _seq(strides, 2, ci, "strides", fn)
    d = _seq(dilations, 2, ci, "dilations", fn)
    return cf, s, d, _padding(padding, 2, cf, fn)


def _depthwise_nhwc(x, w, s, d, pad):
    if not isinstance(pad, str):
        x = _pad_spatial(x, pad)
        pad = "VALID"
    return C["depthwise_conv2d"](x, w, ints=_ints(s, d, pad))


def depthwise_conv2d(input, filter, strides, padding, data_format=None, dilations=None, name=None):  # noqa: A002
    """filter [fh, fw, in, multiplier] -> output channels in * multiplier (k*multiplier + q)."""
    fn = "depthwise_conv2d"
    cf, s, d, pad = _dw_common(fn, data_format, strides, dilations, padding)
    x = _t(input)
    w = _t(filter, x)
    _rank_check(x, 4, "input", fn)
    _rank_check(w, 4, "filter", fn)
    if cf:
        x = _nchw_to_nhwc(x)
    y = _depthwise_nhwc(x, w, s, d, pad)
    return _nhwc_to_nchw(y) if cf else y


def depthwise_conv2d_backprop_input(input_sizes, filter, out_backprop, strides, padding,  # noqa: A002
                                    data_format="NHWC", dilations=(1, 1, 1, 1), name=None):
    fn = "depthwise_conv2d_backprop_input"
    cf, s, d, pad = _dw_common(fn, data_format, strides, dilations, padding)
    dy = _t(out_backprop)
    w = _t(filter, dy)
    size = _input_sizes(input_sizes, fn)
    if len(size) != 4:
        raise ValueError(f"{fn}: input_sizes must have 4 elements, got {size}")
    if cf:
        size = [size[0], size[2], size[3], size[1]]
        dy = _nchw_to_nhwc(dy)
    n, h, wd, c = size
    if n != dy._shape[0]:
        raise _Err(f"{fn}: input_sizes batch {n} does not match out_backprop {list(dy._shape)}")
    if isinstance(pad, str):
        y = C["depthwise_conv2d_backprop_input"](dy, w, ints=_ints(s, d, pad) + (h, wd, c))
    else:
        (pt, pb), (pl, pr) = pad
        y = C["depthwise_conv2d_backprop_input"](dy, w, ints=_ints(s, d, "VALID") + (h + pt + pb, wd + pl + pr, c))
        y = _crop_spatial(y, pad, (h, wd))
    return _nhwc_to_nchw(y) if cf else y


def depthwise_conv2d_backprop_filter(input, filter_sizes, out_backprop, strides, padding,  # noqa: A002
                                     data_format="NHWC", dilations=(1, 1, 1, 1), name=None):
    fn = "depthwise_conv2d_backprop_filter"
    cf, s, d, pad = _dw_common(fn, data_format, strides, dilations, padding)
    x = _t(input)
    dy = _t(out_backprop, x)
    fs = _input_sizes(filter_sizes, fn)
    if len(fs) != 4:
        raise ValueError(f"{fn}: filter_sizes must have 4 elements, got {fs}")
    if cf:
        x, dy = _nchw_to_nhwc(x), _nchw_to_nhwc(dy)
    if not isinstance(pad, str):
        x = _pad_spatial(x, pad)
        pad = "VALID"
    if x.ndim == 4 and fs[2] != x._shape[3]:
        raise _Err(f"{fn}: filter_sizes in depth {fs[2]} does not match input {list(x._shape)}")
    return C["depthwise_conv2d_backprop_filter"](x, dy, ints=_ints(s, d, pad) + (fs[0], fs[1], fs[3]))


def separable_conv2d(input, depthwise_filter, pointwise_filter, strides, padding, data_format=None,  # noqa: A002
                     dilations=None, name=None):
    """depthwise_conv2d then a 1x1 conv2d: pointwise_filter [1, 1, in * multiplier, out]."""
    fn = "separable_conv2d"
    cf, s, d, pad = _dw_common(fn, data_format, strides, dilations, padding)
    x = _t(input)
    dw = _t(depthwise_filter, x)
    pw = _t(pointwise_filter, x)
    _rank_check(x, 4, "input", fn)
    _rank_check(dw, 4, "depthwise_filter", fn)
    _rank_check(pw, 4, "pointwise_filter", fn)
    if pw._shape[0] != 1 or pw._shape[1] != 1:
        raise ValueError(f"{fn}: pointwise_filter must be [1, 1, in * multiplier, out], got {list(pw._shape)}")
    if pw._shape[2] != dw._shape[2] * dw._shape[3]:
        raise ValueError(f"{fn}: pointwise_filter in_channels {pw._shape[2]} must equal in_channels * "
                         f"channel_multiplier = {dw._shape[2] * dw._shape[3]} (depthwise_filter "
                         f"{list(dw._shape)})")
    if cf:
        x = _nchw_to_nhwc(x)
    y = _depthwise_nhwc(x, dw, s, d, pad)
    y = C["conv2d"](y, pw, ints=(1, 1, 1, 1, 0))
    return _nhwc_to_nchw(y) if cf else y


# ---- convolution / atrous -----------------------------------------------------------------

def convolution(input, filters, strides=None, padding="VALID", data_format=None, dilations=None,  # noqa: A002
                name=None):
    """N-D convolution for N = 1 or 2 (by the filters' rank)."""
    f = _t(filters)
    if f.ndim == 3:
        return conv1d(input, filters, 1 if strides is None else strides, padding, data_format or "NWC",
                      dilations, name)
    if f.ndim == 4:
        return conv2d(input, filters, 1 if strides is None else strides, padding, data_format or "NHWC",
                      dilations, name)
    raise ValueError(f"convolution: only 1-D and 2-D convolutions are supported (filters shape "
                     f"{list(f._shape)})")


def atrous_conv2d(value, filters, rate, padding, name=None):
    return conv2d(value, filters, 1, padding, dilations=rate)


def atrous_conv2d_transpose(value, filters, output_shape, rate, padding, name=None):
    return conv2d_transpose(value, filters, output_shape, 1, padding, dilations=rate)
