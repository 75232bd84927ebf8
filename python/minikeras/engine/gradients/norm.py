"""Gradients of the norm family (csrc/kernels/norm.c): fused batch normalisation.

fused_batch_norm's first derivative is the fused C op fused_batch_norm_grad; the
statistics outputs (batch mean, unbiased batch variance, saved mean, saved inverse
std) have exact gradients too (composed).  fused_batch_norm_grad has a composed rule,
so second derivatives work."""
from ... import _core
from . import register

C = _core.ops


def _s(x, v):
    return _core.scalar(float(v), x._dtype_id)


def _mul(*ts):
    r = ts[0]
    for t in ts[1:]:
        r = C["multiply"](r, t)
    return r


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return C["add"](a, b)


def _csum(t):
    """sum over every axis but the last -> [C]"""
    nd = t.ndim
    if nd == 1:
        return t
    return C["reduce_sum"](t, ints=(0, (1 << (nd - 1)) - 1))


def _count(x):
    n = 1
    for d in x._shape[:-1]:
        n *= d
    return n


@register("fused_batch_norm")
def _fbn(op, dy, dbm=None, dbv=None, dsm=None, dsi=None):
    x, scale, offset = op.inputs
    _, _, _, mean, inv = op.outputs
    dx = dscale = doffset = None
    if dy is not None:
        dx, dscale, doffset = C["fused_batch_norm_grad"](dy, x, scale, mean, inv, ints=(1,))
    M = _count(x)
    gmean = _add(dbm, dsm)
    if gmean is not None and M > 0:
        dx = _add(dx, C["broadcast_to"](_mul(gmean, _s(gmean, 1.0 / M)), ints=tuple(x._shape)))
    gvar = None
    if dbv is not None:
        gvar = _mul(dbv, _s(dbv, M / (M - 1.0) if M > 1 else 1.0))
    if dsi is not None:
        gvar = _add(gvar, _mul(dsi, _s(dsi, -0.5), inv, inv, inv))
    if gvar is not None and M > 0:
        xc = C["subtract"](x, mean)
        dx = _add(dx, _mul(xc, gvar, _s(gvar, 2.0 / M)))
    return [dx, dscale, doffset]


@register("fused_batch_norm_inference")
def _fbn_inference(op, dy):
    x, scale, offset, mean, var = op.inputs
    inv = C["rsqrt"](C["add"](var, _s(var, op.floats[0])))
    dx, dscale, doffset = C["fused_batch_norm_grad"](dy, x, scale, mean, inv, ints=(0,))
    dmean = C["negative"](_mul(doffset, scale, inv))
    dvar = _mul(dscale, scale, inv, inv, _s(inv, -0.5))
    return [dx, dscale, doffset, dmean, dvar]


@register("fused_batch_norm_grad")
def _fbn_grad(op, gx, gs=None, gb=None):
    dy, x, scale, mu, inv = op.inputs
    training = op.ints[0] if op.ints else 1
    xc = C["subtract"](x, mu)
    xh = C["multiply"](xc, inv)
    k = C["multiply"](scale, inv)
    M = _count(x)
    g_dy = g_x = g_scale = g_mu = g_inv = None
    if not training:
        # dx = dy * k; ds = sum(dy * xh); db = sum(dy)
        if gx is not None:
            g_dy = C["multiply"](gx, k)
            s = _csum(C["multiply"](gx, dy))
            g_scale = C["multiply"](s, inv)
            g_inv = C["multiply"](s, scale)
        if gs is not None:
            g_dy = _add(g_dy, C["multiply"](gs, xh))
            g_xh = C["multiply"](dy, gs)
            g_x = C["multiply"](g_xh, inv)
            g_mu = C["negative"](_csum(g_x))
            g_inv = _add(g_inv, _csum(C["multiply"](g_xh, xc)))
        if gb is not None:
            g_dy = _add(g_dy, C["broadcast_to"](gb, ints=tuple(x._shape)))
        return [g_dy, g_x, g_scale, g_mu, g_inv]
    inv_m = 1.0 / max(M, 1)
    g_xh = None
    if gx is not None:
        # dx = k * r, r = dy - mean(dy) - xh * mean(dy * xh)
        g_dy = C["fused_batch_norm_grad"](gx, x, scale, mu, inv, ints=(1,))[0]
        m_dy = _mul(_csum(dy), _s(dy, inv_m))
        m_dyxh = _mul(_csum(C["multiply"](dy, xh)), _s(dy, inv_m))
        m_gxxh = _mul(_csum(C["multiply"](gx, xh)), _s(dy, inv_m))
        r = C["subtract"](C["subtract"](dy, m_dy), C["multiply"](xh, m_dyxh))
        s = _csum(C["multiply"](gx, r))
        g_scale = C["multiply"](s, inv)
        g_inv = C["multiply"](s, scale)
        g_xh = C["negative"](C["multiply"](k, C["add"](C["multiply"](gx, m_dyxh),
                                                        C["multiply"](dy, m_gxxh))))
    if gs is not None:
        g_dy = _add(g_dy, C["multiply"](gs, xh))
        g_xh = _add(g_xh, C["multiply"](dy, gs))
    if gb is not None:
        g_dy = _add(g_dy, C["broadcast_to"](gb, ints=tuple(x._shape)))
    if g_xh is not None:
        g_x = C["multiply"](g_xh, inv)
        g_mu = C["negative"](_csum(g_x))
        g_inv = _add(g_inv, _csum(C["multiply"](g_xh, xc)))
    return [g_dy, g_x, g_scale, g_mu, g_inv]
