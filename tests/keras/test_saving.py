"""keras saving: model.save / keras.models.load_model ('.h5' in tf.keras 2.x's HDF5 layout,
'.keras' as Keras 3's zip), save_weights / load_weights, custom objects, safe mode, the
optimizer state, atomic writes and errors."""
import io
import json
import os
import zipfile

import h5py
import numpy as np
import pytest

import minikeras as keras
from minikeras import Model, Sequential, backend, layers, optimizers, tf
from minikeras.saving import hdf5_format, serialization

HAS_COMPILE = hasattr(Model, "compile")
HAS_FIT = hasattr(Model, "fit")
needs_compile = pytest.mark.skipif(not HAS_COMPILE, reason="Model.compile is not on this branch")
needs_fit = pytest.mark.skipif(not HAS_FIT, reason="Model.fit is not on this branch")


@pytest.fixture(autouse=True)
def _fresh_session():
    backend.clear_session()
    yield


def _rand(*shape, seed=0):
    return np.random.RandomState(seed).rand(*shape).astype("float32")


def _attr_list(v):
    return [x.decode() if isinstance(x, bytes) else str(x) for x in np.asarray(v).reshape(-1)]


def _attr_str(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def _json(config):
    return json.loads(serialization.dumps(config))


def _course_model():
    return Sequential([layers.InputLayer((100,)), layers.Dense(500, "relu"),
                       layers.Dense(10, "softmax")])


def _functional():
    """Two inputs, a shared Dense, an operator (TFOpLambda) and two outputs."""
    a = keras.Input((6,), name="a")
    b = keras.Input((6,), name="b")
    shared = layers.Dense(4, activation="tanh", name="shared")
    ha, hb = shared(a), shared(b)
    s = ha + hb
    out1 = layers.Dense(3, name="out1")(s)
    out2 = layers.Dense(1, activation="sigmoid", name="out2")(ha * 2.0)
    return Model([a, b], [out1, out2])


def _manual_steps(model, opt, x, y, steps):
    for _ in range(steps):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean((model(x) - y) ** 2)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))


# ---- the course (section 2): model.save('model.h5') / keras.models.load_model('model.h5') ------

def test_course_save_and_load(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = _course_model()
    if HAS_COMPILE:
        model.compile(loss="sparse_categorical_crossentropy", optimizer="adam",
                      metrics="accuracy")
    x = _rand(8, 100)
    expected = model(x).numpy()
    model.save('model.h5') #сохранение
    model = keras.models.load_model('model.h5') #загрузка
    assert type(model) is Sequential
    assert [l.name for l in model.layers] == ["dense", "dense_1"]
    np.testing.assert_array_equal(model(x).numpy(), expected)
    assert os.listdir(tmp_path) == ["model.h5"]     # no temporary file left behind
    # .hdf5 is the same format
    model.save("model.hdf5")
    with h5py.File("model.hdf5", "r") as f:
        assert "model_config" in f.attrs and "model_weights" in f


def test_sequential_round_trip_h5_and_keras(tmp_path):
    model = Sequential([layers.Dense(8, activation="relu", input_shape=(5,)),
                        layers.Dropout(0.3), layers.Flatten(), layers.Dense(3, "softmax")])
    x = _rand(7, 5)
    expected = model(x).numpy()
    for name in ("m.h5", "m.keras"):
        path = tmp_path / name
        model.save(path)
        loaded = keras.models.load_model(path)
        assert [type(l).__name__ for l in loaded.layers] == ["Dense", "Dropout", "Flatten", "Dense"]
        assert _json(loaded.get_config()) == _json(model.get_config())
        np.testing.assert_array_equal(loaded(x).numpy(), expected)
        for w, v in zip(model.weights, loaded.weights):
            assert w.name == v.name
            np.testing.assert_array_equal(w.numpy(), v.numpy())


def test_functional_several_inputs_shared_layers(tmp_path):
    model = _functional()
    xa, xb = _rand(5, 6, seed=1), _rand(5, 6, seed=2)
    exp1, exp2 = [t.numpy() for t in model([xa, xb])]
    for name in ("f.h5", "f.keras"):
        model.save(str(tmp_path / name))
        loaded = keras.models.load_model(str(tmp_path / name))
        assert loaded.input_names == ["a", "b"]
        assert loaded.output_names == ["out1", "out2"]
        assert len(loaded.inputs) == 2 and len(loaded.outputs) == 2
        shared = loaded.get_layer("shared")
        assert len(shared.inbound_nodes) == 2          # still shared by both branches
        o1, o2 = loaded([xa, xb])
        np.testing.assert_array_equal(o1.numpy(), exp1)
        np.testing.assert_array_equal(o2.numpy(), exp2)


def test_nested_model_as_layer(tmp_path):
    inner = Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dense(2)],
                       name="inner")
    inp = keras.Input((3,))
    out = layers.Dense(1)(inner(inp))
    model = Model(inp, out)
    x = _rand(4, 3)
    expected = model(x).numpy()
    model.save(tmp_path / "n.h5")
    with h5py.File(tmp_path / "n.h5", "r") as f:
        g = f["model_weights/inner"]
        assert _attr_list(g.attrs["weight_names"]) == [
            "dense/kernel:0", "dense/bias:0", "dense_1/kernel:0", "dense_1/bias:0"]
        assert f["model_weights/inner/dense_1/kernel:0"].shape == (4, 2)
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "n.h5")(x).numpy(), expected)
    model.save(tmp_path / "n.keras")
    with zipfile.ZipFile(tmp_path / "n.keras") as z:
        with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
            assert f["layers/sequential/layers/dense_1/vars/0"].shape == (4, 2)
            assert f["layers/dense/vars/0"].shape == (2, 1)
            assert len(f["layers/sequential/vars"]) == 0
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "n.keras")(x).numpy(),
                                  expected)


# ---- the HDF5 layout ------------------------------------------------------------------------------

def test_h5_layout(tmp_path):
    model = Sequential([layers.Dense(3, input_shape=(4,)), layers.Dropout(0.5),
                        layers.Dense(2)])
    path = tmp_path / "model.h5"
    model.save(path)
    with h5py.File(path, "r") as f:
        assert set(f.attrs) == {"keras_version", "backend", "model_config"}
        assert _attr_str(f.attrs["backend"]) == "tensorflow"
        assert _attr_str(f.attrs["keras_version"]) == keras.__version__
        config = json.loads(_attr_str(f.attrs["model_config"]))
        assert config["class_name"] == "Sequential"
        assert config["config"]["name"] == "sequential"
        assert [l["class_name"] for l in config["config"]["layers"]] == [
            "InputLayer", "Dense", "Dropout", "Dense"]
        assert set(f.keys()) == {"model_weights"}      # not compiled: no optimizer weights
        mw = f["model_weights"]
        assert _attr_list(mw.attrs["layer_names"]) == ["dense", "dropout", "dense_1"]
        assert _attr_str(mw.attrs["backend"]) == "tensorflow"
        assert "keras_version" in mw.attrs
        assert set(mw.keys()) == {"dense", "dropout", "dense_1"}
        assert list(mw["dropout"].attrs["weight_names"]) == []   # weightless layers get a group
        assert _attr_list(mw["dense"].attrs["weight_names"]) == ["dense/kernel:0", "dense/bias:0"]
        # the raw attribute is bytes, as tf.keras writes it
        assert mw["dense"].attrs.get_id("weight_names").dtype.kind == "S"
        np.testing.assert_array_equal(mw["dense/dense/kernel:0"][()], model.layers[0].kernel.numpy())
        np.testing.assert_array_equal(mw["dense_1/dense_1/bias:0"][()], model.layers[2].bias.numpy())
        assert mw["dense/dense/kernel:0"].dtype == np.float32


@needs_compile
def test_h5_training_config_and_optimizer_weights(tmp_path):
    model = Sequential([layers.Dense(3, input_shape=(4,)), layers.Dense(2)])
    model.compile(loss="mse", optimizer=optimizers.Adam(0.01), metrics=["mae", "accuracy"])
    _manual_steps(model, model.optimizer, _rand(6, 4), _rand(6, 2), 2)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as f:
        tc = json.loads(_attr_str(f.attrs["training_config"]))
        assert tc["loss"] == "mse"
        assert tc["metrics"] == ["mae", "accuracy"]
        assert tc["weighted_metrics"] is None and tc["loss_weights"] is None
        assert tc["optimizer_config"]["class_name"] == "Adam"
        assert tc["optimizer_config"]["config"]["learning_rate"] == pytest.approx(0.01)
        ow = f["optimizer_weights"]
        names = _attr_list(ow.attrs["weight_names"])
        assert names == ["Adam/iter:0",
                         "Adam/dense/kernel/m:0", "Adam/dense/bias/m:0",
                         "Adam/dense_1/kernel/m:0", "Adam/dense_1/bias/m:0",
                         "Adam/dense/kernel/v:0", "Adam/dense/bias/v:0",
                         "Adam/dense_1/kernel/v:0", "Adam/dense_1/bias/v:0"]
        assert ow["Adam/iter:0"][()] == 2
        np.testing.assert_array_equal(ow["Adam/dense/kernel/m:0"][()],
                                      model.optimizer.get_slot(model.layers[0].kernel, "m").numpy())
    model.save(tmp_path / "noopt.h5", include_optimizer=False)
    with h5py.File(tmp_path / "noopt.h5", "r") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f


def test_attributes_over_64kb_are_split(tmp_path):
    names = [("layer_%05d_" % i + "x" * 90).encode() for i in range(1000)]   # ~100 KB
    with h5py.File(tmp_path / "a.h5", "w") as f:
        hdf5_format.save_attributes_to_hdf5_group(f, "layer_names", names)
        assert "layer_names" not in f.attrs
        assert {"layer_names0", "layer_names1"} <= set(f.attrs)
        assert all(np.asarray(f.attrs[k]).nbytes <= hdf5_format.HDF5_OBJECT_HEADER_LIMIT
                   for k in f.attrs)
        assert hdf5_format.load_attributes_from_hdf5_group(f, "layer_names") == \
            [n.decode() for n in names]
        hdf5_format.save_attributes_to_hdf5_group(f, "small", [b"a", b"b"])
        assert "small" in f.attrs
        assert hdf5_format.load_attributes_from_hdf5_group(f, "small") == ["a", "b"]
        with pytest.raises(RuntimeError, match="larger than"):
            hdf5_format.save_attributes_to_hdf5_group(f, "huge", [b"x" * 70000])


def test_many_layers_split_layer_names_round_trip(tmp_path):
    blocks = [layers.Activation("linear", name="a%03d_" % i + "n" * 150) for i in range(450)]
    model = Sequential([layers.Dense(2, input_shape=(3,))] + blocks + [layers.Dense(1)])
    x = _rand(2, 3)
    model.save(tmp_path / "big.h5")
    with h5py.File(tmp_path / "big.h5", "r") as f:
        assert "layer_names0" in f["model_weights"].attrs
    loaded = keras.models.load_model(tmp_path / "big.h5")
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())


# ---- .keras ------------------------------------------------------------------------------------

def test_keras_zip_layout(tmp_path):
    model = Sequential([layers.Dense(3, input_shape=(4,)), layers.Dropout(0.5),
                        layers.Dense(2), layers.Dense(1)])
    path = tmp_path / "model.keras"
    model.save(path)
    with zipfile.ZipFile(path) as z:
        assert set(z.namelist()) == {"metadata.json", "config.json", "model.weights.h5"}
        meta = json.loads(z.read("metadata.json"))
        assert meta["keras_version"] == keras.__version__
        assert len(meta["date_saved"]) == 19 and meta["date_saved"][10] == "@"
        config = json.loads(z.read("config.json"))
        assert config["class_name"] == "Sequential"
        assert config["config"]["name"] == "sequential"
        assert "compile_config" not in config
        with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
            assert set(f.keys()) == {"layers", "vars"}
            assert set(f["layers"].keys()) == {"dense", "dense_1", "dense_2", "dropout"}
            assert list(f["layers/dense/vars"].keys()) == ["0", "1"]
            np.testing.assert_array_equal(f["layers/dense/vars/0"][()],
                                          model.layers[0].kernel.numpy())
            np.testing.assert_array_equal(f["layers/dense_2/vars/1"][()],
                                          model.layers[3].bias.numpy())
            assert len(f["layers/dropout/vars"]) == 0


@needs_compile
def test_keras_zip_compile_config_and_optimizer(tmp_path):
    model = Sequential([layers.Dense(3, input_shape=(4,)), layers.Dense(2)])
    model.compile(loss="mse", optimizer="adam")
    x, y = _rand(6, 4), _rand(6, 2)
    _manual_steps(model, model.optimizer, x, y, 3)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as z:
        cc = json.loads(z.read("config.json"))["compile_config"]
        assert cc["loss"] == "mse" and cc["optimizer"]["class_name"] == "Adam"
        with h5py.File(io.BytesIO(z.read("model.weights.h5")), "r") as f:
            assert len(f["optimizer/vars"]) == 9 and f["optimizer/vars/0"][()] == 3
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert int(loaded.optimizer.iterations.numpy()) == 3
    for a, b in zip(model.optimizer.get_weights(), loaded.optimizer.get_weights()):
        np.testing.assert_array_equal(a, b)


# ---- custom objects and safe mode -------------------------------------------------------------

class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight("w", shape=(int(input_shape[-1]),), initializer="ones")

    def call(self, x):
        return x * self.w * self.factor

    def get_config(self):
        config = super().get_config()
        config["factor"] = self.factor
        return config


def test_custom_objects(tmp_path):
    model = Sequential([layers.Dense(3, input_shape=(2,)), Scale(3.0, name="scale")])
    model.layers[1].w.assign(np.array([1.0, 2.0, 3.0], "float32"))
    x = _rand(4, 2)
    expected = model(x).numpy()
    calls = []

    class ScaleV2(Scale):         # what the user passes for the saved class name 'Scale'
        def call(self, x):
            calls.append(1)
            return super().call(x)
    ScaleV2.__name__ = "Scale"

    for name in ("c.h5", "c.keras"):
        model.save(tmp_path / name)
        loaded = keras.models.load_model(tmp_path / name, custom_objects={"Scale": ScaleV2})
        assert type(loaded.layers[1]) is ScaleV2 and loaded.layers[1].factor == 3.0
        np.testing.assert_array_equal(loaded(x).numpy(), expected)
        np.testing.assert_array_equal(loaded.layers[1].w.numpy(), [1.0, 2.0, 3.0])
    assert calls
    # a class name nobody knows
    with h5py.File(tmp_path / "c.h5", "r+") as f:
        f.attrs["model_config"] = _attr_str(f.attrs["model_config"]).replace(
            '"Scale"', '"NoSuchLayer"').encode()
    with pytest.raises(ValueError, match="Unknown layer: NoSuchLayer"):
        keras.models.load_model(tmp_path / "c.h5")


def test_lambda_needs_safe_mode_false(tmp_path):
    model = Sequential([layers.Dense(3, input_shape=(2,)), layers.Lambda(lambda t: t * 2.0 + 1.0)])
    x = _rand(3, 2)
    expected = model(x).numpy()
    for name in ("l.h5", "l.keras"):
        model.save(tmp_path / name)
        with pytest.raises(ValueError, match="safe_mode=False"):
            keras.models.load_model(tmp_path / name)
        loaded = keras.models.load_model(tmp_path / name, safe_mode=False)
        np.testing.assert_allclose(loaded(x).numpy(), expected, rtol=1e-6)


def test_lambda_with_python_function_also_holds_bytecode(tmp_path):
    """tf.keras 2.x serialises any Python function of a Lambda as bytecode (func_dump)."""
    def double_relu(t):
        return tf.nn.relu(t) * 2.0

    model = Sequential([layers.Dense(3, input_shape=(2,)), layers.Lambda(double_relu)])
    model.save(tmp_path / "l.h5")
    with pytest.raises(ValueError, match="safe_mode"):
        keras.models.load_model(tmp_path / "l.h5")
    x = _rand(3, 2) - 0.5
    loaded = keras.models.load_model(tmp_path / "l.h5", safe_mode=False)
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())


# ---- save_weights / load_weights ----------------------------------------------------------------

def _twin(seed):
    backend.clear_session()
    keras.utils.set_random_seed(seed)
    return Sequential([layers.Dense(4, activation="relu", input_shape=(3,)), layers.Dropout(0.1),
                       layers.Dense(2)])


def test_save_weights_h5_layout_and_load(tmp_path):
    a = _twin(1)
    x = _rand(5, 3)
    a.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r") as f:
        assert "model_config" not in f.attrs and "model_weights" not in f
        assert _attr_list(f.attrs["layer_names"]) == ["dense", "dropout", "dense_1"]
        assert _attr_list(f["dense"].attrs["weight_names"]) == ["dense/kernel:0", "dense/bias:0"]
        assert f["dense_1/dense_1/kernel:0"].shape == (4, 2)
    b = _twin(2)
    assert not np.array_equal(a(x).numpy(), b(x).numpy())
    assert b.load_weights(tmp_path / "w.h5") is None
    np.testing.assert_array_equal(b(x).numpy(), a(x).numpy())
    # a full model file also works for load_weights
    a.save(tmp_path / "full.h5")
    c = _twin(3)
    c.load_weights(tmp_path / "full.h5")
    np.testing.assert_array_equal(c(x).numpy(), a(x).numpy())
    # load_model refuses a weights-only file
    with pytest.raises(ValueError, match="No model found"):
        keras.models.load_model(tmp_path / "w.h5")


def test_save_weights_keras3_layout(tmp_path):
    a = _twin(1)
    x = _rand(5, 3)
    a.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r") as f:
        assert set(f["layers"].keys()) == {"dense", "dense_1", "dropout"}
        np.testing.assert_array_equal(f["layers/dense_1/vars/0"][()], a.layers[2].kernel.numpy())
    b = _twin(2)
    b.load_weights(tmp_path / "m.weights.h5")
    np.testing.assert_array_equal(b(x).numpy(), a(x).numpy())
    a.save(tmp_path / "m.keras")
    c = _twin(3)
    c.load_weights(tmp_path / "m.keras")
    np.testing.assert_array_equal(c(x).numpy(), a(x).numpy())


def test_load_weights_by_name_and_skip_mismatch(tmp_path):
    a = Sequential([layers.Dense(4, input_shape=(3,), name="d1"), layers.Dense(2, name="d2")])
    a.save_weights(tmp_path / "w.h5")
    b = Sequential([layers.Dense(4, input_shape=(3,), name="d1"), layers.Dense(5, name="other"),
                    layers.Dense(2, name="d2x")])
    before = b.layers[1].kernel.numpy().copy()
    b.load_weights(tmp_path / "w.h5", by_name=True)
    np.testing.assert_array_equal(b.layers[0].kernel.numpy(), a.layers[0].kernel.numpy())
    np.testing.assert_array_equal(b.layers[1].kernel.numpy(), before)
    c = Sequential([layers.Dense(4, input_shape=(3,), name="d1"), layers.Dense(7, name="d2")])
    with pytest.raises(ValueError, match=r"d2.*\(4, 7\).*\(4, 2\)"):
        c.load_weights(tmp_path / "w.h5", by_name=True)
    c.load_weights(tmp_path / "w.h5", by_name=True, skip_mismatch=True)
    np.testing.assert_array_equal(c.layers[0].kernel.numpy(), a.layers[0].kernel.numpy())
    with pytest.raises(ValueError, match="skip_mismatch can only be set to True when by_name"):
        c.load_weights(tmp_path / "w.h5", skip_mismatch=True)


def test_load_weights_shape_mismatch_names_layer_and_shapes(tmp_path):
    a = Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2)])
    a.save_weights(tmp_path / "w.h5")
    a.save(tmp_path / "m.h5")
    b = Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(6)])
    first = b.layers[0].kernel.numpy().copy()
    with pytest.raises(ValueError) as e:
        b.load_weights(tmp_path / "w.h5")
    msg = str(e.value)
    assert "dense_3" in msg and "(4, 6)" in msg and "(4, 2)" in msg
    # nothing was assigned: the first layer (which fitted) is unchanged
    np.testing.assert_array_equal(b.layers[0].kernel.numpy(), first)
    with pytest.raises(ValueError, match="containing 2 layers into a model with 3 layers"):
        Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(2),
                    layers.Dense(1)]).load_weights(tmp_path / "w.h5")
    b.save_weights(tmp_path / "b.weights.h5")
    with pytest.raises(ValueError, match=r"\(4, 2\).*\(4, 6\)"):
        a.load_weights(tmp_path / "b.weights.h5")


def test_weights_formats_and_paths(tmp_path):
    a = _twin(1)
    with pytest.raises(ValueError, match=r"\.h5.*\.weights\.h5"):
        a.save_weights(tmp_path / "ckpt")
    assert not os.path.exists(tmp_path / "ckpt")
    a.save_weights(tmp_path / "ckpt", save_format="h5")
    b = _twin(2)
    b.load_weights(tmp_path / "ckpt")
    np.testing.assert_array_equal(b.layers[0].kernel.numpy(), a.layers[0].kernel.numpy())
    with pytest.raises(ValueError, match="SavedModel"):
        a.save(tmp_path / "saved_model_dir")
    with pytest.raises(ValueError, match="not supported"):
        a.save(tmp_path / "x.h5", save_format="tf")
    with pytest.raises(FileNotFoundError, match="No file or directory found"):
        b.load_weights(tmp_path / "missing.h5")


def test_subclassed_models(tmp_path):
    class Net(Model):
        def __init__(self):
            super().__init__()
            self.d1 = layers.Dense(4, activation="relu")
            self.d2 = layers.Dense(1)

        def call(self, x):
            return self.d2(self.d1(x))

    net = Net()
    x = _rand(3, 2)
    net(x)
    with pytest.raises(NotImplementedError, match="subclassed"):
        net.save(tmp_path / "net.h5")
    assert not os.path.exists(tmp_path / "net.h5")
    for name in ("net_w.h5", "net.weights.h5"):
        net.save_weights(tmp_path / name)
        other = Net()
        with pytest.raises(ValueError, match="Call the Model first"):
            other.load_weights(tmp_path / name)
        other(x)
        other.load_weights(tmp_path / name)
        np.testing.assert_array_equal(other(x).numpy(), net(x).numpy())
    with h5py.File(tmp_path / "net.weights.h5", "r") as f:
        assert set(f.keys()) == {"d1", "d2", "vars"}


# ---- errors and atomic writes ---------------------------------------------------------------------

def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="No file or directory found at"):
        keras.models.load_model(tmp_path / "nope.h5")
    (tmp_path / "junk.h5").write_bytes(b"this is not an hdf5 file")
    with pytest.raises(ValueError, match="File format not supported"):
        keras.models.load_model(tmp_path / "junk.h5")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        _twin(0).load_weights(tmp_path / "junk.h5")
    with zipfile.ZipFile(tmp_path / "bad.keras", "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ValueError, match="not a valid .keras file"):
        keras.models.load_model(tmp_path / "bad.keras")
    os.mkdir(tmp_path / "adir")
    with pytest.raises(ValueError, match="directory"):
        keras.models.load_model(tmp_path / "adir")


def test_overwrite_false_and_atomic_writes(tmp_path):
    model = _twin(0)
    path = tmp_path / "m.h5"
    model.save(path)
    before = path.read_bytes()
    with pytest.raises(FileExistsError):
        model.save(path, overwrite=False)
    with pytest.raises(FileExistsError):
        keras.models.save_model(model, path, overwrite=False)
    with pytest.raises(FileExistsError):
        model.save_weights(path, overwrite=False)
    assert path.read_bytes() == before

    class Unserializable(layers.Layer):
        def get_config(self):
            config = super().get_config()
            config["thing"] = object()
            return config

    bad = Sequential([layers.Dense(2, input_shape=(3,)), Unserializable()])
    for name in ("m.h5", "m.keras"):
        target = tmp_path / name
        if target.exists():
            old = target.read_bytes()
        else:
            old = None
        with pytest.raises(TypeError, match="Not JSON Serializable"):
            bad.save(target)
        assert (target.read_bytes() if target.exists() else None) == old
    assert sorted(os.listdir(tmp_path)) == ["m.h5"]       # no temporary files left
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded.layers[0].kernel.numpy(), model.layers[0].kernel.numpy())


def test_h5py_file_objects(tmp_path):
    model = _twin(0)
    x = _rand(2, 3)
    with h5py.File(tmp_path / "o.h5", "w") as f:
        keras.models.save_model(model, f)
    with h5py.File(tmp_path / "o.h5", "r") as f:
        loaded = keras.models.load_model(f)
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())


# ---- optimizer state: training resumes where it stopped ---------------------------------------

def _pair():
    backend.clear_session()
    a = Sequential([layers.Dense(5, activation="tanh", input_shape=(4,)), layers.Dense(2)])
    backend.clear_session()
    b = Sequential([layers.Dense(5, activation="tanh", input_shape=(4,)), layers.Dense(2)])
    b.set_weights(a.get_weights())
    return a, b


def test_optimizer_state_restored_manual_loop(tmp_path):
    """Manual GradientTape loop: 2 steps, save (the optimizer state goes to
    /optimizer_weights), load, restore the state into a fresh Adam, 1 more step == 3 steps."""
    x, y = _rand(8, 4, seed=3), _rand(8, 2, seed=4)
    a, b = _pair()
    opt_a = optimizers.Adam(0.05)
    _manual_steps(a, opt_a, x, y, 3)
    opt_b = optimizers.Adam(0.05)
    _manual_steps(b, opt_b, x, y, 2)
    b.optimizer = opt_b
    b.save(tmp_path / "b.h5")
    loaded = keras.models.load_model(tmp_path / "b.h5", compile=False)
    with h5py.File(tmp_path / "b.h5", "r") as f:
        names, values = hdf5_format.load_optimizer_weights_with_names(f)
    assert names[0] == "Adam/iter:0" and int(values[0]) == 2
    opt_c = optimizers.deserialize(serialization.optimizer_config(opt_b))
    assert serialization.restore_optimizer_state(loaded, opt_c, names, values)
    assert int(opt_c.iterations.numpy()) == 2
    _manual_steps(loaded, opt_c, x, y, 1)
    for w, v in zip(a.weights, loaded.weights):
        np.testing.assert_array_equal(w.numpy(), v.numpy())


@needs_compile
def test_optimizer_state_restored_by_load_model(tmp_path):
    x, y = _rand(8, 4, seed=3), _rand(8, 2, seed=4)
    a, b = _pair()
    for m in (a, b):
        m.compile(loss="mse", optimizer=optimizers.Adam(0.05))
    _manual_steps(a, a.optimizer, x, y, 3)
    _manual_steps(b, b.optimizer, x, y, 2)
    for name in ("b.h5", "b.keras"):
        b.save(tmp_path / name)
        loaded = keras.models.load_model(tmp_path / name)
        assert type(loaded.optimizer) is optimizers.Adam
        assert loaded.optimizer.get_config() == b.optimizer.get_config()
        assert int(loaded.optimizer.iterations.numpy()) == 2
        _manual_steps(loaded, loaded.optimizer, x, y, 1)
        for w, v in zip(a.weights, loaded.weights):
            np.testing.assert_array_equal(w.numpy(), v.numpy())


@needs_fit
@pytest.mark.parametrize("ext", ["h5", "keras"])
def test_fit_resumes_after_load(tmp_path, ext):
    """fit 2 epochs, save, load, fit 1 more == fit 3 epochs (shuffle=False)."""
    rs = np.random.RandomState(0)
    x = rs.rand(64, 4).astype("float32")
    y = (x.sum(1) > 2).astype("int32")
    a, b = _pair()
    for m in (a, b):
        m.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=optimizers.Adam(0.01), metrics=["accuracy"])
    ha = a.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
    b.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    b.save(tmp_path / f"b.{ext}")
    loaded = keras.models.load_model(tmp_path / f"b.{ext}")
    assert isinstance(loaded.compiled_loss._user_losses, keras.losses.SparseCategoricalCrossentropy)
    hl = loaded.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for w, v in zip(a.weights, loaded.weights):
        np.testing.assert_allclose(w.numpy(), v.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(hl.history["loss"][0], ha.history["loss"][2], rtol=1e-5)
    np.testing.assert_allclose(hl.history["accuracy"][0], ha.history["accuracy"][2])
    assert int(loaded.optimizer.iterations.numpy()) == 12


def test_repeated_weight_names_are_made_unique(tmp_path):
    class Twice(layers.Layer):
        def build(self, input_shape):
            self.a = self.add_weight("w", shape=(2,), initializer="ones")
            self.b = self.add_weight("w", shape=(2,), initializer="zeros")

        def call(self, x):
            return x * self.a + self.b

    model = Sequential([layers.Dense(2, input_shape=(2,)), Twice(name="twice")])
    model.layers[1].b.assign(np.array([5.0, 6.0], "float32"))
    model.save(tmp_path / "t.h5")
    with h5py.File(tmp_path / "t.h5", "r") as f:
        assert _attr_list(f["model_weights/twice"].attrs["weight_names"]) == ["twice/w:0",
                                                                            "twice/w_1:0"]
    loaded = keras.models.load_model(tmp_path / "t.h5", custom_objects={"Twice": Twice})
    np.testing.assert_array_equal(loaded.layers[1].b.numpy(), [5.0, 6.0])


@needs_compile
def test_custom_loss_and_metric_functions(tmp_path):
    def my_loss(y_true, y_pred):
        return tf.reduce_mean(tf.abs(y_true - y_pred), axis=-1)

    def my_metric(y_true, y_pred):
        return tf.reduce_mean(y_pred, axis=-1)

    model = Sequential([layers.Dense(2, input_shape=(3,))])
    model.compile(loss=my_loss, optimizer=optimizers.SGD(0.1, momentum=0.5),
                  metrics=[my_metric, "mse"])
    model.save(tmp_path / "c.h5")
    with h5py.File(tmp_path / "c.h5", "r") as f:
        tc = json.loads(_attr_str(f.attrs["training_config"]))
        assert tc["loss"] == "my_loss" and tc["metrics"] == ["my_metric", "mse"]
    with pytest.raises(ValueError, match="my_loss"):
        keras.models.load_model(tmp_path / "c.h5")
    loaded = keras.models.load_model(tmp_path / "c.h5",
                                     custom_objects={"my_loss": my_loss, "my_metric": my_metric})
    assert loaded.compiled_loss._user_losses is my_loss
    assert loaded.compiled_metrics._user_metrics == [my_metric, "mse"]
    assert type(loaded.optimizer) is optimizers.SGD
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    plain = keras.models.load_model(tmp_path / "c.h5", compile=False)
    assert not serialization.is_compiled(plain)


@needs_fit
def test_model_checkpoint_h5_then_load_model(tmp_path, monkeypatch):
    """The course's callback: ModelCheckpoint('best_model.h5', ...) then load_model."""
    monkeypatch.chdir(tmp_path)
    rs = np.random.RandomState(1)
    x = rs.rand(40, 4).astype("float32")
    y = (x[:, 0] > 0.5).astype("int32")
    model = Sequential([layers.Dense(8, "relu", input_shape=(4,)), layers.Dense(2, "softmax")])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics="accuracy")
    cb = keras.callbacks.ModelCheckpoint('best_model.h5', monitor='val_accuracy',
                                         verbose=0, mode='max', save_best_only=True)
    model.fit(x, y, validation_data=(x, y), epochs=3, verbose=0, callbacks=[cb])
    best = keras.models.load_model("best_model.h5")
    assert best.optimizer.get_config()["name"] == "Adam"
    assert os.listdir(tmp_path) == ["best_model.h5"]
    assert best.evaluate(x, y, verbose=0)[1] == pytest.approx(cb.best)


def test_saved_file_has_normal_permissions(tmp_path):
    _twin(0).save(tmp_path / "p.h5")
    mode = os.stat(tmp_path / "p.h5").st_mode & 0o777
    assert mode == 0o666 & ~serialization._umask()


def test_optimizer_state_mismatch_leaves_fresh_optimizer(caplog):
    a, _ = _pair()
    opt = optimizers.Adam()
    _manual_steps(a, opt, _rand(4, 4), _rand(4, 2), 1)
    names = [w.name for w in opt.weights]
    values = opt.get_weights()
    fresh = optimizers.Adam()
    values[1] = np.zeros((3, 3), "float32")                 # wrong shape
    assert not serialization.restore_optimizer_state(a, fresh, names, values)
    assert "freshly initialized optimizer" in caplog.text and "(3, 3)" in caplog.text
    assert int(fresh.iterations.numpy()) == 0               # nothing assigned
    assert not serialization.restore_optimizer_state(a, fresh, names[:-1], values[:-1])
    good = optimizers.Adam()
    assert serialization.restore_optimizer_state(a, good, None, opt.get_weights())
    for x, y in zip(good.get_weights(), opt.get_weights()):
        np.testing.assert_array_equal(x, y)
