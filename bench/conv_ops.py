"""Micro-benchmark of the conv family (not a test): the keras-io MNIST convnet's two Conv2D
layers at batch 128 (each C op, and forward+backward through the layers under a tape), and a
MobileNet-like 3x3 depthwise layer.  Reports the best of several runs (wall clock).

    python bench/conv_ops.py            # OMP_NUM_THREADS=2 to pin the thread count
"""
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from minikeras import _core, layers, tf  # noqa: E402

O = _core.ops
rng = np.random.default_rng(0)


def T(a):
    return _core.from_buffer(np.ascontiguousarray(a, np.float32))


def best_ms(f, n=10):
    f()
    best = 1e9
    for _ in range(n):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best * 1e3


def main():
    N = 128
    x1, w1 = T(rng.standard_normal((N, 28, 28, 1))), T(rng.standard_normal((3, 3, 1, 32)))
    dy1 = T(rng.standard_normal((N, 26, 26, 32)))
    x2, w2 = T(rng.standard_normal((N, 13, 13, 32))), T(rng.standard_normal((3, 3, 32, 64)))
    dy2 = T(rng.standard_normal((N, 11, 11, 64)))
    v = (1, 1, 1, 1, 0)
    r = {
        "conv1 forward   [128,28,28,1]*[3,3,1,32]": best_ms(lambda: O["conv2d"](x1, w1, ints=v)),
        "conv1 backprop_filter": best_ms(lambda: O["conv2d_backprop_filter"](x1, dy1, ints=v + (3, 3, 1))),
        "conv2 forward   [128,13,13,32]*[3,3,32,64]": best_ms(lambda: O["conv2d"](x2, w2, ints=v)),
        "conv2 backprop_filter": best_ms(lambda: O["conv2d_backprop_filter"](x2, dy2, ints=v + (3, 3, 32))),
        "conv2 backprop_input": best_ms(lambda: O["conv2d_backprop_input"](dy2, w2, ints=v + (13, 13, 32))),
    }
    for k, t in r.items():
        print(f"{k:48s} {t:7.2f} ms")
    print(f"{'sum of the five ops':48s} {sum(r.values()):7.2f} ms")

    xa = tf.constant(rng.random((N, 28, 28, 1), dtype=np.float32))
    xb = tf.constant(rng.random((N, 13, 13, 32), dtype=np.float32))
    c1, c2 = layers.Conv2D(32, 3, activation="relu"), layers.Conv2D(64, 3, activation="relu")
    c1(xa), c2(xb)
    ws = c1.trainable_weights + c2.trainable_weights

    def step():
        with tf.GradientTape() as tape:
            tape.watch(xb)
            loss = tf.reduce_sum(c1(xa)) + tf.reduce_sum(c2(xb))
        return tape.gradient(loss, ws + [xb])
    print(f"{'Conv2D layers fwd+bwd (bias, relu), eager':48s} {best_ms(step):7.2f} ms")
    fstep = tf.function(step)
    print(f"{'Conv2D layers fwd+bwd (bias, relu), tf.function':48s} {best_ms(fstep):7.2f} ms")

    xd, wd = T(rng.standard_normal((32, 56, 56, 128))), T(rng.standard_normal((3, 3, 128, 1)))
    dyd = T(rng.standard_normal((32, 56, 56, 128)))
    s = (1, 1, 1, 1, 1)
    print(f"{'depthwise 3x3 [32,56,56,128] forward':48s} {best_ms(lambda: O['depthwise_conv2d'](xd, wd, ints=s)):7.2f} ms")
    print(f"{'depthwise backprop_input':48s} "
          f"{best_ms(lambda: O['depthwise_conv2d_backprop_input'](dyd, wd, ints=s + (56, 56, 128))):7.2f} ms")
    print(f"{'depthwise backprop_filter':48s} "
          f"{best_ms(lambda: O['depthwise_conv2d_backprop_filter'](xd, dyd, ints=s + (3, 3, 1))):7.2f} ms")


if __name__ == "__main__":
    main()
