"""GPU conv family (csrc/kernels/conv.cu, cuDNN) against the CPU kernels (conv.c): every op over
strides / dilations / VALID / SAME (odd, asymmetric padding included) / groups / depthwise
multipliers / bias + relu / empty and large shapes, float32 (TF32 tolerances) and float64,
and tf.GradientTape gradients on both devices."""
import numpy as np
import pytest

from minikeras import _core, tf
from tests.gpu.conftest import assert_close, both, run_on

C = _core.ops
RNG = np.random.default_rng(1234)

# TF32 (the default) rounds products to 10-bit mantissas: ~1e-3 relative, scaled by the output size
TOL = {np.float32: 2e-3, np.float64: 1e-10}


def close(cpu, gpu, dtype, what=""):
    cpu, gpu = np.asarray(cpu), np.asarray(gpu)
    scale = max(1.0, float(np.abs(cpu).max())) if cpu.size else 1.0
    tol = TOL[dtype]
    assert_close(cpu, gpu, rtol=tol, atol=tol * scale, what=what)


def rnd(shape, dtype):
    return RNG.standard_normal(shape).astype(dtype)


def out_size(n, k, s, d, same):
    ek = (k - 1) * d + 1
    return -(-n // s) if same else (max((n - ek) // s + 1, 0))


# (N, H, W, CI, KH, KW, CIg, CO, strides, dilations, same)
CASES = [
    (2, 7, 6, 4, 3, 3, 4, 5, (1, 1), (1, 1), 0),
    (2, 7, 6, 4, 3, 3, 4, 5, (1, 1), (1, 1), 1),
    (2, 7, 6, 3, 2, 2, 3, 4, (1, 1), (1, 1), 1),      # SAME with odd total padding (1 row / col)
    (2, 8, 9, 3, 3, 3, 3, 4, (2, 2), (1, 1), 1),      # odd padding from the stride
    (1, 9, 7, 2, 4, 4, 2, 3, (1, 1), (1, 1), 1),      # pad 3: 1 top, 2 bottom
    (2, 10, 11, 3, 3, 2, 3, 4, (2, 3), (1, 1), 0),    # different strides per axis
    (2, 10, 11, 3, 3, 2, 3, 4, (2, 3), (1, 1), 1),
    (2, 11, 10, 3, 3, 3, 3, 2, (1, 1), (2, 2), 0),    # dilated
    (2, 11, 10, 3, 3, 3, 3, 2, (1, 1), (2, 3), 1),
    (2, 12, 12, 3, 2, 3, 3, 2, (2, 1), (3, 2), 1),    # dilated, strided, odd SAME
    (2, 6, 6, 6, 3, 3, 2, 6, (1, 1), (1, 1), 1),      # groups = 3
    (2, 7, 7, 8, 2, 2, 4, 6, (2, 2), (1, 1), 1),      # groups = 2, odd SAME
    (2, 5, 5, 8, 1, 1, 8, 16, (1, 1), (1, 1), 0),     # 1x1
    (2, 5, 5, 8, 1, 1, 8, 16, (2, 2), (1, 1), 1),     # 1x1 strided
    (3, 9, 9, 1, 3, 3, 1, 8, (1, 1), (1, 1), 1),      # one input channel
    (1, 1, 1, 3, 3, 3, 3, 2, (1, 1), (1, 1), 1),      # 1x1 image, SAME
    (1, 3, 3, 2, 5, 5, 2, 2, (1, 1), (1, 1), 1),      # filter larger than the image
    (2, 4, 4, 3, 3, 3, 3, 2, (5, 5), (1, 1), 1),      # stride larger than the image
]


def _ints(case):
    N, H, W, CI, KH, KW, CIg, CO, s, d, same = case
    return (s[0], s[1], d[0], d[1], same)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", CASES)
def test_conv2d_ops(case, dtype):
    N, H, W, CI, KH, KW, CIg, CO, s, d, same = case
    g = _ints(case)
    x, w = rnd((N, H, W, CI), dtype), rnd((KH, KW, CIg, CO), dtype)
    OH, OW = out_size(H, KH, s[0], d[0], same), out_size(W, KW, s[1], d[1], same)
    dy = rnd((N, OH, OW, CO), dtype)
    cpu, gpu = both("conv2d", x, w, ints=g)
    close(cpu, gpu, dtype, "conv2d")
    cpu, gpu = both("conv2d_backprop_input", dy, w, ints=g + (H, W, CI))
    close(cpu, gpu, dtype, "conv2d_backprop_input")
    cpu, gpu = both("conv2d_backprop_filter", x, dy, ints=g + (KH, KW, CIg))
    close(cpu, gpu, dtype, "conv2d_backprop_filter")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("relu", [0, 1])
@pytest.mark.parametrize("case", [CASES[1], CASES[2], CASES[10]])
def test_conv2d_bias_relu(case, relu, dtype):
    N, H, W, CI, KH, KW, CIg, CO, s, d, same = case
    x, w, b = rnd((N, H, W, CI), dtype), rnd((KH, KW, CIg, CO), dtype), rnd((CO,), dtype)
    cpu, gpu = both("conv2d", x, w, b, ints=_ints(case) + (relu,))
    close(cpu, gpu, dtype, "conv2d bias/relu")
    cpu, gpu = both("conv2d", x, w, ints=_ints(case) + (relu,))
    close(cpu, gpu, dtype, "conv2d relu, no bias")


# (N, H, W, C, KH, KW, DM, strides, dilations, same)
DW_CASES = [
    (2, 7, 6, 3, 3, 3, 1, (1, 1), (1, 1), 0),
    (2, 7, 6, 3, 3, 3, 2, (1, 1), (1, 1), 1),
    (2, 8, 9, 4, 2, 2, 3, (1, 1), (1, 1), 1),     # odd SAME padding, multiplier 3
    (2, 9, 8, 4, 3, 3, 1, (2, 2), (1, 1), 1),
    (2, 11, 10, 2, 3, 3, 2, (1, 1), (2, 2), 1),   # dilated
    (2, 11, 10, 5, 3, 2, 1, (2, 3), (1, 1), 0),
    (1, 6, 6, 32, 3, 3, 1, (1, 1), (1, 1), 1),    # many channels (MobileNet-like)
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", DW_CASES)
def test_depthwise_ops(case, dtype):
    N, H, W, Cc, KH, KW, DM, s, d, same = case
    g = (s[0], s[1], d[0], d[1], same)
    x, w = rnd((N, H, W, Cc), dtype), rnd((KH, KW, Cc, DM), dtype)
    OH, OW = out_size(H, KH, s[0], d[0], same), out_size(W, KW, s[1], d[1], same)
    dy = rnd((N, OH, OW, Cc * DM), dtype)
    cpu, gpu = both("depthwise_conv2d", x, w, ints=g)
    close(cpu, gpu, dtype, "depthwise_conv2d")
    b = rnd((Cc * DM,), dtype)
    cpu, gpu = both("depthwise_conv2d", x, w, b, ints=g + (1,))
    close(cpu, gpu, dtype, "depthwise_conv2d bias/relu")
    cpu, gpu = both("depthwise_conv2d_backprop_input", dy, w, ints=g + (H, W, Cc))
    close(cpu, gpu, dtype, "depthwise_conv2d_backprop_input")
    cpu, gpu = both("depthwise_conv2d_backprop_filter", x, dy, ints=g + (KH, KW, DM))
    close(cpu, gpu, dtype, "depthwise_conv2d_backprop_filter")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_empty_shapes(dtype):
    g = (1, 1, 1, 1, 0)
    # empty batch
    cpu, gpu = both("conv2d", rnd((0, 5, 5, 3), dtype), rnd((3, 3, 3, 4), dtype), ints=g)
    assert gpu.shape == (0, 3, 3, 4)
    # VALID with the filter larger than the image: no output pixels
    x, w = rnd((2, 2, 2, 3), dtype), rnd((3, 3, 3, 4), dtype)
    cpu, gpu = both("conv2d", x, w, ints=g)
    assert gpu.shape == (2, 0, 0, 4)
    cpu, gpu = both("conv2d_backprop_input", rnd((2, 0, 0, 4), dtype), w, ints=g + (2, 2, 3))
    close(cpu, gpu, dtype, "bin with empty dy")   # zeros
    cpu, gpu = both("conv2d_backprop_filter", x, rnd((2, 0, 0, 4), dtype), ints=g + (3, 3, 3))
    close(cpu, gpu, dtype, "bfil with empty dy")  # zeros
    # no output channels
    cpu, gpu = both("conv2d", rnd((2, 4, 4, 3), dtype), rnd((3, 3, 3, 0), dtype), ints=g)
    assert gpu.shape == (2, 2, 2, 0)
    # no input channels: y = relu(bias)
    b = rnd((4,), dtype)
    cpu, gpu = both("conv2d", rnd((2, 4, 4, 0), dtype), rnd((3, 3, 0, 4), dtype), b, ints=g + (1,))
    close(cpu, gpu, dtype, "conv2d CI = 0")
    # empty batch for the backprop ops
    cpu, gpu = both("conv2d_backprop_filter", rnd((0, 5, 5, 3), dtype), rnd((0, 3, 3, 4), dtype),
                    ints=g + (3, 3, 3))
    close(cpu, gpu, dtype, "bfil N = 0")
    cpu, gpu = both("depthwise_conv2d_backprop_filter", rnd((0, 5, 5, 3), dtype), rnd((0, 3, 3, 6), dtype),
                    ints=g + (3, 3, 2))
    close(cpu, gpu, dtype, "dw bfil N = 0")


def test_large_float32():
    # > 1M output elements, a ResNet-like 3x3 layer
    x, w = rnd((5, 64, 64, 32), np.float32), rnd((3, 3, 32, 64), np.float32)
    cpu, gpu = both("conv2d", x, w, ints=(1, 1, 1, 1, 1))
    close(cpu, gpu, np.float32, "large conv2d")
    dy = rnd(cpu.shape, np.float32)
    cpu, gpu = both("conv2d_backprop_input", dy, w, ints=(1, 1, 1, 1, 1, 64, 64, 32))
    close(cpu, gpu, np.float32, "large bin")
    cpu, gpu = both("conv2d_backprop_filter", x, dy, ints=(1, 1, 1, 1, 1, 3, 3, 32))
    close(cpu, gpu, np.float32, "large bfil")
    x, w = rnd((4, 64, 64, 64), np.float32), rnd((3, 3, 64, 1), np.float32)
    cpu, gpu = both("depthwise_conv2d", x, w, ints=(2, 2, 1, 1, 1))
    close(cpu, gpu, np.float32, "large depthwise")


def test_float32_without_tf32():
    x, w = rnd((2, 9, 9, 16), np.float32), rnd((3, 3, 16, 8), np.float32)
    tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        cpu, gpu = both("conv2d", x, w, ints=(1, 1, 1, 1, 1))
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(True)
    assert_close(cpu, gpu, rtol=1e-4, atol=1e-4 * np.abs(cpu).max(), what="conv2d FP32")


def test_strided_view_inputs():
    # the ops are MK_OP_CONTIG: a transposed view reaches the kernel densified
    xt = rnd((2, 4, 7, 6), np.float32)          # [N, C, H, W]
    w = rnd((3, 3, 4, 5), np.float32)

    def fn(a, b, ints=(), floats=(), nout=1):
        return C["conv2d"](C["transpose"](a, ints=(0, 2, 3, 1)), b, ints=ints)

    cpu = run_on("/CPU:0", fn, xt, w, ints=(1, 1, 1, 1, 1))
    gpu = run_on("/GPU:0", fn, xt, w, ints=(1, 1, 1, 1, 1))
    close(cpu, gpu, np.float32, "conv2d of a transposed view")


# ---- gradients through tf.GradientTape on both devices --------------------------------

def grads_on(device, fn, arrays):
    with tf.device(device):
        ts = [tf.constant(a) for a in arrays]
        with tf.GradientTape() as tape:
            for t in ts:
                tape.watch(t)
            y = fn(*ts)
            loss = tf.math.reduce_sum(y * y)
        gs = tape.gradient(loss, ts)
        return np.array(y), [np.array(g) for g in gs]


def compare_grads(fn, arrays, dtype):
    yc, gc = grads_on("/CPU:0", fn, arrays)
    yg, gg = grads_on("/GPU:0", fn, arrays)
    close(yc, yg, dtype, "forward")
    for k, (a, b) in enumerate(zip(gc, gg)):
        close(a, b, dtype, f"gradient {k}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("strides,dil,padding", [((1, 1), (1, 1), "SAME"), ((2, 2), (1, 1), "SAME"),
                                                  ((1, 1), (2, 2), "VALID"), ((2, 1), (1, 1), "VALID")])
def test_conv2d_gradients(strides, dil, padding, dtype):
    x, w = rnd((2, 8, 7, 3), dtype), rnd((3, 2, 3, 4), dtype)
    compare_grads(lambda a, b: tf.nn.conv2d(a, b, strides, padding, dilations=dil), [x, w], dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_conv2d_transpose_gradients(dtype):
    dy, w = rnd((2, 4, 4, 4), dtype), rnd((3, 3, 3, 4), dtype)
    compare_grads(lambda a, b: tf.nn.conv2d_transpose(a, b, (2, 8, 7, 3), 2, "SAME"), [dy, w], dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dm", [1, 2])
def test_depthwise_gradients(dm, dtype):
    x, w = rnd((2, 8, 7, 3), dtype), rnd((3, 3, 3, dm), dtype)
    compare_grads(lambda a, b: tf.nn.depthwise_conv2d(a, b, (1, 2, 2, 1), "SAME"), [x, w], dtype)


def test_conv2d_second_order():
    x, w = rnd((2, 6, 6, 3), np.float64), rnd((3, 3, 3, 2), np.float64)

    def hvp(device):
        with tf.device(device):
            xt, wt = tf.constant(x), tf.constant(w)
            with tf.GradientTape() as t2:
                t2.watch(wt)
                with tf.GradientTape() as t1:
                    t1.watch(xt)
                    y = tf.math.reduce_sum(tf.nn.conv2d(xt, wt, 1, "SAME") ** 2)
                gx = t1.gradient(y, xt)
                s = tf.math.reduce_sum(gx * gx)
            return np.array(t2.gradient(s, wt))

    close(hvp("/CPU:0"), hvp("/GPU:0"), np.float64, "second order")
