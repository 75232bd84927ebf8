"""GPU norm family (csrc/kernels/norm.cu: cuDNN batch norm + direct kernels) against the CPU
kernels (norm.c): fused_batch_norm (y, batch mean, UNBIASED batch variance, saved mean, saved
inverse std), fused_batch_norm_inference and fused_batch_norm_grad in both modes, over 2-D /
4-D / 5-D shapes, M = 0 / 1 / 2 rows per channel (the direct path), C = 0, epsilon 0, large
offsets, > 1M elements, float32 and float64, and tf.GradientTape gradients on both devices."""
import numpy as np
import pytest

from minikeras import tf
from tests.gpu.conftest import assert_close, both

RNG = np.random.default_rng(7)
# cuDNN sums in float32 for float32 data (norm.c in double)
TOL = {np.float32: (1e-4, 1e-4), np.float64: (1e-10, 1e-10)}

SHAPES = [(8, 5, 5, 3), (4, 6, 6, 32), (2, 3, 4, 5, 7), (16, 3), (2, 3), (1, 4), (1, 1, 1, 6), (0, 3),
          (3, 0), (2, 2, 2, 1)]


def rnd(shape, dtype, loc=0.0, scale=1.0):
    return (loc + scale * RNG.standard_normal(shape)).astype(dtype)


def close(cpu, gpu, dtype, what):
    rtol, atol = TOL[dtype]
    assert_close(cpu, gpu, rtol, atol, what)


def params(Cc, dtype):
    return rnd((Cc,), dtype, 1.0, 0.5), rnd((Cc,), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("eps", [1e-3, 0.0])
@pytest.mark.parametrize("shape", SHAPES)
def test_fused_batch_norm(shape, eps, dtype):
    x = rnd(shape, dtype, 0.5, 2.0)
    s, o = params(shape[-1], dtype)
    cpu, gpu = both("fused_batch_norm", x, s, o, floats=(eps,), nout=5)
    M = x.size // shape[-1] if shape[-1] else 0
    if eps == 0.0 and M <= 1:
        # the variance is 0: inf / NaN on both devices; compare only where the CPU is finite
        for k in range(5):
            assert cpu[k].shape == gpu[k].shape
        return
    close(cpu, gpu, dtype, "fused_batch_norm")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
def test_fused_batch_norm_inference(shape, dtype):
    Cc = shape[-1]
    x = rnd(shape, dtype)
    s, o = params(Cc, dtype)
    mean, var = rnd((Cc,), dtype), np.abs(rnd((Cc,), dtype)) + 0.1
    cpu, gpu = both("fused_batch_norm_inference", x, s, o, mean, var, floats=(1e-3,))
    close(cpu, gpu, dtype, "fused_batch_norm_inference")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("training", [1, 0])
@pytest.mark.parametrize("shape", SHAPES)
def test_fused_batch_norm_grad(shape, training, dtype):
    Cc = shape[-1]
    x, dy = rnd(shape, dtype, 0.3, 1.5), rnd(shape, dtype)
    s = rnd((Cc,), dtype, 1.0, 0.5)
    if training:   # the saved statistics of x, as the training forward returns them
        axes = tuple(range(len(shape) - 1))
        mean = x.mean(axis=axes) if x.size else np.zeros(Cc)
        inv = 1.0 / np.sqrt((x.var(axis=axes) if x.size else np.zeros(Cc)) + 1e-3)
        mean, inv = mean.astype(dtype), inv.astype(dtype)
    else:
        mean, inv = rnd((Cc,), dtype), (np.abs(rnd((Cc,), dtype)) + 0.5)
    cpu, gpu = both("fused_batch_norm_grad", dy, x, s, mean, inv, ints=(training,), nout=3)
    close(cpu, gpu, dtype, f"fused_batch_norm_grad training={training}")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_offset(dtype):
    # a channel far from 0: the statistics must not lose their digits
    x = rnd((64, 8, 8, 4), dtype, 1000.0, 0.1)
    s, o = params(4, dtype)
    cpu, gpu = both("fused_batch_norm", x, s, o, floats=(1e-3,), nout=5)
    rtol = 2e-3 if dtype == np.float32 else 1e-8
    assert_close(cpu, gpu, rtol, rtol, "large offset")


def test_large():
    x = rnd((64, 32, 32, 16), np.float32)        # 1M elements
    s, o = params(16, np.float32)
    cpu, gpu = both("fused_batch_norm", x, s, o, floats=(1e-3,), nout=5)
    close(cpu, gpu, np.float32, "fused_batch_norm large")
    dy = rnd(x.shape, np.float32)
    cpu2, gpu2 = both("fused_batch_norm_grad", dy, x, s, cpu[3], cpu[4], ints=(1,), nout=3)
    # dscale / doffset are sums over 64K rows
    assert_close(cpu2, gpu2, 1e-3, 1e-3, "fused_batch_norm_grad large")
    cpu3, gpu3 = both("fused_batch_norm_inference", x, s, o, cpu[1], cpu[2], floats=(1e-3,))
    close(cpu3, gpu3, np.float32, "fused_batch_norm_inference large")


# ---- gradients through tf.GradientTape ---------------------------------------------------

def grads_on(device, fn, arrays):
    with tf.device(device):
        ts = [tf.constant(a) for a in arrays]
        with tf.GradientTape() as tape:
            for t in ts:
                tape.watch(t)
            y = fn(*ts)
            loss = tf.math.reduce_sum(y * y * y)
        return np.array(y), [np.array(g) for g in tape.gradient(loss, ts)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("training", [True, False])
def test_fused_batch_norm_gradients(training, dtype):
    x = rnd((4, 5, 5, 3), dtype)
    s, o = params(3, dtype)
    mean, var = rnd((3,), dtype), np.abs(rnd((3,), dtype)) + 0.5

    def fn(a, b, c):
        if training:
            return tf.nn.fused_batch_norm(a, b, c, epsilon=1e-3)[0]
        return tf.nn.fused_batch_norm(a, b, c, mean, var, epsilon=1e-3, is_training=False)[0]

    yc, gc = grads_on("/CPU:0", fn, [x, s, o])
    yg, gg = grads_on("/GPU:0", fn, [x, s, o])
    rtol = 1e-3 if dtype == np.float32 else 1e-9
    assert_close(yc, yg, rtol, rtol, "forward")
    for k, (a, b) in enumerate(zip(gc, gg)):
        assert_close(a, b, rtol, rtol * max(1.0, float(np.abs(a).max())), f"gradient {k}")
