"""Reduce family: reduce_* ops, argmax/argmin, cumsum (C ops against numpy),
then the public api functions and gradients."""
import itertools
import math

import numpy as np
import pytest

from minikeras import _core as K

C = K.ops
IDS = {name: i for i, (name, *_rest) in enumerate(K.dtype_table())}
NUM_DTYPES = ["float32", "float64", "int32", "int64", "uint8"]
SHAPES = [(), (5,), (3, 4), (2, 3, 4), (2, 1, 3, 4), (0, 3), (3, 0), (4, 1), (1, 1)]


def T(a):
    return K.from_buffer(np.array(a, order="C"))


def A(t):
    return np.asarray(t)


def rand(shape, dtype, rng, lo=-5, hi=5):
    if np.dtype(dtype).kind == "f":
        return rng.standard_normal(shape).astype(dtype)
    if dtype == "uint8":
        return rng.integers(0, 6, size=shape).astype(dtype)
    if dtype == "bool":
        return rng.random(shape) < 0.5
    return rng.integers(lo, hi, size=shape).astype(dtype)


def red(op, x, axes=None, keepdims=False):
    """run a reduce_* op; axes None = all, else a tuple of non-negative axes"""
    if axes is None:
        return A(C[op](T(x), ints=(int(keepdims), 0, 1)))
    mask = sum(1 << a for a in axes)
    return A(C[op](T(x), ints=(int(keepdims), mask)))


def all_axes(nd):
    yield None
    for k in range(nd + 1):
        yield from itertools.combinations(range(nd), k)


def np_ref(op, x, axes, keepdims):
    ax = tuple(range(x.ndim)) if axes is None else tuple(axes)
    dt = x.dtype
    isf = dt.kind == "f"
    if op == "reduce_sum":
        r = np.sum(x.astype(np.float64 if isf else np.int64), axis=ax, keepdims=keepdims)
    elif op == "reduce_prod":
        r = np.prod(x.astype(np.float64 if isf else np.int64), axis=ax, keepdims=keepdims)
    elif op == "reduce_mean":
        cnt = int(np.prod([x.shape[a] for a in ax])) if ax else 1
        if isf:
            with np.errstate(invalid="ignore"):
                r = np.sum(x.astype(np.float64), axis=ax, keepdims=keepdims) / cnt
        else:
            s = np.sum(x.astype(np.int64), axis=ax, keepdims=keepdims)
            r = np.zeros_like(s) if cnt == 0 else np.sign(s) * (np.abs(s) // cnt)
    elif op == "reduce_max":
        init = -np.inf if isf else np.iinfo(dt).min
        r = np.max(x, axis=ax, keepdims=keepdims, initial=init)
    elif op == "reduce_min":
        init = np.inf if isf else np.iinfo(dt).max
        r = np.min(x, axis=ax, keepdims=keepdims, initial=init)
    elif op == "reduce_any":
        r = np.any(x, axis=ax, keepdims=keepdims)
    elif op == "reduce_all":
        r = np.all(x, axis=ax, keepdims=keepdims)
    elif op == "reduce_logsumexp":
        x64 = x.astype(np.float64)
        m = np.max(x64, axis=ax, keepdims=True, initial=-np.inf)
        s = np.where(np.isfinite(m), m, 0)
        with np.errstate(divide="ignore"):
            r = np.log(np.sum(np.exp(x64 - s), axis=ax, keepdims=True)) + s
        if not keepdims:
            r = np.squeeze(r, axis=ax) if ax else r
    return np.asarray(r).astype(dt)


def check(op, x, axes, keepdims, rtol=None):
    got = red(op, x, axes, keepdims)
    want = np_ref(op, x, axes, keepdims)
    assert got.shape == want.shape, (op, x.shape, axes, keepdims, got.shape, want.shape)
    assert got.dtype == want.dtype, (op, got.dtype, want.dtype)
    if x.dtype.kind == "f":
        tol = rtol or (1e-5 if x.dtype == np.float32 else 1e-12)
        np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=f"{op} {x.shape} {axes}")
    else:
        np.testing.assert_array_equal(got, want, err_msg=f"{op} {x.shape} {axes}")


# ---- forward: small shapes, every axis subset, every dtype ---------------------

@pytest.mark.parametrize("op", ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min", "reduce_prod"])
@pytest.mark.parametrize("dtype", NUM_DTYPES)
def test_reduce_small(op, dtype):
    rng = np.random.default_rng(0)
    for shape in SHAPES:
        x = rand(shape, dtype, rng, -3, 4) if op == "reduce_prod" else rand(shape, dtype, rng)
        for axes in all_axes(len(shape)):
            for kd in (False, True):
                check(op, x, axes, kd)


@pytest.mark.parametrize("op", ["reduce_any", "reduce_all"])
def test_reduce_bool(op):
    rng = np.random.default_rng(1)
    for shape in SHAPES + [(3, 64)]:
        for x in (rand(shape, "bool", rng), np.ones(shape, bool), np.zeros(shape, bool)):
            for axes in all_axes(len(shape)):
                for kd in (False, True):
                    check(op, x, axes, kd)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logsumexp_small(dtype):
    rng = np.random.default_rng(2)
    for shape in SHAPES:
        x = rand(shape, dtype, rng) * 30
        for axes in all_axes(len(shape)):
            for kd in (False, True):
                check("reduce_logsumexp", x, axes, kd)


def test_logsumexp_special():
    x = np.array([[-np.inf, -np.inf], [np.inf, 1.0], [np.nan, 1.0], [1000.0, 1000.0]], np.float32)
    got = red("reduce_logsumexp", x, (1,))
    assert got[0] == -np.inf and got[1] == np.inf and np.isnan(got[2])
    np.testing.assert_allclose(got[3], 1000 + np.log(2), rtol=1e-6)


def test_float16():
    x = np.arange(12, dtype=np.float16).reshape(3, 4)
    got = red("reduce_sum", x, (1,))
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, x.astype(np.float32).sum(1).astype(np.float16))
    np.testing.assert_array_equal(red("reduce_max", x, (0,)), x.max(0))


def test_int_wraps_and_mean_truncates():
    x = np.array([2**30, 2**30, 2**30, 2**30], np.int32)
    assert red("reduce_sum", x) == np.int32(0)        # wraps like TF's int32 sum
    assert red("reduce_sum", np.array([200, 100], np.uint8)) == 44
    assert red("reduce_mean", np.array([-1, -2], np.int32)) == -1   # truncating division
    assert red("reduce_mean", np.array([7, 8], np.int64)) == 7
    assert red("reduce_mean", np.array([255, 255], np.uint8)) == 255


def test_empty_reductions():
    e32 = np.zeros((0,), np.float32)
    assert red("reduce_sum", e32) == 0 and red("reduce_prod", e32) == 1
    assert red("reduce_max", e32) == -np.inf and red("reduce_min", e32) == np.inf
    assert np.isnan(red("reduce_mean", e32))
    assert red("reduce_max", np.zeros((0,), np.int32)) == np.iinfo(np.int32).min
    assert red("reduce_min", np.zeros((0,), np.int64)) == np.iinfo(np.int64).max
    assert red("reduce_mean", np.zeros((0,), np.int32)) == 0
    assert red("reduce_any", np.zeros((0,), bool)) == False  # noqa: E712
    assert red("reduce_all", np.zeros((0,), bool)) == True  # noqa: E712
    assert red("reduce_logsumexp", e32) == -np.inf
    assert red("reduce_sum", np.zeros((0, 3), np.float32), (0,)).tolist() == [0, 0, 0]
    assert red("reduce_sum", np.zeros((0, 3), np.float32), (1,)).shape == (0,)


def test_nan_propagates_in_max_min():
    x = np.array([[1, np.nan, 3], [1, 2, 3]], np.float32)
    np.testing.assert_array_equal(red("reduce_max", x, (1,)), [np.nan, 3])
    np.testing.assert_array_equal(red("reduce_min", x, (1,)), [np.nan, 1])
    np.testing.assert_array_equal(red("reduce_max", x, (0,)), [1, np.nan, 3])
    big = np.ones((64, 300), np.float64)
    big[63, 299] = np.nan
    assert np.isnan(red("reduce_max", big))
    assert np.isnan(red("reduce_min", big, (0,))[299])


def test_default_attrs_reduce_all():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert A(C["reduce_sum"](T(x))) == 15
    assert A(C["reduce_sum"](T(x), ints=(1,))).shape == (1, 1)
    np.testing.assert_array_equal(A(C["reduce_sum"](T(x), ints=(0, 0))), x)   # axis=[]


# ---- forward: big inputs through the threaded row / column / chunked paths -----

BIG = [((1000, 300), (0,)), ((1000, 300), (1,)), ((1000, 300), None), ((3, 60000), (1,)),
       ((100000, 3), (0,)), ((7, 3000, 5), (1,)), ((30, 40, 50), (0, 2)), ((30, 40, 50), (1,)),
       ((200000,), (0,)), ((2, 70000), (0,)), ((16, 8, 512), (0, 1))]


@pytest.mark.parametrize("shape,axes", BIG)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int32"])
def test_reduce_big(shape, axes, dtype):
    rng = np.random.default_rng(3)
    x = rand(shape, dtype, rng)
    for op in ["reduce_sum", "reduce_mean", "reduce_max", "reduce_min"]:
        check(op, x, axes, False)
    if dtype != "int32":
        check("reduce_logsumexp", x, axes, True)
    xp = (1 + 1e-4 * rand(shape, "float64", rng)).astype(dtype) if dtype != "int32" else \
        np.where(rng.random(shape) < 0.999, 1, -1).astype(dtype)
    check("reduce_prod", xp, axes, False, rtol=1e-4)
    b = rng.random(shape) < 0.9999
    check("reduce_all", b, axes, False)
    check("reduce_any", ~b, axes, True)


def test_sum_accuracy():
    # float32: accumulated in double, so as good as the float32 rounding of the exact sum
    x = np.full(1_000_003, 0.1, np.float32)
    exact = math.fsum(x.astype(np.float64))
    assert abs(float(red("reduce_sum", x)) - exact) <= 1e-7 * exact
    xc = x.reshape(-1, 1)[:1_000_000].reshape(100000, 10)
    got = red("reduce_sum", xc, (0,))
    np.testing.assert_allclose(got, np.full(10, math.fsum(xc[:, 0].astype(np.float64))), rtol=1e-7)
    # float64: pairwise, numpy-level
    rng = np.random.default_rng(4)
    y = rng.standard_normal(1_000_001) + 1e3
    assert abs(float(red("reduce_sum", y)) - math.fsum(y)) <= 1e-13 * abs(math.fsum(y))
    yc = y[:1_000_000].reshape(10000, 100)
    want = np.array([math.fsum(yc[:, j]) for j in range(100)])
    np.testing.assert_allclose(red("reduce_sum", yc, (0,)), want, rtol=1e-13)
    # mean of a float32 tensor is the float32 rounding of the exact mean
    np.testing.assert_allclose(red("reduce_mean", x), np.float32(exact / x.size), rtol=1e-7)


# ---- argmax / argmin -------------------------------------------------------------

def arg(op, x, axis, out=None):
    ints = (axis,) if out is None else (axis, IDS[out])
    return A(C[op](T(x), ints=ints))


@pytest.mark.parametrize("dtype", NUM_DTYPES + ["bool"])
def test_argmax_argmin(dtype):
    rng = np.random.default_rng(5)
    for shape in [(5,), (3, 4), (2, 3, 4), (4, 1), (1, 7), (0, 3), (2, 300, 3), (5, 3000)]:
        x = rand(shape, dtype, rng, -2, 3)
        for axis in range(-len(shape), len(shape)):
            if shape[axis] == 0:
                continue
            for op, ref in (("argmax", np.argmax), ("argmin", np.argmin)):
                got = arg(op, x, axis)
                assert got.dtype == np.int64
                np.testing.assert_array_equal(got, ref(x, axis=axis), err_msg=f"{op} {shape} {axis}")
                got32 = arg(op, x, axis, "int32")
                assert got32.dtype == np.int32
                np.testing.assert_array_equal(got32, ref(x, axis=axis))


def test_argmax_nan_ties_and_errors():
    x = np.array([[1, 3, 3, 0], [np.nan, 5, np.nan, 1], [2, 2, 2, 2]], np.float32)
    np.testing.assert_array_equal(arg("argmax", x, 1), [1, 0, 0])
    np.testing.assert_array_equal(arg("argmin", x, 1), [3, 0, 0])
    np.testing.assert_array_equal(arg("argmax", x, 0), np.argmax(x, 0))
    np.testing.assert_array_equal(arg("argmin", x.T.copy(), 0), np.argmin(x.T, 0))
    with pytest.raises(K.InvalidArgumentError, match=r"argmax.*empty.*\[0,3\]"):
        arg("argmax", np.zeros((0, 3), np.float32), 0)
    assert arg("argmax", np.zeros((0, 3), np.float32), 1).shape == (0,)
    with pytest.raises(K.InvalidArgumentError, match="argmin.*out of bounds"):
        arg("argmin", np.zeros((2, 3), np.float32), 2)
    with pytest.raises(K.InvalidArgumentError, match="output_type"):
        arg("argmax", np.zeros((2, 3), np.float32), 0, "float32")


# ---- cumsum ------------------------------------------------------------------

def np_cumsum(x, axis, exclusive, reverse):
    acc = np.float64 if x.dtype.kind == "f" else np.int64
    y = np.flip(x, axis) if reverse else x
    c = np.cumsum(y.astype(acc), axis=axis)
    if exclusive:
        c = c - y.astype(acc)
    if reverse:
        c = np.flip(c, axis)
    return c.astype(x.dtype)


@pytest.mark.parametrize("dtype", NUM_DTYPES)
def test_cumsum(dtype):
    rng = np.random.default_rng(6)
    for shape in [(5,), (3, 4), (2, 3, 4), (4, 1), (0, 3), (3, 0), (2, 2000, 9), (40000, 3)]:
        x = rand(shape, dtype, rng)
        for axis in range(-len(shape), len(shape)):
            for ex, rv in itertools.product((0, 1), (0, 1)):
                got = A(C["cumsum"](T(x), ints=(axis, ex, rv)))
                want = np_cumsum(x, axis, ex, rv)
                assert got.dtype == x.dtype and got.shape == x.shape
                if x.dtype.kind == "f":
                    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)
                else:
                    np.testing.assert_array_equal(got, want)


def test_cumsum_errors():
    with pytest.raises(K.InvalidArgumentError, match="cumsum.*out of bounds"):
        C["cumsum"](T(np.zeros((2, 3), np.float32)), ints=(2, 0, 0))
    with pytest.raises(K.InvalidArgumentError, match="cumsum.*bool"):
        C["cumsum"](T(np.zeros((2, 3), bool)), ints=(0, 0, 0))


# ---- errors -----------------------------------------------------------------

def test_reduce_errors():
    x = T(np.zeros((2, 3), np.float32))
    with pytest.raises(K.InvalidArgumentError, match=r"reduce_sum.*out of range.*\[2,3\]"):
        C["reduce_sum"](x, ints=(0, 0b100))
    with pytest.raises(K.InvalidArgumentError, match="reduce_sum.*bool"):
        C["reduce_sum"](T(np.zeros(3, bool)))
    with pytest.raises(K.InvalidArgumentError, match="reduce_any.*bool.*float32"):
        C["reduce_any"](x)
    with pytest.raises(K.InvalidArgumentError, match="reduce_logsumexp.*floating.*int32"):
        C["reduce_logsumexp"](T(np.zeros(3, np.int32)))


# ---- the public api ------------------------------------------------------------

from minikeras import tf  # noqa: E402
from minikeras.engine.api import reduce as R  # noqa: E402

HAS_SHAPE = "reshape" in C and "broadcast_to" in C
need_shape = pytest.mark.skipif(not HAS_SHAPE, reason="needs the shape family (reshape, broadcast_to)")


def test_api_axis_forms():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    for axis in [None, 0, -1, [0, 2], (1, -1), np.array([2, 0]), [], tf.constant([0, 1])]:
        ax = None if axis is None else tuple(int(a) for a in np.asarray(axis).reshape(-1))
        for kd in (False, True):
            np.testing.assert_allclose(R.reduce_sum(x, axis, kd), np.sum(x, axis=ax, keepdims=kd))
            np.testing.assert_allclose(R.reduce_mean(tf.constant(x), axis=axis, keepdims=kd),
                                       np.mean(x, axis=ax, keepdims=kd), rtol=1e-6)
            np.testing.assert_allclose(R.reduce_max(x, axis, kd), np.max(x, axis=ax, keepdims=kd))
            np.testing.assert_allclose(R.reduce_min(x, axis, kd), np.min(x, axis=ax, keepdims=kd))
    assert R.reduce_sum([1, 2, 3]).dtype == tf.int32
    assert float(R.reduce_mean([1.0, 2.0])) == 1.5
    assert int(R.reduce_mean([1, 2])) == 1                       # integer mean, as TF
    assert bool(R.reduce_any([False, True])) and not bool(R.reduce_all([False, True]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"reduce_sum.*Invalid reduction dimension 3.*\[2, 3, 4\]"):
        R.reduce_sum(x, axis=3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="Invalid reduction dimension"):
        R.reduce_max(np.float32(1.0), axis=0)
    with pytest.raises(TypeError):
        R.reduce_sum(x, axis=1.5)


def test_api_composites():
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 5, 6)).astype(np.float32)
    x64 = x.astype(np.float64)
    for axis in [None, 1, [0, 2], -1]:
        ax = None if axis is None else tuple(np.atleast_1d(axis))
        for kd in (False, True):
            np.testing.assert_allclose(R.reduce_variance(x, axis, kd), np.var(x64, axis=ax, keepdims=kd), rtol=1e-5)
            np.testing.assert_allclose(R.reduce_std(x, axis, kd), np.std(x64, axis=ax, keepdims=kd), rtol=1e-5)
            np.testing.assert_allclose(R.reduce_euclidean_norm(x, axis, kd),
                                       np.sqrt(np.sum(x64 ** 2, axis=ax, keepdims=kd)), rtol=1e-5)
            m = np.max(x64, axis=ax, keepdims=True)
            lse = np.log(np.sum(np.exp(x64 - m), axis=ax, keepdims=True)) + m
            np.testing.assert_allclose(R.reduce_logsumexp(x, axis, kd),
                                       lse if kd else np.squeeze(lse, ax), rtol=1e-5)
    assert int(R.reduce_euclidean_norm(np.array([3, 4, 1], np.int32))) == 5
    with pytest.raises(TypeError):
        R.reduce_variance(np.array([1, 2], np.int32))
    np.testing.assert_allclose(R.reduce_prod(x[:2, :2, :2], [0, 1]), np.prod(x[:2, :2, :2], (0, 1)), rtol=1e-6)


def test_api_argmax_cumsum_count_nonzero():
    x = np.array([[1, 5, 5], [7, 0, 7]], np.float32)
    assert R.argmax(x).dtype == tf.int64
    np.testing.assert_array_equal(R.argmax(x), [1, 0, 1])            # axis None -> 0
    np.testing.assert_array_equal(R.argmax(x, axis=1), [1, 0])
    np.testing.assert_array_equal(R.argmin(x, -1, output_type=tf.int32), [0, 1])
    assert R.argmin(x, 1, output_type=tf.int32).dtype == tf.int32
    assert R.argmax(x, axis=tf.constant(1)).numpy().tolist() == [1, 0]
    with pytest.raises(TypeError):
        R.argmax(x, output_type=tf.float32)
    np.testing.assert_array_equal(R.cumsum(x, axis=1), np.cumsum(x, 1))
    np.testing.assert_array_equal(R.cumsum([1, 2, 3], exclusive=True), [0, 1, 3])
    np.testing.assert_array_equal(R.cumsum([1, 2, 3], reverse=True), [6, 5, 3])
    np.testing.assert_array_equal(R.cumsum([1, 2, 3], exclusive=True, reverse=True), [5, 3, 0])
    c = R.count_nonzero(x)
    assert c.dtype == tf.int64 and int(c) == 5
    np.testing.assert_array_equal(R.count_nonzero(x, axis=0, keepdims=True), [[2, 1, 2]])
    assert R.count_nonzero([True, False, True], dtype=tf.int32).dtype == tf.int32
    assert int(R.count_nonzero(np.array([0, 3, 0, 2], np.uint8))) == 2


def test_api_norm():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((3, 4, 5)).astype(np.float64)
    v = x[0, 0]
    np.testing.assert_allclose(R.norm(v), np.linalg.norm(v))
    np.testing.assert_allclose(R.norm(x), np.sqrt(np.sum(x ** 2)))              # all entries
    for o in [1, 2, np.inf, 3, 0.5, "euclidean"]:
        no = 2 if o == "euclidean" else o
        np.testing.assert_allclose(R.norm(x, ord=o, axis=-1), np.linalg.norm(x, ord=no, axis=-1), rtol=1e-12)
        np.testing.assert_allclose(R.norm(x, ord=o, axis=1, keepdims=True),
                                   np.linalg.norm(x, ord=no, axis=1, keepdims=True), rtol=1e-12)
    for o in ["fro", "euclidean", 1, np.inf]:
        no = "fro" if o == "euclidean" else o
        for ax in [(1, 2), (-1, 0), (2, 1)]:
            for kd in (False, True):
                np.testing.assert_allclose(R.norm(x, ord=o, axis=ax, keepdims=kd),
                                           np.linalg.norm(x, ord=no, axis=ax, keepdims=kd), rtol=1e-12)
    with pytest.raises(ValueError):
        R.norm(x, ord=-1, axis=1)
    with pytest.raises(ValueError):
        R.norm(x, ord="nuc", axis=(0, 1))
    with pytest.raises(ValueError):
        R.norm(x, axis=(1, 1))


def test_api_moments_and_nanmean():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((8, 3, 4)).astype(np.float32)
    for axes, kd in [([0], False), ([0, 1, 2], False), ([0, 2], True), ([-1], True)]:
        m, v = R.moments(x, axes, keepdims=kd)
        np.testing.assert_allclose(m, np.mean(x, tuple(axes), keepdims=kd), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(v, np.var(x.astype(np.float64), tuple(axes), keepdims=kd), rtol=1e-5)
    m, v = R.moments(x.astype(np.float16), [0])
    assert m.dtype == tf.float16 and v.dtype == tf.float16
    a = np.array([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]], np.float32)
    with np.errstate(all="ignore"), __import__("warnings").catch_warnings():
        __import__("warnings").simplefilter("ignore")
        np.testing.assert_allclose(R.nanmean(a, axis=1), np.nanmean(a, axis=1))
        np.testing.assert_allclose(R.nanmean(a, axis=0, keepdims=True), np.nanmean(a, axis=0, keepdims=True))
    assert float(R.nanmean(a)) == 2.0
    assert np.isnan(float(R.nanmean(np.array([np.nan], np.float32))))
    r = R.nanmean(np.array([1, 2], np.int32))
    assert r.dtype == tf.float64 and float(r) == 1.5
    assert R.nanmean(a, dtype=tf.float64).dtype == tf.float64


# ---- gradients --------------------------------------------------------------------

def gcheck(fn, arrays, atol=1e-6, rtol=1e-4):
    """tape gradients against central differences, with random output weights fed in
    as output_gradients (d<fn, w>/dx)."""
    from tests.gradcheck import numeric_grad
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    ts = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        for t in ts:
            tape.watch(t)
        out = fn(*ts)
    w = np.random.default_rng(0).uniform(0.5, 1.5, size=tuple(out.shape))
    analytic = tape.gradient(out, ts, output_gradients=tf.constant(w))
    numeric = numeric_grad(fn, arrays, w)
    for k, (ga, gn) in enumerate(zip(analytic, numeric)):
        ga = np.zeros_like(gn) if ga is None else np.asarray(ga)
        np.testing.assert_allclose(ga, gn, atol=atol, rtol=rtol,
                                   err_msg=f"gradient of input {k} differs from finite differences")


GRAD_CASES = [((5,), None), ((3, 4), 0), ((3, 4), 1), ((3, 4), None), ((2, 3, 4), [0, 2]),
              ((2, 3, 4), -2), ((2, 1, 3), [1]), ((3, 4), [])]


@need_shape
@pytest.mark.parametrize("fn", [R.reduce_sum, R.reduce_mean, R.reduce_max, R.reduce_min,
                                R.reduce_prod, R.reduce_logsumexp, R.reduce_variance, R.reduce_std,
                                R.reduce_euclidean_norm])
def test_reduce_gradients(fn):
    rng = np.random.default_rng(10)
    for shape, axis in GRAD_CASES:
        if fn is R.reduce_std and axis in ([1], []):
            continue     # a zero variance: sqrt'(0) is infinite (NaN gradient, as TF)
        x = rng.uniform(0.5, 2.0, size=shape) * rng.choice([-1, 1], size=shape)
        for kd in (False, True):
            gcheck(lambda t: fn(t, axis=axis, keepdims=kd), [x])


@need_shape
def test_max_gradient_splits_ties():
    x = tf.constant(np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]]))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = R.reduce_max(x, axis=1)
    np.testing.assert_allclose(tape.gradient(y, x), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


@need_shape
def test_prod_gradient_with_zeros():
    for row in ([2.0, 0.0, 3.0], [0.0, 0.0, 3.0], [2.0, 5.0, 3.0]):
        gcheck(lambda t: R.reduce_prod(t, axis=1), [np.array([row, [1.5, -2.0, 0.5]])])


@pytest.mark.parametrize("exclusive,reverse", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_cumsum_gradient(exclusive, reverse):
    x = np.random.default_rng(11).standard_normal((3, 4))
    for axis in (0, 1, -1):
        gcheck(lambda t: R.cumsum(t, axis=axis, exclusive=exclusive, reverse=reverse), [x])


@need_shape
def test_composite_gradients():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((4, 3))
    gcheck(lambda t: R.moments(t, [0])[0], [x])
    gcheck(lambda t: R.moments(t, [0, 1], keepdims=True)[1], [x])
    gcheck(lambda t: R.norm(t, axis=1), [x])
    gcheck(lambda t: R.norm(t, ord=1, axis=(0, 1)), [x])
    gcheck(lambda t: R.norm(t, ord=3, axis=0), [x])
    xn = x.copy()
    xn[0, 1] = np.nan
    gcheck(lambda t: R.nanmean(t, axis=0), [x])


@need_shape
def test_second_derivative_of_logsumexp():
    x = tf.constant(np.array([0.3, -1.2, 2.0]))
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            y = R.reduce_logsumexp(x)
        g = t1.gradient(y, x)          # softmax(x)
        s = R.reduce_sum(g * g)
    h = t2.gradient(s, x)
    p = np.exp(x.numpy() - np.log(np.sum(np.exp(x.numpy()))))
    # d/dx sum(p^2) = 2 (p^2 - p * sum(p^2))
    np.testing.assert_allclose(h, 2 * (p * p - p * np.sum(p * p)), rtol=1e-10)


def test_argmax_not_differentiable():
    x = tf.constant(np.array([1.0, 3.0]))
    with tf.GradientTape() as tape:
        tape.watch(x)
        i = R.argmax(x)
    assert tape.gradient(i, x) is None


@pytest.mark.skipif("transpose" not in C, reason="needs the shape family (transpose)")
def test_strided_inputs():
    rng = np.random.default_rng(13)
    x = rng.standard_normal((6, 5, 4)).astype(np.float32)
    for perm in [(1, 0, 2), (2, 1, 0), (0, 2, 1)]:
        xt = C["transpose"](T(x), ints=perm)
        ref = np.transpose(x, perm)
        for axes in [None, (0,), (2,), (0, 2)]:
            mask = (0, 0, 1) if axes is None else (0, sum(1 << a for a in axes))
            for op, f in [("reduce_sum", np.sum), ("reduce_max", np.max), ("reduce_min", np.min)]:
                np.testing.assert_allclose(A(C[op](xt, ints=mask)), f(ref, axis=axes), rtol=1e-5, atol=1e-6)
        for ax in range(3):
            np.testing.assert_array_equal(A(C["argmax"](xt, ints=(ax,))), np.argmax(ref, ax))
            np.testing.assert_allclose(A(C["cumsum"](xt, ints=(ax, 0, 0))), np.cumsum(ref, ax), rtol=1e-5, atol=1e-5)
        big = rng.standard_normal((300, 200))
        bt = C["transpose"](T(big), ints=(1, 0))
        np.testing.assert_allclose(A(C["reduce_sum"](bt, ints=(0, 1))), big.sum(1), rtol=1e-12)
