"""Devices: where ops run (TensorFlow's placement) and the GPU backend's loading.

With a visible NVIDIA GPU, ops run on GPU:0 unless a `tf.device('/CPU:0')` scope says
otherwise; inputs are moved by a recorded to_device op where an op needs them elsewhere, and
`.numpy()` copies back.  minikeras._cuda (and with it the CUDA libraries) is imported only
when the first op wants the GPU, or when tf.config asks about GPUs; without a GPU, a driver
or the extension, everything runs on the CPU, silently.  MINIKERAS_CUDA=0 turns the GPU off.

tf.data pipelines run on the CPU, as in TensorFlow (`cpu_only` below)."""
import contextlib
import os
import re
import threading

from .. import _core

CPU, GPU = _core.CPU, _core.GPU
_NAMES = {CPU: "CPU", GPU: "GPU"}

_state = threading.Lock()
_cuda = None            # the imported minikeras._cuda once installed
_gpu_count = None       # GPUs the backend reported (None: not asked yet)
_gpu_hidden = False     # tf.config.set_visible_devices without the GPU
_tf32 = True            # TF allows TF32 for float32 on Ampere and newer by default


def _driver_sees_gpu():
    """Cheap check without loading any CUDA library: the NVIDIA driver lists a GPU."""
    if os.environ.get("MINIKERAS_CUDA", "1") == "0":
        return False
    try:
        if os.listdir("/proc/driver/nvidia/gpus"):
            return True
    except OSError:
        pass
    return any(re.fullmatch(r"nvidia\d+", n) for n in _listdir("/dev"))


def _listdir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


def _load():
    """Import minikeras._cuda and install it into the core (once).  Returns the GPU count."""
    global _cuda, _gpu_count
    with _state:
        if _gpu_count is not None:
            return _gpu_count
        _gpu_count = 0
        if not _driver_sees_gpu():
            return 0
        try:
            from .. import _cuda as cuda
        except ImportError:
            return 0             # built without CUDA (no nvcc/cuDNN where it was built)
        try:
            n = cuda.install()
        except (RuntimeError, ImportError) as e:   # a GPU the runtime cannot start: CPU
            import warnings
            warnings.warn(f"minikeras: the GPU is not used: {e}", RuntimeWarning, stacklevel=2)
            return 0
        if n:
            cuda.set_tf32(_tf32)
            _cuda = cuda
        _gpu_count = n
        return n


def _loader():
    """Called by the core on the first op that wants the GPU."""
    if not _load():
        _core.set_default_device(CPU)


def gpu_count():
    """Number of GPUs the backend can use (loads it; 0 without one)."""
    return _load()


def gpu_usable():
    return not _gpu_hidden and gpu_count() > 0


def set_gpu_hidden(hidden):
    """tf.config.set_visible_devices without (hidden=True) or with the GPU."""
    global _gpu_hidden
    _gpu_hidden = bool(hidden)
    if hidden:
        _core.set_default_device(CPU)
    elif _gpu_count:                                   # installed (or simulated)
        _core.set_default_device(GPU)
    elif _gpu_count is None and _driver_sees_gpu():    # not loaded yet: on first use
        _core.set_default_device(GPU)
        _core.set_gpu_loader(_loader)
    else:
        _core.set_default_device(CPU)


def cuda_module():
    """minikeras._cuda when installed, else None (also with the simulated GPU)."""
    _load()
    return _cuda


def use_test_device(capacity=0):
    """Tests only: a simulated GPU:0 whose memory is host memory and whose kernels are the CPU
    kernels (capacity in bytes, 0 = unlimited), so the placement machinery runs where there
    is no GPU.  It says nothing about the CUDA kernels.  Irreversible for the process."""
    global _gpu_count
    with _state:
        _core._install_test_device(int(capacity))
        _gpu_count = 1
    _core.set_gpu_loader(None)


def simulated():
    return _gpu_count == 1 and _cuda is None and _core.gpu_installed()


def set_tf32(enabled):
    global _tf32
    _tf32 = bool(enabled)
    if _cuda is not None:
        _cuda.set_tf32(_tf32)


def tf32_enabled():
    return _tf32


# ---- names ---------------------------------------------------------------------------

_SPEC = re.compile(r"^(?:/job:[^/]+)?(?:/replica:\d+)?(?:/task:\d+)?/?(?:device:)?"
                   r"(?P<type>cpu|gpu|xla_gpu|xla_cpu)?(?::(?P<index>\d+|\*))?$", re.IGNORECASE)


def parse(spec):
    """'/GPU:0', 'gpu:0', '/device:CPU:0', '/job:localhost/replica:0/task:0/device:GPU:0',
    'GPU' -> CPU / GPU id, or None for '' / None (no constraint)."""
    if spec is None:
        return None
    if hasattr(spec, "name") and not isinstance(spec, str):     # LogicalDevice / PhysicalDevice
        spec = spec.name
    if not isinstance(spec, str):
        raise TypeError(f"device spec must be a string, got {type(spec).__name__}")
    s = spec.strip()
    if s in ("", "/"):
        return None
    m = _SPEC.match(s)
    if not m or not m.group("type"):
        raise ValueError(f"Unknown attribute: '{spec}' in '{spec}'")
    return GPU if "gpu" in m.group("type").lower() else CPU


def name(dev):
    return f"/job:localhost/replica:0/task:0/device:{_NAMES[dev]}:0"


# ---- scopes --------------------------------------------------------------------------

class device:
    """tf.device(name): ops created in the block run on that device.  A GPU scope without a
    usable GPU falls back to the CPU (TF's soft placement).  Nested scopes restore the outer
    one on exit; the scope is per thread."""

    def __init__(self, device_name):
        self._dev = parse(device_name)
        self._prev = []

    def __enter__(self):
        dev = -1 if self._dev is None else self._dev
        if dev == GPU and not gpu_usable():
            dev = CPU
        self._prev.append(_core.set_device_scope(dev))
        return self

    def __exit__(self, *exc):
        _core.set_device_scope(self._prev.pop())
        return False


def current():
    """The device new ops go to in this thread (CPU or GPU id)."""
    scope = _core.get_device_scope()
    if scope >= 0:
        return scope if scope == CPU or gpu_usable() else CPU
    return _core.get_default_device()


@contextlib.contextmanager
def cpu_only():
    prev = _core.set_device_scope(CPU)
    try:
        yield
    finally:
        _core.set_device_scope(prev)


def pin_thread_to_cpu():
    """For tf.data worker threads: their ops run on the CPU."""
    _core.set_device_scope(CPU)


# at import: no CUDA library is loaded; the core calls _loader on the first GPU op
if _driver_sees_gpu():
    _core.set_default_device(GPU)
    _core.set_gpu_loader(_loader)
