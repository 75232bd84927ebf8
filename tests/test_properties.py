"""Property tests: random shapes (rank 0-4, dims 0-4), dtypes, broadcasting pairs, axes and
indices thrown at the ops on main.  Every call either matches numpy or raises a Python
exception (ValueError / TypeError / IndexError); it never crashes the process."""
import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from minikeras import _core, tf  # noqa: E402
from tests.test_elementwise import FLT, OPS, gen, reference, tol  # noqa: E402

C = _core.ops
DTYPES = ("float32", "float64", "float16", "int32", "int64", "uint8", "bool")
ERRORS = (ValueError, TypeError, IndexError)
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))

shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)
dtypes = st.sampled_from(DTYPES)


def np_broadcast(a, b):
    try:
        return np.broadcast_shapes(a, b)
    except ValueError:
        return None


def maybe_strided(draw, a):
    """The tensor for a, sometimes as a transposed (non-contiguous) view."""
    if a.ndim >= 2 and "transpose" in C and draw(st.booleans()):
        t = tf.constant(np.ascontiguousarray(a.T))
        return C["transpose"](t, ints=tuple(reversed(range(a.ndim))))
    return tf.constant(a)


def assert_matches(got, want, dtype):
    assert isinstance(got, tf.Tensor)
    assert tuple(got.shape) == want.shape, (got.shape, want.shape)
    g = np.asarray(got)
    if want.dtype == np.bool_ or dtype not in FLT:
        np.testing.assert_array_equal(g, want)
    else:
        np.testing.assert_allclose(g.astype(np.float64), want.astype(np.float64), equal_nan=True,
                                   **tol(dtype))


BINARY = sorted(n for n, s in OPS.items() if s[0] == 2)
UNARY = sorted(n for n, s in OPS.items() if s[0] == 1)


@SETTINGS
@given(data=st.data(), name=st.sampled_from(BINARY), sa=shapes, sb=shapes, da=dtypes,
       same_dtype=st.booleans(), related=st.booleans())
def test_binary_elementwise(data, name, sa, sb, da, same_dtype, related):
    _, supported, _, domains, *_ = OPS[name]
    if related:   # make most pairs broadcastable: b takes a suffix of a with some dims set to 1
        k = data.draw(st.integers(0, len(sa)))
        sb = tuple(1 if data.draw(st.booleans()) else d for d in sa[len(sa) - k:])
    db = da if same_dtype else data.draw(dtypes)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    a = gen(rng, domains[0], da, sa)
    b = gen(rng, domains[1], db, sb)
    ta, tb = maybe_strided(data.draw, a), maybe_strided(data.draw, b)
    floats = OPS[name][4] if len(OPS[name]) > 4 else ()
    out_shape = np_broadcast(sa, sb)
    if da != db or da not in supported or out_shape is None:
        with pytest.raises(ValueError):
            C[name](ta, tb, floats=floats)
        return
    assert_matches(C[name](ta, tb, floats=floats), reference(name, [a, b], da), da)


@SETTINGS
@given(data=st.data(), name=st.sampled_from(UNARY), shape=shapes, dtype=dtypes)
def test_unary_elementwise(data, name, shape, dtype):
    _, supported, _, domains, *_ = OPS[name]
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    a = gen(rng, domains[0], dtype, shape)
    t = maybe_strided(data.draw, a)
    floats = OPS[name][4] if len(OPS[name]) > 4 else ()
    if dtype not in supported:
        with pytest.raises(ValueError):
            C[name](t, floats=floats)
        return
    assert_matches(C[name](t, floats=floats), reference(name, [a], dtype), dtype)


@SETTINGS
@given(data=st.data(), sc=shapes, sa=shapes, sb=shapes, dtype=dtypes)
def test_where_and_cast(data, sc, sa, sb, dtype):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    c = rng.random(sc) > 0.5
    a, b = gen(rng, "any", dtype, sa), gen(rng, "any", dtype, sb)
    try:
        want = np.where(c, a, b)
    except ValueError:
        with pytest.raises(ValueError):
            C["where"](tf.constant(c), tf.constant(a), tf.constant(b))
    else:
        assert_matches(C["where"](maybe_strided(data.draw, c), maybe_strided(data.draw, a),
                                  tf.constant(b)), want, dtype)
    dst = data.draw(dtypes)
    if dtype in FLT and dst == "uint8":
        a = np.abs(a)
    got = tf.cast(maybe_strided(data.draw, a), dst)
    assert_matches(got, a.astype(dst), dst)


@SETTINGS
@given(data=st.data(), sa=shapes, sb=shapes, dtype=dtypes, ta=st.booleans(), tb=st.booleans())
def test_matmul(data, sa, sb, dtype, ta, tb):
    if data.draw(st.booleans()) and len(sa) >= 2:      # mostly compatible inner dims
        k = sa[-2] if ta else sa[-1]
        sb = sb[:-2] + ((data.draw(st.integers(0, 4)), k) if tb else (k, data.draw(st.integers(0, 4))))
        if len(sb) < 2:
            sb = (k, 2) if not tb else (2, k)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    a, b = gen(rng, "any", dtype, sa), gen(rng, "any", dtype, sb)
    want = None
    if len(sa) >= 2 and len(sb) >= 2 and dtype not in ("uint8", "bool"):
        try:
            with np.errstate(all="ignore"):
                want = np.matmul(np.swapaxes(a, -1, -2) if ta else a, np.swapaxes(b, -1, -2) if tb else b)
        except ValueError:
            want = None
    t1, t2 = maybe_strided(data.draw, a), maybe_strided(data.draw, b)
    if want is None:
        with pytest.raises(ValueError):
            tf.matmul(t1, t2, transpose_a=ta, transpose_b=tb)
        return
    got = tf.matmul(t1, t2, transpose_a=ta, transpose_b=tb)
    if dtype == "float16":
        want = np.matmul(*(x.astype(np.float32) for x in (np.swapaxes(a, -1, -2) if ta else a,
                                                          np.swapaxes(b, -1, -2) if tb else b)))
        np.testing.assert_allclose(np.asarray(got).astype(np.float32), want, rtol=5e-3, atol=5e-2)
        return
    if dtype == "float32":
        np.testing.assert_allclose(np.asarray(got), want, rtol=1e-4, atol=1e-4)
        return
    assert_matches(got, want.astype(dtype), dtype)


axes = st.one_of(st.none(), st.integers(-5, 4), st.lists(st.integers(-5, 4), max_size=3).map(tuple))


@pytest.mark.skipif(not hasattr(tf.math, "reduce_sum"), reason="reduce family not merged yet")
@SETTINGS
@given(data=st.data(), shape=shapes, dtype=st.sampled_from(("float32", "float64", "int32", "int64")),
       axis=axes, keepdims=st.booleans(), op=st.sampled_from(("sum", "max", "min", "mean", "prod")))
def test_reductions(data, shape, dtype, axis, keepdims, op):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    a = gen(rng, "grid" if dtype in FLT else "any", dtype, shape)
    fn = getattr(tf.math, "reduce_" + op)
    if isinstance(axis, tuple) and len({x % max(len(shape), 1) for x in axis}) != len(axis):
        return   # duplicate axes: undefined in both
    kw = {}
    if op in ("max", "min"):   # TF: the identity (-inf / lowest, +inf / highest) on empty axes
        info = np.finfo(dtype) if dtype in FLT else np.iinfo(dtype)
        kw["initial"] = (-np.inf if dtype in FLT else info.min) if op == "max" else \
            (np.inf if dtype in FLT else info.max)
    npfn = {"sum": np.sum, "max": np.max, "min": np.min, "mean": np.mean, "prod": np.prod}[op]
    try:
        if len(shape) == 0 and axis not in (None, ()):
            raise ValueError("TF: no axis 0 in a scalar (numpy allows it)")
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = npfn(a, axis=axis, keepdims=keepdims, **kw)
    except ERRORS:
        with pytest.raises(ERRORS):
            fn(maybe_strided(data.draw, a), axis=axis, keepdims=keepdims)
        return
    got = fn(maybe_strided(data.draw, a), axis=axis, keepdims=keepdims)
    want = np.asarray(want)
    if op == "mean" and dtype not in FLT:      # integer mean: shape and dtype only
        assert tuple(got.shape) == want.shape and got.dtype.name == dtype
    elif op in ("sum", "mean", "prod") and dtype in FLT:
        assert tuple(got.shape) == want.shape and got.dtype.name == dtype
        np.testing.assert_allclose(np.asarray(got), want.astype(dtype), rtol=1e-5, atol=1e-5)
    else:
        assert_matches(got, want.astype(dtype), dtype)


def _gather():
    g = getattr(tf, "gather", None)
    if g is None:
        try:
            from minikeras.engine.api.index import gather as g
        except ImportError:
            return None
    return g


@pytest.mark.skipif(_gather() is None, reason="index family not merged yet")
@SETTINGS
@given(data=st.data(), shape=shapes, dtype=dtypes, ishape=st.lists(st.integers(0, 3), max_size=2).map(tuple))
def test_gather(data, shape, dtype, ishape):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    a = gen(rng, "any", dtype, shape)
    axis = data.draw(st.integers(-5, 4))
    idx = rng.integers(-1, 6, ishape).astype(np.int32)
    t = maybe_strided(data.draw, a)
    ok = len(shape) > 0 and -len(shape) <= axis < len(shape)
    if ok:
        n = shape[axis]
        ok = bool(np.all((idx >= 0) & (idx < n)))
    if not ok:
        with pytest.raises(ERRORS):
            _gather()(t, tf.constant(idx), axis=axis)
        return
    assert_matches(_gather()(t, tf.constant(idx), axis=axis), np.take(a, idx, axis=axis), dtype)


def _shape_api():
    try:
        from minikeras.engine.api import shape  # noqa: F401
        return True
    except ImportError:
        return False


index_item = st.one_of(st.integers(-5, 5), st.slices(5), st.just(None), st.just(Ellipsis))


@pytest.mark.skipif(not _shape_api(), reason="shape family (getitem) not merged yet")
@SETTINGS
@given(data=st.data(), shape=shapes, dtype=dtypes, key=st.lists(index_item, max_size=4).map(tuple))
def test_getitem(data, shape, dtype, key):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    a = gen(rng, "any", dtype, shape)
    t = maybe_strided(data.draw, a)
    try:
        want = a[key]
    except ERRORS:
        with pytest.raises(ERRORS):
            t[key]
        return
    assert_matches(t[key], np.asarray(want), dtype)
