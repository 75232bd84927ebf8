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


# ---- gradients (float64, finite differences) -----------------------------------------

from minikeras import tf  # noqa: E402
from tests.gradcheck import check_grad  # noqa: E402


@pytest.mark.parametrize("strides,dil,padding,groups", [
    ((1, 1), (1, 1), "VALID", 1), ((2, 2), (1, 1), "SAME", 1), ((1, 2), (2, 1), "SAME", 2),
    ((2, 1), (1, 1), "VALID", 2)])
def test_conv2d_grad(strides, dil, padding, groups):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 6, 5, 4))
    w = rng.standard_normal((3, 2, 4 // groups, 4))
    check_grad(lambda a, b: tf.nn.conv2d(a, b, strides, padding, dilations=dil), [x, w])


@pytest.mark.parametrize("strides,padding", [((1, 1), "SAME"), ((2, 2), "VALID"), ((2, 1), "SAME")])
def test_conv2d_transpose_and_backprop_filter_grad(strides, padding):
    rng = np.random.default_rng(5)
    xshape, wshape = (2, 5, 6, 3), (2, 3, 3, 4)
    oh, ow, _ = _geom(5, 6, 2, 3, strides, (1, 1), padding)
    dy = rng.standard_normal((2, oh, ow, 4))
    w = rng.standard_normal(wshape)
    x = rng.standard_normal(xshape)
    check_grad(lambda a, b: tf.nn.conv2d_transpose(a, b, xshape, strides, padding), [dy, w])
    from minikeras.engine.api import conv as api
    check_grad(lambda a, b: api.conv2d_backprop_filter(a, wshape, b, strides, padding), [x, dy])


@pytest.mark.parametrize("strides,dil,padding,dm", [
    ((1, 1), (1, 1), "SAME", 1), ((2, 2), (1, 1), "VALID", 2), ((1, 1), (2, 2), "SAME", 2)])
def test_depthwise_grad(strides, dil, padding, dm):
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 6, 5, 3))
    w = rng.standard_normal((3, 3, 3, dm))
    check_grad(lambda a, b: tf.nn.depthwise_conv2d(a, b, (1, *strides, 1), padding, dilations=dil), [x, w])
    oh, ow, _ = _geom(6, 5, 3, 3, strides, dil, padding)
    dy = rng.standard_normal((2, oh, ow, 3 * dm))
    check_grad(lambda a, b: tf.nn.depthwise_conv2d_backprop_input((2, 6, 5, 3), b, a, (1, *strides, 1), padding,
                                                                  dilations=(1, *dil, 1)), [dy, w])
    check_grad(lambda a, b: tf.nn.depthwise_conv2d_backprop_filter(a, (3, 3, 3, dm), b, (1, *strides, 1), padding,
                                                                   dilations=(1, *dil, 1)), [x, dy])


def test_second_derivative():
    rng = np.random.default_rng(7)
    x = tf.constant(rng.standard_normal((1, 4, 4, 2)))
    w = tf.constant(rng.standard_normal((2, 2, 2, 3)))
    with tf.GradientTape() as t2:
        t2.watch(w)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = tf.math.reduce_sum(tf.nn.conv2d(x, w, 1, "SAME") ** 2)
        gx = t1.gradient(y, x)
        z = tf.math.reduce_sum(gx * gx)
    gw = t2.gradient(z, w)
    eps = 1e-6

    def zf(wv):
        xx = tf.constant(np.asarray(x))
        with tf.GradientTape() as t:
            t.watch(xx)
            yy = tf.math.reduce_sum(tf.nn.conv2d(xx, tf.constant(wv), 1, "SAME") ** 2)
        return float(tf.math.reduce_sum(t.gradient(yy, xx) ** 2))
    wv = np.asarray(w).copy()
    num = np.zeros_like(wv)
    for i in range(wv.size):
        wp, wm = wv.copy(), wv.copy()
        wp.flat[i] += eps
        wm.flat[i] -= eps
        num.flat[i] = (zf(wp) - zf(wm)) / (2 * eps)
    np.testing.assert_allclose(np.asarray(gw), num, rtol=1e-4, atol=1e-5)


def test_first_layer_skips_input_gradient():
    """The input gradient of a convolution whose input is a constant is not computed."""
    from minikeras.engine.gradients import REGISTRY
    calls = []
    orig = REGISTRY["conv2d"]

    def spy(op, dy):
        calls.append(op.needs)
        return orig(op, dy)
    REGISTRY["conv2d"] = spy
    try:
        x = tf.constant(np.ones((2, 5, 5, 1), np.float32))
        w = tf.Variable(np.ones((3, 3, 1, 4), np.float32))
        with tf.GradientTape() as t:
            y = tf.math.reduce_sum(tf.nn.conv2d(x, w, 1, "VALID"))
        g = t.gradient(y, w)
    finally:
        REGISTRY["conv2d"] = orig
    assert calls == [(False, True)]
    np.testing.assert_allclose(np.asarray(g), np.full((3, 3, 1, 4), 18.0))


# ---- tf.nn API -----------------------------------------------------------------------

def test_conv2d_api_formats_and_explicit_padding():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 7, 6, 3)).astype(np.float32)
    w = rng.standard_normal((3, 3, 3, 5)).astype(np.float32)
    ref = ref_conv2d(x, w, (2, 2), (1, 1), "SAME")
    np.testing.assert_allclose(tf.nn.conv2d(x, w, 2, "SAME").numpy(), ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(tf.nn.conv2d(x, w, [1, 2, 2, 1], "SAME").numpy(), ref, rtol=1e-4, atol=1e-4)
    out = tf.nn.conv2d(x.transpose(0, 3, 1, 2), w, [1, 1, 2, 2], "SAME", data_format="NCHW").numpy()
    np.testing.assert_allclose(out, ref.transpose(0, 3, 1, 2), rtol=1e-4, atol=1e-4)
    pads = [[0, 0], [1, 2], [0, 3], [0, 0]]
    ref = ref_conv2d(np.pad(x, pads), w, (1, 1), (1, 1), "VALID")
    np.testing.assert_allclose(tf.nn.conv2d(x, w, 1, pads).numpy(), ref, rtol=1e-4, atol=1e-4)
    x5 = rng.standard_normal((2, 3, 7, 6, 3)).astype(np.float32)
    out = tf.nn.conv2d(x5, w, 1, "VALID").numpy()
    np.testing.assert_allclose(out.reshape(6, 5, 4, 5), ref_conv2d(x5.reshape(6, 7, 6, 3), w),
                               rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(tf.nn.convolution(x, w, padding="SAME").numpy(),
                               ref_conv2d(x, w, padding="SAME"), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(tf.nn.atrous_conv2d(x, w, 2, "SAME").numpy(),
                               ref_conv2d(x, w, dil=(2, 2), padding="SAME"), rtol=1e-4, atol=1e-4)


def test_conv1d_api():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 11, 3))
    w = rng.standard_normal((3, 3, 4))
    for stride, dil, pad in [(1, 1, "VALID"), (2, 1, "SAME"), (1, 2, "SAME")]:
        ref = ref_conv2d(x[:, None], w[None], (1, stride), (1, dil), pad)[:, 0]
        np.testing.assert_allclose(tf.nn.conv1d(x, w, stride, pad, dilations=dil).numpy(), ref, atol=1e-10)
        out = tf.nn.conv1d(x.transpose(0, 2, 1), w, stride, pad, data_format="NCW", dilations=dil).numpy()
        np.testing.assert_allclose(out, ref.transpose(0, 2, 1), atol=1e-10)
    np.testing.assert_allclose(tf.nn.convolution(x, w).numpy(), ref_conv2d(x[:, None], w[None])[:, 0], atol=1e-10)
    dy = rng.standard_normal((2, 6, 3))
    wt = rng.standard_normal((3, 4, 3))
    out = tf.nn.conv1d_transpose(dy, wt, (2, 11, 4), 2, "SAME").numpy()
    np.testing.assert_allclose(out, ref_conv2d_bin(dy[:, None], wt[None], (2, 1, 11, 4), (1, 2), (1, 1), "SAME")[:, 0],
                               atol=1e-10)
    check_grad(lambda a, b: tf.nn.conv1d(a, b, 2, "SAME"), [x, w])


def test_conv2d_transpose_api():
    rng = np.random.default_rng(10)
    dy = rng.standard_normal((2, 4, 4, 3))
    w = rng.standard_normal((3, 3, 5, 3))
    out = tf.nn.conv2d_transpose(dy, w, [2, 8, 8, 5], 2).numpy()
    np.testing.assert_allclose(out, ref_conv2d_bin(dy, w, (2, 8, 8, 5), (2, 2), (1, 1), "SAME"), atol=1e-10)
    out = tf.nn.conv2d_transpose(dy, w, tf.constant([2, 9, 9, 5]), [2, 2], "VALID").numpy()
    np.testing.assert_allclose(out, ref_conv2d_bin(dy, w, (2, 9, 9, 5), (2, 2), (1, 1), "VALID"), atol=1e-10)
    out = tf.nn.conv2d_transpose(dy.transpose(0, 3, 1, 2), w, [2, 5, 8, 8], 2, data_format="NCHW").numpy()
    np.testing.assert_allclose(out, ref_conv2d_bin(dy, w, (2, 8, 8, 5), (2, 2), (1, 1), "SAME").transpose(0, 3, 1, 2),
                               atol=1e-10)
    pads = [[0, 0], [1, 0], [0, 1], [0, 0]]
    full = ref_conv2d_bin(dy, w, (2, 10, 10, 5), (2, 2), (1, 1), "VALID")
    out = tf.nn.conv2d_transpose(dy, w, [2, 9, 9, 5], 2, pads).numpy()
    np.testing.assert_allclose(out, full[:, 1:10, 0:9], atol=1e-10)
    with pytest.raises(ValueError, match="conv2d_backprop_input"):
        tf.nn.conv2d_transpose(dy, w, [2, 5, 5, 5], 2)


def test_depthwise_and_separable_api():
    rng = np.random.default_rng(11)
    x = rng.standard_normal((2, 8, 7, 3))
    dw = rng.standard_normal((3, 3, 3, 2))
    pw = rng.standard_normal((1, 1, 6, 4))
    ref = ref_depthwise(x, dw, (2, 2), (1, 1), "SAME")
    np.testing.assert_allclose(tf.nn.depthwise_conv2d(x, dw, [1, 2, 2, 1], "SAME").numpy(), ref, atol=1e-10)
    out = tf.nn.depthwise_conv2d(x.transpose(0, 3, 1, 2), dw, [1, 1, 2, 2], "SAME", data_format="NCHW").numpy()
    np.testing.assert_allclose(out, ref.transpose(0, 3, 1, 2), atol=1e-10)
    sep = tf.nn.separable_conv2d(x, dw, pw, [1, 1, 1, 1], "VALID").numpy()
    np.testing.assert_allclose(sep, ref_depthwise(x, dw) @ pw[0, 0], atol=1e-10)
    check_grad(lambda a, b, c: tf.nn.separable_conv2d(a, b, c, [1, 1, 1, 1], "SAME"),
               [x[:1, :5, :5], dw, pw])
    with pytest.raises(ValueError, match="separable_conv2d"):
        tf.nn.separable_conv2d(x, dw, pw[:, :, :5], [1, 1, 1, 1], "VALID")


def test_api_errors():
    x = np.zeros((1, 5, 5, 3), np.float32)
    with pytest.raises(ValueError, match=r"conv2d.*\[1,5,5,3\]"):
        tf.nn.conv2d(x, np.zeros((3, 3, 2, 4), np.float32), 1, "SAME")
    with pytest.raises(ValueError, match="strides"):
        tf.nn.conv2d(x, np.zeros((3, 3, 3, 4), np.float32), [1, 1, 1], "SAME")
    with pytest.raises(ValueError, match="padding"):
        tf.nn.conv2d(x, np.zeros((3, 3, 3, 4), np.float32), 1, "FULL")
    with pytest.raises(ValueError, match="conv2d.*filters must be 4-D"):
        tf.nn.conv2d(x, np.zeros((3, 3, 3), np.float32), 1, "SAME")
    with pytest.raises((ValueError, TypeError), match="conv2d"):
        tf.nn.conv2d(x, tf.constant(np.zeros((3, 3, 3, 4), np.float64)), 1, "SAME")


@pytest.mark.parametrize("op,ref", [("conv2d", ref_conv2d), ("depthwise_conv2d", ref_depthwise)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_bias_relu(op, ref, dtype):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((3, 7, 6, 4)).astype(dtype)
    w = rng.standard_normal((3, 3, 4, 2)).astype(dtype)
    y0 = ref(x.astype(np.float64), w.astype(np.float64), (1, 1), (1, 1), "SAME")
    b = rng.standard_normal(y0.shape[-1]).astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    T = _core.from_buffer
    for act in (0, 1):
        out = np.asarray(OPS[op](T(x), T(w), T(b), ints=(1, 1, 1, 1, 1, act)))
        exp = y0 + b
        if act:
            exp = np.maximum(exp, 0)
        np.testing.assert_allclose(out, exp, rtol=tol, atol=tol)
    out = np.asarray(OPS[op](T(x), T(w), ints=(1, 1, 1, 1, 1, 1)))
    np.testing.assert_allclose(out, np.maximum(y0, 0), rtol=tol, atol=tol)
    with pytest.raises(ValueError, match=op + ".*bias"):
        OPS[op](T(x), T(w), T(b[:1]), ints=(1, 1, 1, 1, 1, 0))
    with pytest.raises(TypeError, match=op + " takes at least 2 tensor arguments, got 1"):
        OPS[op](T(x), ints=(1, 1, 1, 1, 1, 0))
    if dtype == np.float64:
        xs, ws = x[:2, :4, :4], w
        # shift away from the relu kink so finite differences are smooth
        check_grad(lambda a, c, d: OPS[op](a, c, d, ints=(2, 1, 1, 1, 1, 1)), [xs, ws, b])


@pytest.mark.parametrize("cin,co,groups", [(1, 43, 1), (1, 32, 1), (2, 16, 2), (1, 5, 1)])
def test_small_k_float32_paths(cin, co, groups):
    """K = 3*3*CIg <= 12 runs the register-blocked float32 loops (32-, 8- and 1-wide columns)."""
    rng = np.random.default_rng(13)
    x = rng.standard_normal((5, 9, 10, cin)).astype(np.float32)
    w = rng.standard_normal((3, 3, cin // groups, co)).astype(np.float32)
    ints = _ints((1, 1), (1, 1), "SAME")
    x64, w64 = x.astype(np.float64), w.astype(np.float64)
    ref = ref_conv2d(x64, w64, padding="SAME")
    np.testing.assert_allclose(_run("conv2d", x, w, ints), ref, rtol=1e-4, atol=1e-4)
    dy = rng.standard_normal(ref.shape).astype(np.float32)
    np.testing.assert_allclose(_run("conv2d_backprop_filter", x, dy, ints + w.shape[:3]),
                               ref_conv2d_bfil(x64, dy.astype(np.float64), w.shape, padding="SAME"),
                               rtol=1e-4, atol=1e-3)
