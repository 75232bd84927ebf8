"""Pool family: max/avg pooling (tf.nn.*pool*) against numpy, gradients, errors."""
import numpy as np
import pytest

from minikeras import _core, tf
from minikeras.engine.api import pool as P
from tests.gradcheck import check_grad

rng = np.random.default_rng(0)


def _geom(n, k, s, same):
    if same:
        o = -(-n // s)
        return o, max((o - 1) * s + k - n, 0) // 2
    return (n - k + s) // s, 0


def np_pool(x, k, s, same, mode):
    """NHWC reference: windows clipped to the input (TF's SAME averages valid elements only)."""
    N, H, W, Ch = x.shape
    OH, ph = _geom(H, k[0], s[0], same)
    OW, pw = _geom(W, k[1], s[1], same)
    y = np.zeros((N, OH, OW, Ch), np.float64)
    for oy in range(OH):
        for ox in range(OW):
            y0, x0 = oy * s[0] - ph, ox * s[1] - pw
            win = x[:, max(y0, 0):y0 + k[0], max(x0, 0):x0 + k[1], :].astype(np.float64)
            y[:, oy, ox] = win.max(axis=(1, 2)) if mode == "max" else win.mean(axis=(1, 2))
    return y


def np_max_grad(x, dy, k, s, same):
    """dy to the first maximum of each window (row-major), as TF's MaxPoolGrad."""
    N, H, W, Ch = x.shape
    OH, ph = _geom(H, k[0], s[0], same)
    OW, pw = _geom(W, k[1], s[1], same)
    dx = np.zeros(x.shape, np.float64)
    for n in range(N):
        for c in range(Ch):
            for oy in range(OH):
                for ox in range(OW):
                    y0, x0 = max(oy * s[0] - ph, 0), max(ox * s[1] - pw, 0)
                    win = x[n, y0:oy * s[0] - ph + k[0], x0:ox * s[1] - pw + k[1], c]
                    i = np.argmax(win)       # first maximum
                    dx[n, y0 + i // win.shape[1], x0 + i % win.shape[1], c] += dy[n, oy, ox, c]
    return dx


CASES = [((2, 7, 9, 3), (3, 2), (2, 3)), ((1, 5, 5, 4), (2, 2), (2, 2)), ((2, 6, 7, 5), (3, 3), (1, 1)),
         ((1, 4, 4, 2), (5, 5), (1, 1)), ((3, 1, 1, 2), (1, 1), (1, 1)), ((2, 9, 8, 17), (2, 3), (3, 2)),
         ((0, 4, 4, 2), (2, 2), (2, 2)), ((1, 4, 5, 0), (2, 2), (1, 1)), ((1, 26, 26, 8), (2, 2), (2, 2))]
TOL = {"float32": 1e-5, "float64": 1e-12, "float16": 2e-3}


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("shape,k,s", CASES)
@pytest.mark.parametrize("padding", ["VALID", "SAME"])
def test_pool2d_forward(dtype, shape, k, s, padding):
    x = rng.normal(size=shape).astype(dtype)
    for mode, fn in (("max", tf.nn.max_pool2d), ("avg", tf.nn.avg_pool2d)):
        y = fn(x, ksize=k, strides=s, padding=padding)
        ref = np_pool(x, k, s, padding == "SAME", mode)
        assert y.dtype == dtype and tuple(y.shape) == ref.shape
        np.testing.assert_allclose(np.asarray(y).astype(np.float64), ref, atol=TOL[dtype],
                                   rtol=TOL[dtype])


def test_same_odd_sizes_asymmetric():
    # 5 wide, k=2, s=2, SAME: padding only on the right (TF): windows [0,1],[2,3],[4]
    x = np.arange(5, dtype=np.float32).reshape(1, 1, 5, 1)
    y = tf.nn.avg_pool2d(x, (1, 2), (1, 2), "SAME")
    np.testing.assert_allclose(np.asarray(y).ravel(), [0.5, 2.5, 4.0])
    # k=4, s=1, SAME over 5: pad 1 before, 2 after
    y = tf.nn.max_pool2d(-x, (1, 4), 1, "SAME")
    np.testing.assert_allclose(np.asarray(y).ravel(), [0, 0, -1, -2, -3])
    y = tf.nn.avg_pool2d(x, (1, 4), 1, "SAME")
    np.testing.assert_allclose(np.asarray(y).ravel(), [1.0, 1.5, 2.5, 3.0, 3.5])


def test_max_pool_grad_first_max_ties():
    x = np.zeros((1, 2, 4, 1), np.float32)    # all ties: each window's dy goes to its top-left
    with tf.GradientTape() as t:
        xt = tf.constant(x)
        t.watch(xt)
        y = tf.nn.max_pool2d(xt, 2, 2, "VALID")
    g = np.asarray(t.gradient(y, xt))
    np.testing.assert_array_equal(g[0, :, :, 0], [[1, 0, 1, 0], [0, 0, 0, 0]])
    # overlapping windows add up
    x = np.array([[0, 5, 0, 0]], np.float32).reshape(1, 1, 4, 1)
    with tf.GradientTape() as t:
        xt = tf.constant(x)
        t.watch(xt)
        y = tf.nn.max_pool2d(xt, (1, 2), 1, "VALID")
    np.testing.assert_array_equal(np.asarray(t.gradient(y, xt)).ravel(), [0, 2, 1, 0])


@pytest.mark.parametrize("shape,k,s", CASES[:6] + CASES[8:])
@pytest.mark.parametrize("padding", ["VALID", "SAME"])
def test_max_pool_grad_matches_numpy(shape, k, s, padding):
    x = rng.normal(size=shape).astype(np.float32)
    x[..., 0] = np.round(x[..., 0])      # ties in one channel
    xt = tf.constant(x)
    with tf.GradientTape() as t:
        t.watch(xt)
        y = tf.nn.max_pool2d(xt, k, s, padding)
    dy = rng.normal(size=tuple(y.shape)).astype(np.float32)
    g = t.gradient(y, xt, output_gradients=tf.constant(dy))
    np.testing.assert_allclose(np.asarray(g), np_max_grad(x, dy, k, s, padding == "SAME"),
                               atol=1e-5)


@pytest.mark.parametrize("shape,k,s", [((2, 5, 6, 2), (2, 3), (2, 2)), ((1, 5, 5, 2), (3, 3), (1, 2)),
                                       ((1, 4, 7, 1), (4, 2), (3, 3))])
@pytest.mark.parametrize("padding", ["VALID", "SAME"])
def test_pool_gradients_fd(shape, k, s, padding):
    x = rng.normal(size=shape)
    check_grad(lambda a: tf.nn.max_pool2d(a, k, s, padding), [x])
    check_grad(lambda a: tf.nn.avg_pool2d(a, k, s, padding), [x])


def test_pool_second_order():
    x = rng.normal(size=(1, 5, 5, 2))
    k, s = (3, 3), (2, 2)

    def first(fn):
        def f(a, d):
            with tf.GradientTape() as t:
                t.watch(a)
                y = fn(a, k, s, "SAME")
            return t.gradient(y, a, output_gradients=d)
        return f

    d = rng.normal(size=(1, 3, 3, 2))
    check_grad(first(tf.nn.avg_pool2d), [x, d])
    check_grad(first(tf.nn.max_pool2d), [x, d])


def test_pool1d_and_nd_dispatch():
    x = rng.normal(size=(2, 9, 3)).astype(np.float32)
    y = tf.nn.max_pool1d(x, 3, 2, "VALID")
    ref = np_pool(x[:, None], (1, 3), (1, 2), False, "max")[:, 0]
    np.testing.assert_allclose(np.asarray(y), ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(tf.nn.max_pool(x, [3], [2], "VALID")), ref, rtol=1e-5, atol=1e-6)
    y = tf.nn.avg_pool1d(x, 2, 2, "SAME")
    np.testing.assert_allclose(np.asarray(y), np_pool(x[:, None], (1, 2), (1, 2), True, "avg")[:, 0],
                               rtol=1e-5, atol=1e-6)
    # NCW
    y = tf.nn.avg_pool1d(np.transpose(x, (0, 2, 1)), 2, 2, "SAME", data_format="NCW")
    np.testing.assert_allclose(np.transpose(np.asarray(y), (0, 2, 1)),
                               np_pool(x[:, None], (1, 2), (1, 2), True, "avg")[:, 0], rtol=1e-5, atol=1e-6)
    x4 = rng.normal(size=(2, 6, 6, 3)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(tf.nn.avg_pool(x4, 2, 2, "VALID")),
                               np_pool(x4, (2, 2), (2, 2), False, "avg"), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(tf.nn.max_pool(x4, [1, 3, 3, 1], [1, 2, 2, 1], "SAME")),
                               np_pool(x4, (3, 3), (2, 2), True, "max"), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(tf.nn.pool(x4, [2, 3], "MAX", strides=[2, 1])),
                               np_pool(x4, (2, 3), (2, 1), False, "max"), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(tf.nn.pool(x, [3], "AVG", padding="SAME")),
                               np_pool(x[:, None], (1, 3), (1, 1), True, "avg")[:, 0], rtol=1e-5, atol=1e-6)


def test_nchw():
    x = rng.normal(size=(2, 3, 7, 6)).astype(np.float32)
    y = tf.nn.max_pool2d(x, 3, 2, "SAME", data_format="NCHW")
    ref = np_pool(np.transpose(x, (0, 2, 3, 1)), (3, 3), (2, 2), True, "max")
    np.testing.assert_allclose(np.transpose(np.asarray(y), (0, 2, 3, 1)), ref, rtol=1e-5, atol=1e-6)
    y = tf.nn.avg_pool2d(x, [1, 1, 2, 2], [1, 1, 2, 2], "VALID", data_format="NCHW")
    ref = np_pool(np.transpose(x, (0, 2, 3, 1)), (2, 2), (2, 2), False, "avg")
    np.testing.assert_allclose(np.transpose(np.asarray(y), (0, 2, 3, 1)), ref, rtol=1e-5, atol=1e-6)


def test_pool_in_tf_function():
    @tf.function
    def f(a):
        with tf.GradientTape() as t:
            t.watch(a)
            y = tf.nn.max_pool2d(a, 2, 2, "VALID") * 2.0
        return y, t.gradient(y, a)

    x = rng.normal(size=(2, 4, 4, 3)).astype(np.float32)
    y, g = f(tf.constant(x))
    np.testing.assert_allclose(np.asarray(y), 2 * np_pool(x, (2, 2), (2, 2), False, "max"), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(g), 2 * np_max_grad(x, np.ones((2, 2, 2, 3)), (2, 2), (2, 2),
                                                              False), rtol=1e-5, atol=1e-6)


def test_pool_errors():
    x = np.zeros((1, 4, 4, 1), np.float32)
    with pytest.raises(ValueError, match="4-dimensional"):
        tf.nn.max_pool2d(np.zeros((4, 4, 1), np.float32), 2, 2, "VALID")
    with pytest.raises(ValueError, match="padding"):
        tf.nn.max_pool2d(x, 2, 2, "FULL")
    with pytest.raises(ValueError, match="ksize should be of length"):
        tf.nn.max_pool2d(x, [2, 2, 2], 2, "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match="negative.*\\[1,4,4,1\\]"):
        tf.nn.max_pool2d(x, 6, 1, "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match="ksize and strides must be >= 1"):
        tf.nn.avg_pool2d(x, 0, 1, "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match="batch or depth"):
        tf.nn.max_pool2d(x, [1, 2, 2, 2], 1, "VALID")
    with pytest.raises(TypeError, match="int32"):
        tf.nn.max_pool2d(np.zeros((1, 4, 4, 1), np.int32), 2, 2, "VALID")
    with pytest.raises(tf.errors.InvalidArgumentError, match="max_pool2d: input must be float"):
        _core.ops["max_pool2d"](_core.from_buffer(np.zeros((1, 4, 4, 1), np.int32)), ints=(2, 2, 2, 2, 0))
    with pytest.raises(tf.errors.InvalidArgumentError, match="max_pool2d_grad: gradient has shape "
                       "\\[1,3,3,1\\] but the pooling expects \\[1,2,2,1\\]"):
        _core.ops["max_pool2d_grad"](_core.from_buffer(x), _core.from_buffer(np.zeros((1, 3, 3, 1), np.float32)),
                                     ints=(2, 2, 2, 2, 0))
    with pytest.raises(ValueError, match="rank 3, 4 or 5"):
        tf.nn.max_pool(np.zeros((4, 4), np.float32), 2, 2, "VALID")
