"""Shape family: reshape, transpose, broadcast_to, strided_slice / __getitem__, concat,
split, pad, tile, reverse and the Python compositions (expand_dims, squeeze, stack,
unstack, slice, repeat, shape queries), forward against numpy for every dtype, views,
gradients against finite differences, and errors."""
import numpy as np
import pytest

from minikeras import _core, tf
from minikeras.engine.api import shape as S
from tests.gradcheck import numeric_grad

C = _core.ops
Err = tf.errors.InvalidArgumentError
DTYPES = [np.float32, np.float64, np.float16, np.int32, np.int64, np.uint8, np.bool_]
HAS_REDUCE = "reduce_sum" in C
needs_reduce = pytest.mark.skipif(not HAS_REDUCE, reason="reduce_sum not merged yet")


def arr(shape, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 100, size=shape)
    if dtype == np.bool_:
        return (a % 2).astype(np.bool_)
    return a.astype(dtype)


def T(a):
    return tf.constant(np.asarray(a))


def N(t):
    return np.asarray(t)


def same(t, expected):
    expected = np.asarray(expected)
    got = N(t)
    assert got.dtype == expected.dtype, (got.dtype, expected.dtype)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_array_equal(got, expected)


def grad_check(fn, arrays, atol=1e-6, rtol=1e-4, seed=0):
    """check_grad's comparison, with the weights given as output_gradients (so that it
    needs no reduce_sum): d sum(fn * w) / d inputs vs central finite differences."""
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    ts = [tf.constant(a) for a in arrays]
    with tf.GradientTape() as tape:
        for t in ts:
            tape.watch(t)
        out = fn(*ts)
    w = np.random.default_rng(seed).uniform(0.5, 1.5, size=tuple(out.shape))
    analytic = tape.gradient(out, ts, output_gradients=tf.constant(w))
    numeric = numeric_grad(fn, arrays, w)
    for k, (ga, gn) in enumerate(zip(analytic, numeric)):
        ga = np.zeros_like(gn) if ga is None else np.asarray(ga)
        np.testing.assert_allclose(ga, gn, atol=atol, rtol=rtol, err_msg=f"input {k}")


# ---- reshape / transpose / broadcast_to -----------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_reshape_dtypes(dtype):
    a = arr((2, 3, 4), dtype)
    t = T(a)
    for shape in [(24,), (4, -1), (2, 12), (-1, 3, 2, 2), (1, 24, 1)]:
        r = S.reshape(t, shape)
        same(r, a.reshape(shape))
        assert r._storage_id == t._storage_id      # a contiguous input gives a view
    # from a transpose: not viewable, the op copies
    tt = S.transpose(t, [2, 0, 1])
    r = S.reshape(tt, [4, 6, 1])
    same(r, a.transpose(2, 0, 1).reshape(4, 6, 1))
    r2 = S.reshape(tt, [-1])
    same(r2, a.transpose(2, 0, 1).reshape(-1))
    assert r2._storage_id != t._storage_id
    # a transpose whose merged axes stay contiguous is still a view
    r3 = S.reshape(tt, [4, 6])
    assert r3._storage_id == t._storage_id
    same(r3, a.transpose(2, 0, 1).reshape(4, 6))


def test_reshape_special_shapes():
    same(S.reshape(T(np.float32(5)), [1, 1]), np.float32(5).reshape(1, 1))
    same(S.reshape(T(np.ones((1, 1), np.int32)), []), np.int32(1))
    z = np.zeros((0, 3), np.float32)
    same(S.reshape(T(z), [3, 0]), z.reshape(3, 0))
    same(S.reshape(T(z), [-1, 3]), z.reshape(-1, 3))
    # reshape of a strided slice (step 2): viewable only in some groupings
    a = arr((4, 6))
    t = T(a)[:, ::2]
    same(S.reshape(t, [12]), a[:, ::2].reshape(12))
    same(S.reshape(t, [4, 3, 1]), a[:, ::2].reshape(4, 3, 1))
    # tensor / TensorShape shape arguments
    same(S.reshape(T(a), tf.constant([3, 8])), a.reshape(3, 8))
    same(S.reshape(T(a), T(a.reshape(2, 12)).shape), a.reshape(2, 12))


@pytest.mark.parametrize("dtype", DTYPES)
def test_transpose_dtypes(dtype):
    a = arr((2, 3, 4), dtype)
    t = T(a)
    for perm in [(0, 1, 2), (2, 1, 0), (1, 0, 2), (2, 0, 1)]:
        r = S.transpose(t, perm)
        same(r, a.transpose(perm))
        assert r._storage_id == t._storage_id
    same(S.transpose(t), a.T)
    same(S.transpose(T(a[0])), a[0].T)
    same(S.transpose(T(np.zeros((0, 2), dtype))), np.zeros((2, 0), dtype))
    # a transpose feeding an elementwise op and a copy op
    same(S.concat([S.transpose(t), S.transpose(t)], 0), np.concatenate([a.T, a.T], 0))


@pytest.mark.parametrize("dtype", DTYPES)
def test_broadcast_to_dtypes(dtype):
    a = arr((3, 1), dtype)
    t = T(a)
    for shape in [(3, 4), (2, 3, 4), (3, 1), (5, 3, 0)]:
        r = S.broadcast_to(t, shape)
        same(r, np.broadcast_to(a, shape))
        assert r._storage_id == t._storage_id
    same(S.broadcast_to(T(np.asarray(7, dtype)), [2, 2]), np.broadcast_to(np.asarray(7, dtype), (2, 2)))
    # a broadcast view feeding a copy (stride 0 on read)
    same(S.tile(S.broadcast_to(t, (3, 2)), [1, 2]), np.tile(np.broadcast_to(a, (3, 2)), (1, 2)))


def test_expand_dims_squeeze():
    a = arr((2, 3))
    t = T(a)
    for ax in [0, 1, 2, -1, -2, -3]:
        r = S.expand_dims(t, ax)
        same(r, np.expand_dims(a, ax))
        assert r._storage_id == t._storage_id
    b = arr((1, 2, 1, 3, 1))
    same(S.squeeze(T(b)), np.squeeze(b))
    same(S.squeeze(T(b), [0, -1]), np.squeeze(b, (0, 4)))
    same(S.squeeze(T(b), 2), np.squeeze(b, 2))
    same(S.squeeze(T(np.ones((1, 1), np.int32))), np.int32(1))
    with pytest.raises(Err, match=r"squeeze.*dim\[1\].*got 2"):
        S.squeeze(T(b), 1)
    with pytest.raises(Err, match="expand_dims"):
        S.expand_dims(t, 3)


# ---- strided_slice / __getitem__ ------------------------------------------------------

KEYS = [
    0, -1, 2, slice(None), slice(1, 3), slice(None, None, -1), slice(3, 0, -2), slice(-2, None),
    slice(10, 20), slice(-10, 2), slice(None, None, 3), slice(2, 2),
    (0, 1), (1, slice(None), -1), (Ellipsis, 0), (Ellipsis, slice(None, None, -1)),
    (None,), (None, 0, None), (slice(None), None, slice(1, None, 2)), (Ellipsis, None),
    (0, Ellipsis, None, -2), (slice(None, None, -1), slice(None, None, -2), slice(None, None, -3)),
    (slice(3, None, -1), 1), (Ellipsis,), (), (None, Ellipsis, None),
    (1, 2, 3), (-4, -3, -5), (slice(1, 2), slice(2, 3), slice(3, 4)),
    (slice(-1, -5, -1), Ellipsis, slice(0, 5, 4)),
]


@pytest.mark.parametrize("key", KEYS, ids=[repr(k) for k in KEYS])
def test_getitem_keys(key):
    a = arr((4, 3, 5), np.float64)
    t = T(a)
    r = t[key]
    same(r, a[key])
    if r._size:
        assert r._storage_id == t._storage_id      # a view, no copy


@pytest.mark.parametrize("dtype", DTYPES)
def test_getitem_dtypes(dtype):
    a = arr((3, 4), dtype)
    t = T(a)
    for key in [1, (slice(None), -1), (slice(None, None, -1), slice(1, None, 2)), (None, 2),
                (Ellipsis, None, slice(0, 0))]:
        same(t[key], a[key])
    # a slice of a slice, and a slice of a transpose
    same(t[::-1][1:, ::2], a[::-1][1:, ::2])
    same(S.transpose(t)[1:3, ::-1], a.T[1:3, ::-1])


def test_getitem_index_types():
    a = arr((4, 3))
    t = T(a)
    same(t[np.int64(2)], a[2])
    same(t[tf.constant(1)], a[1])
    same(t[tf.constant(-1, dtype=tf.int64), tf.constant(0)], a[-1, 0])
    same(t[slice(np.int32(1), tf.constant(3))], a[1:3])
    for bad in [True, 1.5, "a", [0, 1], tf.constant([0, 1]), tf.constant([True, False, True, False]),
                np.array([1, 2])]:
        with pytest.raises(TypeError):
            t[bad]
    with pytest.raises(Err, match="out of bounds"):
        t[4]
    with pytest.raises(Err, match="out of bounds"):
        t[0, -4]
    with pytest.raises(Err, match="Index out of range"):
        t[0, 0, 0]
    with pytest.raises(ValueError, match="zero"):
        t[::0]
    with pytest.raises(ValueError, match="ellipsis"):
        t[..., 0, ...]
    with pytest.raises(Err):
        T(np.float32(1))[0]


def test_iteration_and_variable_slices():
    a = arr((3, 2))
    same(S.stack(list(T(a))), a)
    v = tf.Variable(a)
    y = v[1]
    same(y, a[1])
    assert y._storage_id != v._as_tensor()._storage_id     # a variable's slice is a value
    r = S.reshape(v, [-1])
    tr = S.transpose(v)
    v.assign(a * 2)
    same(y, a[1])
    same(r, a.reshape(-1))
    same(tr, a.T)
    same(v[1:], a[1:] * 2)


def test_strided_slice_masks():
    a = arr((4, 5, 6))
    t = T(a)
    same(S.strided_slice(t, [1, 0, 0], [3, 5, 6], [1, 2, 3]), a[1:3, 0:5:2, 0:6:3])
    same(S.strided_slice(t, [1, 1], [3, 4], begin_mask=1), a[:3, 1:4])
    same(S.strided_slice(t, [1, 1], [3, 4], end_mask=2), a[1:3, 1:])
    same(S.strided_slice(t, [-1, 0], [0, 0], [-1, 1], end_mask=2), a[-1:0:-1, 0:])
    same(S.strided_slice(t, [2], [3], shrink_axis_mask=1), a[2])
    same(S.strided_slice(t, [0, 1], [0, 2], new_axis_mask=1, shrink_axis_mask=2), a[None, 1])
    same(S.strided_slice(t, [0, 0, 1], [0, 0, 2], ellipsis_mask=2, shrink_axis_mask=4),
         a[0:0, ..., 1])
    same(S.strided_slice(t, [1, 0, 1], [2, 0, 2], ellipsis_mask=2, shrink_axis_mask=5), a[1, ..., 1])
    same(S.strided_slice(t, [0, 0], [0, 0], ellipsis_mask=1, new_axis_mask=2), a[..., None])
    same(S.strided_slice(t, [-100], [100]), a[-100:100])
    with pytest.raises(Err, match="equal size"):
        S.strided_slice(t, [0, 0], [1])


def test_slice():
    a = arr((4, 5))
    t = T(a)
    same(S.slice(t, [1, 2], [2, 3]), a[1:3, 2:5])
    same(S.slice(t, [1, 0], [-1, 2]), a[1:, 0:2])
    same(S.slice(t, [0, 0], [0, 5]), a[0:0])
    with pytest.raises(Err, match=r"slice.*size\[1\]"):
        S.slice(t, [0, 3], [1, 3])
    with pytest.raises(Err, match="slice"):
        S.slice(t, [0], [1])


def test_strided_slice_c_errors():
    t = T(arr((3, 4)))
    ss = C["strided_slice"]
    with pytest.raises(Err, match=r"strided_slice.*\[3,4\]"):
        ss(t, ints=(0, 1, 1))
    with pytest.raises(Err, match="out of bounds"):
        ss(t, ints=(0, 4, 1, 0, 4, 1, 0, 0))
    with pytest.raises(Err, match="non-zero"):
        ss(t, ints=(0, 3, 0, 0, 4, 1, 0, 0))
    with pytest.raises(Err, match="out of bounds"):
        ss(t, ints=(0, 2, 1, 0, 4, 1, 0, 1))         # shrink of a 2-long range
    with pytest.raises(Err, match="strided_slice_grad"):
        C["strided_slice_grad"](t, T(arr((2, 2))), ints=(0, 3, 1, 0, 4, 1, 0, 0))


# ---- concat / stack / split / unstack ---------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_concat_dtypes(dtype):
    a, b, c = arr((2, 3), dtype, 0), arr((2, 1), dtype, 1), arr((2, 0), dtype, 2)
    same(S.concat([T(a), T(b), T(c)], 1), np.concatenate([a, b, c], 1))
    same(S.concat([T(a), T(a)], 0), np.concatenate([a, a], 0))
    same(S.concat([T(a), T(a)], -2), np.concatenate([a, a], 0))
    same(S.concat([T(a)[:, ::-1], S.transpose(T(a.T.copy()))], 1),
         np.concatenate([a[:, ::-1], a], 1))


def test_concat_many_and_errors():
    xs = [arr((1, 2), np.float32, i) for i in range(40)]
    same(S.concat([T(x) for x in xs], 0), np.concatenate(xs, 0))
    same(S.concat([T(xs[0]), xs[1]], 0), np.concatenate(xs[:2], 0))    # numpy operand converted
    with pytest.raises(Err, match=r"concat.*\[2,3\].*\[2,3,1\]"):
        S.concat([T(arr((2, 3))), T(arr((2, 3, 1)))], 0)
    with pytest.raises(Err, match=r"concat.*\[2,3\].*\[3,3\]"):
        S.concat([T(arr((2, 3))), T(arr((3, 3)))], 1)
    with pytest.raises(Err, match="scalars"):
        S.concat([T(np.float32(1)), T(np.float32(2))], 0)
    with pytest.raises(Err, match="concat"):
        S.concat([T(arr((2, 3))), T(arr((2, 3), np.float64))], 0)
    with pytest.raises(Err, match="axis"):
        S.concat([T(arr((2, 3))), T(arr((2, 3)))], 2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_stack_unstack_dtypes(dtype):
    xs = [arr((2, 3), dtype, i) for i in range(3)]
    for ax in [0, 1, 2, -1, -3]:
        same(S.stack([T(x) for x in xs], ax), np.stack(xs, ax))
    a = np.stack(xs, 1)
    parts = S.unstack(T(a), axis=1)
    assert len(parts) == 3
    for p, x in zip(parts, xs):
        same(p, x)
    same(S.stack([T(np.asarray(1, dtype)), T(np.asarray(0, dtype))]), np.array([1, 0], dtype))


def test_stack_unstack_more():
    a = arr((40, 2))
    parts = S.unstack(T(a))
    assert len(parts) == 40
    same(parts[37], a[37])
    same(S.stack(parts, 1), a.T)
    assert S.unstack(T(np.zeros((0, 2), np.float32))) == []
    same(S.stack([T(np.float32(1.5)), 2.5]), np.array([1.5, 2.5], np.float32))
    same(tf.constant([T(np.float32(1)), T(np.float32(2))]), np.array([1, 2], np.float32))
    with pytest.raises(Err, match=r"stack.*\[2\].*\[3\]"):
        S.stack([T(arr(2)), T(arr(3))])
    with pytest.raises(ValueError, match="num"):
        S.unstack(T(a), num=3)


@pytest.mark.parametrize("dtype", DTYPES)
def test_split_dtypes(dtype):
    a = arr((4, 6), dtype)
    t = T(a)
    for p, e in zip(S.split(t, 3, axis=1), np.split(a, 3, axis=1)):
        same(p, e)
        assert p._storage_id == t._storage_id
    for p, e in zip(S.split(t, [1, -1, 2], axis=1), np.split(a, [1, 4], axis=1)):
        same(p, e)
    for p, e in zip(S.split(t, [0, 4], axis=0), [a[:0], a]):
        same(p, e)
    for p, e in zip(S.split(t, tf.constant([2, 2]), axis=-2), np.split(a, 2, 0)):
        same(p, e)


def test_split_many_and_errors():
    a = arr((64, 2))
    ps = S.split(T(a), 64)
    assert len(ps) == 64
    same(ps[63], a[63:])
    ps = S.split(T(a), [2] * 32)
    same(ps[31], a[62:])
    sizes = [1, 3] * 16                          # 32 unequal sizes: views by strided_slice
    ps = S.split(T(a), sizes)
    for p, e in zip(ps, np.split(a, np.cumsum(sizes)[:-1])):
        same(p, e)
    outs = C["split"](T(a), ints=(1,), nout=2)      # the raw op: a tuple
    same(outs[1], a[:, 1:])
    with pytest.raises(Err, match=r"split.*evenly.*\[64,2\]"):
        S.split(T(a), 3, axis=0)
    with pytest.raises(Err, match="split"):
        S.split(T(a), [30, 30], axis=0)
    with pytest.raises(Err, match="one -1"):
        S.split(T(a), [-1, -1], axis=0)
    with pytest.raises(Err, match="split"):
        C["split"](T(a), ints=(0, 30, 30), nout=2)
    with pytest.raises(Err, match="split"):
        C["split"](T(a), ints=(0, -1, 70), nout=2)


# ---- pad / tile / reverse / repeat ------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_pad_dtypes(dtype):
    a = arr((3, 4), dtype)
    t = T(a)
    pads = [[1, 2], [0, 3]]
    cv = True if dtype == np.bool_ else 7
    same(S.pad(t, pads), np.pad(a, pads))
    same(S.pad(t, pads, constant_values=cv), np.pad(a, pads, constant_values=cv))
    same(S.pad(t, [[2, 1], [3, 2]], "REFLECT"), np.pad(a, [[2, 1], [3, 2]], "reflect"))
    same(S.pad(t, [[3, 2], [4, 1]], "symmetric"), np.pad(a, [[3, 2], [4, 1]], "symmetric"))
    # strided input
    same(S.pad(t[::-1, ::2], [[1, 1], [1, 1]], "REFLECT"), np.pad(a[::-1, ::2], 1, "reflect"))


def test_pad_shapes_and_errors():
    a = arr((2, 3, 4))
    pads = [[1, 0], [2, 1], [0, 3]]
    for mode in ["CONSTANT", "REFLECT", "SYMMETRIC"]:
        same(S.pad(T(a), pads, mode), np.pad(a, pads, mode.lower()))
    same(S.pad(T(np.zeros((0, 2), np.float32)), [[1, 1], [0, 0]], constant_values=2.5),
         np.pad(np.zeros((0, 2), np.float32), [[1, 1], [0, 0]], constant_values=2.5))
    same(S.pad(T(np.float32(3)), np.zeros((0, 2), np.int32)), np.float32(3))
    same(S.pad(T(a), tf.constant(pads), constant_values=tf.constant(1.0)),
         np.pad(a, pads, constant_values=1))
    with pytest.raises(Err, match=r"pad.*less than.*\[2,3,4\]"):
        S.pad(T(a), [[2, 0], [0, 0], [0, 0]], "REFLECT")
    with pytest.raises(Err, match="pad.*no greater"):
        S.pad(T(a), [[3, 0], [0, 0], [0, 0]], "SYMMETRIC")
    with pytest.raises(Err, match="non-negative"):
        S.pad(T(a), [[-1, 0], [0, 0], [0, 0]])
    with pytest.raises(Err, match=r"pad.*\[2,3,4\]"):
        S.pad(T(a), [[1, 1]])
    with pytest.raises(ValueError, match="mode"):
        S.pad(T(a), pads, "WRAP")


@pytest.mark.parametrize("dtype", DTYPES)
def test_tile_reverse_dtypes(dtype):
    a = arr((2, 3), dtype)
    t = T(a)
    for m in [(1, 1), (2, 3), (3, 1), (0, 2)]:
        same(S.tile(t, m), np.tile(a, m))
    same(S.tile(t[:, ::-1], [2, 2]), np.tile(a[:, ::-1], (2, 2)))
    for axes in [[0], [1], [0, 1], [-1], []]:
        same(S.reverse(t, axes), np.flip(a, axes) if axes else a)
    same(S.reverse(S.transpose(t), [0]), a.T[::-1])


def test_tile_reverse_more():
    a = arr((2, 1, 3, 1, 2, 1, 2, 1))       # rank 8: tile uses 16 loop dims
    m = [1, 2, 1, 2, 1, 3, 1, 2]
    same(S.tile(T(a), m), np.tile(a, m))
    same(S.tile(T(np.float32(2)), []), np.float32(2))
    with pytest.raises(Err, match=r"tile.*\[2,1,3"):
        S.tile(T(a), [1, 2])
    with pytest.raises(Err, match="tile"):
        S.tile(T(arr((2, 2))), [1, -1])
    with pytest.raises(Err, match="more than once"):
        S.reverse(T(arr((2, 2))), [0, -2])
    with pytest.raises(Err, match="reverse"):
        S.reverse(T(arr((2, 2))), [2])


@pytest.mark.parametrize("dtype", [np.float32, np.int32, np.bool_, np.float16])
def test_repeat(dtype):
    a = arr((3, 2), dtype)
    t = T(a)
    same(S.repeat(t, 2), np.repeat(a, 2))
    same(S.repeat(t, 3, axis=1), np.repeat(a, 3, axis=1))
    same(S.repeat(t, [1, 0, 2], axis=0), np.repeat(a, [1, 0, 2], axis=0))
    same(S.repeat(t, [2, 2], axis=-1), np.repeat(a, [2, 2], axis=-1))
    same(S.repeat(t, [2], axis=0), np.repeat(a, 2, axis=0))
    same(S.repeat(t, 0, axis=0), np.repeat(a, 0, axis=0))
    b = arr(40, dtype)
    r = np.arange(40) % 3
    same(S.repeat(T(b), r, axis=0), np.repeat(b, r))
    with pytest.raises(Err, match="repeat"):
        S.repeat(t, [1, 2], axis=0)


def test_shape_queries():
    t = T(arr((2, 3, 4)))
    same(S.shape(t), np.array([2, 3, 4], np.int32))
    same(S.shape(t, out_type=tf.int64), np.array([2, 3, 4], np.int64))
    same(S.shape(T(np.float32(1))), np.zeros(0, np.int32))
    same(S.rank(t), np.int32(3))
    same(S.size(t), np.int32(24))
    same(S.size(t, tf.int64), np.int64(24))
    assert [list(N(s)) for s in S.shape_n([t, t[0]])] == [[2, 3, 4], [3, 4]]
    assert S.broadcast_static_shape(tf.TensorShape([2, 1]), tf.TensorShape([3])) == [2, 3]
    same(S.broadcast_dynamic_shape([2, 1], [3]), np.array([2, 3], np.int32))


# ---- C-level errors name the op and the shapes -------------------------------------------

def test_view_op_errors():
    t = T(arr((2, 3)))
    with pytest.raises(Err, match=r"transpose.*\[2,3\]"):
        S.transpose(t, [0, 0])
    with pytest.raises(Err, match=r"transpose.*\[2,3\]"):
        S.transpose(t, [0, 1, 2])
    with pytest.raises(Err, match=r"transpose.*\[2,3\]"):
        S.transpose(t, [0, 2])
    with pytest.raises(Err, match=r"reshape.*6 values.*\[2,3\].*\[4\]"):
        S.reshape(t, [4])
    with pytest.raises(Err, match=r"reshape.*\[2,3\].*\[4,-1\]"):
        S.reshape(t, [4, -1])
    with pytest.raises(Err, match="reshape.*-1"):
        S.reshape(t, [-1, -1])
    with pytest.raises(Err, match=r"broadcast_to.*\[2,3\].*\[4,3\]"):
        S.broadcast_to(t, [4, 3])
    with pytest.raises(Err, match=r"broadcast_to.*\[2,3\].*\[3\]"):
        S.broadcast_to(t, [3])
    with pytest.raises(Err, match="at most"):
        S.reshape(t, [1] * 9 + [6])


# ---- traced graphs ------------------------------------------------------------------------

def test_in_tf_function():
    v = tf.Variable(np.arange(6.).reshape(2, 3))

    @tf.function
    def f(x):
        a = S.transpose(x)[::-1]
        b = S.reshape(a, [-1])
        c = v[1] + S.reshape(x, [6])[:3]
        parts = S.split(x, [1, 2], axis=1)
        return S.concat([b, c, S.tile(x[0], [2]), S.reshape(parts[1], [-1]),
                         S.pad(x[1], [[1, 1]], "REFLECT")], 0)

    def ref(x):
        return np.concatenate([x.T[::-1].reshape(-1), v.numpy()[1] + x.reshape(6)[:3],
                               np.tile(x[0], 2), x[:, 1:].reshape(-1), np.pad(x[1], 1, "reflect")])
    for x in (np.arange(6.).reshape(2, 3), np.arange(6.).reshape(2, 3) * 10 - 7):
        np.testing.assert_array_equal(N(f(tf.constant(x))), ref(x))
    v.assign(v * 2)
    x = np.ones((2, 3))
    np.testing.assert_array_equal(N(f(tf.constant(x))), ref(x))


# ---- gradients -----------------------------------------------------------------------------

def _a(*shape, seed=1):
    return np.random.default_rng(seed).normal(size=shape)


def test_grad_views():
    grad_check(lambda x: S.reshape(x, [3, 4]), [_a(2, 6)])
    grad_check(lambda x: S.reshape(S.transpose(x, [1, 0, 2]), [-1]), [_a(2, 3, 2)])
    grad_check(lambda x: S.transpose(x, [2, 0, 1]), [_a(2, 3, 2)])
    grad_check(lambda x: S.expand_dims(S.squeeze(x), 1), [_a(1, 3, 1, 2)])


@pytest.mark.parametrize("key", [1, (slice(None), -1), (slice(None, None, -1), slice(1, None, 2)),
                                 (None, Ellipsis, 0), (slice(3, 0, -2), None, 1), (slice(5, 9),)])
def test_grad_getitem(key):
    grad_check(lambda x: x[key], [_a(4, 3)])


def test_grad_slice_ops():
    grad_check(lambda x: S.slice(x, [1, 0], [2, -1]), [_a(4, 3)])
    grad_check(lambda x: S.strided_slice(x, [0, 2], [0, 0], [1, -1], begin_mask=1, end_mask=3),
               [_a(3, 4)])
    # the same tensor sliced twice: gradients accumulate
    grad_check(lambda x: S.concat([x[0], x[1:, 1], x[::-1, 0]], 0), [_a(3, 2)])


def test_grad_copies():
    grad_check(lambda x, y: S.concat([x, y, x], 1), [_a(2, 2), _a(2, 3, seed=2)])
    grad_check(lambda x, y: S.stack([x, y], 1), [_a(2, 2), _a(2, 2, seed=2)])
    grad_check(lambda x: S.reverse(x, [0, 1]), [_a(2, 3)])
    for mode in ["CONSTANT", "REFLECT", "SYMMETRIC"]:
        grad_check(lambda x: S.pad(x, [[2, 1], [1, 2]], mode), [_a(3, 3)])
        grad_check(lambda x: S.pad(x, [[0, 1], [2, 0], [1, 1]], mode), [_a(2, 3, 2)])


def test_grad_split_unstack():
    grad_check(lambda x: S.split(x, [1, -1], axis=1)[1], [_a(2, 3)])   # unused output: zeros
    grad_check(lambda x: S.concat(S.split(x, 3, axis=0)[::-1], 1), [_a(3, 2)])
    grad_check(lambda x: S.unstack(x, axis=1)[2], [_a(2, 3)])
    grad_check(lambda x: S.concat(S.split(x, 40)[::-1], 0), [_a(40, 1)], atol=1e-5)


@needs_reduce
def test_grad_reducing_ops():
    grad_check(lambda x: S.broadcast_to(x, [2, 3, 2]), [_a(3, 1)])
    grad_check(lambda x: S.tile(x, [2, 1, 3]), [_a(2, 1, 2)])
    grad_check(lambda x: S.tile(x, [1, 2, 1, 2, 1, 2]), [_a(1, 2, 1, 1, 2, 1)])   # per-axis path
    grad_check(lambda x: S.repeat(x, 2, axis=1), [_a(2, 3)])
    grad_check(lambda x: S.repeat(x, [1, 0, 3], axis=0), [_a(3, 2)])


def test_second_order_through_slices():
    x0 = _a(4, 3)
    w = np.random.default_rng(3).uniform(0.5, 1.5, size=(3, 3))
    v = np.random.default_rng(4).uniform(0.5, 1.5, size=(4, 3))
    x = tf.constant(x0)
    with tf.GradientTape() as outer:
        outer.watch(x)
        with tf.GradientTape() as inner:
            inner.watch(x)
            y = x[1:] * x[1:]
        g = inner.gradient(y, x, output_gradients=tf.constant(w))   # strided_slice_grad
    gg = outer.gradient(g, x, output_gradients=tf.constant(v))
    expect = np.zeros((4, 3))
    expect[1:] = 2 * w * v[1:]
    np.testing.assert_allclose(N(g)[1:], 2 * x0[1:] * w)
    np.testing.assert_allclose(N(gg), expect)


# ---- big tensors: the threaded copy paths (short rows and long, chunked rows) ----------------

@pytest.mark.parametrize("shape", [(300, 500), (3, 40000), (40, 30, 50)])
def test_big_copies(shape):
    a = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    t = T(a)
    same(S.concat([t, t[::-1]], 0), np.concatenate([a, a[::-1]], 0))
    same(S.concat([t, t], -1), np.concatenate([a, a], -1))
    same(S.reverse(t, [0, -1]), a[::-1, ..., ::-1])
    same(S.reshape(S.transpose(t), [-1]), a.T.reshape(-1))
    m = (2,) + (1,) * (a.ndim - 1)
    same(S.tile(t, m), np.tile(a, m))
    pads = [[1, 2]] * a.ndim
    for mode in ["CONSTANT", "REFLECT", "SYMMETRIC"]:
        same(S.pad(t, pads, mode), np.pad(a, pads, mode.lower()))
    g = C["strided_slice_grad"](t, t[1:, ::-2], ints=C_slice_ints(a.shape, (slice(1, None), slice(None, None, -2))))
    e = np.zeros_like(a)
    e[1:, ::-2] = a[1:, ::-2]
    same(g, e)
    v = tf.Variable(a)
    same(v[:, 1:], a[:, 1:])                 # a copy through the view geometry


def C_slice_ints(shape, key):
    return S._key_ints(shape, key)
