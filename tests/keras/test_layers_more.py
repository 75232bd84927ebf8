"""Keras layers beyond the core: regularizers, constraints, advanced activations,
BatchNormalization/LayerNormalization, merging layers, noise layers, Embedding."""
import json

import numpy as np
import pytest

from minikeras import backend, constraints, layers, optimizers, regularizers, tf
from minikeras import Input, Model, Sequential
from minikeras.engine.api import random as _random
from tests.gradcheck import check_grad


@pytest.fixture(autouse=True)
def _fresh_session():
    backend.clear_session()
    backend.set_floatx("float32")
    yield
    backend.set_floatx("float32")


def rng(seed=0):
    return np.random.default_rng(seed)


def roundtrip(layer):
    """from_config(get_config()) gives the same config (also through JSON)."""
    config = layer.get_config()
    clone = type(layer).from_config(json.loads(json.dumps(config)))
    assert clone.get_config() == json.loads(json.dumps(config))
    return clone


def check_weight_grads(fn, layer, atol=1e-6, rtol=1e-4, eps=1e-6):
    """d sum(fn()*w)/d trainable weights: the tape against finite differences (float64)."""
    out = fn()
    w = rng(1).uniform(0.5, 1.5, size=tuple(out.shape))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(fn() * tf.constant(w))
    grads = tape.gradient(loss, layer.trainable_weights)
    for var, g in zip(layer.trainable_weights, grads):
        base = var.numpy()
        num = np.zeros_like(base)
        for i in range(base.size):
            for sign in (1, -1):
                v = base.copy().reshape(-1)
                v[i] += sign * eps
                var.assign(v.reshape(base.shape))
                num.reshape(-1)[i] += sign * float(np.sum(fn().numpy() * w)) / (2 * eps)
        var.assign(base)
        np.testing.assert_allclose(np.asarray(g), num, atol=atol, rtol=rtol, err_msg=var.name)


# ---- regularizers --------------------------------------------------------------------------

def test_regularizer_values_and_defaults():
    w = rng().normal(size=(3, 4)).astype("float32")
    assert regularizers.l1 is regularizers.L1 and regularizers.l2 is regularizers.L2
    np.testing.assert_allclose(regularizers.L1()(w).numpy(), 0.01 * np.abs(w).sum(), rtol=1e-6)
    np.testing.assert_allclose(regularizers.L2(0.1)(w).numpy(), 0.1 * (w ** 2).sum(), rtol=1e-6)
    np.testing.assert_allclose(regularizers.l1_l2()(w).numpy(),
                               0.01 * np.abs(w).sum() + 0.01 * (w ** 2).sum(), rtol=1e-6)
    assert regularizers.L1L2().get_config() == {"l1": 0.0, "l2": 0.0}
    assert float(regularizers.L1L2()(w).numpy()) == 0.0
    # factors are stored as float32, as tf.keras does
    assert regularizers.L2().get_config() == {"l2": 0.009999999776482582}
    assert regularizers.l1_l2().get_config() == {"l1": 0.009999999776482582,
                                                 "l2": 0.009999999776482582}
    assert regularizers.Regularizer()(w) == 0.
    with pytest.raises(ValueError, match="not a valid regularization penalty"):
        regularizers.L2("big")
    with pytest.raises(TypeError, match="not recognized"):
        regularizers.L1(foo=1)


def test_regularizer_get_and_serialize():
    assert isinstance(regularizers.get("l2"), regularizers.L2)
    assert isinstance(regularizers.get("L1"), regularizers.L1)
    l1l2 = regularizers.get("l1_l2")
    assert isinstance(l1l2, regularizers.L1L2) and abs(l1l2.l1 - 0.01) < 1e-8 and abs(l1l2.l2 - 0.01) < 1e-8
    assert regularizers.get(None) is None
    fn = lambda x: tf.reduce_sum(x)  # noqa: E731
    assert regularizers.get(fn) is fn
    r = regularizers.L1L2(l1=0.5, l2=0.25)
    s = regularizers.serialize(r)
    assert s == {"class_name": "L1L2", "config": {"l1": 0.5, "l2": 0.25}}
    r2 = regularizers.get(s)
    assert isinstance(r2, regularizers.L1L2) and r2.get_config() == r.get_config()
    assert regularizers.serialize(None) is None
    with pytest.raises(ValueError, match="Unknown regularizer"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier"):
        regularizers.get(42)


def test_dense_with_string_regularizers_adds_losses():
    dense = layers.Dense(3, kernel_regularizer="l2", bias_regularizer=regularizers.l1(0.5),
                         activity_regularizer="l1")
    x = rng().normal(size=(4, 5)).astype("float32")
    y = dense(x)
    k, b = dense.kernel.numpy(), dense.bias.numpy()
    assert isinstance(dense.kernel_regularizer, regularizers.L2)
    losses = [float(l.numpy()) for l in dense.losses]
    expected = [0.01 * np.abs(y.numpy()).sum() / 4, 0.01 * (k ** 2).sum(), 0.5 * np.abs(b).sum()]
    np.testing.assert_allclose(sorted(losses), sorted(expected), rtol=1e-5)
    cfg = dense.get_config()
    assert cfg["kernel_regularizer"] == {"class_name": "L2", "config": {"l2": 0.009999999776482582}}
    clone = layers.Dense.from_config(cfg)
    assert isinstance(clone.kernel_regularizer, regularizers.L2)
    assert isinstance(clone.activity_regularizer, regularizers.L1)


def test_regularizer_gradient_on_variable():
    dense = layers.Dense(2, kernel_regularizer="l2")
    dense.build((None, 3))
    with tf.GradientTape() as tape:
        loss = dense.losses[0]
    g = tape.gradient(loss, dense.kernel)
    np.testing.assert_allclose(np.asarray(g), 0.02 * dense.kernel.numpy(), rtol=1e-5)


# ---- constraints ----------------------------------------------------------------------------

def test_constraints_against_numpy():
    w = rng().normal(size=(4, 3)).astype("float32") * 2
    eps = 1e-7
    norms = np.sqrt((w ** 2).sum(0, keepdims=True))
    np.testing.assert_allclose(constraints.MaxNorm()(w).numpy(),
                               w * np.clip(norms, 0, 2) / (eps + norms), rtol=1e-5)
    n1 = np.sqrt((w ** 2).sum(1, keepdims=True))
    np.testing.assert_allclose(constraints.MaxNorm(1.0, axis=1)(w).numpy(),
                               w * np.clip(n1, 0, 1) / (eps + n1), rtol=1e-5)
    np.testing.assert_allclose(constraints.NonNeg()(w).numpy(), w * (w >= 0), rtol=1e-6)
    np.testing.assert_allclose(constraints.UnitNorm()(w).numpy(), w / (eps + norms), rtol=1e-5)
    mm = constraints.MinMaxNorm(0.5, 1.5, rate=0.5)(w).numpy()
    desired = 0.5 * np.clip(norms, 0.5, 1.5) + 0.5 * norms
    np.testing.assert_allclose(mm, w * desired / (eps + norms), rtol=1e-5)
    np.testing.assert_allclose(constraints.Constraint()(w), w)


def test_constraint_configs_get_and_serialize():
    assert constraints.MaxNorm().get_config() == {"max_value": 2, "axis": 0}
    assert constraints.UnitNorm().get_config() == {"axis": 0}
    assert constraints.MinMaxNorm().get_config() == {"min_value": 0.0, "max_value": 1.0,
                                                     "rate": 1.0, "axis": 0}
    assert constraints.NonNeg().get_config() == {}
    for name, cls in [("max_norm", constraints.MaxNorm), ("MaxNorm", constraints.MaxNorm),
                      ("non_neg", constraints.NonNeg), ("unit_norm", constraints.UnitNorm),
                      ("min_max_norm", constraints.MinMaxNorm), ("nonneg", constraints.NonNeg)]:
        assert isinstance(constraints.get(name), cls)
    s = constraints.serialize(constraints.MaxNorm(3, axis=[0, 1]))
    assert s == {"class_name": "MaxNorm", "config": {"max_value": 3, "axis": [0, 1]}}
    assert constraints.get(s).get_config() == s["config"]
    assert constraints.get(None) is None
    with pytest.raises(ValueError, match="Unknown constraint"):
        constraints.get("nope")


def test_constraint_applied_by_optimizer():
    dense = layers.Dense(3, kernel_constraint="non_neg", kernel_initializer="ones")
    x = np.ones((2, 4), "float32")
    opt = optimizers.SGD(1.0)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(dense(x))
    grads = tape.gradient(loss, dense.trainable_weights)
    opt.apply_gradients(zip(grads, dense.trainable_weights))
    assert dense.kernel.numpy().min() == 0.0    # 1 - 2 = -1, projected to 0
    assert dense.get_config()["kernel_constraint"] == {"class_name": "NonNeg", "config": {}}


# ---- advanced activations -------------------------------------------------------------------

def test_activation_layers_against_numpy():
    x = np.linspace(-3, 3, 25, dtype="float32").reshape(5, 5)
    cases = [
        (layers.ReLU(), np.maximum(x, 0)),
        (layers.ReLU(max_value=1.5), np.clip(x, 0, 1.5)),
        (layers.ReLU(max_value=6), np.clip(x, 0, 6)),
        (layers.ReLU(negative_slope=0.1), np.where(x >= 0, x, 0.1 * x)),
        (layers.ReLU(max_value=2., negative_slope=0.2, threshold=0.5),
         np.where(x >= 2, 2, np.where(x > 0.5, x, 0.2 * (x - 0.5)))),
        (layers.LeakyReLU(), np.where(x >= 0, x, 0.3 * x)),
        (layers.LeakyReLU(alpha=0.1), np.where(x >= 0, x, 0.1 * x)),
        (layers.ELU(), np.where(x > 0, x, np.exp(x) - 1)),
        (layers.ELU(alpha=0.5), np.where(x > 0, x, 0.5 * (np.exp(x) - 1))),
        (layers.ThresholdedReLU(), np.where(x > 1, x, 0)),
        (layers.ThresholdedReLU(theta=0.5), np.where(x > 0.5, x, 0)),
        (layers.Softmax(), np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
        (layers.Softmax(axis=0), np.exp(x) / np.exp(x).sum(0, keepdims=True)),
        (layers.Softmax(axis=[0, 1]), np.exp(x) / np.exp(x).sum()),
        (layers.PReLU(), np.maximum(x, 0)),
    ]
    for layer, want in cases:
        np.testing.assert_allclose(layer(x).numpy(), want, rtol=1e-5, atol=1e-6,
                                   err_msg=layer.name)
        assert layer.compute_output_shape((None, 5)) == (None, 5)
        roundtrip(layer)
    mask = np.array([[1, 1, 0, 1, 0]] * 5, bool)
    sm = layers.Softmax()(x, mask=mask).numpy()
    e = np.exp(x) * mask
    np.testing.assert_allclose(sm, e / e.sum(-1, keepdims=True), rtol=1e-5, atol=1e-7)


def test_activation_layer_names_configs_and_errors():
    assert [layers.ReLU().name, layers.LeakyReLU().name, layers.PReLU().name, layers.ELU().name,
            layers.ThresholdedReLU().name, layers.Softmax().name] == [
        "re_lu", "leaky_re_lu", "p_re_lu", "elu", "thresholded_re_lu", "softmax"]
    assert layers.ReLU().get_config()["max_value"] is None
    assert layers.ReLU(6.).get_config()["max_value"] == 6.0
    assert layers.LeakyReLU().get_config()["alpha"] == pytest.approx(0.3)
    assert layers.Softmax().get_config()["axis"] == -1
    with pytest.raises(ValueError, match="max_value of a ReLU layer cannot be a negative"):
        layers.ReLU(max_value=-1)
    with pytest.raises(ValueError, match="negative_slope of a ReLU layer"):
        layers.ReLU(negative_slope=-1)
    with pytest.raises(ValueError, match="threshold of a ReLU layer cannot be None"):
        layers.ReLU(threshold=None)
    with pytest.raises(ValueError, match="alpha value of a Leaky ReLU layer cannot be None"):
        layers.LeakyReLU(alpha=None)
    with pytest.raises(ValueError, match="Alpha of an ELU layer cannot be None"):
        layers.ELU(alpha=None)
    with pytest.raises(ValueError, match="theta value of a Thresholded ReLU layer should be >=0"):
        layers.ThresholdedReLU(theta=-1)


def test_prelu_weights_shared_axes_and_config():
    p = layers.PReLU()
    x = rng().normal(size=(2, 4, 4, 3)).astype("float32")
    p(x)
    assert p.alpha.shape == (4, 4, 3) and p.count_params() == 48
    assert p.alpha.name == "p_re_lu/alpha:0"
    p2 = layers.PReLU(alpha_initializer="ones", shared_axes=[1, 2])
    out = p2(x).numpy()
    assert p2.alpha.shape == (1, 1, 3) and p2.count_params() == 3
    np.testing.assert_allclose(out, x, rtol=1e-6)    # alpha = 1: the identity
    alpha = np.array([0.1, 0.2, 0.3], "float32").reshape(1, 1, 3)
    p2.set_weights([alpha])
    np.testing.assert_allclose(p2(x).numpy(), np.where(x >= 0, x, alpha * x), rtol=1e-6)
    cfg = p2.get_config()
    assert cfg["shared_axes"] == [1, 2]
    assert cfg["alpha_initializer"] == {"class_name": "Ones", "config": {}}
    assert layers.PReLU(shared_axes=1).shared_axes == [1]
    roundtrip(p2)
    with pytest.raises(ValueError, match="expected axis 3"):
        p2(np.zeros((2, 4, 4, 5), "float32"))
    inp = Input((10, 8))
    out = layers.PReLU(shared_axes=1)(inp)
    model = Model(inp, out)
    assert out.shape == (None, 10, 8) and model.count_params() == 8


def test_prelu_gradients():
    x0 = rng().normal(size=(3, 4))
    layer = layers.PReLU(alpha_initializer=lambda shape, dtype=None: tf.constant(
        rng(2).uniform(0.1, 0.5, size=shape), dtype=dtype), dtype="float64")
    check_grad(lambda x: layer(x), [x0])
    xt = tf.constant(x0)
    check_weight_grads(lambda: layer(xt), layer)


# ---- BatchNormalization --------------------------------------------------------------------

def np_bn(x, mean, var, gamma, beta, eps):
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def test_batchnorm_params_names_and_config():
    bn = layers.BatchNormalization()
    inp = Input((16,))
    out = bn(inp)
    model = Model(inp, out)
    assert out.shape == (None, 16)
    assert bn.count_params() == 64 and model.count_params() == 64
    assert [w.name for w in bn.weights] == ["batch_normalization/gamma:0",
                                            "batch_normalization/beta:0",
                                            "batch_normalization/moving_mean:0",
                                            "batch_normalization/moving_variance:0"]
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2
    assert sum(int(np.prod(w.shape)) for w in model.non_trainable_weights) == 32
    np.testing.assert_array_equal(bn.moving_variance.numpy(), np.ones(16))
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(16))
    cfg = bn.get_config()
    assert cfg["axis"] == [1] and cfg["momentum"] == 0.99 and cfg["epsilon"] == 0.001
    assert cfg["center"] is True and cfg["scale"] is True
    assert cfg["gamma_initializer"] == {"class_name": "Ones", "config": {}}
    assert cfg["moving_variance_initializer"] == {"class_name": "Ones", "config": {}}
    assert bn.fused is False
    roundtrip(bn)
    bn2 = layers.BatchNormalization(center=False, scale=False)
    bn2.build((None, 5))
    assert bn2.count_params() == 10 and bn2.trainable_weights == []
    conv_bn = layers.BatchNormalization()
    conv_bn.build((None, 8, 8, 32))
    assert conv_bn.fused is True and conv_bn.count_params() == 128
    assert conv_bn.gamma.shape == (32,)
    assert layers.BatchNormalization(axis=2).fused is False
    with pytest.raises(ValueError, match="Invalid axis"):
        layers.BatchNormalization(axis=3).build((None, 4))
    with pytest.raises(ValueError, match="fused=True only support 4D"):
        layers.BatchNormalization(fused=True).build((None, 4))
    with pytest.raises(TypeError, match="Expected an int or a list/tuple of ints"):
        layers.BatchNormalization(axis="x")
    with pytest.raises(ValueError, match="expected axis -1|expected axis 1"):
        bn(np.zeros((2, 15), "float32"))


def test_batchnorm_training_and_inference_rank2():
    x = rng().normal(2.0, 3.0, size=(32, 6)).astype("float32")
    bn = layers.BatchNormalization(momentum=0.9, epsilon=1e-3)
    bn.build((None, 6))
    gamma = rng(1).uniform(0.5, 2, 6).astype("float32")
    beta = rng(2).normal(size=6).astype("float32")
    bn.set_weights([gamma, beta, np.zeros(6), np.ones(6)])
    # training=None (no fit): inference with the moving statistics, no update
    y0 = bn(x).numpy()
    np.testing.assert_allclose(y0, np_bn(x, 0, 1, gamma, beta, 1e-3), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(6))
    # training=True: batch statistics (biased variance) and a moving-average update
    y = bn(x, training=True).numpy()
    mean, var = x.mean(0), x.var(0)
    np.testing.assert_allclose(y, np_bn(x, mean, var, gamma, beta, 1e-3), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-5)
    # inference uses the moving statistics
    mm, mv = bn.moving_mean.numpy(), bn.moving_variance.numpy()
    np.testing.assert_allclose(bn(x, training=False).numpy(), np_bn(x, mm, mv, gamma, beta, 1e-3),
                               rtol=1e-5, atol=1e-5)
    # a frozen layer runs in inference mode even with training=True
    bn.trainable = False
    np.testing.assert_allclose(bn(x, training=True).numpy(), np_bn(x, mm, mv, gamma, beta, 1e-3),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), mm)


def test_batchnorm_rank4_fused_uses_bessel_for_moving_variance():
    x = rng().normal(1.0, 2.0, size=(4, 3, 3, 5)).astype("float32")
    bn = layers.BatchNormalization()
    y = bn(x, training=True).numpy()
    assert bn.fused is True
    mean, var = x.mean((0, 1, 2)), x.var((0, 1, 2))
    n = 4 * 3 * 3
    np.testing.assert_allclose(y, np_bn(x, mean, var, 1, 0, 1e-3), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * mean, rtol=1e-4)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.99 + 0.01 * var * n / (n - 1),
                               rtol=1e-5)
    # the non-fused path (fused=False) feeds the biased variance
    bn2 = layers.BatchNormalization(fused=False)
    bn2(x, training=True)
    np.testing.assert_allclose(bn2.moving_variance.numpy(), 0.99 + 0.01 * var, rtol=1e-5)
    # channels first: axis=1
    bn3 = layers.BatchNormalization(axis=1)
    xc = np.transpose(x, (0, 3, 1, 2)).copy()
    yc = bn3(xc, training=True).numpy()
    assert bn3.fused is True and bn3._data_format == "NCHW"
    np.testing.assert_allclose(np.transpose(yc, (0, 2, 3, 1)), y, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(bn3.moving_variance.numpy(), bn.moving_variance.numpy(), rtol=1e-5)
    # several axes: parameters of shape (1, H, 1, C)
    bn4 = layers.BatchNormalization(axis=[1, 3])
    y4 = bn4(x, training=True).numpy()
    assert bn4.gamma.shape == (1, 3, 1, 5) and bn4.count_params() == 60
    m4, v4 = x.mean((0, 2), keepdims=True), x.var((0, 2), keepdims=True)
    np.testing.assert_allclose(y4, np_bn(x, m4, v4, 1, 0, 1e-3), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(bn4.moving_mean.numpy(), 0.01 * m4, rtol=1e-4)


def test_batchnorm_learning_phase_from_model_call():
    inp = Input((4,))
    bn = layers.BatchNormalization()
    model = Model(inp, layers.Dense(2)(bn(inp)))
    x = rng().normal(size=(8, 4)).astype("float32")
    model(x)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), np.zeros(4))
    model(x, training=True)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.01 * x.mean(0), rtol=1e-5)
    seq = Sequential([layers.Dense(3, input_shape=(4,)), layers.BatchNormalization()])
    seq(x, training=True)
    assert np.abs(seq.layers[1].moving_mean.numpy()).sum() > 0
    assert seq.count_params() == 15 + 12


def test_batchnorm_moving_averages_in_traced_training_steps():
    x = rng().normal(3.0, 2.0, size=(16, 5)).astype("float32")
    y = rng(1).normal(size=(16, 1)).astype("float32")
    bn = layers.BatchNormalization(momentum=0.8)
    dense = layers.Dense(1)
    inp = Input((5,))
    model = Model(inp, dense(bn(inp)))
    opt = optimizers.SGD(0.1)

    @tf.function
    def train_step(xb, yb):
        with tf.GradientTape() as tape:
            pred = model(xb, training=True)
            loss = tf.reduce_mean(tf.square(pred - yb))
        grads = tape.gradient(loss, model.trainable_weights)
        opt.apply_gradients(zip(grads, model.trainable_weights))
        return loss

    mm, mv = np.zeros(5), np.ones(5)
    for step in range(4):
        xb = x + step
        train_step(tf.constant(xb), tf.constant(y))
        mm = 0.8 * mm + 0.2 * xb.mean(0)
        mv = 0.8 * mv + 0.2 * xb.var(0)
        np.testing.assert_allclose(bn.moving_mean.numpy(), mm, rtol=1e-4, err_msg=f"step {step}")
        np.testing.assert_allclose(bn.moving_variance.numpy(), mv, rtol=1e-4)
    # gamma/beta were trained, the moving statistics are not trainable
    assert not np.allclose(bn.gamma.numpy(), 1)
    assert len(model.trainable_weights) == 4


def test_batchnorm_training_gradients():
    x0 = rng().normal(1.0, 2.0, size=(6, 3))
    bn = layers.BatchNormalization(dtype="float64", epsilon=0.01)
    bn.build((None, 3))
    bn.set_weights([rng(1).uniform(0.5, 2, 3), rng(2).normal(size=3), np.zeros(3), np.ones(3)])
    check_grad(lambda x: bn(x, training=True), [x0], atol=1e-6, rtol=1e-4)
    xt = tf.constant(x0)
    check_weight_grads(lambda: bn(xt, training=True), bn)
    # inference mode: an affine map of x
    check_grad(lambda x: bn(x, training=False), [x0])
    # rank 4 (fused path semantics)
    x4 = rng(3).normal(size=(2, 2, 3, 2))
    bn4 = layers.BatchNormalization(dtype="float64")
    check_grad(lambda x: bn4(x, training=True), [x4], atol=1e-6, rtol=1e-4)


def test_batchnorm_float64_and_mixed_inputs():
    x = rng().normal(size=(10, 3))
    bn = layers.BatchNormalization(dtype="float64")
    out = bn(x, training=True)
    assert out.dtype == tf.float64 and bn.moving_mean.dtype == tf.float64
    np.testing.assert_allclose(out.numpy(), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3), rtol=1e-10)
    assert bn.fused is False


# ---- LayerNormalization --------------------------------------------------------------------

def test_layernorm_against_numpy_and_config():
    x = rng().normal(2.0, 3.0, size=(4, 5, 6)).astype("float32")
    ln = layers.LayerNormalization()
    y = ln(x).numpy()
    m, v = x.mean(-1, keepdims=True), x.var(-1, keepdims=True)
    np.testing.assert_allclose(y, (x - m) / np.sqrt(v + 1e-3), rtol=1e-4, atol=1e-5)
    assert ln.count_params() == 12 and ln.gamma.shape == (6,)
    assert [w.name for w in ln.weights] == ["layer_normalization/gamma:0",
                                            "layer_normalization/beta:0"]
    cfg = ln.get_config()
    assert cfg["axis"] == [2] and cfg["epsilon"] == 0.001
    roundtrip(ln)
    ln2 = layers.LayerNormalization(axis=[1, 2], epsilon=1e-6)
    gamma = rng(1).uniform(0.5, 2, (5, 6)).astype("float32")
    beta = rng(2).normal(size=(5, 6)).astype("float32")
    ln2.build(x.shape)
    ln2.set_weights([gamma, beta])
    m2, v2 = x.mean((1, 2), keepdims=True), x.var((1, 2), keepdims=True)
    np.testing.assert_allclose(ln2(x).numpy(), (x - m2) / np.sqrt(v2 + 1e-6) * gamma + beta,
                               rtol=1e-4, atol=1e-4)
    ln3 = layers.LayerNormalization(axis=1, center=False)
    y3 = ln3(x).numpy()
    m3, v3 = x.mean(1, keepdims=True), x.var(1, keepdims=True)
    np.testing.assert_allclose(y3, (x - m3) / np.sqrt(v3 + 1e-3), rtol=1e-4, atol=1e-5)
    assert ln3.count_params() == 5
    inp = Input((7, 3))
    assert layers.LayerNormalization()(inp).shape == (None, 7, 3)


def test_layernorm_gradients():
    x0 = rng().normal(size=(3, 4))
    ln = layers.LayerNormalization(dtype="float64")
    ln.build((None, 4))
    ln.set_weights([rng(1).uniform(0.5, 2, 4), rng(2).normal(size=4)])
    check_grad(lambda x: ln(x), [x0])
    xt = tf.constant(x0)
    check_weight_grads(lambda: ln(xt), ln)
    ln2 = layers.LayerNormalization(axis=1, dtype="float64", epsilon=1e-6)
    check_grad(lambda x: ln2(x), [rng(3).normal(size=(2, 3, 2))])


# ---- merging ---------------------------------------------------------------------------------

def test_elementwise_merges_against_numpy():
    a, b, c = (rng(i).normal(size=(3, 4)).astype("float32") for i in range(3))
    cases = [(layers.Add(), a + b + c), (layers.Multiply(), a * b * c),
             (layers.Average(), (a + b + c) / 3), (layers.Maximum(), np.maximum(np.maximum(a, b), c)),
             (layers.Minimum(), np.minimum(np.minimum(a, b), c))]
    for layer, want in cases:
        np.testing.assert_allclose(layer([a, b, c]).numpy(), want, rtol=1e-6, err_msg=layer.name)
        roundtrip(layer)
    np.testing.assert_allclose(layers.Subtract()([a, b]).numpy(), a - b)
    fns = [(layers.add, a + b), (layers.subtract, a - b), (layers.multiply, a * b),
           (layers.average, (a + b) / 2), (layers.maximum, np.maximum(a, b)),
           (layers.minimum, np.minimum(a, b))]
    for fn, want in fns:
        np.testing.assert_allclose(fn([a, b]).numpy(), want, rtol=1e-6)
    backend.clear_session()
    assert [layers.Add().name, layers.Add().name, layers.Concatenate().name, layers.Dot(1).name] \
        == ["add", "add_1", "concatenate", "dot"]


def test_merge_names_shapes_and_broadcasting():
    backend.clear_session()
    x1, x2 = Input((4,)), Input((4,))
    s = layers.Add()([x1, x2])
    assert s.shape == (None, 4)
    assert layers.add([x1, x2]).shape == (None, 4)
    # different ranks: the lower-rank input is expanded at axis 1
    y1, y2 = Input((3, 4)), Input((4,))
    out = layers.Add()([y1, y2])
    assert out.shape == (None, 3, 4)
    a = rng().normal(size=(2, 3, 4)).astype("float32")
    b = rng(1).normal(size=(2, 4)).astype("float32")
    model = Model([y1, y2], out)
    np.testing.assert_allclose(model([a, b]).numpy(), a + b[:, None, :], rtol=1e-6)
    # size-1 dimensions broadcast
    z = layers.Multiply()([Input((3, 1)), Input((3, 5))])
    assert z.shape == (None, 3, 5)
    assert layers.Add().compute_output_shape([(None, 3, 1), (None, 1, 4)]) == (None, 3, 4)
    assert layers.Add().compute_output_shape([(8, 3), (None, 3)]) == (8, 3)
    with pytest.raises(ValueError, match="Operands could not be broadcast together with shapes"):
        layers.Add()([Input((3,)), Input((4,))])
    with pytest.raises(ValueError, match="at least 2 inputs"):
        layers.Add()([Input((3,))])
    with pytest.raises(ValueError, match="should be called on a list of inputs"):
        layers.Add()(Input((3,)))
    with pytest.raises(ValueError, match="different batch sizes"):
        layers.Add()([Input((3,), batch_size=2), Input((3,), batch_size=5)])
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        layers.Subtract()([Input((3,)), Input((3,)), Input((3,))])
    with pytest.raises(Exception):
        layers.Add()([np.ones((2, 3), "float32"), np.ones((2, 4), "float32")])


def test_concatenate_layer():
    a = rng().normal(size=(2, 3, 4)).astype("float32")
    b = rng(1).normal(size=(2, 3, 5)).astype("float32")
    np.testing.assert_allclose(layers.Concatenate()([a, b]).numpy(), np.concatenate([a, b], -1))
    c = rng(2).normal(size=(2, 1, 4)).astype("float32")
    np.testing.assert_allclose(layers.Concatenate(axis=1)([a, c]).numpy(),
                               np.concatenate([a, c], 1))
    np.testing.assert_allclose(layers.concatenate([a, a, a], axis=0).numpy(),
                               np.concatenate([a, a, a], 0))
    i1, i2 = Input((3, 4)), Input((None, 4))
    assert layers.Concatenate(axis=1)([i1, i2]).shape == (None, None, 4)
    assert layers.Concatenate()([Input((3, 4)), Input((3, 2))]).shape == (None, 3, 6)
    assert layers.Concatenate().compute_output_shape([(None, 2), (None, 3)]) == (None, 5)
    layer = layers.Concatenate(axis=1)
    assert layer.get_config()["axis"] == 1
    roundtrip(layer)
    with pytest.raises(ValueError, match="requires inputs with matching shapes except for the "
                                         "concat axis"):
        layers.Concatenate()([Input((3, 4)), Input((2, 4))])
    with pytest.raises(ValueError, match="at least 2 inputs"):
        layers.Concatenate()([Input((3,))])


def test_exercise_3_2_dense_concatenate_param_count():
    inp = Input(shape=(1000,))
    output = inp
    for _ in range(4):
        output = layers.Concatenate()([output, layers.Dense(1000, "relu")(output)])
    model = Model(inputs=inp, outputs=output)
    assert output.shape == (None, 5000)
    assert model.count_params() == 10004000
    assert [l.name for l in model.layers if "concat" in l.name] == [
        "concatenate", "concatenate_1", "concatenate_2", "concatenate_3"]
    assert type(model.layers[2]).__name__ == "Concatenate"


def test_dot_layer():
    a = rng().normal(size=(3, 4)).astype("float32")
    b = rng(1).normal(size=(3, 4)).astype("float32")
    out = layers.Dot(axes=1)([a, b]).numpy()
    np.testing.assert_allclose(out, (a * b).sum(1, keepdims=True), rtol=1e-5)
    assert out.shape == (3, 1)
    cos = layers.Dot(axes=-1, normalize=True)([a, b]).numpy()
    want = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(cos[:, 0], want, rtol=1e-5)
    # 3-D: contract x axis 2 with y axis 2 -> (batch, 5, 6)
    x = rng(2).normal(size=(2, 5, 4)).astype("float32")
    y = rng(3).normal(size=(2, 6, 4)).astype("float32")
    np.testing.assert_allclose(layers.Dot(axes=(2, 2))([x, y]).numpy(),
                               np.einsum("bik,bjk->bij", x, y), rtol=1e-5)
    z = rng(4).normal(size=(2, 4, 6)).astype("float32")
    np.testing.assert_allclose(layers.dot([x, z], axes=[2, 1]).numpy(),
                               np.einsum("bik,bkj->bij", x, z), rtol=1e-5)
    i1, i2 = Input((5, 4)), Input((6, 4))
    assert layers.Dot(axes=2)([i1, i2]).shape == (None, 5, 6)
    assert layers.Dot(axes=1)([Input((4,)), Input((4,))]).shape == (None, 1)
    layer = layers.Dot(axes=[1, 2], normalize=True)
    assert layer.get_config()["axes"] == [1, 2] and layer.get_config()["normalize"] is True
    roundtrip(layer)
    with pytest.raises(ValueError, match="Dimension incompatibility 5 != 6"):
        layers.Dot(axes=1)([i1, i2])
    with pytest.raises(ValueError, match="list of 2 inputs"):
        layers.Dot(axes=1)([Input((4,)), Input((4,)), Input((4,))])
    with pytest.raises(TypeError, match="Invalid type for `axes`"):
        layers.Dot(axes="1")
    with pytest.raises(ValueError, match="should contain two elements"):
        layers.Dot(axes=[1, 2, 3])


def test_merge_gradients():
    a, b = rng().normal(size=(2, 3)), rng(1).normal(size=(2, 3))
    check_grad(lambda x, y: layers.Maximum(dtype="float64")([x, y]), [a, b])
    check_grad(lambda x, y: layers.Average(dtype="float64")([x, y]), [a, b])
    check_grad(lambda x, y: layers.Concatenate(dtype="float64")([x, y]), [a, b])
    check_grad(lambda x, y: layers.Dot(axes=1, normalize=True, dtype="float64")([x, y]), [a, b])


# ---- noise -----------------------------------------------------------------------------------

def test_noise_layers_only_act_while_training():
    x = np.ones((200, 50), "float32")
    _random.set_seed(1)
    for layer in [layers.GaussianNoise(0.5), layers.GaussianDropout(0.3), layers.AlphaDropout(0.2)]:
        np.testing.assert_array_equal(layer(x).numpy(), x)
        np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
        assert layer.compute_output_shape((None, 50)) == (None, 50)
        roundtrip(layer)
    g = layers.GaussianNoise(0.5)(x, training=True).numpy() - 1
    assert abs(g.mean()) < 0.02 and abs(g.std() - 0.5) < 0.02
    d = layers.GaussianDropout(0.3)(x, training=True).numpy()
    assert abs(d.mean() - 1) < 0.02 and abs(d.std() - np.sqrt(0.3 / 0.7)) < 0.02
    # AlphaDropout keeps a standard normal input's mean and variance
    z = rng().normal(size=(400, 100)).astype("float32")
    ad = layers.AlphaDropout(0.2)(z, training=True).numpy()
    assert abs(ad.mean()) < 0.03 and abs(ad.std() - 1) < 0.03
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - 0.2) * (1 + 0.2 * alpha_p ** 2)) ** -0.5
    dropped = np.isclose(ad, a * alpha_p + (-a * alpha_p * 0.2), atol=1e-5)
    assert 0.17 < dropped.mean() < 0.23
    assert layers.GaussianDropout(0.0)(x, training=True).numpy().std() == 0
    assert layers.GaussianNoise(0.1).get_config()["stddev"] == 0.1
    assert layers.AlphaDropout(0.1, seed=3).get_config()["seed"] == 3
    # inside a model: identity at inference, noise with training=True
    inp = Input((50,))
    model = Model(inp, layers.GaussianNoise(1.0)(inp))
    np.testing.assert_array_equal(model(x).numpy(), x)
    assert not np.allclose(model(x, training=True).numpy(), x)


# ---- Embedding ---------------------------------------------------------------------------------

def test_embedding_lookup_shapes_and_params():
    emb = layers.Embedding(10, 4)
    idx = np.array([[0, 3, 9], [1, 1, 2]])
    out = emb(idx)
    assert out.shape == (2, 3, 4) and out.dtype == tf.float32
    table = emb.embeddings.numpy()
    np.testing.assert_array_equal(out.numpy(), table[idx])
    assert emb.count_params() == 40 and emb.embeddings.name == "embedding/embeddings:0"
    assert np.abs(table).max() <= 0.05      # RandomUniform(-0.05, 0.05)
    np.testing.assert_array_equal(emb(idx.astype("float32")).numpy(), table[idx])
    model = Sequential([layers.Embedding(1000, 64, input_length=10)])
    assert model.output_shape == (None, 10, 64) and model.count_params() == 64000
    inp = Input((5,), dtype="int32")
    y = layers.Embedding(7, 3)(inp)
    assert y.shape == (None, 5, 3) and y.dtype == tf.float32
    flat = layers.Flatten()(layers.Embedding(7, 3, input_length=5)(Input((5,))))
    assert flat.shape == (None, 15)
    assert layers.Embedding(5, 2).compute_output_shape((None, 7)) == (None, 7, 2)
    assert layers.Embedding(5, 2, input_length=7).compute_output_shape((None, None)) == (None, 7, 2)
    with pytest.raises(ValueError, match='"input_length" is 7'):
        layers.Embedding(5, 2, input_length=7).compute_output_shape((None, 8))
    with pytest.raises(ValueError, match="should be positive"):
        layers.Embedding(0, 3)


def test_embedding_mask_config_and_gradient():
    emb = layers.Embedding(6, 2, mask_zero=True)
    idx = np.array([[0, 2, 0, 5]], "int32")
    mask = emb.compute_mask(tf.constant(idx))
    np.testing.assert_array_equal(mask.numpy(), idx != 0)
    assert layers.Embedding(3, 2).compute_mask(tf.constant(idx)) is None
    cfg = emb.get_config()
    assert cfg["input_dim"] == 6 and cfg["output_dim"] == 2 and cfg["mask_zero"] is True
    assert cfg["input_length"] is None and cfg["batch_input_shape"] == (None, None)
    assert cfg["embeddings_initializer"]["class_name"] == "RandomUniform"
    clone = layers.Embedding.from_config(cfg)
    assert clone.get_config() == cfg
    emb(idx)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(emb(idx) * tf.constant([[[1., 2.]]]))
    g = np.asarray(tape.gradient(loss, emb.embeddings))
    want = np.zeros((6, 2))
    for i in idx[0]:
        want[i] += [1, 2]
    np.testing.assert_allclose(g, want)
    reg = layers.Embedding(4, 3, embeddings_regularizer="l2")
    reg(np.array([[1]]))
    np.testing.assert_allclose(reg.losses[0].numpy(), 0.01 * (reg.embeddings.numpy() ** 2).sum(),
                               rtol=1e-5)


# ---- whole models ------------------------------------------------------------------------------

def test_models_with_new_layers_round_trip_through_config():
    a, b = Input((3,)), Input((3,))
    x = layers.Concatenate()([a, layers.Add()([a, b])])
    x = layers.BatchNormalization(gamma_regularizer="l2", beta_constraint="max_norm")(x)
    x = layers.Dot(axes=1, normalize=True)([x, layers.Dense(6)(x)])
    model = Model([a, b], x)
    clone = Model.from_config(json.loads(json.dumps(model.get_config())))
    clone.set_weights(model.get_weights())
    xa, xb = rng().normal(size=(2, 3)).astype("float32"), rng(1).normal(size=(2, 3)).astype("float32")
    np.testing.assert_allclose(clone([xa, xb]).numpy(), model([xa, xb]).numpy(), rtol=1e-5)
    assert clone.count_params() == model.count_params() == 66
    assert len(clone.losses) == 1
    seq = Sequential([layers.Embedding(10, 3, input_length=4), layers.LayerNormalization(),
                      layers.GaussianNoise(0.1), layers.LeakyReLU(), layers.AlphaDropout(0.1)])
    seq2 = Sequential.from_config(json.loads(json.dumps(seq.get_config())))
    assert seq2.count_params() == seq.count_params() == 36
    assert [type(l).__name__ for l in seq2.layers] == ["Embedding", "LayerNormalization",
                                                       "GaussianNoise", "LeakyReLU", "AlphaDropout"]
