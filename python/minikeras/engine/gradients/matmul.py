"""Gradient of matmul (csrc/kernels/matmul.c), through the transpose attributes
so that no transposed copies are made."""
from ... import _core
from . import register, unbroadcast

C = _core.ops


@register("matmul")
def _matmul(op, dy):
    a, b = op.inputs
    ints = tuple(op.ints) + (0, 0)          # `a @ b` runs matmul without attributes
    ta, tb = ints[0], ints[1]
    need_a, need_b = getattr(op, "needs", (True, True))
    mm = C["matmul"]
    ga = gb = None
    if not ta and not tb:
        if need_a:
            ga = mm(dy, b, ints=(0, 1))
        if need_b:
            gb = mm(a, dy, ints=(1, 0))
    elif ta and not tb:
        if need_a:
            ga = mm(b, dy, ints=(0, 1))
        if need_b:
            gb = mm(a, dy, ints=(0, 0))
    elif not ta and tb:
        if need_a:
            ga = mm(dy, b, ints=(0, 0))
        if need_b:
            gb = mm(dy, a, ints=(1, 0))
    else:
        if need_a:
            ga = mm(b, dy, ints=(1, 1))
        if need_b:
            gb = mm(dy, a, ints=(1, 1))
    return [None if ga is None else unbroadcast(ga, a._shape),
            None if gb is None else unbroadcast(gb, b._shape)]
