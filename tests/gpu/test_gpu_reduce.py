"""GPU reduce family (csrc/kernels/reduce.cu) against the CPU kernels (reduce.c): every registered
op x dtype x axis set x shape, empty / size-1 / > 1M-element / strided inputs, NaN and tie rules.
Skipped without a GPU (tests/gpu/conftest.py)."""
import itertools

import numpy as np
import pytest

from minikeras import _core, tf
from tests.gpu.conftest import assert_close, both, run_on

C = _core.ops
IDS = {name: i for i, (name, *_rest) in enumerate(_core.dtype_table())}
NUM = ["float32", "float64", "int32", "int64", "uint8"]
RED_NUM = ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod"]
SHAPES = [(), (7,), (3, 4), (2, 3, 4), (2, 1, 3, 5), (0, 3), (3, 0), (4, 1), (1, 1), (1024, 10),
          (1024, 500), (33, 65, 17), (5, 3000), (3000, 5)]
# float32/float64 sums accumulate in double on both devices: only the order differs
TOL = {"float32": (1e-5, 1e-5), "float64": (1e-12, 1e-12), "float16": (1e-3, 1e-3)}


def rand(shape, dtype, rng, op=""):
    if dtype == "bool":
        return rng.random(shape) < 0.5
    if op == "reduce_prod":          # products stay finite and away from underflow
        if np.dtype(dtype).kind == "f":
            return (rng.uniform(0.8, 1.25, size=shape) * rng.choice([-1, 1], size=shape)).astype(dtype)
        return rng.integers(-3, 4, size=shape).astype(dtype)
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    if dtype == "uint8":
        return rng.integers(0, 256, size=shape).astype(dtype)
    return rng.integers(-1000, 1000, size=shape).astype(dtype)


def axis_sets(nd):
    """None (= every axis via the all-flag) and every subset of range(nd)"""
    yield None
    for k in range(nd + 1):
        yield from itertools.combinations(range(nd), k)


def red_ints(axes, keepdims):
    if axes is None:
        return (int(keepdims), 0, 1)
    return (int(keepdims), sum(1 << a for a in axes))


def check(op, x, ints, dtype, what=""):
    cpu, gpu = both(op, x, ints=ints)
    rtol, atol = TOL.get(dtype, (0, 0))
    assert_close(cpu, gpu, rtol, atol, f"{op} {dtype} {x.shape} ints={ints} {what}")


# ---- reduce_* over every axis set ------------------------------------------------------------

@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", NUM)
@pytest.mark.parametrize("op", RED_NUM)
def test_reduce_numeric(op, dtype, shape):
    rng = np.random.default_rng(len(shape) * 7 + NUM.index(dtype))
    x = rand(shape, dtype, rng, op)
    for axes in axis_sets(len(shape)):
        for keep in (False, True):
            check(op, x, red_ints(axes, keep), dtype)


def test_reduce_no_ints_reduces_everything():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    for op in RED_NUM:
        check(op, x, (), "float32")
        check(op, x, (1,), "float32")


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("op", ["reduce_any", "reduce_all"])
def test_reduce_bool(op, shape):
    rng = np.random.default_rng(1)
    for x in (rand(shape, "bool", rng), np.ones(shape, bool), np.zeros(shape, bool)):
        for axes in axis_sets(len(shape)):
            check(op, x, red_ints(axes, False), "bool")
            check(op, x, red_ints(axes, True), "bool")


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_reduce_logsumexp(dtype, shape):
    rng = np.random.default_rng(2)
    x = (rand(shape, dtype, rng) * 10).astype(dtype)
    for axes in axis_sets(len(shape)):
        for keep in (False, True):
            check("reduce_logsumexp", x, red_ints(axes, keep), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_reduce_logsumexp_special(dtype):
    x = np.array([[1000.0, 1000.0, -1000.0], [-np.inf, -np.inf, -np.inf], [np.inf, 0.0, 1.0],
                  [np.nan, 0.0, 1.0], [-np.inf, 0.0, 1.0]], dtype)
    for axes in ((1,), (0,), None):
        check("reduce_logsumexp", x, red_ints(axes, False), dtype)


@pytest.mark.parametrize("dtype", ["float16"])
@pytest.mark.parametrize("op", RED_NUM + ["reduce_logsumexp"])
def test_reduce_float16(op, dtype):
    """float16 goes through float32 (mk_exec) on both devices"""
    rng = np.random.default_rng(3)
    x = rand((17, 33), dtype, rng, op)
    for axes in axis_sets(2):
        check(op, x, red_ints(axes, False), dtype)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", ["reduce_max", "reduce_min", "reduce_sum", "reduce_mean", "reduce_prod"])
def test_reduce_nan_inf(op, dtype):
    rng = np.random.default_rng(4)
    for shape in [(6, 7), (40, 3000), (3000, 40)]:
        x = rand(shape, dtype, rng, op)
        x[1, 2] = np.nan
        x[3, :] = np.inf
        x[4, 1] = -np.inf
        x[5, :] = np.nan
        for axes in axis_sets(2):
            check(op, x, red_ints(axes, False), dtype)
    x = np.ones((2, 5000), dtype)                  # a NaN deep inside a long row / column
    x[0, 4321] = np.nan
    for axes in axis_sets(2):
        check(op, x, red_ints(axes, False), dtype)
        check(op, np.ascontiguousarray(x.T), red_ints(axes, False), dtype)


def test_reduce_int_wrap_and_mean_truncation():
    x = np.array([[2**31 - 1, 1, 5], [-7, -1, 0]], np.int32)
    for op in ("reduce_sum", "reduce_mean", "reduce_prod"):
        for axes in axis_sets(2):
            check(op, x, red_ints(axes, False), "int32")
    x = np.full((3, 1000), 255, np.uint8)
    for op in ("reduce_sum", "reduce_mean", "reduce_prod"):
        for axes in axis_sets(2):
            check(op, x, red_ints(axes, False), "uint8")
    x = np.array([2**62, 2**62, 2**62, -3], np.int64)
    for op in ("reduce_sum", "reduce_mean", "reduce_prod"):
        check(op, x, red_ints(None, False), "int64")


# ---- large inputs (> 1M elements): every kernel path, split reductions included ----------------

LARGE = [((1_100_000,), [None, (0,)]),
         ((2, 700_000), [(0,), (1,), None]),      # few long rows: split over blocks
         ((700_000, 2), [(0,), (1,), None]),      # few long columns: split over blocks
         ((1100, 1000), [(0,), (1,), None]),
         ((64, 128, 130), [(0,), (1,), (2,), (0, 2), (1, 2), (0, 1)])]


@pytest.mark.parametrize("shape,axsets", LARGE, ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", NUM)
def test_reduce_large(shape, axsets, dtype):
    rng = np.random.default_rng(5)
    x = rand(shape, dtype, rng)
    for op in ("reduce_sum", "reduce_mean", "reduce_max", "reduce_min"):
        for axes in axsets:
            check(op, x, red_ints(axes, False), dtype)
    if dtype in ("float32", "float64"):
        for axes in axsets:
            check("reduce_logsumexp", x, red_ints(axes, False), dtype)
            xp = (1 + 1e-3 * rng.standard_normal(shape)).astype(dtype)   # products stay finite
            check("reduce_prod", xp, red_ints(axes, False), dtype)
    if dtype == "int32":
        b = x > 900
        for axes in axsets:
            check("reduce_any", b, red_ints(axes, False), "bool")
            check("reduce_all", ~b, red_ints(axes, False), "bool")


# ---- strided / broadcast (view) inputs ----------------------------------------------------------

def slice_ints(shape, slices):
    ints = []
    for n, s in zip(shape, slices):
        ints += list(s.indices(n))
    return tuple(ints) + (0, 0)


def both_view(op, x, make_view, ints=(), nout=1):
    """op on a view of x built on each device: (cpu, gpu)"""
    def fn(a, ints=(), floats=(), nout=1):
        return C[op](make_view(a), ints=ints, nout=nout)
    return (run_on("/CPU:0", fn, x, ints=ints, nout=nout),
            run_on("/GPU:0", fn, x, ints=ints, nout=nout))


VIEWS = [
    ("transpose", (4, 5, 6), lambda a: C["transpose"](a, ints=(2, 0, 1))),
    ("transpose2d", (300, 70), lambda a: C["transpose"](a, ints=(1, 0))),
    ("negstep", (8, 10, 3), lambda a: C["strided_slice"](a, ints=slice_ints(
        (8, 10, 3), (slice(None, None, -1), slice(1, None, 3), slice(None))))),
    ("every2nd", (40, 66), lambda a: C["strided_slice"](a, ints=slice_ints(
        (40, 66), (slice(None, None, 2), slice(3, 60, 2))))),
    ("broadcast", (1, 5, 1), lambda a: C["broadcast_to"](a, ints=(3, 5, 4))),
]


@pytest.mark.parametrize("name,shape,view", VIEWS, ids=[v[0] for v in VIEWS])
@pytest.mark.parametrize("dtype", NUM)
def test_reduce_strided(name, shape, view, dtype):
    rng = np.random.default_rng(6)
    for op in RED_NUM:
        x = rand(shape, dtype, rng, op)
        for axes in axis_sets(len(shape)):
            cpu, gpu = both_view(op, x, view, ints=red_ints(axes, False))
            assert_close(cpu, gpu, *TOL.get(dtype, (0, 0)), what=f"{op} {name} {axes}")
    if dtype in ("float32", "float64"):
        x = rand(shape, dtype, rng)
        for axes in axis_sets(len(shape)):
            cpu, gpu = both_view("reduce_logsumexp", x, view, ints=red_ints(axes, True))
            assert_close(cpu, gpu, *TOL[dtype], what=f"logsumexp {name} {axes}")
    for ax in range(len(shape)):
        for op in ("argmax", "argmin"):
            cpu, gpu = both_view(op, rand(shape, dtype, rng), view, ints=(ax, IDS["int64"]))
            assert_close(cpu, gpu, what=f"{op} {name} axis {ax}")
        x = rand(shape, dtype, rng)
        for excl, rev in itertools.product((0, 1), (0, 1)):
            cpu, gpu = both_view("cumsum", x, view, ints=(ax, excl, rev))
            assert_close(cpu, gpu, *TOL.get(dtype, (0, 0)), what=f"cumsum {name} axis {ax}")


@pytest.mark.parametrize("name,shape,view", VIEWS, ids=[v[0] for v in VIEWS])
def test_reduce_bool_strided(name, shape, view):
    rng = np.random.default_rng(7)
    x = rand(shape, "bool", rng)
    for op in ("reduce_any", "reduce_all"):
        for axes in axis_sets(len(shape)):
            cpu, gpu = both_view(op, x, view, ints=red_ints(axes, False))
            assert_close(cpu, gpu, what=f"{op} {name} {axes}")


# ---- argmax / argmin ---------------------------------------------------------------------------

ARG_SHAPES = [((), [0]), ((7,), [0, -1]), ((3, 4), [0, 1, -1]), ((2, 3, 4), [0, 1, 2]),
              ((4, 1), [0, 1]), ((0, 3), [1]), ((1024, 10), [0, 1]), ((5, 3000), [0, 1]),
              ((3000, 5), [0, 1]), ((33, 65, 17), [0, 1, 2])]


@pytest.mark.parametrize("shape,axes", ARG_SHAPES, ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", NUM + ["bool"])
@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin(op, dtype, shape, axes):
    rng = np.random.default_rng(8)
    x = rand(shape, dtype, rng)
    for ax in axes:
        for odt in ("int64", "int32"):
            check(op, x, (ax, IDS[odt]), odt)
        check(op, x, (ax,), "int64")


@pytest.mark.parametrize("dtype", NUM)
@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_ties_first_index(op, dtype):
    rng = np.random.default_rng(9)
    for shape in [(6, 50), (50, 6), (3, 5000), (5000, 3)]:
        x = rng.integers(0, 3, size=shape).astype(dtype)   # many ties
        for ax in (0, 1):
            check(op, x, (ax, IDS["int64"]), "int64")
    x = np.zeros((2_000_000,), dtype)                   # one long row, all equal: index 0
    check(op, x, (0, IDS["int64"]), "int64")
    x[1_234_567] = 1 if op == "argmax" else 0
    if op == "argmin" and dtype != "uint8":
        x[1_234_567] = -1
    x[1_900_000] = x[1_234_567]                         # a later tie loses
    check(op, x, (0, IDS["int32"]), "int32")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_nan(op, dtype):
    x = np.array([[1.0, np.nan, 3.0, np.nan], [np.inf, 2.0, np.inf, -np.inf],
                  [-np.inf, -np.inf, 0.0, 0.0], [np.nan, np.nan, np.nan, np.nan]], dtype)
    for ax in (0, 1):
        check(op, x, (ax, IDS["int64"]), "int64")
    big = np.ones((3, 100_000), dtype)
    big[0, 70_000] = np.nan
    big[0, 90_000] = np.nan
    big[1, 5] = np.nan
    for ax in (0, 1):
        check(op, big, (ax, IDS["int64"]), "int64")
        check(op, np.ascontiguousarray(big.T), (1 - ax, IDS["int64"]), "int64")


# ---- cumsum ------------------------------------------------------------------------------------

CS_SHAPES = [((7,), [0]), ((3, 4), [0, 1, -1]), ((2, 3, 4), [0, 1, 2]), ((0, 3), [0, 1]),
             ((4, 0), [0, 1]), ((1, 1), [0, 1]), ((1024, 10), [0, 1]), ((1024, 500), [0, 1]),
             ((3, 5000), [0, 1]), ((5000, 3), [0, 1]), ((33, 65, 17), [0, 1, 2]),
             ((1_100_000,), [0]), ((2, 600_000), [1]), ((600_000, 2), [0])]


@pytest.mark.parametrize("shape,axes", CS_SHAPES, ids=lambda v: str(v))
@pytest.mark.parametrize("dtype", NUM)
def test_cumsum(dtype, shape, axes):
    rng = np.random.default_rng(10)
    x = rand(shape, dtype, rng)
    if dtype == "float32":        # keep the running sums moderate: float32 rounding of large sums
        x = (x * 0.01).astype(dtype)
    rtol, atol = TOL[dtype] if dtype in TOL else (0, 0)
    if dtype == "float32" and np.prod(shape) > 100_000:
        rtol, atol = 1e-5, 1e-4
    if dtype == "float64" and np.prod(shape) > 100_000:   # a scan adds in another order than the CPU
        rtol, atol = 1e-10, 1e-9
    for ax in axes:
        for excl, rev in itertools.product((0, 1), (0, 1)):
            cpu, gpu = both("cumsum", x, ints=(ax, excl, rev))
            assert_close(cpu, gpu, rtol, atol, f"cumsum {dtype} {shape} axis {ax} excl {excl} rev {rev}")
        cpu, gpu = both("cumsum", x, ints=(ax,))
        assert_close(cpu, gpu, rtol, atol, f"cumsum {dtype} {shape} axis {ax}")


def test_cumsum_int_wrap():
    x = np.array([2**31 - 1, 1, 1, -5], np.int32)
    for excl, rev in itertools.product((0, 1), (0, 1)):
        check("cumsum", x, (0, excl, rev), "int32")
    check("cumsum", np.full(1000, 200, np.uint8), (0, 0, 0), "uint8")


# ---- through the public API, with gradients (composed ops; the forward kernels are ours) --------

@pytest.mark.parametrize("fn", [
    lambda x: tf.reduce_sum(x, axis=0), lambda x: tf.reduce_mean(x, axis=1),
    lambda x: tf.reduce_max(x, axis=1), lambda x: tf.reduce_logsumexp(x, axis=-1),
    lambda x: tf.reduce_prod(x, axis=0), lambda x: tf.math.cumsum(x, axis=1, exclusive=True, reverse=True)],
    ids=["sum", "mean", "max", "logsumexp", "prod", "cumsum"])
def test_gradients_match(fn):
    rng = np.random.default_rng(11)
    x = rng.uniform(0.5, 1.5, size=(64, 30)).astype(np.float32)
    w = rng.standard_normal(np.asarray(fn(tf.constant(x))).shape).astype(np.float32)
    res = {}
    for dev in ("/CPU:0", "/GPU:0"):
        with tf.device(dev):
            v = tf.constant(x)
            with tf.GradientTape() as tape:
                tape.watch(v)
                y = tf.reduce_sum(fn(v) * tf.constant(w))
            g = tape.gradient(y, v)
        res[dev] = (np.array(y), np.array(g))
    assert_close(res["/CPU:0"][0], res["/GPU:0"][0], 1e-5, 1e-5, "value")
    assert_close(res["/CPU:0"][1], res["/GPU:0"][1], 1e-5, 1e-5, "gradient")
