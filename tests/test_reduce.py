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
