"""Builds the host emulation of some CUDA kernel families into OUT/libemu.so.

    python tools/cuda_host_emu/build.py --out DIR [--cudnn-bn] family ...

family: conv pool norm matmul optim random elementwise shape index softmax reduce (or `all`).  Needs g++ and the
CUDA headers (CUDA_HOME/include, else /usr/local/cuda/include); no GPU, no nvcc."""
import argparse
import os
import subprocess
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from transform import transform  # noqa: E402

FAMILIES = ["conv", "pool", "norm", "matmul", "optim", "random", "elementwise", "shape", "index", "softmax", "reduce",
            "image"]
STUBS = ["harness.cpp", "cudnn_stub.cpp", "lt_stub.cpp"]


def cuda_include():
    for base in (os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"):
        if base and os.path.exists(os.path.join(base, "include", "cuda_runtime.h")):
            return os.path.join(base, "include")
    return None


def build(out, families, cudnn_bn=False, jobs=None, cxx="g++"):
    """compiles into out/libemu.so and returns its path (raises CalledProcessError on failure)"""
    inc = cuda_include()
    if inc is None:
        raise FileNotFoundError("cuda_runtime.h not found (set CUDA_HOME)")
    os.makedirs(out, exist_ok=True)
    # nvcc contracts a*b+c into fma by default (--fmad=true): so does g++ where the CPU has FMA
    flags = ["-std=c++17", "-O2", "-march=native", "-ffp-contract=fast", "-fPIC", "-w", "-I" + HERE, "-I" + os.path.join(ROOT, "csrc"),
             "-I" + os.path.join(ROOT, "csrc", "kernels"), "-I" + inc, "-I" + sysconfig.get_paths()["include"]]
    srcs = [os.path.join(HERE, s) for s in STUBS]
    for f in families:
        with open(os.path.join(ROOT, "csrc", "kernels", f + ".cu")) as fh:
            code = transform(fh.read(), cudnn_bn)
        dst = os.path.join(out, f + ".cpp")
        with open(dst, "w") as fh:
            fh.write(code)
        srcs.append(dst)
    objs = [os.path.join(out, os.path.basename(s)[:-4] + ".o") for s in srcs]

    def cc(so):
        subprocess.run([cxx, *flags, "-c", so[0], "-o", so[1]], check=True)
    with ThreadPoolExecutor(jobs or os.cpu_count() or 1) as ex:
        list(ex.map(cc, zip(srcs, objs)))
    lib = os.path.join(out, "libemu.so")
    subprocess.run([cxx, "-shared", *objs, "-o", lib], check=True)
    return lib


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--cudnn-bn", action="store_true", help="norm through the cuDNN batch-norm stubs")
    ap.add_argument("families", nargs="+", choices=FAMILIES + ["all"])
    a = ap.parse_args()
    print(build(a.out, FAMILIES if "all" in a.families else a.families, a.cudnn_bn))
