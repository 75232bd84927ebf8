"""fit / evaluate / predict on tf.data datasets; image_dataset_from_directory."""
import os

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers, tf


def _data(n=96, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.rand(n, 4).astype(np.float32)
    y = (x.sum(1) > 2).astype(np.float32)
    return x, y


def _model():
    tf.random.set_seed(1)
    m = keras.Sequential([layers.Dense(8, activation="relu", input_shape=(4,)),
                          layers.Dense(1, activation="sigmoid")])
    m.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return m


def test_fit_dataset_matches_arrays():
    x, y = _data()
    m1 = _model()
    h1 = m1.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    m2 = _model()
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    h2 = m2.fit(ds, epochs=2, verbose=0)
    np.testing.assert_allclose(h1.history["loss"], h2.history["loss"], rtol=1e-5)
    np.testing.assert_allclose(m1.predict(x), m2.predict(ds.map(lambda a, b: a)), rtol=1e-5)
    r1 = m1.evaluate(x, y, batch_size=16, verbose=0)
    r2 = m2.evaluate(ds, verbose=0)
    np.testing.assert_allclose(r1, r2, rtol=1e-5)


def test_fit_validation_dataset_and_prefetch():
    x, y = _data()
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(96, seed=2).batch(16).prefetch(
        tf.data.AUTOTUNE)
    val = tf.data.Dataset.from_tensor_slices((x[:32], y[:32])).batch(8)
    m = _model()
    h = m.fit(ds, epochs=2, validation_data=val, verbose=0)
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(h.history["val_loss"]) == 2
    np.testing.assert_allclose(h.history["val_loss"][-1], m.evaluate(val, verbose=0)[0],
                               rtol=1e-5)


def test_infinite_dataset_steps_per_epoch(capsys):
    x, y = _data()
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    m = _model()
    h = m.fit(ds.repeat(), steps_per_epoch=4, epochs=3, validation_data=ds,
              validation_steps=2, verbose=1)
    out = capsys.readouterr().out
    assert "4/4 [" in out and len(h.history["loss"]) == 3
    # an unknown-length dataset: TF's `1/Unknown` progress, then the real count
    unk = tf.data.Dataset.from_tensor_slices((x, y)).filter(lambda a, b: b > 0.5).batch(8)
    n = len(list(unk))
    m.fit(unk, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert "/Unknown" in out and f"{n}/{n} [" in out


def test_sample_weights_and_x_only():
    x, y = _data()
    sw = np.where(y > 0.5, 2.0, 0.5).astype(np.float32)
    m1 = _model()
    m1.fit(x, y, sample_weight=sw, batch_size=32, epochs=1, shuffle=False, verbose=0)
    m2 = _model()
    m2.fit(tf.data.Dataset.from_tensor_slices((x, y, sw)).batch(32), epochs=1, verbose=0)
    np.testing.assert_allclose(m1.predict(x), m2.predict(x), rtol=1e-5)
    p = m2.predict(tf.data.Dataset.from_tensor_slices(x).batch(10))
    assert p.shape == (96, 1)


def test_parallel_map_pipeline_trains():
    """map(num_parallel_calls) on worker threads while fit traces its step on the main
    thread (the tracing graph is per thread)."""
    x, y = _data(256)

    def aug(a, b):
        return a * 1.0 + tf.zeros((4,)), b
    ds = tf.data.Dataset.from_tensor_slices((x, y)).map(
        aug, num_parallel_calls=tf.data.AUTOTUNE).batch(32).prefetch(2)
    m = _model()
    h = m.fit(ds, epochs=2, verbose=0)
    assert np.isfinite(h.history["loss"]).all()
    m2 = _model()
    h2 = m2.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)
    np.testing.assert_allclose(h.history["loss"], h2.history["loss"], rtol=1e-5)


def _make_images(root, classes=("cats", "dogs", "owls"), per_class=(5, 4, 3)):
    from PIL import Image
    rng = np.random.RandomState(0)
    for c, n in zip(classes, per_class):
        os.makedirs(os.path.join(root, c))
        for i in range(n):
            a = (rng.rand(20 + i, 30, 3) * 255).astype(np.uint8)
            ext = "png" if i % 2 == 0 else "jpg"
            Image.fromarray(a).save(os.path.join(root, c, f"img_{i}.{ext}"))
    with open(os.path.join(root, "cats", "notes.txt"), "w") as f:
        f.write("not an image")


def test_image_dataset_from_directory(tmp_path, capsys):
    root = str(tmp_path / "imgs")
    _make_images(root)
    ds = keras.utils.image_dataset_from_directory(root, image_size=(16, 12), batch_size=5,
                                                  seed=3)
    out = capsys.readouterr().out
    assert "Found 12 files belonging to 3 classes." in out
    assert ds.class_names == ["cats", "dogs", "owls"]
    assert ds.element_spec[0].shape.as_list() == [None, 16, 12, 3]
    assert ds.element_spec[1].dtype == tf.int32
    batches = list(ds)
    assert [int(b[0].shape[0]) for b in batches] == [5, 5, 2]
    assert batches[0][0].dtype == tf.float32
    labels = np.concatenate([b[1].numpy() for b in batches])
    assert sorted(labels.tolist()) == [0] * 5 + [1] * 4 + [2] * 3
    # no shuffle: files by class, sorted names; pixel values are the file's, resized
    ds = keras.preprocessing.image_dataset_from_directory(
        root, image_size=(20, 30), batch_size=32, shuffle=False, label_mode="categorical")
    imgs, lab = next(iter(ds))
    assert lab.shape == (12, 3) and lab.numpy()[0].tolist() == [1, 0, 0]
    from PIL import Image
    ref = np.asarray(Image.open(os.path.join(root, "cats", "img_0.png")), dtype=np.float32)
    assert imgs.shape == (12, 20, 30, 3)
    np.testing.assert_allclose(imgs.numpy()[0], ref, atol=1e-3)   # 20x30 -> same size
    # validation split with a seed: disjoint subsets
    tr = keras.utils.image_dataset_from_directory(root, validation_split=0.25,
                                                  subset="training", seed=7,
                                                  image_size=(8, 8))
    va = keras.utils.image_dataset_from_directory(root, validation_split=0.25,
                                                  subset="validation", seed=7,
                                                  image_size=(8, 8))
    out = capsys.readouterr().out
    assert "Using 9 files for training." in out and "Using 3 files for validation." in out
    assert not set(tr.file_paths) & set(va.file_paths)
    assert sum(int(b[0].shape[0]) for b in va) == 3
    with pytest.raises(ValueError, match="seed"):
        keras.utils.image_dataset_from_directory(root, validation_split=0.2,
                                                 subset="training")
    with pytest.raises(ValueError, match="exactly 2"):
        keras.utils.image_dataset_from_directory(root, label_mode="binary")
    gray = keras.utils.image_dataset_from_directory(root, labels=None, color_mode="grayscale",
                                                    image_size=(8, 8), shuffle=False)
    assert "Found 12 files." in capsys.readouterr().out
    assert next(iter(gray)).shape == (12, 8, 8, 1)


def test_fit_on_image_dataset(tmp_path):
    root = str(tmp_path / "imgs")
    _make_images(root)
    ds = keras.utils.image_dataset_from_directory(root, image_size=(8, 8), batch_size=4,
                                                  seed=1, label_mode="categorical")
    m = keras.Sequential([layers.Flatten(input_shape=(8, 8, 3)),
                          layers.Dense(3, activation="softmax")])
    m.compile("adam", "categorical_crossentropy")
    h = m.fit(ds.map(lambda a, b: (a / 255.0, b)), epochs=2, verbose=0)
    assert len(h.history["loss"]) == 2 and np.isfinite(h.history["loss"]).all()


def test_image_dataset_pillow_fallback(tmp_path, monkeypatch):
    """Without tf.image.decode_image / resize the loader decodes and resizes with Pillow."""
    root = str(tmp_path / "imgs")
    _make_images(root)
    ref = keras.utils.image_dataset_from_directory(root, image_size=(10, 10), shuffle=False,
                                                   interpolation="nearest")
    from minikeras.utils import image_dataset
    monkeypatch.setattr(image_dataset, "_USE_TF_OPS", False)
    ds = keras.utils.image_dataset_from_directory(root, image_size=(10, 10), shuffle=False,
                                                  interpolation="nearest")
    a, la = next(iter(ref))
    b, lb = next(iter(ds))
    assert b.shape == (12, 10, 10, 3) and b.dtype == tf.float32
    np.testing.assert_array_equal(la.numpy(), lb.numpy())
    assert np.abs(a.numpy() - b.numpy()).mean() < 40      # both resample the same pixels


def test_custom_loop_with_tape_and_parallel_map():
    x, y = _data(128)
    ds = tf.data.Dataset.from_tensor_slices((x, y)).map(
        lambda a, b: (a * 2.0, b), num_parallel_calls=2).batch(32).prefetch(2)
    m = _model()
    loss_fn = keras.losses.BinaryCrossentropy()
    for i, (xb, yb) in enumerate(ds):
        with tf.GradientTape() as tape:
            loss = loss_fn(yb, m(xb))
        g = tape.gradient(loss, m.trainable_variables)
        with tf.GradientTape() as tape2:
            loss2 = loss_fn(tf.constant(y[32 * i:32 * i + 32]), m(x[32 * i:32 * i + 32] * 2.0))
        g2 = tape2.gradient(loss2, m.trainable_variables)
        for a, b in zip(g, g2):
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-7)
