"""tf.nn: softmax family (csrc/kernels/softmax.c), cross-entropies, dropout,
l2_normalize and the activation functions of the elementwise family."""
import numbers

import numpy as np

from ... import _core
from .. import dtypes as _dt
from ..tensor import convert_to_tensor
from . import random as _random

C = _core.ops


def _t(x):
    return x if isinstance(x, _core.TensorBase) else convert_to_tensor(x)


def _s(x, v):
    return _core.scalar(v, x._dtype_id)


def _axis(axis, ndim, fn):
    if axis is None:
        axis = -1
    if isinstance(axis, _core.TensorBase):
        axis = int(np.asarray(axis))
    axis = int(axis)
    if not -max(ndim, 1) <= axis < max(ndim, 1):
        raise _core.InvalidArgumentError(
            f"{fn}: axis {axis} is out of bounds for a tensor of rank {ndim}")
    return axis % ndim if ndim else 0


# ---- softmax -----------------------------------------------------------------

def softmax(logits, axis=None, name=None):
    logits = _t(logits)
    return C["softmax"](logits, ints=(_axis(axis, logits.ndim, "softmax"),))


def log_softmax(logits, axis=None, name=None):
    logits = _t(logits)
    return C["log_softmax"](logits, ints=(_axis(axis, logits.ndim, "log_softmax"),))


def _to_rows(x, axis):
    """Move `axis` last and flatten the rest: ([N, C] tensor, batch shape)."""
    nd = x.ndim
    if axis != nd - 1:
        perm = [i for i in range(nd) if i != axis] + [axis]
        x = C["transpose"](x, ints=perm)
    batch = tuple(x._shape[:-1])
    if nd != 2:
        x = C["reshape"](x, ints=(int(np.prod(batch, dtype=np.int64)), x._shape[-1]))
    return x, batch


def _from_rows(loss, batch):
    return loss if len(batch) == 1 else C["reshape"](loss, ints=batch)


def softmax_cross_entropy_with_logits(labels, logits, axis=-1, name=None):
    """-sum(labels * log_softmax(logits), axis); labels get gradients too (TF2's v2)."""
    logits = _t(logits)
    labels = convert_to_tensor(labels, dtype_hint=logits.dtype)
    if labels._dtype_id != logits._dtype_id:
        labels = C["cast"](labels, ints=(logits._dtype_id,))
    if logits.ndim == 0:
        raise _core.InvalidArgumentError(
            "softmax_cross_entropy_with_logits: logits must have at least one dimension, got a scalar")
    if labels._shape != logits._shape:
        raise _core.InvalidArgumentError(
            f"softmax_cross_entropy_with_logits: logits and labels must be broadcastable to the same "
            f"shape: logits_size={list(logits._shape)} labels_size={list(labels._shape)}")
    ax = _axis(axis, logits.ndim, "softmax_cross_entropy_with_logits")
    x, batch = _to_rows(logits, ax)
    y, _ = _to_rows(labels, ax)
    loss, _ = C["softmax_cross_entropy"](y, x)
    return _from_rows(loss, batch)


def sparse_softmax_cross_entropy_with_logits(labels, logits, name=None):
    """-log_softmax(logits)[label] per row; labels int32/int64 with logits' shape minus
    the last axis; a label outside [0, num_classes) is an InvalidArgumentError."""
    logits = _t(logits)
    labels = convert_to_tensor(labels)
    if labels.dtype not in (_dt.int32, _dt.int64):
        raise TypeError(f"sparse_softmax_cross_entropy_with_logits: labels must be int32 or int64, "
                        f"got {labels.dtype.name}")
    if logits.ndim == 0:
        raise ValueError("sparse_softmax_cross_entropy_with_logits: logits must have rank >= 1, got a scalar")
    if labels.ndim != logits.ndim - 1:
        raise ValueError(f"Rank mismatch: Rank of labels (received {labels.ndim}) should equal rank of "
                         f"logits minus 1 (received {logits.ndim}).")
    if tuple(labels._shape) != tuple(logits._shape[:-1]):
        raise ValueError(f"Shape mismatch: The shape of labels (received {tuple(labels._shape)}) should "
                         f"equal the shape of logits except for the last dimension "
                         f"(received {tuple(logits._shape)}).")
    x, batch = _to_rows(logits, logits.ndim - 1)
    lab = labels if labels.ndim == 1 else C["reshape"](labels, ints=(x._shape[0],))
    loss, _ = C["sparse_softmax_cross_entropy"](lab, x)
    return _from_rows(loss, batch)


def sigmoid_cross_entropy_with_logits(labels=None, logits=None, name=None):
    """max(x, 0) - x * z + log(1 + exp(-|x|)), the stable form TF uses."""
    if labels is None or logits is None:
        raise ValueError("Both labels and logits must be provided.")
    logits = _t(logits)
    labels = convert_to_tensor(labels, dtype=logits.dtype) if not isinstance(labels, _core.TensorBase) \
        else labels
    if labels._shape != logits._shape:
        raise ValueError(f"logits and labels must have the same shape ({tuple(logits._shape)} vs "
                         f"{tuple(labels._shape)})")
    return C["add"](C["subtract"](C["relu"](logits), C["multiply"](logits, labels)),
                    C["log1p"](C["exp"](C["negative"](C["abs"](logits)))))


def l2_normalize(x, axis=None, epsilon=1e-12, name=None, dim=None):
    """x / sqrt(max(sum(x**2, axis), epsilon))."""
    if dim is not None:
        axis = dim
    x = _t(x)
    nd = x.ndim
    if axis is None:
        axes = list(range(nd))
    else:
        axes = [axis] if isinstance(axis, numbers.Integral) else [int(a) for a in np.asarray(axis).reshape(-1)]
        axes = [_axis(a, nd, "l2_normalize") for a in axes]
    mask = 0
    for a in axes:
        mask |= 1 << a
    sq = C["reduce_sum"](C["square"](x), ints=(1, mask))
    return C["multiply"](x, C["rsqrt"](C["maximum"](sq, _s(sq, epsilon))))


def bias_add(value, bias, data_format=None, name=None):
    """value + bias along the channel axis (last, or 1 for NC* formats)."""
    value = _t(value)
    bias = convert_to_tensor(bias, dtype=value.dtype) if not isinstance(bias, _core.TensorBase) else bias
    if bias.ndim != 1:
        raise ValueError(f"bias must be 1-D, got shape {tuple(bias._shape)}")
    if data_format is not None and data_format.startswith("NC") and value.ndim > 2:
        bias = C["reshape"](bias, ints=(bias._shape[0],) + (1,) * (value.ndim - 2))
        ch = value._shape[1]
    else:
        ch = value._shape[-1] if value.ndim else None
    if ch != bias._shape[0]:
        raise _core.InvalidArgumentError(
            f"Must provide as many biases as the channel dimension of the input tensor: "
            f"{tuple(bias._shape)} vs. {tuple(value._shape)}")
    return C["add"](value, bias)


# ---- dropout -------------------------------------------------------------------

def dropout(x, rate, noise_shape=None, seed=None, name=None):
    """Zero each element with probability `rate`, scale the rest by 1/(1-rate)."""
    is_number = isinstance(rate, numbers.Real) and not isinstance(rate, bool)
    if is_number and not 0 <= rate < 1:
        raise ValueError(f"`rate` must be a scalar tensor or a float in the range [0, 1). Received: rate={rate}")
    x = _t(x)
    if not x.dtype.is_floating:
        raise ValueError(f"x has to be a floating point tensor since it's going to be scaled. "
                         f"Received a tensor with dtype: {x.dtype.name}")
    if is_number and rate == 0:
        return x
    if noise_shape is None:
        shape = list(x._shape)
    else:
        ns = noise_shape.as_list() if hasattr(noise_shape, "as_list") else \
            (np.asarray(noise_shape).reshape(-1).tolist() if isinstance(noise_shape, _core.TensorBase)
             else list(noise_shape))
        if len(ns) != x.ndim:
            raise _core.InvalidArgumentError(
                f"dropout: noise_shape {ns} must have the rank of x {tuple(x._shape)}")
        shape = [x._shape[i] if d is None else int(d) for i, d in enumerate(ns)]
        for i, d in enumerate(shape):
            if d != x._shape[i] and d != 1:
                raise _core.InvalidArgumentError(
                    f"dropout: noise_shape {ns} is not broadcastable to x's shape {tuple(x._shape)}")
    gen_dt = _dt.float32 if x.dtype == _dt.float16 else x.dtype
    if is_number or not (isinstance(rate, _core.TensorBase) and rate._traced):
        r = float(np.asarray(rate))
        if not 0 <= r < 1:
            raise ValueError(f"`rate` must be a scalar tensor or a float in the range [0, 1). Received: rate={r}")
        mask = _random.dropout_mask(shape, r, gen_dt, seed)
    else:   # a rate known only when the graph runs
        rate = C["cast"](rate, ints=(gen_dt._id,)) if rate._dtype_id != gen_dt._id else rate
        u = _random.uniform(shape, dtype=gen_dt, seed=seed)
        keep = C["cast"](C["greater_equal"](u, rate), ints=(gen_dt._id,))
        mask = C["divide"](keep, C["subtract"](_s(rate, 1.0), rate))
    if mask._dtype_id != x._dtype_id:
        mask = C["cast"](mask, ints=(x._dtype_id,))
    return C["multiply"](x, mask)


# ---- activations (the elementwise family's kernels) ---------------------------------

def relu(features, name=None):
    return C["relu"](_t(features))


def relu6(features, name=None):
    return C["relu6"](_t(features))


def leaky_relu(features, alpha=0.2, name=None):
    return C["leaky_relu"](_t(features), floats=(float(alpha),))


def elu(features, name=None):
    return C["elu"](_t(features), floats=(1.0,))


def selu(features, name=None):
    return C["selu"](_t(features))


def gelu(features, approximate=False, name=None):
    return C["gelu_tanh" if approximate else "gelu"](_t(features))


def silu(features, beta=1.0, name=None):
    features = _t(features)
    if beta == 1.0 or beta is None:
        return C["silu"](features)
    return C["multiply"](features, C["sigmoid"](C["multiply"](features, _s(features, float(beta)))))


swish = silu


def softplus(features, name=None):
    return C["softplus"](_t(features))


def softsign(features, name=None):
    return C["softsign"](_t(features))


def sigmoid(x, name=None):
    return C["sigmoid"](_t(x))


def tanh(x, name=None):
    return C["tanh"](_t(x))


def log_sigmoid(x, name=None):
    return C["negative"](C["softplus"](C["negative"](_t(x))))


__all__ = ["softmax", "log_softmax", "softmax_cross_entropy_with_logits",
           "sparse_softmax_cross_entropy_with_logits", "sigmoid_cross_entropy_with_logits",
           "l2_normalize", "bias_add", "dropout", "relu", "relu6", "leaky_relu", "elu", "selu",
           "gelu", "silu", "swish", "softplus", "softsign", "sigmoid", "tanh", "log_sigmoid"]
