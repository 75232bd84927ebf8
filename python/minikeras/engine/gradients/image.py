"""Gradients of the image family (csrc/kernels/image.c).

resize is linear in its input: its gradient is resize_grad, the same separable
resampler run with the transposed weight tables; resize_grad's own gradient is resize
back to the forward output size, so second derivatives work too."""
from ... import _core
from . import register

C = _core.ops


def _is_float(t):
    return t.dtype.is_floating


@register("resize")
def _resize(op, dy):
    x = op.inputs[0]
    if not _is_float(x):
        return [None]
    h, w = x._shape[1], x._shape[2]
    m, aa = op.ints[2], op.ints[3]
    if dy._dtype_id != op.outputs[0]._dtype_id:
        dy = C["cast"](dy, ints=(op.outputs[0]._dtype_id,))
    g = C["resize_grad"](dy, ints=(h, w, m, aa))
    if g._dtype_id != x._dtype_id:
        g = C["cast"](g, ints=(x._dtype_id,))
    return [g]


@register("resize_grad")
def _resize_grad(op, ddx):
    dy = op.inputs[0]
    return [C["resize"](ddx, ints=(dy._shape[1], dy._shape[2], op.ints[2], op.ints[3]))]


@register("rgb_to_hsv")
def _rgb_to_hsv(op, dy):
    return [C["hsv_grad"](op.inputs[0], dy, ints=(0,))]


@register("hsv_to_rgb")
def _hsv_to_rgb(op, dy):
    return [C["hsv_grad"](op.inputs[0], dy, ints=(1,))]
