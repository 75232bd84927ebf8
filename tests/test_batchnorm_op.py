"""Norm family: fused batch norm ops (tf.nn.fused_batch_norm) against numpy, gradients
(first and second order), and the BatchNormalization layer's fused path."""
import numpy as np
import pytest

from minikeras import _core, tf
from minikeras import layers
from tests.gradcheck import check_grad

rng = np.random.default_rng(0)
Cops = _core.ops


def np_bn(x, scale, offset, eps):
    xs = x.astype(np.float64).reshape(-1, x.shape[-1])
    mu, var = xs.mean(0), xs.var(0)
    y = (x - mu) / np.sqrt(var + eps) * scale + offset
    m = xs.shape[0]
    return y, mu, var * m / max(m - 1, 1)


TOL = {"float32": 2e-5, "float64": 1e-12, "float16": 5e-3}


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16"])
@pytest.mark.parametrize("shape", [(4, 5, 6, 3), (2, 3, 3, 1), (1, 1, 1, 4), (8, 7, 9, 33)])
def test_fused_batch_norm_training(dtype, shape):
    x = (rng.normal(size=shape) * 3 + 1.5).astype(dtype)
    pdt = "float32" if dtype == "float16" else dtype
    s = rng.normal(size=shape[-1]).astype(pdt)
    o = rng.normal(size=shape[-1]).astype(pdt)
    y, m, v = tf.nn.fused_batch_norm(x, s, o, epsilon=1e-3)
    yr, mr, vr = np_bn(x, s, o, 1e-3)
    assert y.dtype == dtype and m.dtype == pdt and tuple(y.shape) == shape
    np.testing.assert_allclose(np.asarray(y).astype(np.float64), yr, atol=TOL[dtype] * 10, rtol=TOL[dtype])
    np.testing.assert_allclose(np.asarray(m), mr, atol=TOL[dtype], rtol=TOL[dtype])
    np.testing.assert_allclose(np.asarray(v), vr, atol=TOL[dtype], rtol=TOL[dtype])


def test_fused_batch_norm_inference_and_avg_factor():
    x = rng.normal(size=(3, 4, 5, 6)).astype(np.float32)
    s, o = rng.normal(size=6).astype(np.float32), rng.normal(size=6).astype(np.float32)
    mean, var = rng.normal(size=6).astype(np.float32), rng.uniform(0.5, 2, size=6).astype(np.float32)
    y, m, v = tf.nn.fused_batch_norm(x, s, o, mean, var, epsilon=1e-7, is_training=False)
    np.testing.assert_allclose(np.asarray(y), (x - mean) / np.sqrt(var + 1.001e-5) * s + o, rtol=1e-5,
                               atol=1e-5)      # epsilon raised to 1.001e-5
    np.testing.assert_array_equal(np.asarray(m), mean)
    y, m, v = tf.nn.fused_batch_norm(x, s, o, mean, var, is_training=True, exponential_avg_factor=0.25)
    _, mr, vr = np_bn(x, s, o, 1e-3)
    np.testing.assert_allclose(np.asarray(m), 0.75 * mean + 0.25 * mr, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(v), 0.75 * var + 0.25 * vr, rtol=1e-5, atol=1e-6)
    # NCHW
    xc = np.transpose(x, (0, 3, 1, 2))
    y, _, _ = tf.nn.fused_batch_norm(xc, s, o, data_format="NCHW")
    np.testing.assert_allclose(np.transpose(np.asarray(y), (0, 2, 3, 1)), np_bn(x, s, o, 1e-3)[0],
                               rtol=1e-4, atol=1e-5)


def test_batch_normalization():
    x = rng.normal(size=(4, 3)).astype(np.float32)
    m, v = np.float32([0.1, 0.2, 0.3]), np.float32([1.0, 2.0, 0.5])
    y = tf.nn.batch_normalization(x, m, v, np.float32([1, 0, -1]), np.float32([2, 2, 2]), 1e-3)
    np.testing.assert_allclose(np.asarray(y), (x - m) / np.sqrt(v + 1e-3) * 2 + [1, 0, -1], rtol=1e-5)
    y = tf.nn.batch_normalization(x, m, v, None, None, 1e-3)
    np.testing.assert_allclose(np.asarray(y), (x - m) / np.sqrt(v + 1e-3), rtol=1e-5)


def test_fused_grad_op_vs_numpy():
    x = rng.normal(size=(3, 4, 5, 6)) * 2
    s, o = rng.normal(size=6), rng.normal(size=6)
    dy = rng.normal(size=x.shape)
    T = _core.from_buffer
    y, bm, bv, sm, si = Cops["fused_batch_norm"](T(x), T(s), T(o), floats=(1e-3,))
    dx, ds, db = [np.asarray(t) for t in Cops["fused_batch_norm_grad"](T(dy), T(x), T(s), sm, si, ints=(1,))]
    xs = x.reshape(-1, 6)
    mu, var = xs.mean(0), xs.var(0)
    xh = (x - mu) / np.sqrt(var + 1e-3)
    k = s / np.sqrt(var + 1e-3)
    d2 = dy.reshape(-1, 6)
    np.testing.assert_allclose(dx, k * (dy - d2.mean(0) - xh * (dy * xh).reshape(-1, 6).mean(0)), atol=1e-12)
    np.testing.assert_allclose(ds, (dy * xh).reshape(-1, 6).sum(0), atol=1e-12)
    np.testing.assert_allclose(db, d2.sum(0), atol=1e-12)


def _fbn_all(x, s, o):
    y, m, v = tf.nn.fused_batch_norm(x, s, o, epsilon=1e-3)
    return tf.reduce_sum(y, axis=[1, 2]) + m * 0.7 + v * 1.3


def test_fused_gradients_fd():
    x = rng.normal(size=(2, 3, 2, 3)) * 2
    s, o = rng.normal(size=3), rng.normal(size=3)
    check_grad(lambda a, b, c: tf.nn.fused_batch_norm(a, b, c, epsilon=1e-3)[0], [x, s, o])
    check_grad(_fbn_all, [x, s, o])
    m, v = rng.normal(size=3), rng.uniform(0.5, 2, size=3)
    check_grad(lambda a, b, c, d, e: tf.nn.fused_batch_norm(a, b, c, d, e, is_training=False)[0],
               [x, s, o, m, v])


@pytest.mark.parametrize("training", [True, False])
def test_fused_second_order(training):
    x = rng.normal(size=(2, 2, 3, 2)) * 2
    s, o = rng.normal(size=2), rng.normal(size=2)
    m, v = rng.normal(size=2), rng.uniform(0.5, 2, size=2)
    d = rng.normal(size=x.shape)

    def f(a, sc, dd):
        with tf.GradientTape() as t:
            t.watch([a, sc])
            if training:
                y = tf.nn.fused_batch_norm(a, sc, tf.constant(o), epsilon=1e-3)[0]
            else:
                y = tf.nn.fused_batch_norm(a, sc, tf.constant(o), tf.constant(m), tf.constant(v),
                                           is_training=False)[0]
        ga, gs = t.gradient(y, [a, sc], output_gradients=dd)
        return tf.reduce_sum(ga * ga, axis=[1, 2]) + gs * 0.5

    check_grad(f, [x, s, d], atol=1e-5, rtol=1e-4)


def test_fused_errors():
    x = np.zeros((2, 3, 3, 4), np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError, match="scale must be a 1-D tensor of the channel count 4"):
        tf.nn.fused_batch_norm(x, np.ones(3, np.float32), np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="4-D or 5-D"):
        tf.nn.fused_batch_norm(np.zeros((2, 4), np.float32), np.ones(4, np.float32), np.zeros(4, np.float32))
    with pytest.raises(ValueError, match="mean.*variance"):
        tf.nn.fused_batch_norm(x, np.ones(4, np.float32), np.zeros(4, np.float32), is_training=False)
    with pytest.raises(TypeError, match="scale must be float32"):
        tf.nn.fused_batch_norm(x, np.ones(4, np.float64), np.zeros(4, np.float32))
    with pytest.raises(tf.errors.InvalidArgumentError, match="y_backprop and x must have the same shape"):
        T = _core.from_buffer
        v = T(np.ones(4, np.float32))
        Cops["fused_batch_norm_grad"](T(x[:1]), T(x), v, v, v, ints=(1,))


# ---- the layer: fused path vs the composed path --------------------------------------

def _run_layer(fused, x, training, steps=3):
    bn = layers.BatchNormalization(momentum=0.9, epsilon=1e-3, fused=fused,
                                   gamma_initializer="ones", beta_initializer="zeros")
    bn.build(x.shape)
    bn.gamma.assign(np.linspace(0.5, 1.5, x.shape[-1]).astype(np.float32))
    bn.beta.assign(np.linspace(-1, 1, x.shape[-1]).astype(np.float32))
    xt = tf.constant(x)
    for _ in range(steps):
        with tf.GradientTape() as t:
            t.watch(xt)
            y = bn(xt, training=training)
            loss = tf.reduce_sum(y * y * 0.5 + y)
        gx, gg, gb = t.gradient(loss, [xt, bn.gamma, bn.beta])
    return (np.asarray(y), np.asarray(gx), np.asarray(gg), np.asarray(gb),
            bn.moving_mean.numpy(), bn.moving_variance.numpy(), bn)


@pytest.mark.parametrize("training", [True, False])
def test_layer_fused_matches_composed(training):
    x = (rng.normal(size=(6, 5, 4, 3)) * 2 + 1).astype(np.float32)
    a = _run_layer(None, x, training)
    b = _run_layer(False, x, training)
    assert a[-1].fused is True and b[-1].fused is False
    for u, w in zip(a[:4], b[:4]):
        np.testing.assert_allclose(u, w, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(a[4], b[4], rtol=1e-5, atol=1e-6)
    if training:
        # fused: unbiased batch variance in the moving average
        n = 6 * 5 * 4
        var = x.reshape(-1, 3).astype(np.float64).var(0)
        mv = np.ones(3)
        for _ in range(3):
            mv = mv * 0.9 + 0.1 * var * n / (n - 1)
        np.testing.assert_allclose(a[5], mv, rtol=1e-5)


def test_layer_fused_in_tf_function():
    x = rng.normal(size=(4, 3, 3, 2)).astype(np.float32)
    bn = layers.BatchNormalization()

    @tf.function
    def step(a):
        with tf.GradientTape() as t:
            y = bn(a, training=True)
            loss = tf.reduce_sum(y * y)
        return y, t.gradient(loss, bn.trainable_weights)

    y, g = step(tf.constant(x))
    yr, mu, _ = np_bn(x, 1.0, 0.0, 1e-3)
    np.testing.assert_allclose(np.asarray(y), yr, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * mu, rtol=1e-5, atol=1e-7)
    step(tf.constant(x))
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * mu + 0.99 * 0.01 * mu, rtol=1e-5, atol=1e-7)


def test_fused_large_offset_precision():
    # one-pass shifted sums: a channel far from zero keeps its variance exact
    x = (rng.normal(size=(16, 8, 8, 4)) + np.array([1e3, -5e3, 0.0, 1e4])).astype(np.float32)
    s, o = np.ones(4, np.float32), np.zeros(4, np.float32)
    y, m, v = tf.nn.fused_batch_norm(x, s, o)
    yr, mr, vr = np_bn(x, s, o, 1e-3)
    np.testing.assert_allclose(np.asarray(m), mr, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(v), vr, rtol=2e-3)
    np.testing.assert_allclose(np.asarray(y), yr, atol=2e-3)
