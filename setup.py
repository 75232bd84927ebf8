"""Build minikeras._core (C, OpenBLAS, OpenMP) and, where nvcc and cuDNN exist,
minikeras._cuda (csrc/cuda_device.cu + csrc/kernels/*.cu: cudart, cuBLAS(Lt), cuDNN)."""
import glob
import os
import shutil
import subprocess
import sys
import sysconfig
from concurrent.futures import ThreadPoolExecutor

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

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
    """The CUDA toolkit's home when nvcc is found (CUDA_HOME, nvcc on PATH, /usr/local/cuda);
    None when MINIKERAS_CUDA=0 or there is no nvcc."""
    if os.environ.get("MINIKERAS_CUDA", "1") == "0":
        return None
    for home in (os.environ.get("CUDA_HOME"),
                 os.path.dirname(os.path.dirname(shutil.which("nvcc"))) if shutil.which("nvcc") else None,
                 "/usr/local/cuda"):
        if home and os.path.exists(os.path.join(home, "bin", "nvcc")):
            return home
    return None


def find_cudnn(home):
    """(include dir, lib dir) of cuDNN: CUDNN_INCLUDE_DIR / CUDNN_LIB_DIR, else the CUDA home
    (our machines), else the system folders (the GPU machine); None when cudnn.h is missing."""
    incs = [os.environ.get("CUDNN_INCLUDE_DIR"), os.path.join(home, "include"),
            "/usr/include/x86_64-linux-gnu", "/usr/include"]
    libs = [os.environ.get("CUDNN_LIB_DIR"), os.path.join(home, "lib64"),
            "/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib"]
    inc = next((d for d in incs if d and os.path.exists(os.path.join(d, "cudnn.h"))), None)
    lib = next((d for d in libs if d and glob.glob(os.path.join(d, "libcudnn.so*"))), None)
    return (inc, lib) if inc and lib else None


def cuda_archs():
    """-gencode flags: MINIKERAS_CUDA_ARCHS ("75;80;86;89;90", or "90" on the GPU machine) as
    SASS, plus PTX of the newest so later GPUs can JIT it."""
    archs = [a.strip() for a in os.environ.get("MINIKERAS_CUDA_ARCHS", "75;80;86;89;90").replace(",", ";").split(";")
             if a.strip()]
    flags = []
    for a in archs:
        flags += ["-gencode", f"arch=compute_{a},code=sm_{a}"]
    top = max(archs, key=int)
    return flags + ["-gencode", f"arch=compute_{top},code=compute_{top}"]


class BuildExt(build_ext):
    """build_ext that compiles the .cu sources of minikeras._cuda with nvcc (in parallel, each
    object kept in build_cuda/ and recompiled only when it or a header changed), then links
    them with the C++ runtime, static cudart and the shared cuBLAS/cuBLASLt/cuDNN."""

    def build_extension(self, ext):
        if not getattr(ext, "cuda", None):
            return super().build_extension(ext)
        cfg = ext.cuda
        objdir = os.path.join(HERE, "build_cuda", "_".join(a.split("=")[-1] for a in cfg["gencode"][1::2]))
        os.makedirs(objdir, exist_ok=True)
        headers = glob.glob("csrc/*.h") + glob.glob("csrc/*.def") + glob.glob("csrc/kernels/*.cuh") + \
            glob.glob("csrc/kernels/*.def") + glob.glob("csrc/kernels/*.h")
        newest_header = max(os.path.getmtime(h) for h in headers)
        flags = ["-std=c++17", "-O3", "-Xcompiler", "-fPIC,-O3,-Wall", "--expt-relaxed-constexpr",
                 "-Icsrc", "-I" + sysconfig.get_paths()["include"], "-I" + cfg["cudnn_inc"]] + cfg["gencode"]

        def compile_one(src):
            obj = os.path.join(objdir, os.path.basename(src)[:-3] + ".o")
            if os.path.exists(obj) and os.path.getmtime(obj) > max(os.path.getmtime(src), newest_header):
                return obj
            cmd = [cfg["nvcc"], "-c", src, "-o", obj] + flags
            print("nvcc", src, flush=True)
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError(f"nvcc failed on {src}:\n{r.stdout}{r.stderr}")
            return obj

        with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
            objects = list(pool.map(compile_one, ext.sources))
        out = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(out), exist_ok=True)
        self.compiler.link_shared_object(
            objects, out, libraries=["cudart_static", "cublasLt", "cublas", "cudnn", "stdc++", "dl", "rt", "pthread"],
            library_dirs=[cfg["lib64"], cfg["cudnn_lib"]], runtime_library_dirs=[cfg["lib64"], cfg["cudnn_lib"]],
            target_lang="c++")


def cuda_extension():
    home = find_cuda()
    if not home:
        print("minikeras: nvcc not found (or MINIKERAS_CUDA=0): building without minikeras._cuda", file=sys.stderr)
        return None
    dnn = find_cudnn(home)
    if not dnn:
        print("minikeras: cudnn.h / libcudnn not found (set CUDNN_INCLUDE_DIR, CUDNN_LIB_DIR): "
              "building without minikeras._cuda", file=sys.stderr)
        return None
    ext = Extension("minikeras._cuda", sources=["csrc/cuda_device.cu"] + sorted(glob.glob("csrc/kernels/*.cu")))
    ext.cuda = dict(nvcc=os.path.join(home, "bin", "nvcc"), lib64=os.path.join(home, "lib64"),
                    cudnn_inc=dnn[0], cudnn_lib=dnn[1], gencode=cuda_archs())
    return ext


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

cuda = cuda_extension()
setup(ext_modules=[core] + ([cuda] if cuda else []), cmdclass={"build_ext": BuildExt})
