"""The index family: gather/scatter, masks, where, sort/top_k, one_hot and creation ops,
forward against numpy and gradients against finite differences."""
import numpy as np
import pytest

from minikeras import _core, tf
from minikeras.engine.api import index as I

C = _core.ops
Err = tf.errors.InvalidArgumentError
rng = np.random.default_rng(1234)

DTYPES = [np.float32, np.float64, np.float16, np.int32, np.int64, np.uint8, np.bool_]
NUM_DTYPES = [np.float32, np.float64, np.float16, np.int32, np.int64, np.uint8]
IDX = [np.int32, np.int64]


def arr(shape, dtype):
    if dtype == np.bool_:
        return rng.random(shape) > 0.5
    if np.issubdtype(dtype, np.integer):
        return rng.integers(0, 100, size=shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def T(a):
    return tf.constant(a)


def check_grad(fn, arrays, atol=1e-6, rtol=1e-4):
    """tests.gradcheck.check_grad when tf.math.reduce_sum exists; otherwise the same check
    with the random weights fed as output_gradients (d<fn, w>/dx is the same quantity)."""
    if hasattr(tf.math, "reduce_sum"):
        from tests.gradcheck import check_grad as cg
        return cg(fn, arrays, atol=atol, rtol=rtol)
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


def ref_gather(p, idx, axis, bd):
    if bd == 0:
        return np.take(p, idx, axis=axis)
    return np.stack([ref_gather(p[b], idx[b], axis - 1, bd - 1) for b in range(p.shape[0])])


# ---- gather ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("idt", IDX)
def test_gather_dtypes(dtype, idt):
    p = arr((4, 3, 2), dtype)
    for axis in (0, 1, 2, -1):
        n = p.shape[axis]
        idx = rng.integers(0, n, size=(2, 3)).astype(idt)
        out = I.gather(T(p), T(idx), axis=axis)
        assert out.dtype.name == np.dtype(dtype).name
        np.testing.assert_array_equal(np.asarray(out), np.take(p, idx, axis=axis))


def test_gather_batch_dims_and_shapes():
    p = arr((3, 4, 5), np.float32)
    idx = rng.integers(0, 4, size=(3, 2)).astype(np.int32)
    np.testing.assert_array_equal(np.asarray(I.gather(T(p), T(idx), axis=1, batch_dims=1)),
                                  ref_gather(p, idx, 1, 1))
    idx2 = rng.integers(0, 5, size=(3, 4, 6)).astype(np.int64)
    np.testing.assert_array_equal(np.asarray(I.gather(T(p), T(idx2), axis=2, batch_dims=2)),
                                  ref_gather(p, idx2, 2, 2))
    np.testing.assert_array_equal(np.asarray(I.gather(T(p), T(idx2), axis=-1, batch_dims=-1)),
                                  ref_gather(p, idx2, 2, 2))
    # axis defaults to batch_dims
    np.testing.assert_array_equal(np.asarray(I.gather(T(p), T(idx), batch_dims=1)),
                                  ref_gather(p, idx, 1, 1))
    # scalar index, empty indices, size-1, empty params axis with empty indices
    assert I.gather(T(p), 2).shape == (4, 5)
    np.testing.assert_array_equal(np.asarray(I.gather(T(p), 2)), p[2])
    assert I.gather(T(p), np.zeros((0,), np.int32), axis=1).shape == (3, 0, 5)
    assert I.gather(T(np.zeros((0, 3), np.float32)), np.zeros((2, 0), np.int32)).shape == (2, 0, 3)
    np.testing.assert_array_equal(np.asarray(I.gather(T(np.array([7.0])), [0, 0, 0])), [7, 7, 7])
    assert I.gather(T(np.zeros((2, 0), np.float32)), [1, 0, 1]).shape == (3, 0)
    # strided (non-contiguous) params go through a copy
    big = arr((6, 8), np.float64)
    tview = C["copy"](T(big))
    np.testing.assert_array_equal(np.asarray(I.gather(tview, [5, 0])), big[[5, 0]])
    # a list of ints for indices of a float params
    np.testing.assert_array_equal(np.asarray(I.gather([1.5, 2.5, 3.5], [2, 0])), [3.5, 1.5])


def test_gather_large_parallel():
    p = arr((1000, 64), np.float32)
    idx = rng.integers(0, 1000, size=5000).astype(np.int64)
    np.testing.assert_array_equal(np.asarray(I.gather(T(p), T(idx))), p[idx])


def test_gather_out_of_range():
    p = T(np.arange(12.0).reshape(3, 4))
    with pytest.raises(Err, match=r"gather: indices\[1\] = 7 is not in \[0, 3\)"):
        I.gather(p, [0, 7])
    with pytest.raises(Err, match=r"indices\[0,1\] = -1 is not in \[0, 4\)"):
        I.gather(p, [[0, -1]], axis=1)
    with pytest.raises(ValueError, match="indices"):   # InvalidArgumentError is a ValueError
        I.gather(p, np.array([3], np.int64))
    with pytest.raises(TypeError):
        I.gather(p, [0.5])
    with pytest.raises(Err, match="axis"):
        I.gather(p, [0], axis=2)
    with pytest.raises(Err, match="batch_dims"):
        I.gather(p, [[0]], axis=0, batch_dims=1)
    # inside a traced graph, the kernel checks the indices it is replayed with
    f = tf.function(lambda x, i: I.gather(x, i))
    np.testing.assert_array_equal(np.asarray(f(p, tf.constant([2]))), [[8, 9, 10, 11]])
    with pytest.raises(Err, match=r"indices\[0\] = 9 is not in \[0, 3\)"):
        f(p, tf.constant([9]))


# ---- gather_nd / scatter_nd / unsorted_segment_sum ----------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_nd(dtype):
    p = arr((3, 4, 2), dtype)
    for K in (1, 2, 3):
        idx = np.stack([rng.integers(0, p.shape[k], size=(5, 2)) for k in range(K)], -1).astype(np.int32)
        ref = p[tuple(idx[..., k] for k in range(K))]
        np.testing.assert_array_equal(np.asarray(I.gather_nd(T(p), T(idx))), ref)
    # K = 0 takes all of params; empty index batch
    assert I.gather_nd(T(p), np.zeros((2, 0), np.int64)).shape == (2, 3, 4, 2)
    assert I.gather_nd(T(p), np.zeros((0, 2), np.int64)).shape == (0, 2)


def test_gather_nd_batch_dims_and_errors():
    p = arr((2, 3, 4), np.float32)
    idx = np.array([[[1], [2]], [[0], [0]]], np.int32)
    ref = np.stack([p[b][idx[b][:, 0]] for b in range(2)])
    np.testing.assert_array_equal(np.asarray(I.gather_nd(T(p), T(idx), batch_dims=1)), ref)
    with pytest.raises(Err, match=r"indices\[1\] = \[0, 4\] does not index into param shape \[2,3,4\]"):
        I.gather_nd(T(p), [[1, 2], [0, 4]])
    with pytest.raises(Err, match="innermost dimension"):
        I.gather_nd(T(p), [[0, 0, 0, 0]])


@pytest.mark.parametrize("dtype", NUM_DTYPES)
def test_scatter_nd(dtype):
    idx = np.array([[0, 1], [2, 3], [0, 1], [1, 0]], np.int64)
    upd = arr((4, 5), dtype) if dtype != np.uint8 else rng.integers(0, 50, (4, 5)).astype(dtype)
    ref = np.zeros((3, 4, 5), dtype)
    np.add.at(ref, (idx[:, 0], idx[:, 1]), upd)
    out = I.scatter_nd(T(idx), T(upd), [3, 4, 5])
    assert out.dtype.name == np.dtype(dtype).name
    np.testing.assert_allclose(np.asarray(out).astype(np.float64), ref.astype(np.float64), rtol=1e-3)
    assert I.scatter_nd(np.zeros((0, 1), np.int32), np.zeros((0, 2), np.float32), (3, 2)).shape == (3, 2)
    with pytest.raises(Err, match=r"indices\[1\] = \[3\] does not index into shape \[3,2\]"):
        I.scatter_nd([[0], [3]], np.ones((2, 2), np.float32), [3, 2])
    with pytest.raises(Err, match="updates.shape"):
        I.scatter_nd([[0], [1]], np.ones((2, 3), np.float32), [3, 2])


@pytest.mark.parametrize("dtype", NUM_DTYPES)
def test_unsorted_segment_sum(dtype):
    data = arr((6, 3), dtype)
    ids = np.array([0, 2, -1, 2, 0, 3], np.int32)
    ref = np.zeros((5, 3), np.float64)
    for r, s in enumerate(ids):
        if s >= 0:
            ref[s] += data[r].astype(np.float64)
    out = I.unsorted_segment_sum(T(data), T(ids), 5)
    assert out.shape == (5, 3) and out.dtype.name == np.dtype(dtype).name
    np.testing.assert_allclose(np.asarray(out).astype(np.float64), ref.astype(dtype).astype(np.float64), rtol=1e-2)
    # multi-dim ids, num_segments 0 with no valid rows, big inner dim (parallel)
    d2 = arr((2, 3, 4), np.float64)
    ids2 = np.array([[1, 0, 1], [2, 2, 0]], np.int64)
    ref2 = np.zeros((3, 4))
    np.add.at(ref2, ids2.reshape(-1), d2.reshape(6, 4))
    np.testing.assert_allclose(np.asarray(I.unsorted_segment_sum(T(d2), T(ids2), 3)), ref2)
    assert I.unsorted_segment_sum(np.zeros((2, 3), np.float32), [-1, -1], 0).shape == (0, 3)
    big = arr((200, 700), np.float32)
    bids = rng.integers(0, 10, 200).astype(np.int32)
    refb = np.zeros((10, 700), np.float64)
    np.add.at(refb, bids, big.astype(np.float64))
    np.testing.assert_allclose(np.asarray(I.unsorted_segment_sum(T(big), T(bids), 10)), refb, rtol=1e-4, atol=1e-4)
    with pytest.raises(Err, match=r"segment_ids\[1\] = 5 is out of range \[0, 5\)"):
        I.unsorted_segment_sum(T(data[:2]), [0, 5], 5)
    with pytest.raises(Err, match="does not start with"):
        I.unsorted_segment_sum(T(data), [0, 1], 5)


# ---- masks and where ------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_boolean_mask(dtype):
    x = arr((4, 3, 2), dtype)
    m1 = np.array([True, False, True, True])
    np.testing.assert_array_equal(np.asarray(I.boolean_mask(T(x), m1)), x[m1])
    m2 = rng.random((4, 3)) > 0.5
    np.testing.assert_array_equal(np.asarray(I.boolean_mask(T(x), m2)), x[m2])
    m3 = np.array([False, True, True])
    np.testing.assert_array_equal(np.asarray(I.boolean_mask(T(x), m3, axis=1)), x[:, m3])
    m4 = rng.random((3, 2)) > 0.3
    np.testing.assert_array_equal(np.asarray(I.boolean_mask(T(x), m4, axis=1)), x[:, m4])
    assert I.boolean_mask(T(x), np.zeros(4, bool)).shape == (0, 3, 2)
    assert I.boolean_mask(T(np.zeros((0, 2), dtype)), np.zeros(0, bool)).shape == (0, 2)


def test_boolean_mask_errors_and_graph():
    x = T(np.arange(6.0).reshape(2, 3))
    with pytest.raises(Err, match="incompatible"):
        I.boolean_mask(x, [True, False, True])
    with pytest.raises(ValueError, match="scalar"):
        I.boolean_mask(x, True)
    with pytest.raises(TypeError):
        I.boolean_mask(x, [1, 0])
    f = tf.function(lambda a: I.boolean_mask(a, a > 2.0))
    with pytest.raises(Err, match="boolean_mask: its output shape depends on the input values"):
        f(x)
    g = tf.function(lambda a: I.where(a > 2.0))
    with pytest.raises(Err, match="where_indices"):
        g(x)


@pytest.mark.parametrize("dtype", DTYPES)
def test_where_one_arg(dtype):
    for shape in [(5,), (3, 4), (2, 3, 2), (0, 3), ()]:
        x = arr(shape, dtype)
        if dtype != np.bool_ and x.size:
            x.reshape(-1)[::2] = 0
        out = I.where(T(x))
        assert out.dtype.name == "int64"
        ref = np.argwhere(x) if shape else np.zeros((int(x != 0), 0), np.int64)
        assert out.shape == ref.shape
        np.testing.assert_array_equal(np.asarray(out), ref)
    nan = np.array([0.0, np.nan, -0.0, 2.0], np.float32)
    np.testing.assert_array_equal(np.asarray(I.where(nan)), [[1], [3]])


def test_where_three_args():
    c = np.array([[True, False, True]])
    a = arr((2, 3), np.float32)
    np.testing.assert_array_equal(np.asarray(I.where(c, a, 0.0)), np.where(c, a, 0.0))
    assert tf.where(c).dtype.name == "int64"


# ---- sort / argsort / top_k / in_top_k -----------------------------------------------------

SORT_DTYPES = [np.float32, np.float64, np.float16, np.int32, np.int64, np.uint8]


@pytest.mark.parametrize("dtype", SORT_DTYPES)
def test_sort_argsort(dtype):
    # many ties (small value range) to check stability, sizes below and above the merge run
    for shape, axis in [((7,), 0), ((5, 40), -1), ((40, 3), 0), ((3, 33, 2), 1), ((1, 1), 1)]:
        x = rng.integers(0, 6, size=shape).astype(dtype)
        for direction in ("ASCENDING", "DESCENDING"):
            key = x.astype(np.float64) if direction == "ASCENDING" else -x.astype(np.float64)
            ref_idx = np.argsort(key, axis=axis, kind="stable")
            idx = I.argsort(T(x), axis=axis, direction=direction)
            assert idx.dtype.name == "int32"
            np.testing.assert_array_equal(np.asarray(idx), ref_idx)
            vals = I.sort(T(x), axis=axis, direction=direction)
            assert vals.dtype.name == np.dtype(dtype).name
            np.testing.assert_array_equal(np.asarray(vals), np.take_along_axis(x, ref_idx, axis=axis))


def test_sort_float_values_nan_empty_and_large():
    x = rng.standard_normal((300, 200))   # >= MK_PAR_MIN elements: the threaded path
    np.testing.assert_array_equal(np.asarray(I.argsort(T(x))), np.argsort(x, axis=-1, kind="stable"))
    np.testing.assert_array_equal(np.asarray(I.argsort(T(x), axis=0, direction="DESCENDING")),
                                  np.argsort(-x, axis=0, kind="stable"))
    y = np.array([3.0, np.nan, -1.0, 2.0, np.nan, -np.inf], np.float32)
    np.testing.assert_array_equal(np.asarray(I.argsort(T(y))), np.argsort(y, kind="stable"))
    np.testing.assert_array_equal(np.asarray(I.argsort(T(y), direction="DESCENDING")),
                                  np.argsort(-y, kind="stable"))
    assert I.sort(T(np.zeros((0, 3), np.float32))).shape == (0, 3)
    assert I.argsort(T(np.zeros((2, 0), np.float32))).shape == (2, 0)
    with pytest.raises(ValueError, match="direction"):
        I.sort(T(y), direction="UP")
    with pytest.raises(Err):
        I.sort(T(np.float32(1.0)))


@pytest.mark.parametrize("dtype", SORT_DTYPES)
def test_top_k(dtype):
    for shape in [(10,), (4, 50), (2, 3, 70)]:
        x = rng.integers(0, 20, size=shape).astype(dtype)
        n = shape[-1]
        for k in (0, 1, 3, 40, n):
            if k > n:
                continue
            v, i = I.top_k(T(x), k=k)
            ref_i = np.argsort(-x.astype(np.float64), axis=-1, kind="stable")[..., :k]
            assert i.dtype.name == "int32" and v.dtype.name == np.dtype(dtype).name
            np.testing.assert_array_equal(np.asarray(i), ref_i)
            np.testing.assert_array_equal(np.asarray(v), np.take_along_axis(x, ref_i, axis=-1))
    r = I.top_k(T(np.array([1.0, 3.0, 2.0], np.float32)), 2)
    np.testing.assert_array_equal(np.asarray(r.values), [3, 2])
    np.testing.assert_array_equal(np.asarray(r.indices), [1, 2])
    assert I.top_k(T(np.array([1.0, 3.0], np.float32)), 1, index_type=tf.int64).indices.dtype.name == "int64"
    big = rng.standard_normal((200, 300)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(I.top_k(T(big), 5).indices),
                                  np.argsort(-big, axis=-1, kind="stable")[:, :5])
    with pytest.raises(Err, match="at least k columns"):
        I.top_k(T(np.zeros((2, 3), np.float32)), 4)


def test_in_top_k():
    pred = np.array([[0.1, 0.5, 0.4, 0.5], [0.9, 0.0, 0.0, 0.1], [0.1, np.nan, 0.2, 0.3]], np.float32)
    targets = np.array([2, 0, 1], np.int32)
    np.testing.assert_array_equal(np.asarray(I.in_top_k(targets, pred, 1)), [False, True, False])
    np.testing.assert_array_equal(np.asarray(I.in_top_k(targets, pred, 3)), [True, True, False])
    # ties count as in: two values equal to the target's
    np.testing.assert_array_equal(np.asarray(I.in_top_k([1, 3, 2], pred, 1)), [True, False, False])
    np.testing.assert_array_equal(np.asarray(I.in_top_k(np.array([5, 0, -1], np.int64), pred, 4)),
                                  [False, True, False])
    with pytest.raises(Err, match="targets"):
        I.in_top_k([0, 1], pred, 1)


# ---- one_hot and creation ops -------------------------------------------------------------

@pytest.mark.parametrize("dtype", [tf.float32, tf.float64, tf.float16, tf.int32, tf.int64, tf.uint8, tf.bool])
def test_one_hot_dtypes(dtype):
    idx = np.array([[0, 3], [2, -1], [5, 1]], np.int64)
    eye = np.eye(4)
    ref = np.stack([np.stack([eye[i] if 0 <= i < 4 else np.zeros(4) for i in row]) for row in idx])
    out = I.one_hot(idx, 4, dtype=dtype)
    assert out.dtype == dtype and out.shape == (3, 2, 4)
    np.testing.assert_array_equal(np.asarray(out).astype(np.float64), ref)
    out0 = I.one_hot(idx, 4, axis=0, dtype=dtype)
    np.testing.assert_array_equal(np.asarray(out0).astype(np.float64), np.moveaxis(ref, -1, 0))
    out1 = I.one_hot(idx, 4, axis=1, dtype=dtype)
    np.testing.assert_array_equal(np.asarray(out1).astype(np.float64), np.moveaxis(ref, -1, 1))


def test_one_hot_values():
    out = I.one_hot([1, 0], 3, on_value=5.0, off_value=-1.0)
    assert out.dtype == tf.float32
    np.testing.assert_array_equal(np.asarray(out), [[-1, 5, -1], [5, -1, -1]])
    assert I.one_hot([1], 2, on_value=3, off_value=0).dtype == tf.int32
    assert I.one_hot(np.array([1], np.int32), 2, on_value=tf.constant(2.0, tf.float64)).dtype == tf.float64
    assert I.one_hot(np.zeros((0,), np.int32), 3).shape == (0, 3)
    assert I.one_hot(2, 3).shape == (3,)
    np.testing.assert_array_equal(np.asarray(I.one_hot(np.array([1, 2], np.uint8), 3)), np.eye(3)[[1, 2]])
    with pytest.raises(Err, match="depth"):
        I.one_hot([1], -1)
    with pytest.raises(Err, match="axis"):
        I.one_hot([1], 3, axis=3)


def test_range():
    cases = [((5,), {}, np.arange(5, dtype=np.int32)),
             ((2, 11, 3), {}, np.arange(2, 11, 3, dtype=np.int32)),
             ((10, 2, -3), {}, np.arange(10, 2, -3, dtype=np.int32)),
             ((1.0, 2.0, 0.25), {}, np.arange(1.0, 2.0, 0.25, dtype=np.float32)),
             ((0, 1.5, 0.5), {}, np.arange(0, 1.5, 0.5, dtype=np.float32)),
             ((5,), {"dtype": tf.float64}, np.arange(5, dtype=np.float64)),
             ((3,), {"dtype": tf.int64}, np.arange(3, dtype=np.int64)),
             ((0,), {}, np.arange(0, dtype=np.int32)),
             ((3, 3), {}, np.arange(3, 3, dtype=np.int32)),
             ((2**40, 2**40 + 3), {}, np.arange(2**40, 2**40 + 3, dtype=np.int64)),
             ((tf.constant(4, tf.int64),), {}, np.arange(4, dtype=np.int64)),
             ((tf.constant(1.0, tf.float64), 3), {}, np.arange(1.0, 3.0, dtype=np.float64)),
             ((5, 0, -1.5), {}, np.arange(5, 0, -1.5, dtype=np.float32))]
    for args, kw, ref in cases:
        out = I.range(*args, **kw)
        assert out.dtype.name == ref.dtype.name, (args, kw)
        np.testing.assert_allclose(np.asarray(out), ref)
    with pytest.raises(Err, match="Requires start <= limit when delta > 0"):
        I.range(5, 1)
    with pytest.raises(Err, match="Requires start >= limit when delta < 0"):
        I.range(1, 5, -1)
    with pytest.raises(Err, match="Requires delta != 0"):
        I.range(1, 5, 0)


def test_linspace_eye_fill_zeros_ones():
    np.testing.assert_allclose(np.asarray(I.linspace(0.0, 1.0, 5)), np.linspace(0, 1, 5).astype(np.float32))
    out = I.linspace(tf.constant(2.0, tf.float64), 3.0, 4)
    assert out.dtype == tf.float64 and np.asarray(out)[-1] == 3.0
    np.testing.assert_allclose(np.asarray(I.linspace(1.0, 5.0, 1)), [1.0])
    assert I.linspace(1.0, 5.0, 0).shape == (0,)
    s = np.array([0.0, 10.0], np.float32)
    e = np.array([1.0, 20.0], np.float32)
    np.testing.assert_allclose(np.asarray(I.linspace(s, e, 3, axis=-1)), np.linspace(s, e, 3, axis=-1))

    np.testing.assert_array_equal(np.asarray(I.eye(3)), np.eye(3, dtype=np.float32))
    out = I.eye(2, 4, batch_shape=[3], dtype=tf.int32)
    assert out.dtype == tf.int32 and out.shape == (3, 2, 4)
    np.testing.assert_array_equal(np.asarray(out), np.broadcast_to(np.eye(2, 4), (3, 2, 4)))
    assert I.eye(0).shape == (0, 0)
    np.testing.assert_array_equal(np.asarray(I.eye(2, dtype=tf.bool)), np.eye(2, dtype=bool))

    f = I.fill([2, 3], 9)
    assert f.dtype == tf.int32
    np.testing.assert_array_equal(np.asarray(f), np.full((2, 3), 9))
    assert I.fill((2,), 1.5).dtype == tf.float32
    assert I.fill(tf.constant([2, 1]), tf.constant(2.5, tf.float64)).dtype == tf.float64
    np.testing.assert_array_equal(np.asarray(I.fill([2], 2**40)), [2**40, 2**40])
    np.testing.assert_array_equal(np.asarray(I.fill([], True)), True)
    assert I.fill([0, 4], 1.0).shape == (0, 4)
    with pytest.raises(Err, match="non-negative"):
        I.fill([-1], 0)

    for fn, v in ((I.zeros, 0), (I.ones, 1)):
        for dt in (tf.float32, tf.float16, tf.int64, tf.bool):
            t = fn([2, 2], dtype=dt)
            assert t.dtype == dt
            np.testing.assert_array_equal(np.asarray(t).astype(np.float64), np.full((2, 2), v))
        assert fn(3).shape == (3,)
        assert fn(tf.TensorShape([1, 2])).shape == (1, 2)
    x = T(np.arange(6, dtype=np.int64).reshape(2, 3))
    assert I.zeros_like(x).dtype == tf.int64 and I.zeros_like(x).shape == (2, 3)
    np.testing.assert_array_equal(np.asarray(I.ones_like(x, dtype=tf.float32)), np.ones((2, 3)))
    np.testing.assert_array_equal(np.asarray(I.ones_like([[1.0, 2.0]])), [[1.0, 1.0]])
    # creation ops replay inside a traced graph
    g = tf.function(lambda a: a + I.ones_like(a) + I.range(3, dtype=tf.float32))
    np.testing.assert_array_equal(np.asarray(g(T(np.zeros(3, np.float32)))), [1, 2, 3])


# ---- gradients (float64, central differences) -------------------------------------------------

def test_grad_gather():
    x = rng.standard_normal((4, 3))
    check_grad(lambda p: I.gather(p, [3, 0, 3, 1]), [x])
    check_grad(lambda p: I.gather(p, [[2, 2], [0, 1]], axis=1), [x])
    check_grad(lambda p: I.gather(p, [[0, 2, 2], [1, 1, 0], [2, 0, 0], [1, 1, 1]], axis=1, batch_dims=1), [x])
    check_grad(lambda p: I.gather(p, 1, axis=-1), [x])


def test_grad_gather_nd_scatter_nd_segment_sum():
    x = rng.standard_normal((3, 4, 2))
    check_grad(lambda p: I.gather_nd(p, [[0, 1], [2, 3], [0, 1]]), [x])
    check_grad(lambda p: I.gather_nd(p, [[[1]], [[1]]]), [x])
    u = rng.standard_normal((3, 2))
    check_grad(lambda v: I.scatter_nd([[1], [3], [1]], v, [4, 2]), [u])
    d = rng.standard_normal((5, 2))
    check_grad(lambda v: I.unsorted_segment_sum(v, [1, -1, 0, 1, 3], 4), [d])


def test_grad_boolean_mask():
    x = rng.standard_normal((4, 3))
    check_grad(lambda p: I.boolean_mask(p, [True, False, True, True]), [x])
    check_grad(lambda p: I.boolean_mask(p, [False, True, True], axis=1), [x])
    m = np.array([[True, False, True], [False, False, True], [True, True, False], [False, False, False]])
    check_grad(lambda p: I.boolean_mask(p, m), [x])


def test_grad_sort_top_k():
    x = rng.permutation(20).reshape(4, 5) + rng.uniform(0, 0.1, (4, 5))
    check_grad(lambda p: I.sort(p), [x])
    check_grad(lambda p: I.sort(p, axis=0, direction="DESCENDING"), [x])
    check_grad(lambda p: I.top_k(p, 2).values, [x])
    check_grad(lambda p: I.top_k(p, 5).values, [x])
    x3 = rng.permutation(24).reshape(2, 3, 4) + 0.5
    check_grad(lambda p: I.sort(p, axis=1), [x3])


def test_second_derivative_gather():
    """d/dx < d/dx <gather(x)^2, w>, v >  =  USS(2 w gather(v)): gather <-> segment sum pair."""
    x = tf.constant(rng.standard_normal((4, 3)))
    v = rng.standard_normal((4, 3))
    idx = np.array([2, 0, 2], np.int32)
    w = rng.standard_normal((3, 3))
    with tf.GradientTape() as t2:
        t2.watch(x)
        with tf.GradientTape() as t1:
            t1.watch(x)
            g = I.gather(x, idx)
            y = g * g
        gx = t1.gradient(y, x, output_gradients=tf.constant(w))
    h = t2.gradient(gx, x, output_gradients=tf.constant(v))
    ref = np.zeros((4, 3))
    np.add.at(ref, idx, 2 * w * v[idx])
    np.testing.assert_allclose(np.asarray(h), ref, rtol=1e-12, atol=1e-12)


def test_gradient_float32_and_nondiff():
    x = tf.constant(np.arange(6, dtype=np.float32).reshape(3, 2))
    with tf.GradientTape() as t:
        t.watch(x)
        y = I.gather(x, [0, 0, 2])
    np.testing.assert_array_equal(np.asarray(t.gradient(y, x)), [[2, 2], [0, 0], [1, 1]])
    with tf.GradientTape() as t:
        t.watch(x)
        idx = I.argsort(x, axis=0)
    assert t.gradient(idx, x) is None


def test_top_k_heap_path_ties_and_nan():
    """k > 32 and 4k <= n takes the heap path: same answers as a stable sort of -x."""
    x = rng.integers(0, 7, size=(3, 400)).astype(np.float32)
    x[0, ::37] = np.nan
    for k in (33, 64, 100):
        v, i = I.top_k(T(x), k)
        ref = np.argsort(-x, axis=-1, kind="stable")[:, :k]
        np.testing.assert_array_equal(np.asarray(i), ref)
        np.testing.assert_array_equal(np.asarray(v), np.take_along_axis(x, ref, -1))
    xi = np.arange(400, dtype=np.int64)[None, :] % 50   # ascending runs: worst case for a buffer
    np.testing.assert_array_equal(np.asarray(I.top_k(T(xi), 60).indices),
                                  np.argsort(-xi, axis=-1, kind="stable")[:, :60])
