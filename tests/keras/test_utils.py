"""keras.utils.to_categorical / normalize / set_random_seed."""
import random

import numpy as np
import pytest

from minikeras import tf
from minikeras.utils.np_utils import normalize, to_categorical
from minikeras.utils.random_utils import set_random_seed


def test_to_categorical_docstring_example():
    a = to_categorical([0, 1, 2, 3], num_classes=4)
    assert a.dtype == np.float32
    np.testing.assert_array_equal(a, np.eye(4, dtype=np.float32))


@pytest.mark.parametrize("shape", [(6,), (6, 1)])
def test_to_categorical_vector_shapes(shape):
    y = np.array([2, 0, 1, 2, 1, 0]).reshape(shape)
    out = to_categorical(y)
    assert out.shape == (6, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out, np.eye(3, dtype=np.float32)[y.ravel()])
    out = to_categorical(y, num_classes=5, dtype="int64")
    assert out.shape == (6, 5) and out.dtype == np.int64
    np.testing.assert_array_equal(out.argmax(-1), y.ravel())


def test_to_categorical_higher_rank_and_uint8():
    y = np.array([[1, 2], [0, 1], [2, 2]], dtype=np.uint8)  # MNIST labels come as uint8
    out = to_categorical(y, 3)
    assert out.shape == (3, 2, 3)
    np.testing.assert_array_equal(out, np.eye(3)[y])
    y3 = np.array([[[1], [0]]])  # (1, 2, 1) -> (1, 2, 2)
    assert to_categorical(y3).shape == (1, 2, 2)
    assert to_categorical(np.array(3), 5).shape == (5,)  # scalar


def test_to_categorical_tensor_input():
    out = to_categorical(tf.constant([1, 0, 3]), num_classes=4)
    np.testing.assert_array_equal(out, np.eye(4, dtype=np.float32)[[1, 0, 3]])


def test_to_categorical_out_of_range():
    with pytest.raises(IndexError, match="num_classes=3"):
        to_categorical([0, 3], num_classes=3)
    with pytest.raises(IndexError):
        to_categorical([0, -1], num_classes=3)
    assert to_categorical(np.zeros((0,), int), 3).shape == (0, 3)


def test_normalize():
    rng = np.random.RandomState(0)
    x = rng.randn(4, 5)
    x[2] = 0
    out = normalize(x)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    norms[norms == 0] = 1
    np.testing.assert_allclose(out, x / norms)
    np.testing.assert_array_equal(out[2], 0)
    np.testing.assert_allclose(np.linalg.norm(out[[0, 1, 3]], axis=1), 1.0)
    np.testing.assert_allclose(normalize(x, axis=0), x / np.linalg.norm(x, axis=0, keepdims=True))
    l1 = np.abs(x).sum(-1, keepdims=True)
    np.testing.assert_allclose(normalize(x, order=1), x / np.where(l1 == 0, 1, l1))
    np.testing.assert_allclose(normalize([3.0, 4.0]), [[0.6, 0.8]])


def test_set_random_seed():
    def draw():
        return (random.random(), np.random.rand(3), np.asarray(tf.random.uniform((4,))))

    set_random_seed(123)
    a = draw()
    b = draw()
    set_random_seed(123)
    c = draw()
    assert a[0] == c[0]
    np.testing.assert_array_equal(a[1], c[1])
    np.testing.assert_array_equal(a[2], c[2])
    assert a[0] != b[0] and not np.array_equal(a[2], b[2])
    set_random_seed(np.int64(7))
    for bad in (1.5, "3", None):
        with pytest.raises(ValueError, match="integer"):
            set_random_seed(bad)
