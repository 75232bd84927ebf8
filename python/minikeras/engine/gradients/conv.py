"""Gradients of the conv family (csrc/kernels/conv.c).  Every rule is made of the
family's own ops, so second derivatives and conv2d_transpose come for free:
conv2d, its backprop_input and its backprop_filter form a closed set (and likewise
for depthwise).  Inputs the tape does not need (op.needs) are skipped, e.g. the
input gradient of a network's first convolution."""
from ... import _core
from . import register

C = _core.ops


def _geo(op):
    return tuple((tuple(op.ints) + (0,) * 5)[:5])


def _needs(op):
    return getattr(op, "needs", (True, True))


def _family(fwd, bin_, bfil, depthwise):
    def filt_ints(w):       # the filter-size attributes of the backprop_filter op
        return (w._shape[0], w._shape[1], w._shape[3] if depthwise else w._shape[2])

    @register(fwd)
    def _fwd(op, dy):
        # optional fused bias (third input) and relu (ints[5] == 1)
        x, w = op.inputs[0], op.inputs[1]
        g = _geo(op)
        if len(op.ints) > 5 and op.ints[5] == 1:
            dy = C["relu_grad"](dy, op.outputs[0])
        needs = getattr(op, "needs", (True,) * len(op.inputs))
        gx = C[bin_](dy, w, ints=g + tuple(x._shape[1:])) if needs[0] else None
        gw = C[bfil](x, dy, ints=g + filt_ints(w)) if needs[1] else None
        if len(op.inputs) == 3:
            gb = C["reduce_sum"](dy, ints=(0, 7)) if needs[2] else None
            return [gx, gw, gb]
        return [gx, gw]

    @register(bin_)
    def _bin(op, gdx):       # dx = bin(dy, w)
        dy, w = op.inputs
        g = _geo(op)
        ndy, nw = _needs(op)
        gdy = C[fwd](gdx, w, ints=g) if ndy else None
        gw = C[bfil](gdx, dy, ints=g + filt_ints(w)) if nw else None
        return [gdy, gw]

    @register(bfil)
    def _bfil(op, gdw):      # dw = bfil(x, dy)
        x, dy = op.inputs
        g = _geo(op)
        nx, ndy = _needs(op)
        gx = C[bin_](dy, gdw, ints=g + tuple(x._shape[1:])) if nx else None
        gdy = C[fwd](x, gdw, ints=g) if ndy else None
        return [gx, gdy]


_family("conv2d", "conv2d_backprop_input", "conv2d_backprop_filter", False)
_family("depthwise_conv2d", "depthwise_conv2d_backprop_input", "depthwise_conv2d_backprop_filter", True)
