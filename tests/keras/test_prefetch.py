"""ordered_map keeps order, runs ahead by at most max_queue_size, propagates errors, and
fit with workers > 1 gives the same model as workers=1 on a Sequence."""
import threading
import time

import numpy as np
import pytest

from minikeras.trainers.prefetch import ordered_map


def test_order_kept_with_uneven_work():
    def slow(i):
        time.sleep(0.002 * ((7 * i) % 5))
        return i * i
    assert list(ordered_map(slow, range(40), workers=4, max_queue_size=6)) == \
        [i * i for i in range(40)]


def test_bounded_lookahead():
    started = []
    lock = threading.Lock()

    def fn(i):
        with lock:
            started.append(i)
        return i
    it = ordered_map(fn, range(100), workers=2, max_queue_size=5)
    assert next(it) == 0
    time.sleep(0.05)
    assert len(started) <= 7
    assert list(it) == list(range(1, 100))


def test_worker_error_is_raised_in_order():
    def fn(i):
        if i == 3:
            raise KeyError("bad item 3")
        return i
    got = []
    with pytest.raises(KeyError, match="bad item 3"):
        for v in ordered_map(fn, range(10), workers=3):
            got.append(v)
    assert got == [0, 1, 2]


def test_early_close_stops_the_pool():
    it = ordered_map(lambda i: i, range(10 ** 6), workers=2, max_queue_size=4)
    assert next(it) == 0
    it.close()


def test_fit_with_workers_matches_single_thread():
    import minikeras as keras
    from minikeras import layers

    class Seq(keras.utils.Sequence):
        def __init__(self):
            rng = np.random.default_rng(0)
            self.x = rng.normal(size=(64, 5)).astype("float32")
            self.y = (self.x @ np.arange(5, dtype="float32"))[:, None]
            self.seen = []

        def __len__(self):
            return 8

        def __getitem__(self, i):
            self.seen.append(i)
            time.sleep(0.001)
            return self.x[i * 8:(i + 1) * 8], self.y[i * 8:(i + 1) * 8]

    results = []
    for workers in (1, 3):
        keras.utils.set_random_seed(1)
        model = keras.Sequential([layers.Dense(1, input_shape=(5,))])
        model.compile(optimizer="sgd", loss="mse")
        seq = Seq()
        h = model.fit(seq, epochs=2, shuffle=False, workers=workers, verbose=0)
        assert sorted(seq.seen) == sorted(list(range(8)) * 2)
        results.append((h.history["loss"], model.get_weights()[0]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-6)
    pred = model.predict(Seq(), workers=2)
    assert pred.shape == (64, 1)
