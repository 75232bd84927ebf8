"""tf.linalg.matmul, tensordot and einsum over the C matmul family.

tensordot and einsum are rewritten into one batched matmul between a
transposed/reshaped view of each operand (the GEMM does the work)."""
import math

from ... import _core
from ..gradients import axes_mask
from ..tensor import convert_to_tensor

C = _core.ops


def _t(x, hint=None):
    if isinstance(x, _core.TensorBase):
        return x
    if hasattr(x, "_as_tensor"):
        return x._as_tensor()
    return convert_to_tensor(x, dtype_hint=hint)


def matmul(a, b, transpose_a=False, transpose_b=False, adjoint_a=False, adjoint_b=False,
           a_is_sparse=False, b_is_sparse=False, output_type=None, name=None):
    """Batched matrix product; batch dimensions broadcast."""
    a = _t(a)
    b = _t(b, a.dtype)
    return C["matmul"](a, b, ints=(int(transpose_a or adjoint_a), int(transpose_b or adjoint_b)))


def matvec(a, b, transpose_a=False, adjoint_a=False, name=None):
    a = _t(a)
    b = _t(b, a.dtype)
    r = C["matmul"](a, C["reshape"](b, ints=tuple(b._shape) + (1,)), ints=(int(transpose_a or adjoint_a), 0))
    return C["reshape"](r, ints=tuple(r._shape[:-1]))


def _transpose(x, perm):
    perm = tuple(perm)
    if perm == tuple(range(len(perm))):
        return x
    return C["transpose"](x, ints=perm)


def _reshape(x, shape):
    shape = tuple(int(s) for s in shape)
    if tuple(x._shape) == shape:
        return x
    return C["reshape"](x, ints=shape)


def tensordot(a, b, axes, name=None):
    """Sum over the given axes of a and b (an int N: last N of a with first N of b)."""
    a = _t(a)
    b = _t(b, a.dtype)
    if isinstance(axes, int):
        if axes < 0:
            raise ValueError(f"'axes' must be at least 0, got {axes}")
        ax_a = list(range(a.ndim - axes, a.ndim))
        ax_b = list(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, int) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, int) else list(ax_b)
    ax_a = [x % a.ndim for x in ax_a] if a.ndim else []
    ax_b = [x % b.ndim for x in ax_b] if b.ndim else []
    if len(ax_a) != len(ax_b) or any(a._shape[i] != b._shape[j] for i, j in zip(ax_a, ax_b)):
        raise _core.InvalidArgumentError(
            f"tensordot: contracted axes do not match: {list(a._shape)} axes {ax_a} vs "
            f"{list(b._shape)} axes {ax_b}")
    free_a = [i for i in range(a.ndim) if i not in ax_a]
    free_b = [i for i in range(b.ndim) if i not in ax_b]
    k = math.prod(a._shape[i] for i in ax_a)
    am = _reshape(_transpose(a, free_a + ax_a), (math.prod(a._shape[i] for i in free_a), k))
    bm = _reshape(_transpose(b, ax_b + free_b), (k, math.prod(b._shape[i] for i in free_b)))
    r = C["matmul"](am, bm, ints=(0, 0))
    return _reshape(r, [a._shape[i] for i in free_a] + [b._shape[i] for i in free_b])


def _sum_axes(x, axes):
    if not axes:
        return x
    return C["reduce_sum"](x, ints=(0, axes_mask(axes)))


def einsum(equation, *inputs, **kwargs):
    """Einstein summation for one or two operands (no repeated index within one operand)."""
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->")
    else:
        lhs = eq
        letters = lhs.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    specs = lhs.split(",")
    if len(specs) != len(inputs) or len(inputs) not in (1, 2) or "." in eq:
        raise ValueError(f"einsum: unsupported equation {equation!r} for {len(inputs)} operands "
                         "(one or two operands, no ellipsis)")
    ts = [_t(inputs[0])]
    if len(inputs) == 2:
        ts.append(_t(inputs[1], ts[0].dtype))
    for s, t in zip(specs, ts):
        if len(s) != t.ndim or len(set(s)) != len(s):
            raise ValueError(f"einsum: subscripts {s!r} do not fit an operand of shape {list(t._shape)}")
    # indices used by only one operand and not in the output are summed first
    for k in range(len(ts)):
        others = "".join(specs[j] for j in range(len(ts)) if j != k) + out
        drop = [i for i, c in enumerate(specs[k]) if c not in others]
        if drop:
            ts[k] = _sum_axes(ts[k], drop)
            specs[k] = "".join(c for i, c in enumerate(specs[k]) if i not in drop)
    if len(ts) == 1:
        return _transpose(ts[0], [specs[0].index(c) for c in out])
    sa, sb = specs
    a, b = ts
    dim = {c: a._shape[i] for i, c in enumerate(sa)}
    for i, c in enumerate(sb):
        if c in dim and dim[c] != b._shape[i]:
            raise _core.InvalidArgumentError(f"einsum: dimension {c!r} is {dim[c]} in the first "
                                             f"operand and {b._shape[i]} in the second")
        dim[c] = b._shape[i]
    batch = [c for c in sa if c in sb and c in out]
    contract = [c for c in sa if c in sb and c not in out]
    fa = [c for c in sa if c not in sb]
    fb = [c for c in sb if c not in sa]
    pa = math.prod(dim[c] for c in batch)
    am = _reshape(_transpose(a, [sa.index(c) for c in batch + fa + contract]),
                  (pa, math.prod(dim[c] for c in fa), math.prod(dim[c] for c in contract)))
    bm = _reshape(_transpose(b, [sb.index(c) for c in batch + contract + fb]),
                  (pa, math.prod(dim[c] for c in contract), math.prod(dim[c] for c in fb)))
    r = C["matmul"](am, bm, ints=(0, 0))
    order = batch + fa + fb
    r = _reshape(r, [dim[c] for c in order])
    return _transpose(r, [order.index(c) for c in out])
