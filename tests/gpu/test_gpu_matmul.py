"""matmul on the GPU (csrc/kernels/matmul.cu) against the CPU kernel: transposes, batch
broadcasting (single Lt call, host-looped outer batches, the folded x @ W case), empty and
size-1 shapes, float32 with and without TF32, float64, float16 (native on the GPU),
int32/int64 (exact), gradients, and the 4096^3 float32 TF32 throughput."""
import time

import numpy as np
import pytest

from minikeras import tf
from . import conftest as G

rng = np.random.default_rng(1234)


def rand(shape, dtype):
    if np.dtype(dtype).kind == "i":
        return np.asarray(rng.integers(-50, 50, size=shape), dtype=dtype)
    return np.asarray(rng.standard_normal(shape), dtype=dtype)


@pytest.fixture
def tf32():
    """set TF32 for one test, restore after"""
    cfg = tf.config.experimental
    old = cfg.tensor_float_32_execution_enabled()

    def set_(on):
        cfg.enable_tensor_float_32_execution(on)
    yield set_
    cfg.enable_tensor_float_32_execution(old)


# (a shape, b shape, transpose_a, transpose_b)
CASES = [
    ((3, 4), (4, 5), 0, 0),
    ((4, 3), (4, 5), 1, 0),
    ((3, 4), (5, 4), 0, 1),
    ((4, 3), (5, 4), 1, 1),
    ((2, 3, 4), (2, 4, 5), 0, 0),          # plain batch: one Lt call
    ((2, 3, 4), (4, 5), 0, 0),             # B shared: folded into one GEMM of 6 rows
    ((2, 4, 3), (4, 5), 1, 0),             # B shared, A transposed: batch stride 0
    ((3, 4), (2, 4, 5), 0, 0),             # A shared
    ((3, 4), (2, 5, 4), 0, 1),
    ((2, 1, 3, 4), (1, 3, 4, 5), 0, 0),    # outer host loop over 2, inner batch of 3
    ((2, 1, 4, 3), (1, 3, 5, 4), 1, 1),
    ((2, 3, 3, 4), (3, 4, 5), 0, 0),       # A affine over both dims, B only over the last
    ((2, 3, 3, 4), (2, 1, 4, 5), 0, 0),
    ((1, 3, 4), (2, 4, 5), 0, 0),
    ((5, 1, 3, 4), (2, 4, 5), 0, 0),
    ((2, 2, 2, 3, 4), (2, 1, 2, 4, 5), 0, 0),
    ((1, 1), (1, 1), 0, 0),
    ((1, 4), (4, 1), 0, 0),
    ((4, 1), (1, 4), 0, 0),                # k = 1
    ((7, 33), (33, 17), 0, 0),             # odd sizes: unaligned rows
    ((0, 4), (4, 5), 0, 0),                # empty outputs
    ((3, 4), (4, 0), 0, 0),
    ((2, 0, 3, 4), (4, 5), 0, 0),
    ((3, 0), (0, 5), 0, 0),                # k = 0: zeros
    ((2, 3, 0), (2, 0, 5), 0, 0),
]


def check(a_shape, b_shape, ta, tb, dtype, rtol, atol_per_sqrt_k):
    a, b = rand(a_shape, dtype), rand(b_shape, dtype)
    k = a_shape[-2] if ta else a_shape[-1]
    cpu, gpu = G.both("matmul", a, b, ints=(ta, tb))
    G.assert_close(cpu, gpu, rtol=rtol, atol=atol_per_sqrt_k * (np.sqrt(k) + 1),
                   what=f"{a_shape} x {b_shape} ta={ta} tb={tb} {dtype}")


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matmul_float32_no_tf32(case, tf32):
    tf32(False)
    check(*case, np.float32, 1e-5, 1e-5)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matmul_float32_tf32(case, tf32):
    tf32(True)
    check(*case, np.float32, 2e-3, 2e-3)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matmul_float64(case):
    check(*case, np.float64, 1e-12, 1e-12)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_matmul_float16(case):
    # CPU: float32 product rounded to float16; GPU: float32 accumulation on tensor cores
    check(*case, np.float16, 2e-3, 2e-3)


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
@pytest.mark.parametrize("case", CASES, ids=str)
def test_matmul_int(case, dtype):
    check(*case, dtype, 0, 0)


def test_matmul_int32_wraps():
    a = np.full((2, 3), 2**30, np.int32)
    b = np.full((3, 2), 3, np.int32)
    cpu, gpu = G.both("matmul", a, b, ints=(0, 0))
    G.assert_close(cpu, gpu)


@pytest.mark.parametrize("ta,tb", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_matmul_large(ta, tb, tf32):
    tf32(False)
    m, k, n = 1100, 300, 1024           # > 1M outputs
    a = rand((k, m) if ta else (m, k), np.float32)
    b = rand((n, k) if tb else (k, n), np.float32)
    cpu, gpu = G.both("matmul", a, b, ints=(ta, tb))
    G.assert_close(cpu, gpu, rtol=1e-4, atol=1e-4 * np.sqrt(k))


def test_matmul_large_batched_int():
    a, b = rand((3, 200, 150), np.int32), rand((150, 700), np.int32)
    cpu, gpu = G.both("matmul", a, b, ints=(0, 0))
    G.assert_close(cpu, gpu)


def test_matmul_strided_inputs(tf32):
    """views made under the device scope (transpose): mk_exec makes them dense first"""
    tf32(False)
    a, b = rand((4, 3, 2), np.float32), rand((2, 5, 4), np.float32)

    def fn2(x, y, ints=(), floats=(), nout=1):
        xt = G.C["transpose"](x, ints=(0, 2, 1))     # (4, 2, 3)
        yt = G.C["transpose"](y, ints=(2, 0, 1))     # (4, 2, 5)
        return G.C["matmul"](xt, yt, ints=(1, 0))    # (4, 3, 2) @ (4, 2, 5) -> (4, 3, 5)
    cpu = G.run_on("/CPU:0", fn2, a, b)
    gpu = G.run_on("/GPU:0", fn2, a, b)
    G.assert_close(cpu, gpu, rtol=1e-5, atol=1e-5)


def _grads(device, a, b, ta, tb, w):
    with tf.device(device):
        A, B, W = tf.constant(a), tf.constant(b), tf.constant(w)
        with tf.GradientTape() as tape:
            tape.watch([A, B])
            y = tf.linalg.matmul(A, B, transpose_a=bool(ta), transpose_b=bool(tb))
            loss = tf.reduce_sum(y * W)
        ga, gb = tape.gradient(loss, [A, B])
    return np.array(y), np.array(ga), np.array(gb)


@pytest.mark.parametrize("a_shape,b_shape,ta,tb", [
    ((3, 4), (4, 5), 0, 0), ((4, 3), (5, 4), 1, 1), ((2, 3, 4), (4, 5), 0, 0),
    ((2, 1, 3, 4), (3, 4, 5), 0, 0), ((2, 4, 3), (2, 4, 5), 1, 0)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_matmul_gradient(a_shape, b_shape, ta, tb, dtype, tf32):
    tf32(False)
    a, b = rand(a_shape, dtype), rand(b_shape, dtype)
    m = a_shape[-1] if ta else a_shape[-2]
    n = b_shape[-2] if tb else b_shape[-1]
    batch = np.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    w = rand(batch + (m, n), dtype)
    cpu = _grads("/CPU:0", a, b, ta, tb, w)
    gpu = _grads("/GPU:0", a, b, ta, tb, w)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for c, g in zip(cpu, gpu):
        G.assert_close(c, g, rtol=tol, atol=tol)


@G.real_cuda   # a timing of the CUDA kernel
def test_matmul_4096_tf32_throughput(tf32):
    """TF32 4096^3: the issue's target is >= 0.9x PyTorch (about 400+ TFLOPS dense on H100 /
    H200 with TF32 through cuBLASLt); printed, and checked against a loose floor here."""
    tf32(True)
    n = 4096
    with tf.device("/GPU:0"):
        a = tf.constant(rand((n, n), np.float32))
        b = tf.constant(rand((n, n), np.float32))
        assert a.device.endswith("GPU:0") and b.device.endswith("GPU:0")
        y = G.C["matmul"](a, b, ints=(0, 0))
        np.array(y[:1, :1])                     # warm-up and sync
        reps = 20
        t0 = time.perf_counter()
        for _ in range(reps):
            y = G.C["matmul"](a, b, ints=(0, 0))
        np.array(y[:1, :1])                     # waits for the stream
        dt = time.perf_counter() - t0
    tflops = 2 * n ** 3 * reps / dt / 1e12
    print(f"matmul 4096^3 float32/TF32: {tflops:.0f} TFLOPS")
    try:
        import torch
        if torch.cuda.is_available():
            torch.backends.cuda.matmul.allow_tf32 = True
            ta, tb = torch.randn(n, n, device="cuda"), torch.randn(n, n, device="cuda")
            torch.matmul(ta, tb)
            torch.cuda.synchronize()
            t0 = time.perf_counter()
            for _ in range(reps):
                torch.matmul(ta, tb)
            torch.cuda.synchronize()
            ref = 2 * n ** 3 * reps / (time.perf_counter() - t0) / 1e12
            print(f"PyTorch: {ref:.0f} TFLOPS")
            assert tflops >= 0.9 * ref
            return
    except ImportError:
        pass
    assert tflops > 150
