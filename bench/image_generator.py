"""ImageDataGenerator benchmark: the course's augmenting flow_from_directory (section 9) run by
minikeras and by tf.keras (TensorFlow CPU) in the same run, on the same folder.  Nothing is
asserted: the ratio is printed beside the target.

    make bench-datagen   (or: .venv/bin/python bench/image_generator.py [--epochs 3])

The code is the course's, one text for both frameworks (`keras` is tf.keras in one subprocess
and minikeras in the other):

    train_datagen = keras.preprocessing.image.ImageDataGenerator(
        horizontal_flip=True, rotation_range=10, shear_range=0.2, brightness_range=(0.8, 1.2))
    train_generator = train_datagen.flow_from_directory(
        'train', target_size=(128, 128), batch_size=32, class_mode='categorical', shuffle=True)
    for _ in range(len(train_generator)): X, y = next(train_generator)

over the train split of a SYNTHETIC beans-like folder written by tools/make_beans.py (1,034
JPEGs of 500x500 drawn leaves, as the real beans train split; cached in the temp folder across
runs), or over --data DIR (a folder with train/<class>/*.jpg, e.g. the real beans data).
TensorFlow 2.21's tf.keras is Keras 3, whose ImageDataGenerator is the legacy keras_preprocessing
code (PIL decode + scipy.ndimage affine transform, one thread); minikeras's decodes with Pillow's
JPEG draft mode (see minikeras.preprocessing.image.JPEG_DRAFT) and transforms a batch on a thread
pool.

Measured: images per second over one epoch (len(generator) batches), the median of epochs 2..N
(epoch 1 warms up the file cache); target: minikeras >= 1.0x tf.keras's images/s.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import _tfbench as tb  # noqa: E402

TARGET = 1.0


def run_generator(keras, epochs, records):
    """The course's generator (section 9), the same code for tf.keras and minikeras."""
    ImageDataGenerator = keras.preprocessing.image.ImageDataGenerator
    train_datagen = ImageDataGenerator(
        #rescale=1/255,
        horizontal_flip=True,
        rotation_range=10,
        shear_range=0.2,
        brightness_range=(0.8, 1.2),
    )
    train_generator = train_datagen.flow_from_directory(
        'train',
        target_size=(128, 128),
        batch_size=32,
        class_mode='categorical',
        shuffle=True,
    )
    meter = tb.CpuMeter()
    first = None
    for epoch in range(epochs):
        meter.start()
        t0 = time.perf_counter()
        images = 0
        for _ in range(len(train_generator)):
            X, y = next(train_generator)
            images += len(X)
            if first is None:
                first = (list(X.shape), str(X.dtype), list(y.shape), float(X.max()))
        wall = time.perf_counter() - t0
        others, own = meter.stop()
        records.append({"epoch": epoch + 1, "seconds": wall, "images": images,
                        "others_cores": others, "own_cores": own})
    return len(train_generator), train_generator.n, first


def worker(args):
    if args.worker == "minikeras":
        keras, _, version = tb.mk_import()
    else:
        tf, version = tb.tf_import()
        keras = tf.keras
    records = []
    n_batches, n, first = run_generator(keras, args.epochs, records)
    with open(args.json_out, "w") as f:
        json.dump({"framework": args.worker, "version": version, "len": n_batches, "n": n,
                   "first_batch": first, "epochs": records}, f)
    return 0


def beans_folder(per_class):
    """A cached SYNTHETIC beans folder (train split only) in the temp folder."""
    sys.path.insert(0, os.path.join(tb.ROOT, "tools"))
    import make_beans
    counts = make_beans.FULL_COUNTS["train"] if per_class is None else (per_class,) * 3
    d = os.path.join(tempfile.gettempdir(), "minikeras-bench-beans-500-%s" %
                     "-".join(map(str, counts)))
    done = os.path.join(d, ".complete")
    if not os.path.exists(done):
        print("  writing a SYNTHETIC beans-like train folder (tools/make_beans.py, %d JPEGs "
              "of 500x500; once, cached in %s)" % (sum(counts), d), flush=True)
        t0 = time.perf_counter()
        make_beans.make_beans(d, {"train": counts}, size=500, seed=0, verbose=False)
        open(done, "w").close()
        print("  (%.1f s)" % (time.perf_counter() - t0))
    return d


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="a folder holding train/<class>/*.jpg; default: a cached "
                    "SYNTHETIC one from tools/make_beans.py")
    ap.add_argument("--per-class", type=int, default=None,
                    help="images per class of the generated folder (default: the real "
                         "split's 345/348/341)")
    ap.add_argument("--epochs", type=int, default=3, help="epochs per run (the first is left "
                    "out of the timing); default 3")
    tb.add_common_args(ap)
    args = ap.parse_args()
    if args.worker:
        return worker(args)

    print("minikeras ImageDataGenerator benchmark: flow_from_directory(target_size=(128, 128), "
          "batch_size=32) with horizontal_flip, rotation_range=10, shear_range=0.2, "
          "brightness_range=(0.8, 1.2), against tf.keras on this CPU")
    print(tb.machine_line())
    report = {"load": [tb.load_report("at start")]}
    tfpy = None
    if not args.skip_tf:
        tfpy = tb.ensure_tf_venv(os.path.abspath(args.tf_venv or tb.default_tf_venv()),
                                 extras=(("pillow", "PIL"), ("scipy", "scipy")))
        if tfpy is None:
            print("  TensorFlow is not available: minikeras numbers only (no ratio)")
    data = os.path.abspath(args.data) if args.data else beans_folder(args.per_class)
    print("  data: %s/train" % data)
    out = os.path.join(tempfile.gettempdir(), "datagen-result-%d.json" % os.getpid())
    wargs = ["--epochs", str(args.epochs)]
    results = []
    for _ in range(args.rounds):
        if not args.skip_mk:
            r = tb.run_worker(sys.executable, tb.mk_env(), "minikeras", __file__, wargs, out,
                              cwd=data, label="flow_from_directory")
            if r:
                results.append(r)
        if tfpy:
            report["load"].append(tb.load_report("between the runs"))
            r = tb.run_worker(tfpy, tb.clean_env(), "tensorflow", __file__, wargs, out,
                              cwd=data, label="flow_from_directory")
            if r:
                results.append(r)
    report["runs"] = results
    if not results:
        print("no framework ran")
        return 1
    print()
    rates, best = {}, {}
    for name in ("minikeras", "tensorflow"):
        runs = [r for r in results if r["framework"] == name]
        if not runs:
            continue
        steady = [e for r in runs for e in (r["epochs"][1:] or r["epochs"])]
        ips = rates[name] = statistics.median([e["images"] / e["seconds"] for e in steady])
        best[name] = max(e["images"] / e["seconds"] for e in steady)
        fb = runs[0]["first_batch"]
        print("  %-10s %7.0f images/s (best %.0f)  (%d images, %d batches/epoch; epoch 1 %.2f s, later %s s;"
              " others' cores %s)  first batch %s %s, labels %s, max %.1f  [%s]"
              % (name, ips, best[name], runs[0]["n"], runs[0]["len"], runs[0]["epochs"][0]["seconds"],
                 " ".join("%.2f" % e["seconds"] for e in steady),
                 " ".join("?" if e["others_cores"] is None else "%.2f" % e["others_cores"]
                          for e in steady),
                 tuple(fb[0]), fb[1], tuple(fb[2]), fb[3], runs[0]["version"]))
    report["images_per_second"] = rates
    if "minikeras" in rates and "tensorflow" in rates:
        ratio = report["ratio"] = rates["minikeras"] / rates["tensorflow"]
        print(tb.ratio_line("images/s, minikeras / tf.keras:", ratio, TARGET, True))
        report["ratio_best"] = best["minikeras"] / best["tensorflow"]
        print(tb.ratio_line("same, best epoch of each:", report["ratio_best"], TARGET, True))
    report["load"].append(tb.load_report("at the end"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
