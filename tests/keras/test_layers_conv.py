"""Convolution layers (layers/convolutional.py): shapes, parameter counts, weight names,
numbers against numpy, get_config round trips, .h5 saving, and a small convnet that learns."""
import json

import numpy as np
import pytest

import minikeras as keras
from minikeras import Sequential, backend, layers, tf
from tests.test_conv import ref_conv2d, ref_conv2d_bin, ref_depthwise


@pytest.fixture(autouse=True)
def _fresh_session():
    backend.clear_session()
    yield


def _rand(*shape, seed=0):
    return np.random.RandomState(seed).standard_normal(shape).astype("float32")


def test_conv2d_names_shapes_params_and_numbers():
    layer = layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")
    x = _rand(2, 9, 8, 3)
    y = layer(x).numpy()
    assert layer.name == "conv2d"
    assert [w.name for w in layer.weights] == ["conv2d/kernel:0", "conv2d/bias:0"]
    assert layer.kernel.shape == (3, 3, 3, 4)
    assert layer.count_params() == 3 * 3 * 3 * 4 + 4
    k, b = layer.kernel.numpy(), np.random.RandomState(1).rand(4).astype("float32")
    layer.bias.assign(b)
    y = layer(x).numpy()
    ref = np.maximum(ref_conv2d(x, k, (2, 2), (1, 1), "SAME") + b, 0)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    assert y.shape == tuple(layer.compute_output_shape((2, 9, 8, 3)))
    assert layers.Conv2D(2, 1).name == "conv2d_1"


def test_conv2d_channels_first_dilation_groups():
    x = _rand(2, 4, 9, 9)
    layer = layers.Conv2D(6, (3, 2), dilation_rate=2, groups=2, data_format="channels_first",
                          bias_initializer="ones")
    y = layer(x).numpy()
    assert layer.kernel.shape == (3, 2, 2, 6)
    ref = ref_conv2d(x.transpose(0, 2, 3, 1), layer.kernel.numpy(), (1, 1), (2, 2), "VALID") + 1
    np.testing.assert_allclose(y, ref.transpose(0, 3, 1, 2), rtol=1e-5, atol=1e-5)
    assert tuple(layer.compute_output_shape((None, 4, 9, 9))) == (None, 6, 5, 7)
    with pytest.raises(ValueError, match="divisible"):
        layers.Conv2D(5, 3, groups=2)


def test_conv1d_padding_modes():
    x = _rand(2, 10, 3)
    for padding in ("valid", "same", "causal"):
        layer = layers.Conv1D(4, 3, padding=padding, dilation_rate=2 if padding == "causal" else 1)
        y = layer(x).numpy()
        k = layer.kernel.numpy()
        if padding == "causal":
            xp = np.pad(x, ((0, 0), (4, 0), (0, 0)))
            ref = ref_conv2d(xp[:, None], k[None], (1, 1), (1, 2), "VALID")[:, 0]
        else:
            ref = ref_conv2d(x[:, None], k[None], padding=padding.upper())[:, 0]
        np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
        assert y.shape == tuple(layer.compute_output_shape(x.shape))
    assert layer.name == "conv1d_2"
    with pytest.raises(ValueError, match="Causal"):
        layers.Conv2D(2, 3, padding="causal")


def test_conv2d_transpose():
    x = _rand(2, 4, 5, 3)
    for padding, op, expect in [("same", None, (2, 8, 10, 6)), ("valid", None, (2, 9, 11, 6)),
                                ("same", (1, 1), (2, 8, 10, 6)), ("valid", (1, 0), (2, 10, 11, 6))]:
        layer = layers.Conv2DTranspose(6, 3, strides=2, padding=padding, output_padding=op)
        y = layer(x).numpy()
        assert y.shape == expect == tuple(layer.compute_output_shape(x.shape))
        assert layer.kernel.shape == (3, 3, 6, 3)
    k = layer.kernel.numpy()
    ref = ref_conv2d_bin(x, k, (2, 10, 11, 6), (2, 2), (1, 1), "VALID")
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    assert [w.name for w in layer.weights][0].startswith("conv2d_transpose")
    with pytest.raises(ValueError, match="output padding"):
        layers.Conv2DTranspose(2, 3, strides=2, output_padding=2)


def test_depthwise_and_separable():
    x = _rand(2, 7, 7, 3)
    dw = layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same")
    y = dw(x).numpy()
    assert [w.name for w in dw.weights] == ["depthwise_conv2d/depthwise_kernel:0", "depthwise_conv2d/bias:0"]
    assert dw.depthwise_kernel.shape == (3, 3, 3, 2) and dw.bias.shape == (6,)
    np.testing.assert_allclose(y, ref_depthwise(x, dw.depthwise_kernel.numpy(), padding="SAME"),
                               rtol=1e-5, atol=1e-5)
    sep = layers.SeparableConv2D(5, 3, depth_multiplier=2, strides=2)
    y = sep(x).numpy()
    assert [w.name for w in sep.weights] == ["separable_conv2d/depthwise_kernel:0",
                                             "separable_conv2d/pointwise_kernel:0",
                                             "separable_conv2d/bias:0"]
    assert sep.count_params() == 3 * 3 * 3 * 2 + 6 * 5 + 5
    ref = ref_depthwise(x, sep.depthwise_kernel.numpy(), (2, 2)) @ sep.pointwise_kernel.numpy()[0, 0]
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    assert y.shape == tuple(sep.compute_output_shape(x.shape)) == (2, 3, 3, 5)
    s1 = layers.SeparableConv1D(4, 3, padding="same")
    assert s1(_rand(2, 6, 3)).shape == (2, 6, 4)
    assert s1.pointwise_kernel.shape == (1, 6 // 2, 4)


CONFIG_KEYS = {
    "Conv2D": ["name", "trainable", "dtype", "filters", "kernel_size", "strides", "padding", "data_format",
               "dilation_rate", "groups", "activation", "use_bias", "kernel_initializer", "bias_initializer",
               "kernel_regularizer", "bias_regularizer", "activity_regularizer", "kernel_constraint",
               "bias_constraint"],
}


@pytest.mark.parametrize("make", [
    lambda: layers.Conv2D(8, 3, strides=(2, 1), padding="same", activation="relu",
                          kernel_regularizer="l2", name="c"),
    lambda: layers.Conv1D(4, 5, padding="causal", dilation_rate=2),
    lambda: layers.Conv2DTranspose(3, 2, strides=2, output_padding=1),
    lambda: layers.DepthwiseConv2D(3, depth_multiplier=3, use_bias=False),
    lambda: layers.SeparableConv2D(6, (3, 3), padding="same"),
])
def test_config_round_trip(make):
    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config(json.loads(json.dumps(config)))
    assert json.dumps(clone.get_config(), sort_keys=True) == json.dumps(config, sort_keys=True)
    if isinstance(layer, layers.Conv2D) and type(layer) is layers.Conv2D:
        assert list(config) == CONFIG_KEYS["Conv2D"]
        assert config["kernel_size"] == (3, 3) and config["strides"] == (2, 1)
    if type(layer) is layers.DepthwiseConv2D:
        assert "filters" not in config and config["depth_multiplier"] == 3
        assert config["depthwise_initializer"]["class_name"] == "GlorotUniform"
    if type(layer) is layers.SeparableConv2D:
        assert list(config)[-7:] == ["depth_multiplier", "depthwise_initializer", "pointwise_initializer",
                                     "depthwise_regularizer", "pointwise_regularizer", "depthwise_constraint",
                                     "pointwise_constraint"]
        assert "kernel_initializer" in config and config["groups"] == 1      # as tf.keras 2.5
    if type(layer) is layers.Conv2DTranspose:
        assert config["output_padding"] == (1, 1)


def _mnist_convnet():
    """keras-io's MNIST convnet, with MaxPooling2D when that layer exists on this branch."""
    pool = getattr(layers, "MaxPooling2D", None)
    seq = [keras.Input(shape=(28, 28, 1)), layers.Conv2D(32, kernel_size=(3, 3), activation="relu")]
    if pool:
        seq.append(pool(pool_size=(2, 2)))
    seq.append(layers.Conv2D(64, kernel_size=(3, 3), activation="relu"))
    if pool:
        seq.append(pool(pool_size=(2, 2)))
    seq += [layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax")]
    return Sequential(seq), pool is not None


def test_mnist_convnet_param_count(capsys):
    model, pooled = _mnist_convnet()
    conv1 = 3 * 3 * 1 * 32 + 32
    conv2 = 3 * 3 * 32 * 64 + 64
    flat = (5 * 5 if pooled else 24 * 24) * 64
    total = conv1 + conv2 + flat * 10 + 10
    if pooled:
        assert total == 34826
    assert model.count_params() == total
    model.summary()
    out = capsys.readouterr().out
    assert f"Total params: {total:,}" in out
    assert "conv2d (Conv2D)" in out and "conv2d_1 (Conv2D)" in out


def test_h5_round_trip(tmp_path):
    model = Sequential([keras.Input(shape=(8, 8, 2)), layers.Conv2D(4, 3, activation="relu"),
                        layers.DepthwiseConv2D(3, padding="same"), layers.SeparableConv2D(3, 2),
                        layers.Conv2DTranspose(2, 2, strides=2), layers.Flatten(), layers.Dense(2)])
    x = _rand(3, 8, 8, 2)
    expected = model(x).numpy()
    path = tmp_path / "conv.h5"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        "Conv2D", "DepthwiseConv2D", "SeparableConv2D", "Conv2DTranspose", "Flatten", "Dense"]
    np.testing.assert_allclose(loaded(x).numpy(), expected, rtol=1e-6, atol=1e-6)
    for w, v in zip(model.weights, loaded.weights):
        assert w.name == v.name


def test_tiny_convnet_fit_reduces_loss():
    rng = np.random.RandomState(0)
    x = rng.rand(128, 8, 8, 1).astype("float32")
    y = (x[:, :4].mean(axis=(1, 2, 3)) > x[:, 4:].mean(axis=(1, 2, 3))).astype("int32")
    tf.random.set_seed(0)
    model = Sequential([keras.Input(shape=(8, 8, 1)), layers.Conv2D(8, 3, activation="relu", padding="same"),
                        layers.Conv2D(8, 3, strides=2, activation="relu"), layers.Flatten(),
                        layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, y, batch_size=32, epochs=15, verbose=0)
    losses = hist.history["loss"]
    assert losses[-1] < losses[0] * 0.6, losses


@pytest.mark.parametrize("activation", ["relu", "tanh", None])
def test_fused_bias_activation_matches_composition(activation):
    x = tf.constant(_rand(2, 6, 6, 3, seed=3).astype("float64"))
    layer = layers.Conv2D(4, 3, padding="same", activation=activation, bias_initializer="ones",
                          dtype="float64")
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(x)
        y = layer(x)
        k, b = layer.kernel, layer.bias
        ref = tf.nn.conv2d(x, k, 1, "SAME") + b
        if activation:
            ref = getattr(tf.nn, activation)(ref) if activation == "relu" else tf.math.tanh(ref)
        w = tf.constant(np.random.RandomState(0).rand(2, 6, 6, 4))
        loss, rloss = tf.reduce_sum(y * w), tf.reduce_sum(ref * w)
    np.testing.assert_allclose(y.numpy(), ref.numpy(), rtol=1e-12, atol=1e-12)
    for a, b_ in zip(tape.gradient(loss, [x, k, b]), tape.gradient(rloss, [x, k, b])):
        np.testing.assert_allclose(a.numpy(), b_.numpy(), rtol=1e-10, atol=1e-12)
