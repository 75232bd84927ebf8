"""layers.experimental.preprocessing.Rescaling (tf.keras 2.5), also layers.Rescaling."""
import numpy as np

import minikeras as keras
from minikeras import Sequential, layers, tf


def test_rescaling_uint8_and_float():
    r = layers.experimental.preprocessing.Rescaling(1 / 255)
    x = np.array([[0, 51, 255]], dtype=np.uint8)
    y = r(x)
    assert y.dtype.name == "float32"
    np.testing.assert_allclose(y.numpy(), x / 255, rtol=1e-6)
    np.testing.assert_allclose(r(x.astype("float64")).numpy(), x / 255, rtol=1e-6)
    y2 = layers.Rescaling(1 / 127.5, offset=-1)(x).numpy()
    np.testing.assert_allclose(y2, x / 127.5 - 1, rtol=1e-6, atol=1e-7)


def test_rescaling_in_model_gradient_and_save(tmp_path):
    r = layers.experimental.preprocessing.Rescaling(0.5, offset=1.0)
    m = Sequential([layers.InputLayer((3,)), r, layers.Dense(2)])
    assert m.layers[0].compute_output_shape((None, 3)) == (None, 3)
    assert m.count_params() == 8
    cfg = r.get_config()
    assert cfg["scale"] == 0.5 and cfg["offset"] == 1.0
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    path = str(tmp_path / "r.h5")
    m.save(path)
    m2 = keras.models.load_model(path)
    np.testing.assert_array_equal(m.predict(x), m2.predict(x))
    v = tf.Variable(np.ones(3, np.float32))
    with tf.GradientTape() as t:
        s = tf.reduce_sum(r(v))
    np.testing.assert_allclose(t.gradient(s, v).numpy(), [0.5, 0.5, 0.5])
