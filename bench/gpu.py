"""GPU benchmark: minikeras against PyTorch in the same process, on the GPU machine (issue 4).

    python bench/gpu.py [--json FILE] [--quick]

1. The course MLP (784-500-500-10, ReLU, logits, SparseCategoricalCrossentropy(from_logits),
   Adam, batch 1024, 59 steps = one epoch of 60,000 SYNTHETIC samples): minikeras model.fit
   (traced step, CUDA Graphs) s/epoch vs a PyTorch eager loop over the same batches already
   on the GPU.  Target: ratio <= 0.3.
2. float32 matmul 4096^3, TF32 on in both: TFLOP/s; target ratio >= 0.9.
3. Elementwise add of two 64M float32 vectors: GB/s (3 x 256 MB moved per add); target
   >= 0.8 of PyTorch's.
Every line prints the two numbers and minikeras / PyTorch; each section runs on its own, so
one failure does not hide the others."""
import argparse
import json
import os
import sys
import time
import traceback

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))

import minikeras as keras  # noqa: E402
from minikeras import _core, layers, tf  # noqa: E402

try:
    import torch
except ImportError:       # the numbers of minikeras alone are still printed
    torch = None


def sync():
    _core.synchronize()
    if torch is not None and torch.cuda.is_available():
        torch.cuda.synchronize()


def best_of(fn, repeat, inner=1):
    """Best wall time of `repeat` runs of fn() x inner, after one warm-up run."""
    fn()
    sync()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        sync()
        best = min(best, (time.perf_counter() - t0) / inner)
    return best


# ---- 1. the course MLP --------------------------------------------------------------

def mlp_minikeras(x, y, epochs):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([layers.Dense(500, activation="relu", input_shape=(784,)),
                              layers.Dense(500, activation="relu"), layers.Dense(10)])
    model.compile(optimizer=keras.optimizers.Adam(),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    times = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            sync()
            self.t0 = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            sync()
            times.append(time.perf_counter() - self.t0)

    h = model.fit(x, y, batch_size=1024, epochs=epochs, shuffle=True, verbose=0, callbacks=[Timer()])
    return min(times[1:]), h.history["loss"]


def mlp_torch(x, y, epochs):
    torch.manual_seed(0)
    dev = torch.device("cuda")
    net = torch.nn.Sequential(torch.nn.Linear(784, 500), torch.nn.ReLU(), torch.nn.Linear(500, 500),
                              torch.nn.ReLU(), torch.nn.Linear(500, 10)).to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, eps=1e-7)
    loss_fn = torch.nn.CrossEntropyLoss()
    xt = torch.from_numpy(x).to(dev)
    yt = torch.from_numpy(y.astype(np.int64)).to(dev)
    n = len(x)
    times = []
    for _ in range(epochs):
        sync()
        t0 = time.perf_counter()
        perm = torch.randperm(n, device=dev)
        for i in range(0, n, 1024):
            idx = perm[i:i + 1024]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(net(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            loss.item()            # as Keras' progress logs do each step
        sync()
        times.append(time.perf_counter() - t0)
    return min(times[1:])


# ---- 2. matmul, 3. add --------------------------------------------------------------------

def matmul_rates(n, repeat):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    flops = 2.0 * n ** 3
    with tf.device("/GPU:0"):
        ta, tb = tf.constant(a) + 0.0, tf.constant(b) + 0.0
        ours = flops / best_of(lambda: tf.matmul(ta, tb), repeat, inner=10) / 1e12
        got = tf.matmul(ta[:64], tb).numpy()
    np.testing.assert_allclose(got, a[:64] @ b, rtol=5e-2, atol=5e-1)   # TF32: 10-bit mantissa
    theirs = None
    if torch is not None:
        torch.backends.cuda.matmul.allow_tf32 = True
        pa, pb = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
        theirs = flops / best_of(lambda: pa @ pb, repeat, inner=10) / 1e12
    return ours, theirs


def add_rates(n, repeat):
    rng = np.random.default_rng(1)
    a = rng.standard_normal(n).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    moved = 3.0 * n * 4
    with tf.device("/GPU:0"):
        ta, tb = tf.constant(a) + 0.0, tf.constant(b) + 0.0
        ours = moved / best_of(lambda: ta + tb, repeat, inner=20) / 1e9
        np.testing.assert_array_equal((ta + tb).numpy()[:1000], a[:1000] + b[:1000])
    theirs = None
    if torch is not None:
        pa, pb = torch.from_numpy(a).cuda(), torch.from_numpy(b).cuda()
        theirs = moved / best_of(lambda: pa + pb, repeat, inner=20) / 1e9
    return ours, theirs


def line(what, ours, theirs, unit, target, lower_is_better):
    if theirs:
        r = ours / theirs
        ok = r <= target if lower_is_better else r >= target
        print(f"{what:<58} minikeras {ours:10.3f} {unit:<8} PyTorch {theirs:10.3f} {unit:<8} "
              f"ratio {r:6.3f}  (target {'<=' if lower_is_better else '>='} {target}: "
              f"{'met' if ok else 'NOT met'})", flush=True)
        return r
    print(f"{what:<58} minikeras {ours:10.3f} {unit}  (PyTorch not available)", flush=True)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--quick", action="store_true", help="fewer repeats")
    args = ap.parse_args()
    if not tf.config.list_physical_devices("GPU"):
        print("bench/gpu.py: no GPU (or minikeras._cuda not built): nothing to measure")
        return 0
    from minikeras.engine import device as dev
    props = dev.cuda_module().device_properties(0)
    print(f"GPU: {props['name']} sm_{props['compute_capability'][0]}{props['compute_capability'][1]}, "
          f"{props['total_memory'] / 2**30:.0f} GiB; PyTorch {torch.__version__ if torch else 'absent'}")
    rep = 3 if args.quick else 10
    results = {"gpu": props["name"]}
    # 1. MLP
    try:
        rng = np.random.default_rng(0)
        x = rng.random((60000, 784), dtype=np.float32)
        y = rng.integers(0, 10, 60000).astype(np.uint8)
        epochs = 3 if args.quick else 5
        ours, losses = mlp_minikeras(x, y, epochs)
        theirs = mlp_torch(x, y, epochs) if torch is not None else None
        results["mlp_epoch_s"] = {"minikeras": ours, "pytorch": theirs, "losses": losses,
                                  "ratio": line("course MLP fit, 59 steps of 1024 (s/epoch)", ours, theirs,
                                                "s", 0.3, True)}
        print(f"    minikeras {ours / 59 * 1e3:.3f} ms/step"
              + (f", PyTorch {theirs / 59 * 1e3:.3f} ms/step" if theirs else ""))
    except Exception:
        traceback.print_exc()
    # 2. matmul
    try:
        ours, theirs = matmul_rates(4096, rep)
        results["matmul_tflops"] = {"minikeras": ours, "pytorch": theirs,
                                    "ratio": line("matmul 4096^3 float32, TF32 (TFLOP/s)", ours, theirs,
                                                  "TFLOP/s", 0.9, False)}
    except Exception:
        traceback.print_exc()
    # 3. add
    try:
        ours, theirs = add_rates(64 << 20, rep)
        results["add_gbs"] = {"minikeras": ours, "pytorch": theirs,
                              "ratio": line("add 64M float32 (GB/s, 3 x 256 MB per add)", ours, theirs,
                                            "GB/s", 0.8, False)}
    except Exception:
        traceback.print_exc()
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
