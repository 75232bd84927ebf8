"""Gradient of matmul (csrc/kernels/matmul.c), through the transpose attributes
so that no transposed copies are made."""
from ... import _core
from . import register, unbroadcast

C = _core.ops


@register("matmul")
def _matmul(op, dy):
    a, b = op.inputs
    ta, tb = op.ints[0], op.ints[1]
    mm = C["matmul"]
    if not ta and not tb:
        ga, gb = mm(dy, b, ints=(0, 1)), mm(a, dy, ints=(1, 0))
    elif ta and not tb:
        ga, gb = mm(b, dy, ints=(0, 1)), mm(a, dy, ints=(0, 0))
    elif not ta and tb:
        ga, gb = mm(dy, b, ints=(0, 0)), mm(dy, a, ints=(1, 0))
    else:
        ga, gb = mm(b, dy, ints=(1, 1)), mm(dy, a, ints=(1, 1))
    return [unbroadcast(ga, a._shape), unbroadcast(gb, b._shape)]
