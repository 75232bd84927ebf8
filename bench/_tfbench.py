"""Shared driver pieces of the benchmarks that compare minikeras with TensorFlow CPU in the same
run (bench/cnn_mnist.py, bench/fec_pipeline.py, bench/image_generator.py).

As bench/fit_mlp.py (whose helpers these reuse): TensorFlow is never a dependency of minikeras or
of its tests; it lives in the virtualenv bench/.tfvenv (tensorflow-cpu==2.21.0 from PyPI, plus
the packages a benchmark needs there, e.g. pillow, pandas, scipy), created on first use, and
each framework runs in its own subprocess (the same script with --worker), whose results come
back as JSON.  A git worktree without its own bench/.tfvenv uses the main checkout's.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import fit_mlp  # noqa: E402  (CPU accounting, venv creation, clean environments)

TF_VERSION = fit_mlp.TF_VERSION
CpuMeter = fit_mlp.CpuMeter
load_report = fit_mlp.load_report
clean_env = fit_mlp._clean_env
mk_env = fit_mlp.mk_env
TF_NOISE = fit_mlp._TF_NOISE + ("Could not find cuda drivers", "cuda_", "computation placer",
                                "Unable to register", "TF-TRT", "rocm")


def add_common_args(ap):
    """The options every minikeras-vs-TensorFlow benchmark takes, and the hidden ones its
    worker subprocesses get."""
    import argparse
    ap.add_argument("--rounds", type=int, default=1, help="alternate the frameworks this often")
    ap.add_argument("--skip-tf", action="store_true", help="minikeras only (no ratio)")
    ap.add_argument("--skip-mk", action="store_true", help="TensorFlow only (no ratio)")
    ap.add_argument("--tf-venv", default=None, help="default: bench/.tfvenv (a worktree "
                    "without one uses the main checkout's)")
    ap.add_argument("--json", help="also write all results to this file")
    ap.add_argument("--worker", choices=("minikeras", "tensorflow"), help=argparse.SUPPRESS)
    ap.add_argument("--json-out", help=argparse.SUPPRESS)


def default_tf_venv():
    """bench/.tfvenv of this checkout; in a git worktree without one, the main checkout's."""
    own = os.path.join(HERE, ".tfvenv")
    if os.path.exists(os.path.join(own, "bin", "python")):
        return own
    try:
        r = subprocess.run(["git", "rev-parse", "--git-common-dir"], cwd=ROOT,
                           capture_output=True, text=True)
        common = os.path.abspath(os.path.join(ROOT, r.stdout.strip()))
        main = os.path.join(os.path.dirname(common), "bench", ".tfvenv")
        if r.returncode == 0 and os.path.exists(os.path.join(main, "bin", "python")):
            return main
    except OSError:
        pass
    return own


def ensure_tf_venv(venv, extras=()):
    """The venv's python with tensorflow-cpu==TF_VERSION and the extra packages importable
    (installing what is missing), or None."""
    py = fit_mlp.ensure_tf_venv(venv, TF_VERSION)
    if py is None:
        return None
    missing = []
    for pkg, module in extras:
        r = subprocess.run([py, "-c", "import %s" % module], capture_output=True,
                           env=clean_env())
        if r.returncode != 0:
            missing.append(pkg)
    if missing:
        print("== TensorFlow venv: pip install %s" % " ".join(missing), flush=True)
        r = subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check"]
                           + missing, env=clean_env())
        if r.returncode != 0:
            print("   pip install %s failed" % " ".join(missing))
            return None
    return py


def run_worker(python, env, framework, script, extra_args, json_out, cwd=None, label=""):
    """Runs `script --worker framework --json-out json_out extra_args` and returns its JSON
    (None when it failed; its stderr is shown without TensorFlow's start-up chatter)."""
    cmd = [python, os.path.abspath(script), "--worker", framework, "--json-out", json_out]
    cmd += list(extra_args)
    print("== %s: %s" % (label or os.path.basename(script), framework), flush=True)
    r = subprocess.run(cmd, env=env, cwd=cwd or ROOT, stderr=subprocess.PIPE, text=True)
    for line in r.stderr.splitlines():
        if not any(noise in line for noise in TF_NOISE):
            print("   " + line, file=sys.stderr)
    if r.returncode != 0 or not os.path.exists(json_out):
        print("   %s worker failed (exit status %d)" % (framework, r.returncode), flush=True)
        return None
    with open(json_out) as f:
        res = json.load(f)
    os.remove(json_out)
    return res


def ratio_line(label, ratio, target, higher_is_better):
    if higher_is_better:
        ok = "meets target" if ratio >= target else "BELOW TARGET"
        return "  %-44s %.2fx   (target >= %.2gx: %s)" % (label, ratio, target, ok)
    ok = "meets target" if ratio <= target else "ABOVE TARGET"
    return "  %-44s %.2fx   (target <= %.2gx: %s)" % (label, ratio, target, ok)


def machine_line():
    import platform
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "  python %s, cpu: %s, %d logical cores" % (platform.python_version(), cpu,
                                                      os.cpu_count() or 0)


def tf_import():
    """import tensorflow quietly; (tf, version text)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    return tf, "tensorflow %s, keras %s" % (tf.__version__,
                                            getattr(tf.keras, "__version__", "?"))


def mk_import():
    """minikeras and its tf; (keras, tf, version text)."""
    import minikeras as keras
    from minikeras import tf
    return keras, tf, "minikeras %s" % getattr(keras, "__version__", "?")
