"""Gradients of the shape family (csrc/kernels/shape.c), composed of its own ops."""
from ... import _core
from ..api.shape import _slice_axis, _split_sizes, _zeros
from . import axes_mask, register, unbroadcast

C = _core.ops


@register("reshape")
def _reshape(op, dy):
    return [C["reshape"](dy, ints=op.inputs[0]._shape)]


@register("transpose")
def _transpose(op, dy):
    inv = [0] * len(op.ints)
    for i, p in enumerate(op.ints):
        inv[p] = i
    return [C["transpose"](dy, ints=inv)]


@register("broadcast_to")
def _broadcast_to(op, dy):
    return [unbroadcast(dy, op.inputs[0]._shape)]


@register("strided_slice")
def _strided_slice(op, dy):
    return [C["strided_slice_grad"](op.inputs[0], dy, ints=op.ints)]


@register("strided_slice_grad")
def _strided_slice_grad(op, ddx):
    # input 0 only lends its shape
    return [None, C["strided_slice"](ddx, ints=op.ints)]


@register("concat")
def _concat(op, dy):
    x0 = op.inputs[0]
    axis = op.ints[0] % x0.ndim
    return _split_sizes(dy, [x._shape[axis] for x in op.inputs], axis)


@register("split")
def _split(op, *dys):
    axis = op.ints[0] % op.inputs[0].ndim
    parts = [dy if dy is not None else _zeros(o._shape, o._dtype_id)
             for dy, o in zip(dys, op.outputs)]
    if len(parts) == 1:
        return [parts[0]]
    return [C["concat"](*parts, ints=(axis,))]


@register("reverse")
def _reverse(op, dy):
    return [C["reverse"](dy, ints=op.ints)]


def _pad_axis(t, axis, before, after):
    ints = [0]
    for d in range(t.ndim):
        ints += (before, after) if d == axis else (0, 0)
    return C["pad"](t, ints=ints, floats=(0.0,))


@register("pad")
def _pad(op, dy):
    x = op.inputs[0]
    mode = op.ints[0]
    pads = op.ints[1:]
    if mode == 0:
        ints = []
        for d, n in enumerate(x._shape):
            a = pads[2 * d]
            ints += (a, a + n, 1)
        return [C["strided_slice"](dy, ints=ints + [0, 0])]
    # REFLECT / SYMMETRIC: fold each padded border back (reversed) onto the interior,
    # one dimension at a time
    sym = mode == 2
    g = dy
    for d, n in enumerate(x._shape):
        a, b = pads[2 * d], pads[2 * d + 1]
        if not a and not b:
            continue
        mid = _slice_axis(g, d, a, a + n)
        if a:
            left = C["reverse"](_slice_axis(g, d, 0, a), ints=(d,))
            start = 0 if sym else 1
            mid = C["add"](mid, _pad_axis(left, d, start, n - start - a))
        if b:
            right = C["reverse"](_slice_axis(g, d, a + n, a + n + b), ints=(d,))
            start = n - b if sym else n - 1 - b
            mid = C["add"](mid, _pad_axis(right, d, start, n - start - b))
        g = mid
    return [g]


@register("tile")
def _tile(op, dy):
    x = op.inputs[0]
    s, m = x._shape, op.ints
    tiled = [i for i in range(len(s)) if m[i] != 1]
    if not tiled:
        return [dy]
    if len(s) + len(tiled) <= _core.MAXDIM:
        shape, red = [], []
        for i, n in enumerate(s):
            if m[i] != 1:
                red.append(len(shape))
                shape.append(m[i])
            shape.append(n)
        g = C["reshape"](dy, ints=shape)
        return [C["reduce_sum"](g, ints=(0, axes_mask(red)))]
    g = dy
    for i in tiled:        # too many dimensions to split them all at once
        if m[i] == 0:
            shape = list(g._shape)
            shape[i] = s[i]
            g = _zeros(shape, g._dtype_id)
            continue
        parts = _split_sizes(g, [s[i]] * m[i], i)
        acc = parts[0]
        for p in parts[1:]:
            acc = C["add"](acc, p)
        g = acc
    return [g]
