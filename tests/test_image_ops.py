"""tf.image: resize (every method against TensorFlow's documented numbers and a numpy
model of its kernels), transform (ImageProjectiveTransformV3), and the rest of tf.image
against numpy."""
import math

import numpy as np
import pytest

from minikeras import _core, tf
from minikeras.engine.api import image as I
from tests.gradcheck import check_grad

C = _core.ops

# ---------------------------------------------------------------------------- resize
# TensorFlow's image_ops_test (ResizeImagesV2Test.testResizeUp): [1,3,2,1] -> [6,4]
_UP = np.array([64, 32, 32, 64, 50, 100], np.float32).reshape(1, 3, 2, 1)
_UP_EXPECTED = {
    "bilinear": [64.0, 56.0, 40.0, 32.0, 56.0, 52.0, 44.0, 40.0, 40.0, 44.0, 52.0, 56.0,
                 36.5, 45.625, 63.875, 73.0, 45.5, 56.875, 79.625, 91.0, 50.0, 62.5, 87.5, 100.0],
    "nearest": [64.0, 64.0, 32.0, 32.0, 64.0, 64.0, 32.0, 32.0, 32.0, 32.0, 64.0, 64.0,
                32.0, 32.0, 64.0, 64.0, 50.0, 50.0, 100.0, 100.0, 50.0, 50.0, 100.0, 100.0],
    "area": [64.0, 64.0, 32.0, 32.0, 64.0, 64.0, 32.0, 32.0, 32.0, 32.0, 64.0, 64.0,
             32.0, 32.0, 64.0, 64.0, 50.0, 50.0, 100.0, 100.0, 50.0, 50.0, 100.0, 100.0],
    "lanczos3": [75.8294, 59.6281, 38.4313, 22.23, 60.6851, 52.0037, 40.6454, 31.964,
                 35.8344, 41.0779, 47.9383, 53.1818, 24.6968, 43.0769, 67.1244, 85.5045,
                 35.7939, 56.4713, 83.5243, 104.2017, 44.8138, 65.1949, 91.8603, 112.2413],
    "lanczos5": [77.5699, 60.0223, 40.6694, 23.1219, 61.8253, 51.2369, 39.5593, 28.9709,
                 35.7438, 40.8875, 46.5604, 51.7041, 21.5942, 43.5299, 67.7223, 89.658,
                 32.1213, 56.784, 83.984, 108.6467, 44.5802, 66.183, 90.0082, 111.6109],
    "gaussian": [61.1087, 54.6926, 41.3074, 34.8913, 54.6926, 51.4168, 44.5832, 41.3074,
                 41.696, 45.2456, 52.6508, 56.2004, 39.4273, 47.0526, 62.9602, 70.5855,
                 47.3008, 57.3042, 78.173, 88.1764, 51.4771, 62.3638, 85.0752, 95.9619],
    "bicubic": [70.1453, 59.0252, 36.9748, 25.8547, 59.3195, 53.3386, 41.4789, 35.4981,
                36.383, 41.285, 51.0051, 55.9071, 30.2232, 42.151, 65.8032, 77.731,
                41.6492, 55.823, 83.9288, 98.1026, 47.0363, 62.2744, 92.4903, 107.7284],
    "mitchellcubic": [66.0382, 56.6079, 39.3921, 29.9618, 56.7255, 51.9603, 43.2611, 38.4959,
                      39.1828, 43.4664, 51.2864, 55.57, 34.6287, 45.1812, 64.4458, 74.9983,
                      43.8523, 56.8078, 80.4594, 93.4149, 48.9943, 63.026, 88.6422, 102.6739],
}


@pytest.mark.parametrize("method", sorted(_UP_EXPECTED))
@pytest.mark.parametrize("dtype", [np.float32, np.uint8, np.float64, np.int32])
def test_resize_up_tf_values(method, dtype):
    y = tf.image.resize(_UP.astype(dtype), [6, 4], method)
    want_dtype = np.dtype(dtype) if method == "nearest" else np.float32
    assert y.dtype.as_numpy_dtype == want_dtype
    assert y.shape == (1, 6, 4, 1)
    np.testing.assert_allclose(np.asarray(y).ravel(), _UP_EXPECTED[method], atol=1e-4)
    y3 = tf.image.resize(_UP[0].astype(dtype), [6, 4], method)   # 3-D image
    assert y3.shape == (6, 4, 1)
    np.testing.assert_allclose(np.asarray(y3).ravel(), _UP_EXPECTED[method], atol=1e-4)


def test_resize_down_area_tf_values():
    d = np.array([128, 64, 32, 16, 8, 4, 4, 8, 16, 32, 64, 128, 128, 64, 32, 16, 8, 4, 5, 10,
                  15, 20, 25, 30, 30, 25, 20, 15, 10, 5, 5, 10, 15, 20, 25, 30], np.uint8)
    y = tf.image.resize(d.reshape(1, 6, 6, 1), [4, 4], tf.image.ResizeMethod.AREA)
    np.testing.assert_allclose(np.asarray(y).ravel(), [73, 33, 23, 39, 73, 33, 23, 39, 14, 16,
                                                       19, 21, 14, 16, 19, 21], atol=1)


def _bilinear_axis(n_in, n_out):
    """TF2 resize_bilinear (half_pixel_centers) weights as an [n_out, n_in] matrix."""
    s = np.float32(n_in) / np.float32(n_out)
    M = np.zeros((n_out, n_in))
    for o in range(n_out):
        f = (np.float32(o) + np.float32(0.5)) * s - np.float32(0.5)
        lo, hi = max(int(np.floor(f)), 0), min(int(np.ceil(f)), n_in - 1)
        lerp = f - np.floor(f)
        M[o, lo] += 1 - lerp
        M[o, hi] += lerp
    return M


def _nearest_axis(n_in, n_out):
    s = np.float32(n_in) / np.float32(n_out)
    M = np.zeros((n_out, n_in))
    for o in range(n_out):
        i = min(max(int(np.floor((np.float32(o) + np.float32(0.5)) * s)), 0), n_in - 1)
        M[o, i] = 1
    return M


def _sep(x, My, Mx):
    t = np.einsum("yi,nijc->nyjc", My, x.astype(np.float64))
    return np.einsum("xj,nyjc->nyxc", Mx, t)


@pytest.mark.parametrize("shape,size", [((2, 5, 7, 3), (9, 4)), ((1, 112, 112, 3), (160, 160)),
                                        ((3, 8, 6, 1), (8, 6)), ((1, 1, 1, 2), (3, 2)),
                                        ((2, 6, 10, 4), (1, 1))])
def test_resize_bilinear_nearest_numpy(shape, size):
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 255, shape).astype(np.float32)
    ref = _sep(x, _bilinear_axis(shape[1], size[0]), _bilinear_axis(shape[2], size[1]))
    np.testing.assert_allclose(np.asarray(tf.image.resize(x, size)), ref, rtol=1e-5, atol=1e-3)
    xu = x.astype(np.uint8)
    ref = _sep(xu, _nearest_axis(shape[1], size[0]), _nearest_axis(shape[2], size[1]))
    y = tf.image.resize(xu, size, "nearest")
    assert y.dtype == tf.uint8
    np.testing.assert_array_equal(np.asarray(y), ref.astype(np.uint8))


def test_resize_antialias_downsample_is_box_like():
    # triangle kernel widened 2x when downsampling by 2: each output averages 4 inputs
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 16, 1)
    y = np.asarray(tf.image.resize(x, [1, 8], antialias=True)).ravel()
    # weights for output o: inputs 2o-1..2o+2 with tent weights 1,3,3,1 (/8), renormalised at edges
    ref = []
    for o in range(8):
        c = 2 * o + 1.0
        idx = [i for i in range(16) if abs(i + 0.5 - c) < 2]
        w = np.array([1 - abs(i + 0.5 - c) / 2 for i in idx])
        ref.append(np.dot(w / w.sum(), idx))
    np.testing.assert_allclose(y, ref, rtol=1e-5)
    # without antialias bilinear simply interpolates between two neighbours
    np.testing.assert_allclose(np.asarray(tf.image.resize(x, [1, 8])).ravel(),
                               np.arange(8) * 2 + 0.5, rtol=1e-6)


def test_resize_preserve_aspect_ratio_and_errors():
    x = np.zeros((100, 80, 3), np.float32)
    assert tf.image.resize(x, [250, 250], preserve_aspect_ratio=True).shape == (250, 200, 3)
    assert tf.image.resize(np.zeros((100, 100, 10)), [75, 50], preserve_aspect_ratio=True).shape == (50, 50, 10)
    assert tf.image.resize(x, tf.constant([5, 6])).shape == (5, 6, 3)
    with pytest.raises(ValueError, match="3 or 4 dimensions"):
        tf.image.resize(np.zeros((4, 4), np.float32), [2, 2])
    with pytest.raises(ValueError, match="2 elements"):
        tf.image.resize(x, [2, 2, 2])
    with pytest.raises(ValueError, match="not implemented"):
        tf.image.resize(x, [2, 2], "cubic")
    with pytest.raises(ValueError, match="resize"):
        tf.image.resize(x, [0, 2])
    with pytest.raises(ValueError, match=r"resize.*\[1,2,3\]"):
        C["resize"](tf.constant(np.zeros((1, 2, 3), np.float32)), ints=(2, 2, 0, 0))


@pytest.mark.parametrize("code", range(12))
def test_resize_gradients(code):
    rng = np.random.default_rng(code)
    x = rng.random((2, 4, 5, 2))
    for aa in (0, 1):
        for sz in [(7, 3), (2, 9)]:
            check_grad(lambda t: C["resize"](t, ints=(sz[0], sz[1], code, aa)), [x])
    # resize_grad is linear too: its gradient is resize (second derivatives)
    check_grad(lambda t: C["resize_grad"](t, ints=(4, 5, code, 1)), [rng.random((2, 3, 7, 2))])


def test_resize_gradient_through_api():
    v = tf.Variable(np.random.default_rng(0).random((4, 5, 3)).astype(np.float32))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.image.resize(v, [8, 10]) * 2.0)
    g = np.asarray(tape.gradient(y, v))
    # every input pixel's total weight is (8/4)*(10/5) = 4 for an exact 2x upsampling
    np.testing.assert_allclose(g, np.full((4, 5, 3), 8.0), rtol=1e-5)


def test_resize_in_tf_function():
    f = tf.function(lambda x: tf.image.resize(x, [6, 4]))
    np.testing.assert_allclose(np.asarray(f(tf.constant(_UP))).ravel(), _UP_EXPECTED["bilinear"])


# ------------------------------------------------------------------------ transform
def _map(x, n, mode):
    if mode == "reflect":
        if x < 0:
            if n <= 1:
                x = 0.0
            else:
                s2 = 2 * n
                if x < s2:
                    x = s2 * int(-x / s2) + x
                x = x + s2 if x < -n else -x - 1
        elif x > n - 1:
            if n <= 1:
                x = 0.0
            else:
                s2 = 2 * n
                x -= s2 * int(x / s2)
                if x >= n:
                    x = s2 - x - 1
    elif mode == "wrap":
        if x < 0:
            if n <= 1:
                x = 0.0
            else:
                x += n * (int(-x / (n - 1)) + 1)
        elif x > n - 1:
            if n <= 1:
                x = 0.0
            else:
                x -= n * int(x / (n - 1))
    elif mode == "constant":
        return x
    return min(max(x, 0.0), n - 1.0)


def _ref_transform(img, t, interp, mode, fill, oh, ow):
    N, H, W, Ch = img.shape
    out = np.zeros((N, oh, ow, Ch), np.float64)

    def rd(n, y, x):
        return img[n, y, x].astype(np.float64) if (0 <= y < H and 0 <= x < W) else np.full(Ch, fill)
    for n in range(N):
        a = t[0 if len(t) == 1 else n]
        for y in range(oh):
            for x in range(ow):
                k = a[6] * x + a[7] * y + 1
                if k == 0:
                    out[n, y, x] = fill
                    continue
                ix = _map((a[0] * x + a[1] * y + a[2]) / k, W, mode)
                iy = _map((a[3] * x + a[4] * y + a[5]) / k, H, mode)
                if interp == "nearest":
                    out[n, y, x] = rd(n, int(math.floor(iy + 0.5)) if iy >= 0 else -int(math.floor(-iy + 0.5)),
                                      int(math.floor(ix + 0.5)) if ix >= 0 else -int(math.floor(-ix + 0.5)))
                else:
                    y0, x0 = math.floor(iy), math.floor(ix)
                    y1, x1 = y0 + 1, x0 + 1
                    vf = (x1 - ix) * rd(n, y0, x0) + (ix - x0) * rd(n, y0, x1)
                    vc = (x1 - ix) * rd(n, y1, x0) + (ix - x0) * rd(n, y1, x1)
                    out[n, y, x] = (y1 - iy) * vf + (iy - y0) * vc
    return out


def _rotation(angle, h, w):
    # Keras 2.5 get_rotation_matrix for one image
    x_off = ((w - 1) - (math.cos(angle) * (w - 1) - math.sin(angle) * (h - 1))) / 2.0
    y_off = ((h - 1) - (math.sin(angle) * (w - 1) + math.cos(angle) * (h - 1))) / 2.0
    return [math.cos(angle), -math.sin(angle), x_off, math.sin(angle), math.cos(angle), y_off, 0, 0]


@pytest.mark.parametrize("mode", ["reflect", "wrap", "constant", "nearest"])
@pytest.mark.parametrize("interp", ["nearest", "bilinear"])
def test_transform_against_model(mode, interp):
    rng = np.random.default_rng(3)
    img = rng.uniform(0, 100, (2, 7, 6, 3)).astype(np.float32)
    t = np.array([_rotation(0.7, 7, 6), [1.3, 0.2, -2.45, -0.1, 0.8, 3.23, 0.01, -0.02]], np.float32)
    y = I.transform(img, t, interpolation=interp, fill_mode=mode, fill_value=7.0)
    ref = _ref_transform(img, t.astype(np.float64), interp, mode, 7.0, 7, 6)
    np.testing.assert_allclose(np.asarray(y), ref, rtol=1e-4, atol=1e-3)
    # one transform for the whole batch, another output size
    y = I.transform(img, t[:1], interpolation=interp, fill_mode=mode, output_shape=[5, 9])
    ref = _ref_transform(img, t[:1].astype(np.float64), interp, mode, 0.0, 5, 9)
    np.testing.assert_allclose(np.asarray(y), ref, rtol=1e-4, atol=1e-3)


def test_transform_identity_translation_dtypes():
    img = np.arange(2 * 4 * 5 * 1, dtype=np.uint8).reshape(2, 4, 5, 1)
    ident = [1, 0, 0, 0, 1, 0, 0, 0]
    y = I.transform(img, ident)
    assert y.dtype == tf.uint8
    np.testing.assert_array_equal(np.asarray(y), img)
    # translate by one pixel to the right (output x samples input x - 1), constant fill
    y = I.transform(img[0], [1, 0, -1, 0, 1, 0, 0, 0], fill_mode="constant", fill_value=9)
    ref = np.concatenate([np.full((4, 1, 1), 9, np.uint8), img[0, :, :4]], axis=1)
    np.testing.assert_array_equal(np.asarray(y), ref)
    with pytest.raises(ValueError, match="transform"):
        I.transform(img, np.zeros((2, 7), np.float32))
    with pytest.raises(ValueError, match="transform"):
        I.transform(img, np.zeros((3, 8), np.float32))
    with pytest.raises(ValueError, match="fill_mode"):
        I.transform(img, ident, fill_mode="mirror")


# ------------------------------------------------------------------- the rest of tf.image
import colorsys  # noqa: E402

_RNG = np.random.default_rng(7)
_IMG_F = _RNG.random((2, 5, 6, 3)).astype(np.float32)
_IMG_U = (_IMG_F * 255).astype(np.uint8)


def _both(fn_tf, fn_np, x, **kw):
    """check the 4-D batch and its first 3-D image"""
    for a in (x, x[0]):
        y = fn_tf(a)
        np.testing.assert_allclose(np.asarray(y, np.float64), fn_np(a).astype(np.float64), **kw)
        assert y.dtype.as_numpy_dtype == fn_np(a).dtype


@pytest.mark.parametrize("x", [_IMG_F, _IMG_U], ids=["float32", "uint8"])
def test_flips_rot_transpose(x):
    _both(tf.image.flip_left_right, lambda a: a[..., ::-1, :], x)
    _both(tf.image.flip_up_down, lambda a: a[..., ::-1, :, :], x)
    for k in range(-1, 6):
        _both(lambda a: tf.image.rot90(a, k), lambda a: np.rot90(a, k, axes=(a.ndim - 3, a.ndim - 2)), x)
    _both(tf.image.transpose, lambda a: np.swapaxes(a, -3, -2), x)
    with pytest.raises(ValueError, match="flip_left_right.*3 or 4"):
        tf.image.flip_left_right(np.zeros((3, 3), np.float32))


def test_random_flips():
    tf.random.set_seed(1)
    x = np.arange(8 * 2 * 3, dtype=np.float32).reshape(8, 2, 3, 1)
    y = np.asarray(tf.image.random_flip_left_right(x))
    flipped = [np.array_equal(y[i], x[i, :, ::-1]) for i in range(8)]
    kept = [np.array_equal(y[i], x[i]) for i in range(8)]
    assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)
    seen = set()
    for _ in range(20):
        z = np.asarray(tf.image.random_flip_up_down(x[0]))
        assert np.array_equal(z, x[0]) or np.array_equal(z, x[0, ::-1])
        seen.add(np.array_equal(z, x[0]))
    assert seen == {True, False}


@pytest.mark.parametrize("x", [_IMG_F, _IMG_U], ids=["float32", "uint8"])
def test_crop_pad(x):
    _both(lambda a: tf.image.crop_to_bounding_box(a, 1, 2, 3, 4), lambda a: a[..., 1:4, 2:6, :], x)
    pad = lambda a: np.pad(a, [(0, 0)] * (a.ndim - 3) + [(2, 1), (1, 3), (0, 0)])  # noqa: E731
    _both(lambda a: tf.image.pad_to_bounding_box(a, 2, 1, 8, 10), pad, x)
    with pytest.raises(ValueError, match="crop_to_bounding_box.*height must be >= target"):
        tf.image.crop_to_bounding_box(x, 3, 0, 3, 2)
    with pytest.raises(ValueError, match="pad_to_bounding_box.*width must be <= target"):
        tf.image.pad_to_bounding_box(x, 0, 2, 5, 6)
    # central_crop: TF's integer start = int((h - h * f) / 2)
    _both(lambda a: tf.image.central_crop(a, 0.5), lambda a: a[..., 1:4, 1:5, :], x)
    with pytest.raises(ValueError, match=r"\(0, 1\]"):
        tf.image.central_crop(x, 0.0)
    # crop or pad: height 5 -> 3 (crop 1 from the top), width 6 -> 9 (pad 1 left, 2 right)
    ref = lambda a: np.pad(a[..., 1:4, :, :], [(0, 0)] * (a.ndim - 3) + [(0, 0), (1, 2), (0, 0)])  # noqa: E731
    _both(lambda a: tf.image.resize_with_crop_or_pad(a, 3, 9), ref, x)


def test_resize_with_pad_and_random_crop():
    x = _IMG_F[0]                                   # 5 x 6
    # ratio 0.6 -> 8.33 x 10 -> 8 x 10; top padding floor((10 - 8.33) / 2) = 0 (TF pads from the float size)
    y = tf.image.resize_with_pad(x, 10, 10)
    ref = np.pad(np.asarray(tf.image.resize(x, [8, 10])), [(0, 2), (0, 0), (0, 0)])
    np.testing.assert_allclose(np.asarray(y), ref)
    big = np.arange(10 * 12 * 3, dtype=np.float32).reshape(10, 12, 3)
    for _ in range(5):
        c = np.asarray(tf.image.random_crop(big, [4, 5, 3]))
        i, j = int(c[0, 0, 0]) // 36, (int(c[0, 0, 0]) % 36) // 3
        np.testing.assert_array_equal(c, big[i:i + 4, j:j + 5])
    with pytest.raises(ValueError, match="random_crop"):
        tf.image.random_crop(big, [11, 5, 3])


def test_convert_image_dtype():
    u = np.array([0, 1, 127, 128, 255], np.uint8)
    f = tf.image.convert_image_dtype(u, tf.float32)
    np.testing.assert_allclose(np.asarray(f), u.astype(np.float32) * np.float32(1 / 255))
    back = tf.image.convert_image_dtype(f, tf.uint8)
    np.testing.assert_array_equal(np.asarray(back), u)
    over = tf.image.convert_image_dtype(np.array([-0.5, 0.5, 1.5], np.float32), tf.uint8, saturate=True)
    np.testing.assert_array_equal(np.asarray(over), [0, 127, 255])   # 0.5 * 255.5 truncates
    i32 = tf.image.convert_image_dtype(u, tf.int32)     # scaling up: * (2^31 // 256)
    np.testing.assert_array_equal(np.asarray(i32), u.astype(np.int64) * (2 ** 31 // 256))
    np.testing.assert_array_equal(np.asarray(tf.image.convert_image_dtype(i32, tf.uint8)), u)
    assert tf.image.convert_image_dtype(f, tf.float64).dtype == tf.float64


def _to_f(a):
    return a if a.dtype == np.float32 else a.astype(np.float32) / np.float32(255)


def _from_f(y, dt):
    if dt == np.float32:
        return y.astype(np.float32)
    return np.clip(y * 255.5, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("x", [_IMG_F, _IMG_U], ids=["float32", "uint8"])
def test_adjust_brightness_contrast_gamma(x):
    _both(lambda a: tf.image.adjust_brightness(a, 0.1), lambda a: _from_f(_to_f(a) + 0.1, a.dtype), x,
          atol=1.01)

    def contrast(a):
        f = _to_f(a).astype(np.float64)
        m = f.mean(axis=(-3, -2), keepdims=True)
        return _from_f((f - m) * 1.7 + m, a.dtype)
    _both(lambda a: tf.image.adjust_contrast(a, 1.7), contrast, x, atol=1.01, rtol=1e-5)
    _both(lambda a: tf.image.adjust_gamma(a, 0.5, 1.2), lambda a: _from_f(1.2 * _to_f(a) ** 0.5, a.dtype),
          x, atol=1.01, rtol=1e-5)


def _np_hsv(a, fn):
    out = np.empty(a.shape, np.float64)
    for idx in np.ndindex(a.shape[:-1]):
        out[idx] = fn(*a[idx].astype(np.float64))
    return out


def test_rgb_hsv_roundtrip():
    for dt in (np.float32, np.float64):
        x = _IMG_F.astype(dt)
        h = tf.image.rgb_to_hsv(x)
        assert h.dtype.as_numpy_dtype == dt
        np.testing.assert_allclose(np.asarray(h), _np_hsv(x, colorsys.rgb_to_hsv), atol=1e-5)
        np.testing.assert_allclose(np.asarray(tf.image.hsv_to_rgb(h)), x, atol=1e-5)
        np.testing.assert_allclose(np.asarray(tf.image.hsv_to_rgb(np.asarray(h))),
                                   _np_hsv(np.asarray(h), colorsys.hsv_to_rgb), atol=1e-5)
    gray = np.full((2, 2, 3), 0.4, np.float32)      # range 0: hue 0, saturation 0
    np.testing.assert_allclose(np.asarray(tf.image.rgb_to_hsv(gray))[0, 0], [0, 0, 0.4], atol=1e-7)
    with pytest.raises(ValueError, match="rgb_to_hsv.*3 channels"):
        tf.image.rgb_to_hsv(np.zeros((2, 2, 4), np.float32))
    with pytest.raises(ValueError, match="rgb_to_hsv.*float"):
        tf.image.rgb_to_hsv(_IMG_U)


@pytest.mark.parametrize("x", [_IMG_F, _IMG_U], ids=["float32", "uint8"])
def test_adjust_saturation_hue(x):
    def sat(a):
        def f(r, g, b):
            h, s, v = colorsys.rgb_to_hsv(r, g, b)
            return colorsys.hsv_to_rgb(h, min(max(s * 1.6, 0), 1), v)
        return _from_f(_np_hsv(_to_f(a), f), a.dtype)

    def hue(a):
        def f(r, g, b):
            h, s, v = colorsys.rgb_to_hsv(r, g, b)
            return colorsys.hsv_to_rgb((h + 0.3) % 1.0, s, v)
        return _from_f(_np_hsv(_to_f(a), f), a.dtype)
    _both(lambda a: tf.image.adjust_saturation(a, 1.6), sat, x, atol=1.01 if x.dtype == np.uint8 else 1e-5)
    _both(lambda a: tf.image.adjust_hue(a, 0.3), hue, x, atol=1.01 if x.dtype == np.uint8 else 1e-5)
    _both(lambda a: tf.image.adjust_hue(a, 1.3), hue, x, atol=1.01 if x.dtype == np.uint8 else 1e-5)
    with pytest.raises(ValueError, match="adjust_hue.*3-D"):
        tf.image.adjust_hue(x[0, 0], 0.1)
    with pytest.raises(ValueError, match="adjust_saturation.*3 channels"):
        tf.image.adjust_saturation(x[..., :2], 0.1)


def test_random_colour_ops():
    tf.random.set_seed(3)
    x = _IMG_F
    for fn in (lambda a: tf.image.random_brightness(a, 0.2),
               lambda a: tf.image.random_contrast(a, 0.5, 1.5),
               lambda a: tf.image.random_saturation(a, 0.5, 1.5),
               lambda a: tf.image.random_hue(a, 0.2)):
        y = fn(x)
        assert y.shape == x.shape and y.dtype == tf.float32
        assert not np.allclose(np.asarray(y), x)
    d = np.asarray(tf.image.random_brightness(x, 0.2)) - x
    assert np.allclose(d, d.flat[0], atol=1e-6) and abs(d.flat[0]) <= 0.2
    with pytest.raises(ValueError, match="non-negative"):
        tf.image.random_brightness(x, -1)
    with pytest.raises(ValueError, match="upper must be > lower"):
        tf.image.random_contrast(x, 1.0, 0.5)
    with pytest.raises(ValueError, match="<= 0.5"):
        tf.image.random_hue(x, 0.6)


@pytest.mark.parametrize("x", [_IMG_F, _IMG_U], ids=["float32", "uint8"])
def test_grayscale_yuv(x):
    def gray(a):
        g = np.tensordot(_to_f(a), np.array([0.2989, 0.5870, 0.1140], np.float32), [[-1], [-1]])[..., None]
        return _from_f(g, a.dtype) if a.dtype == np.float32 else (g * 255.5).astype(np.uint8)
    _both(tf.image.rgb_to_grayscale, gray, x, atol=1.01 if x.dtype == np.uint8 else 1e-6)
    g = np.asarray(tf.image.rgb_to_grayscale(x))
    _both(tf.image.grayscale_to_rgb, lambda a: np.repeat(a, 3, axis=-1), g)
    if x.dtype == np.float32:
        yuv = tf.image.rgb_to_yuv(x)
        np.testing.assert_allclose(np.asarray(yuv)[..., 0], gray(x)[..., 0], atol=2e-4)
        np.testing.assert_allclose(np.asarray(tf.image.yuv_to_rgb(yuv)), x, atol=1e-5)


def test_standardization_total_variation_gradients():
    x = _IMG_U
    y = np.asarray(tf.image.per_image_standardization(x))
    f = x.astype(np.float64)
    m = f.mean(axis=(1, 2, 3), keepdims=True)
    s = np.maximum(f.std(axis=(1, 2, 3), keepdims=True), 1 / np.sqrt(5 * 6 * 3))
    np.testing.assert_allclose(y, (f - m) / s, rtol=1e-4, atol=1e-5)
    # TF's docstring example
    doc = tf.image.per_image_standardization(np.arange(1, 13, dtype=np.int32).reshape(2, 2, 3))
    assert doc.dtype == tf.float32
    np.testing.assert_allclose(np.asarray(doc)[0], [[-1.593255, -1.3035723, -1.0138896],
                                                    [-0.7242068, -0.4345241, -0.14484136]], rtol=1e-6)
    flat = np.asarray(tf.image.per_image_standardization(np.ones((4, 4, 1), np.float32)))
    np.testing.assert_array_equal(flat, 0)
    a = _IMG_F.astype(np.float64)
    tv = np.abs(np.diff(a, axis=1)).sum(axis=(1, 2, 3)) + np.abs(np.diff(a, axis=2)).sum(axis=(1, 2, 3))
    np.testing.assert_allclose(np.asarray(tf.image.total_variation(_IMG_F)), tv, rtol=1e-5)
    np.testing.assert_allclose(float(tf.image.total_variation(_IMG_F[0])), tv[0], rtol=1e-5)
    dy, dx = tf.image.image_gradients(_IMG_F)
    rdy = np.zeros_like(_IMG_F); rdy[:, :-1] = np.diff(_IMG_F, axis=1)
    rdx = np.zeros_like(_IMG_F); rdx[:, :, :-1] = np.diff(_IMG_F, axis=2)
    np.testing.assert_allclose(np.asarray(dy), rdy, atol=1e-6)
    np.testing.assert_allclose(np.asarray(dx), rdx, atol=1e-6)
    with pytest.raises(ValueError, match="image_gradients"):
        tf.image.image_gradients(_IMG_F[0])


def test_composed_gradients():
    a = _IMG_F[:, :3, :4].astype(np.float64)
    # adjust_contrast computes in float32 (TF's rule for float64 images): check d sum / dx = 1
    v = tf.Variable(_IMG_F)
    with tf.GradientTape() as tape:
        s = tf.reduce_sum(tf.image.adjust_contrast(v, 1.7))
    np.testing.assert_allclose(np.asarray(tape.gradient(s, v)), 1.0, rtol=1e-5)
    check_grad(lambda t: tf.image.central_crop(tf.image.flip_left_right(t), 0.5), [a])
    check_grad(lambda t: tf.image.rot90(tf.image.pad_to_bounding_box(t, 1, 0, 4, 5), 1), [a])
    check_grad(lambda t: tf.image.total_variation(t), [a + np.arange(a.size).reshape(a.shape)])


def test_random_ops_traced_in_tf_function():
    x = tf.constant(_IMG_F)
    for fn, shape in ((lambda a: tf.image.random_flip_left_right(a), (2, 5, 6, 3)),
                      (lambda a: tf.image.random_crop(a, [2, 3, 4, 3]), (2, 3, 4, 3)),
                      (lambda a: tf.image.random_brightness(a, 0.2), (2, 5, 6, 3)),
                      (lambda a: tf.image.random_contrast(a, 0.5, 1.5), (2, 5, 6, 3)),
                      (lambda a: tf.image.random_saturation(a, 0.5, 1.5), (2, 5, 6, 3)),
                      (lambda a: tf.image.random_hue(a, 0.2), (2, 5, 6, 3))):
        g = tf.function(fn)
        outs = [np.asarray(g(x)) for _ in range(4)]
        assert outs[0].shape == shape
        assert any(not np.array_equal(outs[0], o) for o in outs[1:])   # new draws on each call


def test_hsv_gradients():
    rng = np.random.default_rng(11)
    rgb = rng.uniform(0.05, 0.95, (3, 4, 3))
    check_grad(tf.image.rgb_to_hsv, [rgb], atol=1e-5)
    hsv = rng.uniform(0.05, 0.95, (3, 4, 3))
    check_grad(tf.image.hsv_to_rgb, [hsv], atol=1e-5)


def _ref_patches(x, k, s, r, pad):
    n, h, w, c = x.shape
    ek = [(k[i] - 1) * r[i] + 1 for i in range(2)]
    if pad == "SAME":
        o = [-(-h // s[0]), -(-w // s[1])]
        p = [max((o[0] - 1) * s[0] + ek[0] - h, 0), max((o[1] - 1) * s[1] + ek[1] - w, 0)]
        x = np.pad(x, [(0, 0), (p[0] // 2, p[0] - p[0] // 2), (p[1] // 2, p[1] - p[1] // 2), (0, 0)])
    else:
        o = [(h - ek[0]) // s[0] + 1, (w - ek[1]) // s[1] + 1]
    out = np.zeros((n, o[0], o[1], k[0] * k[1] * c), x.dtype)
    for i in range(o[0]):
        for j in range(o[1]):
            patch = x[:, i * s[0]: i * s[0] + ek[0]: r[0], j * s[1]: j * s[1] + ek[1]: r[1], :]
            out[:, i, j] = patch.reshape(n, -1)
    return out


@pytest.mark.parametrize("pad", ["VALID", "SAME"])
@pytest.mark.parametrize("k,s,r", [((2, 2), (1, 1), (1, 1)), ((3, 2), (2, 3), (1, 1)), ((2, 2), (1, 2), (2, 1))])
def test_extract_patches(pad, k, s, r):
    x = np.arange(2 * 7 * 8 * 2, dtype=np.float32).reshape(2, 7, 8, 2)
    y = tf.image.extract_patches(x, [1, *k, 1], [1, *s, 1], [1, *r, 1], pad)
    np.testing.assert_array_equal(np.asarray(y), _ref_patches(x, k, s, r, pad))


def test_resize_size_computed_in_tf_function_falls_back_to_eager():
    @tf.function
    def f(x):
        return tf.image.resize(x, tf.shape(x)[0:2] * 2)
    assert f(tf.zeros((3, 4, 1))).shape == (6, 8, 1)
    assert f(tf.zeros((3, 4, 1))).shape == (6, 8, 1)


def test_resize_from_worker_threads():
    # tf.data runs eager maps on worker threads: the kernels release the GIL and share no state
    from concurrent.futures import ThreadPoolExecutor
    rng = np.random.default_rng(5)
    imgs = [rng.integers(0, 256, (112, 112, 3), dtype=np.uint8) for _ in range(16)]
    want = [np.asarray(tf.image.resize(a, (160, 160))) for a in imgs]
    with ThreadPoolExecutor(4) as ex:
        got = list(ex.map(lambda a: np.asarray(tf.image.resize(a, (160, 160))), imgs * 3))
    for i, g in enumerate(got):
        np.testing.assert_array_equal(g, want[i % 16])


def test_psnr_and_views():
    a = _IMG_U
    b = np.clip(a.astype(np.int32) + 3, 0, 255).astype(np.uint8)
    mse = ((a / 255.0 - b / 255.0) ** 2).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(np.asarray(tf.image.psnr(a, b, 255)), -10 * np.log10(mse), rtol=1e-4)
    np.testing.assert_allclose(np.asarray(tf.image.psnr(_IMG_F, _IMG_F * 0.9, 1.0)),
                               -10 * np.log10(((_IMG_F * 0.1) ** 2).mean(axis=(1, 2, 3))), rtol=1e-4)
    # non-contiguous inputs (crops are views) are read correctly
    x = tf.constant(_IMG_F)
    crop = tf.image.crop_to_bounding_box(x, 1, 1, 3, 4)
    np.testing.assert_allclose(np.asarray(tf.image.resize(crop, [6, 8])),
                               np.asarray(tf.image.resize(np.ascontiguousarray(_IMG_F[:, 1:4, 1:5]), [6, 8])))
    np.testing.assert_allclose(np.asarray(tf.image.rgb_to_hsv(crop)),
                               np.asarray(tf.image.rgb_to_hsv(np.ascontiguousarray(_IMG_F[:, 1:4, 1:5]))))
    np.testing.assert_allclose(np.asarray(I.transform(crop, [1, 0, 0.5, 0, 1, 0.25, 0, 0], "bilinear")),
                               np.asarray(I.transform(np.ascontiguousarray(_IMG_F[:, 1:4, 1:5]),
                                                      [1, 0, 0.5, 0, 1, 0.25, 0, 0], "bilinear")))
