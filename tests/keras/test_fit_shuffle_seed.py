"""fit(shuffle=True) draws its batch orders from tf.random (as tf.keras's tf.random.shuffle):
tf.random.set_seed makes a training run repeatable."""
import numpy as np

from minikeras import Sequential, layers, tf
from minikeras.trainers.data_adapters import ArrayDataAdapter


def _train(seed, shuffle=True):
    x = np.linspace(-1, 1, 64 * 3, dtype=np.float32).reshape(64, 3)
    y = (x.sum(axis=1) > 0).astype(np.int32)
    tf.random.set_seed(seed)
    m = Sequential([layers.InputLayer(3), layers.Dense(8, 'relu'), layers.Dense(2)])
    m.compile(loss='sparse_categorical_crossentropy', optimizer='sgd')
    h = m.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=shuffle)
    return h.history['loss'], m.get_weights()


def test_set_seed_makes_shuffled_fit_repeatable():
    (l1, w1), (l2, w2) = _train(0), _train(0)
    assert l1 == l2
    for a, b in zip(w1, w2):
        np.testing.assert_array_equal(a, b)


def test_batch_orders_follow_the_seed():
    x = np.arange(20, dtype=np.float32).reshape(20, 1)

    def orders(seed, shuffle):
        tf.random.set_seed(seed)
        ad = ArrayDataAdapter(x, batch_size=4, shuffle=shuffle)
        return [np.concatenate([np.asarray(b[0]).ravel() for b in ad.get_iterator()]) for _ in range(2)]

    a, b = orders(1, True), orders(1, True)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], a[1])                     # a new order each epoch
    assert sorted(a[0].tolist()) == list(range(20))            # a permutation
    c = orders(1, "batch")[0].reshape(5, 4)                    # whole batches shuffled, kept intact
    assert sorted(c[:, 0].tolist()) == [0, 4, 8, 12, 16]
    np.testing.assert_array_equal(c - c[:, :1], np.tile(np.arange(4), (5, 1)))
