"""Conv family (csrc/kernels/conv.c): raw ops against numpy references, gradients
against finite differences, the tf.nn API and its errors."""
import numpy as np
import pytest

from minikeras import _core

OPS = _core.ops


# ---- numpy references ---------------------------------------------------------

def _geom(H, W, KH, KW, strides, dil, padding):
    sh, sw = strides
    dh, dw = dil
    ekh, ekw = (KH - 1) * dh + 1, (KW - 1) * dw + 1
    if padding == "SAME":
        oh, ow = -(-H // sh), -(-W // sw)
        pth = max((oh - 1) * sh + ekh - H, 0)
        ptw = max((ow - 1) * sw + ekw - W, 0)
        pads = ((pth // 2, pth - pth // 2), (ptw // 2, ptw - ptw // 2))
    else:
        oh, ow = max((H - ekh) // sh + 1, 0), max((W - ekw) // sw + 1, 0)
        pads = ((0, 0), (0, 0))
    return oh, ow, pads


def _patches(xp, ky, kx, oh, ow, strides, dil):
    sh, sw = strides
    dh, dw = dil
    return xp[:, ky * dh: ky * dh + (oh - 1) * sh + 1: sh, kx * dw: kx * dw + (ow - 1) * sw + 1: sw, :]


def ref_conv2d(x, w, strides=(1, 1), dil=(1, 1), padding="VALID"):
    N, H, W, CI = x.shape
    KH, KW, CIg, CO = w.shape
    G = CI // CIg
    oh, ow, pads = _geom(H, W, KH, KW, strides, dil, padding)
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    out = np.zeros((N, oh, ow, CO), x.dtype)
    cog = CO // G
    for ky in range(KH):
        for kx in range(KW):
            p = _patches(xp, ky, kx, oh, ow, strides, dil)
            for g in range(G):
                out[..., g * cog:(g + 1) * cog] += p[..., g * CIg:(g + 1) * CIg] @ w[ky, kx, :, g * cog:(g + 1) * cog]
    return out


def ref_conv2d_bin(dy, w, xshape, strides=(1, 1), dil=(1, 1), padding="VALID"):
    N, H, W, CI = xshape
    KH, KW, CIg, CO = w.shape
    G = CI // CIg
    oh, ow, pads = _geom(H, W, KH, KW, strides, dil, padding)
    dxp = np.zeros((N, H + sum(pads[0]), W + sum(pads[1]), CI), dy.dtype)
    cog = CO // G
    sh, sw = strides
    dh, dw = dil
    for ky in range(KH):
        for kx in range(KW):
            view = dxp[:, ky * dh: ky * dh + (oh - 1) * sh + 1: sh, kx * dw: kx * dw + (ow - 1) * sw + 1: sw, :]
            for g in range(G):
                view[..., g * CIg:(g + 1) * CIg] += dy[..., g * cog:(g + 1) * cog] @ w[ky, kx, :, g * cog:(g + 1) * cog].T
    return dxp[:, pads[0][0]:pads[0][0] + H, pads[1][0]:pads[1][0] + W, :]


def ref_conv2d_bfil(x, dy, wshape, strides=(1, 1), dil=(1, 1), padding="VALID"):
    N, H, W, CI = x.shape
    KH, KW, CIg, CO = wshape
    G = CI // CIg
    oh, ow, pads = _geom(H, W, KH, KW, strides, dil, padding)
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    dw_ = np.zeros(wshape, x.dtype)
    cog = CO // G
    for ky in range(KH):
        for kx in range(KW):
            p = _patches(xp, ky, kx, oh, ow, strides, dil)
            for g in range(G):
                a = p[..., g * CIg:(g + 1) * CIg].reshape(N * oh * ow, CIg)
                b = dy[..., g * cog:(g + 1) * cog].reshape(N * oh * ow, cog)
                dw_[ky, kx, :, g * cog:(g + 1) * cog] = a.T @ b
    return dw_


def ref_depthwise(x, w, strides=(1, 1), dil=(1, 1), padding="VALID"):
    N, H, W, C = x.shape
    KH, KW, _, DM = w.shape
    oh, ow, pads = _geom(H, W, KH, KW, strides, dil, padding)
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    out = np.zeros((N, oh, ow, C, DM), x.dtype)
    for ky in range(KH):
        for kx in range(KW):
            p = _patches(xp, ky, kx, oh, ow, strides, dil)
            out += p[..., :, None] * w[ky, kx]
    return out.reshape(N, oh, ow, C * DM)


def ref_depthwise_bin(dy, w, xshape, strides=(1, 1), dil=(1, 1), padding="VALID"):
    N, H, W, C = xshape
    KH, KW, _, DM = w.shape
    oh, ow, pads = _geom(H, W, KH, KW, strides, dil, padding)
    dxp = np.zeros((N, H + sum(pads[0]), W + sum(pads[1]), C), dy.dtype)
    dy5 = dy.reshape(N, oh, ow, C, DM)
    sh, sw = strides
    dh, dw = dil
    for ky in range(KH):
        for kx in range(KW):
            dxp[:, ky * dh: ky * dh + (oh - 1) * sh + 1: sh, kx * dw: kx * dw + (ow - 1) * sw + 1: sw, :] += \
                (dy5 * w[ky, kx]).sum(-1)
    return dxp[:, pads[0][0]:pads[0][0] + H, pads[1][0]:pads[1][0] + W, :]


def ref_depthwise_bfil(x, dy, wshape, strides=(1, 1), dil=(1, 1), padding="VALID"):
    N, H, W, C = x.shape
    KH, KW, _, DM = wshape
    oh, ow, pads = _geom(H, W, KH, KW, strides, dil, padding)
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    dy5 = dy.reshape(N, oh, ow, C, DM)
    dw_ = np.zeros(wshape, x.dtype)
    for ky in range(KH):
        for kx in range(KW):
            p = _patches(xp, ky, kx, oh, ow, strides, dil)
            dw_[ky, kx] = np.einsum("nhwc,nhwcm->cm", p, dy5)
    return dw_


def _ints(strides, dil, padding, *extra):
    return (*strides, *dil, 1 if padding == "SAME" else 0, *extra)


def _run(name, a, b, ints):
    return np.asarray(OPS[name](_core.from_buffer(np.ascontiguousarray(a)),
                                _core.from_buffer(np.ascontiguousarray(b)), ints=ints))


GEOMS = [((1, 1), (1, 1)), ((2, 1), (1, 1)), ((2, 3), (1, 1)), ((1, 1), (2, 2)), ((2, 2), (1, 2))]


# ---- forward and backward ops vs numpy ---------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("padding", ["VALID", "SAME"])
@pytest.mark.parametrize("strides,dil", GEOMS)
@pytest.mark.parametrize("groups", [1, 2])
def test_conv2d_ops(dtype, padding, strides, dil, groups):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 9, 8, 4)).astype(dtype)
    w = rng.standard_normal((3, 2, 4 // groups, 6)).astype(dtype)
    ints = _ints(strides, dil, padding)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    out = _run("conv2d", x, w, ints)
    ref = ref_conv2d(x64, w64, strides, dil, padding)
    assert out.dtype == dtype
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)
    dy = rng.standard_normal(ref.shape).astype(dtype)
    dx = _run("conv2d_backprop_input", dy, w, ints + x.shape[1:])
    np.testing.assert_allclose(dx, ref_conv2d_bin(dy.astype(np.float64), w64, x.shape, strides, dil, padding),
                               rtol=tol, atol=tol)
    dw = _run("conv2d_backprop_filter", x, dy, ints + w.shape[:3])
    np.testing.assert_allclose(dw, ref_conv2d_bfil(x64, dy.astype(np.float64), w.shape, strides, dil, padding),
                               rtol=tol, atol=10 * tol)


@pytest.mark.parametrize("shape,wshape,strides,padding", [
    ((2, 5, 5, 6), (1, 1, 6, 4), (1, 1), "VALID"),      # 1x1 fast path
    ((2, 5, 5, 6), (1, 1, 2, 6), (1, 1), "SAME"),       # 1x1 grouped
    ((2, 5, 5, 6), (1, 1, 6, 4), (2, 2), "SAME"),       # 1x1 strided: general path
    ((40, 12, 12, 8), (3, 3, 8, 16), (1, 1), "SAME"),   # threaded, several chunks
    ((2, 4, 4, 3), (5, 5, 3, 2), (1, 1), "SAME"),       # kernel larger than input
    ((2, 3, 3, 3), (5, 5, 3, 2), (1, 1), "VALID"),      # empty output
    ((0, 4, 4, 3), (3, 3, 3, 2), (1, 1), "SAME"),       # empty batch
    ((2, 4, 4, 3), (3, 3, 3, 0), (1, 1), "SAME"),       # no output channels
])
def test_conv2d_special_shapes(shape, wshape, strides, padding):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    w = rng.standard_normal(wshape)
    ints = _ints(strides, (1, 1), padding)
    out = _run("conv2d", x, w, ints)
    ref = ref_conv2d(x, w, strides, (1, 1), padding)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=1e-10, atol=1e-10)
    dy = rng.standard_normal(ref.shape)
    np.testing.assert_allclose(_run("conv2d_backprop_input", dy, w, ints + x.shape[1:]),
                               ref_conv2d_bin(dy, w, x.shape, strides, (1, 1), padding), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(_run("conv2d_backprop_filter", x, dy, ints + w.shape[:3]),
                               ref_conv2d_bfil(x, dy, w.shape, strides, (1, 1), padding), rtol=1e-10, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("padding", ["VALID", "SAME"])
@pytest.mark.parametrize("strides,dil", GEOMS)
@pytest.mark.parametrize("dm", [1, 2])
def test_depthwise_ops(dtype, padding, strides, dil, dm):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 9, 8, 5)).astype(dtype)
    w = rng.standard_normal((3, 3, 5, dm)).astype(dtype)
    ints = _ints(strides, dil, padding)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    out = _run("depthwise_conv2d", x, w, ints)
    ref = ref_depthwise(x64, w64, strides, dil, padding)
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)
    dy = rng.standard_normal(ref.shape).astype(dtype)
    np.testing.assert_allclose(_run("depthwise_conv2d_backprop_input", dy, w, ints + x.shape[1:]),
                               ref_depthwise_bin(dy.astype(np.float64), w64, x.shape, strides, dil, padding),
                               rtol=tol, atol=tol)
    np.testing.assert_allclose(_run("depthwise_conv2d_backprop_filter", x, dy, ints + (3, 3, dm)),
                               ref_depthwise_bfil(x64, dy.astype(np.float64), w.shape, strides, dil, padding),
                               rtol=tol, atol=10 * tol)


def test_depthwise_threaded():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((16, 20, 20, 24)).astype(np.float32)
    w = rng.standard_normal((3, 3, 24, 1)).astype(np.float32)
    ints = _ints((1, 1), (1, 1), "SAME")
    ref = ref_depthwise(x.astype(np.float64), w.astype(np.float64), padding="SAME")
    np.testing.assert_allclose(_run("depthwise_conv2d", x, w, ints), ref, rtol=1e-4, atol=1e-4)
    dy = rng.standard_normal(ref.shape).astype(np.float32)
    np.testing.assert_allclose(_run("depthwise_conv2d_backprop_filter", x, dy, ints + (3, 3, 1)),
                               ref_depthwise_bfil(x.astype(np.float64), dy.astype(np.float64), w.shape,
                                                  padding="SAME"), rtol=1e-4, atol=1e-2)


# ---- errors ---------------------------------------------------------------------

def test_conv2d_bad_shapes():
    x = _core.from_buffer(np.zeros((1, 4, 4, 3), np.float32))
    w = _core.from_buffer(np.zeros((2, 2, 2, 5), np.float32))
    with pytest.raises(ValueError, match=r"conv2d.*\[1,4,4,3\]|conv2d.*divisible"):
        OPS["conv2d"](x, w, ints=(1, 1, 1, 1, 0))
    w3 = _core.from_buffer(np.zeros((2, 2, 3), np.float32))
    with pytest.raises(ValueError, match="conv2d.*4-D"):
        OPS["conv2d"](x, w3, ints=(1, 1, 1, 1, 0))
    w = _core.from_buffer(np.zeros((2, 2, 3, 5), np.float32))
    with pytest.raises(ValueError, match="conv2d.*strides"):
        OPS["conv2d"](x, w, ints=(0, 1, 1, 1, 0))
    dy = _core.from_buffer(np.zeros((1, 2, 2, 5), np.float32))
    with pytest.raises(ValueError, match="conv2d_backprop_input.*out_backprop"):
        OPS["conv2d_backprop_input"](dy, w, ints=(1, 1, 1, 1, 0, 4, 4, 3))
    with pytest.raises(ValueError, match="conv2d_backprop_filter.*out_backprop"):
        OPS["conv2d_backprop_filter"](x, dy, ints=(1, 1, 1, 1, 0, 2, 2, 3))
    xi = _core.from_buffer(np.zeros((1, 4, 4, 3), np.int32))
    with pytest.raises((ValueError, TypeError), match="conv2d"):
        OPS["conv2d"](xi, xi, ints=(1, 1, 1, 1, 0))
    wd = _core.from_buffer(np.zeros((2, 2, 4, 1), np.float32))
    with pytest.raises(ValueError, match="depthwise_conv2d.*depth"):
        OPS["depthwise_conv2d"](x, wd, ints=(1, 1, 1, 1, 0))
