"""keras.applications: Xception and EfficientNetB0 architectures (tf.keras 2.5 parameter and
layer counts from /work/shared/reference/keras-facts.md), preprocess_input, argument
validation, and the 'imagenet' weights path against a loopback HTTP server."""
import functools
import hashlib
import http.server
import os
import threading

import numpy as np
import pytest

import minikeras as keras
from minikeras import Model, Sequential, layers
from minikeras import applications
from minikeras.applications import efficientnet, imagenet_utils, xception


def _counts(model):
    tr = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    nt = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    return tr + nt, tr, nt, len(model.layers)


@pytest.fixture(scope="module")
def xc_notop():
    return xception.Xception(include_top=False, weights=None, input_shape=(71, 71, 3))


@pytest.fixture(scope="module")
def en_notop():
    return efficientnet.EfficientNetB0(include_top=False, weights=None, input_shape=(32, 32, 3))


# ---- exports --------------------------------------------------------------------------

def test_exports():
    assert applications.Xception is xception.Xception
    assert applications.EfficientNetB0 is efficientnet.EfficientNetB0
    assert keras.applications.xception.preprocess_input is xception.preprocess_input
    assert keras.applications.efficientnet.preprocess_input is efficientnet.preprocess_input
    assert applications.imagenet_utils is imagenet_utils


# ---- Xception -------------------------------------------------------------------------

def test_xception_no_top_counts(xc_notop):
    assert _counts(xc_notop) == (20_861_480, 20_806_952, 54_528, 132)
    assert xc_notop.name == "xception"
    assert xc_notop.layers[1].name == "block1_conv1"
    assert xc_notop.layers[2].name == "block1_conv1_bn"
    assert xc_notop.layers[-1].name == "block14_sepconv2_act"
    assert xc_notop.output_shape == (None, 3, 3, 2048)
    names = {l.name for l in xc_notop.layers}
    for n in ("block2_pool", "block5_sepconv3_bn", "block12_sepconv1_act", "block13_pool",
              "block14_sepconv1"):
        assert n in names


def test_xception_with_top_counts():
    m = xception.Xception(weights=None)
    assert _counts(m) == (22_910_480, 22_855_952, 54_528, 134)
    assert m.input_shape == (None, 299, 299, 3)
    assert [l.name for l in m.layers[-2:]] == ["avg_pool", "predictions"]
    assert m.output_shape == (None, 1000)


def test_xception_forward_and_preprocess(xc_notop):
    rng = np.random.default_rng(0)
    img = rng.uniform(0, 255, (2, 71, 71, 3)).astype("float32")
    x = xception.preprocess_input(img.copy())
    np.testing.assert_allclose(x, img / 127.5 - 1, rtol=1e-6, atol=1e-6)
    assert x.min() >= -1 and x.max() <= 1
    y = xc_notop.predict(x, verbose=0)
    assert y.shape == (2, 3, 3, 2048) and np.isfinite(y).all()
    assert (y >= 0).all()                     # ends with a ReLU
    # integer input is converted to float, tensors work too
    xi = xception.preprocess_input(np.array([[0, 255]], dtype="uint8"))
    np.testing.assert_allclose(xi, [[-1.0, 1.0]])
    xt = xception.preprocess_input(keras.tf.constant([[0.0, 127.5, 255.0]]))
    np.testing.assert_allclose(np.asarray(xt), [[-1.0, 0.0, 1.0]])


def test_xception_pooling_and_classes():
    m = xception.Xception(include_top=False, weights=None, input_shape=(71, 71, 3),
                          pooling="avg")
    assert m.output_shape == (None, 2048) and len(m.layers) == 133
    m = xception.Xception(include_top=True, weights=None, classes=7,
                          classifier_activation=None)
    assert m.output_shape == (None, 7)


def test_xception_nested_in_sequential_as_course():
    base = xception.Xception(include_top=False, weights=None, input_shape=(150, 150, 3))
    model = Sequential([base, layers.GlobalMaxPool2D(), layers.Dropout(0.5), layers.Dense(10)])
    assert len(model.layers) == 4
    assert len(model.layers[0].layers) == 132
    assert model.output_shape == (None, 10)
    assert model.count_params() == 20_861_480 + 2048 * 10 + 10
    # functional version: all 132 layers become layers of the model (+3)
    out = layers.GlobalMaxPool2D()(base.output)
    out = layers.Dropout(0.5)(out)
    out = layers.Dense(10)(out)
    m2 = Model(inputs=base.input, outputs=out)
    assert len(m2.layers) == 135
    # nested Sequential head
    model = Sequential([base, Sequential([layers.GlobalMaxPool2D(), layers.Dropout(0.5),
                                         layers.Dense(10)])])
    assert tuple(model.layers[-1].input.shape) == (None, 5, 5, 2048)


def test_xception_input_tensor():
    inp = layers.Input(shape=(71, 71, 3))
    m = xception.Xception(include_top=False, weights=None, input_tensor=inp)
    assert m.inputs[0] is inp and len(m.layers) == 132


# ---- EfficientNetB0 -------------------------------------------------------------------

def test_efficientnet_no_top_counts(en_notop):
    assert _counts(en_notop) == (4_049_571, 4_007_548, 42_023, 237)
    assert en_notop.name == "efficientnetb0"
    names = [l.name for l in en_notop.layers]
    assert names[3:6] == ["stem_conv_pad", "stem_conv", "stem_bn"]
    assert isinstance(en_notop.layers[1], layers.Rescaling)
    assert isinstance(en_notop.layers[2], layers.Normalization)
    for n in ("block1a_dwconv", "block1a_se_excite", "block2a_expand_conv", "block2a_dwconv_pad",
              "block2b_drop", "block2b_add", "block7a_project_bn", "top_conv", "top_bn"):
        assert n in names
    assert "block1a_expand_conv" not in names      # expand_ratio 1
    assert names[-1] == "top_activation"
    assert en_notop.output_shape == (None, 1, 1, 1280)


def test_efficientnet_with_top_counts():
    m = efficientnet.EfficientNetB0(weights=None)
    assert _counts(m) == (5_330_571, 5_288_548, 42_023, 240)
    assert m.input_shape == (None, 224, 224, 3)
    assert [l.name for l in m.layers[-3:]] == ["avg_pool", "top_dropout", "predictions"]


def test_efficientnet_forward(en_notop):
    rng = np.random.default_rng(1)
    img = rng.uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    assert efficientnet.preprocess_input(img) is img
    y = en_notop.predict(img, verbose=0)
    assert y.shape == (2, 1, 1, 1280) and np.isfinite(y).all()
    m = efficientnet.EfficientNetB0(include_top=False, weights=None, input_shape=(64, 48, 3),
                                    pooling="max")
    assert m.output_shape == (None, 1280) and m.layers[-1].name == "max_pool"


def test_efficientnet_nested_in_sequential_as_course():
    model = Sequential([
        efficientnet.EfficientNetB0(input_shape=(128, 128, 3), include_top=False, weights=None),
        layers.GlobalMaxPool2D(), layers.Dropout(0.5), layers.Dense(3)])
    assert model.output_shape == (None, 3)
    assert model.layers[0].output_shape == (None, 4, 4, 1280)
    assert model.count_params() == 4_049_571 + 1280 * 3 + 3


# ---- argument validation --------------------------------------------------------------

@pytest.mark.parametrize("fn", [xception.Xception, efficientnet.EfficientNetB0])
def test_value_errors(fn, tmp_path):
    with pytest.raises(ValueError, match="classes` should be 1000"):
        fn(weights="imagenet", classes=10)
    with pytest.raises(ValueError, match="`weights` argument should be"):
        fn(weights=str(tmp_path / "missing.h5"))
    with pytest.raises(ValueError, match="input_shape` should be"):
        fn(weights="imagenet", include_top=True, input_shape=(100, 100, 3))
    with pytest.raises(ValueError, match="Input size must be at least"):
        fn(weights=None, include_top=False, input_shape=(16, 16, 3))
    with pytest.raises(ValueError, match="3 channels"):
        fn(weights="imagenet", include_top=False, input_shape=(100, 100, 1))
    with pytest.raises(ValueError, match="three integers"):
        fn(weights=None, include_top=False, input_shape=(100, 100))
    with pytest.raises(ValueError, match="static `input_shape`"):
        fn(weights=None, include_top=True, input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="classifier_activation"):
        fn(weights="imagenet", classifier_activation="relu")


def test_imagenet_utils():
    assert imagenet_utils.obtain_input_shape(None, 299, 71, "channels_last", False) == \
        (None, None, 3)
    assert imagenet_utils.obtain_input_shape(None, 299, 71, "channels_last", True) == \
        (299, 299, 3)
    inp = layers.Input(shape=(8, 9, 3))
    assert imagenet_utils.correct_pad(inp, 3) == ((0, 1), (1, 1))
    assert imagenet_utils.correct_pad(inp, 5) == ((1, 2), (2, 2))
    x = np.array([[[10.0, 20.0, 30.0]]], dtype="float32")
    np.testing.assert_allclose(imagenet_utils.preprocess_input(x.copy(), mode="caffe"),
                               [[[30 - 103.939, 20 - 116.779, 10 - 123.68]]], rtol=1e-5)
    np.testing.assert_allclose(
        imagenet_utils.preprocess_input(x.copy(), mode="torch"),
        [[[(10 / 255 - 0.485) / 0.229, (20 / 255 - 0.456) / 0.224,
           (30 / 255 - 0.406) / 0.225]]], rtol=1e-5)
    t = imagenet_utils.preprocess_input(keras.tf.constant(x), mode="caffe")
    np.testing.assert_allclose(np.asarray(t), [[[30 - 103.939, 20 - 116.779, 10 - 123.68]]],
                               rtol=1e-5)


# ---- weights: a file path, and 'imagenet' through get_file from a loopback server -----

class _Server:
    def __init__(self, directory):
        handler = functools.partial(_QuietHandler, directory=str(directory))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _md5(path):
    return hashlib.md5(open(path, "rb").read()).hexdigest()


def _assert_same_weights(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        np.testing.assert_array_equal(x, y)


def test_efficientnet_imagenet_download(tmp_path, monkeypatch, en_notop):
    serve = tmp_path / "serve"
    serve.mkdir()
    fname = "efficientnetb0_notop.h5"
    en_notop.save_weights(str(serve / fname))
    monkeypatch.setenv("MINIKERAS_HOME", str(tmp_path / "home"))
    monkeypatch.setitem(efficientnet.WEIGHTS_HASHES, "b0",
                        (efficientnet.WEIGHTS_HASHES["b0"][0], _md5(serve / fname)))
    server = _Server(serve)
    try:
        monkeypatch.setattr(efficientnet, "BASE_WEIGHTS_PATH", server.url)
        m = efficientnet.EfficientNetB0(include_top=False, weights="imagenet",
                                        input_shape=(40, 40, 3))
    finally:
        server.close()
    assert os.path.exists(tmp_path / "home" / "models" / fname)
    _assert_same_weights(m, en_notop)
    # a wrong hash: the download is refused
    monkeypatch.setitem(efficientnet.WEIGHTS_HASHES, "b0", ("0" * 32, "0" * 32))
    server = _Server(serve)
    try:
        monkeypatch.setenv("MINIKERAS_HOME", str(tmp_path / "home2"))
        monkeypatch.setattr(efficientnet, "BASE_WEIGHTS_PATH", server.url)
        with pytest.raises(ValueError):
            efficientnet.EfficientNetB0(include_top=False, weights="imagenet",
                                        input_shape=(40, 40, 3))
    finally:
        server.close()


def test_xception_imagenet_download_and_path(tmp_path, monkeypatch, xc_notop):
    serve = tmp_path / "serve"
    serve.mkdir()
    fname = xception.WEIGHTS_FILES[False][0]
    assert fname == "xception_weights_tf_dim_ordering_tf_kernels_notop.h5"
    xc_notop.save_weights(str(serve / fname))
    monkeypatch.setenv("MINIKERAS_HOME", str(tmp_path / "home"))
    monkeypatch.setitem(xception.WEIGHTS_FILES, False, (fname, _md5(serve / fname)))
    server = _Server(serve)
    try:
        monkeypatch.setattr(xception, "BASE_WEIGHTS_PATH", server.url)
        m = xception.Xception(include_top=False, weights="imagenet", input_shape=(80, 80, 3))
    finally:
        server.close()
    _assert_same_weights(m, xc_notop)
    # a file path as `weights`
    m2 = xception.Xception(include_top=False, weights=str(serve / fname))
    _assert_same_weights(m2, xc_notop)


def test_official_urls():
    assert xception.TF_WEIGHTS_PATH == (
        "https://storage.googleapis.com/tensorflow/keras-applications/xception/"
        "xception_weights_tf_dim_ordering_tf_kernels.h5")
    assert efficientnet.BASE_WEIGHTS_PATH == "https://storage.googleapis.com/keras-applications/"
    assert efficientnet.WEIGHTS_HASHES["b0"] == ("902e53a9f72be733fc0bcb005b3ebbac",
                                                 "50bc09e76180e00e4465e1a485ddc09d")


def test_decode_predictions_downloads_the_class_index(tmp_path, monkeypatch):
    import json
    from minikeras.applications import imagenet_utils
    serve = tmp_path / "serve"
    serve.mkdir()
    index = {str(i): [f"n{i:08d}", f"class_{i}"] for i in range(1000)}
    (serve / "imagenet_class_index.json").write_text(json.dumps(index))
    monkeypatch.setenv("MINIKERAS_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX", None)
    monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_HASH",
                        _md5(serve / "imagenet_class_index.json"))
    server = _Server(serve)
    try:
        monkeypatch.setattr(imagenet_utils, "CLASS_INDEX_PATH",
                            server.url + "imagenet_class_index.json")
        preds = np.zeros((2, 1000), np.float32)
        preds[0, [3, 7, 1]] = [0.5, 0.3, 0.2]
        preds[1, 999] = 1.0
        out = imagenet_utils.decode_predictions(preds, top=3)
    finally:
        server.close()
    assert [(c, n) for c, n, _ in out[0]] == [("n00000003", "class_3"), ("n00000007", "class_7"),
                                              ("n00000001", "class_1")]
    assert out[1][0][:2] == ("n00000999", "class_999") and out[1][0][2] == 1.0
    with pytest.raises(ValueError, match="expects a batch of predictions"):
        imagenet_utils.decode_predictions(np.zeros((2, 10)))
