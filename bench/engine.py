"""Engine benchmarks: every number is a RATIO against numpy (and numpy's own
OpenBLAS) measured in the same process, on this machine.  Nothing is asserted:
the targets are printed next to the measurements.

    make bench            (or: .venv/bin/python bench/engine.py [--quick])

Sections
  (a) float32 matmul 1024x1024x1024: throughput vs np.matmul       target >= 0.9x
  (b) add, multiply, relu, exp on 4M float32 elements vs numpy      target >= 1.0x
  (c) one op on 1-element tensors from Python vs np.add             target <= 1.5x numpy's time
  (d) traced train step of the course MLP (784-500-500-10, ReLU, softmax cross-entropy,
      Adam written with the engine's ops): step time, kernel time, replay overhead per op
      (target < 2 us/op) at batch 1024; traced vs eager at batch 32 (target >= 1.2x)
All times are medians of several repeats after warm-up."""
import argparse
import os
import platform
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))   # in-place build, as the tests

from minikeras import _core, tf  # noqa: E402

QUICK = False


def median_time(fn, repeats, number=1, warmup=2):
    """Median over `repeats` of the mean time of `number` calls (seconds per call)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


def interleaved(fns, repeats, number=1, warmup=2, spread=None):
    """Median times of several functions measured in alternation (cancels drift).
    If `spread` is a list, the interquartile range of each function's samples is appended."""
    for f in fns:
        for _ in range(warmup):
            f()
    samples = [[] for _ in fns]
    for _ in range(repeats):
        for i, f in enumerate(fns):
            t0 = time.perf_counter()
            for _ in range(number):
                f()
            samples[i].append((time.perf_counter() - t0) / number)
    if spread is not None:
        for s in samples:
            q = statistics.quantiles(s, n=4) if len(s) >= 2 else [s[0], s[0], s[0]]
            spread.append(q[2] - q[0])
    return [statistics.median(s) for s in samples]


def verdict(ok):
    return "meets target" if ok else "BELOW TARGET"


def fmt_us(s):
    return "%.2f us" % (s * 1e6)


def fmt_ms(s):
    return "%.3f ms" % (s * 1e3)


def header():
    print("minikeras engine benchmarks (ratios against numpy in this process)")
    print("  python %s, numpy %s, minikeras %s" % (platform.python_version(), np.__version__,
                                                   getattr(sys.modules["minikeras"], "__version__", "?")))
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    print("  cpu: %s, %d logical cores visible" % (cpu, os.cpu_count() or 0))
    print("  minikeras kernel threads (OpenMP): %d" % _core.get_num_threads())
    blas_env = ["%s=%s" % (k, v) for k, v in sorted(os.environ.items()) if k.startswith(("OPENBLAS_", "OMP_"))]
    if blas_env:
        print("  environment: %s" % " ".join(blas_env))
    try:
        load = os.getloadavg()[0]
        if load > 0.5 * (os.cpu_count() or 1):
            print("  WARNING: this machine is busy (load average %.1f on %d cores): other processes "
                  "compete for the cores, and multi-threaded timings (OpenMP barriers, BLAS threads) "
                  "can be many times slower than on an idle machine" % (load, os.cpu_count() or 0))
    except OSError:
        pass
    try:
        from threadpoolctl import threadpool_info
        for info in threadpool_info():
            if info.get("user_api") == "blas":
                path = info["filepath"]
                owner = ("numpy" if "numpy" in path else
                         "minikeras._core" if "scipy_openblas32" in path else path)
                print("  BLAS for %-15s %s %s, %s kernels, %d threads" % (
                    owner + ":", info.get("internal_api"), info.get("version"),
                    info.get("architecture"), info.get("num_threads")))
    except ImportError:
        pass
    print()


# ---------------------------------------------------------------------- (a)
def bench_matmul():
    n = 1024
    print("(a) matmul %dx%dx%d float32 (target >= 0.90x numpy's throughput)" % (n, n, n))
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=np.float32)
    b = rng.standard_normal((n, n), dtype=np.float32)
    ta, tb = tf.constant(a), tf.constant(b)
    err = np.max(np.abs(np.asarray(tf.matmul(ta, tb)) - a @ b)) / np.max(np.abs(a @ b))
    reps = 5 if QUICK else 15
    t_np, t_mk = interleaved([lambda: np.matmul(a, b), lambda: tf.matmul(ta, tb)], reps)
    flop = 2.0 * n ** 3
    ratio = t_np / t_mk
    print("    numpy     %8.3f ms  %6.1f GFLOP/s" % (t_np * 1e3, flop / t_np / 1e9))
    print("    minikeras %8.3f ms  %6.1f GFLOP/s   (max rel. difference to numpy %.1e)"
          % (t_mk * 1e3, flop / t_mk / 1e9, err))
    print("    ratio %.2fx numpy's throughput: %s" % (ratio, verdict(ratio >= 0.9)))
    print()
    return ratio


# ---------------------------------------------------------------------- (b)
def bench_elementwise():
    n = 4 * 1024 * 1024
    threads = _core.get_num_threads()
    print("(b) elementwise on %d float32 elements (4M), minikeras with %d OpenMP thread(s), "
          "numpy single-threaded (target >= 1.0x numpy's speed)" % (n, threads))
    rng = np.random.default_rng(1)
    x = rng.standard_normal(n, dtype=np.float32)
    y = rng.standard_normal(n, dtype=np.float32)
    tx, ty = tf.constant(x), tf.constant(y)
    relu = tf.nn.relu if hasattr(tf, "nn") else _core.ops["relu"]
    cases = [
        ("add", lambda: np.add(x, y), lambda: tf.add(tx, ty)),
        ("multiply", lambda: np.multiply(x, y), lambda: tf.multiply(tx, ty)),
        ("relu", lambda: np.maximum(x, 0), lambda: relu(tx)),
        ("exp", lambda: np.exp(x), lambda: tf.exp(tx)),
    ]
    reps = 7 if QUICK else 21
    ratios = {}
    for name, f_np, f_mk in cases:
        ok_vals = np.allclose(np.asarray(f_mk()), f_np(), rtol=1e-5, atol=1e-6)
        row = []
        for nt in ([threads, 1] if threads > 1 else [threads]):
            _core.set_num_threads(nt)
            t_np, t_mk = interleaved([f_np, f_mk], reps, number=3)
            row.append((nt, t_np, t_mk))
        _core.set_num_threads(threads)
        nt, t_np, t_mk = row[0]
        ratio = t_np / t_mk
        ratios[name] = ratio
        extra = ""
        if len(row) > 1:
            extra = "   [1 thread: %.3f ms, %.2fx]" % (row[1][2] * 1e3, row[1][1] / row[1][2])
        print("    %-9s numpy %7.3f ms   minikeras %7.3f ms   %.2fx %s%s%s" % (
            name, t_np * 1e3, t_mk * 1e3, ratio, verdict(ratio >= 1.0), extra,
            "" if ok_vals else "   (VALUES DIFFER)"))
    print()
    return ratios


# ---------------------------------------------------------------------- (c)
def bench_tiny_op():
    print("(c) one op on 1-element float32 tensors from Python (target <= 1.5x numpy's time)")
    a_np, b_np = np.ones(1, np.float32), np.full(1, 2.0, np.float32)
    a, b = tf.constant(a_np), tf.constant(b_np)
    raw = _core.ops["add"]
    number = 2000 if QUICK else 20000
    reps = 5 if QUICK else 11
    t_np, t_tf, t_raw, t_op = interleaved(
        [lambda: np.add(a_np, b_np), lambda: tf.add(a, b), lambda: raw(a, b), lambda: a + b],
        reps, number=number)
    ratio = t_tf / t_np
    print("    np.add       %s per call" % fmt_us(t_np))
    print("    tf.add       %s per call   %.2fx numpy's time: %s" % (fmt_us(t_tf), ratio,
                                                                      verdict(ratio <= 1.5)))
    print("    a + b        %s per call   (%.2fx)" % (fmt_us(t_op), t_op / t_np))
    print("    _core.ops['add'] %s per call (the C entry point itself)" % fmt_us(t_raw))
    print()
    return ratio, t_raw


# ---------------------------------------------------------------------- (d)
def make_mlp(sizes, seed=0, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-7):
    """The course MLP with Adam written with the engine's ops.  Returns (step, python_step)."""
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w = rng.standard_normal((fan_in, fan_out)).astype(np.float32) * np.float32(np.sqrt(2.0 / fan_in))
        params.append(tf.Variable(w))
        params.append(tf.Variable(np.zeros(fan_out, np.float32)))
    ms = [tf.Variable(np.zeros(p.shape, np.float32), trainable=False) for p in params]
    vs = [tf.Variable(np.zeros(p.shape, np.float32), trainable=False) for p in params]
    t = tf.Variable(0.0, trainable=False)

    def forward(x):
        h = x
        n_layers = len(params) // 2
        for i in range(n_layers):
            h = tf.matmul(h, params[2 * i]) + params[2 * i + 1]
            if i < n_layers - 1:
                h = tf.nn.relu(h)
        return h

    def step(x, y):
        with tf.GradientTape() as tape:
            logits = forward(x)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        grads = tape.gradient(loss, params)
        t.assign_add(1.0)
        lr_t = lr * tf.sqrt(1.0 - tf.pow(beta2, t)) / (1.0 - tf.pow(beta1, t))
        for p, g, m, v in zip(params, grads, ms, vs):
            m.assign(beta1 * m + (1.0 - beta1) * g)
            v.assign(beta2 * v + (1.0 - beta2) * tf.square(g))
            p.assign_sub(lr_t * m / (tf.sqrt(v) + eps))
        return loss

    return tf.function(step), step


def mlp_data(batch, n_in, n_out, seed=0):
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.standard_normal((batch, n_in)).astype(np.float32))
    y = tf.constant(rng.integers(0, n_out, batch).astype(np.int32))
    return x, y


def graph_of(step, x, y):
    return step.get_concrete_function(x, y).graph


def bench_train_step(t_dispatch):
    sizes = [784, 500, 500, 10]
    print("(d) traced train step: MLP 784-500-500-10, ReLU, sparse softmax cross-entropy, Adam "
          "(m/v variables updated with assign)")
    # --- batch 1024 -------------------------------------------------------------
    batch = 1024
    step, py_step = make_mlp(sizes)
    x, y = mlp_data(batch, sizes[0], sizes[-1])
    graph = graph_of(step, x, y)
    names = list(graph.op_names())
    n_ops = len(names)
    # the same Python code on a model whose tensors have 2-20 elements: its eager time is the
    # step's Python + dispatch cost with (almost) no kernel work, its traced time the replay
    # cost with (almost) no kernel work (sizes >= 2 so that the graph has the same ops)
    tiny_sizes, tiny_batch = [2, 2, 2, 10], 2
    tstep, tpy_step = make_mlp(tiny_sizes, seed=1)
    tx, ty = mlp_data(tiny_batch, tiny_sizes[0], tiny_sizes[-1])
    tiny_ops = len(graph_of(tstep, tx, ty).op_names())
    reps = 5 if QUICK else 15
    iqr = []
    t_traced, t_eager = interleaved([lambda: step(x, y), lambda: py_step(x, y)], reps, warmup=3,
                                    spread=iqr)
    t_tiny_traced, t_tiny_eager = interleaved([lambda: tstep(tx, ty), lambda: tpy_step(tx, ty)],
                                              reps * 4, number=20, warmup=3)
    copy = _core.ops["copy"]
    t_in_copy = median_time(lambda: (copy(x), copy(y)), reps, number=5)
    kernels = t_eager - t_tiny_eager
    overhead = t_traced - kernels
    per_op = overhead / n_ops
    per_op_tiny = t_tiny_traced / tiny_ops
    # matmul FLOPs: forward and weight gradients of every layer, input gradients of all but the first
    layer = [2.0 * batch * a * b for a, b in zip(sizes[:-1], sizes[1:])]
    flop = 2 * sum(layer) + sum(layer[1:])
    counts = {}
    for nm in names:
        counts[nm] = counts.get(nm, 0) + 1
    print("  batch %d: the traced graph has %d ops (%s)" % (
        batch, n_ops, ", ".join("%s %d" % kv for kv in sorted(counts.items(), key=lambda kv: -kv[1]))))
    print("    traced step (replay)        %s   (%.0f GFLOP/s on the ~%.1f GFLOP of matmuls)"
          % (fmt_ms(t_traced), flop / t_traced / 1e9, flop / 1e9))
    print("    same step run eagerly       %s" % fmt_ms(t_eager))
    print("    kernels' own time (sum)     %s   = eager step %s - eager step of the same code on "
          "a 2-2-2-10 model at batch 2 %s" % (fmt_ms(kernels), fmt_ms(t_eager), fmt_ms(t_tiny_eager)))
    print("        (method: the tiny model runs the identical Python code and the same %d ops, so "
          "its eager time is the step's Python + dispatch cost; subtracting it from the full eager "
          "step leaves the kernels' time)" % tiny_ops)
    noise = (iqr[0] + iqr[1]) / n_ops
    print("    replay overhead             %s per step = traced - kernels; %s per op over %d ops "
          "(+- %s from the spread of the repeats): %s"
          % (fmt_ms(overhead), fmt_us(per_op), n_ops, fmt_us(noise),
             verdict(per_op < 2e-6) if noise < 2e-6 else "not resolvable at this noise: see the "
             "cross-check below"))
    print("        (this includes copying the inputs into the graph: %s for x and y)" % fmt_ms(t_in_copy))
    print("    cross-check: the traced tiny-model step takes %s for %d ops = %s per op "
          "(replay cost with almost no kernel work; an upper bound)"
          % (fmt_us(t_tiny_traced), tiny_ops, fmt_us(per_op_tiny)))
    if t_dispatch is not None:
        print("    for scale: one eager C op call (_core.ops['add'] on 1 element) costs %s"
              % fmt_us(t_dispatch))
    # --- batch 32 ----------------------------------------------------------------
    batch = 32
    step, py_step = make_mlp(sizes, seed=2)
    x, y = mlp_data(batch, sizes[0], sizes[-1], seed=2)
    n32 = len(graph_of(step, x, y).op_names())
    t_traced32, t_eager32 = interleaved([lambda: step(x, y), lambda: py_step(x, y)], reps * 3,
                                        number=3, warmup=3)
    speedup = t_eager32 / t_traced32
    print("  batch %d (%d ops): traced %s, eager %s: traced is %.2fx faster (target >= 1.2x): %s"
          % (batch, n32, fmt_ms(t_traced32), fmt_ms(t_eager32), speedup, verdict(speedup >= 1.2)))
    print()
    return per_op, speedup


def main():
    global QUICK
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    ap.add_argument("--only", default="abcd", help="sections to run, e.g. 'ad'")
    args = ap.parse_args()
    QUICK = args.quick
    header()
    t_dispatch = None
    results = {}
    for key, fn in (("a", bench_matmul), ("b", bench_elementwise), ("c", bench_tiny_op),
                    ("d", lambda: bench_train_step(t_dispatch))):
        if key not in args.only:
            continue
        try:
            results[key] = fn()
            if key == "c":
                t_dispatch = results[key][1]
        except Exception as e:   # a benchmark never fails the run: report and go on
            print("(%s) could not run: %s: %s\n" % (key, type(e).__name__, e))
    return 0


if __name__ == "__main__":
    sys.exit(main())
