"""Build minikeras._core (C, OpenBLAS, OpenMP) and, where nvcc and cuDNN exist,
minikeras._cuda (a later issue: the hook is find_cuda() below)."""
import glob
import os
import shutil
import sys

from setuptools import Extension, setup

HERE = os.path.dirname(os.path.abspath(__file__))


def blas_config():
    """Prefer the scipy-openblas32 wheel (numpy's own OpenBLAS build, which picks
    the right kernels on our CPUs); fall back to the system's cblas
    (Debian libopenblas-dev).  MINIKERAS_BLAS=system forces the latter."""
    if os.environ.get("MINIKERAS_BLAS", "") != "system":
        try:
            import scipy_openblas32 as sob
            libdir = sob.get_lib_dir()
            return dict(include_dirs=[sob.get_include_dir()], library_dirs=[libdir],
                        libraries=[sob.get_library()], runtime_library_dirs=[libdir],
                        define_macros=[("MK_BLAS_SCIPY", "1"), ("BLAS_SYMBOL_PREFIX", "scipy_")])
        except ImportError:
            pass
    inc = [d for d in ("/usr/include/x86_64-linux-gnu", "/usr/include/openblas") if os.path.isdir(d)]
    return dict(include_dirs=inc, library_dirs=[], libraries=["openblas"],
                runtime_library_dirs=[], define_macros=[])


def find_cuda():
    """Where nvcc and cuDNN are found, the CUDA extension will be built (issue 4).
    MINIKERAS_CUDA=0 skips it.  Returns the CUDA home or None."""
    if os.environ.get("MINIKERAS_CUDA", "1") == "0":
        return None
    home = os.environ.get("CUDA_HOME") or (os.path.dirname(os.path.dirname(shutil.which("nvcc")))
                                           if shutil.which("nvcc") else None)
    return home


def jpeg_config():
    """libjpeg(-turbo) for the decode_jpeg kernel (Debian libjpeg62-turbo-dev; `make build`
    installs it).  Without jpeglib.h the op reports that and Python decodes with Pillow.
    MINIKERAS_LIBJPEG=0 builds without it."""
    if os.environ.get("MINIKERAS_LIBJPEG", "1") == "0":
        return [], []
    for inc in ("/usr/include", "/usr/local/include"):
        if os.path.exists(os.path.join(inc, "jpeglib.h")):
            return ["jpeg"], [("MK_HAVE_LIBJPEG", "1")]
    print("minikeras: jpeglib.h not found: decode_jpeg will use Pillow", file=sys.stderr)
    return [], []


blas = blas_config()
jpeg_libs, jpeg_macros = jpeg_config()
sources = sorted(glob.glob("csrc/*.c")) + sorted(glob.glob("csrc/kernels/*.c"))
core = Extension(
    "minikeras._core",
    sources=sources,
    include_dirs=["csrc"] + blas["include_dirs"],
    library_dirs=blas["library_dirs"],
    libraries=blas["libraries"] + jpeg_libs + ["m"],
    runtime_library_dirs=blas["runtime_library_dirs"],
    define_macros=blas["define_macros"] + jpeg_macros,
    extra_compile_args=["-O3", "-std=gnu11", "-fopenmp", "-march=x86-64-v3", "-mtune=native",
                        "-fno-math-errno", "-fno-trapping-math", "-Wall", "-Wno-unused-function",
                        "-Wno-missing-field-initializers"],
    extra_link_args=["-fopenmp"],
    depends=glob.glob("csrc/*.h") + glob.glob("csrc/kernels/*.h") + glob.glob("csrc/kernels/*.def"),
)

setup(ext_modules=[core])
