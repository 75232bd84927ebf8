"""Gradient clipping (tf.clip_by_norm, tf.clip_by_global_norm, tf.linalg.global_norm),
composed from ops so it runs inside traced graphs.  The fused optimizer update ops
(sgd_update, adam_update, ...) are used directly by minikeras.optimizers."""
from ... import _core
from .. import dtypes as _dt
from ..tensor import convert_to_tensor

C = _core.ops

__all__ = ["clip_by_norm", "clip_by_global_norm", "global_norm"]


def _axes_mask(axes, ndim):
    if axes is None:
        return None
    if isinstance(axes, int):
        axes = [axes]
    mask = 0
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"clip_by_norm: axis {a} is out of bounds for a tensor of rank {ndim}")
        mask |= 1 << (a % max(ndim, 1))
    return mask


def clip_by_norm(t, clip_norm, axes=None, name=None):
    """t * clip_norm / max(l2norm(t), clip_norm), the norm taken over `axes` (all by default)."""
    t = convert_to_tensor(t)
    if not _dt.ALL[t._dtype_id].is_floating:
        raise TypeError(f"clip_by_norm expects a floating tensor, got {t.dtype.name}")
    cn = convert_to_tensor(clip_norm, dtype_hint=t.dtype)
    if cn._dtype_id != t._dtype_id:
        cn = C["cast"](cn, ints=(t._dtype_id,))
    sq = C["multiply"](t, t)
    mask = _axes_mask(axes, t.ndim)
    l2sum = C["reduce_sum"](sq, ints=(1,) if mask is None else (1, mask))
    pred = C["greater"](l2sum, _core.scalar(0, t._dtype_id))
    one = _core.scalar(1, t._dtype_id)
    safe = C["where"](pred, l2sum, one)
    l2norm = C["where"](pred, C["sqrt"](safe), l2sum)
    return C["divide"](C["multiply"](t, cn), C["maximum"](l2norm, cn))


def global_norm(t_list, name=None):
    """sqrt(sum of squares of every element of every tensor); None entries are skipped."""
    ts = [convert_to_tensor(t) for t in t_list if t is not None]
    if not ts:
        return convert_to_tensor(0.0)
    dt = ts[0]._dtype_id
    if any(t._dtype_id != dt for t in ts):
        dt = _dt.float32._id
    total = None
    for t in ts:
        if t._dtype_id != dt:
            t = C["cast"](t, ints=(dt,))
        s = C["reduce_sum"](C["multiply"](t, t))
        total = s if total is None else C["add"](total, s)
    return C["sqrt"](total)


def clip_by_global_norm(t_list, clip_norm, use_norm=None, name=None):
    """Scale every tensor by clip_norm / max(global_norm, clip_norm); returns
    (list_clipped, global_norm).  A non-finite norm gives NaN tensors, as TensorFlow."""
    if isinstance(t_list, (str, bytes)) or not hasattr(t_list, "__iter__"):
        raise TypeError("t_list should be a sequence")
    t_list = list(t_list)
    if use_norm is None:
        use_norm = global_norm(t_list)
    use_norm = convert_to_tensor(use_norm)
    nd = use_norm._dtype_id
    cn = convert_to_tensor(clip_norm, dtype_hint=use_norm.dtype)
    if cn._dtype_id != nd:
        cn = C["cast"](cn, ints=(nd,))
    one = _core.scalar(1, nd)
    scale = C["multiply"](cn, C["minimum"](C["divide"](one, use_norm), C["divide"](one, cn)))
    scale = C["add"](scale, C["subtract"](use_norm, use_norm))
    out = []
    for t in t_list:
        if t is None:
            out.append(None)
            continue
        t = convert_to_tensor(t)
        s = scale if t._dtype_id == nd else C["cast"](scale, ints=(t._dtype_id,))
        out.append(C["multiply"](t, s))
    return out, use_norm
