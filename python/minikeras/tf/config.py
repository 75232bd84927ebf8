"""tf.config: devices and execution settings."""
import collections

from .. import _core
from ..engine import device as _device
from ..engine.function import functions_run_eagerly, run_functions_eagerly  # noqa: F401

PhysicalDevice = collections.namedtuple("PhysicalDevice", ["name", "device_type"])
LogicalDevice = collections.namedtuple("LogicalDevice", ["name", "device_type"])

_visible = None
_memory_growth = {}


def list_physical_devices(device_type=None):
    """The CPU, and GPU:0 where the NVIDIA driver shows a GPU and minikeras._cuda can use it
    (asking about GPUs loads the CUDA libraries, as in TensorFlow)."""
    devices = [PhysicalDevice("/physical_device:CPU:0", "CPU")]
    if device_type is None or device_type.upper() == "GPU":
        devices += [PhysicalDevice(f"/physical_device:GPU:{i}", "GPU") for i in range(_device.gpu_count())]
    if device_type is None:
        return devices
    return [d for d in devices if d.device_type == device_type.upper()]


def list_logical_devices(device_type=None):
    return [LogicalDevice(d.name.replace("physical_device", "device"), d.device_type)
            for d in get_visible_devices(device_type)]


def get_visible_devices(device_type=None):
    devs = list_physical_devices(device_type) if _visible is None else _visible
    return [d for d in devs if device_type is None or d.device_type == device_type.upper()]


def set_visible_devices(devices, device_type=None):
    """Which devices ops may use: leaving the GPU out sends every op to the CPU."""
    global _visible
    if isinstance(devices, PhysicalDevice):
        devices = [devices]
    devices = list(devices)
    physical = list_physical_devices()
    for d in devices:
        if d not in physical:
            raise ValueError(f"Unrecognized device: {d!r}")
    if device_type is not None:      # only that type's visibility changes
        t = device_type.upper()
        devices = [d for d in get_visible_devices() if d.device_type != t] + \
            [d for d in devices if d.device_type == t]
    if not any(d.device_type == "CPU" for d in devices):
        devices = [physical[0]] + devices          # the CPU always stays (TF)
    _visible = devices
    _device.set_gpu_hidden(not any(d.device_type == "GPU" for d in devices))


def _check_gpu(device, what):
    if not isinstance(device, PhysicalDevice) or device.device_type != "GPU":
        raise ValueError(f"Cannot {what} on non-GPU devices")
    if device not in list_physical_devices("GPU"):
        raise ValueError(f"Unrecognized device: {device!r}")


class threading:
    """Threads used by the C kernels (OpenMP)."""

    @staticmethod
    def set_intra_op_parallelism_threads(n):
        if n:
            _core.set_num_threads(int(n))

    @staticmethod
    def get_intra_op_parallelism_threads():
        return _core.get_num_threads()

    @staticmethod
    def set_inter_op_parallelism_threads(n):
        pass

    @staticmethod
    def get_inter_op_parallelism_threads():
        return 1


class experimental:
    @staticmethod
    def set_memory_growth(device, enable):
        """Recorded for get_memory_growth; the allocator always grows on demand (it never
        reserves the whole GPU up front, which is what growth=False means in TF)."""
        _check_gpu(device, "set memory growth")
        _memory_growth[device.name] = bool(enable)

    @staticmethod
    def get_memory_growth(device):
        _check_gpu(device, "get memory growth")
        return _memory_growth.get(device.name, False)

    @staticmethod
    def get_device_details(device):
        """{'device_name': ..., 'compute_capability': (major, minor)} for a GPU, {} for the CPU."""
        if device.device_type != "GPU":
            return {}
        _check_gpu(device, "get device details")
        p = _device.cuda_module().device_properties(int(device.name.rsplit(":", 1)[1]))
        return {"compute_capability": tuple(p["compute_capability"]), "device_name": p["name"]}

    @staticmethod
    def get_memory_info(device):
        """{'current': bytes in use, 'peak': the most since the last reset} on 'GPU:0'."""
        if _device.parse(device) != _device.GPU or not _device.gpu_count():
            raise ValueError(f"get_memory_info is only supported for GPU devices, got {device!r}")
        info = _device.cuda_module().memory_info()
        return {"current": info["current"], "peak": info["peak"]}

    @staticmethod
    def reset_memory_stats(device):
        if _device.parse(device) != _device.GPU or not _device.gpu_count():
            raise ValueError(f"reset_memory_stats is only supported for GPU devices, got {device!r}")
        _device.cuda_module().reset_peak()

    @staticmethod
    def enable_tensor_float_32_execution(enabled):
        """TF32 tensor cores for float32 matmuls and convolutions on the GPU (on by default)."""
        _device.set_tf32(enabled)

    @staticmethod
    def tensor_float_32_execution_enabled():
        return _device.tf32_enabled()
