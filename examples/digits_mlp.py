"""`make demo`: a two-layer network written directly with tf.Variable and
tf.GradientTape (no Keras layers yet), trained on scikit-learn's bundled
handwritten digits and evaluated on held-out digits.

Data: sklearn.datasets.load_digits -- 1,797 real 8x8 grayscale images of the
digits 0-9 (the UCI "optical recognition of handwritten digits" test set),
shipped inside the scikit-learn wheel, so no download is needed."""
import os
import sys
import time

import numpy as np
from sklearn.datasets import load_digits

# run against this checkout's in-place build (make demo also installs it editable)
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "python"))
from minikeras import tf  # noqa: E402

EPOCHS = 20
BATCH = 64
HIDDEN = 128
LEARNING_RATE = 0.1
TARGET = 0.90


def load_data(seed=0):
    digits = load_digits()
    x = (digits.data / 16.0).astype(np.float32)         # pixel values 0..16 -> 0..1
    y = digits.target.astype(np.int32)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = len(x) // 5                                  # 80/20 split
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def main():
    t_start = time.perf_counter()
    x_train, y_train, x_test, y_test = load_data()
    print("minikeras demo: a two-layer network (64 -> %d ReLU -> 10) written with tf.Variable, "
          "tf.GradientTape and tf.function" % HIDDEN)
    print("data: scikit-learn's bundled digits (sklearn.datasets.load_digits): real 8x8 "
          "grayscale images of handwritten digits 0-9;")
    print("      %d training images, %d held-out test images" % (len(x_train), len(x_test)))

    tf.random.set_seed(0)
    n_in, n_out = x_train.shape[1], 10
    w1 = tf.Variable(tf.random.normal([n_in, HIDDEN], stddev=np.sqrt(2.0 / n_in)), name="w1")
    b1 = tf.Variable(tf.zeros([HIDDEN]), name="b1")
    w2 = tf.Variable(tf.random.normal([HIDDEN, n_out], stddev=np.sqrt(1.0 / HIDDEN)), name="w2")
    b2 = tf.Variable(tf.zeros([n_out]), name="b2")
    params = [w1, b1, w2, b2]

    def forward(x):
        h = tf.nn.relu(tf.matmul(x, w1) + b1)
        return tf.matmul(h, w2) + b2

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = forward(x)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        grads = tape.gradient(loss, params)
        for p, g in zip(params, grads):
            p.assign_sub(LEARNING_RATE * g)
        return loss

    @tf.function
    def predict(x):
        return tf.argmax(forward(x), axis=1, output_type=tf.int32)

    rng = np.random.default_rng(1)
    n_batches = len(x_train) // BATCH                    # drop the ragged last batch
    print("training: %d epochs of %d minibatches of %d, SGD learning rate %g"
          % (EPOCHS, n_batches, BATCH, LEARNING_RATE))
    t_train = time.perf_counter()
    for epoch in range(1, EPOCHS + 1):
        order = rng.permutation(len(x_train))
        losses = []
        for i in range(n_batches):
            idx = order[i * BATCH:(i + 1) * BATCH]
            losses.append(float(train_step(x_train[idx], y_train[idx])))
        print("  epoch %2d  loss %.4f" % (epoch, np.mean(losses)))
    train_time = time.perf_counter() - t_train

    pred = np.asarray(predict(x_test))
    accuracy = float(np.mean(pred == y_test))
    print("test accuracy: %.2f%% on %d held-out digits (target >= %d%%)"
          % (100 * accuracy, len(y_test), round(100 * TARGET)))
    print("time: %.2f s training, %.2f s in all" % (train_time, time.perf_counter() - t_start))
    if accuracy < TARGET:
        print("FAILED: accuracy below target", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
