"""keras.preprocessing.image: file helpers, affine transforms, ImageDataGenerator and its
iterators (flow, flow_from_directory, flow_from_dataframe) on a small SYNTHETIC beans-like
folder made by tools/make_beans.py."""
import importlib.util
import io
import os
import subprocess
import sys

import numpy as np
import pytest

from minikeras.preprocessing import image as I
from minikeras.preprocessing.image import ImageDataGenerator

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLASSES = ["angular_leaf_spot", "bean_rust", "healthy"]


def _make_beans_module():
    spec = importlib.util.spec_from_file_location("make_beans",
                                                  os.path.join(ROOT, "tools", "make_beans.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def beans(tmp_path_factory):
    """3 classes x 4 train images (64x64 JPEG), 2 validation images per class."""
    root = tmp_path_factory.mktemp("beans")
    mb = _make_beans_module()
    mb.make_beans(str(root), {"train": (4, 4, 4), "validation": (2, 2, 2)}, size=64,
                  verbose=False)
    return root


# ---- file helpers ---------------------------------------------------------------------------

def test_save_load_roundtrip_png(tmp_path):
    rng = np.random.RandomState(0)
    x = rng.randint(0, 256, (10, 12, 3)).astype("float32")
    p = tmp_path / "a.png"
    I.save_img(str(p), x, scale=False)
    img = I.load_img(str(p))
    assert img.size == (12, 10) and img.mode == "RGB"
    a = I.img_to_array(img)
    assert a.dtype == np.float32 and a.shape == (10, 12, 3)
    np.testing.assert_array_equal(a, x)
    # pathlib and BytesIO inputs; channels_first
    assert I.img_to_array(I.load_img(p), data_format="channels_first").shape == (3, 10, 12)
    with open(p, "rb") as f:
        b = io.BytesIO(f.read())
    np.testing.assert_array_equal(I.img_to_array(I.load_img(b)), x)
    g = I.load_img(str(p), color_mode="grayscale", target_size=(5, 6))
    assert g.mode == "L" and I.img_to_array(g).shape == (5, 6, 1)
    assert I.img_to_array(I.load_img(str(p), color_mode="rgba")).shape == (10, 12, 4)
    with pytest.warns(UserWarning, match="grayscale is deprecated"):
        assert I.load_img(str(p), grayscale=True).mode == "L"
    with pytest.raises(ValueError, match="Invalid interpolation method"):
        I.load_img(str(p), target_size=(3, 3), interpolation="cubic")
    with pytest.raises(ValueError, match="color_mode"):
        I.load_img(str(p), color_mode="hsv")
    with pytest.raises(TypeError, match="path should be path-like"):
        I.load_img(3)


def test_array_to_img_scales_and_validates():
    x = np.array([[[-1.0], [1.0]]], dtype="float32")        # 1x2x1
    img = I.array_to_img(x)
    assert img.mode == "L"
    np.testing.assert_array_equal(np.asarray(img), [[0, 255]])
    assert I.array_to_img(np.zeros((2, 2, 4))).mode == "RGBA"
    with pytest.raises(ValueError, match="rank 3"):
        I.array_to_img(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="Unsupported channel number"):
        I.array_to_img(np.zeros((2, 2, 2)))


def test_nearest_resize_matches_pil_and_draft_is_close(tmp_path):
    from PIL import Image
    rng = np.random.RandomState(1)
    a = (rng.rand(40, 40, 3) * 255).astype(np.uint8)
    p = tmp_path / "x.jpg"
    Image.fromarray(a).save(p, quality=95)
    full = I.img_to_array(I.load_img(p, target_size=(10, 10)))
    ref = np.asarray(Image.open(p).convert("RGB").resize((10, 10), Image.Resampling.NEAREST),
                     np.float32)
    np.testing.assert_array_equal(full, ref)
    drafted = I.img_to_array(I.load_img(p, target_size=(10, 10), draft=True))
    assert drafted.shape == (10, 10, 3)


# ---- affine transforms ----------------------------------------------------------------------

def test_transform_matrix_offset_center():
    m = np.array([[2.0, 0, 0], [0, 3.0, 0], [0, 0, 1]])
    t = I.transform_matrix_offset_center(m, 5, 7)
    # maps the centre (2, 3) to itself
    np.testing.assert_allclose(t @ [2.0, 3.0, 1.0], [2.0, 3.0, 1.0])
    np.testing.assert_allclose(t[:2, :2], m[:2, :2])


def test_apply_affine_transform_rotation_shift_zoom_flip():
    rng = np.random.RandomState(0)
    x = rng.rand(9, 9, 2).astype("float32")
    np.testing.assert_array_equal(I.apply_affine_transform(x, row_axis=0, col_axis=1,
                                                           channel_axis=2), x)
    # theta=90: out[r, c] = x[n-1-c, r]
    r90 = I.apply_affine_transform(x, theta=90, row_axis=0, col_axis=1, channel_axis=2)
    np.testing.assert_allclose(r90, np.rot90(x, -1, axes=(0, 1)), atol=1e-5)
    # tx shifts rows: out[r, c] = x[r + 2, c] (inside the image)
    s = I.apply_affine_transform(x, tx=2, row_axis=0, col_axis=1, channel_axis=2)
    np.testing.assert_allclose(s[:7], x[2:], atol=1e-6)
    np.testing.assert_allclose(s[7:], np.repeat(x[8:9], 2, axis=0), atol=1e-6)  # 'nearest'
    # ty shifts columns, constant fill
    s = I.apply_affine_transform(x, ty=-3, row_axis=0, col_axis=1, channel_axis=2,
                                 fill_mode="constant", cval=-1.0)
    np.testing.assert_allclose(s[:, 3:], x[:, :6], atol=1e-6)
    np.testing.assert_array_equal(s[:, :3], -1.0)
    # zoom 0.5 around the centre (4, 4): out[r, c] = x[4 + (r-4)/2, 4 + (c-4)/2]
    z = I.apply_affine_transform(x, zx=0.5, zy=0.5, row_axis=0, col_axis=1, channel_axis=2,
                                 order=0)
    np.testing.assert_allclose(z[4, 4], x[4, 4])
    np.testing.assert_allclose(z[0, 8], x[2, 6])
    # channels-first layout gives the same pixels
    cf = I.apply_affine_transform(x.transpose(2, 0, 1), theta=90, row_axis=1, col_axis=2,
                                  channel_axis=0)
    np.testing.assert_allclose(cf.transpose(1, 2, 0), r90, atol=1e-6)
    # composition order: rotation . shift . shear . zoom
    theta, tx, sh, zx = 20.0, 1.5, 10.0, 1.2
    t = np.deg2rad(theta)
    rot = np.array([[np.cos(t), -np.sin(t), 0], [np.sin(t), np.cos(t), 0], [0, 0, 1]])
    sft = np.array([[1, 0, tx], [0, 1, 0], [0, 0, 1]])
    s_ = np.deg2rad(sh)
    shr = np.array([[1, -np.sin(s_), 0], [0, np.cos(s_), 0], [0, 0, 1]])
    zm = np.array([[zx, 0, 0], [0, 1, 0], [0, 0, 1]])
    m = I.transform_matrix_offset_center(rot @ sft @ shr @ zm, 9, 9)
    from scipy import ndimage
    want = np.stack([ndimage.affine_transform(x[..., k], m[:2, :2], m[:2, 2], order=1,
                                              mode="nearest") for k in range(2)], -1)
    got = I.apply_affine_transform(x, theta=theta, tx=tx, shear=sh, zx=zx, row_axis=0,
                                   col_axis=1, channel_axis=2)
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_flip_channel_shift_brightness():
    x = np.arange(24, dtype="float32").reshape(2, 4, 3)
    np.testing.assert_array_equal(I.flip_axis(x, 1), x[:, ::-1])
    cs = I.apply_channel_shift(x, 5.0, channel_axis=2)
    np.testing.assert_array_equal(cs, np.clip(x + 5, 0, 23))
    b1 = I.apply_brightness_shift(x * 10, 1.0)     # scale=True: min..max -> 0..255
    np.testing.assert_allclose(b1, np.floor((x * 10) / 230 * 255 + 1e-4), atol=1)
    np.testing.assert_array_equal(I.apply_brightness_shift(x, 0.0), 0)
    np.random.seed(0)
    r = I.random_rotation(np.ones((3, 5, 5)), 30)
    assert r.shape == (3, 5, 5)
    assert I.random_shift(np.ones((3, 5, 5)), 0.2, 0.2).shape == (3, 5, 5)
    assert I.random_shear(np.ones((3, 5, 5)), 20).shape == (3, 5, 5)
    assert I.random_zoom(np.ones((3, 5, 5)), (0.8, 1.2)).shape == (3, 5, 5)
    with pytest.raises(ValueError, match="zoom_range"):
        I.random_zoom(np.ones((3, 5, 5)), (0.8,))
    with pytest.raises(ValueError, match="brightness_range"):
        I.random_brightness(np.ones((5, 5, 3)), (0.8,))


# ---- ImageDataGenerator ---------------------------------------------------------------------

def test_generator_arguments():
    g = ImageDataGenerator(zoom_range=0.2)
    assert g.zoom_range == [0.8, 1.2]
    assert g.channel_axis == 3 and g.row_axis == 1 and g.col_axis == 2
    assert ImageDataGenerator(zoom_range=[0.5, 2]).zoom_range == [0.5, 2]
    with pytest.raises(ValueError, match="zoom_range"):
        ImageDataGenerator(zoom_range=(1, 2, 3))
    with pytest.raises(ValueError, match="data_format"):
        ImageDataGenerator(data_format="nhwc")
    with pytest.raises(ValueError, match="validation_split"):
        ImageDataGenerator(validation_split=1.5)
    with pytest.raises(ValueError, match="brightness_range"):
        ImageDataGenerator(brightness_range=0.5)
    with pytest.warns(UserWarning, match="featurewise_center"):
        g = ImageDataGenerator(featurewise_std_normalization=True)
    assert g.featurewise_center


def test_random_transform_is_deterministic_with_seed():
    g = ImageDataGenerator(rotation_range=30, width_shift_range=0.1, height_shift_range=[1, 2],
                           shear_range=10, zoom_range=0.1, channel_shift_range=5,
                           horizontal_flip=True, vertical_flip=True,
                           brightness_range=(0.5, 1.5))
    x = np.random.RandomState(0).rand(8, 8, 3).astype("float32") * 255
    p1 = g.get_random_transform(x.shape, seed=3)
    p2 = g.get_random_transform(x.shape, seed=3)
    assert p1 == p2
    assert set(p1) == {"theta", "tx", "ty", "shear", "zx", "zy", "flip_horizontal",
                       "flip_vertical", "channel_shift_intensity", "brightness"}
    assert -30 <= p1["theta"] <= 30 and abs(p1["tx"]) in (1, 2) and abs(p1["ty"]) <= 0.8
    np.testing.assert_array_equal(g.random_transform(x, seed=5), g.random_transform(x, seed=5))
    # no augmentation configured: identity
    np.testing.assert_array_equal(ImageDataGenerator().random_transform(x, seed=1), x)
    # flips only
    f = ImageDataGenerator(horizontal_flip=True)
    out = f.apply_transform(x, {"flip_horizontal": True})
    np.testing.assert_array_equal(out, x[:, ::-1])


def test_standardize_and_fit():
    rng = np.random.RandomState(0)
    x = rng.rand(20, 4, 4, 3).astype("float32") * 255
    g = ImageDataGenerator(rescale=1 / 255., samplewise_center=True)
    s = g.standardize(x[0].copy())
    np.testing.assert_allclose(s, x[0] / 255. - np.mean(x[0] / 255.), atol=1e-6)
    g = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True)
    with pytest.warns(UserWarning, match="hasn't been fit"):
        g.standardize(x[0].copy())
    g.fit(x)
    np.testing.assert_allclose(g.mean.ravel(), x.mean(axis=(0, 1, 2)), rtol=1e-5)
    np.testing.assert_allclose(g.std.ravel(), x.std(axis=(0, 1, 2)), rtol=1e-4)
    assert g.mean.shape == (1, 1, 3)
    out = np.stack([g.standardize(v.copy()) for v in x])
    np.testing.assert_allclose(out.mean(axis=(0, 1, 2)), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=(0, 1, 2)), 1, atol=1e-4)
    with pytest.raises(ValueError, match="rank 4"):
        g.fit(x[0])


def test_zca_whitening_decorrelates():
    rng = np.random.RandomState(0)
    base = rng.randn(200, 2, 2, 1)
    x = np.concatenate([base, base + 0.1 * rng.randn(200, 2, 2, 1), base * 2], -1)  # 12 feats
    with pytest.warns(UserWarning, match="zca_whitening"):
        g = ImageDataGenerator(zca_whitening=True, zca_epsilon=1e-9)
    g.fit(x)
    assert g.principal_components.shape == (12, 12)
    w = np.stack([g.standardize(v.astype("float32").copy()) for v in x]).reshape(200, -1)
    cov = w.T @ w / 200
    # rank-deficient input: the covariance of whitened data is a projection (eigenvalues 0/1)
    ev = np.linalg.eigvalsh(cov)
    assert np.all((np.abs(ev) < 1e-2) | (np.abs(ev - 1) < 1e-2)), ev


def test_flow_numpy():
    rng = np.random.RandomState(0)
    x = rng.rand(10, 6, 6, 3).astype("float32")
    y = np.arange(10)
    it = ImageDataGenerator(rescale=2.0).flow(x, y, batch_size=4, shuffle=False)
    assert len(it) == 3 and it.n == 10
    bx, by = it[2]
    assert bx.shape == (2, 6, 6, 3) and bx.dtype == np.float32
    np.testing.assert_allclose(bx, x[8:] * 2, rtol=1e-6)
    np.testing.assert_array_equal(by, [8, 9])
    with pytest.raises(ValueError, match="Asked to retrieve element 3"):
        it[3]
    firsts = [next(it)[1][0] for _ in range(4)]
    assert firsts == [0, 4, 8, 0]
    # sample weights, misc inputs, x only
    bx, by, bw = ImageDataGenerator().flow(x, y, sample_weight=np.arange(10) * 1.0,
                                           batch_size=5, shuffle=False)[1]
    np.testing.assert_array_equal(bw, np.arange(5, 10))
    (bx, bm), by = ImageDataGenerator().flow((x, np.arange(10) * 3), y, batch_size=5,
                                             shuffle=False)[0]
    np.testing.assert_array_equal(bm, np.arange(5) * 3)
    assert ImageDataGenerator().flow(x, batch_size=5)[0].shape == (5, 6, 6, 3)
    # subsets
    g = ImageDataGenerator(validation_split=0.2)
    yy = np.arange(10) % 2
    assert g.flow(x, yy, subset="validation").n == 2
    assert g.flow(x, yy, subset="training").n == 8
    with pytest.raises(ValueError, match="different number of classes"):
        g.flow(x, np.sort(yy), subset="validation")
    with pytest.raises(ValueError, match="same length"):
        ImageDataGenerator().flow(x, y[:3])
    with pytest.raises(ValueError, match="rank 4"):
        ImageDataGenerator().flow(x[0], None)
    # shuffle with a seed is repeatable; every epoch sees every sample once
    a = ImageDataGenerator().flow(x, y, batch_size=3, seed=7)
    b = ImageDataGenerator().flow(x, y, batch_size=3, seed=7)
    ya = np.concatenate([next(a)[1] for _ in range(4)])
    yb = np.concatenate([next(b)[1] for _ in range(4)])
    np.testing.assert_array_equal(ya, yb)
    assert sorted(ya) == list(range(10))


# ---- flow_from_directory --------------------------------------------------------------------

def test_flow_from_directory_basics(beans, capsys):
    it = ImageDataGenerator().flow_from_directory(str(beans / "train"), target_size=(32, 32),
                                                  batch_size=5, shuffle=False)
    assert capsys.readouterr().out == "Found 12 images belonging to 3 classes.\n"
    assert it.class_indices == {c: i for i, c in enumerate(CLASSES)}
    assert it.n == it.samples == 12 and it.num_classes == 3 and it.batch_size == 5
    assert it.filenames[0] == os.path.join("angular_leaf_spot", "angular_leaf_spot_train.0.jpg")
    assert it.filenames == sorted(it.filenames)
    np.testing.assert_array_equal(it.classes, np.repeat([0, 1, 2], 4))
    assert it.classes.dtype == np.int32
    assert it.image_shape == (32, 32, 3)
    assert len(it) == 3
    x, y = it[0]
    assert x.shape == (5, 32, 32, 3) and x.dtype == np.float32
    assert 0 <= x.min() and x.max() <= 255 and x.max() > 1
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, np.eye(3)[[0, 0, 0, 0, 1]])
    x2, y2 = it[2]
    assert x2.shape == (2, 32, 32, 3)                  # last batch is partial
    with pytest.raises(ValueError):
        it[3]
    # next(): batch_index is the next batch, wraps to 0 after the partial batch; never stops
    assert it.batch_index == 0
    sizes = []
    for _ in range(4):
        sizes.append(len(next(it)[0]))
        sizes.append(it.batch_index)
    assert sizes == [5, 1, 5, 2, 2, 0, 5, 1]
    it.reset()
    assert it.batch_index == 0
    assert iter(it) is it
    # same pixels as load_img(..., draft) + img_to_array
    ref = I.img_to_array(I.load_img(it.filepaths[0], target_size=(32, 32), draft=True))
    np.testing.assert_array_equal(x[0], ref)


def test_flow_from_directory_class_modes_and_subsets(beans, capsys):
    g = ImageDataGenerator(rescale=1 / 255., validation_split=0.5)
    d = str(beans / "train")
    x, y = g.flow_from_directory(d, target_size=(16, 16), class_mode="sparse",
                                 shuffle=False, batch_size=12)[0]
    np.testing.assert_array_equal(y, np.repeat([0., 1., 2.], 4))
    assert x.max() <= 1.0
    x = g.flow_from_directory(d, target_size=(16, 16), class_mode=None, batch_size=4)[0]
    assert isinstance(x, np.ndarray) and x.shape == (4, 16, 16, 3)
    x, y = g.flow_from_directory(d, target_size=(16, 16), class_mode="input", batch_size=4)[0]
    np.testing.assert_array_equal(x, y)
    it = g.flow_from_directory(d, target_size=(16, 16), classes=["bean_rust", "healthy"],
                               class_mode="binary", shuffle=False)
    assert it.class_indices == {"bean_rust": 0, "healthy": 1} and it.n == 8
    np.testing.assert_array_equal(it[0][1], np.repeat([0., 1.], 4))
    v = g.flow_from_directory(d, target_size=(16, 16), subset="validation", shuffle=False)
    t = g.flow_from_directory(d, target_size=(16, 16), subset="training", shuffle=False)
    assert v.n == 6 and t.n == 6
    assert v.filenames[:2] == [os.path.join("angular_leaf_spot", f"angular_leaf_spot_train.{i}.jpg")
                               for i in (0, 1)]
    gray = g.flow_from_directory(d, target_size=(16, 16), color_mode="grayscale")
    assert gray[0][0].shape[-1] == 1
    with pytest.raises(ValueError, match="Invalid class_mode"):
        g.flow_from_directory(d, class_mode="onehot")
    with pytest.raises(ValueError, match="Invalid color mode"):
        g.flow_from_directory(d, color_mode="hsv")
    with pytest.raises(ValueError, match="Invalid subset name"):
        g.flow_from_directory(d, subset="test")
    cf = ImageDataGenerator(data_format="channels_first").flow_from_directory(
        d, target_size=(16, 20), batch_size=2)
    assert cf[0][0].shape == (2, 3, 16, 20)


def test_flow_from_directory_augmentation_is_deterministic_with_seed(beans):
    g = ImageDataGenerator(rotation_range=10, shear_range=0.2, horizontal_flip=True,
                           brightness_range=(0.8, 1.2), zoom_range=0.1, width_shift_range=0.1)
    kw = dict(target_size=(24, 24), batch_size=4, seed=11)
    a = g.flow_from_directory(str(beans / "train"), **kw)
    b = g.flow_from_directory(str(beans / "train"), **kw)
    for _ in range(4):
        (xa, ya), (xb, yb) = next(a), next(b)
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    plain = ImageDataGenerator().flow_from_directory(str(beans / "train"), target_size=(24, 24),
                                                     batch_size=12, shuffle=False)[0][0]
    aug = g.flow_from_directory(str(beans / "train"), target_size=(24, 24), batch_size=12,
                                shuffle=False, seed=1)[0][0]
    assert aug.shape == plain.shape and not np.array_equal(aug, plain)


def test_save_to_dir_and_preprocessing_function(beans, tmp_path):
    calls = []

    def prep(x):
        calls.append(x.shape)
        return x * 0 + 7

    out = tmp_path / "aug"
    out.mkdir()
    it = ImageDataGenerator(preprocessing_function=prep).flow_from_directory(
        str(beans / "train"), target_size=(8, 8), batch_size=3, save_to_dir=str(out),
        save_prefix="aug", save_format="png")
    x, _ = it[0]
    np.testing.assert_array_equal(x, 7)
    assert calls == [(8, 8, 3)] * 3
    assert len(os.listdir(out)) == 3 and all(f.startswith("aug_") for f in os.listdir(out))


def test_fit_tiny_model_on_directory_iterator(beans):
    import minikeras as keras
    from minikeras import layers
    it = ImageDataGenerator(rescale=1 / 255., horizontal_flip=True).flow_from_directory(
        str(beans / "train"), target_size=(16, 16), batch_size=5, seed=0)
    model = keras.Sequential([layers.Flatten(input_shape=(16, 16, 3)),
                              layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(it, epochs=2, verbose=0)
    assert len(hist.history["loss"]) == 2 and np.all(np.isfinite(hist.history["loss"]))
    val = ImageDataGenerator(rescale=1 / 255.).flow_from_directory(
        str(beans / "validation"), target_size=(16, 16), batch_size=4, shuffle=False)
    res = model.evaluate(val, verbose=0)
    assert np.all(np.isfinite(res))
    pred = model.predict(val, verbose=0)
    assert np.asarray(pred).shape == (6, 3)


def test_flow_from_dataframe(beans, capsys):
    pd = pytest.importorskip("pandas")
    files = sorted(os.path.join(c, f) for c in CLASSES for f in os.listdir(beans / "train" / c))
    df = pd.DataFrame({"filename": files + ["missing.jpg"],
                       "class": [f.split(os.sep)[0] for f in files] + ["healthy"],
                       "w": np.arange(13, dtype="float64")})
    with pytest.warns(UserWarning, match="1 invalid image filename"):
        it = ImageDataGenerator().flow_from_dataframe(df, str(beans / "train"),
                                                      target_size=(8, 8), batch_size=4,
                                                      shuffle=False, weight_col="w")
    assert "Found 12 validated image filenames belonging to 3 classes." in capsys.readouterr().out
    x, y, w = it[1]
    assert x.shape == (4, 8, 8, 3)
    np.testing.assert_array_equal(y, np.eye(3)[[1, 1, 1, 1]])
    np.testing.assert_array_equal(w, [4, 5, 6, 7])
    raw = ImageDataGenerator().flow_from_dataframe(df.iloc[:12], str(beans / "train"),
                                                   y_col="w", class_mode="raw",
                                                   target_size=(8, 8), batch_size=12,
                                                   shuffle=False)
    np.testing.assert_array_equal(raw[0][1], np.arange(12))


def test_make_beans_cli_says_synthetic(tmp_path):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "make_beans.py"),
                          str(tmp_path / "b"), "--per-class", "1", "1", "0", "--size", "32"],
                         capture_output=True, text=True, check=True).stdout
    assert "SYNTHETIC" in out
    for split, n in (("train", 1), ("validation", 1)):
        for c in CLASSES:
            assert len(os.listdir(tmp_path / "b" / split / c)) == n
    assert not os.listdir(tmp_path / "b" / "test" / "healthy")
    from PIL import Image
    im = Image.open(tmp_path / "b" / "train" / "healthy" / "healthy_train.0.jpg")
    assert im.size == (32, 32) and im.format == "JPEG"
    assert "SYNTHETIC" in _make_beans_module().__doc__


def test_threaded_batches_equal_single_thread(beans, monkeypatch):
    g = ImageDataGenerator(rotation_range=15, shear_range=5, horizontal_flip=True,
                           brightness_range=(0.8, 1.2), rescale=1 / 255.)
    out = {}
    for n in (1, 3):
        monkeypatch.setattr(I, "NUM_THREADS", n)
        it = g.flow_from_directory(str(beans / "train"), target_size=(20, 20), batch_size=6,
                                   seed=4)
        arr = g.flow(np.random.RandomState(0).rand(6, 64, 64, 3) * 255, np.arange(6),
                     batch_size=6, seed=2)
        out[n] = [next(it) for _ in range(3)] + [arr[0]]
    for a, b in zip(out[1], out[3]):
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
