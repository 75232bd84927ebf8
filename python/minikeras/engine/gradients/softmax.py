"""Gradients of the softmax family (csrc/kernels/softmax.c).

The first derivatives use the fused C backward ops; those have rules of their
own (composed), so second derivatives work too."""
from ... import _core
from . import register

C = _core.ops


def _axis(op, x):
    a = op.ints[0] if op.ints else -1
    return a % x.ndim


def _sum_keep(x, axis):
    return C["reduce_sum"](x, ints=(1, 1 << axis))


@register("softmax")
def _softmax(op, dy):
    y = op.outputs[0]
    return [C["softmax_grad"](dy, y, ints=(_axis(op, y),))]


@register("log_softmax")
def _log_softmax(op, dy):
    y = op.outputs[0]
    return [C["log_softmax_grad"](dy, y, ints=(_axis(op, y),))]


@register("softmax_grad")
def _softmax_grad(op, g):
    # dx = y * (dy - s), s = sum(dy * y)
    dy, y = op.inputs
    ax = _axis(op, y)
    s = _sum_keep(C["multiply"](dy, y), ax)
    gy_sum = _sum_keep(C["multiply"](g, y), ax)
    g_dy = C["softmax_grad"](g, y, ints=(ax,))
    g_y = C["subtract"](C["multiply"](g, C["subtract"](dy, s)), C["multiply"](dy, gy_sum))
    return [g_dy, g_y]


@register("log_softmax_grad")
def _log_softmax_grad(op, g):
    # dx = dy - exp(y) * S, S = sum(dy)
    dy, y = op.inputs
    ax = _axis(op, y)
    e = C["exp"](y)
    g_dy = C["subtract"](g, _sum_keep(C["multiply"](g, e), ax))
    g_y = C["negative"](C["multiply"](C["multiply"](g, e), _sum_keep(dy, ax)))
    return [g_dy, g_y]


def _col(v):
    """[N] -> [N, 1]"""
    return C["reshape"](v, ints=(v._shape[0], 1))


def _logits_grad(logits, backprop, dloss, dbackprop):
    g = None
    if dloss is not None:
        g = C["multiply"](_col(dloss), backprop)
    if dbackprop is not None:
        # backprop = softmax(logits) - labels: its own softmax Jacobian (TF's grad_grad term)
        sm = C["softmax"](logits, ints=(1,))
        h = C["softmax_grad"](dbackprop, sm, ints=(1,))
        g = h if g is None else C["add"](g, h)
    return g


@register("softmax_cross_entropy")
def _xent(op, dloss, dbackprop=None):
    labels, logits = op.inputs
    backprop = op.outputs[1]
    g_logits = _logits_grad(logits, backprop, dloss, dbackprop)
    g_labels = None
    if dloss is not None:
        g_labels = C["multiply"](_col(dloss), C["negative"](C["log_softmax"](logits, ints=(1,))))
    if dbackprop is not None:
        nb = C["negative"](dbackprop)
        g_labels = nb if g_labels is None else C["add"](g_labels, nb)
    return [g_labels, g_logits]


@register("sparse_softmax_cross_entropy")
def _sparse_xent(op, dloss, dbackprop=None):
    labels, logits = op.inputs
    return [None, _logits_grad(logits, op.outputs[1], dloss, dbackprop)]
