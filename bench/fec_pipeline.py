"""tf.data benchmark: the course's FEC input pipeline (section 11) run by minikeras and by
TensorFlow CPU (tf.data) in the same run, on the same files.  Nothing is asserted: the ratios
are printed beside the target.

    make bench-data      (or: .venv/bin/python bench/fec_pipeline.py [--triplets 3000] [--passes 3])

The pipeline is the course's code, one text for both frameworks (`tf` is tensorflow in one
subprocess and minikeras.tf in the other):

    Dataset.from_tensor_slices((df.face1, df.face2, df.face3, df.votes1, df.votes2, df.votes3))
      .map(process_triplet)          # read_file + decode_jpeg(channels=3) + resize to 160x160,
                                     # three faces stacked: ((3, 160, 160, 3) float32, (3,))
      .unbatch().batch(3 * 64, drop_remainder=True)

in two variants: `plain` (the course's .map(process_triplet)) and `autotune`
(.map(process_triplet, num_parallel_calls=tf.data.AUTOTUNE)).  It runs over the train subset of
a SYNTHETIC FEC-format dataset written by tools/make_fec.py (112x112 JPEGs of drawn faces) into a
temporary folder, or over --data DIR (any folder in FEC's layout, e.g. the real FEC data).

Measured: images per second (images in the batches / wall time of a full pass, iterating the
dataset in Python as a training loop would), the median of passes 2..N (pass 1 warms up the
file cache and traces the map function); target: minikeras >= 1.0x tf.data's images/s.
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
BATCH_SIZE = 64
VARIANTS = ("plain", "autotune")

# ------------------------------------------------------------------ the course's code
# `tf` is set by the worker: tensorflow, or minikeras.tf.  Nothing below names either.
tf = None


def dataframe_to_dataset(df):
    return tf.data.Dataset.from_tensor_slices(
        (df.face1, df.face2, df.face3,
         df.votes1, df.votes2, df.votes3)
    )


def read_and_resize_image(id):
    path = 'images_cropped/' + tf.strings.as_string(id) + '.jpg'
    image = tf.image.decode_jpeg(tf.io.read_file(path), channels=3)
    image = tf.image.resize(image, (160, 160))
    return image


def process_triplet(face1, face2, face3, votes1, votes2, votes3):
    img1 = read_and_resize_image(face1)
    img2 = read_and_resize_image(face2)
    img3 = read_and_resize_image(face3)
    return tf.stack([img1, img2, img3], axis=0), \
        tf.stack([votes1, votes2, votes3], axis=0)


def make_pipeline(df, variant):
    dataset = dataframe_to_dataset(df[df.subset == 'train'])
    if variant == "plain":
        dataset = dataset.map(process_triplet)
    else:
        dataset = dataset.map(process_triplet, num_parallel_calls=tf.data.AUTOTUNE)
    batch_size = BATCH_SIZE
    return dataset.unbatch().batch(3 * batch_size, drop_remainder=True)
# ------------------------------------------------------------------


def worker(args):
    global tf
    if args.worker == "minikeras":
        _, tf, version = tb.mk_import()
    else:
        tf, version = tb.tf_import()
    import pandas as pd
    df = pd.read_csv('labels.csv')          # cwd: the dataset folder
    out = {"framework": args.worker, "version": version, "variants": {}}
    for variant in args.variants.split(","):
        ds = make_pipeline(df, variant)
        n_batches = len(ds)
        passes = []
        meter = tb.CpuMeter()
        for p in range(args.passes):
            meter.start()
            t0 = time.perf_counter()
            images = 0
            first = None
            for x, y in ds:
                if first is None:
                    first = (list(x.shape), str(x.dtype.name), list(y.shape),
                             float(x.numpy().max()))
                images += int(x.shape[0])
            wall = time.perf_counter() - t0
            others, own = meter.stop()
            passes.append({"pass": p + 1, "seconds": wall, "images": images,
                           "others_cores": others, "own_cores": own})
        out["variants"][variant] = {"len": n_batches, "first_batch": first, "passes": passes}
    with open(args.json_out, "w") as f:
        json.dump(out, f)
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", help="an FEC-format folder (labels.csv, images_cropped/); "
                    "default: a temporary SYNTHETIC one from tools/make_fec.py")
    ap.add_argument("--triplets", type=int, default=3000,
                    help="triplets of the generated dataset (default 3000; 90%% train)")
    ap.add_argument("--passes", type=int, default=3, help="passes per variant (the first is "
                    "left out of the timing); default 3")
    ap.add_argument("--variants", default=",".join(VARIANTS),
                    help="comma-separated: plain (the course's map), autotune "
                         "(num_parallel_calls=tf.data.AUTOTUNE)")
    tb.add_common_args(ap)
    args = ap.parse_args()
    if args.worker:
        return worker(args)

    print("minikeras tf.data benchmark: the course's FEC pipeline (read_file + decode_jpeg + "
          "resize to 160 + unbatch + batch %d) against TensorFlow's tf.data on this CPU"
          % (3 * BATCH_SIZE))
    print(tb.machine_line())
    report = {"load": [tb.load_report("at start")]}
    tfpy = None
    if not args.skip_tf:
        tfpy = tb.ensure_tf_venv(os.path.abspath(args.tf_venv or tb.default_tf_venv()),
                                 extras=(("pandas", "pandas"),))
        if tfpy is None:
            print("  TensorFlow is not available: minikeras numbers only (no ratio)")
    tmp = None
    results = []
    try:
        if args.data:
            data = os.path.abspath(args.data)
            print("  data: %s" % data)
        else:
            tmp = tempfile.mkdtemp(prefix="minikeras-fecbench-")
            data = os.path.join(tmp, "fec")
            sys.path.insert(0, os.path.join(tb.ROOT, "tools"))
            import make_fec
            info = make_fec.make_fec(data, triplets=args.triplets, test_fraction=0.1, seed=0,
                                     verbose=False)
            print("  data: SYNTHETIC FEC-format dataset from tools/make_fec.py (not Google's "
                  "FEC): %d train triplets, %d face JPEGs of 112x112" % (info["train"],
                                                                         info["faces"]))
        wargs = ["--passes", str(args.passes), "--variants", args.variants]
        out = os.path.join(tmp or tempfile.gettempdir(), "fec-result-%d.json" % os.getpid())
        for _ in range(args.rounds):
            if not args.skip_mk:
                r = tb.run_worker(sys.executable, tb.mk_env(), "minikeras", __file__, wargs,
                                  out, cwd=data, label="FEC pipeline")
                if r:
                    results.append(r)
            if tfpy:
                report["load"].append(tb.load_report("between the runs"))
                r = tb.run_worker(tfpy, tb.clean_env(), "tensorflow", __file__, wargs, out,
                                  cwd=data, label="FEC pipeline")
                if r:
                    results.append(r)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    report["runs"] = results
    if not results:
        print("no framework ran")
        return 1
    print()
    rates, best = {}, {}
    for variant in args.variants.split(","):
        for name in ("minikeras", "tensorflow"):
            runs = [r["variants"][variant] for r in results
                    if r["framework"] == name and variant in r["variants"]]
            if not runs:
                continue
            steady = [p for r in runs for p in (r["passes"][1:] or r["passes"])]
            ips = statistics.median([p["images"] / p["seconds"] for p in steady])
            busy = [p["others_cores"] for p in steady if p["others_cores"] is not None]
            rates[(variant, name)] = ips
            best[(variant, name)] = max(p["images"] / p["seconds"] for p in steady)
            fb = runs[0]["first_batch"]
            print("  %-9s %-10s %8.0f images/s (best %.0f)  (%d batches/pass = len(dataset); pass 1 %.2f s,"
                  " later %s s; others' cores %s)  first batch %s %s, votes %s, max %.1f"
                  % (variant, name, ips, best[(variant, name)], runs[0]["len"], runs[0]["passes"][0]["seconds"],
                     " ".join("%.2f" % p["seconds"] for p in steady),
                     " ".join("%.2f" % b for b in busy), tuple(fb[0]), fb[1], tuple(fb[2]),
                     fb[3]))
    print("  versions: %s" % "; ".join(sorted({r["version"] for r in results})))
    report["images_per_second"] = {"%s/%s" % k: v for k, v in rates.items()}
    for variant in args.variants.split(","):
        if (variant, "minikeras") in rates and (variant, "tensorflow") in rates:
            ratio = rates[(variant, "minikeras")] / rates[(variant, "tensorflow")]
            report["ratio_" + variant] = ratio
            print(tb.ratio_line("images/s, minikeras / tf.data (%s):" % variant, ratio, TARGET,
                                True))
            rb = best[(variant, "minikeras")] / best[(variant, "tensorflow")]
            report["ratio_best_" + variant] = rb
            print(tb.ratio_line("same, best pass of each (%s):" % variant, rb, TARGET, True))
    report["load"].append(tb.load_report("at the end"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
