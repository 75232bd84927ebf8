"""Random family: distributions, seeding, thread-count independence, dropout."""
import numpy as np
import pytest

from minikeras import _core, tf
from minikeras.engine.api import nn
from minikeras.engine.api import random as R

N = 100_000


@pytest.fixture(autouse=True)
def _threads():
    n = _core.get_num_threads()
    yield
    _core.set_num_threads(n)


# ---- uniform ---------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_uniform_float(dtype):
    x = R.uniform([N], minval=-2.0, maxval=3.0, dtype=dtype)
    assert x.dtype == dtype and tuple(x.shape) == (N,)
    a = np.asarray(x).astype(np.float64)
    assert a.min() >= -2.0 and a.max() <= 3.0
    if dtype != "float16":
        assert a.max() < 3.0
    assert abs(a.mean() - 0.5) < 0.03
    assert abs(a.var() - 25 / 12) < 0.05
    # defaults: [0, 1)
    b = np.asarray(R.uniform((3, 4, 5)))
    assert b.shape == (3, 4, 5) and b.dtype == np.float32 and b.min() >= 0 and b.max() < 1


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_uniform_int(dtype):
    x = np.asarray(R.uniform([N], minval=-3, maxval=5, dtype=dtype))
    assert x.dtype == dtype
    assert x.min() == -3 and x.max() == 4
    counts = np.bincount(x + 3)
    assert len(counts) == 8
    np.testing.assert_allclose(counts / N, 1 / 8, atol=0.01)


def test_uniform_int_full_range():
    x = np.asarray(R.uniform([1000], minval=-2**31, maxval=2**31, dtype="int32"))
    assert x.min() < -2**29 and x.max() > 2**29


def test_uniform_errors():
    with pytest.raises(ValueError, match="maxval"):
        R.uniform([3], dtype="int32")
    with pytest.raises(tf.errors.InvalidArgumentError, match="minval < maxval"):
        R.uniform([3], minval=5, maxval=5, dtype="int64")
    with pytest.raises(ValueError):
        R.uniform([3], dtype="bool")
    with pytest.raises(tf.errors.InvalidArgumentError):
        R.uniform([-1, 3])


def test_uniform_tensor_bounds_broadcast():
    lo = tf.constant([0.0, 10.0, 100.0])
    x = np.asarray(R.uniform([1000, 3], minval=lo, maxval=lo + 1.0))
    assert x.shape == (1000, 3)
    for j, v in enumerate([0.0, 10.0, 100.0]):
        assert x[:, j].min() >= v and x[:, j].max() < v + 1


def test_shape_forms():
    assert tuple(R.uniform(tf.constant([2, 3])).shape) == (2, 3)
    assert tuple(R.normal(tf.TensorShape([4])).shape) == (4,)
    assert tuple(R.uniform([]).shape) == ()
    assert tuple(R.uniform([0, 5]).shape) == (0, 5)


# ---- normal / truncated -------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_normal(dtype):
    x = np.asarray(R.normal([N], mean=1.5, stddev=2.0, dtype=dtype)).astype(np.float64)
    assert abs(x.mean() - 1.5) < 0.03
    assert abs(x.std() - 2.0) < 0.03
    # roughly Gaussian tails
    assert 0.04 < np.mean(np.abs(x - 1.5) > 4.0) < 0.05


def test_normal_odd_sizes_and_tensor_params():
    for n in (1, 3, 5, 7):
        assert np.isfinite(np.asarray(R.normal([n], dtype="float64"))).all()
    x = np.asarray(R.normal([N, 2], mean=tf.constant([0.0, 10.0]), stddev=tf.constant([1.0, 0.1])))
    assert abs(x[:, 1].mean() - 10) < 0.01 and abs(x[:, 1].std() - 0.1) < 0.005


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_truncated_normal(dtype):
    x = np.asarray(R.truncated_normal([N], mean=-1.0, stddev=3.0, dtype=dtype)).astype(np.float64)
    assert np.abs(x + 1.0).max() <= 6.0 + 1e-5
    assert abs(x.mean() + 1.0) < 0.03
    assert abs(x.std() - 3.0 * 0.87962566) < 0.03


def test_float_only_dtypes():
    with pytest.raises(ValueError, match="floating"):
        R.normal([3], dtype="int32")
    with pytest.raises(ValueError, match="floating"):
        R.truncated_normal([3], dtype="int64")


# ---- categorical ---------------------------------------------------------------------

def test_categorical_frequencies():
    p = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    with np.errstate(divide="ignore"):
        logits = np.log(p).astype(np.float32)
    s = R.categorical(logits, 50_000)
    assert s.dtype == "int64" and tuple(s.shape) == (3, 50_000)
    s = np.asarray(s)
    for r in range(3):
        freq = np.bincount(s[r], minlength=3) / s.shape[1]
        np.testing.assert_allclose(freq, p[r], atol=0.01)
    assert (s[1] != 2).all() and (s[2] == 0).all()


def test_categorical_dtypes_and_shapes():
    logits = tf.constant([[1.0, 2.0], [3.0, 0.0]], dtype="float64")
    s = R.categorical(logits, 4, dtype="int32")
    assert s.dtype == "int32" and tuple(s.shape) == (2, 4)
    assert tuple(R.categorical(logits, 0).shape) == (2, 0)
    assert tuple(R.categorical(np.zeros((0, 3), np.float32), 5).shape) == (0, 5)
    # unnormalised logits: shifting a row changes nothing
    R.set_seed(3)
    a = np.asarray(R.categorical([[1.0, 2.0, 3.0]], 100))
    R.set_seed(3)
    b = np.asarray(R.categorical([[101.0, 102.0, 103.0]], 100))
    np.testing.assert_array_equal(a, b)


def test_categorical_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="matrix"):
        R.categorical([1.0, 2.0], 3)
    with pytest.raises(tf.errors.InvalidArgumentError, match="num_classes"):
        R.categorical(np.zeros((2, 0), np.float32), 3)
    with pytest.raises(ValueError):
        R.categorical([[1.0, 2.0]], 3, dtype="float32")


# ---- shuffle -------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float16, np.int64, np.bool_])
def test_shuffle_is_permutation(dtype):
    x = (np.arange(200 * 3).reshape(200, 3) % 7).astype(dtype)
    y = np.asarray(R.shuffle(x))
    assert y.dtype == dtype and y.shape == x.shape
    key = lambda a: sorted(map(tuple, a.astype(np.float64).tolist()))  # noqa: E731
    assert key(y) == key(x)
    ids = np.asarray(R.shuffle(np.arange(1000)))
    assert sorted(ids.tolist()) == list(range(1000)) and (ids != np.arange(1000)).any()


def test_shuffle_edge_cases():
    assert float(np.asarray(R.shuffle(tf.constant(5.0)))) == 5.0
    assert tuple(R.shuffle(np.zeros((0, 4), np.float32)).shape) == (0, 4)
    np.testing.assert_array_equal(np.asarray(R.shuffle([[1, 2]])), [[1, 2]])
    # strided input
    x = tf.constant(np.arange(12.0).reshape(3, 4))
    y = np.asarray(R.shuffle(np.asarray(x).T))
    assert sorted(map(tuple, y.tolist())) == sorted(map(tuple, np.arange(12.0).reshape(3, 4).T.tolist()))


def test_shuffle_frequencies():
    first = np.array([int(np.asarray(R.shuffle(np.arange(4)))[0]) for _ in range(2000)])
    np.testing.assert_allclose(np.bincount(first, minlength=4) / 2000, 0.25, atol=0.04)


# ---- seeding -------------------------------------------------------------------------

def _draw():
    return [np.asarray(R.uniform([5])), np.asarray(R.normal([3, 3], dtype="float64")),
            np.asarray(R.truncated_normal([4])), np.asarray(R.uniform([6], 0, 10, dtype="int32")),
            np.asarray(R.categorical([[0.0, 1.0, 2.0]], 8)), np.asarray(R.shuffle(np.arange(10))),
            np.asarray(nn.dropout(np.ones(20, np.float32), 0.5))]


def test_set_seed_reproduces():
    R.set_seed(0)
    a = _draw()
    R.set_seed(0)
    b = _draw()
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    R.set_seed(1)
    c = _draw()
    assert not np.array_equal(a[0], c[0])
    # consecutive calls differ
    R.set_seed(0)
    assert not np.array_equal(np.asarray(R.uniform([5])), np.asarray(R.uniform([5])))


def test_op_seed_streams():
    R.set_seed(7)
    x1, x2 = np.asarray(R.uniform([4], seed=11)), np.asarray(R.uniform([4], seed=11))
    assert not np.array_equal(x1, x2)
    R.set_seed(7)
    R.normal([100])                      # global-stream draws don't disturb the op stream
    y1, y2 = np.asarray(R.uniform([4], seed=11)), np.asarray(R.uniform([4], seed=11))
    np.testing.assert_array_equal(x1, y1)
    np.testing.assert_array_equal(x2, y2)
    assert not np.array_equal(np.asarray(R.uniform([4], seed=12)), y1)
    R.set_seed(8)
    assert not np.array_equal(np.asarray(R.uniform([4], seed=11)), x1)


def test_state_save_restore():
    R.set_seed(5)
    R.uniform([10])
    st = R._get_state()
    a = np.asarray(R.normal([6]))
    R.uniform([3])
    R._set_state(st)
    np.testing.assert_array_equal(np.asarray(R.normal([6])), a)


def test_same_numbers_any_thread_count():
    big = 3 * 40_000 + 3                # above the OpenMP threshold, odd tail
    logits = np.random.default_rng(0).normal(size=(300, 200)).astype(np.float32)
    outs = []
    for th in (1, 2):
        _core.set_num_threads(th)
        R.set_seed(42)
        outs.append([np.asarray(R.uniform([big])), np.asarray(R.uniform([big], dtype="float64")),
                     np.asarray(R.normal([big])), np.asarray(R.normal([big], dtype="float64")),
                     np.asarray(R.truncated_normal([big])),
                     np.asarray(R.uniform([big], 0, 1000, dtype="int64")),
                     np.asarray(R.categorical(logits, 300)),
                     np.asarray(R.shuffle(np.arange(big))),
                     np.asarray(nn.dropout(np.ones(big, np.float32), 0.25))])
    for u, v in zip(*outs):
        np.testing.assert_array_equal(u, v)


def test_traced_function_draws_fresh_numbers():
    f = tf.function(lambda: R.uniform([4]))
    R.set_seed(9)
    a, b = np.asarray(f()), np.asarray(f())
    assert not np.array_equal(a, b)
    R.set_seed(9)
    np.testing.assert_array_equal(np.asarray(f()), a)
    np.testing.assert_array_equal(np.asarray(f()), b)


# ---- dropout ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_dropout(dtype):
    x = np.ones(N, dtype)
    y = np.asarray(nn.dropout(x, 0.3)).astype(np.float64)
    vals = np.unique(y)
    assert len(vals) == 2 and vals[0] == 0
    np.testing.assert_allclose(vals[1], 1 / 0.7, rtol=1e-3)
    assert abs((y > 0).mean() - 0.7) < 0.01
    assert abs(y.mean() - 1.0) < 0.02


def test_dropout_rate_zero_and_errors():
    x = tf.constant([1.0, 2.0])
    assert nn.dropout(x, 0.0) is x
    with pytest.raises(ValueError, match="range"):
        nn.dropout(x, 1.0)
    with pytest.raises(ValueError, match="range"):
        nn.dropout(x, -0.1)
    with pytest.raises(ValueError, match="floating"):
        nn.dropout(tf.constant([1, 2]), 0.5)
    with pytest.raises(tf.errors.InvalidArgumentError):
        nn.dropout(tf.ones([4, 3]) if hasattr(tf, "ones") else np.ones((4, 3), np.float32), 0.5,
                   noise_shape=[4, 2])


def test_dropout_noise_shape():
    x = np.arange(1, 1 + 200 * 8, dtype=np.float32).reshape(200, 8)
    y = np.asarray(nn.dropout(x, 0.5, noise_shape=[200, 1]))
    kept = y != 0
    assert (kept.all(axis=1) | (~kept).all(axis=1)).all()
    np.testing.assert_allclose(y[kept], 2 * x[kept])
    y = np.asarray(nn.dropout(x, 0.5, noise_shape=[None, 1]))
    assert (y != 0).all(axis=1).sum() + (y == 0).all(axis=1).sum() == 200


def test_dropout_tensor_rate():
    y = np.asarray(nn.dropout(np.ones(N, np.float32), tf.constant(0.2)))
    assert abs((y > 0).mean() - 0.8) < 0.01
    np.testing.assert_allclose(np.unique(y)[1], 1.25, rtol=1e-6)


def test_dropout_gradient():
    x = tf.constant(np.random.default_rng(1).normal(size=(50, 20)))
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = nn.dropout(x, 0.4)
    g = np.asarray(tape.gradient(y, x))
    mask = np.asarray(y) / np.asarray(x)
    np.testing.assert_allclose(g, mask, rtol=1e-12)
    assert set(np.round(np.unique(g), 6)) <= {0.0, round(1 / 0.6, 6)}


def test_random_ops_not_differentiable():
    with tf.GradientTape() as tape:
        u = R.uniform([3])
        tape.watch(u)
        v = u * 2.0
    np.testing.assert_allclose(np.asarray(tape.gradient(v, u)), [2.0, 2.0, 2.0])
