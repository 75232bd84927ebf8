"""keras.utils.to_categorical and keras.utils.normalize (numpy in, numpy out, as tf.keras 2.5)."""
import numpy as np

__all__ = ["to_categorical", "normalize"]


def to_categorical(y, num_classes=None, dtype="float32"):
    """Converts a class vector (integers) to a binary class matrix (one-hot).

    y of shape (N,) or (N, 1) gives (N, num_classes); any other shape (..., ) gives
    (..., num_classes) (a trailing axis of size 1 is dropped first). num_classes defaults to
    max(y) + 1.

    >>> to_categorical([0, 1, 2, 3], num_classes=4)
    array([[1., 0., 0., 0.],
           [0., 1., 0., 0.],
           [0., 0., 1., 0.],
           [0., 0., 0., 1.]], dtype=float32)
    """
    y = np.array(y, dtype="int")
    input_shape = y.shape
    if input_shape and input_shape[-1] == 1 and len(input_shape) > 1:
        input_shape = tuple(input_shape[:-1])
    y = y.ravel()
    if not num_classes:
        if y.size == 0:
            raise ValueError("to_categorical: cannot infer num_classes from an empty y; pass num_classes")
        num_classes = int(np.max(y)) + 1
    num_classes = int(num_classes)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        bad = y[(y < 0) | (y >= num_classes)][0]
        raise IndexError("to_categorical: label %d is out of range for num_classes=%d "
                         "(labels must be in [0, %d))" % (bad, num_classes, num_classes))
    n = y.shape[0]
    categorical = np.zeros((n, num_classes), dtype=dtype)
    categorical[np.arange(n), y] = 1
    output_shape = tuple(input_shape) + (num_classes,)
    return np.reshape(categorical, output_shape)


def normalize(x, axis=-1, order=2):
    """Normalizes a numpy array along `axis` by its `order`-norm (zero-norm slices are left as is)."""
    x = np.asarray(x)
    l2 = np.atleast_1d(np.linalg.norm(x, order, axis))
    l2[l2 == 0] = 1
    return x / np.expand_dims(l2, axis)
