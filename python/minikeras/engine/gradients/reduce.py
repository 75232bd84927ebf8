"""Gradients of the reduce family (csrc/kernels/reduce.c).

Axis reductions carry ints = (keepdims, mask of reduced axes[, all-axes flag]);
the incoming dy is reshaped to the keepdims shape and broadcast back over x.
argmax/argmin/reduce_any/reduce_all are not differentiable (never taped)."""
import math

from ... import _core
from . import axes_mask, register

C = _core.ops


def _s(x, v):
    """Python scalar as a 0-d tensor of x's dtype."""
    return _core.scalar(v, x._dtype_id)


def _reduced_axes(op):
    """(axes, keepdims-shape) of an axis reduction as the C op read its ints."""
    x = op.inputs[0]
    nd = x.ndim
    ints = op.ints
    if len(ints) < 2 or (len(ints) >= 3 and ints[2]):
        axes = list(range(nd))
    else:
        axes = [d for d in range(nd) if (ints[1] >> d) & 1]
    kshape = tuple(1 if d in axes else s for d, s in enumerate(x._shape))
    return axes, kshape


def _keep(t, kshape):
    """t (reduced, keepdims or not) reshaped to the keepdims shape."""
    return t if tuple(t._shape) == kshape else C["reshape"](t, ints=kshape)


def _bcast(t, shape):
    shape = tuple(shape)
    return t if tuple(t._shape) == shape else C["broadcast_to"](t, ints=shape)


@register("reduce_sum")
def _sum(op, dy):
    x = op.inputs[0]
    _, kshape = _reduced_axes(op)
    return [_bcast(_keep(dy, kshape), x._shape)]


@register("reduce_mean")
def _mean(op, dy):
    x = op.inputs[0]
    axes, kshape = _reduced_axes(op)
    cnt = math.prod(x._shape[a] for a in axes)
    return [_bcast(_keep(dy * _s(dy, 1.0 / max(cnt, 1)), kshape), x._shape)]


def _minmax(op, dy):
    # dy goes to every position equal to the result, split equally among ties (as TF)
    x, y = op.inputs[0], op.outputs[0]
    axes, kshape = _reduced_axes(op)
    eq = C["cast"](C["equal"](x, _keep(y, kshape)), ints=(x._dtype_id,))
    cnt = C["reduce_sum"](eq, ints=(1, axes_mask(axes)))
    return [eq * (_keep(dy, kshape) / cnt)]


register("reduce_max")(_minmax)
register("reduce_min")(_minmax)


@register("reduce_prod")
def _prod(op, dy):
    # d prod / d x_i = product of the others, computed without dividing by zero:
    # no zero in the group: prod_nz / x_i; exactly one zero: prod_nz at the zero,
    # 0 elsewhere; two or more zeros: 0.
    x = op.inputs[0]
    axes, kshape = _reduced_axes(op)
    m = axes_mask(axes)
    zero = C["equal"](x, _s(x, 0.0))
    one = x * _s(x, 0.0) + _s(x, 1.0)
    safe = C["where"](zero, one, x)
    pnz = C["reduce_prod"](safe, ints=(1, m))
    nz = C["reduce_sum"](C["cast"](zero, ints=(x._dtype_id,)), ints=(1, m))
    zk = nz * _s(nz, 0.0)                      # zeros of the keepdims shape
    others_at_zero = C["where"](C["equal"](nz, _s(nz, 1.0)), pnz, zk)
    others_nonzero = C["where"](C["equal"](nz, _s(nz, 0.0)), pnz, zk) / safe
    g = C["where"](zero, others_at_zero, others_nonzero)
    return [g * _keep(dy, kshape)]


@register("reduce_logsumexp")
def _logsumexp(op, dy):
    x, y = op.inputs[0], op.outputs[0]
    _, kshape = _reduced_axes(op)
    return [_keep(dy, kshape) * C["exp"](x - _keep(y, kshape))]


@register("cumsum")
def _cumsum(op, dy):
    ints = tuple(op.ints) + (0, 0, 0)
    axis, exclusive, reverse = ints[0], ints[1], ints[2]
    return [C["cumsum"](dy, ints=(axis, exclusive, 0 if reverse else 1))]
