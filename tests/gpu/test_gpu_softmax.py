"""GPU softmax family (csrc/kernels/softmax.cu) against the CPU kernels (softmax.c): softmax,
log_softmax, their fused backward ops and the two cross-entropies, for every dtype, axis and
shape kind (rows, columns, long lines, empty, size-1, > 1M elements, strided views).
Skipped without a GPU (tests/gpu/conftest.py)."""
import numpy as np
import pytest

from minikeras import _core, tf
from tests.gpu.conftest import real_cuda, assert_close, both, run_on

C = _core.ops
FLOATS = ["float32", "float64", "float16"]
# float32 sums in float32 on both devices, in different orders; exp differs by an ulp or two
TOL = {"float32": (2e-5, 1e-6), "float64": (1e-12, 1e-14), "float16": (2e-3, 1e-3)}
SHAPES = [((4, 5), [-1, 0]), ((7,), [0, -1]), ((3, 4, 5), [0, 1, 2]), ((1024, 10), [-1, 0]),
          ((1024, 500), [-1, 0]), ((3, 70, 5), [0, 1]), ((0, 4), [-1, 0]), ((4, 0, 3), [-1, 0, 1]),
          ((5, 1), [-1, 0]), ((1, 1), [0]), ((2, 3, 130), [-1]), ((3, 5000), [-1, 0]),
          ((5000, 3), [0, 1]), ((2, 9000, 3), [1]), ((1, 20000), [-1])]
LARGE = [((1100, 1000), [-1, 0]), ((2, 600_000), [-1]), ((65536, 17), [-1, 0]), ((100, 12000), [-1])]


def rand(shape, dtype, rng, scale=3.0):
    return (rng.standard_normal(shape) * scale).astype(dtype)


def tol(dtype, numel=0):
    """the CPU sums float32 lines sequentially in 8 lanes: over 100k-element lines its rounding
    error alone reaches ~1e-5 relative"""
    if dtype == "float32" and numel > 100_000:
        return (1e-4, 1e-6)
    return TOL[dtype]


# ---- softmax / log_softmax ----------------------------------------------------------------------

@pytest.mark.parametrize("shape,axes", SHAPES + LARGE, ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_forward(op, dtype, shape, axes):
    rng = np.random.default_rng(0)
    x = rand(shape, dtype, rng)
    for ax in axes:
        cpu, gpu = both(op, x, ints=(ax,))
        assert_close(cpu, gpu, *tol(dtype, x.size), what=f"{op} {dtype} {shape} axis {ax}")
    if -1 in axes:
        cpu, gpu = both(op, x)                       # default axis -1
        assert_close(cpu, gpu, *tol(dtype, x.size), what=f"{op} default axis")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_special_values(op, dtype):
    x = np.array([[1000.0, 1000.0, -1000.0], [-np.inf, 0.0, 1.0], [-50.0, -60.0, -200.0],
                  [np.nan, 1.0, 2.0], [-np.inf, -np.inf, -np.inf], [np.inf, 0.0, 1.0]], dtype)
    for ax in (-1, 0):
        cpu, gpu = both(op, x, ints=(ax,))
        assert_close(cpu, gpu, *tol(dtype), what=f"{op} axis {ax}")
    wide = np.full((3, 40), -np.inf, dtype)            # masked rows of a warp-wide kernel
    wide[0, 17] = 0.0
    wide[1, :] = 5.0
    wide[2, 3] = np.nan
    cpu, gpu = both(op, wide, ints=(-1,))
    assert_close(cpu, gpu, *tol(dtype), what=f"{op} masked")


# ---- softmax_grad / log_softmax_grad ------------------------------------------------------------

@pytest.mark.parametrize("shape,axes", SHAPES + LARGE[:2], ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", ["softmax_grad", "log_softmax_grad"])
def test_softmax_grad(op, dtype, shape, axes):
    rng = np.random.default_rng(1)
    dy = rand(shape, dtype, rng, 1.0)
    for ax in axes:
        fwd = "softmax" if op == "softmax_grad" else "log_softmax"
        y = np.asarray(C[fwd](rand(shape, dtype, rng), ints=(ax,)))   # a real forward output
        cpu, gpu = both(op, dy, y, ints=(ax,))
        rtol, atol = tol(dtype, dy.size)
        if dtype == "float32" and shape[ax] > 1000:   # float32 sums over a long axis, in another order
            atol = max(atol, 1e-5)
        assert_close(cpu, gpu, rtol, atol * 10, what=f"{op} {dtype} {shape} axis {ax}")


# ---- cross-entropies ----------------------------------------------------------------------------

XENT_SHAPES = [(4, 5), (1024, 10), (1, 1), (7, 1), (0, 5), (3, 0), (300, 2048), (3, 5000),
               (2, 600_000), (70_000, 17)]


@pytest.mark.parametrize("shape", XENT_SHAPES, ids=str)
@pytest.mark.parametrize("dtype", FLOATS)
def test_softmax_cross_entropy(dtype, shape):
    rng = np.random.default_rng(2)
    x = rand(shape, dtype, rng)
    lab = rng.random(shape)
    lab = (lab / np.maximum(lab.sum(axis=-1, keepdims=True), 1e-30)).astype(dtype)
    cpu, gpu = both("softmax_cross_entropy", lab, x, nout=2)
    rtol, atol = tol(dtype, x.size)
    assert_close(cpu, gpu, rtol, atol * 10, what=f"xent {dtype} {shape}")


@pytest.mark.parametrize("shape", [s for s in XENT_SHAPES if not (s[0] > 0 and s[1] == 0)], ids=str)
@pytest.mark.parametrize("ldt", ["int32", "int64"])
@pytest.mark.parametrize("dtype", FLOATS)
def test_sparse_softmax_cross_entropy(dtype, ldt, shape):
    rng = np.random.default_rng(3)
    x = rand(shape, dtype, rng)
    lab = rng.integers(0, max(shape[1], 1), size=shape[0]).astype(ldt)
    if x.size:
        cpu, gpu = both("sparse_softmax_cross_entropy", lab, x, nout=2)
    else:   # raw ops convert empty numpy inputs oddly (int32 logits): pass tensors
        cpu, gpu = both_views("sparse_softmax_cross_entropy", [lab, x], [tf.constant, tf.constant], nout=2)
    rtol, atol = tol(dtype, x.size)
    assert_close(cpu, gpu, rtol, atol * 10, what=f"sparse xent {dtype} {ldt} {shape}")


@real_cuda   # GPU semantics (no error from a kernel); the simulated GPU runs the CPU kernel
@pytest.mark.parametrize("ldt", ["int32", "int64"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sparse_xent_out_of_range_label_gives_nan_row(dtype, ldt):
    """The CPU raises InvalidArgumentError; the GPU cannot (no sync) and follows TF's GPU
    kernel: that row's loss and backprop are NaN, the other rows are right."""
    rng = np.random.default_rng(4)
    for C_ in (5, 40, 3000):
        x = rand((4, C_), dtype, rng)
        lab = np.array([1, C_, -1, 0], ldt)
        with tf.device("/GPU:0"):
            loss, bp = C["sparse_softmax_cross_entropy"](lab, x, nout=2)
        loss, bp = np.array(loss), np.array(bp)
        assert np.isnan(loss[1]) and np.isnan(loss[2])
        assert np.isnan(bp[1]).all() and np.isnan(bp[2]).all()
        good = np.array([0, 3])
        cpu = run_on("/CPU:0", "sparse_softmax_cross_entropy", lab[good], x[good], nout=2)
        assert_close(cpu[0], loss[good], *tol(dtype))
        assert_close(cpu[1], bp[good], *tol(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_xent_special_values(dtype):
    x = np.array([[1000.0, 1000.0, -1000.0], [-np.inf, 0.0, 1.0], [-50.0, -60.0, -200.0]], dtype)
    lab = np.array([[0.5, 0.5, 0.0], [0.0, 0.3, 0.7], [1.0, 0.0, 0.0]], dtype)
    cpu, gpu = both("softmax_cross_entropy", lab, x, nout=2)
    assert_close(cpu, gpu, *tol(dtype), what="xent special")
    cpu, gpu = both("sparse_softmax_cross_entropy", np.array([0, 2, 1], np.int32), x, nout=2)
    assert_close(cpu, gpu, *tol(dtype), what="sparse xent special")


# ---- strided / broadcast (view) inputs ----------------------------------------------------------

def slice_ints(shape, slices):
    ints = []
    for n, s in zip(shape, slices):
        ints += list(s.indices(n))
    return tuple(ints) + (0, 0)


def both_views(op, arrays, views, ints=(), nout=1):
    """op on views of the inputs (views[k] None: that input as is), built on each device"""
    def fn(*args, ints=(), floats=(), nout=1):
        vs = [v(a) if v else a for a, v in zip(args, views)]
        return C[op](*vs, ints=ints, nout=nout)
    return (run_on("/CPU:0", fn, *arrays, ints=ints, nout=nout),
            run_on("/GPU:0", fn, *arrays, ints=ints, nout=nout))


T2 = lambda a: C["transpose"](a, ints=(1, 0))                       # noqa: E731
T3 = lambda a: C["transpose"](a, ints=(2, 0, 1))                    # noqa: E731


def NEG2(a):
    shp = tuple(int(n) for n in a.shape)
    return C["strided_slice"](a, ints=slice_ints(shp, (slice(None, None, -1), slice(1, None, 2))))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_strided(dtype):
    rng = np.random.default_rng(5)
    cases = [((10, 1024), T2, 2), ((6, 4, 5), T3, 3), ((9, 41), NEG2, 2), ((3000, 7), T2, 2)]
    for shape, view, nd in cases:
        x = rand(shape, dtype, rng)
        for ax in range(-1, nd - 1):
            for op in ("softmax", "log_softmax"):
                cpu, gpu = both_views(op, [x], [view], ints=(ax,))
                assert_close(cpu, gpu, *tol(dtype), what=f"{op} strided {shape} axis {ax}")
            dy = rand(shape, dtype, rng, 1.0)
            y = rand(shape, dtype, rng, 0.3)
            for op in ("softmax_grad", "log_softmax_grad"):
                for views in ([view, view], [view, None]):
                    arrs = [dy, y if views[1] else np.asarray(view(tf.constant(y)))]
                    cpu, gpu = both_views(op, arrs, views, ints=(ax,))
                    rtol, atol = tol(dtype)
                    assert_close(cpu, gpu, rtol, atol * 10, what=f"{op} strided {shape} axis {ax}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_xent_strided(dtype):
    rng = np.random.default_rng(6)
    for shape, view in [((10, 1024), T2), ((2048, 3), T2), ((9, 41), NEG2)]:
        x = rand(shape, dtype, rng)
        lab = rng.random(shape).astype(dtype)
        cpu, gpu = both_views("softmax_cross_entropy", [lab, x], [view, view], nout=2)
        assert_close(cpu, gpu, tol(dtype)[0], tol(dtype)[1] * 10, what=f"xent strided {shape}")
        n, c = np.asarray(view(tf.constant(x))).shape
        lab2 = rng.integers(0, c, size=2 * n).astype(np.int64)
        every2 = lambda a: C["strided_slice"](a, ints=slice_ints((2 * n,), (slice(None, None, 2),)))  # noqa: E731
        cpu, gpu = both_views("sparse_softmax_cross_entropy", [lab2, x], [every2, view], nout=2)
        assert_close(cpu, gpu, tol(dtype)[0], tol(dtype)[1] * 10, what=f"sparse xent strided {shape}")


# ---- gradients through the public API (the backward ops are ours) -------------------------------

@pytest.mark.parametrize("which", ["softmax", "log_softmax", "xent", "sparse_xent"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradients_match(which, dtype):
    rng = np.random.default_rng(7)
    x = rand((64, 10), dtype, rng)
    w = rng.standard_normal((64, 10)).astype(dtype)
    lab = rng.random((64, 10)).astype(dtype)
    slab = rng.integers(0, 10, size=64).astype(np.int32)
    res = {}
    for dev in ("/CPU:0", "/GPU:0"):
        with tf.device(dev):
            v = tf.constant(x)
            with tf.GradientTape() as tape:
                tape.watch(v)
                if which == "softmax":
                    y = tf.reduce_sum(tf.nn.softmax(v, axis=0) * tf.constant(w))
                elif which == "log_softmax":
                    y = tf.reduce_sum(tf.nn.log_softmax(v) * tf.constant(w))
                elif which == "xent":
                    y = tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(tf.constant(lab), v))
                else:
                    y = tf.reduce_sum(tf.nn.sparse_softmax_cross_entropy_with_logits(tf.constant(slab), v))
            g = tape.gradient(y, v)
        res[dev] = (np.array(y), np.array(g))
    rtol, atol = tol(dtype)
    assert_close(res["/CPU:0"][0], res["/GPU:0"][0], rtol, atol * 100, "value")
    assert_close(res["/CPU:0"][1], res["/GPU:0"][1], rtol, atol * 10, "gradient")
