"""GPU pool family (csrc/kernels/pool.cu) against the CPU kernels (pool.c): every op over
window sizes / strides / VALID / SAME (odd, asymmetric padding included), ties (the first
maximum gets the gradient), NaN, empty and large shapes, float32 and float64, and
tf.GradientTape gradients (first and second order) on both devices."""
import numpy as np
import pytest

from minikeras import tf
from tests.gpu.conftest import assert_close, both

RNG = np.random.default_rng(99)
TOL = {np.float32: (1e-6, 1e-6), np.float64: (1e-13, 1e-13)}


def out_size(n, k, s, same):
    return -(-n // s) if same else (n - k + s) // s


# (N, H, W, C, kh, kw, sh, sw, same)
CASES = [
    (2, 6, 6, 3, 2, 2, 2, 2, 0),
    (2, 7, 7, 3, 2, 2, 2, 2, 1),      # SAME with one extra row / col at the bottom / right
    (2, 7, 8, 4, 3, 3, 2, 2, 1),      # overlapping windows
    (2, 7, 8, 4, 3, 3, 2, 2, 0),
    (1, 9, 6, 2, 3, 2, 1, 1, 1),      # stride 1, odd SAME pad on one axis
    (2, 10, 9, 5, 4, 3, 3, 2, 1),
    (1, 5, 5, 3, 7, 7, 1, 1, 1),      # window larger than the image
    (1, 4, 4, 2, 1, 1, 3, 3, 0),      # 1x1 windows, stride > window
    (3, 1, 9, 2, 1, 3, 1, 2, 1),      # 1-D pooling shape [N, 1, W, C]
    (1, 3, 3, 1, 3, 3, 5, 5, 1),      # stride larger than the image
]


def _args(case):
    N, H, W, Cc, kh, kw, sh, sw, same = case
    return (kh, kw, sh, sw, same)


def data(shape, dtype, ties=False):
    if ties:   # small integers after a relu: many equal values, many zeros
        return np.maximum(RNG.integers(-2, 3, size=shape), 0).astype(dtype)
    return RNG.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("case", CASES)
def test_pool_ops(case, ties, dtype):
    N, H, W, Cc, kh, kw, sh, sw, same = case
    a = _args(case)
    rtol, atol = TOL[dtype]
    x = data((N, H, W, Cc), dtype, ties)
    OH, OW = out_size(H, kh, sh, same), out_size(W, kw, sw, same)
    dy = data((N, OH, OW, Cc), dtype)
    g = data((N, H, W, Cc), dtype)
    for op, args, ints in [("max_pool2d", (x,), a), ("avg_pool2d", (x,), a),
                           ("max_pool2d_grad", (x, dy), a), ("max_pool2d_grad_grad", (x, g), a),
                           ("avg_pool2d_grad", (dy,), a + (H, W))]:
        cpu, gpu = both(op, *args, ints=ints)
        assert_close(cpu, gpu, rtol, atol, op)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_nan(dtype):
    x = data((2, 6, 6, 3), dtype)
    x[0, 0, 0, 0] = np.nan     # the first element of a window: the max is NaN
    x[0, 3, 3, 1] = np.nan     # later in a window: skipped (pool.c's rule)
    x[1, 2, 5, 2] = np.nan
    dy = data((2, 3, 3, 3), dtype)
    for op, args in [("max_pool2d", (x,)), ("avg_pool2d", (x,)), ("max_pool2d_grad", (x, dy)),
                     ("max_pool2d_grad_grad", (x, x))]:
        cpu, gpu = both(op, *args, ints=(2, 2, 2, 2, 1))
        assert_close(cpu, gpu, 1e-6, 1e-6, op)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_empty(dtype):
    for shape, a in [((0, 4, 4, 3), (2, 2, 2, 2, 0)), ((2, 4, 4, 0), (2, 2, 2, 2, 1)),
                     ((2, 0, 4, 3), (2, 2, 2, 2, 1)), ((2, 1, 4, 3), (2, 2, 2, 2, 0))]:
        x = data(shape, dtype)
        cpu, gpu = both("max_pool2d", x, ints=a)
        assert cpu.shape == gpu.shape
        dy = data(cpu.shape, dtype)
        cpu, gpu = both("max_pool2d_grad", x, dy, ints=a)
        assert_close(cpu, gpu, what="max_pool2d_grad empty")
        cpu, gpu = both("avg_pool2d_grad", dy, ints=a + shape[1:3])
        assert_close(cpu, gpu, what="avg_pool2d_grad empty")
        cpu, gpu = both("max_pool2d_grad_grad", x, x, ints=a)
        assert_close(cpu, gpu, what="max_pool2d_grad_grad empty")


def test_large():
    x = data((4, 128, 128, 16), np.float32)          # 1M elements
    a = (3, 3, 2, 2, 1)
    cpu, gpu = both("max_pool2d", x, ints=a)
    assert_close(cpu, gpu, 0, 0, "max_pool2d")
    dy = data(cpu.shape, np.float32)
    cpu, gpu = both("max_pool2d_grad", x, dy, ints=a)
    assert_close(cpu, gpu, 1e-6, 1e-6, "max_pool2d_grad")
    cpu, gpu = both("avg_pool2d", x, ints=a)
    assert_close(cpu, gpu, 1e-6, 1e-6, "avg_pool2d")
    cpu, gpu = both("avg_pool2d_grad", dy, ints=a + (128, 128))
    assert_close(cpu, gpu, 1e-6, 1e-6, "avg_pool2d_grad")


# ---- gradients through tf.GradientTape ---------------------------------------------------

def grads_on(device, fn, x):
    with tf.device(device):
        xt = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            y = fn(xt)
            loss = tf.math.reduce_sum(y * y)
        return np.array(y), np.array(tape.gradient(loss, xt))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("pool", ["max", "avg"])
@pytest.mark.parametrize("ksize,strides,padding", [(2, 2, "VALID"), (3, 2, "SAME"), (2, 1, "SAME")])
def test_pool_gradients(pool, ksize, strides, padding, dtype):
    x = data((2, 7, 7, 3), dtype)
    fn = (lambda t: tf.nn.max_pool2d(t, ksize, strides, padding)) if pool == "max" else \
         (lambda t: tf.nn.avg_pool2d(t, ksize, strides, padding))
    yc, gc = grads_on("/CPU:0", fn, x)
    yg, gg = grads_on("/GPU:0", fn, x)
    assert_close(yc, yg, 1e-6, 1e-6, "forward")
    assert_close(gc, gg, 1e-6, 1e-6, "gradient")


def test_max_pool_second_order():
    x = data((2, 6, 6, 2), np.float64, ties=True)

    def run(device):
        with tf.device(device):
            xt = tf.constant(x)
            v = tf.constant(np.linspace(-1, 1, 2 * 3 * 3 * 2).reshape(2, 3, 3, 2))
            with tf.GradientTape() as t2:
                t2.watch(v)
                with tf.GradientTape() as t1:
                    t1.watch(xt)
                    y = tf.math.reduce_sum(tf.nn.max_pool2d(xt, 3, 2, "SAME") * v)
                gx = t1.gradient(y, xt)
                s = tf.math.reduce_sum(gx * xt)
            return np.array(gx), np.array(t2.gradient(s, v))

    (a1, a2), (b1, b2) = run("/CPU:0"), run("/GPU:0")
    assert_close(a1, b1, what="max_pool2d_grad")
    assert_close(a2, b2, what="max_pool2d_grad_grad")
