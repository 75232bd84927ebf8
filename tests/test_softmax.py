"""Softmax family: softmax/log_softmax, cross-entropies, nn helpers, gradients."""
import numpy as np
import pytest

from minikeras import _core, tf
from minikeras.engine.api import nn
from tests.gradcheck import check_grad

rng = np.random.default_rng(0)


def np_softmax(x, axis=-1):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(x, axis=-1):
    x = x.astype(np.float64)
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


TOL = {"float32": 2e-6, "float64": 1e-13, "float16": 2e-3}
SHAPES = [((4, 5), -1), ((3, 4, 5), 1), ((3, 70, 5), 0), ((2, 3), 0), ((7,), 0), ((0, 4), -1),
          ((4, 0, 3), -1), ((5, 1), -1), ((2, 3, 130), -1), ((2, 100, 3), -2)]


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("shape,axis", SHAPES)
def test_softmax_forward(dtype, shape, axis):
    x = (rng.normal(size=shape) * 3).astype(dtype)
    y = nn.softmax(x, axis=axis)
    ly = nn.log_softmax(x, axis=axis)
    assert y.dtype == dtype and tuple(y.shape) == shape
    np.testing.assert_allclose(np.asarray(y).astype(np.float64), np_softmax(x, axis),
                               atol=TOL[dtype], rtol=TOL[dtype] * 10)
    np.testing.assert_allclose(np.asarray(ly).astype(np.float64), np_log_softmax(x, axis),
                               atol=TOL[dtype] * 20, rtol=TOL[dtype] * 10)


def test_softmax_default_axis_and_strided_input():
    x = rng.normal(size=(4, 6)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(nn.softmax(x)), np_softmax(x), atol=1e-6)
    xt = tf.constant(x)
    if "transpose" in _core.ops:
        t = _core.ops["transpose"](xt, ints=(1, 0))
        np.testing.assert_allclose(np.asarray(nn.softmax(t)), np_softmax(x.T), atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_stability_and_masking(dtype):
    x = np.array([[1000.0, 1000.0, -1000.0], [-np.inf, 0.0, 1.0], [-50.0, -60.0, -200.0]], dtype)
    y = np.asarray(nn.softmax(x))
    np.testing.assert_allclose(y, np_softmax(x), atol=1e-7, rtol=1e-5)
    assert y[1, 0] == 0.0 and y[0, 2] == 0.0
    ly = np.asarray(nn.log_softmax(x))
    assert ly[1, 0] == -np.inf
    np.testing.assert_allclose(ly[np.isfinite(ly)], np_log_softmax(x)[np.isfinite(ly)], rtol=1e-5, atol=1e-6)
    assert np.isnan(np.asarray(nn.softmax(np.array([[np.nan, 1.0]], dtype)))).all()


def test_softmax_many_rows_threads_identical():
    x = rng.normal(size=(300, 257)).astype(np.float32)
    n = _core.get_num_threads()
    try:
        res = []
        for th in (1, 2):
            _core.set_num_threads(th)
            res.append([np.asarray(nn.softmax(x)), np.asarray(nn.log_softmax(x, axis=0)),
                        np.asarray(nn.sparse_softmax_cross_entropy_with_logits(np.arange(300) % 257, x))])
        for a, b in zip(*res):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(res[0][0], np_softmax(x), atol=2e-6)
    finally:
        _core.set_num_threads(n)


def test_softmax_errors():
    with pytest.raises(tf.errors.InvalidArgumentError, match="float"):
        nn.softmax(tf.constant([1, 2, 3]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="axis"):
        nn.softmax(tf.constant([[1.0, 2.0]]), axis=2)
    with pytest.raises(tf.errors.InvalidArgumentError):
        nn.log_softmax(tf.constant(1.0))


# ---- cross-entropies ------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
def test_softmax_xent(dtype):
    logits = (rng.normal(size=(6, 5)) * 2).astype(dtype)
    labels = rng.dirichlet(np.ones(5), size=6).astype(dtype)
    loss = nn.softmax_cross_entropy_with_logits(labels, logits)
    assert loss.dtype == dtype and tuple(loss.shape) == (6,)
    want = -(labels.astype(np.float64) * np_log_softmax(logits)).sum(-1)
    np.testing.assert_allclose(np.asarray(loss).astype(np.float64), want, rtol=TOL[dtype] * 10,
                               atol=TOL[dtype] * 10)
    # raw op: backprop = softmax - labels
    if dtype != "float16":
        l2, bp = _core.ops["softmax_cross_entropy"](tf.constant(labels), tf.constant(logits))
        np.testing.assert_allclose(np.asarray(bp), np_softmax(logits) - labels, atol=TOL[dtype] * 10)


def test_softmax_xent_axes_and_ranks():
    logits = rng.normal(size=(3, 4, 5))
    labels = rng.dirichlet(np.ones(4), size=(3, 5)).transpose(0, 2, 1)
    loss = nn.softmax_cross_entropy_with_logits(labels, logits, axis=1)
    assert tuple(loss.shape) == (3, 5)
    np.testing.assert_allclose(np.asarray(loss), -(labels * np_log_softmax(logits, 1)).sum(1), rtol=1e-12)
    l1 = nn.softmax_cross_entropy_with_logits([0.0, 1.0, 0.0], [1.0, 2.0, 3.0])
    assert tuple(l1.shape) == ()
    np.testing.assert_allclose(float(np.asarray(l1)), -np_log_softmax(np.array([1.0, 2.0, 3.0]))[1], rtol=1e-6)
    l0 = nn.softmax_cross_entropy_with_logits(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32))
    assert tuple(l0.shape) == (0,)
    with pytest.raises(tf.errors.InvalidArgumentError, match="shape"):
        nn.softmax_cross_entropy_with_logits(np.zeros((2, 3), np.float32), np.zeros((2, 4), np.float32))


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("ldtype", ["int32", "int64"])
def test_sparse_xent(dtype, ldtype):
    logits = (rng.normal(size=(7, 4)) * 2).astype(dtype)
    labels = np.array([0, 3, 1, 2, 3, 0, 1], ldtype)
    loss = nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
    assert loss.dtype == dtype and tuple(loss.shape) == (7,)
    want = -np_log_softmax(logits)[np.arange(7), labels]
    np.testing.assert_allclose(np.asarray(loss).astype(np.float64), want, rtol=TOL[dtype] * 10,
                               atol=TOL[dtype] * 10)
    if dtype != "float16":
        _, bp = _core.ops["sparse_softmax_cross_entropy"](tf.constant(labels), tf.constant(logits))
        np.testing.assert_allclose(np.asarray(bp), np_softmax(logits) - np.eye(4)[labels], atol=TOL[dtype] * 10)


def test_sparse_xent_ranks():
    logits = rng.normal(size=(2, 3, 5))
    labels = np.array([[0, 4, 2], [1, 1, 3]])
    loss = nn.sparse_softmax_cross_entropy_with_logits(labels, logits)
    assert tuple(loss.shape) == (2, 3)
    want = -np.take_along_axis(np_log_softmax(logits), labels[..., None], -1)[..., 0]
    np.testing.assert_allclose(np.asarray(loss), want, rtol=1e-12)
    l1 = nn.sparse_softmax_cross_entropy_with_logits(np.int32(2), [1.0, 2.0, 3.0])
    assert tuple(l1.shape) == ()
    l0 = nn.sparse_softmax_cross_entropy_with_logits(np.zeros(0, np.int32), np.zeros((0, 3), np.float32))
    assert tuple(l0.shape) == (0,)


def test_sparse_xent_bad_labels():
    logits = np.zeros((3, 4), np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="label value of 4 .*\\[0, 4\\)"):
        nn.sparse_softmax_cross_entropy_with_logits(np.array([1, 4, 2]), logits)
    with pytest.raises(tf.errors.InvalidArgumentError, match="label value of -1"):
        nn.sparse_softmax_cross_entropy_with_logits(np.array([-1, 0, 2], np.int64), logits)
    with pytest.raises(ValueError, match="Rank mismatch"):
        nn.sparse_softmax_cross_entropy_with_logits(np.array([[1, 2, 3]]), logits)
    with pytest.raises(ValueError, match="Shape mismatch"):
        nn.sparse_softmax_cross_entropy_with_logits(np.array([1, 2]), logits)
    with pytest.raises(TypeError):
        nn.sparse_softmax_cross_entropy_with_logits(np.array([1.0, 2.0, 3.0]), logits)
    with pytest.raises(tf.errors.InvalidArgumentError, match="sparse_softmax_cross_entropy"):
        _core.ops["sparse_softmax_cross_entropy"](tf.constant([0, 1]), tf.constant(logits))


def test_sigmoid_xent():
    x = np.array([-1000.0, -3.0, 0.0, 2.0, 1000.0], np.float32)
    z = np.array([0.0, 1.0, 0.5, 1.0, 0.0], np.float32)
    got = np.asarray(nn.sigmoid_cross_entropy_with_logits(labels=z, logits=x))
    want = np.maximum(x, 0) - x * z + np.log1p(np.exp(-np.abs(x.astype(np.float64))))
    np.testing.assert_allclose(got, want, rtol=1e-6)
    with pytest.raises(ValueError):
        nn.sigmoid_cross_entropy_with_logits(labels=z[:2], logits=x)


def test_l2_normalize():
    x = rng.normal(size=(3, 4))
    for axis in (None, 0, 1, -1, [0, 1]):
        ax = tuple(axis) if isinstance(axis, list) else axis
        want = x / np.sqrt(np.maximum((x * x).sum(axis=ax, keepdims=True), 1e-12))
        np.testing.assert_allclose(np.asarray(nn.l2_normalize(x, axis=axis)), want, rtol=1e-12)
    np.testing.assert_array_equal(np.asarray(nn.l2_normalize(np.zeros(3, np.float32))), 0)


def test_activations():
    x = np.linspace(-8, 8, 33).astype(np.float64)
    from math import erf
    cases = {
        "relu": np.maximum(x, 0), "relu6": np.clip(x, 0, 6),
        "sigmoid": 1 / (1 + np.exp(-x)), "tanh": np.tanh(x),
        "softplus": np.log1p(np.exp(x)), "softsign": x / (1 + np.abs(x)),
        "elu": np.where(x > 0, x, np.expm1(x)),
        "selu": 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)),
        "silu": x / (1 + np.exp(-x)), "swish": x / (1 + np.exp(-x)),
        "gelu": 0.5 * x * (1 + np.vectorize(erf)(x / np.sqrt(2))),
        "log_sigmoid": -np.log1p(np.exp(-x)),
    }
    for name, want in cases.items():
        np.testing.assert_allclose(np.asarray(getattr(nn, name)(x)), want, rtol=1e-10, atol=1e-12, err_msg=name)
    np.testing.assert_allclose(np.asarray(nn.leaky_relu(x)), np.where(x > 0, x, 0.2 * x))
    np.testing.assert_allclose(np.asarray(nn.leaky_relu(x, alpha=0.01)), np.where(x > 0, x, 0.01 * x))
    approx = 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(np.asarray(nn.gelu(x, approximate=True)), approx, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(nn.silu(x, beta=2.0)), x / (1 + np.exp(-2 * x)), rtol=1e-10)
    assert nn.relu([1.0, -1.0]).dtype == "float32"


def test_bias_add():
    x = rng.normal(size=(2, 3, 4))
    b = rng.normal(size=4)
    np.testing.assert_allclose(np.asarray(nn.bias_add(x, b)), x + b)
    b3 = rng.normal(size=3)
    np.testing.assert_allclose(np.asarray(nn.bias_add(x, b3, data_format="NCW")), x + b3[:, None])
    with pytest.raises(tf.errors.InvalidArgumentError):
        nn.bias_add(x, b3)


# ---- gradients --------------------------------------------------------------------------

def test_grad_softmax():
    x = rng.normal(size=(3, 5))
    check_grad(lambda t: nn.softmax(t), [x])
    check_grad(lambda t: nn.log_softmax(t), [x])
    x3 = rng.normal(size=(2, 3, 4))
    check_grad(lambda t: nn.softmax(t, axis=1), [x3])
    check_grad(lambda t: nn.log_softmax(t, axis=0), [x3])


def test_grad_xent():
    logits = rng.normal(size=(4, 3))
    labels = rng.dirichlet(np.ones(3), size=4)
    check_grad(lambda y, x: nn.softmax_cross_entropy_with_logits(y, x), [labels, logits])
    l3 = rng.normal(size=(2, 3, 2))
    y3 = np.ascontiguousarray(rng.dirichlet(np.ones(3), size=(2, 2)).transpose(0, 2, 1))
    check_grad(lambda y, x: nn.softmax_cross_entropy_with_logits(y, x, axis=1), [y3, l3])
    labels_i = tf.constant(np.array([2, 0, 1, 1]))
    check_grad(lambda x: nn.sparse_softmax_cross_entropy_with_logits(labels_i, x), [logits])


def test_grad_composed():
    x = rng.normal(size=(3, 4)) * 3
    z = rng.uniform(size=(3, 4))
    check_grad(lambda a, b: nn.sigmoid_cross_entropy_with_logits(labels=b, logits=a), [x, z])
    check_grad(lambda a: nn.l2_normalize(a, axis=1), [x])
    check_grad(lambda a: nn.l2_normalize(a), [x])


def _inner_grad(fn, w):
    def g(x):
        with tf.GradientTape() as t:
            t.watch(x)
            y = tf.math.reduce_sum(fn(x) * tf.constant(w))
        return t.gradient(y, x)
    return g


def test_second_derivatives():
    x = rng.normal(size=(3, 4))
    w = rng.uniform(0.5, 1.5, size=(3, 4))
    check_grad(_inner_grad(nn.softmax, w), [x])
    check_grad(_inner_grad(nn.log_softmax, w), [x])
    w3 = rng.uniform(0.5, 1.5, size=(3,))
    labels = rng.dirichlet(np.ones(4), size=3)
    check_grad(_inner_grad(lambda a: nn.softmax_cross_entropy_with_logits(labels, a), w3), [x])
    li = tf.constant(np.array([0, 3, 1]))
    check_grad(_inner_grad(lambda a: nn.sparse_softmax_cross_entropy_with_logits(li, a), w3), [x])


def test_second_derivatives_fused_backward_ops():
    # gradients of softmax_grad / log_softmax_grad with respect to both inputs
    dy = rng.normal(size=(2, 5))
    y = np_softmax(rng.normal(size=(2, 5)))
    check_grad(lambda a, b: _core.ops["softmax_grad"](a, b, ints=(1,)), [dy, y])
    check_grad(lambda a, b: _core.ops["log_softmax_grad"](a, b, ints=(0,)), [dy, np.log(y)])
