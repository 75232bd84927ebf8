"""Random ops on the GPU (csrc/kernels/random.cu): for the same seed the GPU draws the same
numbers as the CPU (same Philox streams and counters, same transforms from philox.h).
Integers, dropout masks, shuffles are bit-identical, uniform floats equal (to 1 ulp); normal and truncated
normal go through CUDA's logf/sinf/cosf (log/sin/cos for float64), equal to a few ulps.
Also: the counter advances the same way (two draws in a row), op-level seeds, empty /
scalar / odd-sized / large shapes, categorical with strided and non-finite logits."""
import numpy as np
import pytest

from minikeras import tf
from . import conftest as G

F32, F16, F64, I32, I64, U8, BOOL = 0, 1, 2, 3, 4, 5, 6
rng = np.random.default_rng(3)


def gen_ints(dtype, shape, seed=None):
    return (dtype, 0 if seed is None else 1, 0 if seed is None else seed, len(shape)) + tuple(shape)


def same_seed(fn, *args, draws=2, seed=1234):
    """run fn `draws` times after set_seed(seed) on each device; returns (cpu list, gpu list)"""
    res = []
    for dev in ("/CPU:0", "/GPU:0"):
        tf.random.set_seed(seed)
        res.append([G.run_on(dev, fn, *args) for _ in range(draws)])
    return res


def gen(op, dtype, shape, floats, seed=None):
    def fn(*a, **kw):
        return G.C[op](ints=gen_ints(dtype, shape, seed), floats=floats)
    return fn


SHAPES = [(1001,), (), (0,), (1,), (3, 5), (7, 3, 2), (1024, 1025)]   # odd counts, > 1M
TRANSCENDENTAL_TOL = {F32: (2e-6, 2e-6), F64: (1e-14, 1e-14)}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [F32, F64])
def test_uniform_float_identical(shape, dtype):
    cpu, gpu = same_seed(gen("random_uniform", dtype, shape, (-2.0, 3.0)))
    for c, g in zip(cpu, gpu):
        # lo + range*u: the same expression on both (both compilers contract it to an fma);
        # a 1-ulp tolerance so that a compiler choice cannot fail the test
        G.assert_close(c, g, 2e-7 if dtype == F32 else 1e-15, 1e-7 if dtype == F32 else 1e-15)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype,lo,hi", [(I32, -3, 5), (I32, -2**31, 2**31), (I64, -5, 10**15),
                                         (I64, -2**61, 2**61)])
def test_uniform_int_identical(shape, dtype, lo, hi):
    cpu, gpu = same_seed(gen("random_uniform", dtype, shape, (float(lo), float(hi))))
    for c, g in zip(cpu, gpu):
        G.assert_close(c, g, 0, 0)


@pytest.mark.parametrize("op", ["random_normal", "truncated_normal"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [F32, F64])
def test_normal_same_numbers(op, shape, dtype):
    cpu, gpu = same_seed(gen(op, dtype, shape, (0.5, 2.0)))
    rtol, atol = TRANSCENDENTAL_TOL[dtype]
    for c, g in zip(cpu, gpu):
        G.assert_close(c, g, rtol, atol * 4, what=op)
    if op == "truncated_normal":
        for g in gpu:
            assert np.all(np.abs(g - 0.5) <= 2 * 2.0 + 1e-5)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", [F32, F64])
@pytest.mark.parametrize("rate", [0.0, 0.3, 0.9])
def test_dropout_mask_identical(shape, dtype, rate):
    cpu, gpu = same_seed(gen("dropout_mask", dtype, shape, (rate,)))
    for c, g in zip(cpu, gpu):
        G.assert_close(c, g, 0, 0)


@pytest.mark.parametrize("op,floats", [("random_uniform", (0.0, 1.0)), ("random_normal", (0.0, 1.0)),
                                       ("truncated_normal", (0.0, 1.0)), ("dropout_mask", (0.5,))])
def test_op_seed_streams(op, floats):
    """op-level seeds draw from their own stream (keyed by global seed and op seed) on both"""
    cpu, gpu = same_seed(gen(op, F32, (37,), floats, seed=42), draws=3)
    for c, g in zip(cpu, gpu):
        G.assert_close(c, g, 2e-6, 8e-6)


def test_interleaved_devices_share_the_counter():
    """a CPU draw then a GPU draw continue one stream: the pair equals two CPU draws"""
    fn = gen("random_uniform", F32, (101,), (0.0, 1.0))
    tf.random.set_seed(9)
    a1, a2 = G.run_on("/CPU:0", fn), G.run_on("/CPU:0", fn)
    tf.random.set_seed(9)
    b1, b2 = G.run_on("/CPU:0", fn), G.run_on("/GPU:0", fn)
    G.assert_close(a1, b1, 0, 0)
    G.assert_close(a2, b2, 0, 0)


@pytest.mark.parametrize("ldtype", [np.float32, np.float64])
@pytest.mark.parametrize("odtype", [I32, I64])
@pytest.mark.parametrize("batch,classes,ns", [(5, 9, 50), (1, 1, 10), (3, 1000, 7), (0, 4, 3), (4, 3, 0),
                                              (64, 300, 200)])
def test_categorical_same_samples(ldtype, odtype, batch, classes, ns):
    logits = np.asarray(rng.standard_normal((batch, classes)) * 2, dtype=ldtype)
    if batch > 1 and classes > 3:
        logits[1, 2] = np.inf          # non-finite logits have probability 0 (CPU rule)
        logits[0, :] = -np.inf         # all non-finite: the last class
    fn = lambda L, **kw: G.C["categorical"](L, ints=(odtype, 0, 0, ns))
    cpu, gpu = same_seed(fn, logits)
    for c, g in zip(cpu, gpu):
        # the GPU's cdf is a parallel prefix sum: a sample may differ only when the draw
        # falls within ~1e-16 of a class boundary, so equality is expected here
        G.assert_close(c, g, 0, 0)


def test_categorical_strided_logits():
    logits_t = np.asarray(rng.standard_normal((30, 6)), dtype=np.float32)

    def fn(L, **kw):
        return G.C["categorical"](G.C["transpose"](L, ints=(1, 0)), ints=(I64, 1, 5, 40))
    cpu, gpu = same_seed(fn, logits_t)
    for c, g in zip(cpu, gpu):
        G.assert_close(c, g, 0, 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32, np.int64, np.uint8, np.bool_])
@pytest.mark.parametrize("shape", [(100, 3), (1,), (0, 3), (3, 0), (), (7,), (2, 3, 4), (20000, 60)], ids=str)
def test_shuffle_identical(dtype, shape):
    x = np.asarray(np.arange(int(np.prod(shape))).reshape(shape) % 251, dtype=dtype)
    fn = lambda v, **kw: G.C["random_shuffle"](v, ints=(0, 0, 0))
    cpu, gpu = same_seed(fn, x)
    for c, g in zip(cpu, gpu):
        G.assert_close(c, g, 0, 0)


def test_shuffle_strided_input():
    x = np.asarray(rng.standard_normal((5, 8)), dtype=np.float32)

    def fn(v, **kw):
        return G.C["random_shuffle"](G.C["transpose"](v, ints=(1, 0)), ints=(1, 77, 0))
    cpu, gpu = same_seed(fn, x)
    for c, g in zip(cpu, gpu):
        G.assert_close(c, g, 0, 0)


def test_random_api_on_gpu():
    """the public functions under a GPU device scope give the CPU's numbers"""
    def draw():
        return (np.array(tf.random.uniform((4, 5))), np.array(tf.random.normal((3,))),
                np.array(tf.random.truncated_normal((6,), dtype="float64")))
    tf.random.set_seed(5)
    with tf.device("/CPU:0"):
        cpu = draw()
    tf.random.set_seed(5)
    with tf.device("/GPU:0"):
        gpu = draw()
    for c, g in zip(cpu, gpu):
        G.assert_close(c, g, 2e-6, 8e-6)
