"""Gradients of the pool family (csrc/kernels/pool.c).

max_pool2d's gradient is the fused max_pool2d_grad op (dy to each window's first
maximum); its own derivative with respect to dy reads g at those maxima
(max_pool2d_grad_grad), and is zero with respect to x (piecewise constant).
avg_pool2d and avg_pool2d_grad are linear and adjoint to each other."""
from ... import _core
from . import register

C = _core.ops


def _attrs(op):
    return tuple(op.ints[:5])


@register("max_pool2d")
def _max_pool(op, dy):
    return [C["max_pool2d_grad"](op.inputs[0], dy, ints=_attrs(op))]


@register("max_pool2d_grad")
def _max_pool_grad(op, g):
    x = op.inputs[0]
    return [None, C["max_pool2d_grad_grad"](x, g, ints=_attrs(op))]


@register("max_pool2d_grad_grad")
def _max_pool_grad_grad(op, g):
    x = op.inputs[0]
    return [None, C["max_pool2d_grad"](x, g, ints=_attrs(op))]


@register("avg_pool2d")
def _avg_pool(op, dy):
    x = op.inputs[0]
    return [C["avg_pool2d_grad"](dy, ints=_attrs(op) + (x._shape[1], x._shape[2]))]


@register("avg_pool2d_grad")
def _avg_pool_grad(op, g):
    return [C["avg_pool2d"](g, ints=_attrs(op))]
