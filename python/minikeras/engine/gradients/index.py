"""Gradients of the index family (csrc/kernels/index.c).

The ops come in adjoint pairs, so each rule is one op and every gradient is
itself differentiable (second derivatives, traced graphs):
    gather          <-> unsorted_segment_sum   (same axis / batch_dims)
    gather_nd       <-> scatter_nd
    take_along_axis <-> scatter_along_axis     (sort, top_k)
    boolean_mask    <-> boolean_mask_grad
one_hot, range, linspace, eye, fill, where_indices, in_top_k are NONDIFF in C."""
from ... import _core
from . import register

C = _core.ops


def _norm_axis(axis, ndim):
    return axis + ndim if axis < 0 else axis


def _i(op, k):
    """int attribute k of the op (0 when the caller left it out)"""
    return op.ints[k] if k < len(op.ints) else 0


@register("gather")
def _gather(op, dy):
    params, indices = op.inputs
    axis = _norm_axis(_i(op, 0), len(params._shape))
    bd = _i(op, 1)
    n = params._shape[axis]
    return [C["unsorted_segment_sum"](dy, indices, ints=(n, axis, bd)), None]


@register("unsorted_segment_sum")
def _unsorted_segment_sum(op, dy):
    data, ids = op.inputs
    axis, bd = _i(op, 1), _i(op, 2)
    if axis < 0:
        axis += len(dy._shape)
    # negative ids were dropped: their rows get a zero gradient (zero_oob flag)
    return [C["gather"](dy, ids, ints=(axis, bd, 1)), None]


@register("gather_nd")
def _gather_nd(op, dy):
    params, indices = op.inputs
    return [C["scatter_nd"](indices, dy, ints=tuple(params._shape)), None]


@register("scatter_nd")
def _scatter_nd(op, dy):
    indices, updates = op.inputs
    return [None, C["gather_nd"](dy, indices)]


@register("take_along_axis")
def _take_along_axis(op, dy):
    x, idx = op.inputs
    axis = _norm_axis(_i(op, 0), len(x._shape))
    return [C["scatter_along_axis"](dy, idx, ints=(axis, x._shape[axis])), None]


@register("scatter_along_axis")
def _scatter_along_axis(op, dy):
    upd, idx = op.inputs
    return [C["take_along_axis"](dy, idx, ints=(_i(op, 0),)), None]


@register("boolean_mask")
def _boolean_mask(op, dy):
    tensor, mask = op.inputs
    return [C["boolean_mask_grad"](dy, mask, ints=(_i(op, 0),)), None]


@register("boolean_mask_grad")
def _boolean_mask_grad(op, dy):
    d, mask = op.inputs
    return [C["boolean_mask"](dy, mask, ints=(_i(op, 0),)), None]


@register("sort")
def _sort(op, dvalues, dindices=None):
    if dvalues is None:
        return [None]
    x = op.inputs[0]
    axis = _norm_axis(_i(op, 0), len(x._shape))
    return [C["scatter_along_axis"](dvalues, op.outputs[1], ints=(axis, x._shape[axis]))]


@register("top_k")
def _top_k(op, dvalues, dindices=None):
    if dvalues is None:
        return [None]
    x = op.inputs[0]
    axis = len(x._shape) - 1
    return [C["scatter_along_axis"](dvalues, op.outputs[1], ints=(axis, x._shape[axis]))]
