"""Keras pooling and reshaping layers: shapes, configs (tf.keras 2.5), summaries, values,
and a small model with them that trains."""
import json

import numpy as np
import pytest

from minikeras import backend, layers, optimizers, tf
from minikeras import Input, Model, Sequential

P = layers


@pytest.fixture(autouse=True)
def _fresh_session():
    backend.clear_session()
    yield
    backend.set_image_data_format("channels_last")


def rng(seed=0):
    return np.random.default_rng(seed)


def roundtrip(layer):
    config = layer.get_config()
    clone = type(layer).from_config(json.loads(json.dumps(config)))
    assert json.dumps(clone.get_config()) == json.dumps(config)
    return clone


def test_aliases_and_names():
    assert P.MaxPool2D is P.MaxPooling2D and P.AvgPool2D is P.AveragePooling2D
    assert P.GlobalMaxPool2D is P.GlobalMaxPooling2D and P.GlobalAvgPool1D is P.GlobalAveragePooling1D
    assert P.MaxPool1D is P.MaxPooling1D and P.AvgPool1D is P.AveragePooling1D
    assert P.GlobalMaxPool1D is P.GlobalMaxPooling1D and P.GlobalAvgPool2D is P.GlobalAveragePooling2D
    names = [P.MaxPooling2D().name, P.MaxPool2D().name, P.GlobalMaxPool2D().name,
             P.AveragePooling1D().name, P.GlobalAveragePooling2D().name, P.ZeroPadding2D().name,
             P.Cropping1D().name, P.UpSampling2D().name, P.SpatialDropout2D(0.1).name]
    assert names == ["max_pooling2d", "max_pooling2d_1", "global_max_pooling2d", "average_pooling1d",
                     "global_average_pooling2d", "zero_padding2d", "cropping1d", "up_sampling2d",
                     "spatial_dropout2d"]


def test_configs():
    c = P.MaxPooling2D(name="mp").get_config()
    assert c == {"name": "mp", "trainable": True, "dtype": "float32", "pool_size": (2, 2),
                 "padding": "valid", "strides": (2, 2), "data_format": "channels_last"}
    c = P.AveragePooling2D(3, strides=1, padding="same").get_config()
    assert (c["pool_size"], c["strides"], c["padding"]) == ((3, 3), (1, 1), "same")
    c = P.MaxPooling1D(name="m1").get_config()
    assert c == {"name": "m1", "trainable": True, "dtype": "float32", "strides": (2,),
                 "pool_size": (2,), "padding": "valid", "data_format": "channels_last"}
    assert P.GlobalMaxPooling2D(name="g").get_config() == {
        "name": "g", "trainable": True, "dtype": "float32", "data_format": "channels_last"}
    assert P.ZeroPadding2D((1, 2)).get_config()["padding"] == ((1, 1), (2, 2))
    assert P.ZeroPadding2D(3).get_config()["padding"] == ((3, 3), (3, 3))
    assert P.ZeroPadding1D().get_config()["padding"] == (1, 1)
    assert P.Cropping2D(((1, 2), (3, 4))).get_config()["cropping"] == ((1, 2), (3, 4))
    assert P.Cropping1D().get_config()["cropping"] == (1, 1)
    assert P.UpSampling2D().get_config()["size"] == (2, 2)
    assert P.UpSampling2D().get_config()["interpolation"] == "nearest"
    assert P.UpSampling1D().get_config()["size"] == 2
    c = P.SpatialDropout2D(0.2, name="sd").get_config()
    assert c == {"name": "sd", "trainable": True, "dtype": "float32", "rate": 0.2,
                 "noise_shape": None, "seed": None}
    for layer in (P.MaxPooling2D((3, 2), (1, 2), "same"), P.AveragePooling1D(3), P.GlobalAveragePooling1D(),
                  P.ZeroPadding2D(((1, 0), (0, 2))), P.Cropping2D(1), P.UpSampling2D(3, interpolation="bilinear"),
                  P.SpatialDropout1D(0.5)):
        roundtrip(layer)


def test_arg_errors():
    with pytest.raises(ValueError, match="pool_size"):
        P.MaxPooling2D((2, 2, 2))
    with pytest.raises(ValueError, match="padding"):
        P.MaxPooling2D(padding="full")
    with pytest.raises(ValueError, match="data_format"):
        P.MaxPooling2D(data_format="nhwc")
    with pytest.raises(ValueError, match="interpolation"):
        P.UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match="two elements"):
        P.ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="ndim=4"):
        P.MaxPooling2D()(np.zeros((2, 4, 4), np.float32))


def _np_pool(x, k, s, mode):
    N, H, W, Ch = x.shape
    OH, OW = (H - k) // s + 1, (W - k) // s + 1
    y = np.zeros((N, OH, OW, Ch))
    for i in range(OH):
        for j in range(OW):
            win = x[:, i * s:i * s + k, j * s:j * s + k]
            y[:, i, j] = win.max((1, 2)) if mode == "max" else win.mean((1, 2))
    return y


def test_pooling_values_and_shapes():
    x = rng().normal(size=(2, 7, 9, 3)).astype(np.float32)
    y = P.MaxPooling2D()(x)
    assert tuple(y.shape) == (2, 3, 4, 3)
    np.testing.assert_allclose(np.asarray(y), _np_pool(x, 2, 2, "max"), rtol=1e-6)
    y = P.AveragePooling2D(3, 2)(x)
    np.testing.assert_allclose(np.asarray(y), _np_pool(x, 3, 2, "avg"), rtol=1e-5, atol=1e-6)
    assert tuple(P.MaxPooling2D(padding="same")(x).shape) == (2, 4, 5, 3)
    xc = np.transpose(x, (0, 3, 1, 2))
    y = P.MaxPooling2D(data_format="channels_first")(xc)
    np.testing.assert_allclose(np.transpose(np.asarray(y), (0, 2, 3, 1)), _np_pool(x, 2, 2, "max"), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(P.GlobalMaxPool2D()(x)), x.max((1, 2)), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(P.GlobalAveragePooling2D()(x)), x.mean((1, 2)), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(P.GlobalAveragePooling2D(data_format="channels_first")(xc)),
                               x.mean((1, 2)), rtol=1e-5)
    assert tuple(P.GlobalMaxPooling2D(keepdims=True)(x).shape) == (2, 1, 1, 3)
    s = rng(1).normal(size=(2, 10, 4)).astype(np.float32)
    y = P.MaxPooling1D(3, 2)(s)
    ref = np.stack([s[:, i * 2:i * 2 + 3].max(1) for i in range(4)], 1)
    np.testing.assert_allclose(np.asarray(y), ref, rtol=1e-6)
    y = P.AveragePooling1D(data_format="channels_first")(np.transpose(s, (0, 2, 1)))
    ref = np.stack([s[:, i * 2:i * 2 + 2].mean(1) for i in range(5)], 1)
    np.testing.assert_allclose(np.transpose(np.asarray(y), (0, 2, 1)), ref, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(P.GlobalMaxPooling1D()(s)), s.max(1), rtol=1e-6)
    np.testing.assert_allclose(np.asarray(P.GlobalAveragePooling1D()(s)), s.mean(1), rtol=1e-5)
    mask = np.array([[1] * 6 + [0] * 4, [1] * 10], bool)
    y = P.GlobalAveragePooling1D()(s, mask=tf.constant(mask))
    np.testing.assert_allclose(np.asarray(y)[0], s[0, :6].mean(0), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(y)[1], s[1].mean(0), rtol=1e-5)


def test_compute_output_shape_matches_call():
    cases = [(P.MaxPooling2D(), (None, 7, 9, 3)), (P.AveragePooling2D(3, 2, "same"), (None, 7, 9, 3)),
             (P.MaxPooling2D(data_format="channels_first"), (None, 3, 7, 9)), (P.MaxPooling1D(3), (None, 10, 4)),
             (P.GlobalAveragePooling2D(), (None, 5, 5, 2)), (P.GlobalMaxPooling1D(), (None, 6, 2)),
             (P.ZeroPadding2D(((1, 2), (0, 3))), (None, 5, 5, 2)), (P.ZeroPadding1D(2), (None, 5, 2)),
             (P.Cropping2D(((1, 0), (2, 1))), (None, 6, 7, 2)), (P.Cropping1D((2, 1)), (None, 6, 2)),
             (P.UpSampling2D((2, 3)), (None, 3, 4, 2)), (P.UpSampling1D(3), (None, 3, 2)),
             (P.ZeroPadding2D(1, data_format="channels_first"), (None, 2, 4, 4)),
             (P.Cropping2D(1, data_format="channels_first"), (None, 2, 4, 4)),
             (P.UpSampling2D(data_format="channels_first"), (None, 2, 4, 4))]
    for layer, shape in cases:
        out = tuple(layer.compute_output_shape(shape).as_list())
        y = layer(np.zeros((2,) + shape[1:], np.float32))
        assert (2,) + out[1:] == tuple(y.shape), (layer.name, out, y.shape)
        kt = Input(shape[1:])
        assert tuple(layer(kt).shape) == out


def test_reshaping_values():
    x = rng().normal(size=(2, 3, 4, 2)).astype(np.float32)
    y = P.ZeroPadding2D(((1, 2), (0, 1)))(x)
    np.testing.assert_array_equal(np.asarray(y), np.pad(x, [(0, 0), (1, 2), (0, 1), (0, 0)]))
    y = P.Cropping2D(((1, 0), (1, 2)))(x)
    np.testing.assert_array_equal(np.asarray(y), x[:, 1:, 1:2])
    y = P.UpSampling2D((2, 3))(x)
    np.testing.assert_array_equal(np.asarray(y), x.repeat(2, 1).repeat(3, 2))
    xc = np.transpose(x, (0, 3, 1, 2))
    y = P.UpSampling2D(data_format="channels_first")(xc)
    np.testing.assert_array_equal(np.asarray(y), xc.repeat(2, 2).repeat(2, 3))
    s = rng().normal(size=(2, 5, 3)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(P.ZeroPadding1D((2, 1))(s)), np.pad(s, [(0, 0), (2, 1), (0, 0)]))
    np.testing.assert_array_equal(np.asarray(P.Cropping1D((1, 2))(s)), s[:, 1:3])
    np.testing.assert_array_equal(np.asarray(P.Cropping1D((1, 0))(s)), s[:, 1:])
    np.testing.assert_array_equal(np.asarray(P.UpSampling1D(2)(s)), s.repeat(2, 1))
    # gradients flow through
    xt = tf.constant(x)
    with tf.GradientTape() as t:
        t.watch(xt)
        y = tf.reduce_sum(P.UpSampling2D((2, 3))(xt) * 2.0)
    np.testing.assert_allclose(np.asarray(t.gradient(y, xt)), np.full(x.shape, 12.0))


def test_upsampling_bilinear():
    x = rng().normal(size=(1, 3, 4, 2)).astype(np.float32)
    try:
        from minikeras.engine.api import image  # noqa: F401
    except ImportError:
        pytest.skip("tf.image.resize not in this build")
    y = np.asarray(P.UpSampling2D(2, interpolation="bilinear")(x))
    assert y.shape == (1, 6, 8, 2)
    # half-pixel centres: output (0,0) = input (0,0) (clamped); output (1,1) mixes 0.75/0.25
    np.testing.assert_allclose(y[0, 0, 0], x[0, 0, 0], rtol=1e-5)
    ref = 0.75 * 0.75 * x[0, 0, 0] + 0.75 * 0.25 * (x[0, 1, 0] + x[0, 0, 1]) + 0.0625 * x[0, 1, 1]
    np.testing.assert_allclose(y[0, 1, 1], ref, rtol=1e-5, atol=1e-6)


def test_spatial_dropout():
    x = np.ones((4, 5, 6, 8), np.float32)
    layer = P.SpatialDropout2D(0.5)
    np.testing.assert_array_equal(np.asarray(layer(x)), x)          # inference: identity
    np.testing.assert_array_equal(np.asarray(layer(x, training=False)), x)
    tf.random.set_seed(1)
    y = np.asarray(layer(x, training=True))
    vals = set(np.unique(y).tolist())
    assert vals <= {0.0, 2.0} and vals == {0.0, 2.0}
    # whole channels: constant over rows and cols for each (sample, channel)
    assert np.all(y == y[:, :1, :1, :])
    yc = np.asarray(P.SpatialDropout2D(0.5, data_format="channels_first")(x, training=True))
    assert np.all(yc == yc[:, :, :1, :1])
    s = np.ones((3, 7, 5), np.float32)
    y1 = np.asarray(P.SpatialDropout1D(0.5)(s, training=True))
    assert np.all(y1 == y1[:, :1, :])


def test_summary_and_small_model_fits():
    tf.random.set_seed(0)
    model = Sequential([
        Input((8, 8, 2)),
        P.ZeroPadding2D(1),
        P.Dense(6, activation="relu"),
        P.MaxPooling2D(),
        P.BatchNormalization(momentum=0.5),
        P.SpatialDropout2D(0.1),
        P.UpSampling2D(),
        P.Cropping2D(1),
        P.AveragePooling2D(),
        P.GlobalMaxPool2D(),
        P.Dense(2, activation="softmax"),
    ])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    for row in ["zero_padding2d (ZeroPadding2 (None, 10, 10, 2)         0",
                "max_pooling2d (MaxPooling2D) (None, 5, 5, 6)           0",
                "batch_normalization (BatchNo (None, 5, 5, 6)           24",
                "up_sampling2d (UpSampling2D) (None, 10, 10, 6)         0",
                "cropping2d (Cropping2D)      (None, 8, 8, 6)           0",
                "average_pooling2d (AveragePo (None, 4, 4, 6)           0",
                "global_max_pooling2d (Global (None, 6)                 0",
                "Total params: 56", "Non-trainable params: 12"]:
        assert row in text, text
    r = rng(3)
    x = r.normal(size=(64, 8, 8, 2)).astype(np.float32)
    yl = (x[:, :4].mean((1, 2, 3)) > x[:, 4:].mean((1, 2, 3))).astype(np.int32)
    x[:, :4] += yl[:, None, None, None] * 0.5
    model.compile(optimizer=optimizers.Adam(0.02),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(x, yl, batch_size=16, epochs=15, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    acc = model.evaluate(x, yl, verbose=0)[1]
    assert acc > 0.7


def test_functional_1d_model():
    inp = Input((12, 3))
    h = P.ZeroPadding1D(1)(inp)
    h = P.MaxPooling1D(2)(h)
    h = P.UpSampling1D(2)(h)
    h = P.Cropping1D((1, 1))(h)
    h = P.AveragePooling1D(3, 1, padding="same")(h)
    a = P.GlobalAveragePooling1D()(h)
    b = P.GlobalMaxPooling1D()(h)
    model = Model(inp, [a, b])
    assert [tuple(o.shape) for o in model.outputs] == [(None, 3), (None, 3)]
    outs = model.predict(rng().normal(size=(4, 12, 3)).astype(np.float32), verbose=0)
    assert [o.shape for o in outs] == [(4, 3), (4, 3)]
