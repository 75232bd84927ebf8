import numpy as np
import pytest
from minikeras import _core


def ref_conv2d(x, w, strides, dil, padding):
    N, H, W, CI = x.shape
    KH, KW, _, CO = w.shape
    sh, sw = strides
    dh, dw = dil
    ekh, ekw = (KH - 1) * dh + 1, (KW - 1) * dw + 1
    if padding == "SAME":
        oh, ow = -(-H // sh), -(-W // sw)
        pth = max((oh - 1) * sh + ekh - H, 0)
        ptw = max((ow - 1) * sw + ekw - W, 0)
        x = np.pad(x, ((0, 0), (pth // 2, pth - pth // 2), (ptw // 2, ptw - ptw // 2), (0, 0)))
    else:
        oh, ow = (H - ekh) // sh + 1, (W - ekw) // sw + 1
    out = np.zeros((N, oh, ow, CO), x.dtype)
    for ky in range(KH):
        for kx in range(KW):
            patch = x[:, ky * dh: ky * dh + (oh - 1) * sh + 1: sh, kx * dw: kx * dw + (ow - 1) * sw + 1: sw, :]
            out += patch @ w[ky, kx]
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("padding", ["VALID", "SAME"])
@pytest.mark.parametrize("strides,dil", [((1, 1), (1, 1)), ((2, 1), (1, 1)), ((2, 3), (1, 1)), ((1, 1), (2, 2))])
def test_conv2d_forward(dtype, padding, strides, dil):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 9, 8, 4)).astype(dtype)
    w = rng.standard_normal((3, 2, 4, 5)).astype(dtype)
    out = _core.ops["conv2d"](_core.from_buffer(x), _core.from_buffer(w),
                              ints=(*strides, *dil, 1 if padding == "SAME" else 0))
    ref = ref_conv2d(x.astype(np.float64), w.astype(np.float64), strides, dil, padding)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(np.asarray(out), ref, rtol=tol, atol=tol)


def test_conv2d_bad_shapes():
    x = _core.from_buffer(np.zeros((1, 4, 4, 3), np.float32))
    w = _core.from_buffer(np.zeros((2, 2, 2, 5), np.float32))
    with pytest.raises(ValueError, match="conv2d"):
        _core.ops["conv2d"](x, w, ints=(1, 1, 1, 1, 0))
