"""tf.keras 2.5 preprocessing layers (layers.experimental.preprocessing.X and layers.X):
Resizing, CenterCrop, Normalization (adapt), RandomCrop, RandomFlip, RandomRotation,
RandomZoom, RandomTranslation, RandomContrast, RandomBrightness, RandomHeight, RandomWidth."""
import numpy as np
import pytest

import minikeras as keras
from minikeras import Sequential, layers, tf
from minikeras.engine.api import random as _rnd

P = layers.experimental.preprocessing
NAMES = ["Rescaling", "Resizing", "CenterCrop", "Normalization", "RandomCrop", "RandomFlip",
         "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast",
         "RandomBrightness", "RandomHeight", "RandomWidth"]


def _has_image_ops():
    try:
        from minikeras.engine.api import image  # noqa: F401
        return hasattr(image, "transform") and hasattr(image, "resize")
    except ImportError:
        return False


needs_image = pytest.mark.skipif(not _has_image_ops(), reason="engine.api.image not merged yet")


def _images(n=4, h=6, w=8, c=3, seed=0):
    return np.random.RandomState(seed).rand(n, h, w, c).astype(np.float32)


def test_exports_both_ways():
    from minikeras.layers.experimental import preprocessing as prep  # noqa: F401
    for name in NAMES:
        assert getattr(P, name) is getattr(layers, name), name


# ---- CenterCrop ----------------------------------------------------------------------------

def test_center_crop_numbers_and_shapes():
    x = _images(2, 7, 8)
    y = P.CenterCrop(4, 5)(x)
    assert y.shape == (2, 4, 5, 3) and y.dtype == tf.float32
    np.testing.assert_array_equal(y.numpy(), x[:, 1:5, 1:6])      # (7-4)//2=1, (8-5)//2=1
    np.testing.assert_array_equal(layers.CenterCrop(2, 2)(x[0]).numpy(), x[0, 2:4, 3:5])
    u8 = (x * 255).astype(np.uint8)
    assert layers.CenterCrop(3, 3)(u8).dtype == tf.uint8
    with pytest.raises(ValueError, match="crop height 9"):
        layers.CenterCrop(9, 2)(x)
    assert layers.CenterCrop(3, 4).compute_output_shape((None, 10, 10, 3)) == (None, 3, 4, 3)


# ---- Normalization -----------------------------------------------------------------------

def test_normalization_adapt_numbers_weights():
    x = _images(10, 4, 5, 3) * 7 + 2
    n = P.Normalization()
    assert isinstance(n, P.PreprocessingLayer) and not n.is_adapted
    n.adapt(x)
    assert n.is_adapted
    assert [w.name for w in n.weights] == ["normalization/mean:0", "normalization/variance:0",
                                           "normalization/count:0"]
    assert n.count_params() == 7 and not n.trainable_weights
    assert n.count.dtype == tf.int64 and int(n.count.numpy()) == 200
    flat = x.reshape(-1, 3).astype(np.float64)
    np.testing.assert_allclose(n.mean.numpy().reshape(-1), flat.mean(0), rtol=1e-6)
    np.testing.assert_allclose(n.variance.numpy().reshape(-1), flat.var(0), rtol=1e-5)
    y = n(x).numpy()
    ref = (x - flat.mean(0)) / np.sqrt(flat.var(0))
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    # adapt again resets; batch_size/steps limit the data
    n.adapt(x, batch_size=3, steps=2)
    assert int(n.count.numpy()) == 6 * 20
    np.testing.assert_allclose(n.adapt_mean.numpy(), x[:6].reshape(-1, 3).mean(0), rtol=1e-5)


def test_normalization_axes_datasets_and_static_stats():
    x = _images(6, 4, 5, 2)
    n = layers.Normalization(axis=(1, 2))
    n.adapt(iter([x[:2], x[2:5], x[5:]]))           # any iterable of batches
    assert n.adapt_mean.shape == (4, 5)
    np.testing.assert_allclose(n.adapt_mean.numpy(), x.mean(axis=(0, 3)), rtol=1e-5)
    np.testing.assert_allclose(n.adapt_variance.numpy(), x.var(axis=(0, 3)), rtol=1e-4)
    if hasattr(tf, "data") and hasattr(tf.data, "Dataset"):
        nd = layers.Normalization(axis=(1, 2))
        nd.adapt(tf.data.Dataset.from_tensor_slices(x).batch(4))
        np.testing.assert_allclose(nd.adapt_mean.numpy(), n.adapt_mean.numpy(), rtol=1e-5)
    n2 = layers.Normalization(axis=None)
    n2.adapt(tf.constant(x))
    assert n2.adapt_mean.shape == () and n2.count_params() == 3
    np.testing.assert_allclose(n2(x).numpy(), (x - x.mean()) / x.std(), rtol=1e-4, atol=1e-5)
    # 1-D features become (batch, 1)
    n3 = layers.Normalization()
    n3.adapt(np.array([1., 2., 3., 4.]))
    np.testing.assert_allclose(n3(np.array([2.5, 4.])).numpy(),
                               [[0.], [1.5 / np.sqrt(1.25)]], rtol=1e-6)
    s = layers.Normalization(mean=[1., 2.], variance=[4., 9.])
    np.testing.assert_allclose(s(np.array([[3., 5.]])).numpy(), [[1., 1.]], rtol=1e-6)
    assert s.count_params() == 0
    with pytest.raises(ValueError, match="static `mean` and `variance`"):
        s.adapt(np.ones((2, 2)))
    with pytest.raises(ValueError, match="both `mean` and `variance`"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="may not be 0"):
        layers.Normalization(axis=0)
    cfg = s.get_config()
    assert cfg["axis"] == (-1,) and cfg["mean"] == [1., 2.] and cfg["variance"] == [4., 9.]
    s2 = layers.Normalization.from_config(cfg)
    np.testing.assert_allclose(s2(np.array([[3., 5.]])).numpy(), [[1., 1.]], rtol=1e-6)


def test_normalization_in_model_fit_and_save(tmp_path):
    x = _images(16, 2, 2, 3).reshape(16, 12) * 5 + 3
    y = x.sum(1, keepdims=True)
    norm = layers.Normalization()
    norm.adapt(x)
    m = Sequential([layers.Input((12,)), norm, layers.Dense(1)])
    m.compile("sgd", "mse")
    m.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert m.count_params() == 12 + 12 + 1 + 13
    np.testing.assert_allclose(norm.adapt_mean.numpy(), x.mean(0), rtol=1e-5)  # not trained
    before = m.predict(x)
    norm.adapt(x * 3 - 1)                      # the traced predict reads the new statistics
    after = m.predict(x)
    assert not np.allclose(before, after)
    np.testing.assert_allclose(norm(x).numpy(), (x - (x * 3 - 1).mean(0)) / (x * 3 - 1).std(0),
                               rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="does not match"):
        norm.adapt(np.ones((4, 5)))
    with pytest.raises(ValueError, match="does not match"):
        norm.adapt(np.ones((4, 12, 1)))
    norm.adapt(x)
    path = str(tmp_path / "n.h5")
    m.save(path)
    m2 = keras.models.load_model(path)
    np.testing.assert_allclose(m2.predict(x), m.predict(x), rtol=1e-5)


# ---- RandomFlip ----------------------------------------------------------------------------

def _draws(shape):
    """The next uniform draw of the global stream, without consuming it."""
    state = _rnd._get_state()
    u = _rnd.uniform(shape).numpy()
    _rnd._set_state(state)
    return u


def test_random_flip_identity_at_inference_and_fixed_draw():
    x = _images(8)
    f = P.RandomFlip(mode="horizontal")
    np.testing.assert_array_equal(f(x, training=False).numpy(), x)
    m = Sequential([layers.Input((6, 8, 3)), f])
    np.testing.assert_array_equal(m.predict(x), x)                 # predict: inference
    u = _draws([8])
    y = f(x).numpy()                   # a bare call augments (call's training=True default)
    for i in range(8):
        np.testing.assert_array_equal(y[i], x[i, :, ::-1] if u[i] > 0.5 else x[i])
    u = _draws([8])
    y = f(x, training=True).numpy()
    for i in range(8):
        np.testing.assert_array_equal(y[i], x[i, :, ::-1] if u[i] > 0.5 else x[i])
    v = P.RandomFlip(mode="vertical")
    u = _draws([8])
    y = v(x, training=True).numpy()
    for i in range(8):
        np.testing.assert_array_equal(y[i], x[i, ::-1] if u[i] > 0.5 else x[i])
    # a single image (3-D): flipped when its draw is below 0.5
    u = _draws([])
    y = layers.RandomFlip("horizontal")(x[0], training=True).numpy()
    np.testing.assert_array_equal(y, x[0, :, ::-1] if u < 0.5 else x[0])
    # both: every image is one of its four flips; uint8 stays uint8
    u8 = (x * 255).astype(np.uint8)
    y = P.RandomFlip()(u8, training=True)
    assert y.dtype == tf.uint8
    for i in range(8):
        assert any(np.array_equal(y.numpy()[i], c) for c in
                   (u8[i], u8[i, ::-1], u8[i, :, ::-1], u8[i, ::-1, ::-1]))
    with pytest.raises(ValueError, match="unknown mode"):
        P.RandomFlip(mode="diagonal")


# ---- RandomContrast / RandomBrightness ---------------------------------------------------

def test_random_contrast_numbers():
    x = _images(3) * 255
    c = P.RandomContrast((0.3, 0.6))
    np.testing.assert_array_equal(c(x, training=False).numpy(), x)
    f = 0.7 + _draws([]) * (1.6 - 0.7)
    y = c(x, training=True).numpy()
    mean = x.mean(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) * f + mean, rtol=1e-4, atol=1e-3)
    assert c(x[0], training=True).shape == (6, 8, 3)
    if hasattr(tf, "image") and hasattr(tf.image, "adjust_contrast"):
        u8 = x.astype(np.uint8)
        f = 0.7 + _draws([]) * (1.6 - 0.7)
        y = c(u8, training=True)
        assert y.dtype == tf.uint8
        np.testing.assert_array_equal(y.numpy(), tf.image.adjust_contrast(u8, f).numpy())
    with pytest.raises(ValueError):
        P.RandomContrast(-0.1)
    with pytest.raises(ValueError):
        P.RandomContrast(1.5)


def test_random_brightness_2_9_api():
    x = _images(5) * 255
    b = layers.RandomBrightness(0.2, seed=None)
    u = _draws([5, 1, 1, 1])
    y = b(x).numpy()                         # training defaults to True (tf.keras 2.9)
    delta = (-0.2 + u * 0.4) * 255
    np.testing.assert_allclose(y, np.clip(x + delta, 0, 255), rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(b(x, training=False).numpy(), x)
    b2 = P.RandomBrightness((-0.5, 0.5), value_range=(0, 1))
    y = b2(x / 255).numpy()
    assert y.min() >= 0 and y.max() <= 1 and y.dtype == np.float32
    assert b2.get_config()["factor"] == [-0.5, 0.5] and b2.get_config()["value_range"] == [0, 1]
    u8 = (x[0]).astype(np.uint8)
    assert b(u8).dtype == tf.float32 and b(u8).shape == (6, 8, 3)
    with pytest.raises(ValueError, match=r"range \[-1.0, 1.0\]"):
        layers.RandomBrightness(1.5)
    with pytest.raises(ValueError, match="value_range"):
        layers.RandomBrightness(0.1, value_range=(0, 1, 2))


# ---- RandomCrop ----------------------------------------------------------------------------

def test_random_crop_training_window():
    x = _images(4, 9, 10)
    rc = P.RandomCrop(5, 6)
    for _ in range(3):
        y = rc(x, training=True).numpy()
        assert y.shape == (4, 5, 6, 3)
        # one window for the whole batch (tf.keras 2.5)
        hits = [(t, l) for t in range(5) for l in range(5)
                if np.array_equal(y, x[:, t:t + 5, l:l + 6])]
        assert len(hits) == 1
    y3 = rc(x[0], training=True).numpy()
    assert y3.shape == (5, 6, 3)
    np.testing.assert_array_equal(P.RandomCrop(9, 10)(x, training=True).numpy(), x)
    with pytest.raises(ValueError, match="crop height 12"):
        P.RandomCrop(12, 2)(x, training=True)


@needs_image
def test_random_crop_inference_resize_then_center_crop():
    x = _images(2, 12, 8)
    # h/w > 1: resize to (6, 4), crop rows 1:5
    y = P.RandomCrop(4, 4)(x, training=False).numpy()
    ref = tf.image.resize(x, [6, 4]).numpy()[:, 1:5]
    np.testing.assert_allclose(y, ref, rtol=1e-6)
    # 6x8: resize to (3, 4), crop cols 0:3
    y = P.RandomCrop(3, 3)(x[:, :6, :], training=False).numpy()
    ref = tf.image.resize(x[:, :6], [3, 4]).numpy()[:, :, 0:3]
    np.testing.assert_allclose(y, ref, rtol=1e-6)
    # non-square target: 10x10 -> 4x8 resizes to 8x8 (h/w 1 > 4/8), rows 2:6
    x10 = _images(1, 10, 10)
    y = P.RandomCrop(4, 8)(x10, training=False).numpy()
    np.testing.assert_allclose(y, tf.image.resize(x10, [8, 8]).numpy()[:, 2:6], rtol=1e-6)


# ---- Resizing ------------------------------------------------------------------------------

@needs_image
def test_resizing_vs_tf_image_resize():
    x = _images(2, 6, 8)
    for method in ("bilinear", "nearest", "bicubic", "area"):
        y = P.Resizing(4, 12, interpolation=method)(x)
        assert y.shape == (2, 4, 12, 3)
        np.testing.assert_allclose(y.numpy(), tf.image.resize(x, [4, 12], method=method).numpy(),
                                   rtol=1e-6)
    y = layers.Resizing(3, 3)(x[0])
    assert y.shape == (3, 3, 3)
    # crop_to_aspect_ratio: the centred 6x6 box, then resize
    y = layers.Resizing(3, 3, crop_to_aspect_ratio=True)(x).numpy()
    np.testing.assert_allclose(y, tf.image.resize(x[:, :, 1:7], [3, 3]).numpy(), rtol=1e-6)
    assert layers.Resizing(3, 3)(x.astype(np.uint8)).dtype == tf.float32


# ---- affine random layers ----------------------------------------------------------------

@needs_image
def test_rotation_by_known_angle():
    img = np.arange(25, dtype=np.float32).reshape(1, 5, 5, 1)
    rot = P.RandomRotation((0.25, 0.25), interpolation="nearest")
    np.testing.assert_array_equal(rot(img, training=False).numpy(), img)   # inference
    y = rot(img, training=True).numpy()
    np.testing.assert_allclose(y[0, :, :, 0], np.rot90(img[0, :, :, 0]), atol=1e-4)  # CCW
    y = P.RandomRotation((-0.25, -0.25), interpolation="nearest")(img[0], training=True).numpy()
    np.testing.assert_allclose(y[:, :, 0], np.rot90(img[0, :, :, 0], -1), atol=1e-4)
    # a 45-degree bilinear rotation with constant fill vs a hand-written sampler:
    # output (x, y) reads input (cos x - sin y + x_off, sin x + cos y + y_off); bilinear over
    # the 4 neighbours, each out-of-image neighbour reading fill_value (ImageProjectiveTransformV3)
    a = np.float32(np.pi / 4)
    y = P.RandomRotation((0.125, 0.125), fill_mode="constant", fill_value=-1.0)(
        img, training=True).numpy()[0, :, :, 0]
    c, s = np.cos(a), np.sin(a)
    x_off = (4 - (c * 4 - s * 4)) / 2
    y_off = (4 - (s * 4 + c * 4)) / 2
    im = img[0, :, :, 0]

    def read(r, q):
        return im[r, q] if 0 <= r < 5 and 0 <= q < 5 else -1.0

    ref = np.empty((5, 5))
    for r in range(5):
        for q in range(5):
            xi, yi = c * q - s * r + x_off, s * q + c * r + y_off
            x0, y0 = int(np.floor(xi)), int(np.floor(yi))
            fx, fy = xi - x0, yi - y0
            ref[r, q] = ((1 - fy) * ((1 - fx) * read(y0, x0) + fx * read(y0, x0 + 1))
                         + fy * ((1 - fx) * read(y0 + 1, x0) + fx * read(y0 + 1, x0 + 1)))
    assert abs(y[2, 2] - 12.0) < 1e-4
    np.testing.assert_allclose(y, ref, atol=1e-4)


@needs_image
def test_translation_and_zoom_known_values():
    img = np.arange(64, dtype=np.float32).reshape(1, 8, 8, 1)
    t = P.RandomTranslation((0.25, 0.25), (0., 0.), fill_mode="constant",
                            interpolation="nearest")
    y = t(img, training=True).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(y[2:], img[0, :6, :, 0])       # shifted down 2 rows
    np.testing.assert_array_equal(y[:2], 0)
    t = P.RandomTranslation(0., (-0.5, -0.5), fill_mode="wrap", interpolation="nearest")
    y = t(img, training=True).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(y, np.roll(img[0, :, :, 0], -4, axis=1))
    z = P.RandomZoom((-0.5, -0.5), interpolation="nearest")    # zoom 0.5: centre x2
    y = z(img, training=True).numpy()[0, :, :, 0]
    # output (x, y) <- input (0.5 x + 1.75, 0.5 y + 1.75), nearest (round half up in TF)
    ref = np.empty((8, 8), np.float32)
    for r in range(8):
        for c in range(8):
            ref[r, c] = img[0, int(np.floor(0.5 * r + 1.75 + 0.5)),
                            int(np.floor(0.5 * c + 1.75 + 0.5)), 0]
    np.testing.assert_array_equal(y, ref)
    assert P.RandomZoom(0.2)(img).numpy() is not None
    with pytest.raises(NotImplementedError):
        P.RandomZoom(0.2, fill_mode="mirror")
    with pytest.raises(ValueError):
        P.RandomTranslation(1.5, 0.1)


@needs_image
def test_random_transforms_per_image_and_seeds():
    x = np.repeat(_images(1, 10, 10), 6, axis=0)
    for layer in (P.RandomRotation(0.2), P.RandomZoom(0.3), P.RandomTranslation(0.2, 0.2)):
        y = layer(x, training=True).numpy()
        assert y.shape == x.shape and y.dtype == np.float32
        assert not np.allclose(y[0], y[1])                         # one draw per image
        np.testing.assert_array_equal(layer(x, training=False).numpy(), x)  # inference
    tf.random.set_seed(5)
    a = P.RandomRotation(0.2, seed=3)(x, training=True).numpy()
    tf.random.set_seed(5)
    b = P.RandomRotation(0.2, seed=3)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)


@needs_image
def test_random_height_width():
    x = _images(2, 10, 12)
    y = P.RandomHeight((0.5, 0.5))(x, training=True)
    assert y.shape == (2, 15, 12, 3)
    y = P.RandomWidth((-0.5, -0.5))(x, training=True)
    assert y.shape == (2, 10, 6, 3)
    np.testing.assert_array_equal(P.RandomWidth(0.3)(x, training=False).numpy(), x)
    assert P.RandomHeight(0.2).compute_output_shape((None, 10, 12, 3)) == (None, None, 12, 3)


# ---- the course's pipeline, fit, configs, summary -------------------------------------------

@needs_image
def test_course_preprocessing_model():
    preprocessing_model = Sequential([
        P.RandomCrop(20, 20),
        P.RandomFlip(mode="horizontal"),
        layers.Lambda(lambda images: images * 1.0),
        P.RandomRotation(0.1),
    ])
    X = _images(4, 30, 30) * 255
    out = preprocessing_model(X, training=True).numpy()
    assert out.shape == (4, 20, 20, 3) and out.dtype == np.float32
    inf = preprocessing_model(X, training=False).numpy()   # inference: resize to 20x20
    np.testing.assert_allclose(inf, tf.image.resize(X, [20, 20]).numpy(), rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(preprocessing_model.predict(X), inf, rtol=1e-6)


def test_random_layers_under_fit():
    x = _images(16, 8, 8)
    y = np.random.RandomState(1).rand(16, 1).astype(np.float32)
    body = [P.RandomFlip(), P.RandomContrast(0.2), layers.RandomBrightness(0.1, value_range=(0, 1))]
    if _has_image_ops():
        body += [P.RandomCrop(6, 6), P.RandomRotation(0.1), P.RandomZoom(0.1),
                 P.RandomTranslation(0.1, 0.1)]
    m = Sequential([layers.Input((8, 8, 3))] + body + [layers.Flatten(), layers.Dense(1)])
    m.compile("adam", "mse")
    h = m.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert len(h.history["loss"]) == 2 and np.isfinite(h.history["loss"]).all()
    assert m.predict(x).shape == (16, 1)


def test_random_draws_change_between_traced_calls():
    x = tf.constant(_images(8))
    f = P.RandomFlip()
    g = tf.function(lambda t: f(t, training=True))
    outs = [g(x).numpy() for _ in range(4)]
    assert any(not np.array_equal(outs[0], o) for o in outs[1:])


def test_configs_round_trip():
    made = [P.Resizing(3, 4, interpolation="nearest"), P.CenterCrop(2, 3),
            P.Normalization(axis=(1, 2)), P.RandomCrop(3, 3, seed=1),
            P.RandomFlip("vertical", seed=2),
            P.RandomRotation(0.2, fill_mode="constant", fill_value=1.0, seed=3),
            P.RandomZoom(0.1, (-0.2, 0.3), fill_mode="nearest"),
            P.RandomTranslation(0.1, 0.2, interpolation="nearest"), P.RandomContrast((0.1, 0.2)),
            layers.RandomBrightness(0.3, value_range=(0, 1), seed=4),
            P.RandomHeight(0.2, interpolation="nearest"), P.RandomWidth((-0.1, 0.2))]
    keys = {"Resizing": {"height", "width", "interpolation", "crop_to_aspect_ratio"},
            "CenterCrop": {"height", "width"}, "Normalization": {"axis", "mean", "variance"},
            "RandomCrop": {"height", "width", "seed"}, "RandomFlip": {"mode", "seed"},
            "RandomRotation": {"factor", "fill_mode", "fill_value", "interpolation", "seed"},
            "RandomZoom": {"height_factor", "width_factor", "fill_mode", "fill_value",
                           "interpolation", "seed"},
            "RandomTranslation": {"height_factor", "width_factor", "fill_mode", "fill_value",
                                  "interpolation", "seed"},
            "RandomContrast": {"factor", "seed"},
            "RandomBrightness": {"factor", "value_range", "seed"},
            "RandomHeight": {"factor", "interpolation", "seed"},
            "RandomWidth": {"factor", "interpolation", "seed"}}
    for layer in made:
        cfg = layer.get_config()
        name = type(layer).__name__
        assert set(cfg) - {"name", "trainable", "dtype"} == keys[name], name
        again = layers.deserialize(layers.serialize(layer))
        assert type(again) is type(layer) and again.get_config() == cfg, name


def test_summary_of_preprocessing_model():
    m = Sequential([layers.Input((32, 32, 3)), P.RandomCrop(24, 24), P.RandomFlip("horizontal"),
                    P.RandomContrast(0.1), P.CenterCrop(20, 20), P.Normalization()],
                   name="prep")
    lines = []
    m.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "(None, 24, 24, 3)" in text and "(None, 20, 20, 3)" in text
    assert "Non-trainable params: 7" in text
    assert m.output_shape == (None, 20, 20, 3)
